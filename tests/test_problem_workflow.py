"""The problem list as a workflow (issue 18): code lists in both spellings, the collection
workbook read back without edits, the rectification history, inspection rounds and the
unit's list of open problems. Every expected number is tallied by hand in the comments."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from statsmodels.duration.survfunc import SurvfuncRight

from analysis import codes
from analysis import problems as pr
from analysis.cli import cli
from analysis.errors import InputError
from analysis.ingest import ingest
from analysis.template import write_problem_template
from analysis.warehouse import SCHEMA_VERSION, Warehouse


# --------------------------------------------------------------------------- code lists
@pytest.mark.parametrize("name, spellings, code", [
    ("source", ["巡察", "inspection", "INSPECTION", " 巡察 ", "巡视巡察"], "inspection"),
    ("source", ["审计", "audit"], "audit"),
    ("severity", ["高", "high", "严重"], "high"),
    ("status", ["整改中", "rectifying", "正在整改"], "rectifying"),
    ("status", ["已整改", "rectified", "已销号"], "rectified"),
    ("aspect", ["作风建设", "D6", "Work style"], "D6"),
    ("round_kind", ["回头看", "recheck", "常规巡察"], None),
])
def test_codes_accept_both_spellings(name, spellings, code):
    found = {codes.canonical(name, s) for s in spellings}
    if code is None:  # 常规巡察 is the other kind: two codes, both recognised
        assert found == {"recheck", "regular"}
    else:
        assert found == {code}


def test_codes_unknown_empty_and_labels():
    values = pd.Series(["巡察", "rumour", None, ""])
    out, bad = codes.normalise(values, "source")
    assert out.tolist() == ["inspection", "rumour", None, None] and bad.tolist() == [False, True, False, False]
    assert codes.label("status", "rectifying", "zh") == "整改中"
    assert codes.label("status", "rectifying", "en") == "rectifying"
    shown = codes.relabel(pd.DataFrame({"source": ["audit"], "status": ["open"], "n": [3]}), "zh")
    assert shown.iloc[0].tolist() == ["审计", "未整改", 3]
    table = codes.code_table()
    assert {"source", "severity", "status", "aspect", "round_kind"} <= set(table.list)
    with pytest.raises(KeyError, match="没有名为"):
        codes.canonical("colour", "red")


# --------------------------------------------------------------------------- warehouse helpers
UNITS = pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "name_zh": ["甲局", "乙学院", "丙区"],
                      "type": ["department", "college", "county"], "region": ["R01", "R01", "R02"],
                      "valid_from": pd.array([pd.NA] * 3, dtype="Int64"), "valid_to": pd.array([pd.NA] * 3, dtype="Int64")})


@pytest.fixture
def wh_path(tmp_path) -> Path:
    path = tmp_path / "w.duckdb"
    UNITS.to_csv(tmp_path / "units.csv", index=False)
    with Warehouse(path) as wh:
        ingest([tmp_path / "units.csv"], wh)
    return path


def _fill(ws, rows: list[list]) -> None:
    for i, row in enumerate(rows, start=3):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j, v)


# --------------------------------------------------------------------------- the workbook
def test_problem_template_round_trip(wh_path, tmp_path):
    with Warehouse(wh_path, read_only=True) as wh:
        units = wh.units()
    path = write_problem_template(units, 2024, tmp_path / "tpl")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填报说明", "巡察轮次", "巡察", "审计", "信访", "组织", "纪检", "督查", "整改进展", "代码表"]
    assert wb["代码表"].sheet_state == "hidden"
    notes = "\n".join(str(c.value) for c in wb["填报说明"]["A"] if c.value)
    assert "填报说明" in notes and "整改进展" in notes and "已整改 / rectified" in notes
    # drop-downs list the Chinese codes kept on the hidden sheet
    code_ws = wb["代码表"]
    status_col = [c.value for c in code_ws[1]].index("status") + 1
    assert [code_ws.cell(r, status_col).value for r in (2, 3, 4)] == ["未整改", "整改中", "已整改"]
    formulas = {dv.formula1 for dv in wb["巡察"].data_validations.dataValidation}
    assert any("代码表" in f for f in formulas) and any("巡察轮次" in f for f in formulas)
    headers = [c.value for c in wb["巡察"][2]]
    assert "巡察轮次 round_id" in headers and "巡察轮次 round_id" not in [c.value for c in wb["审计"][2]]
    assert [wb["巡察轮次"].cell(r, 1).value for r in (3, 4)] == ["XC2024-1", "XC2024-2"]

    # filled as an office would: Chinese codes in 巡察, English codes in 审计, one progress row
    _fill(wb["巡察"], [
        ["XC2024-001", "U1", "甲局", 2024, "XC2024-1", "作风建设", "违规吃喝", "超标准接待", "高", "整改中",
         "2024-06-10", "2024-12-31", None, "是", "是", "已制定整改方案"],
        ["XC2024-002", "U2", None, 2024, "XC2024-2", "D3", "民主生活会质量不高", "批评流于形式", "中", "未整改",
         None, "2025-03-31", None, "是", "否", None],
    ])
    _fill(wb["审计"], [["SJ2024-001", "U3", "丙区", 2024, "D4", "主体责任落实不力", "责任清单未落实", "low",
                       "rectified", None, "2024-12-31", "2024-09-30", "true", "true", None]])
    _fill(wb["整改进展"], [["XC2024-001", "已整改", "2024-10-15", "XC2024-2", "第二轮巡察核查整改到位"]])
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    with Warehouse(wh_path) as wh:
        ingest([filled], wh)
        p = wh.problems().set_index("problem_id")
        h = wh.status_history()
        r = wh.inspection_rounds()
    # stored canonically; the sheet name gave the source
    assert p.loc["XC2024-001", ["source", "aspect", "severity"]].tolist() == ["inspection", "D6", "high"]
    assert p.loc["SJ2024-001", ["source", "status", "severity"]].tolist() == ["audit", "rectified", "low"]
    assert p.loc["XC2024-002", "round_id"] == "XC2024-2" and bool(p.loc["XC2024-002", "fed_back"]) is False
    # XC2024-001: 整改中 from 2024-06-10 (its row), 已整改 on 2024-10-15 (progress sheet): current = rectified
    assert p.loc["XC2024-001", "status"] == "rectified"
    assert p.loc["XC2024-001", "rectified_on"] == pd.Timestamp("2024-10-15")
    # XC2024-002 had no status date: dated by the end of its year; SJ2024-001 by its completion date
    assert p.loc["XC2024-002", "status_on"] == pd.Timestamp("2024-12-31")
    assert p.loc["SJ2024-001", "status_on"] == pd.Timestamp("2024-09-30")
    assert len(h) == 4 and sorted(r.round_id) == ["XC2024-1", "XC2024-2"]
    assert set(r.kind) == {"regular"}


def test_cli_writes_the_problem_workbook(wh_path, tmp_path):
    res = CliRunner().invoke(cli, ["template", "--problems", "--year", "2024", "--warehouse", str(wh_path),
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    written = Path(res.output.strip())
    assert written.name == "2024_问题清单_采集模板.xlsx" and written.exists()
    assert len(list((tmp_path / "out").iterdir())) == 1  # no indicator templates with --problems


def test_wrong_codes_and_unknown_rounds_reported_together(wh_path, tmp_path):
    bad = tmp_path / "problems.csv"
    pd.DataFrame({
        "问题编号": ["A1", "A2"], "单位代码": ["U1", "U2"], "年度": [2024] * 2, "问题来源": ["巡察", "传闻"],
        "问题类别": ["形式主义"] * 2, "整改状态": ["整改中", "差不多"],
    }).to_csv(bad, index=False)
    unknown_round = tmp_path / "problems_round.csv"
    pd.DataFrame({"问题编号": ["A3"], "单位代码": ["U3"], "年度": [2024], "问题来源": ["巡察"], "问题类别": ["形式主义"],
                  "整改状态": ["已整改"], "巡察轮次": ["XC2099-9"]}).to_csv(unknown_round, index=False)
    with Warehouse(wh_path) as wh, pytest.raises(InputError) as err:
        ingest([bad, unknown_round], wh)
    found = {(Path(i.file).name, i.row, i.column) for i in err.value.issues}
    # problems.csv row 3 (A2): source 传闻 and status 差不多; problems_round.csv row 2: a round nobody registered
    assert found == {("problems.csv", 3, "source"), ("problems.csv", 3, "status"),
                     ("problems_round.csv", 2, "round_id")}
    msg = str(err.value)
    assert "可填 inspection/巡察" in msg and "rectifying/整改中" in msg and "巡察轮次未登记" in msg
    with Warehouse(wh_path, read_only=True) as wh:
        assert wh.problems().empty  # nothing of the batch was stored


# --------------------------------------------------------------------------- the history
def _csv(path: Path, rows: dict) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_older_status_never_overwrites_a_newer_one(wh_path, tmp_path):
    first = _csv(tmp_path / "p_june.csv", {
        "problem_id": ["Q1"], "unit_id": ["U1"], "year": [2024], "source": ["巡察"], "category": ["形式主义"],
        "status": ["整改中"], "status_on": ["2024-06-01"], "deadline": ["2024-12-31"]})
    later = _csv(tmp_path / "progress.csv", {
        "problem_id": ["Q1"], "status": ["rectified"], "status_on": ["2024-09-01"], "note": ["整改完成"]})
    older = _csv(tmp_path / "p_march.csv", {  # a list exported in March, sent in after the others
        "problem_id": ["Q1"], "unit_id": ["U1"], "year": [2024], "source": ["inspection"], "category": ["形式主义"],
        "status": ["open"], "status_on": ["2024-03-01"], "deadline": ["2024-12-31"]})
    with Warehouse(wh_path) as wh:
        ingest([first], wh)
        ingest([later], wh)
        ingest([older], wh)
        p = wh.problems().set_index("problem_id")
        h = wh.status_history().sort_values("status_on")
    assert p.loc["Q1", "status"] == "rectified" and p.loc["Q1", "rectified_on"] == pd.Timestamp("2024-09-01")
    assert h.status.tolist() == ["open", "rectifying", "rectified"]
    assert h.status_on.dt.strftime("%m-%d").tolist() == ["03-01", "06-01", "09-01"]
    assert h.note.iloc[-1] == "整改完成"


def test_history_of_an_unknown_problem_is_refused(wh_path, tmp_path):
    f = _csv(tmp_path / "h.csv", {"problem_id": ["NOPE"], "status": ["已整改"], "status_on": ["2024-09-01"]})
    with Warehouse(wh_path) as wh, pytest.raises(InputError, match="问题编号不存在"):
        ingest([f], wh)


def test_version_1_warehouse_is_migrated_with_a_history(tmp_path):
    path = tmp_path / "v1.duckdb"
    with Warehouse(path) as wh:  # strip a new warehouse back to the version-1 schema
        wh.con.execute("DROP TABLE problem_status_history")
        wh.con.execute("DROP TABLE inspection_rounds")
        wh.con.execute("ALTER TABLE problems DROP COLUMN round_id")
        wh.con.execute("ALTER TABLE problems DROP COLUMN status_on")
        wh.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        wh.con.execute("INSERT INTO problems VALUES ('P1', 'U1', 2022, 'audit', 'D6', '形式主义', NULL, 'low', "
                       "'rectified', '2023-03-31', '2023-02-15', true, true), ('P2', 'U1', 2023, 'audit', 'D6', "
                       "'形式主义', NULL, 'low', 'open', '2024-03-31', NULL, true, true)")
    with Warehouse(path, read_only=True) as wh:  # read-only: not migrated, still readable
        assert wh.schema_version() == 1 and wh.status_history().empty
    with Warehouse(path) as wh:
        assert wh.schema_version() == SCHEMA_VERSION == 3  # 2: unit and problem history; 3: rectification history
        h = wh.status_history().set_index("problem_id")
        p = wh.problems().set_index("problem_id")
    # P1 rectified on 2023-02-15; P2 open, dated by the end of 2023
    assert h.loc["P1", "status_on"] == pd.Timestamp("2023-02-15") and h.loc["P2", "status_on"] == pd.Timestamp("2023-12-31")
    assert p.loc["P1", "status"] == "rectified" and p.loc["P2", "status_on"] == pd.Timestamp("2023-12-31")


def test_current_status_ties_spells_and_as_of():
    h = pd.DataFrame({
        "problem_id": ["A", "A", "A", "B", "B", "C", "C", "C"],
        "status": ["open", "rectifying", "rectified", "rectified", "rectifying", "open", "rectified", "rectified"],
        "status_on": ["2024-01-01", "2024-01-01", "2024-03-01", "2024-02-01", "2024-02-01",
                      "2024-01-10", "2024-02-20", "2024-06-30"],
        "round_id": ["R1", "R1", None, "R1", "R1", "R1", "R1", "RH"],
    })
    cur = pr.current_status(h).set_index("problem_id")
    # A: open and rectifying on the same day -> rectifying first; rectified 03-01, two changes
    assert cur.loc["A", "status"] == "rectified" and cur.loc["A", "rectified_on"] == pd.Timestamp("2024-03-01")
    assert cur.loc["A", "n_changes"] == 2 and cur.loc["A", "n_rounds"] == 1
    # B: rectified and rectifying on one day: the more advanced status wins the tie
    assert cur.loc["B", "status"] == "rectified"
    # C: the re-check (RH) confirms on 06-30; the spell began 02-20, two rounds
    assert cur.loc["C", "rectified_on"] == pd.Timestamp("2024-02-20") and cur.loc["C", "n_rounds"] == 2
    assert not cur.reopened.any()
    early = pr.current_status(h, as_of="2024-01-31").set_index("problem_id")
    assert early.status.to_dict() == {"A": "rectifying", "C": "open"}  # B not yet recorded


# --------------------------------------------------------------------------- rounds
# Two regular rounds and a re-check of R1. Found / rectified dates tallied in the tests below.
#  id  unit cat   round deadline    history
PROBS = pd.DataFrame({
    "problem_id": ["A", "B", "C", "D", "E"],
    "unit_id": ["U1", "U2", "U3", "U1", "U3"],
    "year": [2023, 2023, 2023, 2024, 2024],
    "category": ["形式主义", "违规吃喝", "形式主义", "形式主义", "违规吃喝"],
    "aspect": ["D6"] * 5, "source": ["inspection"] * 5, "severity": ["high"] * 5,
    "round_id": ["R1", "R1", "R1", "R2", "R2"],
    "deadline": pd.to_datetime(["2023-12-31", "2023-12-31", "2023-12-31", "2024-09-30", "2024-09-30"]),
    "description": ["甲局接待超标", "乙学院公款吃喝", "丙区材料重复报送", "甲局重复督查", "丙区违规宴请"],
    "status": ["rectified"] * 5, "rectified_on": pd.NaT,
})
HIST = pd.DataFrame([
    ("A", "open", "2023-06-30", "R1"), ("A", "rectified", "2023-10-01", "R1"), ("A", "rectified", "2024-02-28", "RH"),
    ("B", "open", "2023-06-30", "R1"), ("B", "rectified", "2023-11-15", "R1"), ("B", "rectifying", "2024-02-28", "RH"),
    ("B", "rectified", "2024-04-10", "R1"),
    ("C", "open", "2023-06-30", "R1"), ("C", "rectifying", "2023-09-01", "R1"), ("C", "rectifying", "2024-02-28", "RH"),
    ("D", "open", "2024-05-31", "R2"),
    ("E", "open", "2024-05-31", "R2"), ("E", "rectified", "2024-07-01", "R2"),
], columns=["problem_id", "status", "status_on", "round_id"])
ROUNDS = pd.DataFrame({
    "round_id": ["R1", "RH", "R2"], "year": [2023, 2024, 2024], "name_zh": ["2023 年第一轮巡察", "回头看", "2024 年第一轮巡察"],
    "name_en": ["2023 round 1", "re-check", "2024 round 1"], "kind": ["regular", "recheck", "regular"],
    "rechecks": [None, "R1", None], "start_on": pd.to_datetime(["2023-04-01", "2024-02-01", "2024-04-01"]),
    "end_on": pd.to_datetime(["2023-06-30", "2024-02-28", "2024-05-31"]),
})
AS_OF = "2024-10-31"


def test_round_summary_hand_counts():
    s = pr.round_summary(PROBS, HIST, ROUNDS, AS_OF).set_index("round_id")
    assert s.index.tolist() == ["R1", "RH", "R2"]  # chronological: 2023-04, 2024-02, 2024-04
    # R1: A, B, C found. As of 10-31: A rectified 10-01 (≤ deadline 12-31: on time); B reopened by RH,
    # rectified again 04-10 (after the deadline: late); C rectifying, deadline passed -> overdue
    r1 = s.loc["R1"]
    assert (r1.n_found, r1.n_rectified, r1.n_on_time, r1.n_overdue, r1.n_recurred, r1.n_reopened) == (3, 2, 1, 1, 0, 1)
    assert r1.rectification_rate == pytest.approx(2 / 3)
    assert r1.on_time_rate == pytest.approx(1 / 2) and r1.on_time_share == pytest.approx(1 / 3)  # A of {A, B}; A of 3
    # RH verifies A (rectified), B (set back: rectifying), C (rectifying): 3 verified, 1 confirmed
    rh = s.loc["RH"]
    assert (rh.n_found, rh.n_verified, rh.n_verified_rectified, rh.rechecks) == (0, 3, 1, "R1")
    assert "re-check round without new findings" in rh.reason and math.isnan(rh.rectification_rate)
    # R2: D (U1 形式主义, found in R1 as A: recurred), open, deadline 09-30 passed -> overdue;
    # E (U3 违规吃喝: new for U3) rectified 07-01, on time
    r2 = s.loc["R2"]
    assert (r2.n_found, r2.n_rectified, r2.n_on_time, r2.n_overdue, r2.n_recurred) == (2, 1, 1, 1, 1)
    # as of 2024-01-31 B is still rectified (the re-check came later) and D, E are not yet found
    early = pr.round_summary(PROBS, HIST, ROUNDS, "2024-01-31").set_index("round_id")
    assert early.loc["R1", "n_rectified"] == 2 and early.loc["R1", "n_reopened"] == 0
    assert early.loc["R2", "n_found"] == 0


def test_round_summary_by_region():
    s = pr.round_summary(PROBS, HIST, ROUNDS, AS_OF, by="region", units=UNITS).set_index(["round_id", "region"])
    # R1: R01 = A (U1), B (U2); R02 = C (U3)
    assert s.loc[("R1", "R01"), "n_found"] == 2 and s.loc[("R1", "R02"), "n_overdue"] == 1
    assert s.loc[("RH", "R01"), "n_verified"] == 2 and s.loc[("RH", "R02"), "n_verified"] == 1


def test_time_and_rounds_to_rectify_from_history():
    # days from first record to the start of the current rectified spell, censored at AS_OF:
    # A 06-30 → 10-01 = 93; B 06-30 → 2024-04-10 = 285; C censored 06-30 → 2024-10-31 = 489;
    # D censored 05-31 → 10-31 = 153; E 05-31 → 07-01 = 31
    days = np.array([93, 285, 489, 153, 31.0])
    event = np.array([1, 1, 0, 0, 1])
    t = pr.time_to_rectify_from_history(PROBS, HIST, AS_OF).iloc[0]
    ref = SurvfuncRight(days, event)
    # KM by hand: S(31) = 4/5, S(93) = 3/5, S(153) unchanged (censored), S(285) = 3/5 · (1 − 1/2) = 0.3
    # -> the median is the first time with S ≤ 0.5: 285 days
    assert t.median_days_km == pytest.approx(285) == pytest.approx(float(ref.quantile(0.5)))
    assert (t.n, t.n_rectified, t.n_censored) == (5, 3, 2)
    r = pr.rounds_to_rectify(PROBS, HIST, AS_OF).iloc[0]
    # rounds up to rectification: A {R1} = 1 (the RH row comes after its spell began); B {R1, RH} = 2;
    # C {R1, RH} = 2 censored; D {R2} = 1 censored; E {R2} = 1
    # KM on rounds: at 1: 5 at risk, 2 events (A, E), 1 censored (D) → S = 3/5;
    # at 2: 2 at risk, 1 event (B) → S = 3/5 · 1/2 = 0.3 → median 2 rounds
    assert (r.n, r.n_rectified, r.n_rectified_first_round, r.max_rounds, r.n_reopened) == (5, 3, 2, 2, 1)
    assert r.median_rounds_km == 2.0
    assert r.median_rounds_km == float(SurvfuncRight(np.array([1, 2, 2, 1, 1.0]), event).quantile(0.5))


# --------------------------------------------------------------------------- the unit's list
def test_unit_problem_list_internal_and_published():
    # U1 has A (rectified) and D (open since 2024-05-31, deadline 09-30: 31 days overdue on 10-31)
    internal = pr.unit_problem_list(PROBS, "U1", AS_OF, history=HIST, rounds=ROUNDS)
    assert internal.problem_id.tolist() == ["D"]
    row = internal.iloc[0]
    assert row.description == "甲局重复督查" and row.round_name == "2024 年第一轮巡察"
    assert bool(row.overdue) and row.days_overdue == 31 and row.status == "open"
    # U3: C (overdue since 2023-12-31: 305 days) comes before nothing else (E is rectified)
    u3 = pr.unit_problem_list(PROBS, "U3", AS_OF, history=HIST)
    assert u3.problem_id.tolist() == ["C"] and u3.days_overdue.iloc[0] == 305
    pub = pr.unit_problem_list(PROBS, "U1", AS_OF, history=HIST, publish=True, k=3, key=b"k" * 32)
    assert "description" not in pub.columns and not pub.unit_id.eq("U1").any()
    assert pub.n_open.tolist() == ["<3"] and pub.attrs["publish"] is True  # one open item: suppressed


# --------------------------------------------------------------------------- the sample
def test_sample_rounds_histories_and_chinese_rows(sample_data, sample_files, loaded_warehouse):
    p, h, r = sample_data.problems, sample_data.problem_status_history, sample_data.inspection_rounds
    years = sorted(p.year.unique())
    regular = r[r.kind == "regular"]
    assert (regular.groupby("year").size() == 2).all() and sorted(regular.year.unique()) == years
    recheck = r[r.kind == "recheck"].iloc[0]
    assert recheck.rechecks == f"XC{years[-2]}-2"
    assert p.round_id.notna().eq(p.source == "inspection").all()
    cur = pr.current_status(h).set_index("problem_id").reindex(p.problem_id)
    assert (cur.status.to_numpy() == p.status.to_numpy()).all()
    assert cur.rectified_on.equals(pd.Series(p.rectified_on.to_numpy(), index=cur.index, name="rectified_on"))
    assert cur.reopened.sum() >= 1
    raw = pd.read_csv(next(f for f in sample_files if Path(f).name == "problems.csv"), dtype=str)
    assert (raw.source == "巡察").sum() == (p.source == "inspection").sum() > 0
    assert {"整改中", "已整改"} & set(raw.status) and {"rectified"} & set(raw.status)
    with Warehouse(loaded_warehouse, read_only=True) as wh:
        stored = wh.problems().set_index("problem_id").reindex(p.problem_id)
        assert len(wh.status_history()) == len(h) and len(wh.inspection_rounds()) == len(r)
    assert (stored.source.to_numpy() == p.source.to_numpy()).all()
    assert (stored.status.to_numpy() == p.status.to_numpy()).all()
    summary = pr.round_summary(p, h, r, "2025-06-30")
    assert summary.n_found.sum() == (p.source == "inspection").sum()
    assert summary.loc[summary.kind == "recheck", "n_verified"].iloc[0] == (p.round_id == recheck.rechecks).sum()

