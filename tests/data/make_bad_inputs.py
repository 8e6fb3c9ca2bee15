"""Writes the malformed input files in tests/data/bad/ (committed; rerun to regenerate).

Each file has one planted defect; tests/test_ingest.py names the place and reason it expects.
The unit ids (U001...) and indicator codes exist in the sample city and default framework.
"""
from pathlib import Path

import re
import sys
import zipfile

import openpyxl
from openpyxl.styles import PatternFill

BAD = Path(__file__).parent / "bad"
HEADER = "unit_id,year,period,indicator,value,source,note\n"
GOOD = "U001,2024,Q1,M01,2,纪委监委,\nU002,2024,Q1,M01,1,纪委监委,\n"


def csv(name: str, text: str, encoding: str = "utf-8") -> None:
    (BAD / name).write_bytes(text.encode(encoding))


def main() -> None:
    BAD.mkdir(exist_ok=True)
    csv("missing_column.csv", "unit_id,year,period,indicator,source\nU001,2024,Q1,M01,纪委监委\n")
    csv("misspelt_header.csv", "unit_id,year,period,indicator,valeu\nU001,2024,Q1,M01,2\n")
    csv("text_in_numeric.csv", HEADER + GOOD + "U003,2024,Q1,M01,三件,纪委监委,\n")
    csv("duplicate_keys.csv", HEADER + GOOD + "U001,2024,Q1,M01,2,纪委监委,重复\n")
    csv("unknown_unit.csv", HEADER + GOOD + "U999,2024,Q1,M01,1,纪委监委,\n")
    csv("unknown_indicator.csv", HEADER + GOOD + "U003,2024,Q1,M99,1,纪委监委,\n")
    csv("year_out_of_range.csv", HEADER + GOOD + "U003,1899,Q1,M01,1,纪委监委,\n")
    csv("negative_count.csv", HEADER + GOOD + "U003,2024,Q1,M01,-3,纪委监委,\n")
    csv("percent_over_100.csv", HEADER + "U001,2024,Q1,M05,100,党委办公室,\nU002,2024,Q1,M05,112.5,党委办公室,\n")
    csv("empty.csv", "")
    csv("header_only.csv", HEADER)
    csv("bad_period.csv", HEADER + GOOD + "U003,2024,Q5,M01,1,纪委监委,\n")
    csv("annual_with_quarter.csv", HEADER + "U001,2024,Q2,M04,3.5,组织部,\n")
    csv("empty_value.csv", HEADER + GOOD + "U003,2024,Q1,M01,,纪委监委,\n")
    csv("year_not_integer.csv", HEADER + GOOD + "U003,2024.5,Q1,M01,1,纪委监委,\n")
    csv("ragged_row.csv", HEADER + GOOD + "U003,2024,Q1,M01,1,纪委监委,,多余,字段\n")
    csv("gbk_text_in_numeric.csv", "单位代码,年度,期别,指标代码,数值,报送部门,备注\n"
        "U001,2024,Q1,M01,2,纪委监委,\nU002,2024,Q1,M01,两件,纪委监委,\n", encoding="gbk")
    csv("unknown_table.csv", "编号,名称,金额\n1,某事项,3\n")
    csv("units_bad_type.csv", "unit_id,name_zh,type,region,staff\nU901,测试单位甲,county,R01,100\n"
        "U902,测试单位乙,village,R01,-5\n")
    csv("problems_bad_fields.csv", "problem_id,unit_id,year,source,category,status,deadline\n"
        "P-1,U001,2024,inspection,形式主义,open,2025-03-31\nP-2,U001,2024,rumour,形式主义,done,下个月\n")
    csv("not_parquet.parquet", "this is not a parquet file\n")
    csv("unsupported.txt", HEADER + GOOD)

    # merged cells inside the data area
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["unit_id", "year", "period", "indicator", "value"])
    ws.append(["U001", 2024, "Q1", "M01", 2])
    ws.append(["U002", 2024, "Q1", "M01", 3])
    ws.merge_cells("E2:E3")
    wb.save(BAD / "merged_data_cells.xlsx")

    # a formula with no stored result (written by a program, never opened in Excel)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit_id", "year", "period", "indicator", "value"])
    ws.append(["U001", 2024, "Q1", "M01", 2])
    ws.append(["U002", 2024, "Q1", "M01", "=E2*2"])
    wb.save(BAD / "formula.xlsx")

    # a sheet without any recognisable header
    wb = openpyxl.Workbook()
    wb.active.append(["说明:本表无表头"])
    wb.active.append([1, 2, 3])
    wb.save(BAD / "no_header.xlsx")

    # a truncated workbook (first half of a valid file)
    data = (BAD / "merged_data_cells.xlsx").read_bytes()
    (BAD / "truncated.xlsx").write_bytes(data[: len(data) // 2])

    reliability()


def _rewrite_sheet(src: Path, dst: Path, edit) -> None:
    """Copy an xlsx, passing the first sheet's XML through ``edit`` (bytes -> bytes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            zout.writestr(item, data)


def reliability() -> None:
    """Inputs of issue 15 (physical plausibility, damaged and oversized workbooks); see docs/reliability.md."""
    csv("infinite_value.csv", HEADER + GOOD + "U003,2024,Q1,M07,1e309,纪委监委,\n")
    csv("infinity_text.csv", HEADER + GOOD + "U003,2024,Q1,M07,Infinity,纪委监委,\n")
    csv("huge_value.csv", HEADER + GOOD + "U003,2024,Q1,M07,1e308,纪委监委,\n")
    csv("percent_on_count.csv", HEADER + GOOD + "U003,2024,Q1,M07,3%,纪委监委,\n")
    csv("fractional_count.csv", HEADER + GOOD + "U003,2024,Q1,M07,2.5,纪委监委,\n")
    csv("future_year.csv", HEADER + GOOD + "U003,2099,Q1,M01,1,纪委监委,\n")
    csv("units_fractional_staff.csv", "unit_id,name_zh,type,region,staff\nU901,测试单位甲,county,R01,12.5\n")
    # errors planted in several columns and rows of one file: all of them in one message
    csv("many_errors.csv", HEADER + "U001,2024,Q1,M01,两件,纪委监委,\n" + "U002,2024,Q9,M01,1,纪委监委,\n"
        + "U003,2024,Q1,M99,1,纪委监委,\n" + "U004,2024,Q1,M07,1.5,纪委监委,\n" + "U005,2099,Q1,M01,1,纪委监委,\n"
        + "U999,2024,Q1,M01,1,纪委监委,\n")

    def sheet(rows, name="数据"):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = name
        for r in rows:
            ws.append(r)
        return wb, ws

    rows = [["unit_id", "year", "period", "indicator", "value"], ["U001", 2024, "Q1", "M01", 2],
            ["U002", 2024, "Q1", "M01", 3]]
    # one styled cell at XFD1048576: a sheet "formatted to the last row" (loads, bounded memory)
    wb, ws = sheet(rows)
    ws["XFD1048576"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(BAD / "formatted_to_last_row.xlsx")
    # a whole column formatted cell by cell, 1,048,576 styled empty cells (loads, bounded memory)
    wb, ws = sheet(rows)
    ws["F1"].fill = PatternFill("solid", fgColor="FFFF00")
    wb.save(BAD / "formatted_column.xlsx")

    def whole_column(xml: bytes) -> bytes:
        # rows and cells without an "r" attribute follow their predecessor: identical bytes compress ~1000:1
        body = b'<row r="4"><c r="A4" s="1"/><c s="1"/><c s="1"/><c s="1"/><c s="1"/><c s="1"/></row>' + \
            b'<row><c s="1"/><c s="1"/><c s="1"/><c s="1"/><c s="1"/><c s="1"/></row>' * (1048576 - 4)
        xml = xml.replace(b"</sheetData>", body + b"</sheetData>")
        return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:F1048576"/>', xml)
    _rewrite_sheet(BAD / "formatted_column.xlsx", BAD / "formatted_column.xlsx.tmp", whole_column)
    (BAD / "formatted_column.xlsx.tmp").replace(BAD / "formatted_column.xlsx")
    # sheet XML cut in the middle of a tag, inside a valid zip
    wb, ws = sheet(rows)
    wb.save(BAD / "corrupt_sheet_xml.xlsx")
    _rewrite_sheet(BAD / "corrupt_sheet_xml.xlsx", BAD / "corrupt_sheet_xml.xlsx.tmp",
                   lambda xml: xml[: xml.index(b"<sheetData>") + 40] + b"<c r=")
    (BAD / "corrupt_sheet_xml.xlsx.tmp").replace(BAD / "corrupt_sheet_xml.xlsx")
    # the unit code 010 typed as a number (Excel stores 10)
    wb, ws = sheet([rows[0], [10, 2024, "Q1", "M01", 2]])
    wb.save(BAD / "code_as_number.xlsx")
    # a workbook whose only sheet is empty
    wb, ws = sheet([])
    wb.save(BAD / "empty_sheet.xlsx")
    # overlapping (nested) merges inside the data area
    wb, ws = sheet(rows + [["U003", 2024, "Q1", "M01", 4]])
    ws.merge_cells("C2:E4")
    ws.merge_cells("D3:E3")
    wb.save(BAD / "nested_merged.xlsx")


if __name__ == "__main__":
    reliability() if sys.argv[1:] == ["--reliability"] else main()
