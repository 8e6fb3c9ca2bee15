"""Validated loading of CSV, XLSX and Parquet files into the warehouse.

Rules (see ``docs/data-model.md``):

- Every error of a batch is reported at once, each naming file, sheet, row, column, value and
  reason in Chinese and English (:class:`analysis.errors.InputError`).
- A batch with any error loads nothing: all files of one call are written in one transaction.
- Re-ingesting a file already loaded (same SHA-256) is a no-op.
- A value that differs from one already stored is an error unless ``replace=True``; the old
  value then moves to ``observation_history``.
- Chinese spreadsheets: CSV in UTF-8 (with or without BOM) or GBK/GB18030; full-width digits
  and spaces are normalised (NFKC); XLSX title rows and merged header cells are handled;
  merged cells inside the data area and formulas without a stored result are refused with
  instructions.
- Headers may be the English column names of the data model, their Chinese names, or both
  (``单位代码 unit_id``). Collection templates (:mod:`analysis.template`) are wide tables,
  one column per monitoring point; they are recognised and melted to observations.
- Physical plausibility (``docs/reliability.md``): values are finite and at most
  :data:`MAX_ABS_VALUE` in size, counts are whole numbers, ``85%`` is read as 85 on a
  percentage leaf (and said so in the report) and refused elsewhere, years are not after the
  current year and inside the framework's years, observations name units in force that year.
- Conflicts are errors: the same key with different values in two files of one batch, or a
  change to a stored observation, unit or problem record, unless ``replace=True`` (the old
  version then moves to its history table).
- XLSX is streamed (openpyxl's read-only parser) and only the cells holding data are kept, so
  a sheet formatted down to row 1,048,576 costs no memory; limits in :data:`MAX_COLUMNS`,
  :data:`MAX_XLSX_CELLS`, :data:`MAX_EMPTY_RUN` and :data:`MAX_CELL_CHARS`.

This module never runs SQL: it reads and checks files, and hands the warehouse one batch
(:meth:`analysis.warehouse.Warehouse.write_batch`).
"""
from __future__ import annotations

import hashlib
import io
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from tqdm import tqdm

from . import codes
from . import framework as fwmod
from .errors import InputError, Issue
from .problems import HISTORY_COLUMNS, current_status
from .warehouse import HISTORY, KEYS, TableWrite, Warehouse, read_parquet

#: problem columns derived from the status history (never compared or written from a problem row)
DERIVED_STATUS = ("status", "status_on", "rectified_on")
YEAR_RANGE = (2000, 2100)
PERIODS = ["Q1", "Q2", "Q3", "Q4", "Y"]
UNIT_TYPES = ["county", "department", "enterprise", "college", "township", "school", "hospital", "other"]
PROBLEM_SOURCES = list(codes.code_list("source").codes)
SEVERITIES = list(codes.code_list("severity").codes)
STATUSES = list(codes.code_list("status").codes)
ROUND_KINDS = list(codes.code_list("round_kind").codes)
INSTRUCTION_SHEETS = {"填报说明", "说明", "instructions", "readme"}

# Bounds that keep every input's cost and every stored value physically sensible (docs/reliability.md).
MAX_ABS_VALUE = 1e9        # no raw count, rate, score or unit size of one unit reaches a billion
MAX_COLUMNS = 1_000        # a wide template has about 30 columns; more is a broken file
MAX_XLSX_CELLS = 2_000_000  # non-empty cells per workbook (about 280,000 observations in long form)
MAX_EMPTY_RUN = 10_000     # consecutive empty rows after which a sheet is considered finished
MAX_CELL_CHARS = 32_767    # Excel's own limit for one cell
COUNT_UNITS = ("件", "人", "个", "次", "起", "名", "项")  # a leaf whose unit starts so counts whole things
SIZE_FIELDS = ("staff", "party_members", "residents")

ALIASES = {
    "单位代码": "unit_id", "年度": "year", "期别": "period", "指标代码": "indicator", "数值": "value",
    "报送部门": "source", "备注": "note", "单位名称": "name_zh", "英文名称": "name_en", "单位类型": "type",
    "片区": "region", "分管领域": "area", "在编人数": "staff", "党员数": "party_members", "服务人口": "residents",
    "起始年度": "valid_from", "终止年度": "valid_to", "并入单位": "successor_id", "问题编号": "problem_id",
    "问题来源": "source", "方面": "aspect", "问题类别": "category", "问题描述": "description",
    "严重程度": "severity", "整改状态": "status", "整改时限": "deadline", "完成日期": "rectified_on",
    "审核保留": "kept", "已反馈": "fed_back", "原因": "reason",
    "巡察轮次": "round_id", "轮次代码": "round_id", "状态日期": "status_on", "整改情况": "note", "轮次名称": "name_zh",
    "英文轮次名称": "name_en", "轮次类型": "kind", "复查轮次": "rechecks", "开始日期": "start_on", "结束日期": "end_on",
}
COLUMNS = {
    "observations": ["unit_id", "year", "period", "indicator", "value", "source", "note"],
    "units": ["unit_id", "name_zh", "name_en", "type", "region", "staff", "party_members", "residents",
              "valid_from", "valid_to", "successor_id", "area"],
    "focal_units": ["unit_id", "year", "reason"],
    "problems": ["problem_id", "unit_id", "year", "source", "aspect", "category", "description", "severity",
                 "status", "deadline", "rectified_on", "kept", "fed_back", "round_id", "status_on"],
    "problem_status_history": ["problem_id", "status", "status_on", "round_id", "note"],
    "inspection_rounds": ["round_id", "year", "name_zh", "name_en", "kind", "rechecks", "start_on", "end_on"],
}
#: Columns a problem file may carry beyond the stored ones: ``note`` goes to the status history,
#: ``name_zh`` (the unit's name, for the filler's eye) is read and dropped.
PROBLEM_EXTRA = ["note", "name_zh"]
_CANONICAL = {c for cols in COLUMNS.values() for c in cols}
# units first: others refer to them; rounds before the problems they group, problems before their history
ORDER = ["units", "focal_units", "observations", "inspection_rounds", "problems", "problem_status_history"]


def _schemas() -> dict[str, pa.DataFrameSchema]:
    text = dict(dtype=str, nullable=False, checks=pa.Check.str_length(min_value=1))
    opt_text = dict(dtype=str, nullable=True, required=False)
    year = pa.Column("Int64", pa.Check.in_range(*YEAR_RANGE), nullable=False)
    opt_year = pa.Column("Int64", pa.Check.in_range(*YEAR_RANGE), nullable=True, required=False)
    size = pa.Column("float64", pa.Check.gt(0), nullable=True, required=False)
    return {
        "observations": pa.DataFrameSchema({
            "unit_id": pa.Column(**text), "year": year,
            "period": pa.Column(str, pa.Check.isin(PERIODS), nullable=False),
            "indicator": pa.Column(**text), "value": pa.Column("float64", nullable=False),
            "source": pa.Column(**opt_text), "note": pa.Column(**opt_text),
        }, unique=KEYS["observations"], coerce=True, report_duplicates="exclude_first"),
        "units": pa.DataFrameSchema({
            "unit_id": pa.Column(**text), "name_zh": pa.Column(**text),
            "name_en": pa.Column(**opt_text), "type": pa.Column(str, pa.Check.isin(UNIT_TYPES), nullable=False),
            "region": pa.Column(**text), "staff": size, "party_members": size, "residents": size,
            "valid_from": opt_year, "valid_to": opt_year, "successor_id": pa.Column(**opt_text),
            "area": pa.Column(**opt_text),
        }, unique=["unit_id", "valid_from"], coerce=True, report_duplicates="exclude_first"),
        "focal_units": pa.DataFrameSchema({
            "unit_id": pa.Column(**text), "year": year, "reason": pa.Column(**opt_text),
        }, unique=KEYS["focal_units"], coerce=True, report_duplicates="exclude_first"),
        "problems": pa.DataFrameSchema({
            "problem_id": pa.Column(**text), "unit_id": pa.Column(**text), "year": year,
            "source": pa.Column(str, _code_check("source"), nullable=False),
            "aspect": pa.Column(str, _code_check("aspect"), nullable=True, required=False),
            "category": pa.Column(**text), "description": pa.Column(**opt_text),
            "severity": pa.Column(str, _code_check("severity"), nullable=True, required=False),
            "status": pa.Column(str, _code_check("status"), nullable=False),
            "deadline": pa.Column("datetime64[ns]", nullable=True, required=False),
            "rectified_on": pa.Column("datetime64[ns]", nullable=True, required=False),
            "kept": pa.Column("boolean", nullable=True, required=False),
            "fed_back": pa.Column("boolean", nullable=True, required=False),
            "round_id": pa.Column(**opt_text), "status_on": pa.Column("datetime64[ns]", nullable=True, required=False),
            "note": pa.Column(**opt_text), "name_zh": pa.Column(**opt_text),
        }, unique=KEYS["problems"], coerce=True, report_duplicates="exclude_first"),
        "problem_status_history": pa.DataFrameSchema({
            "problem_id": pa.Column(**text), "status": pa.Column(str, _code_check("status"), nullable=False),
            "status_on": pa.Column("datetime64[ns]", nullable=False),
            "round_id": pa.Column(**opt_text), "note": pa.Column(**opt_text),
        }, unique=KEYS["problem_status_history"], coerce=True, report_duplicates="exclude_first"),
        "inspection_rounds": pa.DataFrameSchema({
            "round_id": pa.Column(**text), "year": year, "name_zh": pa.Column(**opt_text),
            "name_en": pa.Column(**opt_text), "kind": pa.Column(str, _code_check("round_kind"), nullable=False),
            "rechecks": pa.Column(**opt_text),
            "start_on": pa.Column("datetime64[ns]", nullable=True, required=False),
            "end_on": pa.Column("datetime64[ns]", nullable=True, required=False),
        }, unique=KEYS["inspection_rounds"], coerce=True, report_duplicates="exclude_first"),
    }


def _code_check(name: str) -> pa.Check:
    """Membership in a code list (values were mapped to canonical codes by :func:`_typed`)."""
    return pa.Check.isin(list(codes.code_list(name).codes), error=f"code_list:{name}")


def _reason(check: str) -> tuple[str, str]:
    """Chinese and English wording of a pandera check failure."""
    if check.startswith(("coerce_dtype", "dtype")):
        kind = re.search(r"'(\w+)", check)
        kind = kind.group(1) if kind else ""
        if kind.startswith(("Int", "int")):
            return "应为整数(不能含文字或小数)", "must be a whole number (no text or decimals)"
        if kind.startswith("float"):
            return "应为数值(不能含文字)", "must be a number (no text)"
        if kind.startswith("datetime"):
            return "应为日期(如 2024-06-30)", "must be a date (e.g. 2024-06-30)"
        if kind.startswith("bool"):
            return "应为 是/否(true/false)", "must be yes/no (true/false)"
        return f"类型不符 {kind}", f"wrong type, expected {kind}"
    if check.startswith("code_list:"):
        cl = codes.code_list(check.split(":", 1)[1])
        allowed = "、".join(cl.accepted())
        return (f"取值不在允许范围内:不是有效的{cl.name_zh},可填 {allowed}",
                f"value not allowed: not a valid {cl.name} code; use one of {allowed}")
    if check.startswith("isin"):
        allowed = check[check.index("(") + 1:-1]
        return f"取值不在允许范围 {allowed} 内", f"value not allowed; expected one of {allowed}"
    if check.startswith("in_range"):
        return f"超出允许范围 {check[8:]}", f"out of range {check[8:]}"
    if check.startswith("greater_than") or check.startswith("gt"):
        return "应大于 0", "must be greater than 0"
    if check.startswith("str_length"):
        return "不能为空", "must not be empty"
    if check == "not_nullable":
        return "不能为空", "must not be empty"
    if check in ("multiple_fields_uniqueness", "field_uniqueness"):
        return "主键重复(同一记录出现多次)", "duplicated key (the same record appears more than once)"
    if check == "column_in_dataframe":
        return "缺少必需列", "required column missing"
    return f"校验失败:{check}", f"check failed: {check}"


@dataclass
class Batch:
    """One table read from one file (or sheet); ``rows`` are spreadsheet row numbers."""

    file: str
    table: str
    frame: pd.DataFrame
    rows: np.ndarray
    sheet: str | None = None
    sha256: str = ""
    notes: list[str] = field(default_factory=list)  # how a value was read, where it needs saying
    percent: np.ndarray | None = None  # positions whose value carried a % sign

    @property
    def label(self) -> str:
        return self.file + (f"#{self.sheet}" if self.sheet else "")

    def issue(self, zh: str, en: str, pos: int | None = None, column: str | None = None, value=None) -> Issue:
        row = int(self.rows[pos]) if pos is not None else None
        if hasattr(value, "item"):  # numpy scalar → plain Python value in messages
            value = value.item()
        if value is not None and not isinstance(value, str) and pd.isna(value):
            value = None
        return Issue(self.file, zh, en, row=row, column=column, value=value, sheet=self.sheet)


@dataclass
class IngestReport:
    loaded: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files already loaded (same hash)
    replaced: int = 0
    replaced_by_table: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"已载入 / loaded: {r['file']} → {r['table']} ({r['rows']} 行 rows)" for r in self.loaded]
        lines += [f"已存在,跳过 / already loaded, skipped: {f}" for f in self.skipped]
        for table, n in self.replaced_by_table.items():
            lines.append(f"替换旧记录 / records replaced in {table}: {n}(旧版本已存入历史表 / old versions kept in "
                         "the history table)")
        lines += [f"说明 / note: {n}" for n in self.notes]
        return "\n".join(lines) or "无新数据 / nothing new"


# --------------------------------------------------------------------------------------------
# reading
def _norm(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def _canonical_header(name) -> str:
    text = _norm(name)
    if text in _CANONICAL:
        return text
    if text in ALIASES:
        return ALIASES[text]
    for token in re.split(r"[\s()()/|:]+", text):
        if token in _CANONICAL:
            return token
        if token in ALIASES:
            return ALIASES[token]
    return text


def _indicator_code(header: str, codes: set[str]) -> str | None:
    token = re.split(r"[\s()()/|:]+", _norm(header))[0] if header else ""
    return token if token in codes else None


def _read_csv(path: Path, data: bytes) -> pd.DataFrame:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError([Issue(str(path), "无法识别文件编码(请另存为 UTF-8 或 GBK 编码的 CSV)",
                                "cannot decode the file (save it as UTF-8 or GBK CSV)")])
    first = text.split("\n", 1)[0]
    if first.count(",") + 1 > MAX_COLUMNS:
        raise InputError([Issue(str(path), f"表头有 {first.count(',') + 1} 列,超过上限 {MAX_COLUMNS}(是否选错了文件?)",
                                f"the header has {first.count(',') + 1} columns, more than the limit of "
                                f"{MAX_COLUMNS} (is this the right file?)", row=1)])
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise InputError([Issue(str(path), "文件为空", "the file is empty")]) from None
    except pd.errors.ParserError as e:
        m = re.search(r"line (\d+)", str(e))
        detail = str(e).strip()
        raise InputError([Issue(str(path), f"CSV 格式错误:列数与表头不一致({detail})",
                                f"malformed CSV: a row has more fields than the header ({detail})",
                                row=int(m.group(1)) if m else None)]) from None


_MERGE_RE = re.compile(rb'<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3}\d{1,7}(?::[A-Za-z]{1,3}\d{1,7})?)"')


def _merged_ranges(ws) -> list[tuple[int, int, int, int]]:
    """Merged ranges (min_row, min_col, max_row, max_col) of a read-only sheet.

    Read from the sheet XML with a byte scan, in constant memory: openpyxl's read-only
    reader does not expose merges, and its full reader would build every styled cell.
    """
    from openpyxl.utils.cell import range_boundaries

    out, tail = set(), b""
    with ws._get_source() as src:
        while chunk := src.read(1 << 20):
            data = tail + chunk
            for m in (_MERGE_RE.finditer(data) if b"mergeCell" in data else ()):
                min_col, min_row, max_col, max_row = range_boundaries(m.group(1).decode().upper())
                out.add((min_row, min_col, max_row or min_row, max_col or min_col))
            tail = data[-300:]  # a tag cut by the chunk boundary is found whole in the next round
    return sorted(out)


def _sheet_rows(ws, file: str, issues: list[Issue], notes: list[str]):
    """Non-empty rows of a read-only sheet as (row number, values, formula columns).

    Styled empty cells cost nothing: only cells holding a value are kept. Reading stops after
    :data:`MAX_EMPTY_RUN` empty rows following the last data, so a sheet formatted to its last
    row ends where its data ends. Formula cells without a stored result are flagged.
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["data_type"], cell["value"] = "f", "=" + (element.findtext(FORMULA_TAG) or "")
            return cell

    wb = ws.parent
    last, stopped = 0, None
    with ws._get_source() as src:
        parser = Parser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                        date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        for idx, cells in parser.parse():
            kept = [c for c in cells if c["value"] is not None and c["value"] != ""]
            if not kept:
                if last and idx - last > MAX_EMPTY_RUN:
                    stopped = idx
                    break
                continue
            last = idx
            width = max(c["column"] for c in kept)
            if width > MAX_COLUMNS:
                issues.append(Issue(file, f"列数超过上限 {MAX_COLUMNS}(第 {width} 列有数据),请删去多余的列",
                                    f"more than {MAX_COLUMNS} columns (column {width} holds data); delete the "
                                    "extra columns", row=idx, sheet=ws.title))
                return
            values: list = [None] * width
            formulas = []
            for c in kept:
                if c["data_type"] == "f":
                    formulas.append((c["column"], c["value"]))
                else:
                    values[c["column"] - 1] = c["value"]
            yield idx, values, formulas
    if stopped:
        notes.append(f"{file} sheet {ws.title}: 第 {last} 行之后连续 {MAX_EMPTY_RUN} 行为空,其下的格式化区域未读取 / "
                     f"after row {last} came {MAX_EMPTY_RUN} empty rows; the formatted area below was not read")


def _read_xlsx(path: Path, notes: list[str]) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    import openpyxl
    from openpyxl.utils import get_column_letter

    file = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # any damage openpyxl can meet in the zip or its XML parts
        raise InputError([Issue(file, f"文件已损坏或不是有效的 xlsx 文件({type(e).__name__})",
                                f"the file is damaged or not a valid xlsx workbook ({type(e).__name__})")]) from None
    out, issues = [], []
    try:
        cells = 0
        for ws in wb.worksheets:
            if ws.sheet_state != "visible" or _norm(ws.title).lower() in INSTRUCTION_SHEETS:
                continue
            rows_read: list[tuple[int, list]] = []
            for idx, values, formulas in _sheet_rows(ws, file, issues, notes):
                cells += sum(v is not None for v in values)
                if cells > MAX_XLSX_CELLS:
                    raise InputError([Issue(file, f"非空单元格超过 {MAX_XLSX_CELLS:,} 个,请拆分为多个文件",
                                            f"more than {MAX_XLSX_CELLS:,} non-empty cells; split the workbook",
                                            sheet=ws.title)])
                for col, formula in formulas:
                    issues.append(Issue(file, "单元格含公式但没有计算结果,请在 Excel 中“粘贴为数值”后保存",
                                        "the cell holds a formula with no stored result; paste values in Excel "
                                        "and save", row=idx, column=get_column_letter(col), value=formula,
                                        sheet=ws.title))
                if any(v is not None for v in values):
                    rows_read.append((idx, values))
            if not rows_read:
                continue
            width = max(len(v) for _, v in rows_read)
            numbers = [r for r, _ in rows_read]
            grid = {r: [_norm(x) for x in v] + [""] * (width - len(v)) for r, v in rows_read}
            header_row = next((r for r in numbers if r <= 15
                               and any(_canonical_header(v) in ("unit_id", "problem_id", "round_id") for v in grid[r])), None)
            if header_row is None:
                issues.append(Issue(file, "找不到表头行(应包含“单位代码 unit_id”或“问题编号 problem_id”)",
                                    "no header row found (it must contain 'unit_id' or 'problem_id')", sheet=ws.title))
                continue
            # merged cells: fill header merges; refuse merges inside the data area
            for r0, c0, r1, c1 in _merged_ranges(ws):
                if r1 <= header_row:
                    top = grid.get(r0, [""] * width)[c0 - 1] if c0 <= width else ""
                    for r in range(r0, r1 + 1):
                        if r in grid:
                            for c in range(c0 - 1, min(c1, width)):
                                grid[r][c] = top
                elif r0 <= max(numbers):
                    issues.append(Issue(file, f"数据区域存在合并单元格 {get_column_letter(c0)}{r0}:"
                                              f"{get_column_letter(c1)}{r1},请取消合并并在每个单元格中填写数值",
                                        f"merged cells {get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1} in "
                                        "the data area: unmerge them and fill every cell", row=r0, sheet=ws.title))
            header = grid[header_row]
            body = [r for r in numbers if r > header_row]
            frame = pd.DataFrame([grid[r] for r in body], columns=header, dtype=object)
            if not body:
                frame = pd.DataFrame(columns=header, dtype=object)
            frame = frame.loc[:, [h != "" for h in header]]
            out.append((ws.title, frame, np.asarray(body, dtype=int)))
    except InputError:
        raise
    except Exception as e:  # damaged sheet XML, shared strings or styles met while streaming
        raise InputError([Issue(file, f"文件已损坏或不是有效的 xlsx 文件({type(e).__name__}),请在 Excel 中打开并另存",
                                f"the file is damaged or not a valid xlsx workbook ({type(e).__name__}); open it "
                                "in Excel and save it again")]) from None
    finally:
        wb.close()
    if issues:
        raise InputError(issues)
    return out


def read_file(path: str | Path, framework: pd.DataFrame) -> list[Batch]:
    """Read one file into typed-as-text batches (no validation beyond the file's shape)."""
    path = Path(path)
    if not path.exists():
        raise InputError([Issue(str(path), "文件不存在", "file not found")])
    if path.is_dir():
        raise InputError([Issue(str(path), "这是一个文件夹,不是数据文件;请给出其中的文件", "this is a folder, not a "
                                "data file; name the files in it")])
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError([Issue(str(path), f"无法读取文件({e.strerror or type(e).__name__})",
                                f"cannot read the file ({e.strerror or type(e).__name__})")]) from None
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise InputError([Issue(str(path), "文件为空", "the file is empty")])
    suffix = path.suffix.lower()
    notes: list[str] = []
    if suffix == ".csv":
        df = _read_csv(path, data)
        sheets = [(None, df.map(_norm), np.arange(2, len(df) + 2))]
    elif suffix in (".xlsx", ".xlsm"):
        sheets = _read_xlsx(path, notes)
    elif suffix == ".parquet":
        df = read_parquet(path)
        if df is None:
            raise InputError([Issue(str(path), "无法读取 Parquet 文件(文件损坏或不是 Parquet)",
                                    "cannot read the Parquet file (damaged or not Parquet)")])
        sheets = [(None, df.astype(object).map(_norm), np.arange(1, len(df) + 1))]
    else:
        raise InputError([Issue(str(path), f"不支持的文件类型 {suffix or '(无扩展名)'},请使用 CSV、XLSX 或 Parquet",
                                f"unsupported file type {suffix or '(none)'}; use CSV, XLSX or Parquet")])
    if not sheets:
        raise InputError([Issue(str(path), "文件中没有任何数据(所有工作表为空)", "the file holds no data (every "
                                "sheet is empty)")])
    codes = set(fwmod.leaves(framework).code) | set(fwmod.leaves(framework, "red_line").code)
    batches, issues = [], []
    filled = [f for _, f, _ in sheets if not f.empty]
    for sheet, frame, rows in sheets:
        if frame.empty:
            # a department sheet of the problem workbook left empty: nothing to report from it
            if filled and _problem_sheet(frame):
                continue
            issues.append(Issue(str(path), "没有数据行", "no data rows", sheet=sheet))
            continue
        if frame.shape[1] > MAX_COLUMNS:
            issues.append(Issue(str(path), f"列数 {frame.shape[1]} 超过上限 {MAX_COLUMNS}",
                                f"{frame.shape[1]} columns, more than the limit of {MAX_COLUMNS}", sheet=sheet))
            continue
        long = frame.map(len) > MAX_CELL_CHARS
        for pos, col in zip(*np.nonzero(long.to_numpy())):
            issues.append(Issue(str(path), f"单元格超过 {MAX_CELL_CHARS} 个字符", f"a cell longer than "
                                f"{MAX_CELL_CHARS} characters", row=int(rows[pos]), column=str(frame.columns[col]),
                                sheet=sheet))
        if long.to_numpy().any():
            continue
        batch = _classify(str(path), sheet, frame, rows, codes, framework, issues)
        if batch is not None:
            batch.sha256 = digest
            batch.notes = notes if not batches else []
            batches.append(batch)
    if issues:
        raise InputError(issues)
    return batches


def _classify(file, sheet, frame, rows, codes, framework, issues) -> Batch | None:
    original = list(frame.columns)
    frame = frame.copy()
    frame.columns = [_canonical_header(c) for c in original]
    cols = set(frame.columns)
    dup = [c for c in frame.columns[frame.columns.duplicated()] if c]
    if dup:
        issues.append(Issue(file, f"表头重复:{dup}", f"duplicated header(s): {dup}", row=int(rows[0]) - 1, sheet=sheet))
        return None
    wide = [c for c in original if _indicator_code(c, codes)]
    if {"problem_id", "status", "status_on"} <= cols and "unit_id" not in cols:
        table = "problem_status_history"
    elif "problem_id" in cols:
        table = "problems"
        frame = _source_from_sheet(frame, sheet)
    elif "round_id" in cols and "kind" in cols:
        table = "inspection_rounds"
    elif {"name_zh", "type", "region"} <= cols:
        table = "units"
    elif {"indicator", "value"} & cols:
        table = "observations"
    elif wide and "unit_id" in cols:
        frame = _melt_template(frame, original, codes, framework)
        rows = np.repeat(rows, len(wide))[frame.pop("_pos").to_numpy()]
        table = "observations"
    elif cols <= {"unit_id", "year", "reason"} and {"unit_id", "year"} <= cols:
        table = "focal_units"
    else:
        issues.append(Issue(file, f"无法识别表格类型,表头为 {original}(参见 docs/data-model.md)",
                            f"cannot tell which table this is; headers are {original} (see docs/data-model.md)",
                            sheet=sheet))
        return None
    expected = COLUMNS[table] + (PROBLEM_EXTRA if table == "problems" else [])
    unknown = [o for o, c in zip(original, frame.columns) if c not in expected] if table != "observations" or not wide else []
    for name in unknown:
        issues.append(Issue(file, "未知列名(请检查拼写,参见 docs/data-model.md)",
                            "unknown column name (check the spelling; see docs/data-model.md)",
                            row=int(rows[0]) - 1 if len(rows) else None, column=str(name), sheet=sheet))
    frame = frame[[c for c in frame.columns if c in expected]]
    return Batch(file, table, frame.reset_index(drop=True), np.asarray(rows), sheet)


def _problem_sheet(frame: pd.DataFrame) -> bool:
    return any(_canonical_header(c) in ("problem_id", "round_id") for c in frame.columns)


def _source_from_sheet(frame: pd.DataFrame, sheet: str | None) -> pd.DataFrame:
    """A sheet of the problem collection workbook is named after its source department (巡察,
    审计, ...): its rows get that source unless they name one themselves."""
    source = codes.canonical("source", sheet) if sheet else None
    if source is None:
        return frame
    frame = frame.copy()
    if "source" not in frame.columns:
        frame["source"] = source
    else:
        frame["source"] = frame.source.where(frame.source.astype(str).str.strip() != "", source)
    return frame


def _melt_template(frame: pd.DataFrame, original: list, codes: set[str], framework) -> pd.DataFrame:
    """Wide collection template (one column per monitoring point) → long observations."""
    lead = framework.drop_duplicates("code", keep="last").set_index("code").lead_department
    frame = frame.copy()
    frame.columns = [_indicator_code(o, codes) or c for o, c in zip(original, frame.columns)]
    ids = [c for c in ("unit_id", "year", "period") if c in frame.columns]
    wide = [c for c in frame.columns if c in codes]
    frame["_row"] = np.arange(len(frame))
    long = frame.melt(id_vars=ids + ["_row"], value_vars=wide, var_name="indicator", value_name="value")
    long["_pos"] = long._row * len(wide) + long.indicator.map({c: i for i, c in enumerate(wide)})
    long = long[long.value.astype(str).str.strip() != ""]  # an empty cell is "not reported"
    long["source"] = long.indicator.map(lead)
    return long.drop(columns="_row").sort_values("_pos").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# validation
def _clean_numeric(series: pd.Series) -> pd.Series:
    s = series.astype(str).str.replace(",", "", regex=False).str.replace("%", "", regex=False).str.strip()
    return s.where(s != "", None)


def _float(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _typed(batch: Batch, issues: list[Issue]) -> tuple[Batch, pd.DataFrame] | None:
    """Coerce a batch to the table's schema, reporting every failing cell.

    Rows that fail are dropped from the result, so that the later checks (references,
    plausibility, conflicts) still see every other row: one pass reports all errors of a file.
    Returns ``None`` when a column-level error (a missing column) leaves nothing to check.
    """
    frame = batch.frame.copy()
    for col in frame.columns:
        frame[col] = frame[col].astype(object).where(frame[col].astype(str) != "", None)
    seen: set = set()
    bad_rows: set[int] = set()
    percent = np.zeros(len(frame), dtype=bool)
    for col in ("value", *SIZE_FIELDS):
        if col in frame.columns:
            raw = frame[col].fillna("").astype(str).str.strip()
            if col == "value":
                percent = raw.str.endswith("%").to_numpy()
            frame[col] = _clean_numeric(raw)
            numbers = [_float(v) if isinstance(v, str) else None for v in frame[col]]
            nonfinite = np.array([v is not None and not np.isfinite(v) for v in numbers], dtype=bool)
            for pos in np.flatnonzero(nonfinite):
                issues.append(batch.issue("不是有限数值(Infinity、NaN 或超出双精度范围)",
                                          "not a finite number (Infinity, NaN or beyond double precision)",
                                          pos, col, batch.frame[col].iloc[pos]))
                seen.add((int(pos), col))
                bad_rows.add(int(pos))
            frame.loc[nonfinite, col] = None
    for col in ("kept", "fed_back"):
        if col in frame.columns:
            frame[col] = frame[col].map(lambda v: None if v is None else
                                        {"true": True, "1": True, "是": True, "false": False, "0": False,
                                         "否": False}.get(str(v).lower(), v))
    for col, name in codes.CODED_COLUMNS.items():  # 巡察 / inspection ... → the canonical code
        if col in frame.columns and batch.table in ("problems", "problem_status_history", "inspection_rounds"):
            frame[col] = codes.normalise(frame[col], name)[0]
    schema = _schemas()[batch.table]
    try:
        df = schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        whole_column = False
        for _, f in fc.iterrows():
            pos = None if pd.isna(f["index"]) else int(f["index"])
            column = f.column if isinstance(f.column, str) else None
            if f.check == "column_in_dataframe":
                column = str(f.failure_case)
                whole_column = True
            elif pos is None:  # a check that crashed on values that already failed type coercion
                continue
            if f.check == "multiple_fields_uniqueness":  # one issue per duplicated row, not per key column
                column = "+".join(schema.unique)
            key = (pos, column)
            if pos is not None:
                bad_rows.add(pos)
            if key in seen:
                continue
            seen.add(key)
            zh, en = _reason(str(f.check))
            value = None if f.check == "column_in_dataframe" else f.failure_case
            if f.check == "not_nullable" or (value is None and f.check.startswith(("coerce", "dtype"))):
                zh, en = "不能为空", "must not be empty"
            issues.append(batch.issue(zh, en, pos, column, value))
        if whole_column:
            return None
        keep = np.array([i not in bad_rows for i in range(len(frame))], dtype=bool)
        try:
            df = schema.validate(frame[keep].reset_index(drop=True), lazy=True)
        except pa.errors.SchemaErrors:
            return None
        batch = Batch(batch.file, batch.table, batch.frame[keep].reset_index(drop=True), batch.rows[keep],
                      batch.sheet, batch.sha256, batch.notes, percent[keep])
        return batch, df
    if bad_rows:  # non-finite numbers only
        keep = np.array([i not in bad_rows for i in range(len(frame))], dtype=bool)
        batch = Batch(batch.file, batch.table, batch.frame[keep].reset_index(drop=True), batch.rows[keep],
                      batch.sheet, batch.sha256, batch.notes, percent[keep])
        return batch, df[keep].reset_index(drop=True)
    batch.percent = percent
    return batch, df


def _complete(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Add the optional columns a file left out, empty, so that every record is compared and stored whole."""
    df = df.copy()
    for col in COLUMNS[table]:
        if col not in df.columns:
            dtype = {"valid_from": "Int64", "valid_to": "Int64", "deadline": "datetime64[ns]",
                     "rectified_on": "datetime64[ns]", "kept": "boolean", "fed_back": "boolean"}.get(col, object)
            df[col] = pd.Series([None] * len(df), index=df.index, dtype=dtype)
    return df


def _restore_leading_zeros(batch: Batch, df: pd.DataFrame, known: set[str], notes: list[str]) -> None:
    """Give back the leading zeros a spreadsheet took from a unit code typed as a number.

    ``010`` typed into an Excel cell is stored as the number 10. A code of digits that is not
    a known unit but equals exactly one known code without its leading zeros is read as that
    code, and the report says so; with two candidates it stays unknown (an error).
    """
    if "unit_id" not in df.columns or batch.table == "units":
        return
    padded: dict[str, list[str]] = {}
    for code in known:
        if code.isdigit() and code.startswith("0"):
            padded.setdefault(code.lstrip("0") or "0", []).append(code)
    if not padded:
        return
    fixed = 0
    for pos in np.flatnonzero(~df.unit_id.isin(known).to_numpy()):
        code = df.unit_id.iloc[pos]
        match = padded.get(code.lstrip("0") or "0", []) if code.isdigit() else []
        if len(match) == 1:
            df.iloc[pos, df.columns.get_loc("unit_id")] = match[0]
            fixed += 1
    if fixed:
        notes.append(f"{batch.label}: {fixed} 个单位代码被表格软件存成了数字,已按单位表补回前导零(如 10 → 010)/ "
                     f"{fixed} unit code(s) had been stored as numbers by the spreadsheet; leading zeros restored "
                     "from the units table (e.g. 10 → 010)")


def _leaf_table(fw: pd.DataFrame) -> pd.DataFrame:
    return fw[fw.role.isin(["score", "red_line", *fwmod.LIST_ROLES])].drop_duplicates("code", keep="last").set_index("code")


def _year_bounds(fw: pd.DataFrame) -> tuple[int | None, int]:
    """Years an observation may carry: inside the framework's versions, and not after this year."""
    lo = fw.valid_from.astype("Float64") if "valid_from" in fw.columns else pd.Series(dtype="Float64")
    hi = fw.valid_to.astype("Float64") if "valid_to" in fw.columns else pd.Series(dtype="Float64")
    first = int(lo.min()) if len(lo) and lo.notna().all() else None
    last = int(hi.max()) if len(hi) and hi.notna().all() else None
    this_year = date.today().year
    return first, min(this_year, last) if last is not None else this_year


def _check_plausible(batch: Batch, df: pd.DataFrame, fw: pd.DataFrame, notes: list[str],
                     issues: list[Issue]) -> None:
    """Values a count, rate, score, size or year can take in the physical world."""
    if "year" in df.columns:
        first, last = _year_bounds(fw) if batch.table == "observations" else (None, date.today().year)
        late = df.year.astype("int64") > last
        for pos in np.flatnonzero(late.to_numpy()):
            why = ("晚于当前年度", "after the current year") if last == date.today().year else (
                f"晚于指标体系的适用年度(至 {last})", f"after the framework's last year ({last})")
            issues.append(batch.issue(*why, pos, "year", int(df.year.iloc[pos])))
        if first is not None:
            for pos in np.flatnonzero((df.year.astype("int64") < first).to_numpy()):
                issues.append(batch.issue(f"早于指标体系的适用年度(自 {first})", f"before the framework's first year "
                                          f"({first})", pos, "year", int(df.year.iloc[pos])))
    for col in SIZE_FIELDS:
        if col in df.columns:
            v = df[col].astype(float)
            for pos in np.flatnonzero((v.notna() & (v > MAX_ABS_VALUE)).to_numpy()):
                issues.append(batch.issue(f"数值大于 {MAX_ABS_VALUE:.0e},不可能是一个单位的人数", f"larger than "
                                          f"{MAX_ABS_VALUE:.0e}, impossible for one unit's head count",
                                          pos, col, v.iloc[pos]))
            for pos in np.flatnonzero((v.notna() & (v % 1 != 0)).to_numpy()):
                issues.append(batch.issue("人数应为整数", "a head count must be a whole number", pos, col, v.iloc[pos]))
    if batch.table != "observations":
        return
    leaf = _leaf_table(fw)
    known = df.indicator.isin(leaf.index)
    unit = df.indicator.map(leaf.unit).fillna("").astype(str)
    vmax = df.indicator.map(leaf.valid_max).astype(float)
    vmin = df.indicator.map(leaf.valid_min).astype(float)
    value = df.value.astype(float)
    huge = known & (value.abs() > MAX_ABS_VALUE) & ~((vmax.notna() & (value > 0)) | (vmin.notna() & (value < 0)))
    for pos in np.flatnonzero(huge.to_numpy()):
        issues.append(batch.issue(f"数值绝对值大于 {MAX_ABS_VALUE:.0e},不可能是一个单位一期的计数、比率或得分"
                                  f"(计量单位 {unit.iloc[pos] or '无'})",
                                  f"absolute value above {MAX_ABS_VALUE:.0e}: impossible for one unit's count, "
                                  f"rate or score in one period (unit {unit.iloc[pos] or 'none'})",
                                  pos, "value", value.iloc[pos]))
    counts = known & unit.str.startswith(COUNT_UNITS) & (value % 1 != 0) & ~huge
    for pos in np.flatnonzero(counts.to_numpy()):
        issues.append(batch.issue(f"计数应为整数(计量单位 {unit.iloc[pos]},分母由系统换算)",
                                  f"a count must be a whole number (unit {unit.iloc[pos]}; the denominator is "
                                  "applied later)", pos, "value", value.iloc[pos]))
    percent = batch.percent if batch.percent is not None else np.zeros(len(df), dtype=bool)
    wrong = known.to_numpy() & percent & (unit != "%").to_numpy()
    for pos in np.flatnonzero(wrong):
        issues.append(batch.issue(f"只有百分比指标可以带 % 号(该指标计量单位为 {unit.iloc[pos]})",
                                  f"only percentage indicators may carry a % sign (this one's unit is "
                                  f"{unit.iloc[pos]})", pos, "value", batch.frame.value.iloc[pos]))
    read = percent & (unit == "%").to_numpy()
    if read.any():
        first = int(np.flatnonzero(read)[0])
        notes.append(f"{batch.label}: {int(read.sum())} 个百分比数值带 % 号,已按百分数读取(如第 {int(batch.rows[first])} 行 "
                     f"“{batch.frame.value.iloc[first]}” → {value.iloc[first]:g})/ {int(read.sum())} percentage "
                     f"value(s) carried a % sign and were read as percent (e.g. row {int(batch.rows[first])}: "
                     f"'{batch.frame.value.iloc[first]}' → {value.iloc[first]:g})")


def _check_in_force(batch: Batch, df: pd.DataFrame, units: pd.DataFrame, issues: list[Issue]) -> None:
    """Observations only for units in force that year (``valid_from`` ≤ year ≤ ``valid_to``)."""
    if batch.table != "observations" or units.empty:
        return
    spans = units[["unit_id", "valid_from", "valid_to"]].copy()
    spans["lo"] = spans.valid_from.astype("Float64").fillna(-np.inf).astype(float)
    spans["hi"] = spans.valid_to.astype("Float64").fillna(np.inf).astype(float)
    obs = pd.DataFrame({"unit_id": df.unit_id.to_numpy(), "year": df.year.astype(float).to_numpy(),
                        "_pos": np.arange(len(df))})
    m = obs.merge(spans[["unit_id", "lo", "hi"]], on="unit_id", how="inner")
    m["in_force"] = (m.lo <= m.year) & (m.year <= m.hi)
    listed = m.groupby("_pos").in_force.any()
    described = spans.groupby("unit_id").apply(
        lambda g: "、".join(f"{'' if np.isinf(a) else int(a)}–{'' if np.isinf(b) else int(b)}"
                           for a, b in zip(g.lo, g.hi)), include_groups=False)
    for pos in listed.index[~listed.to_numpy()]:
        uid = df.unit_id.iloc[pos]
        issues.append(batch.issue(f"该单位在 {int(df.year.iloc[pos])} 年不存续(单位表中的起止年度为 {described[uid]})",
                                  f"the unit is not in force in {int(df.year.iloc[pos])} (its valid_from–valid_to "
                                  f"in the units table: {described[uid]})", pos, "year", int(df.year.iloc[pos])))


def _check_unit_spans(batch: Batch, df: pd.DataFrame, stored: pd.DataFrame, issues: list[Issue]) -> None:
    """The rows of one unit (stored and incoming) must cover disjoint years: a rename adds a row."""
    key = ["unit_id", "valid_from"]
    inc = df[["unit_id", "valid_from", "valid_to"]].assign(_pos=np.arange(len(df)))
    old = stored[["unit_id", "valid_from", "valid_to"]].assign(_pos=-1)
    old = old[~old.set_index(key).index.isin(inc.set_index(key).index)]
    both = pd.concat([old, inc], ignore_index=True)
    both = both[both.unit_id.isin(set(inc.unit_id))]
    both["lo"] = both.valid_from.astype("Float64").fillna(-np.inf).astype(float)
    both["hi"] = both.valid_to.astype("Float64").fillna(np.inf).astype(float)
    for uid, g in both.sort_values(["unit_id", "lo"]).groupby("unit_id", sort=False):
        lo, hi, pos = g.lo.to_numpy(), g.hi.to_numpy(), g._pos.to_numpy()
        for i in range(1, len(g)):
            if lo[i] <= hi[:i].max():
                at = pos[i] if pos[i] >= 0 else pos[i - 1]
                issues.append(batch.issue(
                    "同一单位的两行起止年度重叠(更名请给旧行填写终止年度、新行填写起始年度)",
                    "two rows of one unit overlap in years (for a rename give the old row a valid_to and the new "
                    "row a valid_from)", int(at), "valid_from", df.valid_from.iloc[int(at)]))


def _text(value) -> str:
    """A cell as text for comparing and quoting records ("" for empty, 2024 not 2024.0 for years)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def _describe_change(stored: pd.Series, incoming: pd.Series) -> str:
    """The fields in which an incoming record differs from the stored one, as 'field: old → new'."""
    diffs = [f"{c}: {_text(stored[c]) or '(空 empty)'} → {_text(incoming.get(c)) or '(空 empty)'}"
             for c in stored.index if _text(stored[c]) != _text(incoming.get(c))]
    return "; ".join(diffs[:4])


def _check_changes(wh: Warehouse, batch: Batch, df: pd.DataFrame, replace: bool, issues: list[Issue]) -> int:
    """Stored records this batch would change; an error unless ``replace``. Returns how many."""
    if batch.table not in HISTORY:
        return 0
    changed = wh.changed_records(batch.table, df)
    if replace or changed.empty:
        return len(changed)
    for _, old in changed.iterrows():
        pos = int(old._pos)
        if batch.table == "observations" and _text(old.value) != _text(df.value.iloc[pos]):
            issues.append(batch.issue(
                f"与已入库数值 {old.value:g} 冲突(如确需更正,请使用 --replace,旧值将保留在历史表中)",
                f"conflicts with the stored value {old.value:g} (use --replace to correct it; the old value is kept "
                "in observation_history)", pos, "value", df.value.iloc[pos]))
        else:
            what = _describe_change(old.drop("_pos"), df.iloc[pos])
            issues.append(batch.issue(
                f"与已入库的记录不同({what});如确需更改,请使用 --replace,旧记录将保留在 {HISTORY[batch.table]} 中",
                f"differs from the stored record ({what}); use --replace to change it, the old record is kept in "
                f"{HISTORY[batch.table]}", pos, "+".join(KEYS[batch.table])))
    return len(changed)


def _check_across_files(typed: list[tuple[Batch, pd.DataFrame]], issues: list[Issue]) -> None:
    """The same key with different content in two files (or sheets) of one batch names both places."""
    by_table: dict[str, list[pd.DataFrame]] = {}
    for i, (batch, df) in enumerate(typed):
        cols = [c for c in COLUMNS[batch.table] if c in df.columns]
        frame = df[cols].astype(object).map(_text)
        by_table.setdefault(batch.table, []).append(frame.assign(_batch=i, _pos=np.arange(len(df))))
    for table, frames in by_table.items():
        if len(frames) < 2:
            continue
        keys = KEYS[table]
        allrows = pd.concat(frames, ignore_index=True)
        dup = allrows[allrows.duplicated(keys, keep=False)]
        for _, g in dup.groupby(keys, sort=False):
            first = g.iloc[0]
            content = [c for c in g.columns if c not in ("_batch", "_pos")]
            for _, other in g.iloc[1:].iterrows():
                if other._batch == first._batch:
                    continue  # a duplicate inside one file is reported by the schema
                if (other[content] == first[content]).all():
                    continue  # the same record twice is harmless
                b0, b1 = typed[first._batch][0], typed[other._batch][0]
                where = f"{b0.label} 第 {int(b0.rows[first._pos])} 行 / row {int(b0.rows[first._pos])}"
                diff = "; ".join(f"{c}: {first[c]} ≠ {other[c]}" for c in content if first[c] != other[c])
                issues.append(b1.issue(f"与同批次 {where} 的同一记录取值不同({diff}),请只保留正确的一份",
                                       f"the same record as {b0.label} row {int(b0.rows[first._pos])} with different "
                                       f"values ({diff}); keep only the correct one", int(other._pos),
                                       "+".join(keys)))


def _check_references(batch: Batch, df: pd.DataFrame, fw: pd.DataFrame, known_units: set[str],
                      issues: list[Issue]) -> None:
    leaf = fw[fw.role.isin(["score", "red_line", *fwmod.LIST_ROLES])].drop_duplicates("code", keep="last").set_index("code")
    if "unit_id" in df.columns and batch.table != "units":
        for pos in np.flatnonzero(~df.unit_id.isin(known_units).to_numpy()):
            issues.append(batch.issue("单位代码不存在(请先导入单位表)", "unknown unit_id (load the units table first)",
                                      pos, "unit_id", df.unit_id.iloc[pos]))
    if batch.table == "units":
        lo, hi = df.valid_from.astype("Float64"), df.valid_to.astype("Float64")
        for pos in np.flatnonzero(((lo > hi) & lo.notna() & hi.notna()).to_numpy(dtype=bool)):
            issues.append(batch.issue("起始年度晚于终止年度", "valid_from is after valid_to", pos, "valid_to",
                                      df.valid_to.iloc[pos]))
    if batch.table == "observations":
        unknown = ~df.indicator.isin(leaf.index)
        for pos in np.flatnonzero(unknown.to_numpy()):
            issues.append(batch.issue("指标代码不在指标体系中", "indicator code not in the framework",
                                      pos, "indicator", df.indicator.iloc[pos]))
        ok = ~unknown
        freq = df.indicator.map(leaf.frequency)
        bad_q = ok & (freq == "quarterly") & ~df.period.isin(PERIODS[:4])
        bad_y = ok & (freq == "annual") & (df.period != "Y")
        for pos in np.flatnonzero(bad_q.to_numpy()):
            issues.append(batch.issue("季度指标的期别须为 Q1–Q4", "a quarterly indicator needs period Q1–Q4",
                                      pos, "period", df.period.iloc[pos]))
        for pos in np.flatnonzero(bad_y.to_numpy()):
            issues.append(batch.issue("年度指标的期别须为 Y", "an annual indicator needs period Y",
                                      pos, "period", df.period.iloc[pos]))
        vmin = df.indicator.map(leaf.valid_min).astype(float)
        vmax = df.indicator.map(leaf.valid_max).astype(float)
        unit = df.indicator.map(leaf.unit).fillna("")
        low = ok & vmin.notna() & (df.value < vmin)
        high = ok & vmax.notna() & (df.value > vmax)
        for pos in np.flatnonzero(low.to_numpy()):
            what = ("计数不能为负", "counts cannot be negative") if vmin.iloc[pos] == 0 else (
                f"低于下限 {vmin.iloc[pos]:g}", f"below the minimum {vmin.iloc[pos]:g}")
            issues.append(batch.issue(*what, pos, "value", df.value.iloc[pos]))
        for pos in np.flatnonzero(high.to_numpy()):
            what = ("百分比不能超过 100", "a percentage cannot exceed 100") if unit.iloc[pos] == "%" and vmax.iloc[pos] == 100 \
                else (f"高于上限 {vmax.iloc[pos]:g}", f"above the maximum {vmax.iloc[pos]:g}")
            issues.append(batch.issue(*what, pos, "value", df.value.iloc[pos]))
    if batch.table == "problems":
        bad = df.rectified_on.notna() & df.deadline.notna() & (df.rectified_on.dt.year < df.year) \
            if "rectified_on" in df.columns and "deadline" in df.columns else pd.Series(False, index=df.index)
        for pos in np.flatnonzero(bad.to_numpy()):
            issues.append(batch.issue("整改完成日期早于问题所属年度", "rectified_on is before the problem's year",
                                      pos, "rectified_on", df.rectified_on.iloc[pos]))


def _check_problem_references(batch: Batch, df: pd.DataFrame, known: dict[str, set], issues: list[Issue]) -> None:
    """Rounds named by problems and history rows must be defined (in the warehouse or the same
    batch); history rows must refer to known problems; a re-check round must re-check a known round."""
    if batch.table == "inspection_rounds":
        known["rounds"] |= set(df.round_id)
        bad = df.rechecks.notna() & ~df.rechecks.isin(known["rounds"])
        for pos in np.flatnonzero(bad.to_numpy()):
            issues.append(batch.issue("复查轮次不存在(请先登记被复查的巡察轮次)",
                                      "rechecks names an unknown round (register that round first)",
                                      pos, "rechecks", df.rechecks.iloc[pos]))
        return
    if batch.table == "problems":
        known["problems"] |= set(df.problem_id)
    if batch.table == "problem_status_history":
        for pos in np.flatnonzero(~df.problem_id.isin(known["problems"]).to_numpy()):
            issues.append(batch.issue("问题编号不存在(请先导入问题清单)", "unknown problem_id (load the problem list first)",
                                      pos, "problem_id", df.problem_id.iloc[pos]))
    if "round_id" in df.columns:
        bad = df.round_id.notna() & ~df.round_id.isin(known["rounds"])
        for pos in np.flatnonzero(bad.to_numpy()):
            issues.append(batch.issue("巡察轮次未登记(请在“巡察轮次”工作表中登记)",
                                      "unknown inspection round (register it in the rounds sheet)",
                                      pos, "round_id", df.round_id.iloc[pos]))


def _history_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The status a problem row reports, as a history row: dated by ``status_on``, else by the
    completion date of a rectified problem, else by the end of the problem's year (the date
    a yearly list is collected)."""
    year_end = pd.to_datetime(df.year.astype(int).astype(str) + "-12-31")
    date = df.status_on if "status_on" in df.columns else pd.Series(pd.NaT, index=df.index)
    if "rectified_on" in df.columns:
        date = date.fillna(df.rectified_on.where(df.status == "rectified"))
    out = pd.DataFrame({"problem_id": df.problem_id, "status": df.status, "status_on": date.fillna(year_end)})
    out["round_id"] = df.round_id if "round_id" in df.columns else None
    out["note"] = df.note if "note" in df.columns else None
    return out


# --------------------------------------------------------------------------------------------
def ingest(paths, warehouse: str | Path | Warehouse, replace: bool = False,
           framework: str | Path | pd.DataFrame | None = None, command: str = "") -> IngestReport:
    """Validate every file, then load all of them in one transaction (or nothing)."""
    own = not isinstance(warehouse, Warehouse)
    wh = Warehouse(warehouse) if own else warehouse
    try:
        return _ingest(wh, [Path(p) for p in paths], replace, framework, command)
    finally:
        if own:
            wh.close()


def _ingest(wh: Warehouse, paths: list[Path], replace: bool, framework, command: str) -> IngestReport:
    if isinstance(framework, pd.DataFrame):
        fw, fw_source = framework, "DataFrame"
    elif framework is not None:
        fw, fw_source = fwmod.load_framework(framework), str(framework)
    else:
        stored = wh.table("framework")
        fw, fw_source = (wh.framework(), None) if len(stored) else (fwmod.load_framework(), "data/framework/framework.csv")
    report = IngestReport()
    loaded_hashes = wh.loaded_hashes()
    issues: list[Issue] = []
    batches: list[Batch] = []
    for path in tqdm(paths, desc="读取 / reading", unit="file", disable=len(paths) < 2 or not sys.stderr.isatty()):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            if digest in loaded_hashes:
                report.skipped.append(str(path))
                continue
            batches.extend(read_file(path, fw))
        except InputError as e:
            issues.extend(e.issues)
    for b in batches:
        report.notes.extend(b.notes)
    batches.sort(key=lambda b: ORDER.index(b.table))
    stored_units = wh.units()
    units = stored_units
    known_units = set(stored_units.unit_id)
    known = {"rounds": set(wh.inspection_rounds().round_id), "problems": set(wh.problems().problem_id)}
    typed: list[tuple[Batch, pd.DataFrame]] = []
    for raw in batches:
        result = _typed(raw, issues)
        if result is None:
            continue
        batch, df = result
        df = _complete(batch.table, df)
        if batch.table == "units":
            _check_unit_spans(batch, df, stored_units, issues)
            known_units |= set(df.unit_id)
            fresh = df[["unit_id", "valid_from", "valid_to"]]
            units = pd.concat([units[["unit_id", "valid_from", "valid_to"]], fresh], ignore_index=True)
        _restore_leading_zeros(batch, df, known_units, report.notes)
        _check_references(batch, df, fw, known_units, issues)
        _check_problem_references(batch, df, known, issues)
        _check_plausible(batch, df, fw, report.notes, issues)
        _check_in_force(batch, df, units, issues)
        # a problem's status is derived from its history: a new status is a new history row, not a change
        _check_changes(wh, batch, df.drop(columns=[c for c in DERIVED_STATUS if batch.table == "problems" and c in df]),
                       replace, issues)
        typed.append((batch, df))
    _check_across_files(typed, issues)
    if issues:
        raise InputError(issues)

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    writes, touched = [], set()
    for b, df in typed:
        if b.table in ("problems", "problem_status_history"):
            hist = _history_rows(df) if b.table == "problems" else df.reindex(columns=HISTORY_COLUMNS)
            hist = hist.assign(recorded_at=now, recorded_from=b.label).drop_duplicates(
                KEYS["problem_status_history"], keep="last")
            touched |= set(hist.problem_id)
            if b.table == "problem_status_history":
                writes.append(TableWrite(b.table, hist, b.label, b.sha256))
                continue
            writes.append(TableWrite(b.table, df.drop(columns=[c for c in DERIVED_STATUS if c in df])[
                [c for c in COLUMNS[b.table] if c in df.columns and c not in DERIVED_STATUS]], b.label, b.sha256))
            # the status each problem row reports, as a history row (derived: no provenance row of its own)
            writes.append(TableWrite("problem_status_history", hist, b.label, b.sha256, provenance=False))
            continue
        writes.append(TableWrite(b.table, df[[c for c in COLUMNS[b.table] if c in df.columns]], b.label, b.sha256))

    def derive_status(store: Warehouse) -> None:  # the current status of every problem whose history changed
        if touched:
            store.set_problem_status(current_status(store.history_of(touched)))

    replaced = wh.write_batch(writes, framework=fw if fw_source is not None else None,
                              framework_source=fw_source, command=command, after=derive_status)
    report.replaced_by_table = replaced
    report.replaced = replaced.get("observations", 0)
    report.loaded = [{"file": b.file, "sheet": b.sheet, "table": b.table, "rows": len(df)} for b, df in typed]
    return report
