"""The report site: HTML export of executed notebooks, unit pages, index pages, PDF and workbook.

Used by the runner (never inside a kernel). :func:`export_html` converts an executed notebook
with nbconvert's ``HTMLExporter`` in-process through the project template
``templates/analysis``: it extends ``lab`` but replaces JupyterLab's 270 KB stylesheet with the
project's trimmed one (``report.css``, screen and print) and embeds the small table script
(``tables.js``), so every page is one offline file. :func:`split_units` cuts a diagnosis batch
notebook into one notebook per unit; :func:`read_tables` and :func:`read_keys` read back the
tables and key numbers that :class:`analysis.report.Report` recorded as custom MIME outputs.
:func:`write_pdf` prints a page through headless Chromium; :func:`write_workbook` writes the
officials' workbook ``results.xlsx``.
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
from pathlib import Path
from typing import Any

import pandas as pd

from .report import (CUSTOM_MIMES, KEYS_MIME, SECTION_MIME, TABLE_MIME, TEMPLATE_DIR, neutralise_formulas,
                     reproducible_xlsx)

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


_DOWNLOAD = re.compile(r'download="([^"]+)\.(csv|xlsx)" href="data:[^;]+;(?:charset=utf-8;)?base64,([^"]+)"')


def read_tables(nb) -> list[dict[str, Any]]:
    """Tables shown with :meth:`Report.table`: ``name, caption, section, csv`` (bytes), ``xlsx`` (bytes).

    The CSV is decoded from the table's download link, the XLSX from the table's record
    (the page itself offers only the CSV).
    """
    tables = []
    for out in _outputs(nb):
        data = out.get("data", {})
        if TABLE_MIME not in data:
            continue
        files = {ext: base64.b64decode(b64) for _, ext, b64 in _DOWNLOAD.findall(data.get("text/html", ""))}
        meta = dict(data[TABLE_MIME])
        xlsx = base64.b64decode(meta.pop("xlsx")) if meta.get("xlsx") else files.get("xlsx", b"")
        tables.append(meta | {"csv": files.get("csv", b""), "xlsx": xlsx})
    return tables


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


def _prepare(nb, lang: str, show_code: bool):
    """Copy of ``nb`` ready for export: other language cells, machine outputs and stderr removed."""
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
                title: str | None = None, footer: str = "") -> Path:
    """Write one offline HTML file for an executed notebook (code hidden unless ``show_code``)."""
    from . import __version__

    nb = _prepare(nb, lang, show_code)
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
.units{columns:4;font-size:.88rem}.units li{break-inside:avoid}"""


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


def _finder(zh: bool) -> str:
    """The unit finder (一站查询): type a code, a name or its pinyin initials; the list of
    diagnoses narrows as you type. Without scripts the whole list stays visible."""
    hint = "查找单位:代码、名称或拼音首字母" if zh else "Find a unit: code, name or pinyin initials"
    return (f'<p><input id="an-finder" type="search" placeholder="{hint}" aria-label="{hint}" style="width:24em"></p>'
            "<script>document.getElementById('an-finder').addEventListener('input',function(e){"
            "var q=e.target.value.trim().toLowerCase();document.querySelectorAll('li[data-find]').forEach(function(li){"
            "li.style.display=!q||li.getAttribute('data-find').indexOf(q)>=0?'':'none';});});</script>")


def write_year_index(year_dir: str | Path, manifest: dict[str, Any], lang: str = "zh") -> Path:
    """``reports/<year>/index.html``: every report of the run with its status, cell and error."""
    year_dir = Path(year_dir)
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
            + (f'<h2>{"单位诊断书" if zh else "Unit diagnoses"}</h2>' + _finder(zh) + "".join(unit_blocks)
               if unit_blocks else "")
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


def write_workbook(tables: list[tuple[str, str, pd.DataFrame]], path: str | Path, lang: str = "zh",
                   title: str = "") -> Path:
    """One workbook for officials: a contents sheet with links, then one sheet per table.

    ``tables`` is ``[(name, caption, DataFrame)]``; the sheet name is the (Chinese) name made
    Excel-valid and unique (:func:`sheet_names`). Every sheet has its caption in row 1, the
    column labels of the glossary in row 2 (frozen below it, with an autofilter), grade cells
    in the grade colours, and number formats by the column's kind (percent, p-value, counts,
    two decimals). Text that a spreadsheet would run as a formula is neutralised. Returns the path.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    from .glossary import column_label, kind_of, value_label
    from .plots import GRADES, grade_code, grade_label

    formats = {"percent": "0.0%", "p": "0.000", "count": "#,##0", "rank": "0", "year": "0",
               "score": "0.00", "number": "0.00", "slope": "0.000"}
    zh = lang == "zh"
    wb = Workbook()
    toc = wb.active
    toc.title = "目录" if zh else "Contents"
    toc["A1"] = title or ("目录" if zh else "Contents")
    toc["A1"].font = Font(bold=True, size=14)
    toc.append(["序号" if zh else "No.", "工作表" if zh else "Sheet", "表名" if zh else "Table", "行数" if zh else "Rows"])
    for cell in toc[2]:
        cell.font = Font(bold=True)
    names = sheet_names([n for n, _, _ in tables])
    for i, ((_, caption, df), sheet) in enumerate(zip(tables, names), start=1):
        ws = wb.create_sheet(sheet)
        data = neutralise_formulas(df.reset_index(drop=True))
        ws["A1"] = str(caption)
        ws["A1"].font = Font(bold=True)
        ws.append([column_label(c, lang) for c in data.columns])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        kinds = [kind_of(c) for c in data.columns]
        for row in data.itertuples(index=False):
            values = []
            for value, kind, col in zip(row, kinds, data.columns):
                if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                    values.append(None)
                elif kind == "grade" and grade_code(value):
                    values.append(grade_label(value, lang))
                elif isinstance(value, str):
                    values.append(value_label(value, lang, col) if kind != "code" else value)
                elif hasattr(value, "item"):
                    values.append(value.item())
                else:
                    values.append(value)
            ws.append(values)
        for j, (col, kind) in enumerate(zip(data.columns, kinds), start=1):
            letter = get_column_letter(j)
            fraction = kind == "percent" and pd.to_numeric(data[col], errors="coerce").abs().dropna().le(1 + 1e-9).all()
            number_format = formats.get(kind) if kind != "percent" or fraction else '0.0"%"'
            width = max([len(str(column_label(col, lang))) * 2] + [len(str(v)) for v in data[col].head(200)]) + 2
            ws.column_dimensions[letter].width = min(60, max(8, width))
            for r in range(3, len(data) + 3):
                cell = ws.cell(row=r, column=j)
                if kind == "grade":
                    code = grade_code(data[col].iat[r - 3])
                    if code:
                        cell.fill = PatternFill("solid", fgColor=GRADES[code][1].lstrip("#"))
                        cell.font = Font(bold=True, color="FFFFFF" if code in ("green", "blue") else "000000")
                elif number_format and isinstance(cell.value, (int, float)):
                    cell.number_format = number_format
        ws.freeze_panes = "A3"
        if len(data.columns):
            ws.auto_filter.ref = f"A2:{get_column_letter(len(data.columns))}{len(data) + 2}"
        toc.append([i, sheet, str(caption), len(data)])
        link = toc.cell(row=toc.max_row, column=2)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!A1")  # a link inside the workbook
        link.style = "Hyperlink"
    toc.column_dimensions["B"].width = 34
    toc.column_dimensions["C"].width = 60
    toc.freeze_panes = "A3"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    wb.save(buf)
    Path(path).write_bytes(reproducible_xlsx(buf.getvalue()))  # same tables, same bytes
    return path


def workbook_tables(nb_tables: list[dict[str, Any]]) -> list[tuple[str, str, pd.DataFrame]]:
    """``(name, caption, DataFrame)`` of the tables :func:`read_tables` returns.

    Read from the table's XLSX (typed: codes such as ``010`` stay text), else from its CSV.
    The sheet name is the caption (made Excel-valid by :func:`write_workbook`).
    """
    import io

    out = []
    for t in nb_tables:
        if t.get("xlsx"):
            df = pd.read_excel(io.BytesIO(t["xlsx"]), engine="openpyxl")
        elif t.get("csv"):
            df = pd.read_csv(io.BytesIO(t["csv"]), encoding="utf-8-sig", dtype=str)
        else:
            continue
        caption = str(t.get("caption") or t["name"])
        out.append((caption, caption, df))
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
