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
"""
from __future__ import annotations

import hashlib
import io
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
from tqdm import tqdm

from . import codes
from . import framework as fwmod
from .errors import InputError, Issue
from .problems import HISTORY_COLUMNS, current_status
from .warehouse import KEYS, Warehouse

YEAR_RANGE = (2000, 2100)
PERIODS = ["Q1", "Q2", "Q3", "Q4", "Y"]
UNIT_TYPES = ["county", "department", "enterprise", "college", "township", "school", "hospital", "other"]
PROBLEM_SOURCES = list(codes.code_list("source").codes)
SEVERITIES = list(codes.code_list("severity").codes)
STATUSES = list(codes.code_list("status").codes)
ROUND_KINDS = list(codes.code_list("round_kind").codes)
INSTRUCTION_SHEETS = {"填报说明", "说明", "instructions", "readme"}

ALIASES = {
    "单位代码": "unit_id", "年度": "year", "期别": "period", "指标代码": "indicator", "数值": "value",
    "报送部门": "source", "备注": "note", "单位名称": "name_zh", "英文名称": "name_en", "单位类型": "type",
    "片区": "region", "在编人数": "staff", "党员数": "party_members", "服务人口": "residents",
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
              "valid_from", "valid_to", "successor_id"],
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

    def summary(self) -> str:
        lines = [f"已载入 / loaded: {r['file']} → {r['table']} ({r['rows']} 行 rows)" for r in self.loaded]
        lines += [f"已存在,跳过 / already loaded, skipped: {f}" for f in self.skipped]
        if self.replaced:
            lines.append(f"替换旧值 / values replaced: {self.replaced}(旧值已存入 observation_history)")
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
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except pd.errors.ParserError as e:
        m = re.search(r"line (\d+)", str(e))
        detail = str(e).strip()
        raise InputError([Issue(str(path), f"CSV 格式错误:列数与表头不一致({detail})",
                                f"malformed CSV: a row has more fields than the header ({detail})",
                                row=int(m.group(1)) if m else None)]) from None


def _read_xlsx(path: Path) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb_values = openpyxl.load_workbook(path, data_only=True)
        wb_formulas = openpyxl.load_workbook(path, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError, ValueError) as e:
        raise InputError([Issue(str(path), f"文件已损坏或不是有效的 xlsx 文件({type(e).__name__})",
                                f"the file is damaged or not a valid xlsx workbook ({type(e).__name__})")]) from None
    out, issues = [], []
    for ws in wb_values.worksheets:
        if ws.sheet_state != "visible" or _norm(ws.title).lower() in INSTRUCTION_SHEETS:
            continue
        grid = [[c for c in row] for row in ws.iter_rows(values_only=True)]
        header_row = next((i for i, row in enumerate(grid[:15])
                           if any(_canonical_header(v) in ("unit_id", "problem_id", "round_id") for v in row)), None)
        if header_row is None:
            if any(any(_norm(v) for v in row) for row in grid):
                issues.append(Issue(str(path), "找不到表头行(应包含“单位代码 unit_id”或“问题编号 problem_id”)",
                                    "no header row found (it must contain 'unit_id' or 'problem_id')",
                                    sheet=ws.title))
            continue
        # merged cells: fill header merges; refuse merges inside the data area
        for rng in ws.merged_cells.ranges:
            if rng.max_row - 1 <= header_row:
                top = ws.cell(rng.min_row, rng.min_col).value
                for r in range(rng.min_row - 1, rng.max_row):
                    for c in range(rng.min_col - 1, rng.max_col):
                        grid[r][c] = top
            else:
                issues.append(Issue(str(path), f"数据区域存在合并单元格 {rng.coord},请取消合并并在每个单元格中填写数值",
                                    f"merged cells {rng.coord} in the data area: unmerge them and fill every cell",
                                    row=rng.min_row, sheet=ws.title))
        fws = wb_formulas[ws.title]
        for r_idx, row in enumerate(fws.iter_rows(min_row=header_row + 2), start=header_row + 2):
            for cell in row:
                if cell.data_type == "f" and ws.cell(r_idx, cell.column).value is None:
                    issues.append(Issue(str(path), "单元格含公式但没有计算结果,请在 Excel 中“粘贴为数值”后保存",
                                        "the cell holds a formula with no stored result; paste values in Excel "
                                        "and save", row=r_idx, column=cell.column_letter, value=cell.value,
                                        sheet=ws.title))
        header = [_norm(v) for v in grid[header_row]]
        body = grid[header_row + 1:]
        rows = np.arange(header_row + 2, header_row + 2 + len(body))
        keep = [i for i, r in enumerate(body) if any(_norm(v) for v in r)]
        frame = pd.DataFrame([[_norm(v) for v in body[i]] for i in keep], columns=header, dtype=object)
        frame = frame.loc[:, [h != "" for h in header]]
        out.append((ws.title, frame, rows[keep]))
    if issues:
        raise InputError(issues)
    return out


def read_file(path: str | Path, framework: pd.DataFrame) -> list[Batch]:
    """Read one file into typed-as-text batches (no validation beyond the file's shape)."""
    path = Path(path)
    if not path.exists():
        raise InputError([Issue(str(path), "文件不存在", "file not found")])
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise InputError([Issue(str(path), "文件为空", "the file is empty")])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df = _read_csv(path, data)
        sheets = [(None, df.map(_norm), np.arange(2, len(df) + 2))]
    elif suffix in (".xlsx", ".xlsm"):
        sheets = _read_xlsx(path)
    elif suffix == ".parquet":
        try:
            with duckdb.connect() as con:
                df = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
        except duckdb.Error as e:
            raise InputError([Issue(str(path), f"无法读取 Parquet 文件({type(e).__name__})",
                                    f"cannot read the Parquet file ({type(e).__name__})")]) from None
        sheets = [(None, df.astype(object).map(_norm), np.arange(1, len(df) + 1))]
    else:
        raise InputError([Issue(str(path), f"不支持的文件类型 {suffix or '(无扩展名)'},请使用 CSV、XLSX 或 Parquet",
                                f"unsupported file type {suffix or '(none)'}; use CSV, XLSX or Parquet")])
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
        batch = _classify(str(path), sheet, frame, rows, codes, framework, issues)
        if batch is not None:
            batch.sha256 = digest
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


def _typed(batch: Batch, issues: list[Issue]) -> pd.DataFrame | None:
    frame = batch.frame.copy()
    for col in frame.columns:
        frame[col] = frame[col].astype(object).where(frame[col].astype(str) != "", None)
    for col in ("value", "staff", "party_members", "residents"):
        if col in frame.columns:
            frame[col] = _clean_numeric(frame[col].fillna(""))
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
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        seen = set()
        for _, f in fc.iterrows():
            pos = None if pd.isna(f["index"]) else int(f["index"])
            column = f.column if isinstance(f.column, str) else None
            if f.check == "column_in_dataframe":
                column = str(f.failure_case)
            elif pos is None:  # a check that crashed on values that already failed type coercion
                continue
            if f.check == "multiple_fields_uniqueness":  # one issue per duplicated row, not per key column
                column = "+".join(schema.unique)
            key = (pos, column)
            if key in seen:
                continue
            seen.add(key)
            zh, en = _reason(str(f.check))
            value = None if f.check == "column_in_dataframe" else f.failure_case
            if f.check == "not_nullable" or (value is None and f.check.startswith(("coerce", "dtype"))):
                zh, en = "不能为空", "must not be empty"
            issues.append(batch.issue(zh, en, pos, column, value))
        return None


def _check_references(batch: Batch, df: pd.DataFrame, fw: pd.DataFrame, known_units: set[str],
                      issues: list[Issue]) -> None:
    leaf = fw[fw.role.isin(["score", "red_line"])].drop_duplicates("code", keep="last").set_index("code")
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


def _check_conflicts(wh: Warehouse, batch: Batch, df: pd.DataFrame, replace: bool,
                     issues: list[Issue]) -> pd.DataFrame:
    """Rows whose key is stored with a different value; an error unless ``replace``."""
    if batch.table != "observations":
        return df.iloc[0:0]
    wh.con.register("_incoming", df[KEYS["observations"] + ["value"]])
    try:
        clash = wh.con.execute(
            "SELECT i.*, o.value AS stored FROM _incoming i JOIN observations o USING (unit_id, year, period, indicator)"
            " WHERE o.value <> i.value").df()
    finally:
        wh.con.unregister("_incoming")
    if not replace and len(clash):
        pos_of = {tuple(k): p for p, k in enumerate(df[KEYS["observations"]].itertuples(index=False))}
        for _, r in clash.iterrows():
            pos = pos_of[(r.unit_id, r.year, r.period, r.indicator)]
            issues.append(batch.issue(
                f"与已入库数值 {r.stored:g} 冲突(如确需更正,请使用 --replace,旧值将保留在历史表中)",
                f"conflicts with the stored value {r.stored:g} (use --replace to correct it; the old value is kept "
                "in observation_history)", pos, "value", r.value))
    return clash


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
        fw, fw_source = (wh.framework(), None) if len(stored) else (fwmod.load_framework(), str(fwmod.DEFAULT_PATH))
    report = IngestReport()
    loaded_hashes = set(wh.con.execute("SELECT sha256 FROM provenance").df().sha256)
    issues: list[Issue] = []
    batches: list[Batch] = []
    for path in tqdm(paths, desc="读取 / reading", unit="file", disable=len(paths) < 2 or not sys.stderr.isatty()):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
            if digest in loaded_hashes:
                report.skipped.append(str(path))
                continue
            batches.extend(read_file(path, fw))
        except InputError as e:
            issues.extend(e.issues)
    batches.sort(key=lambda b: ORDER.index(b.table))
    known_units = set(wh.con.execute("SELECT DISTINCT unit_id FROM units").df().unit_id)
    known = {"rounds": set(wh.inspection_rounds().round_id), "problems": set(wh.problems().problem_id)}
    typed: list[tuple[Batch, pd.DataFrame, pd.DataFrame]] = []
    for batch in batches:
        df = _typed(batch, issues)
        if df is None:
            continue
        if batch.table == "units":
            known_units |= set(df.unit_id)
        _check_references(batch, df, fw, known_units, issues)
        _check_problem_references(batch, df, known, issues)
        clash = _check_conflicts(wh, batch, df, replace, issues)
        typed.append((batch, df, clash))
    if issues:
        raise InputError(issues)

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    touched: set[str] = set()
    wh.con.execute("BEGIN TRANSACTION")
    try:
        if fw_source is not None:
            wh.replace_framework(fw, fw_source)
        for batch, df, clash in typed:
            if batch.table == "observations" and len(clash):
                wh.con.register("_clash", clash[KEYS["observations"]])
                wh.con.execute(
                    "INSERT INTO observation_history SELECT o.*, ?, ? FROM observations o "
                    "JOIN _clash c USING (unit_id, year, period, indicator)", [now, batch.file])
                wh.con.unregister("_clash")
                report.replaced += len(clash)
            if batch.table in ("problems", "problem_status_history"):
                hist = _history_rows(df) if batch.table == "problems" else df.reindex(columns=HISTORY_COLUMNS)
                hist = hist.assign(recorded_at=now, recorded_from=batch.file + (f"#{batch.sheet}" if batch.sheet else ""))
                touched |= set(hist.problem_id)
            if batch.table == "problems":
                _upsert(wh, batch.table, df)
                wh.upsert_keyed("problem_status_history", hist.drop_duplicates(KEYS["problem_status_history"], keep="last"))
            elif batch.table in ("problem_status_history", "inspection_rounds"):
                wh.upsert_keyed(batch.table, hist if batch.table == "problem_status_history"
                                else df.reindex(columns=COLUMNS[batch.table]))
            else:
                _upsert(wh, batch.table, df)
            wh.con.execute("INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?)",
                           [batch.file + (f"#{batch.sheet}" if batch.sheet else ""), batch.sha256, batch.table,
                            len(df), now, command])
            report.loaded.append({"file": batch.file, "sheet": batch.sheet, "table": batch.table, "rows": len(df)})
        if touched:  # the current status of every problem whose history changed is derived anew
            wh.set_problem_status(current_status(wh.history_of(touched)))
        wh.con.execute("COMMIT")
    except Exception:
        wh.con.execute("ROLLBACK")
        raise
    return report


def _upsert(wh: Warehouse, table: str, df: pd.DataFrame) -> None:
    cols = [c for c in COLUMNS[table] if c in df.columns]
    frame = df[cols].copy()
    if table == "units":
        # a units file describes the units it names completely: their previous rows are replaced
        wh.con.register("_ids", frame[["unit_id"]].drop_duplicates())
        wh.con.execute("DELETE FROM units WHERE unit_id IN (SELECT unit_id FROM _ids)")
        wh.con.unregister("_ids")
        wh._insert("units", frame)
        return
    keys = KEYS[table]
    wh.con.register("_keys", frame[keys])
    cond = " AND ".join(f"t.{k} = k.{k}" for k in keys)
    wh.con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _keys k WHERE {cond})")
    wh.con.unregister("_keys")
    wh._insert(table, frame)
