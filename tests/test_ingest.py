"""Ingest: every error names file, row, column and reason; a bad batch stores nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from analysis import framework as fwmod
from analysis import sample as sample_mod
from analysis.errors import InputError
from analysis.ingest import ingest
from analysis.template import write_templates
from analysis.warehouse import Warehouse

BAD = Path(__file__).parent / "data" / "bad"

# file, row, column, Chinese reason fragment, English reason fragment (rows as seen in a spreadsheet)
EXPECTED = [
    ("missing_column.csv", None, "value", "缺少必需列", "required column missing"),
    ("misspelt_header.csv", 1, "valeu", "未知列名", "unknown column name"),
    ("text_in_numeric.csv", 4, "value", "应为数值", "must be a number"),
    ("duplicate_keys.csv", 4, "unit_id+year+period+indicator", "主键重复", "duplicated key"),
    ("unknown_unit.csv", 4, "unit_id", "单位代码不存在", "unknown unit_id"),
    ("unknown_indicator.csv", 4, "indicator", "指标代码不在指标体系中", "not in the framework"),
    ("year_out_of_range.csv", 4, "year", "超出允许范围", "out of range"),
    ("negative_count.csv", 4, "value", "计数不能为负", "counts cannot be negative"),
    ("percent_over_100.csv", 3, "value", "百分比不能超过 100", "cannot exceed 100"),
    ("empty.csv", None, None, "文件为空", "file is empty"),
    ("header_only.csv", None, None, "没有数据行", "no data rows"),
    ("bad_period.csv", 4, "period", "取值不在允许范围", "value not allowed"),
    ("annual_with_quarter.csv", 2, "period", "年度指标的期别须为 Y", "annual indicator needs period Y"),
    ("empty_value.csv", 4, "value", "不能为空", "must not be empty"),
    ("year_not_integer.csv", 4, "year", "应为整数", "whole number"),
    ("ragged_row.csv", 4, None, "列数与表头不一致", "more fields than the header"),
    ("gbk_text_in_numeric.csv", 3, "value", "应为数值", "must be a number"),
    ("unknown_table.csv", None, None, "无法识别表格类型", "cannot tell which table"),
    ("units_bad_type.csv", 3, "type", "取值不在允许范围", "value not allowed"),
    ("units_bad_type.csv", 3, "staff", "应大于 0", "greater than 0"),
    ("problems_bad_fields.csv", 3, "source", "取值不在允许范围", "value not allowed"),
    ("problems_bad_fields.csv", 3, "status", "取值不在允许范围", "value not allowed"),
    ("problems_bad_fields.csv", 3, "deadline", "应为日期", "must be a date"),
    ("not_parquet.parquet", None, None, "无法读取 Parquet", "cannot read the Parquet"),
    ("unsupported.txt", None, None, "不支持的文件类型", "unsupported file type"),
    ("merged_data_cells.xlsx", 2, None, "合并单元格", "merged cells"),
    ("formula.xlsx", 3, "E", "公式", "formula"),
    ("no_header.xlsx", None, None, "找不到表头行", "no header row"),
    ("truncated.xlsx", None, None, "文件已损坏", "damaged"),
    # issue 15: physical plausibility, damaged workbooks (tests/data/make_bad_inputs.py --reliability)
    ("infinite_value.csv", 4, "value", "不是有限数值", "not a finite number"),
    ("infinity_text.csv", 4, "value", "不是有限数值", "not a finite number"),
    ("huge_value.csv", 4, "value", "绝对值大于", "absolute value above"),
    ("percent_on_count.csv", 4, "value", "只有百分比指标", "only percentage indicators"),
    ("fractional_count.csv", 4, "value", "计数应为整数", "a count must be a whole number"),
    ("future_year.csv", 4, "year", "晚于当前年度", "after the current year"),
    ("units_fractional_staff.csv", 2, "staff", "人数应为整数", "whole number"),
    ("corrupt_sheet_xml.xlsx", None, None, "文件已损坏", "damaged"),
    ("code_as_number.xlsx", 2, "unit_id", "单位代码不存在", "unknown unit_id"),  # no unit 010 here
    ("empty_sheet.xlsx", None, None, "没有任何数据", "holds no data"),
    ("nested_merged.xlsx", 2, None, "合并单元格", "merged cells"),
    # one file, errors in five columns and six rows: issue 18 item 6 wants all of them in one pass
    ("many_errors.csv", 2, "value", "应为数值", "must be a number"),
    ("many_errors.csv", 3, "period", "取值不在允许范围", "value not allowed"),
    ("many_errors.csv", 4, "indicator", "指标代码不在指标体系中", "not in the framework"),
    ("many_errors.csv", 5, "value", "计数应为整数", "whole number"),
    ("many_errors.csv", 6, "year", "晚于当前年度", "after the current year"),
    ("many_errors.csv", 7, "unit_id", "单位代码不存在", "unknown unit_id"),
]
# odd inputs that must load, quickly and in little memory (tests/test_reliability.py)
ODD_BUT_VALID = ["formatted_to_last_row.xlsx", "formatted_column.xlsx"]


@pytest.fixture(scope="module")
def small_city():
    return sample_mod.generate(n_units=45, years=range(2022, 2025))


@pytest.fixture
def units_only(small_city, tmp_path):
    """A warehouse holding the units (and one quarter of M01/M05) of the small city."""
    paths = sample_mod.write_files(small_city, tmp_path / "src")
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        ingest([paths[0]], wh)
    return path


def test_bad_inputs_cover_at_least_twenty_files():
    assert len({e[0] for e in EXPECTED}) >= 20
    assert {e[0] for e in EXPECTED} | set(ODD_BUT_VALID) == {p.name for p in BAD.iterdir()}


def test_every_error_of_a_file_in_one_message(units_only):
    """The six errors planted in many_errors.csv come back from one ingest, each at its row."""
    with Warehouse(units_only) as wh, pytest.raises(InputError) as err:
        ingest([BAD / "many_errors.csv"], wh)
    assert sorted(i.row for i in err.value.issues) == [2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("name,row,column,zh,en", EXPECTED, ids=[f"{e[0]}:{e[2]}" for e in EXPECTED])
def test_bad_input_names_place_and_reason_and_stores_nothing(units_only, name, row, column, zh, en):
    with Warehouse(units_only) as wh:
        before = wh.content_hash(), wh.counts()
        with pytest.raises(InputError) as err:
            ingest([BAD / name], wh)
        after = wh.content_hash(), wh.counts()
    assert before == after, "a failed ingest changed the warehouse"
    matches = [i for i in err.value.issues
               if Path(i.file).name == name and i.row == row and i.column == column
               and zh in i.reason_zh and en in i.reason_en]
    assert matches, f"no issue at row {row}, column {column} with reason {zh!r}: {err.value.issues}"
    # the message a researcher reads carries the file, the place and both languages
    text = str(err.value)
    assert name in text and zh in text and en in text


def test_all_errors_of_a_batch_are_reported_at_once(units_only):
    with Warehouse(units_only) as wh, pytest.raises(InputError) as err:
        ingest([BAD / "text_in_numeric.csv", BAD / "unknown_unit.csv", BAD / "empty.csv"], wh)
    assert {Path(i.file).name for i in err.value.issues} == {"text_in_numeric.csv", "unknown_unit.csv", "empty.csv"}


def test_one_bad_file_loads_nothing_of_the_batch(small_city, units_only, tmp_path):
    good = tmp_path / "good.csv"
    small_city.observations.head(50).to_csv(good, index=False)
    with Warehouse(units_only) as wh:
        with pytest.raises(InputError):
            ingest([good, BAD / "negative_count.csv"], wh)
        assert wh.counts()["observations"] == 0
        ingest([good], wh)
        assert wh.counts()["observations"] == 50


def test_reingest_same_file_is_a_noop(small_city, tmp_path):
    paths = sample_mod.write_files(small_city, tmp_path / "s")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        first = ingest(paths, wh)
        snapshot = wh.content_hash(), wh.counts()
        second = ingest(paths, wh)
        assert (wh.content_hash(), wh.counts()) == snapshot
    # six files: units, focal units, observations, inspection rounds, problems, status history
    assert len(first.loaded) == 6 and second.loaded == [] and len(second.skipped) == 6


def test_conflicting_value_needs_replace_and_keeps_history(small_city, tmp_path):
    paths = sample_mod.write_files(small_city, tmp_path / "s")
    obs = small_city.observations
    row = obs[(obs.indicator == "M05")].iloc[0]
    fix = tmp_path / "correction.csv"
    pd.DataFrame([{**row.to_dict(), "value": row.value - 1, "note": "更正"}]).to_csv(fix, index=False)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        ingest(paths, wh)
        with pytest.raises(InputError) as err:
            ingest([fix], wh)
        assert "--replace" in str(err.value) and err.value.issues[0].row == 2
        report = ingest([fix], wh, replace=True)
        assert report.replaced == 1
        stored = wh.con.execute("SELECT value FROM observations WHERE unit_id=? AND year=? AND period=? AND indicator=?",
                                [row.unit_id, int(row.year), row.period, row.indicator]).fetchone()[0]
        history = wh.table("observation_history")
    assert stored == pytest.approx(row.value - 1)
    assert len(history) == 1 and history.value.iloc[0] == pytest.approx(row.value)


def test_provenance_records_file_hash_rows_and_command(small_city, tmp_path):
    paths = sample_mod.write_files(small_city, tmp_path / "s")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        ingest(paths, wh, command="analysis ingest test")
        prov = wh.provenance()
    assert list(prov.table_name) == ["units", "focal_units", "observations", "inspection_rounds", "problems",
                                     "problem_status_history"]
    assert prov.rows.tolist() == [len(small_city.units), len(small_city.focal_units),
                                  len(small_city.observations), len(small_city.inspection_rounds),
                                  len(small_city.problems), len(small_city.problem_status_history)]
    assert prov.sha256.str.len().eq(64).all() and (prov.command == "analysis ingest test").all()


def test_gbk_csv_with_chinese_headers_and_fullwidth_digits_loads(units_only, tmp_path):
    path = tmp_path / "gbk.csv"
    text = "单位代码,年度,期别,指标代码,数值,报送部门,备注\nU001,２０２４,Q1,M01,３,纪委监委,全角数字\n"
    path.write_bytes(text.encode("gbk"))
    with Warehouse(units_only) as wh:
        ingest([path], wh)
        got = wh.observations()
    assert got[["unit_id", "year", "indicator", "value"]].values.tolist() == [["U001", 2024, "M01", 3.0]]
    assert got.note.iloc[0] == "全角数字"


def test_xlsx_with_title_row_and_merged_header_loads(units_only, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年度监测数据(合并标题)"])
    ws.merge_cells("A1:E1")
    ws.append(["单位代码", "年度", "期别", "指标代码", "数值"])
    ws.append(["U001", 2024, "Q1", "M01", 2])
    ws.append(["U002", 2024, "Q1", "M01", 0])
    wb.save(tmp_path / "t.xlsx")
    with Warehouse(units_only) as wh:
        ingest([tmp_path / "t.xlsx"], wh)
        assert wh.observations().value.tolist() == [2.0, 0.0]


def test_parquet_loads(small_city, units_only, tmp_path):
    path = tmp_path / "obs.parquet"
    con = duckdb.connect()
    con.register("obs", small_city.observations.head(20))
    con.execute(f"COPY obs TO '{path}' (FORMAT parquet)")
    with Warehouse(units_only) as wh:
        ingest([path], wh)
        assert wh.counts()["observations"] == 20


def test_template_fill_ingest_round_trip(small_city, units_only, tmp_path):
    fw = fwmod.load_framework()
    paths = write_templates(fw, small_city.units, 2024, tmp_path / "templates")
    departments = set(fw[fw.role.isin(["score", "red_line"])].lead_department)
    assert {p.name.split("_")[1] for p in paths} == departments
    # fill every template with the sample's true values for 2024, as a department would
    truth = small_city.observations[small_city.observations.year == 2024].set_index(
        ["unit_id", "period", "indicator"]).value
    filled = []
    for path in paths:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets[1:]:
            header = [c.value for c in ws[2]]
            for row in ws.iter_rows(min_row=3):
                unit, period = row[0].value, row[3].value
                for cell, head in zip(row[4:], header[4:]):
                    code = head.split()[0]
                    value = truth.get((unit, period, code))
                    if value is not None:
                        cell.value = float(value)
        out = tmp_path / "filled" / path.name
        out.parent.mkdir(exist_ok=True)
        wb.save(out)
        filled.append(out)
    with Warehouse(units_only) as wh:
        ingest(filled, wh)
        stored = wh.observations().set_index(["unit_id", "period", "indicator"]).value.sort_index()
        again = ingest(filled, wh)
    expected = truth.sort_index()
    expected = expected[expected.index.get_level_values(0).isin(stored.index.get_level_values(0))]
    pd.testing.assert_series_equal(stored, expected, check_names=False)
    assert again.loaded == []


def test_template_has_instructions_and_validation_rules(small_city, tmp_path):
    path = write_templates(fwmod.load_framework(), small_city.units, 2024, tmp_path)[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "填报说明" and "填报说明" in wb["填报说明"]["A3"].value
    data = wb.worksheets[1]
    assert data.data_validations.dataValidation, "value cells carry Excel data-validation rules"


def test_failed_ingest_keeps_a_copy_of_the_warehouse_intact(units_only, tmp_path):
    backup = tmp_path / "copy.duckdb"
    shutil.copy(units_only, backup)
    with Warehouse(units_only) as wh, pytest.raises(InputError):
        ingest([BAD / "duplicate_keys.csv", BAD / "truncated.xlsx"], wh)
    with Warehouse(units_only, read_only=True) as a, Warehouse(backup, read_only=True) as b:
        assert a.content_hash() == b.content_hash()


def test_positive_list_events_ingest_and_add_their_points(loaded_warehouse, tmp_path):
    """A positive evaluation item (framework B1: 1 point per event, at most 3 a period) loads like
    an observation and raises the unit's index by its points: 2 events in 2024 Q1 → +2."""
    from analysis import catalog
    from analysis.inputs import prepare_inputs

    cfg = catalog.read_run_config()
    before = prepare_inputs(catalog.read_warehouse(loaded_warehouse), cfg, uncertainty=False).index.index()
    path = tmp_path / "bonus.csv"
    path.write_text("单位代码,年度,期别,指标代码,数值\nU001,2024,Q1,B1,2\n", encoding="utf-8")
    ingest([path], loaded_warehouse, command="test")
    after = prepare_inputs(catalog.read_warehouse(loaded_warehouse), cfg, uncertainty=False).index.index()
    key = (after.unit_id == "U001") & (after.year == 2024)
    change = after[key].score.iloc[0] - before[(before.unit_id == "U001") & (before.year == 2024)].score.iloc[0]
    assert change == pytest.approx(2.0)
    others = after[(after.unit_id != "U001") & (after.year == 2024)].set_index("unit_id").score
    assert others.equals(before[(before.unit_id != "U001") & (before.year == 2024)].set_index("unit_id").score)
