"""Excel collection templates (数据采集模板), one per lead department (牵头单位).

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
        "3. 百分比指标填写 0–100 之间的数字,不加“%”;没有发生的事项填 0;确实无法获取的数据请留空,并在备注中说明。",
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
    leaves = fw[fw.role.isin(["score", "red_line"])]
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
