"""The report site: HTML export of executed notebooks, unit pages, index pages, PDF and workbook.

Used by the runner (never inside a kernel). :func:`export_html` converts an executed notebook
with nbconvert's ``HTMLExporter`` in-process through the project template
``templates/analysis``: it extends ``lab`` but replaces JupyterLab's 270 KB stylesheet with the
project's trimmed one (``report.css``, screen and print) and embeds the small table script
(``tables.js``), so every page is one offline file. :func:`split_units` cuts a diagnosis batch
notebook into one notebook per unit; :func:`read_tables` and :func:`read_keys` read back the
tables and key numbers that :class:`analysis.report.Report` recorded as custom MIME outputs.
:func:`write_pdf` prints a page through headless Chromium; :func:`write_workbook` writes the
officials' workbook ``results.xlsx``; :func:`xlsx_bytes` one table's XLSX. Both are built here,
from the CSV and column types a table records, with XlsxWriter (rows streamed): the kernel
never pays for a spreadsheet.
"""
from __future__ import annotations

import base64
import copy
import functools
import html
import io
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .report import CUSTOM_MIMES, KEYS_MIME, SECTION_MIME, TABLE_MIME, TEMPLATE_DIR, neutralise_formulas

#: fixed timestamp written into XLSX files so that a rerun gives identical bytes
_XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)


def read_keys(nb) -> dict[str, Any]:
    """Key numbers recorded with :meth:`Report.key` in an executed notebook."""
    keys: dict[str, Any] = {}
    for out in _outputs(nb):
        rec = out.get("data", {}).get(KEYS_MIME)
        if rec:
            if rec.get("section"):
                keys.setdefault("units", {}).setdefault(rec["section"], {})[rec["name"]] = rec["value"]
            else:
                keys[rec["name"]] = rec["value"]
    return keys


def read_tables(nb) -> list[dict[str, Any]]:
    """Tables shown with :meth:`Report.table`: ``name, caption, section, csv`` (bytes, as the
    download gives them), ``types`` (:func:`analysis.report.column_types`) and ``units``
    (:func:`analysis.report.table_units`), from each table's record in the notebook."""
    tables = []
    for out in _outputs(nb):
        record = out.get("data", {}).get(TABLE_MIME)
        if record:
            tables.append(dict(record) | {"csv": record.get("csv", "").encode("utf-8-sig")})
    return tables


def table_frame(table: dict[str, Any]) -> pd.DataFrame:
    """A table of :func:`read_tables` as a typed DataFrame, read from its CSV by its column types.

    Text columns stay text (``010`` is not 10), numbers are numbers, ``mixed`` columns keep
    numbers as numbers and text (``<5``) as text; an empty cell is missing. Formulas are
    already neutralised in the CSV.
    """
    raw = pd.read_csv(io.BytesIO(table["csv"]), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    types = table.get("types") or ["text"] * raw.shape[1]
    out = {}
    for j, kind in enumerate(types):
        text = raw.iloc[:, j]
        text = text.where(text != "")
        if kind in ("int", "float"):
            col = pd.to_numeric(text)
        elif kind == "bool":
            col = text.map({"True": True, "False": False})
        elif kind == "datetime":
            col = pd.to_datetime(text)
        elif kind == "mixed":
            number = pd.to_numeric(text, errors="coerce")
            col = number.astype(object).where(number.notna(), text)
        else:
            col = text
        out[j] = col
    frame = pd.DataFrame(out)
    frame.columns = raw.columns
    return frame


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.get("outputs", [])


def split_units(nb) -> list[dict[str, Any]]:
    """Cut a diagnosis batch notebook into one notebook per unit section.

    Returns ``[{unit_id, label, page, status, error, nb}]`` (``page``: the file stem, the
    pseudonym in publish mode). Each unit notebook keeps every cell
    except those tagged ``batch-only``; the cell holding the sections keeps only that unit's
    outputs. If the batch failed before a unit's section started, that unit is absent.
    """
    units: list[dict[str, Any]] = []
    for ci, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        current = None
        for oi, out in enumerate(cell.get("outputs", [])):
            marker = out.get("data", {}).get(SECTION_MIME)
            if marker is None:
                if current is not None:
                    current["outputs"].append(oi)
                continue
            if marker["event"] == "start":
                current = {"unit_id": marker["unit_id"], "label": marker.get("label", marker["unit_id"]),
                           "page": marker.get("page", marker["unit_id"]), "status": "ok", "error": "", "cell": ci,
                           "outputs": []}
                units.append(current)
            elif marker["event"] == "failed" and current is not None:
                current.update(status="failed", error=marker.get("error", ""))
                current["outputs"].append(oi)
            elif marker["event"] == "end":
                current = None
        if current is not None:  # the cell stopped inside a section (kernel died or timeout)
            current.update(status="failed", error=current["error"] or "section did not finish")
    result = []
    for unit in units:
        unb = copy.deepcopy(nb)
        cells = []
        for ci, cell in enumerate(unb.cells):
            if "batch-only" in cell.get("metadata", {}).get("tags", []):
                continue
            if ci == unit["cell"]:
                cell.outputs = [cell.outputs[i] for i in unit["outputs"]]
            elif cell.cell_type == "code" and any(
                    SECTION_MIME in o.get("data", {}) for o in cell.get("outputs", [])):
                continue  # another batch cell with sections of other units
            cells.append(cell)
        unb.cells = cells
        unb.metadata["title"] = unit["label"]
        result.append({k: unit[k] for k in ("unit_id", "label", "page", "status", "error")} | {"nb": unb})
    return result


_CSV_FILE_LINK = re.compile(r'href="[^"]*" data-an-csv')


def _link_csv(data: dict, tables_href: str | None) -> None:
    """Point a long table's CSV link (``data-an-csv``, see :meth:`Report.table`) at the file the
    runner writes (``tables_href`` + name ``.csv``, relative to the page), or, where no file is
    written (``tables_href`` None), carry the CSV in the link as a ``data:`` URI."""
    record = data.get(TABLE_MIME)
    page = data.get("text/html")
    if not record or not isinstance(page, str) or "data-an-csv" not in page:
        return
    if tables_href is None:
        csv = record.get("csv", "").encode("utf-8-sig")
        href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv).decode("ascii")
    else:
        href = html.escape(f"{tables_href}{record['name']}.csv")
    data["text/html"] = _CSV_FILE_LINK.sub(lambda _: f'href="{href}"', page, count=1)


def _prepare(nb, lang: str, show_code: bool, tables_href: str | None = None):
    """Copy of ``nb`` ready for export: other language cells, machine outputs and stderr removed,
    long tables' CSV links pointed at their files (:func:`_link_csv`)."""
    nb = copy.deepcopy(nb)
    other = "lang-en" if lang == "zh" else "lang-zh"
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if other in tags or ("exercise" in tags and not show_code):  # exercises: the teaching edition only
            continue
        # the injected parameters hold this machine's paths and the whole config: never on a page
        if cell.cell_type == "code" and ("injected-parameters" in tags or ("parameters" in tags and not show_code)):
            continue
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    continue  # library warnings are for the log, not for the reader
                data = out.get("data")
                if data is not None:
                    _link_csv(data, tables_href)
                    for mime in CUSTOM_MIMES:
                        data.pop(mime, None)
                    if not data:
                        continue
                    if data.get("text/html") == "" and set(data) <= {"text/html", "text/plain"}:
                        continue
                kept.append(out)
            cell.outputs = kept
        cells.append(cell)
    nb.cells = cells
    return nb


_HEADING = re.compile(r'<h([1-3])\s+id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


def _toc(body: str, lang: str) -> str:
    items = []
    for level, anchor, inner in _HEADING.findall(body):
        if anchor == "title" or level == "1":
            continue
        text = html.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip()
        if text:
            items.append(f'<li class="an-toc-{level}"><a href="#{anchor}">{html.escape(text)}</a></li>')
    if not items:
        return ""
    return f'<nav class="an-toc"><b>{"目录" if lang == "zh" else "Contents"}</b><ul>{"".join(items)}</ul></nav>'


@functools.lru_cache(maxsize=1)
def _exporter():
    """One HTMLExporter per process (building the Jinja environment costs more than a small export)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="analysis", extra_template_basedirs=[str(TEMPLATE_DIR)])


def html_lang(lang: str) -> str:
    """The ``<html lang>`` value of a report language."""
    return "zh-CN" if lang == "zh" else "en"


def export_html(nb, out_path: str | Path, lang: str = "zh", show_code: bool = False,
                title: str | None = None, footer: str = "", tables_href: str | None = None) -> Path:
    """Write one offline HTML file for an executed notebook (code hidden unless ``show_code``).

    ``tables_href``: where the page finds the CSV files of its tables, relative to the page
    (``tables/01_yearly_statistics/``); long tables link their CSV there. None: no such
    folder, long tables carry their CSV in the link.
    """
    from . import __version__

    nb = _prepare(nb, lang, show_code, tables_href)
    if title:
        nb.metadata["title"] = title
    exporter = _exporter()
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = not show_code
    exporter.exclude_output_prompt = True
    resources = {"analysis_version": __version__, "analysis_footer": footer}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    # nbconvert validates ``language_code`` against ISO 639-1 and stores it on the shared
    # exporter; the page's language is set here from the report's own parameter instead
    body = re.sub(r'<html lang="[^"]*">', f'<html lang="{html_lang(lang)}">', body, count=1)
    toc = _toc(body, lang)
    if "<!-- an:title-end -->" in body:
        body = body.replace("<!-- an:toc -->", "", 1).replace("<!-- an:title-end -->", toc, 1)
    else:
        body = body.replace("<!-- an:toc -->", toc, 1)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(body, encoding="utf-8")
    return out_path


# --------------------------------------------------------------------------- index pages

_INDEX_CSS = """body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1000px;margin:0 auto;padding:1rem 1.5rem;color:#222}h1{border-bottom:3px solid #0072B2}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0 1.5rem}th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
th{background:#eef2f6}.ok{color:#006b4f;font-weight:bold}.failed{color:#b34700;font-weight:bold}
dl{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem}dt{font-weight:bold}dd{margin:0}
.units{columns:4;font-size:.88rem}.units li{break-inside:avoid}
.an-finder{list-style:none;padding:0;margin:0 0 1.5rem;font-size:.92rem}.an-finder li{margin:.25rem 0}
.an-muted{color:#666}"""


def _page(title: str, body: str, lang: str) -> str:
    return (f'<!DOCTYPE html><html lang="{html_lang(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>{html.escape(title)}</title>'
            f"<style>{_INDEX_CSS}</style></head><body>{body}</body></html>\n")


def finder_key(label: str) -> str:
    """What the unit finder matches a unit by: its code and name, the name's pinyin and its
    pinyin initials (``U017 示例惠通职业技术学院`` is found by ``u017``, ``惠通``, ``huitong`` or ``slhtzyjsxy``).

    >>> finder_key("U017 东岚区")
    'u017 东岚区 donglanqu dlq'
    """
    from pypinyin import Style, lazy_pinyin

    name = label.split(" ", 1)[1] if " " in label else label
    full = "".join(lazy_pinyin(name))
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    return " ".join(x for x in (label.lower(), full.lower(), initials.lower()) if x)


def finder_data(reports: list[dict[str, Any]], labels: dict[str, str], diagnoses: dict[str, str]) -> dict[str, list]:
    """What the unit finder of a period's index knows: every unit with rows in a report's tables
    or with a diagnosis page, and where to find it.

    ``reports``: ``[{title, html, units}]``, each report page and the units its tables hold;
    ``labels``: unit → how it is shown and found (``U017 名称``; the pseudonym in publish mode,
    so the finder holds nothing the pages do not); ``diagnoses``: unit → its diagnosis page.
    Returns ``{"reports": [[title, page]], "units": [[code, label, search key, diagnosis page or
    "", [report numbers]]]}`` (search key: :func:`finder_key`), units sorted by code.

    >>> finder_data([{"title": "年度统计", "html": "01.html", "units": ["U2", "U1"]}], {"U1": "U1 东岚区"},
    ...             {"U2": "units/U2.html"})["units"]
    [['U1', 'U1 东岚区', 'u1 东岚区 donglanqu dlq', '', [0]], ['U2', 'U2', 'u2 u2 u2', 'units/U2.html', [0]]]
    """
    found: dict[str, list[int]] = {u: [] for u in diagnoses}
    for i, report in enumerate(reports):
        for unit in report["units"]:
            found.setdefault(str(unit), []).append(i)
    units = []
    for code in sorted(found):
        label = labels.get(code) or code
        units.append([code, label, finder_key(label), diagnoses.get(code, ""), found[code]])
    return {"reports": [[r["title"], r["html"]] for r in reports], "units": units}


_FINDER_DATA = re.compile(r'<script type="application/json" id="an-finder-data">(.*?)</script>', re.S)


def _finder(zh: bool, data: dict[str, list]) -> str:
    """The unit finder (一站查询): type a code, a name, its pinyin or pinyin initials; each matching
    unit is listed with links to its diagnosis, its history and its rows in every report
    (``finder.js``), and the list of diagnoses narrows. Without scripts the whole list of
    diagnoses stays visible."""
    hint = "查找单位:代码、名称、拼音或拼音首字母" if zh else "Find a unit: code, name, pinyin or pinyin initials"
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    script = (TEMPLATE_DIR / "analysis" / "finder.js").read_text(encoding="utf-8")
    return (f'<h2>{"单位一站查询" if zh else "Find a unit"}</h2>'
            f'<p><input id="an-finder" type="search" placeholder="{hint}" aria-label="{hint}" style="width:26em"></p>'
            '<ul id="an-finder-results" class="an-finder"></ul>'
            f'<script type="application/json" id="an-finder-data">{payload}</script><script>{script}</script>')


def write_year_index(year_dir: str | Path, manifest: dict[str, Any], lang: str = "zh",
                     finder: dict[str, list] | None = None) -> Path:
    """``reports/<year>/index.html``: every report of the run with its status, cell and error, the
    unit finder (``finder``: :func:`finder_data`; None keeps the finder of the page already there,
    as when a topical report is added to the period) and the list of diagnoses."""
    year_dir = Path(year_dir)
    if finder is None:
        finder = _existing_finder(year_dir / "index.html")
    zh = lang == "zh"
    rows, unit_blocks = [], []
    for rep in manifest["notebooks"]:
        status = "ok" if rep["ok"] else "failed"
        status_text = ("成功" if zh else "ok") if rep["ok"] else ("失败" if zh else "failed")
        err = ""
        if not rep["ok"]:
            where = f"In [{rep.get('cell')}] " if rep.get("cell") is not None else ""
            err = html.escape(where + (rep.get("error") or ""))
        link = (f'<a href="{html.escape(rep["html"])}">{html.escape(rep["title"])}</a>'
                if rep.get("html") else html.escape(rep["title"]))
        audit = " ".join(f'<a href="{html.escape(rep[k])}">{k}</a>' for k in ("ipynb", "json") if rep.get(k))
        rows.append(f'<tr><td>{link}</td><td class="{status}">{status_text}</td><td>{err}</td>'
                    f'<td>{rep.get("seconds", 0):.1f}</td><td>{audit}</td></tr>')
        if rep.get("units"):
            items = []
            for u in rep["units"]:
                mark = "" if u["status"] == "ok" else f' <span class="failed" title="{html.escape(u["error"])}">✗ {"失败" if zh else "failed"}</span>'
                items.append(f'<li data-find="{html.escape(finder_key(u["label"]))}"><a href="{html.escape(u["html"])}">'
                             f'{html.escape(u["label"])}</a>{mark}</li>')
            unit_blocks.append(f'<h3>{html.escape(rep["title"])}</h3><ul class="units">{"".join(items)}</ul>')
    head = ["报告", "状态", "错误(单元格 / 原因)", "用时(秒)", "审计文件"] if zh else \
        ["Report", "Status", "Error (cell / reason)", "Seconds", "Audit files"]
    n_failed = sum(not r["ok"] for r in manifest["notebooks"])
    from .periods import Period

    label = Period.parse(manifest.get("label") or str(manifest["year"])).label(lang)
    meta = [("期别" if zh else "Period", label),
            ("生成时间" if zh else "Generated", manifest["finished"]),
            ("数据仓库哈希" if zh else "Warehouse hash", manifest["warehouse"].get("content_hash", "")),
            ("框架版本" if zh else "Framework version", str(manifest.get("framework_version", ""))),
            ("软件版本" if zh else "Software version", manifest["analysis_version"]),
            ("Git", manifest.get("git_commit") or "—")]
    title = f"{label}政治生态分析研判报告" if zh else f"Political ecology reports, {label}"
    body = (f"<h1>{html.escape(title)}</h1><dl>"
            + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in meta) + "</dl>"
            + (f'<p class="failed">{n_failed} {"份报告失败" if zh else "report(s) failed"}</p>' if n_failed else "")
            + "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
            + (_finder(zh, finder) if finder["units"] or unit_blocks else "")
            + (f'<h2>{"单位诊断书" if zh else "Unit diagnoses"}</h2>' + "".join(unit_blocks) if unit_blocks else "")
            + "".join(f'<h2>{heading}</h2><ul>' + "".join(
                f'<li><a href="{html.escape(a["html"])}">{html.escape(a["area"])}</a></li>' for a in manifest[key])
                + "</ul>" for key, heading in (("areas", "按分管领域汇总" if zh else "By leadership area"),
                                              ("regions", "片区报告" if zh else "Region reports")) if manifest.get(key))
            + _topic_list(year_dir, zh)
            + "<p>" + ("" if manifest.get("publish") else '<a href="manifest.json">manifest.json</a> · ')
            + '<a href="../index.html">' + ("全部期别" if zh else "All periods") + "</a></p>")
    summary = manifest.get("summary")
    if summary:  # the root index reads this line: no separate data file in the published folder
        body += f"<!-- {SUMMARY_MARK} {json.dumps(summary, ensure_ascii=False)} -->"
    path = year_dir / "index.html"
    path.write_text(_page(title, body, lang), encoding="utf-8")
    return path


SUMMARY_MARK = "analysis-site-summary"


def _existing_finder(index_html: Path) -> dict[str, list]:
    """The finder data of an index page already written (empty when there is none)."""
    found = _FINDER_DATA.search(index_html.read_text(encoding="utf-8")) if index_html.is_file() else None
    return json.loads(found.group(1)) if found else {"reports": [], "units": []}


def _summary(index_html: Path) -> dict | None:
    m = re.search(rf"<!-- {SUMMARY_MARK} (\{{.*?\}}) -->", index_html.read_text(encoding="utf-8"))
    return json.loads(m.group(1)) if m else None


def _topic_list(year_dir: Path, zh: bool) -> str:
    """Topical reports published into the year folder (``analysis topic``), linked by their titles."""
    items = []
    for page in sorted(year_dir.glob("topic_*.html")):
        found = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), flags=re.S)
        items.append(f'<li><a href="{html.escape(page.name)}">{found.group(1).strip() if found else page.stem}</a></li>')
    return (f'<h2>{"专题报告" if zh else "Topical reports"}</h2><ul>' + "".join(items) + "</ul>") if items else ""


def write_site_index(out: str | Path, lang: str = "zh") -> Path:
    """``reports/index.html``: one row per report set (a year, half year or quarter) whose index
    page carries the runner's summary line (label and counts, nothing from the audit files), the
    topical reports published beside it counted in."""
    out = Path(out)
    zh = lang == "zh"
    rows = []
    for summary_path in sorted(out.glob("*/index.html"), reverse=True):
        m = _summary(summary_path)
        if m is None:
            continue
        n = m["n_reports"] + len(list(summary_path.parent.glob("topic_*.html")))
        failed = m["n_failed"]
        status = (f'<span class="ok">{"全部成功" if zh else "all ok"}</span>' if not failed
                  else f'<span class="failed">{failed} {"失败" if zh else "failed"}</span>')
        rows.append(f'<tr><td><a href="{summary_path.parent.name}/index.html">{html.escape(m["label"])}</a></td>'
                    f"<td>{n}</td><td>{status}</td></tr>")
    head = ["期别", "报告数", "状态"] if zh else ["Period", "Reports", "Status"]
    title = "政治生态分析研判报告" if zh else "Political ecology reports"
    body = (f"<h1>{title}</h1><table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    path = out / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page(title, body, lang), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- PDF

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium_path() -> str | None:
    """The system Chromium (Debian's ``chromium``, installed by ``make browser``), or None."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(html_path: str | Path, pdf_path: str | Path, timeout: float = 180) -> Path:
    """Print one report page to PDF through headless Chromium (the page's print stylesheet applies).

    A4, no header or footer lines, background colours kept (grade cells). The browser runs
    with networking off and a throw-away profile; the page itself is offline. Raises
    ``RuntimeError`` (Chinese / English) when Chromium is missing or prints nothing.
    """
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    browser = chromium_path()
    if browser is None:
        raise RuntimeError("找不到 chromium,请运行 make browser / chromium not found: run `make browser`")
    if not html_path.is_file():
        raise FileNotFoundError(f"找不到报告 {html_path} / report not found: {html_path}")
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    pdf_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                               "--run-all-compositor-stages-before-draw", f"--print-to-pdf={pdf_path}",
                               html_path.as_uri()],
                              capture_output=True, text=True, timeout=timeout, check=False)
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"PDF 生成失败 / PDF printing failed: {html_path} ({done.stderr.strip()[-300:]})")
    return pdf_path


# --------------------------------------------------------------------------- officials' workbook

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_names(names: list[str]) -> list[str]:
    """Excel-valid, unique sheet names (≤ 31 characters, no ``[]:*?/\\``), in order.

    >>> sheet_names(["表 1 等级汇总:各片区", "表 1 等级汇总:各片区", "x" * 40])
    ['表 1 等级汇总_各片区', '表 1 等级汇总_各片区 (2)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    out: list[str] = []
    taken = {"目录"}
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", str(name)).strip("' ") or "表"
        candidate, i = base[:31], 2
        while candidate.lower() in {t.lower() for t in taken}:
            suffix = f" ({i})"
            candidate, i = base[:31 - len(suffix)] + suffix, i + 1
        taken.add(candidate)
        out.append(candidate)
    return out


def reproducible_xlsx(data: bytes) -> bytes:
    """The same workbook with the creation time and every ZIP entry's time set to a fixed date,
    so that the same tables give the same bytes (a writer stamps the current time into
    ``docProps/core.xml`` and into every ZIP entry)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_XLSX_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    return out.getvalue()


def excel_values(values: pd.Series) -> list:
    """The cells of one column as a workbook writes them: Python numbers, text, booleans and
    datetimes; None where missing; ±inf as the text ``inf`` / ``-inf`` (Excel has no infinity);
    datetimes with a time zone as text (Excel has no time zones).

    >>> excel_values(pd.Series([1.5, float("nan"), float("inf")]))
    [1.5, None, 'inf']
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.astype(str).where(values.notna())
    cells = values.astype(object).where(values.notna(), None).tolist()
    out = []
    for v in cells:
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and v in (float("inf"), float("-inf")):
            v = "inf" if v > 0 else "-inf"
        out.append(v)
    return out


def _workbook(buf) -> Any:
    """An XlsxWriter workbook streaming its rows (constant memory), writing text as text: no
    string becomes a formula, a number or a link behind the caller's back."""
    import xlsxwriter

    return xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False,
                                     "default_date_format": "yyyy-mm-dd hh:mm:ss"})


def _close(wb, buf) -> bytes:
    wb.close()
    return reproducible_xlsx(buf.getvalue())


def xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """One table as XLSX bytes: column names in row 1, typed cells (numbers stay numbers, codes
    such as ``010`` stay text), formulas neutralised, byte-identical for identical input.

    Written with XlsxWriter, rows streamed: a 21,000 × 16 table takes 2.5 s against 4.6 s in
    openpyxl's write-only mode (which this replaced) and 8 s for ``DataFrame.to_excel``
    (``benchmarks/bench_tables.py``).
    """
    buf = io.BytesIO()
    wb = _workbook(buf)
    ws = wb.add_worksheet(sheet_names([sheet or "data"])[0])
    data = neutralise_formulas(df)
    ws.write_row(0, 0, [c if isinstance(c, (str, int, float)) else str(c) for c in data.columns])
    for r, row in enumerate(zip(*(excel_values(data.iloc[:, j]) for j in range(data.shape[1]))), start=1):
        ws.write_row(r, 0, row)
    return _close(wb, buf)


def table_xlsx(table: dict[str, Any]) -> bytes:
    """The XLSX of a table of :func:`read_tables` (the file beside its CSV under ``tables/``)."""
    return xlsx_bytes(table_frame(table), sheet=table["name"])


#: number format of a workbook cell by the column's kind (:func:`analysis.glossary.kind_of`)
_NUMBER_FORMATS = {"percent": "0.0%", "p": "0.000", "count": "#,##0", "rank": "0", "year": "0",
                   "score": "0.00", "number": "0.00", "slope": "0.000"}


#: a table longer than this is not copied into the officials' workbook: its contents row links
#: the table's own XLSX file instead (see docs/decisions.md, "The officials' workbook")
WORKBOOK_MAX_ROWS = 5000


def write_workbook(tables: list[tuple], path: str | Path, lang: str = "zh", title: str = "",
                   max_rows: int = WORKBOOK_MAX_ROWS) -> Path:
    """One workbook for officials: a contents sheet with links, then one sheet per table.

    ``tables`` is ``[(name, caption, DataFrame)]`` or ``[(name, caption, DataFrame, file)]``;
    the sheet name is the (Chinese) name made Excel-valid and unique (:func:`sheet_names`).
    Every sheet has its caption in row 1, the column labels of the glossary in row 2 (frozen
    below it, with an autofilter), grade cells in the grade colours, and number formats by the
    column's kind (percent, p-value, counts, two decimals). Text that a spreadsheet would run as
    a formula is neutralised. A table of more than ``max_rows`` rows that has a ``file`` (its own
    XLSX, relative to ``path``) gets no sheet: its contents row links that file. Written with
    XlsxWriter, rows streamed, byte-identical for the same tables. Returns the path.
    """
    buf = io.BytesIO()
    wb = _workbook(buf)
    names = sheet_names([t[0] for t in tables])
    files = [t[3] if len(t) > 3 and len(t[2]) > max_rows else None for t in tables]
    _contents_sheet(wb, title, [t[1] for t in tables], names, [len(t[2]) for t in tables], files, lang)
    for (_, caption, df, *_), sheet, file in zip(tables, names, files):
        if not file:
            _table_sheet(wb, wb.add_worksheet(sheet), str(caption), neutralise_formulas(df.reset_index(drop=True)), lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_close(wb, buf))  # same tables, same bytes
    return path


def _contents_sheet(wb, title: str, captions: list, sheets: list[str], rows: list[int], files: list,
                    lang: str) -> None:
    """The first sheet: the title, then one row per table with a link to its sheet, or to its own
    file where the table is too long for this workbook."""
    zh = lang == "zh"
    toc = wb.add_worksheet("目录" if zh else "Contents")
    toc.set_column(1, 1, 34)
    toc.set_column(2, 2, 60)
    toc.freeze_panes(2, 0)
    toc.write(0, 0, title or ("目录" if zh else "Contents"), wb.add_format({"bold": True, "font_size": 14}))
    toc.write_row(1, 0, ["序号", "工作表", "表名", "行数"] if zh else ["No.", "Sheet", "Table", "Rows"],
                  wb.add_format({"bold": True}))
    for i, (caption, sheet, n, file) in enumerate(zip(captions, sheets, rows, files), start=1):
        if file:  # a link to the table's own file, beside this workbook
            toc.write_url(i + 1, 1, f"external:{file}", string=file)
            caption = f"{caption}({'行数较多,见单独文件' if zh else 'long table: in its own file'})"
        else:  # a link inside the workbook
            toc.write_url(i + 1, 1, f"internal:'{sheet}'!A1", string=sheet)
        toc.write(i + 1, 0, i)
        toc.write_row(i + 1, 2, [str(caption), n])


def _table_sheet(wb, ws, caption: str, data: pd.DataFrame, lang: str) -> None:
    """One table's sheet: caption, labelled and frozen header row with an autofilter, typed cells
    with the number format of their column, grade cells in their colours."""
    from .glossary import column_label, kind_of

    bold = wb.add_format({"bold": True})
    for j, col in enumerate(data.columns):
        width = max([len(str(column_label(col, lang))) * 2] + [len(str(v)) for v in data[col].head(200)]) + 2
        ws.set_column(j, j, min(60, max(8, width)))
    ws.freeze_panes(2, 0)
    if len(data.columns):
        ws.autofilter(1, 0, len(data) + 1, len(data.columns) - 1)
    ws.write(0, 0, caption, bold)
    ws.write_row(1, 0, [column_label(c, lang) for c in data.columns], bold)
    columns = [_sheet_column(wb, data.iloc[:, j], str(col), kind_of(col), lang) for j, col in enumerate(data.columns)]
    for r, row in enumerate(zip(*columns), start=2):
        for c, (style, value) in enumerate(row):
            ws.write(r, c, value, style)


def _sheet_column(wb, values: pd.Series, column: str, kind: str, lang: str) -> list[tuple[Any, Any]]:
    """``(format, value)`` of every cell of a column: the value as written (grade labels, category
    labels, numbers) and the column's format (number format; fill and font by grade), or None."""
    from .glossary import value_label
    from .plots import GRADES, grade_code, grade_label

    cells = excel_values(values)
    if kind != "code":
        labels = {v: value_label(v, lang, column) for v in set(cells)
                  if isinstance(v, str) and not (kind == "grade" and grade_code(v))}
        cells = [labels.get(v, v) if isinstance(v, str) else v for v in cells]
    if kind == "grade":
        fills = {code: wb.add_format({"pattern": 1, "bg_color": colour, "bold": True,
                                      "font_color": "#FFFFFF" if code in ("green", "blue") else "#000000"})
                 for code, (_, colour, *_) in GRADES.items()}
        codes = [grade_code(v) if v is not None else None for v in cells]
        return [(fills[code], grade_label(v, lang)) if code else (None, v) for code, v in zip(codes, cells)]
    numbers = pd.to_numeric(values, errors="coerce").abs().dropna()
    fraction = kind == "percent" and bool(numbers.le(1 + 1e-9).all())
    number_format = _NUMBER_FORMATS.get(kind) if kind != "percent" or fraction else '0.0"%"'
    if not number_format:
        return [(None, v) for v in cells]
    style = wb.add_format({"num_format": number_format})
    return [(style, v) if isinstance(v, (int, float)) and not isinstance(v, bool) else (None, v) for v in cells]


def workbook_tables(nb_tables: list[dict[str, Any]], folder: str = "") -> list[tuple[str, str, pd.DataFrame, str]]:
    """``(name, caption, DataFrame, file)`` of the tables :func:`read_tables` returns, typed
    (:func:`table_frame`: codes such as ``010`` stay text). The sheet name is the caption (made
    Excel-valid by :func:`write_workbook`); ``file`` is the table's own XLSX under ``folder``
    (where the runner writes it), "" without a folder."""
    out = []
    for t in nb_tables:
        if not t.get("csv"):
            continue
        caption = str(t.get("caption") or t["name"])
        out.append((caption, caption, table_frame(t), f"{folder}/{t['name']}.xlsx" if folder else ""))
    return out


def write_area_pages(folder: str | Path, digest: pd.DataFrame, label: str, lang: str = "zh",
                     unit_pages: dict[str, str] | None = None, by: str = "area",
                     standing: pd.DataFrame | None = None) -> list[dict[str, str]]:
    """One page per leadership area (分管领域, ``by="area"``), addressed to the member responsible
    for it, or per region (``by="region"``): the group's units with index, grade, rank, change on
    the previous period and warnings, each linked to its diagnosis. ``digest`` is
    :func:`analysis.summaries.area_digest`; ``unit_pages`` maps a unit to its diagnosis page
    relative to ``folder``; ``standing`` (:func:`analysis.summaries.region_standing`) adds the
    region's place in the regional comparison. Returns ``[{area, html}]`` for the index."""
    from .glossary import column_label, format_number, value_label
    from .plots import grade_label

    folder = Path(folder)
    zh = lang == "zh"
    unit_pages = unit_pages or {}
    out = []
    for i, (area, part) in enumerate(digest.groupby(by, sort=True), start=1):
        cols = ["unit_id", f"name_{lang}", "type", "score", "grade", "rank", "change", "n_warnings"]
        head = "".join(f"<th>{html.escape(column_label(c, lang))}</th>" for c in cols)
        rows = []
        for r in part.itertuples(index=False):
            link = unit_pages.get(str(r.unit_id))
            uid = html.escape(str(r.unit_id))
            cells = [f'<a href="../{html.escape(link)}">{uid}</a>' if link else uid,
                     html.escape(str(getattr(r, f"name_{lang}") or "")), html.escape(value_label(r.type, lang, column="type")),
                     format_number(r.score, "score"), f'<span class="grade-{r.grade}">{html.escape(grade_label(r.grade, lang))}</span>'
                     if isinstance(r.grade, str) else "—", format_number(r.rank, "rank"), format_number(r.change, "score"),
                     format_number(r.n_warnings, "count")]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        red = int((part.grade == "red").sum())
        kind = ({"area": ("分管领域单位诊断汇总", "units of the area"), "region": ("片区报告", "region report")}[by])
        title = f"{area} · {kind[0]} · {label}" if zh else f"{area} · {kind[1]} · {label}"
        intro = (f"本组 {len(part)} 个单位,其中红色等级 {red} 个;点击单位代码查看其诊断书。" if zh else
                 f"{len(part)} units, {red} of them red; follow a unit code to its diagnosis.")
        if standing is not None and area in set(standing.region):
            st = standing.set_index("region").loc[area]
            trend = ("无显著整体趋势" if zh else "no significant trend as a whole") if not st.p < 0.05 else (
                (f"整体{'改善' if st.slope > 0 else '下降'}(每年 {st.slope:+.2f} 分,p {'< 0.001' if st.p < 0.001 else f'= {st.p:.3f}'})")
                if zh else (f"{'improving' if st.slope > 0 else 'declining'} as a whole ({st.slope:+.2f} points a year, "
                            f"p {'< 0.001' if st.p < 0.001 else f'= {st.p:.3f}'})"))
            intro += (f" 片区平均综合指数 {st.mean_score:.1f},在 {len(standing)} 个片区中排第 {int(st['rank'])} 名;{trend}。"
                      if zh else f" Mean index {st.mean_score:.1f}, rank {int(st['rank'])} of {len(standing)} regions; {trend}.")
        body = (f"<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p><table><thead><tr>{head}</tr></thead><tbody>"
                + "".join(rows) + "</tbody></table>"
                + f'<p><a href="../index.html">{"返回本期索引" if zh else "Back to the index"}</a></p>')
        sub = "areas" if by == "area" else "regions"
        path = folder / sub / f"{by}-{i:02d}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_page(title, body, lang), encoding="utf-8")
        out.append({"area": str(area), "html": f"{sub}/{path.name}"})
    return out
