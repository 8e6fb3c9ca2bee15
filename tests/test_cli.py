"""Command line: help, exit codes, sample → validate shows the planted missing indicator."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from analysis.cli import cli

BAD = Path(__file__).parent / "data" / "bad"


def test_help_lists_the_commands():
    out = CliRunner().invoke(cli, ["--help"]).output
    for command in ("ingest", "sample", "template", "validate", "run", "topic", "package"):
        assert command in out


def test_validate_prints_the_planted_missing_indicator(loaded_warehouse):
    result = CliRunner().invoke(cli, ["validate", "--warehouse", str(loaded_warehouse)])
    assert result.exit_code == 0, result.output
    section = result.output.split("indicators missing for a whole year ==")[1].split("==")[0]
    assert "M22" in section and "2021" in section


def test_bad_ingest_exits_non_zero_with_the_place(loaded_warehouse):
    result = CliRunner().invoke(cli, ["ingest", str(BAD / "negative_count.csv"), "--warehouse", str(loaded_warehouse)])
    assert result.exit_code == 2
    assert "negative_count.csv" in result.output and "row 4" in result.output and "计数不能为负" in result.output


def test_template_command_writes_one_workbook_per_department(loaded_warehouse, tmp_path):
    result = CliRunner().invoke(cli, ["template", "--year", "2024", "--warehouse", str(loaded_warehouse),
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # nine lead departments in the default framework (纪委监委, 组织部, 党委办公室, ...)
    assert len(list(tmp_path.glob("2024_*_采集模板.xlsx"))) == 9


def test_missing_warehouse_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["validate", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "analysis sample" in result.output
