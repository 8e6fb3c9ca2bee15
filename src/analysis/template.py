"""Excel collection templates (数据采集模板): one per lead department (牵头单位) for the
monitoring points, and one workbook for the problem list (:func:`write_problem_template`).

Each workbook has an instruction sheet in Chinese and one data sheet per reporting frequency
(季度数据 / 年度数据): a merged title row, a header row ``单位代码 unit_id | 单位名称 | 年度 year |
期别 period | M01 立案数 | ...`` and one pre-filled row per unit (and quarter). Value cells carry
Excel data-validation rules (number within the framework's valid range). A filled template is
read back by :mod:`analysis.ingest` without edits.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import framework as fwmod
from .panel import units_for_year

_SIZE_ZH = {"staff": "在编人数", "party_members": "党员数", "residents": "服务人口"}


def _header(leaf) -> str:
    """Column header: code first (the ingest reads it), then the name and the raw unit."""
    unit = str(leaf.unit).split("/")[0] if leaf.denominator else leaf.unit
    return f"{leaf.code} {leaf.name_zh}({unit})" if unit else f"{leaf.code} {leaf.name_zh}"


def _instructions(ws, department: str, year: int, leaves: pd.DataFrame) -> None:
    lines = [
        f"{year} 年度政治生态监测数据采集表 —— {department}",
        "",
        "填报说明:",
        "1. 请在“季度数据”“年度数据”工作表中,按单位逐行填写各监测点的原始数值;不要修改表头、单位代码、年度和期别。",
        "2. 填写原始数(如件数、人数),不要自行换算为比率;需要按人数折算的指标由系统根据单位规模自动计算。",
        "3. 百分比指标填写 0–100 之间的数字,不加“%”;没有发生的事项填 0;确实无法获取的数据请留空,并在报送时书面说明原因。",
        "4. 请直接填写数值,不要使用公式,不要合并单元格,不要增删列。",
        "5. 填好后保存为 .xlsx,交牵头部门汇总;导入命令:analysis ingest 本文件.xlsx",
        "",
        "监测点说明(代码 / 名称 / 频率 / 取值范围 / 定义):",
    ]
    for leaf in leaves.itertuples():
        rng = f"{'' if pd.isna(leaf.valid_min) else f'{leaf.valid_min:g}'}–{'' if pd.isna(leaf.valid_max) else f'{leaf.valid_max:g}'}"
        freq = "季度" if leaf.frequency == "quarterly" else "年度"
        denom = f";系统按每{leaf.per:g}名{_SIZE_ZH[leaf.denominator]}折算" if leaf.denominator else ""
        lines.append(f"{leaf.code} {leaf.name_zh} / {freq} / {rng} / {leaf.definition}{denom}")
    for i, line in enumerate(lines, start=1):
        ws.cell(i, 1, line)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 120


def _data_sheet(wb: Workbook, title: str, department: str, year: int, units: pd.DataFrame,
                leaves: pd.DataFrame, periods: list[str]) -> None:
    ws = wb.create_sheet(title)
    fixed = ["单位代码 unit_id", "单位名称 name", "年度 year", "期别 period"]
    headers = fixed + [_header(leaf) for leaf in leaves.itertuples()]
    ws.cell(1, 1, f"{year} 年度 {department} {title}(示例:请逐格填写原始数值)")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=13)
    ws["A1"].alignment = Alignment(horizontal="center")
    for j, h in enumerate(headers, start=1):
        c = ws.cell(2, j, h)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
        c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = 14 if j > 2 else (12 if j == 1 else 26)
    ws.row_dimensions[2].height = 48
    r = 3
    for unit in units.itertuples():
        for period in periods:
            for j, v in enumerate([unit.unit_id, unit.name_zh, year, period], start=1):
                ws.cell(r, j, v).number_format = "@" if j == 1 else "General"
            r += 1
    last = max(r - 1, 3)
    for j, leaf in enumerate(leaves.itertuples(), start=len(fixed) + 1):
        lo = 0 if pd.isna(leaf.valid_min) else float(leaf.valid_min)
        hi = 1e9 if pd.isna(leaf.valid_max) else float(leaf.valid_max)
        dv = DataValidation(type="decimal", operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}",
                            allow_blank=True, showErrorMessage=True, errorTitle="数值超出范围",
                            error=f"{leaf.code} {leaf.name_zh}:请填写 {lo:g} 到 {hi:g} 之间的数字")
        col = get_column_letter(j)
        dv.add(f"{col}3:{col}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "E3"


def write_templates(framework: pd.DataFrame, units: pd.DataFrame, year: int, out_dir: str | Path) -> list[Path]:
    """Write one workbook per lead department; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fw = fwmod.for_year(framework, year)
    leaves = fw[fw.role.isin(["score", "red_line", *fwmod.LIST_ROLES])]
    active = units_for_year(units, year).sort_values("unit_id")
    paths = []
    for department, group in leaves.groupby("lead_department", sort=True):
        wb = Workbook()
        _instructions(wb.active, department, year, group)
        wb.active.title = "填报说明"
        quarterly = group[group.frequency == "quarterly"]
        annual = group[group.frequency == "annual"]
        if len(quarterly):
            _data_sheet(wb, "季度数据", department, year, active, quarterly, ["Q1", "Q2", "Q3", "Q4"])
        if len(annual):
            _data_sheet(wb, "年度数据", department, year, active, annual, ["Y"])
        path = out_dir / f"{year}_{department}_采集模板.xlsx"
        wb.save(path)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- the problem list
#: Source departments with a sheet of their own in the problem workbook (sheet name = Chinese label).
PROBLEM_SHEETS = ("inspection", "audit", "petition", "organisation", "discipline", "supervision")
_MAX_ROWS = 500
_CODE_SHEET = "代码表"
_ROUND_SHEET = "巡察轮次"
_UPDATE_SHEET = "整改进展"
# (header, code list for the drop-down or a validation kind, column width)
_PROBLEM_COLUMNS = [
    ("问题编号 problem_id", None, 16), ("单位代码 unit_id", "unit", 12), ("单位名称(选填) name", None, 26),
    ("年度 year", "year", 8), ("巡察轮次 round_id", "round", 12), ("方面 aspect", "aspect", 20),
    ("问题类别 category", None, 16), ("问题描述 description", None, 50), ("严重程度 severity", "severity", 10),
    ("整改状态 status", "status", 10), ("状态日期 status_on", "date", 12), ("整改时限 deadline", "date", 12),
    ("完成日期 rectified_on", "date", 12), ("审核保留 kept", "boolean", 10), ("已反馈 fed_back", "boolean", 10),
    ("整改情况 note", None, 30),
]
_ROUND_COLUMNS = [("巡察轮次 round_id", None, 12), ("年度 year", "year", 8), ("轮次名称 name_zh", None, 24),
                  ("轮次类型 kind", "round_kind", 12), ("复查轮次 rechecks", "round", 12),
                  ("开始日期 start_on", "date", 12), ("结束日期 end_on", "date", 12)]
_UPDATE_COLUMNS = [("问题编号 problem_id", None, 16), ("整改状态 status", "status", 10),
                   ("状态日期 status_on", "date", 12), ("巡察轮次 round_id", "round", 12), ("整改情况 note", None, 40)]


def _problem_instructions(ws, year: int) -> None:
    from . import codes

    lines = [
        f"{year} 年度问题清单采集表",
        "",
        "填报说明:",
        "1. 每个来源部门一张工作表(巡察、审计、信访、组织、纪检、督查):请在本部门的工作表中逐条填写问题,一行一个问题;"
        "工作表名即问题来源,不必另填。没有问题的工作表留空即可。",
        "2. 问题编号须唯一,建议“部门简称+年度+序号”(如 XC2024-001);同一问题以后更新整改进度时沿用原编号。",
        "3. 单位代码、方面、严重程度、整改状态、审核保留、已反馈请从下拉列表中选择;代码也可填英文(见下表)。",
        "4. 巡察问题请填写巡察轮次(先在“巡察轮次”工作表中登记本年度各轮巡察,含“回头看”;回头看须填写所复查的轮次)。",
        "5. 整改状态每变化一次,就是一条整改记录:请填写状态日期(该状态开始的日期);已整改的问题填写完成日期。"
        "以后的进展(如回头看核查结果)填在“整改进展”工作表中,不要改写原来的行;系统保留全部历史,以最新日期的状态为当前状态。",
        "6. 日期格式为 2024-06-30;问题描述可能涉及具体人员,仅供内部研判,对外发布的报告不会出现描述原文。",
        "7. 请直接填写数值和文字,不要使用公式,不要合并单元格,不要增删列或修改表头。",
        "8. 填好后保存为 .xlsx,交牵头部门汇总;导入命令:analysis ingest 本文件.xlsx",
        "",
        "代码表(中文 / 英文代码,两种写法均可):",
    ]
    table = codes.code_table()
    for name, group in table[table.list.isin(["source", "aspect", "severity", "status", "round_kind"])].groupby(
            "list", sort=False):
        items = ";".join(f"{r.label_zh} / {r.code}" for r in group.itertuples())
        lines.append(f"{group.list_zh.iloc[0]}:{items}")
    for i, line in enumerate(lines, start=1):
        ws.cell(i, 1, line)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 140


def _code_sheet(wb: Workbook, units: pd.DataFrame) -> dict[str, str]:
    """A hidden sheet holding the drop-down lists; returns list name → absolute range."""
    from . import codes

    ws = wb.create_sheet(_CODE_SHEET)
    ws.sheet_state = "hidden"  # ingest reads visible sheets only
    lists = {"unit": list(units.unit_id.astype(str))}
    for name in ("aspect", "severity", "status", "round_kind", "boolean"):
        lists[name] = [zh for zh, _ in codes.code_list(name).codes.values()]
    ranges = {}
    for j, (name, values) in enumerate(lists.items(), start=1):
        col = get_column_letter(j)
        ws.cell(1, j, name)
        for i, v in enumerate(values, start=2):
            ws.cell(i, j, v).number_format = "@"
        ranges[name] = f"'{_CODE_SHEET}'!${col}$2:${col}${max(2, len(values) + 1)}"
    ranges["round"] = f"'{_ROUND_SHEET}'!$A$3:$A${_MAX_ROWS + 2}"
    return ranges


def _list_sheet(wb: Workbook, title: str, caption: str, columns, ranges: dict[str, str], year: int,
                rows: list[list] | None = None) -> None:
    ws = wb.create_sheet(title)
    ws.cell(1, 1, caption)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws["A1"].font = Font(bold=True, size=13)
    for j, (header, kind, width) in enumerate(columns, start=1):
        c = ws.cell(2, j, header)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
        c.alignment = Alignment(wrap_text=True, vertical="center")
        col = get_column_letter(j)
        ws.column_dimensions[col].width = width
        area = f"{col}3:{col}{_MAX_ROWS + 2}"
        if kind in ranges:
            dv = DataValidation(type="list", formula1=ranges[kind], allow_blank=True, showErrorMessage=True,
                                errorTitle="请从下拉列表选择", error=f"{header}:请从下拉列表中选择")
        elif kind == "year":
            dv = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100", allow_blank=True,
                                showErrorMessage=True, errorTitle="年度有误", error="请填写四位年度,如 " + str(year))
        elif kind == "date":
            # Excel date serials of 2000-01-01 and 2100-12-31
            dv = DataValidation(type="date", operator="between", formula1="36526", formula2="73415", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期有误", error="请填写日期,如 2024-06-30")
            for r in range(3, _MAX_ROWS + 3):
                ws[f"{col}{r}"].number_format = "yyyy-mm-dd"
        else:
            dv = None
        if dv is not None:
            dv.add(area)
            ws.add_data_validation(dv)
    for i, row in enumerate(rows or [], start=3):
        for j, v in enumerate(row, start=1):
            if v is not None and not (isinstance(v, float) and pd.isna(v)):
                ws.cell(i, j, v)
    ws.row_dimensions[2].height = 36
    ws.freeze_panes = "C3"


def write_problem_template(units: pd.DataFrame, year: int, out_dir: str | Path,
                           rounds: pd.DataFrame | None = None) -> Path:
    """Write the problem-list collection workbook (问题清单采集表) for ``year``.

    Sheets: 填报说明 (instructions and the code lists), 巡察轮次 (the year's inspection rounds:
    those already in ``rounds``, else two suggested regular rounds ``XC{year}-1``/``-2``), one
    sheet per source department (巡察, 审计, 信访, 组织, 纪检, 督查; the sheet name is the source),
    整改进展 (later status changes of problems already reported) and a hidden 代码表 holding the
    drop-down lists (units in force in ``year``, Chinese labels of the code lists). A filled
    workbook is read back by :func:`analysis.ingest.ingest` without edits; empty department
    sheets are skipped. Returns the path written.
    """
    from . import codes

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    active = units_for_year(units, year).sort_values("unit_id")
    wb = Workbook()
    _problem_instructions(wb.active, year)
    wb.active.title = "填报说明"
    ranges = _code_sheet(wb, active)
    if rounds is not None and len(rounds):
        r = rounds[rounds.year.astype(int) == int(year)].sort_values("round_id")
        round_rows = [[x.round_id, int(x.year), x.name_zh, codes.label("round_kind", x.kind, "zh"),
                       x.rechecks if isinstance(x.rechecks, str) and x.rechecks else None,
                       None if pd.isna(x.start_on) else pd.Timestamp(x.start_on).to_pydatetime(),
                       None if pd.isna(x.end_on) else pd.Timestamp(x.end_on).to_pydatetime()]
                      for x in r.itertuples()]
    else:
        round_rows = [[f"XC{year}-{i}", year, f"{year} 年第{n}轮巡察", "常规巡察", None, None, None]
                      for i, n in ((1, "一"), (2, "二"))]
    _list_sheet(wb, _ROUND_SHEET, f"{year} 年度巡察轮次(回头看请填写所复查的轮次)", _ROUND_COLUMNS, ranges, year,
                round_rows)
    for source in PROBLEM_SHEETS:
        zh = codes.label("source", source, "zh")
        cols = [c for c in _PROBLEM_COLUMNS if source == "inspection" or c[1] != "round"]
        _list_sheet(wb, zh, f"{year} 年度问题清单 —— {zh}(一行一个问题)", cols, ranges, year)
    _list_sheet(wb, _UPDATE_SHEET, "整改进展(已报问题的状态变化,一次变化一行)", _UPDATE_COLUMNS, ranges, year)
    wb.move_sheet(_CODE_SHEET, offset=len(wb.sheetnames))
    path = out_dir / f"{year}_问题清单_采集模板.xlsx"
    wb.save(path)
    return path
