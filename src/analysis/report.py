"""HTML reports: notebook-side building blocks and the in-process HTML export.

Two halves, one module:

* :class:`Report` is used *inside* a notebook. It shows the title block, numbered figures
  and tables with captions, methods and data-coverage notes, and records the key numbers of
  the report. Each table carries CSV and XLSX downloads as ``data:`` URIs ("one-click
  export") with spreadsheet formula injection neutralised. Only light imports at module level,
  so a kernel pays nothing for the exporter.
* :func:`export_html` (used by the runner) converts an executed notebook with nbconvert's
  ``HTMLExporter`` in-process (0.13 s against 1.3 s for the CLI, see
  ``anchors-reporting.md``) through the project template ``templates/analysis``, which extends
  ``lab`` and drops the CDN scripts (require.js, MathJax, mermaid): one offline file.
  :func:`split_units` cuts a diagnosis batch notebook into one notebook per unit.

Machine-readable outputs travel as custom MIME types in the executed notebook (no files are
written by the kernel): key numbers (:data:`KEYS_MIME`), tables (:data:`TABLE_MIME`) and unit
section markers (:data:`SECTION_MIME`). The runner reads them back with nbformat.
"""
from __future__ import annotations

import base64
import copy
import functools
import html
import io
import json
import math
import re
import traceback
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

KEYS_MIME = "application/vnd.analysis.keys+json"
TABLE_MIME = "application/vnd.analysis.table+json"
SECTION_MIME = "application/vnd.analysis.section+json"
CUSTOM_MIMES = (KEYS_MIME, TABLE_MIME, SECTION_MIME)
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: fixed timestamp written into XLSX files so that a rerun gives identical bytes
_XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------- export helpers

def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells (and column names) a spreadsheet would run as a formula get a leading ``'``.

    OWASP "CSV Injection": ``= + - @`` tab or CR at the start of a text cell. Numbers are left
    alone. The rule lives in :func:`analysis.publish.neutralise_formulas` (one place for it).
    """
    from .publish import neutralise_formulas as shared

    return shared(df)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel opens Chinese text correctly), formulas neutralised."""
    return neutralise_formulas(df).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """XLSX bytes, formulas neutralised, byte-identical for identical input.

    openpyxl stamps the current time into ``docProps/core.xml`` and into every ZIP entry;
    both are replaced by a fixed timestamp.
    """
    buf = io.BytesIO()
    neutralise_formulas(df).to_excel(buf, index=False, sheet_name=sheet[:31] or "data", engine="openpyxl")
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
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


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if value is pd.NA or value is None:
        return None
    if isinstance(value, pd.Series):
        return _json_safe(value.to_dict())
    if isinstance(value, pd.DataFrame):
        return _json_safe(value.to_dict(orient="records"))
    return value


def _fmt(value: Any) -> tuple[str, bool]:
    """Cell text and whether it is numeric (right-aligned)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—", False
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)), False
    if isinstance(value, (int, np.integer)):
        return f"{int(value)}".replace("-", "−"), True
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v != 0 and abs(v) < 0.001:
            return f"{v:.2e}".replace("-", "−"), True
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v)}".replace("-", "−"), True  # years and counts stored as float
        return f"{v:.3f}".rstrip("0").rstrip(".").replace("-", "−"), True
    return str(value), False


# --------------------------------------------------------------------------- notebook side


#: Display labels of the column names used across the package (the downloads keep the names).
COLUMN_LABELS = {
    "unit_id": ("单位代码", "Unit"), "name_zh": ("单位名称", "Name"), "name_en": ("单位名称", "Name"),
    "unit": ("单位", "Unit"), "type": ("单位类型", "Type"), "region": ("片区", "Region"), "year": ("年度", "Year"),
    "period": ("期别", "Period"), "node": ("指标代码", "Node"), "indicator": ("指标代码", "Indicator"),
    "name": ("名称", "Name"), "dimension": ("维度", "Dimension"), "level": ("层级", "Level"),
    "value": ("数值", "Value"), "score": ("得分", "Score"), "rank": ("排名", "Rank"),
    "rank_in_type": ("类内排名", "Rank in type"), "rank_in_region": ("片区内排名", "Rank in region"),
    "rank_change": ("排名变化", "Rank change"), "grade": ("等级", "Grade"),
    "red_line_codes": ("一票否决事项", "Red lines"), "n": ("数量", "n"), "n_units": ("单位数", "Units"),
    "mean": ("均值", "Mean"), "sd": ("标准差", "SD"), "median": ("中位数", "Median"), "min": ("最小值", "Min"),
    "max": ("最大值", "Max"), "cv": ("变异系数", "CV"), "p": ("p 值", "p"), "p_adj": ("校正 p 值", "adjusted p"),
    "statistic": ("统计量", "Statistic"), "effect_size": ("效应量", "Effect size"), "slope": ("斜率", "Slope"),
    "ci_low": ("置信下限", "CI low"), "ci_high": ("置信上限", "CI high"), "change": ("变化", "Change"),
    "contribution": ("贡献", "Contribution"), "share": ("占比", "Share"), "reason": ("说明", "Reason"),
    "classification": ("判定", "Classification"), "direction": ("方向", "Direction"), "status": ("状态", "Status"),
    "aspect": ("方面", "Aspect"), "category": ("问题类别", "Category"), "source": ("来源", "Source"),
    "coverage": ("覆盖率", "Coverage"), "expected": ("应报单位数", "Expected"), "reported": ("已报单位数", "Reported"),
    "missing": ("缺失数", "Missing"), "previous": ("上期值", "Previous"), "kind": ("类型", "Kind"),
    "message": ("说明", "Message"), "position": ("位次", "Position"), "normalised": ("标准化得分", "Normalised"),
}


def column_label(column, lang: str = "zh") -> str:
    """The label shown in a report's table header for a column name (unknown names unchanged)."""
    pair = COLUMN_LABELS.get(str(column))
    return str(column) if pair is None else pair[0 if lang == "zh" else 1]


class Report:
    """Building blocks of one report, used inside a notebook.

    >>> rp = Report(lang="zh", notebook="01_yearly_statistics")   # doctest: +SKIP
    >>> rp.figure(fig, "各单位综合指数分布")                        # doctest: +SKIP
    >>> rp.table(df, "等级汇总", name="grades")                     # doctest: +SKIP
    >>> rp.key("n_units", 80)                                       # doctest: +SKIP

    Figures and tables are numbered in order (图 1, 表 1 …); numbering restarts in every
    unit section of a diagnosis batch, so each unit's page reads on its own.
    """

    def __init__(self, lang: str = "zh", notebook: str = "", display: Callable | None = None,
                 publish: bool = False, key: bytes | str | Path | None = None):
        if lang not in ("zh", "en"):
            raise ValueError(f"语言须为 zh 或 en / lang must be 'zh' or 'en', got {lang!r}")
        self.lang = lang
        self.publish = publish
        self.pseudonym_key = key  # HMAC key of analysis.publish (None: its default key file)
        self._pseudonyms: dict[str, str] = {}
        self.notebook = notebook
        self._display = display
        self.n_figures = 0
        self.n_tables = 0
        self.keys: dict[str, Any] = {}
        self._table_names: set[str] = set()
        self._section: str | None = None

    # -- output plumbing
    def _emit(self, html_text: str, extra: dict[str, Any] | None = None) -> None:
        bundle = {"text/html": html_text}
        if extra:
            bundle.update(extra)
        if self._display is not None:
            self._display(bundle)
            return
        from IPython.display import display

        display(bundle, raw=True)

    def t(self, zh: str, en: str) -> str:
        """The text in the report language."""
        return zh if self.lang == "zh" else en

    def label(self, unit_id: object, name: object = "") -> str:
        """How a unit is shown: ``U017 名称``, or its keyed pseudonym in publish mode."""
        if not self.publish:
            return f"{unit_id} {name}".strip()
        from .publish import pseudonym, _key

        uid = str(unit_id)
        if uid not in self._pseudonyms:
            self._pseudonyms[uid] = pseudonym(uid, _key(self.pseudonym_key), lang=self.lang)
        return self._pseudonyms[uid]

    def pick(self, text: object) -> str:
        """The report-language half of a bilingual ``"中文 / English"`` message."""
        text = "" if text is None else str(text)
        if " / " not in text:
            return text
        zh, en = text.split(" / ", 1)
        return zh if self.lang == "zh" else en

    def bilingual(self, df: pd.DataFrame, columns: Iterable[str] = ("message", "reason")) -> pd.DataFrame:
        """Copy of ``df`` with bilingual message columns reduced to the report language."""
        out = df.copy()
        for col in columns:
            if col in out.columns:
                out[col] = out[col].map(self.pick)
        return out

    # -- blocks
    def title(self, title: str, year: int | None = None, subtitle: str = "", data_as_of: str = "",
              authors: Iterable[str] = (), partners: Iterable[str] = (), version: str = "",
              extra: dict[str, str] | None = None) -> None:
        """Title block: title, year, data as of, authors and partners, version."""
        rows = []
        if year is not None:
            rows.append((self.t("年度", "Year"), str(year)))
        if data_as_of:
            rows.append((self.t("数据截至", "Data as of"), data_as_of))
        if authors:
            rows.append((self.t("作者", "Authors"), "、".join(authors) if self.lang == "zh" else ", ".join(authors)))
        if partners:
            rows.append((self.t("合作单位", "Partners"), "、".join(partners) if self.lang == "zh" else ", ".join(partners)))
        if version:
            rows.append((self.t("版本", "Version"), version))
        for k, v in (extra or {}).items():
            rows.append((k, v))
        dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
        sub = f'<div class="an-subtitle">{html.escape(subtitle)}</div>' if subtitle else ""
        self._emit(f'<header class="an-title"><h1 id="title">{html.escape(title)}</h1>{sub}<dl>{dl}</dl></header>'
                   "<!-- an:title-end -->")

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> None:
        """A section heading that enters the table of contents."""
        anchor = anchor or "sec-" + re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "-", text).strip("-")
        self._emit(f'<h{level} id="{html.escape(anchor)}">{html.escape(text)}</h{level}>')

    def text(self, text: str) -> None:
        """A paragraph of narrative (plain text, escaped)."""
        self._emit(f"<p>{html.escape(text)}</p>")

    def note(self, text: str, kind: str = "methods", title: str | None = None) -> None:
        """A boxed note: ``methods`` (方法说明), ``coverage`` (数据覆盖说明) or ``warning`` (提示)."""
        default = {"methods": self.t("方法说明", "Methods note"), "coverage": self.t("数据覆盖说明", "Data coverage"),
                   "warning": self.t("提示", "Warning")}
        head = title or default.get(kind, "")
        self._emit(f'<div class="an-note an-{html.escape(kind)}"><b>{html.escape(head)}</b>'
                   f"<p>{html.escape(text)}</p></div>")

    def figure(self, fig, caption: str) -> None:
        """Show a matplotlib figure as deterministic SVG with a numbered caption, then close it."""
        import matplotlib.pyplot as plt

        from .plots import svg_bytes

        self.n_figures += 1
        data = base64.b64encode(svg_bytes(fig)).decode("ascii")
        plt.close(fig)
        label = self.t(f"图 {self.n_figures}", f"Figure {self.n_figures}")
        self._emit(f'<figure class="an-figure" id="{self._anchor("fig", self.n_figures)}">'
                   f'<img alt="{html.escape(caption)}" src="data:image/svg+xml;base64,{data}">'
                   f"<figcaption><b>{label}</b>{html.escape(caption)}</figcaption></figure>")

    def table(self, df: pd.DataFrame, caption: str, name: str, grade_cols: Iterable[str] = ("grade",),
              index: bool = False, export: bool = True, max_rows: int = 300) -> None:
        """Show a numbered table with caption and CSV/XLSX downloads; record it for the runner.

        ``name`` names the downloaded files (``<name>.csv``); grade columns are shown with the
        grade letter and colour. The page shows at most ``max_rows`` rows (with a note); the
        downloads always hold the whole table.
        """
        from .plots import grade_code, grade_label
        from .publish import safe_table, suppression_note

        self.n_tables += 1
        data = df.reset_index() if index else df.reset_index(drop=True)
        # publish mode: pseudonyms, no names or free text, small counts suppressed; internal
        # reports keep free text; person columns are dropped in every mode
        data = safe_table(data, publish=self.publish, key=self.pseudonym_key, lang=self.lang, internal=not self.publish)
        note = suppression_note(data, self.lang)
        if note:
            caption = f"{caption}({note})" if self.lang == "zh" else f"{caption} ({note})"
        grade_cols = [c for c in grade_cols if c in data.columns]
        head = "".join(f'<th title="{html.escape(str(c))}">{html.escape(column_label(c, self.lang))}</th>'
                       for c in data.columns)
        body = []
        shown = data.head(max_rows)
        if len(data) > max_rows:
            more = self.t(f"页面显示前 {max_rows} 行,共 {len(data)} 行;完整表格请下载",
                          f"first {max_rows} of {len(data)} rows shown; download for the full table")
            caption = f"{caption}({more})" if self.lang == "zh" else f"{caption} ({more})"
        for row in shown.itertuples(index=False):
            cells = []
            for col, value in zip(data.columns, row):
                if col in grade_cols and grade_code(value) is not None:
                    code = grade_code(value)
                    cells.append(f'<td class="grade grade-{code}">{html.escape(grade_label(code, self.lang))}</td>')
                    continue
                text, numeric = _fmt(value)
                if numeric:
                    cells.append(f'<td class="num">{html.escape(text)}</td>')
                else:
                    cells.append(f'<td class="long">{html.escape(text)}</td>' if len(text) > 40
                                 else f"<td>{html.escape(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        label = self.t(f"表 {self.n_tables}", f"Table {self.n_tables}")
        file_name = self._file_name(name)
        links = ""
        extra = None
        if export:
            csv_data = csv_bytes(data)
            csv_uri = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv_data).decode("ascii")
            xlsx_b64 = base64.b64encode(xlsx_bytes(data, sheet=name)).decode("ascii")
            xlsx_uri = f"data:{XLSX_MIME};base64," + xlsx_b64
            links = (f'<div class="an-export">{self.t("下载", "Download")}: '
                     f'<a download="{html.escape(file_name)}.csv" href="{csv_uri}">CSV</a>'
                     f'<a download="{html.escape(file_name)}.xlsx" href="{xlsx_uri}">XLSX</a></div>')
            # the payload itself travels once, in the download links of the HTML
            extra = {TABLE_MIME: {"name": file_name, "caption": caption, "section": self._section}}
        self._emit(f'<figure class="an-table" id="{self._anchor("tbl", self.n_tables)}">'
                   f"<figcaption><b>{label}</b>{html.escape(caption)}</figcaption>"
                   f'<div class="an-table-scroll"><table class="an-tbl"><thead><tr>{head}</tr></thead>'
                   f"<tbody>{''.join(body)}</tbody></table></div>{links}</figure>", extra)

    def key(self, name: str, value: Any) -> None:
        """Record a key number of the report (written to the JSON sidecar by the runner)."""
        value = _json_safe(value)
        if self._section is not None:
            self.keys.setdefault("units", {}).setdefault(self._section, {})[name] = value
        else:
            self.keys[name] = value
        self._emit("", {KEYS_MIME: {"section": self._section, "name": name, "value": value}})

    # -- diagnosis batches
    def unit_sections(self, units: Iterable[tuple[str, str]], body: Callable[[str], None]) -> pd.DataFrame:
        """Run ``body(unit_id)`` for every ``(unit_id, label)`` with failures isolated per unit.

        Each unit's output starts with a section marker; the runner splits the executed
        notebook at the markers into one HTML per unit. A unit whose body raises gets a
        visible failure box and ``status = failed``; the other units are unaffected.
        Returns ``unit_id, status, error``.
        """
        rows = []
        for unit_id, label in units:
            page = re.sub(r"[^0-9A-Za-z_\-\u4e00-\u9fff]+", "_", self.label(unit_id)) if self.publish else str(unit_id)
            label = self.label(unit_id) if self.publish else str(label)
            self._section = page
            self.n_figures = self.n_tables = 0
            self._emit("", {SECTION_MIME: {"event": "start", "unit_id": str(unit_id), "page": page, "label": label}})
            self.heading(label, level=2, anchor=f"unit-{page}")
            try:
                body(unit_id)
                rows.append({"unit_id": str(unit_id), "status": "ok", "error": ""})
            except Exception as exc:  # noqa: BLE001 - isolation per unit is the point
                error = f"{type(exc).__name__}: {exc}"
                self._emit(f'<div class="an-failed"><b>{self.t("本单位诊断生成失败", "This diagnosis failed")}</b>'
                           f"<pre>{html.escape(traceback.format_exc())}</pre></div>",
                           {SECTION_MIME: {"event": "failed", "unit_id": str(unit_id), "error": error}})
                rows.append({"unit_id": str(unit_id), "status": "failed", "error": error})
        self._section = None
        self._emit("", {SECTION_MIME: {"event": "end"}})
        return pd.DataFrame(rows, columns=["unit_id", "status", "error"])

    def _anchor(self, kind: str, n: int) -> str:
        return f"{kind}-{self._section}-{n}" if self._section else f"{kind}-{n}"

    def _file_name(self, name: str) -> str:
        base = re.sub(r"[^0-9A-Za-z_\-\u4e00-\u9fff]+", "_", name).strip("_") or "table"
        if self._section:
            base = f"{self._section}_{base}"
        candidate, i = base, 2
        while candidate in self._table_names:
            candidate, i = f"{base}_{i}", i + 1
        self._table_names.add(candidate)
        return candidate


# --------------------------------------------------------------------------- runner side

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

    The file contents are decoded from the table's download links.
    """
    tables = []
    for out in _outputs(nb):
        data = out.get("data", {})
        if TABLE_MIME not in data:
            continue
        files = {ext: base64.b64decode(b64) for _, ext, b64 in _DOWNLOAD.findall(data.get("text/html", ""))}
        tables.append(dict(data[TABLE_MIME]) | {"csv": files.get("csv", b""), "xlsx": files.get("xlsx", b"")})
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
        if other in tags:
            continue
        if not show_code and cell.cell_type == "code" and ("parameters" in tags or "injected-parameters" in tags):
            continue
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr" and not show_code:
                    continue
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
    exporter.language_code = "zh-CN" if lang == "zh" else "en"
    resources = {"analysis_version": __version__, "analysis_footer": footer}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
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
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>{html.escape(title)}</title>'
            f"<style>{_INDEX_CSS}</style></head><body>{body}</body></html>\n")


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
                items.append(f'<li><a href="{html.escape(u["html"])}">{html.escape(u["label"])}</a>{mark}</li>')
            unit_blocks.append(f'<h3>{html.escape(rep["title"])}</h3><ul class="units">{"".join(items)}</ul>')
    head = ["报告", "状态", "错误(单元格 / 原因)", "用时(秒)", "审计文件"] if zh else \
        ["Report", "Status", "Error (cell / reason)", "Seconds", "Audit files"]
    n_failed = sum(not r["ok"] for r in manifest["notebooks"])
    meta = [("年度" if zh else "Year", str(manifest["year"])),
            ("生成时间" if zh else "Generated", manifest["finished"]),
            ("数据仓库哈希" if zh else "Warehouse hash", manifest["warehouse"].get("content_hash", "")),
            ("框架版本" if zh else "Framework version", str(manifest.get("framework_version", ""))),
            ("软件版本" if zh else "Software version", manifest["analysis_version"]),
            ("Git", manifest.get("git_commit") or "—")]
    title = f"{manifest['year']} 年度政治生态分析研判报告" if zh else f"Political ecology reports {manifest['year']}"
    body = (f"<h1>{html.escape(title)}</h1><dl>"
            + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in meta) + "</dl>"
            + (f'<p class="failed">{n_failed} {"份报告失败" if zh else "report(s) failed"}</p>' if n_failed else "")
            + "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>"
            + (f'<h2>{"单位诊断书" if zh else "Unit diagnoses"}</h2>' + "".join(unit_blocks) if unit_blocks else "")
            + _topic_list(year_dir, zh)
            + '<p><a href="manifest.json">manifest.json</a> · <a href="../index.html">'
            + ("全部年度" if zh else "All years") + "</a></p>")
    path = year_dir / "index.html"
    path.write_text(_page(title, body, lang), encoding="utf-8")
    return path


def _topic_list(year_dir: Path, zh: bool) -> str:
    """Topical reports published into the year folder (``analysis topic``), linked by their titles."""
    items = []
    for page in sorted(year_dir.glob("topic_*.html")):
        found = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), flags=re.S)
        items.append(f'<li><a href="{html.escape(page.name)}">{found.group(1).strip() if found else page.stem}</a></li>')
    return (f'<h2>{"专题报告" if zh else "Topical reports"}</h2><ul>' + "".join(items) + "</ul>") if items else ""


def write_site_index(out: str | Path, lang: str = "zh") -> Path:
    """``reports/index.html``: one row per report set (year, half year, quarter) that has a ``site.json``."""
    out = Path(out)
    zh = lang == "zh"
    rows = []
    for summary_path in sorted(out.glob("*/site.json"), reverse=True):
        m = json.loads(summary_path.read_text(encoding="utf-8"))
        n, failed = m["n_reports"], m["n_failed"]
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
