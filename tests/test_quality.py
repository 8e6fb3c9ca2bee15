"""Submission status (报送情况): missing and late values per lead department × period × indicator.
Expected values are written out by hand from the fixtures below."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.framework import validate_framework
from analysis.quality import SubmissionRule, submission_gaps, submission_status


def framework():
    fw = pd.DataFrame([
        ("PE", "", 0, 1, "aggregate", "", "", "", ""),
        ("D1", "PE", 1, 1, "aggregate", "", "", "", ""),
        ("C", "D1", 2, 1, "score", "negative", "sum", "quarterly", "纪委监委"),
        ("A", "D1", 2, 1, "score", "positive", "mean", "annual", "组织部"),
    ], columns=["code", "parent", "level", "weight", "role", "direction", "year_agg", "frequency",
                "lead_department"]).astype(str)
    fw["name_zh"] = fw.code
    return validate_framework(fw, "hand")


def units():
    return pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "name_zh": ["甲", "乙", "丙"], "type": "county",
                         "region": "R1", "staff": 100.0, "party_members": 50.0, "residents": np.nan,
                         # U3 was merged away after 2023: not expected in 2024
                         "valid_from": np.nan, "valid_to": [np.nan, np.nan, 2023]})


def observations():
    t = pd.Timestamp
    rows = [("U1", 2024, p, "C", 1.0, t(f"2024-{m}-10")) for p, m in (("Q1", "04"), ("Q2", "07"), ("Q3", "10"))]
    rows += [("U1", 2024, "Q4", "C", 1.0, t("2025-01-15 23:59"))]          # on the due day: on time
    rows += [("U2", 2024, "Q1", "C", 0.0, t("2024-04-01")),
             ("U2", 2024, "Q3", "C", 2.0, t("2024-10-20")),                # due 15 Oct: 5 days late
             ("U2", 2024, "Q4", "C", 0.0, t("2025-01-16 00:00"))]          # the day after: 1 day late
    rows += [("U1", 2024, "Y", "A", 80.0, t("2025-01-20"))]                # annual, due 31 Jan: on time
    return pd.DataFrame(rows, columns=["unit_id", "year", "period", "indicator", "value", "loaded_at"])


def test_deadline_rule():
    r = SubmissionRule()
    # quarter end + 15 days; year end + 31 days
    assert r.deadline(2024, "Q2") == pd.Timestamp("2024-07-15")
    assert r.deadline(2024, "Q3") == pd.Timestamp("2024-10-15")
    assert r.deadline(2024, "Y") == pd.Timestamp("2025-01-31")
    assert SubmissionRule(quarter_days=10).deadline(2024, "Q1") == pd.Timestamp("2024-04-10")
    with pytest.raises(ValueError, match="报送期限"):
        SubmissionRule(quarter_days=-1)


def test_missing_and_late_per_department_period_indicator():
    st = submission_status(observations(), framework(), units(), 2024).set_index(["period", "indicator"])
    # expected: U1 and U2 (U3 ended in 2023); C quarterly Q1–Q4, A annual Y
    assert set(st.index) == {("Q1", "C"), ("Q2", "C"), ("Q3", "C"), ("Q4", "C"), ("Y", "A")}
    assert (st.expected == 2).all()
    assert st.loc[("Q2", "C"), "missing"] == 1 and st.loc[("Q2", "C"), "missing_units"] == "U2"
    assert st.loc[("Q3", "C"), "late"] == 1 and st.loc[("Q3", "C"), "late_units"] == "U2"
    assert st.loc[("Q3", "C"), "on_time"] == 1
    assert st.loc[("Q4", "C"), "late"] == 1 and st.loc[("Q4", "C"), "on_time"] == 1
    assert st.loc[("Y", "A"), "missing_units"] == "U2" and st.loc[("Y", "A"), "lead_department"] == "组织部"
    assert st.loc[("Q1", "C"), ["missing", "late", "on_time"]].tolist() == [0, 0, 2]
    gaps = submission_gaps(observations(), framework(), units(), 2024).set_index(["period", "unit_id"])
    assert gaps.loc[("Q3", "U2"), "days_late"] == 5          # 20 Oct − 15 Oct
    assert gaps.loc[("Q4", "U2"), "days_late"] == 1          # 16 Jan 00:00, due 15 Jan
    assert gaps.loc[("Q2", "U2"), "status_zh"] == "未报送"


def test_period_selection_and_no_load_times():
    q3 = submission_status(observations(), framework(), units(), 2024, "Q3")
    assert q3.period.tolist() == ["Q3"]
    q4 = submission_status(observations(), framework(), units(), 2024, "Q4")
    assert sorted(q4.period) == ["Q4", "Y"]                    # annual values fall due after Q4
    h1 = submission_status(observations(), framework(), units(), 2024, "H1", only_gaps=True)
    assert h1.period.tolist() == ["Q2"]
    plain = submission_status(observations().drop(columns="loaded_at"), framework(), units(), 2024)
    assert plain.late.sum() == 0 and plain.missing.sum() == 2  # U2 Q2 C and U2 Y A
    with pytest.raises(ValueError, match="期别"):
        submission_status(observations(), framework(), units(), 2024, "Q5")


def test_planted_missing_indicator_is_listed_for_its_year(sample_data):
    # sample.py drops M22 (annual, 组织部) for every unit in 2021
    s = sample_data
    st = submission_status(s.observations, s.framework, s.units, 2021, only_gaps=True)
    row = st[st.indicator == "M22"]
    assert len(row) == 1 and row.period.iloc[0] == "Y" and row.lead_department.iloc[0] == "组织部"
    assert row.missing.iloc[0] == row.expected.iloc[0] == 80
    assert (st.indicator == "M22").sum() == 1 and len(st) == 1   # nothing else is missing in the sample
    assert submission_status(s.observations, s.framework, s.units, 2022, only_gaps=True).empty
