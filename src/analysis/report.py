"""Report building blocks used inside a notebook: title, text, figures, interactive tables.

:class:`Report` shows the title block (with how to cite), numbered figures and tables with
captions, methods and data-coverage notes, and records the key numbers of the report. Table
headers and category values come from :mod:`analysis.glossary` in the report's language;
numbers are formatted by the column's kind. A table of up to :data:`PRINT_ALL_ROWS` rows is
HTML with every row and a CSV download as a ``data:`` URI ("one-click export"); a longer one
holds its first page as HTML and every row in a compressed payload (:func:`table_payload`)
that the page's script renders, and links the CSV file the runner writes beside the page.
Spreadsheet formula injection is neutralised in every export. The kernel builds no XLSX: the
runner writes the XLSX files and the workbook from the CSV (:mod:`analysis.site`). Only light
imports at module level, so a kernel pays nothing for the exporter.

Machine-readable outputs travel as custom MIME types in the executed notebook (no files are
written by the kernel): key numbers (:data:`KEYS_MIME`), tables (:data:`TABLE_MIME`: name,
caption, the CSV, the type of each column and the units the table holds) and unit section
markers (:data:`SECTION_MIME`). The runner reads them back with :mod:`analysis.site`.
"""
from __future__ import annotations

import base64
import functools
import gzip
import html
import json
import math
import re
import traceback
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
#: columns that name a unit (its code, or its label ``U017 名称`` / pseudonym): ``#find=`` filters on them
UNIT_COLUMNS = ("unit_id", "unit")


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


def svg_data_uri(svg: bytes) -> str:
    """An SVG as a ``data:`` URI, percent-encoding only what a URI must (about 10 % over the
    raw SVG, against 33 % for base64; the figures were 5 MB of the sample's site)."""
    text = svg.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*>\s*|<!DOCTYPE[^>]*>\s*", "", text)
    text = text.replace('"', "'").replace("%", "%25").replace("#", "%23").replace("<", "%3C").replace(">", "%3E")
    text = re.sub(r"\s*\n\s*", " ", text)
    return "data:image/svg+xml;charset=utf-8," + text


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


#: rows shown per page of an interactive table (the first page is what a reader without scripts sees)
PAGE_ROWS = 25
#: tables with at most this many rows hold every row as HTML and print in full; longer ones hold
#: their first page as HTML and every row in a compressed payload (:func:`table_payload`), and
#: print their first page
PRINT_ALL_ROWS = 300
#: decimals kept in the numeric sort keys of a payload (:func:`table_payload`)
KEY_DECIMALS = 6


def column_label(column, lang: str = "zh", extra: dict | None = None) -> str:
    """The label shown in a report's table header for a column name (see :mod:`analysis.glossary`)."""
    from .glossary import column_label as label

    return label(column, lang, extra)


@functools.lru_cache(maxsize=1 << 16)  # every unit name of a national panel, and more
def _pinyin_key(text: str) -> str:
    """Sort key of a text: Chinese characters by their pinyin (pypinyin), other characters as they are."""
    if not re.search(r"[\u4e00-\u9fff]", text):
        return text
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.TONE3, errors="default")).lower()


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def format_cells(values: pd.Series, column: str, lang: str = "zh", grade: bool = False,
                 extra: dict | None = None, kind: str | None = None) -> list[tuple[str, str, str]]:
    """``(text, sort key, css class)`` of every cell of one column, formatted by the column's kind.

    One kind per column (:func:`analysis.glossary.kind_of`), so a column shows one number of
    decimals throughout. Percent columns whose values all lie in [−1, 1] are fractions and are
    multiplied by 100; others are already in percent. Category codes are shown by their
    glossary label, grades as ``A 绿``, booleans as 是/否. The sort key orders numbers as
    numbers, grades by grade order and Chinese text by pinyin.
    """
    from .glossary import ZERO_TOLERANCE, format_number, kind_of, value_label
    from .plots import GRADES, grade_code, grade_label

    kind = "grade" if grade else (kind or kind_of(column, extra))
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric and kind not in ("grade",):
        as_num = pd.to_numeric(values, errors="coerce")
        numeric = len(values) > 0 and as_num.notna().sum() == values.notna().sum() and values.notna().any() \
            and all(isinstance(v, (int, float, np.integer, np.floating)) for v in values.dropna())
    fraction = True
    if numeric and kind == "percent":
        finite = pd.to_numeric(values, errors="coerce").abs()
        fraction = bool((finite.dropna() <= 1 + 1e-9).all())
    if numeric and kind in ("text", "code", "category", "grade"):
        kind = "number" if kind != "code" else "count"
    if numeric and kind == "number":
        ints = pd.to_numeric(values, errors="coerce").dropna()
        if len(ints) and bool((ints == ints.round()).all()) and bool((ints.abs() < 1e15).all()):
            kind = "count"
    order = list(GRADES)

    def cell(value) -> tuple[str, str, str]:
        if _is_missing(value):
            return "—", "", "num" if numeric else ""
        if kind == "grade" and grade_code(value) is not None:
            code = grade_code(value)
            return grade_label(code, lang), str(order.index(code)), f"grade grade-{code}"
        if isinstance(value, (bool, np.bool_)):
            return value_label(str(bool(value)), lang), "1" if value else "0", ""
        if numeric:
            v = float(value)
            key = repr(0.0 if abs(v) < ZERO_TOLERANCE else v)  # residue sorts as the 0 it shows
            return format_number(v, kind, fraction), key, "num"
        text = str(value)
        if kind != "code":
            text = value_label(text, lang, column)
        return text, _pinyin_key(text), "code" if kind == "code" else ("long" if len(text) > 40 else "")

    # a value is formatted once per column (codes, categories and grades repeat down a long table)
    seen: dict = {}
    cells = []
    for value in values:
        key = (type(value), value)
        try:
            if key not in seen:
                seen[key] = cell(value)
        except TypeError:  # an unhashable value
            cells.append(cell(value))
            continue
        cells.append(seen[key])
    return cells


# --------------------------------------------------------------------------- table parts

def rows_html(columns: list[list[tuple[str, str, str]]], n_rows: int) -> str:
    """``<tr>`` elements of the first ``n_rows`` rows of formatted columns (:func:`format_cells`).

    Rows after the first :data:`PAGE_ROWS` carry ``hidden``: a reader without scripts sees the
    first page. A sort key is written (``data-v``) only where it differs from the text.

    >>> rows_html([[("1.50", "1.5", "num")], [("甲", "甲", "")]], 1)
    '<tr><td class="num" data-v="1.5">1.50</td><td>甲</td></tr>'
    """
    body = []
    for i in range(n_rows):
        cells = []
        for col in columns:
            text, key, cls = col[i]
            attrs = f' class="{cls}"' if cls else ""
            if key and key != text:
                attrs += f' data-v="{html.escape(key)}"'
            cells.append(f"<td{attrs}>{html.escape(text)}</td>")
        body.append(f"<tr{' hidden' if i >= PAGE_ROWS else ''}>" + "".join(cells) + "</tr>")
    return "".join(body)


def _compact_key(key: str) -> int | float | None:
    """A numeric sort key as a JSON number: rounded to :data:`KEY_DECIMALS` decimals, an
    integer where it is one, None where it is missing or not finite."""
    if key == "":
        return None
    value = round(float(key), KEY_DECIMALS)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def table_payload(columns: list[list[tuple[str, str, str]]]) -> str:
    """Every row of a long table, for the page's script: a ``data:application/gzip;base64,`` URI.

    The rows are stored column by column as JSON, ``{"n": rows, "cols": [{"t", "k", "c"}]}``:
    ``t`` the cell texts as shown; ``k`` the sort keys, only for a column whose keys differ from
    its texts (``null`` where a key is its text, or where a number is missing); ``c`` the css
    class, one string when the whole column has one (left out when empty). A numeric column
    (every cell of class ``num``) keeps its keys as numbers rounded to :data:`KEY_DECIMALS`
    decimals — finer than any number a report shows (at most three decimals) — which halves the
    payload against full-precision keys. gzip (level 9, timestamp 0, so a rerun gives the same
    bytes) makes a 21,000 × 14 table of the trend report about 0.5 MB; tables.js inflates it
    with the browser's own ``DecompressionStream('gzip')``. The ``data:`` form is what the
    disclosure scan (:mod:`analysis.publish.scan`) decodes and reads.

    >>> uri = table_payload([[("1.50", "1.5", "num"), ("—", "", "num")], [("甲", "jia3", ""), ("x", "x", "")]])
    >>> uri.startswith("data:application/gzip;base64,")
    True
    >>> json.loads(gzip.decompress(base64.b64decode(uri.split(",", 1)[1])))
    {'n': 2, 'cols': [{'t': ['1.50', '—'], 'k': [1.5, None], 'c': 'num'}, {'t': ['甲', 'x'], 'k': ['jia3', None]}]}
    """
    cols = []
    for col in columns:
        texts = [text for text, _, _ in col]
        out: dict[str, Any] = {"t": texts}
        classes = [cls for _, _, cls in col]
        if all(cls == "num" for cls in classes):
            out["k"] = [_compact_key(key) for _, key, _ in col]
        elif any(key != text for text, key, _ in col):
            out["k"] = [None if key == text else key for text, key, _ in col]
        if len(set(classes)) > 1:
            out["c"] = classes
        elif classes and classes[0]:
            out["c"] = classes[0]
        cols.append(out)
    raw = json.dumps({"n": len(columns[0]) if columns else 0, "cols": cols}, ensure_ascii=False,
                     separators=(",", ":")).encode("utf-8")
    return "data:application/gzip;base64," + base64.b64encode(gzip.compress(raw, 9, mtime=0)).decode("ascii")


def column_types(df: pd.DataFrame) -> list[str]:
    """How each column's CSV text is read back into a typed cell (for the XLSX the runner writes).

    ``int``, ``float``, ``bool`` and ``datetime`` from the column's dtype; an object column is
    ``float`` when every value is a number, ``bool`` when every value is a boolean, ``mixed``
    when it holds numbers and text (counts with ``<5`` suppressed in publish mode: numbers stay
    numbers), and ``text`` otherwise (codes such as ``010`` stay text).

    >>> column_types(pd.DataFrame({"code": ["010"], "n": [1], "score": [1.5], "flag": [True]}))
    ['text', 'int', 'float', 'bool']
    >>> column_types(pd.DataFrame({"n": pd.Series([12, "<5"], dtype=object), "x": pd.Series([1, 2.5], dtype=object)}))
    ['mixed', 'float']
    """
    types = []
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        if pd.api.types.is_bool_dtype(s):
            types.append("bool")
        elif pd.api.types.is_integer_dtype(s):
            types.append("int")
        elif pd.api.types.is_float_dtype(s):
            types.append("float")
        elif pd.api.types.is_datetime64_any_dtype(s):
            types.append("datetime")
        else:
            kinds = {"bool" if isinstance(v, (bool, np.bool_)) else
                     "number" if isinstance(v, (int, float, np.integer, np.floating)) else "text"
                     for v in s if not _is_missing(v)}
            types.append("bool" if kinds == {"bool"} else "float" if kinds == {"number"} else
                         "mixed" if "number" in kinds else "text")
    return types


def table_units(df: pd.DataFrame) -> list[str]:
    """The units a table holds rows of: the distinct values of its unit columns
    (:data:`UNIT_COLUMNS`), a label ``U017 名称`` read as its code ``U017``. Sorted.

    >>> table_units(pd.DataFrame({"unit_id": ["U2", "U1", "U2"], "unit": ["U3 丙", None, "U1 甲"]}))
    ['U1', 'U2', 'U3']
    """
    found: set[str] = set()
    for col in UNIT_COLUMNS:
        if col in df.columns:
            found |= {str(v).split(" ", 1)[0] for v in df[col] if not _is_missing(v) and str(v).strip()}
    return sorted(found)


# --------------------------------------------------------------------------- notebook side


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
                 publish: bool = False, key: bytes | str | Path | None = None, k: int = 5):
        if lang not in ("zh", "en"):
            raise ValueError(f"语言须为 zh 或 en / lang must be 'zh' or 'en', got {lang!r}")
        self.lang = lang
        self.publish = publish
        self.pseudonym_key = key  # HMAC key of analysis.publish (None: its default key file)
        self.k = k  # smallest published count and group in publish mode
        self._pseudonyms: dict[str, str] = {}
        self.notebook = notebook
        self._display = display
        self.n_figures = 0
        self.n_tables = 0
        self.keys: dict[str, Any] = {}
        self._table_names: set[str] = set()
        self._section: str | None = None
        #: extra column labels (indicator codes → names), see :meth:`add_labels`
        self.labels: dict[str, Any] = {}

    def add_labels(self, labels: dict[str, Any]) -> None:
        """Labels for column names the glossary does not hold, e.g. ``framework.labels(fw, lang)``."""
        self.labels.update(labels)

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
        from .publish import pseudonym, resolve_key

        uid = str(unit_id)
        if uid not in self._pseudonyms:
            self._pseudonyms[uid] = pseudonym(uid, resolve_key(self.pseudonym_key), lang=self.lang)
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
              extra: dict[str, str] | None = None, software_version: str = "", data_version: str = "",
              config_hash: str = "") -> None:
        """Title block: title, year, data as of, authors and partners, version, and how to cite.

        The "how to cite" line names the software version, the data version (the warehouse
        content hash) and the run configuration's hash, so that a reader can ask for exactly
        the run that made the page (``CITATION.cff`` cites the software itself).
        """
        authors, partners = list(authors), list(partners)
        sep = "、" if self.lang == "zh" else ", "
        rows = []
        if year is not None:
            rows.append((self.t("年度", "Year"), str(year)))
        if data_as_of:
            rows.append((self.t("数据截至", "Data as of"), data_as_of))
        if authors:
            rows.append((self.t("作者", "Authors"), sep.join(authors)))
        if partners:
            rows.append((self.t("合作单位", "Partners"), sep.join(partners)))
        if version:
            rows.append((self.t("版本", "Version"), version))
        for k, v in (extra or {}).items():
            rows.append((k, v))
        dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
        sub = f'<div class="an-subtitle">{html.escape(subtitle)}</div>' if subtitle else ""
        cite = ""
        if software_version or data_version or config_hash:
            parts = [p for p in (
                f"analysis {software_version}" if software_version else "",
                self.t(f"数据版本 {data_version}", f"data version {data_version}") if data_version else "",
                self.t(f"配置哈希 {config_hash}", f"config hash {config_hash}") if config_hash else "") if p]
            who = sep.join(authors) if authors else self.t("作者", "Authors")
            when = f"({year})" if year is not None else ""
            text = (f"{who}{when}。{title}。{','.join(parts)}。" if self.lang == "zh"
                    else f"{who} {when}. {title}. {', '.join(parts)}.")
            cite = (f'<div class="an-cite"><b>{self.t("引用方式", "How to cite")}</b>'
                    f"<p>{html.escape(text)}</p></div>")
        self._emit(f'<header class="an-title"><h1 id="title">{html.escape(title)}</h1>{sub}<dl>{dl}</dl>{cite}</header>'
                   "<!-- an:title-end -->")

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> None:
        """A section heading that enters the table of contents."""
        anchor = anchor or "sec-" + re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "-", text).strip("-")
        self._emit(f'<h{level} id="{html.escape(anchor)}">{html.escape(text)}</h{level}>')

    def text(self, text: str) -> None:
        """A paragraph of narrative (plain text, escaped)."""
        self._emit(f"<p>{html.escape(text)}</p>")

    def items(self, texts: Iterable[str], empty: str = "") -> None:
        """A bulleted list (e.g. the findings of a report), each item in the report language
        (bilingual ``中文 / English`` items are reduced); ``empty`` is said when there is none."""
        texts = [self.pick(x) for x in texts]
        if not texts:
            if empty:
                self.text(empty)
            return
        self._emit('<ul class="an-items">' + "".join(f"<li>{html.escape(x)}</li>" for x in texts) + "</ul>")

    def note(self, text: str, kind: str = "methods", title: str | None = None) -> None:
        """A boxed note: ``methods`` (方法说明), ``coverage`` (数据覆盖说明) or ``warning`` (提示)."""
        default = {"methods": self.t("方法说明", "Methods note"), "coverage": self.t("数据覆盖说明", "Data coverage"),
                   "warning": self.t("提示", "Warning")}
        head = title or default.get(kind, "")
        self._emit(f'<div class="an-note an-{html.escape(kind)}"><b>{html.escape(head)}</b>'
                   f"<p>{html.escape(text)}</p></div>")

    def figure(self, fig, caption: str = "") -> None:
        """Show a matplotlib figure as deterministic SVG with a numbered caption, then close it.

        A figure of :mod:`analysis.plots` knows what it draws (how many series or panels, which
        are highlighted, the bounds of a density); that description follows the caption, so
        the caption cannot promise more than the figure shows.
        """
        import matplotlib.pyplot as plt

        from .plots import caption_of, svg_bytes

        drawn = caption_of(fig, self.lang)
        if drawn:
            caption = (f"{caption}({drawn})" if self.lang == "zh" else f"{caption} ({drawn})") if caption else drawn
        self.n_figures += 1
        data = svg_data_uri(svg_bytes(fig))
        plt.close(fig)
        label = self.t(f"图 {self.n_figures}", f"Figure {self.n_figures}")
        self._emit(f'<figure class="an-figure" id="{self._anchor("fig", self.n_figures)}">'
                   f'<img alt="{html.escape(caption)}" src="{data}">'
                   f"<figcaption><b>{label}</b>{html.escape(caption)}</figcaption></figure>")

    def table(self, df: pd.DataFrame, caption: str, name: str, grade_cols: Iterable[str] = ("grade",),
              index: bool = False, export: bool = True, max_rows: int = 100_000, empty: str | None = None,
              labels: dict | None = None, kinds: dict[str, str] | None = None, anchor: str | None = None) -> None:
        """Show a numbered interactive table with caption and CSV download; record it for the runner.

        Headers are the glossary labels in the report language (the column name is the
        tooltip); numbers are formatted by the column's kind (:func:`format_cells`). With
        scripts the reader sorts, filters, searches and pages every row, and ``#find=<unit>``
        in the page address keeps the rows of one unit; without scripts the first
        :data:`PAGE_ROWS` rows show with a note. Up to :data:`PRINT_ALL_ROWS` rows every row is
        HTML and the CSV is in the download link; a longer table holds its first page as HTML
        and every row in a compressed payload (:func:`table_payload`), and its download links
        the CSV file the runner writes under ``tables/`` (the CSV would double the page).
        Beyond ``max_rows`` the page holds the first ``max_rows`` (with a note) and the
        downloads the whole table. An empty table is a sentence (``empty``, or a default)
        instead of a header row. ``labels`` adds labels for this table's columns (e.g.
        :func:`analysis.framework.labels`); ``kinds`` sets the number kind of columns
        (``{"*": "percent"}``: every column the glossary does not know, e.g. a coverage table
        with one column per year); ``anchor`` names the table's id (``tbl-history``, or
        ``tbl-<unit>-history`` in a unit section) instead of its number.
        """
        from .publish import safe_table, suppression_note

        self.n_tables += 1
        label = self.t(f"表 {self.n_tables}", f"Table {self.n_tables}")
        extra = {**self.labels, **(labels or {})}
        data = df.reset_index() if index else df.reset_index(drop=True)
        # publish mode: pseudonyms, no names or free text, small counts suppressed; internal
        # reports keep free text; person columns are dropped in every mode
        data = safe_table(data, publish=self.publish, key=self.pseudonym_key, lang=self.lang, internal=not self.publish,
                          k=self.k)
        element_id = self._anchor("tbl", anchor or self.n_tables)
        if data.empty:
            sentence = empty or self.t("本表没有符合条件的记录。", "No records meet the conditions of this table.")
            self._emit(f'<figure class="an-table an-table-empty" id="{html.escape(element_id)}">'
                       f"<figcaption><b>{label}</b>{html.escape(caption)}</figcaption>"
                       f'<p class="an-empty">{html.escape(sentence)}</p></figure>')
            return
        note = suppression_note(data, self.lang)
        if note:
            caption = f"{caption}({note})" if self.lang == "zh" else f"{caption} ({note})"
        shown = data.head(max_rows)
        if len(data) > max_rows:
            more = self.t(f"页面含前 {max_rows} 行,共 {len(data)} 行;完整表格请下载",
                          f"the page holds the first {max_rows} of {len(data)} rows; download for the full table")
            caption = f"{caption}({more})" if self.lang == "zh" else f"{caption} ({more})"
        columns = self._format_columns(shown, [c for c in grade_cols if c in data.columns], extra, kinds or {})
        long = len(shown) > PRINT_ALL_ROWS
        head = "".join(f'<th title="{html.escape(str(c))}"{" data-unit" if c in UNIT_COLUMNS else ""}>'
                       f"{html.escape(column_label(c, self.lang, extra))}</th>" for c in data.columns)
        links, record = "", None
        if export:
            links, record = self._export(data, self._file_name(name), caption, long)
        nojs = ""
        if len(shown) > PAGE_ROWS:
            nojs = ('<noscript><p class="an-nojs">' + html.escape(self.t(
                f"未启用脚本:页面显示前 {PAGE_ROWS} 行,共 {len(data)} 行;完整表格请下载。",
                f"Scripts are off: the first {PAGE_ROWS} of {len(data)} rows are shown; download for the full table."))
                + "</p></noscript>")
        printing = "an-print-first" if long else "an-print-all"
        rows = f' data-rows="{table_payload(columns)}"' if long else ""
        self._emit(f'<figure class="an-table" id="{html.escape(element_id)}">'
                   f"<figcaption><b>{label}</b>{html.escape(caption)}</figcaption>"
                   f'<div class="an-table-scroll"><table class="an-tbl an-interactive {printing}" '
                   f'data-lang="{self.lang}"{rows}><thead><tr>{head}</tr></thead>'
                   f"<tbody>{rows_html(columns, PAGE_ROWS if long else len(shown))}</tbody></table></div>"
                   f"{nojs}{links}</figure>", record)

    def _format_columns(self, shown: pd.DataFrame, grade_cols: list, extra: dict,
                        kinds: dict[str, str]) -> list[list[tuple[str, str, str]]]:
        """The cells of every column (:func:`format_cells`): a column's kind from ``kinds``, else
        from the glossary, else ``kinds["*"]`` (unlabelled columns and year columns)."""
        from .glossary import is_labelled

        def kind(c):
            known = is_labelled(c, extra) and not re.fullmatch(r"(19|20)\d\d", str(c))
            return kinds.get(str(c), None if known else kinds.get("*"))

        return [format_cells(shown[c], str(c), self.lang, grade=c in grade_cols, extra=extra, kind=kind(c))
                for c in shown.columns]

    def _export(self, data: pd.DataFrame, file_name: str, caption: str, long: bool) -> tuple[str, dict]:
        """The download link of a table and its record for the runner (:data:`TABLE_MIME`).

        A short table's link carries the CSV as a ``data:`` URI. A long table's link names the
        file (``data-an-csv``); :func:`analysis.site.export_html` points it at the CSV the
        runner writes under ``tables/``, or embeds the CSV where there is no such file. The
        record carries the CSV (text), the type of each column (:func:`column_types`, so the
        runner writes typed XLSX without the kernel paying for a spreadsheet writer) and the units the
        table holds (:func:`table_units`, for the unit finder of the index page).
        """
        csv_data = csv_bytes(data)
        if long:
            target = f'href="{html.escape(file_name)}.csv" data-an-csv'
        else:
            target = 'href="data:text/csv;charset=utf-8;base64,' + base64.b64encode(csv_data).decode("ascii") + '"'
        links = (f'<div class="an-export">{self.t("下载", "Download")}: '
                 f'<a download="{html.escape(file_name)}.csv" {target}>CSV</a></div>')
        record = {TABLE_MIME: {"name": file_name, "caption": caption, "section": self._section,
                               "csv": csv_data.decode("utf-8-sig"), "types": column_types(data),
                               "units": table_units(data)}}
        return links, record

    def key(self, name: str, value: Any) -> None:
        """Record a key number of the report (written to the JSON sidecar by the runner)."""
        value = _json_safe(value)
        if self._section is not None:
            self.keys.setdefault("units", {}).setdefault(self._section, {})[name] = value
        else:
            self.keys[name] = value
        self._emit("", {KEYS_MIME: {"section": self._section, "name": name, "value": value}})

    def key_numbers(self, **values: Any) -> None:
        """Record several key numbers at once: ``rp.key_numbers(n_units=80, mean_score=61.2)``."""
        for name, value in values.items():
            self.key(name, value)

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

    def _anchor(self, kind: str, n: int | str) -> str:
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
