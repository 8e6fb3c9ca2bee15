"""Periods (Y / H / Q), period values by the documented rule per leaf, the period index, and any
two periods compared. Expected numbers are hand calculations written out next to each assert."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AnalysisError
from analysis.framework import validate_framework
from analysis.periods import Period, build_period_index, grade_moves, period_values
from analysis.scoring import build_index


# --------------------------------------------------------------------------- Period

@pytest.mark.parametrize("text, year, kind, number, back", [
    ("2024", 2024, "Y", 1, "2024Y"), ("2024Y", 2024, "Y", 1, "2024Y"), ("2024h1", 2024, "H", 1, "2024H1"),
    ("2024-H2", 2024, "H", 2, "2024H2"), ("2024Q3", 2024, "Q", 3, "2024Q3"), (" 2019 q4 ", 2019, "Q", 4, "2019Q4"),
])
def test_period_parse_and_format(text, year, kind, number, back):
    p = Period.parse(text)
    assert (p.year, p.kind, p.number) == (year, kind, number)
    assert str(p) == back and Period.parse(str(p)) == p


def test_period_neighbours_and_quarters():
    assert str(Period.parse("2024H1").previous()) == "2023H2"
    assert str(Period.parse("2024H2").previous()) == "2024H1"
    assert str(Period.parse("2024Q1").previous()) == "2023Q4"
    assert str(Period.parse("2024Q3").same_period_last_year()) == "2023Q3"
    assert str(Period.parse("2024Y").previous()) == "2023Y"
    assert Period.parse("2024H2").quarters == ("Q3", "Q4")
    assert Period.parse("2024Y").quarters == ("Q1", "Q2", "Q3", "Q4")
    assert Period.parse("2024Q2").quarters == ("Q2",)
    assert Period.parse("H1", year=2022) == Period(2022, "H", 1)
    assert Period.parse("2024H2").label("zh") == "2024年下半年"
    assert Period.parse("2024Q1").label("en") == "2024 Q1"
    assert sorted([Period.parse("2024H1"), Period.parse("2023H2"), Period.parse("2024H2")]) == \
        [Period(2023, "H", 2), Period(2024, "H", 1), Period(2024, "H", 2)]


@pytest.mark.parametrize("bad", ["2024H3", "2024Q5", "24H1", "H1", "2024M1"])
def test_period_parse_refuses(bad):
    with pytest.raises(AnalysisError, match="期别"):
        Period.parse(bad)


# --------------------------------------------------------------------------- period values

def _fw(rows):
    cols = ["code", "parent", "level", "weight", "role", "direction", "year_agg", "frequency", "denominator", "per"]
    fw = pd.DataFrame(rows, columns=cols).astype(str).replace("nan", "")
    fw["name_zh"] = fw.code
    return validate_framework(fw, "hand")


def rule_framework():
    """PE ← D1 ← C (count per 100 staff, sum), R (rate, mean), E (event, max);
    PE ← D2 ← S (within-year cumulative stock, last), A (annual)."""
    return _fw([
        ("PE", "", 0, 1, "aggregate", "", "", "", "", ""), ("D1", "PE", 1, 1, "aggregate", "", "", "", "", ""),
        ("D2", "PE", 1, 1, "aggregate", "", "", "", "", ""),
        ("C", "D1", 2, 1, "score", "negative", "sum", "quarterly", "staff", 100),
        ("R", "D1", 2, 1, "score", "positive", "mean", "quarterly", "", ""),
        ("E", "D1", 2, 1, "score", "negative", "max", "quarterly", "", ""),
        ("S", "D2", 2, 1, "score", "positive", "last", "quarterly", "", ""),
        ("A", "D2", 2, 1, "score", "positive", "mean", "annual", "", ""),
    ])


def units(n=2, staff=200.0):
    return pd.DataFrame({"unit_id": [f"U{i + 1}" for i in range(n)], "name_zh": [f"单位{i + 1}" for i in range(n)],
                         "type": "county", "region": "R1", "staff": staff, "party_members": 50.0,
                         "residents": np.nan, "valid_from": np.nan, "valid_to": np.nan})


def rule_observations():
    rows = []
    q = ["Q1", "Q2", "Q3", "Q4"]
    for p, v in zip(q, [2, 3, 1, 4]):
        rows.append(("U1", 2024, p, "C", v))
    for p, v in zip(q[:3], [80, 90, 70]):   # Q4 not reported
        rows.append(("U1", 2024, p, "R", v))
    for p, v in zip(q, [0, 1, 0, 0]):
        rows.append(("U1", 2024, p, "E", v))
    for y, vals in ((2023, [30, 55, 75, 90]), (2024, [35, 60, 80, 95])):
        for p, v in zip(q, vals):
            rows.append(("U1", y, p, "S", v))
    rows += [("U1", 2023, "Y", "A", 70), ("U1", 2024, "Y", "A", 75)]
    rows += [("U1", 2023, "Q1", "C", 1)]
    return pd.DataFrame(rows, columns=["unit_id", "year", "period", "indicator", "value"]).astype({"value": float})


def _get(v, period, code, col="value"):
    row = v[(v.period == period) & (v.indicator == code)]
    assert len(row) == 1, (period, code)
    return float(row[col].iloc[0])


def test_half_year_values_follow_the_rule_per_leaf():
    v = period_values(rule_observations(), rule_framework(), units(1), "H")
    # C, sum of the half year's quarters per 100 staff: H1 (2 + 3) / 200 × 100 = 2.5; H2 (1 + 4) / 200 × 100 = 2.5
    assert _get(v, "2024H1", "C") == pytest.approx(2.5)
    assert _get(v, "2024H1", "C", "raw_value") == 5
    assert _get(v, "2024H2", "C") == pytest.approx(2.5)
    # R, mean of the quarters reported: H1 (80 + 90) / 2 = 85; H2 only Q3 = 70, from one quarter
    assert _get(v, "2024H1", "R") == 85
    assert _get(v, "2024H2", "R") == 70 and _get(v, "2024H2", "R", "n_periods") == 1
    # E, max: H1 max(0, 1) = 1; H2 max(0, 0) = 0
    assert _get(v, "2024H1", "E") == 1 and _get(v, "2024H2", "E") == 0
    # S, a within-year cumulative stock: the latest complete year's value — 2024H1 takes 2023's
    # Q4 value 90, 2024H2 (ends at Q4) the year's own 95; 2023H2 = 90, 2023H1 has no complete earlier year
    assert _get(v, "2024H1", "S") == 90 and _get(v, "2024H2", "S") == 95 and _get(v, "2023H2", "S") == 90
    assert v[(v.period == "2023H1") & (v.indicator == "S")].empty
    # A, annual: 2024H1 ← 2023's 70, 2024H2 ← 2024's 75
    assert _get(v, "2024H1", "A") == 70 and _get(v, "2024H2", "A") == 75
    assert v.loc[(v.period == "2024H1") & (v.indicator == "A"), "rule"].iloc[0] == "complete_year 2023"
    # 2023H1 C: Q1 = 1 → 1 / 200 × 100 = 0.5
    assert _get(v, "2023H1", "C") == pytest.approx(0.5)


def test_stocks_at_period_end_and_quarters_and_year():
    v = period_values(rule_observations(), rule_framework(), units(1), "H", stocks="period_end")
    assert _get(v, "2024H1", "S") == 60 and _get(v, "2024H2", "S") == 95   # the Q2 and Q4 values
    q = period_values(rule_observations(), rule_framework(), units(1), "Q")
    assert _get(q, "2024Q2", "C") == pytest.approx(1.5)                     # 3 / 200 × 100
    assert _get(q, "2024Q3", "S") == 90 and _get(q, "2024Q4", "S") == 95
    y = period_values(rule_observations(), rule_framework(), units(1), "Y")
    assert _get(y, "2024Y", "C") == pytest.approx(5.0)                      # (2 + 3 + 1 + 4) / 200 × 100
    assert _get(y, "2024Y", "R") == 80                                       # (80 + 90 + 70) / 3
    with pytest.raises(AnalysisError, match="期别类型"):
        period_values(rule_observations(), rule_framework(), units(1), "M")


def test_period_values_of_kind_y_equal_the_yearly_panel(sample_data):
    from analysis.panel import yearly_values

    s = sample_data
    y = yearly_values(s.observations, s.framework, s.units)
    p = period_values(s.observations, s.framework, s.units, "Y")
    m = y.merge(p, on=["unit_id", "year", "indicator"], suffixes=("", "_p"))
    assert len(m) == len(y) == len(p)
    np.testing.assert_allclose(m.value, m.value_p)


# --------------------------------------------------------------------------- the period index

def one_leaf_framework():
    return _fw([("PE", "", 0, 1, "aggregate", "", "", "", "", ""), ("D1", "PE", 1, 1, "aggregate", "", "", "", "", ""),
                ("C", "D1", 2, 1, "score", "positive", "sum", "quarterly", "", "")])


def test_period_scores_use_a_reference_pooled_over_all_periods():
    # half-year sums: U1 H1 0, H2 5; U2 H1 10, H2 20 → pooled min 0, max 20:
    # min–max ×100 → U1 0 and 25, U2 50 and 100 (a per-period reference would give 0/100 twice)
    obs = pd.DataFrame([("U1", 2024, "Q1", "C", 0), ("U1", 2024, "Q2", "C", 0), ("U1", 2024, "Q3", "C", 2),
                        ("U1", 2024, "Q4", "C", 3), ("U2", 2024, "Q1", "C", 4), ("U2", 2024, "Q2", "C", 6),
                        ("U2", 2024, "Q3", "C", 10), ("U2", 2024, "Q4", "C", 10)],
                       columns=["unit_id", "year", "period", "indicator", "value"]).astype({"value": float})
    pi = build_period_index(obs, one_leaf_framework(), units(2), "H")
    ix = pi.index().set_index(["unit_id", "period"]).score
    assert ix[("U1", "2024H1")] == pytest.approx(0) and ix[("U1", "2024H2")] == pytest.approx(25)
    assert ix[("U2", "2024H1")] == pytest.approx(50) and ix[("U2", "2024H2")] == pytest.approx(100)
    ch = pi.changes().set_index(["unit_id", "period"])
    assert ch.loc[("U1", "2024H2"), "previous_period"] == "2024H1"
    assert ch.loc[("U1", "2024H2"), "change_previous"] == pytest.approx(25)
    assert ch.loc[("U1", "2024H2"), "last_year_period"] == "2023H2"
    assert np.isnan(ch.loc[("U1", "2024H2"), "last_year_score"])


def test_planted_deteriorating_unit_falls_in_the_half_year_diagnosis(sample_data):
    # sample.py plants q −= 0.6 · (year − 2020) for U017 from 2021: its index or grade falls 2021H2 → 2022H1
    s = sample_data
    pi = build_period_index(s.observations, s.framework, s.units, "H")
    ch = pi.changes().set_index(["unit_id", "period"])
    row = ch.loc[("U017", "2022H1")]
    assert row.previous_period == "2021H2"
    assert row.change_previous < 0 or row.grade_steps_previous < 0
    # and over the same half of the previous year
    assert row.change_last_year < 0
    # grades are comparable across periods: one set of pooled cut-offs for every half year
    assert pi.result.grades.cutoff_green.nunique() == 1
    moved = grade_moves(pi.changes(), "2022H1")
    assert set(moved.period) <= {"2022H1"} and (moved.grade_steps_previous != 0).all()
    # messages and tables speak of periods, not of the internal time axis
    assert not pi.result.warnings.message.str.contains(r"\b20\d{3}\b").any()
    assert pi.result.early_warnings.period.str.fullmatch(r"\d{4}H[12]").all()
    # any two half years compared: contributions + interaction = change exactly
    cmp = pi.compare("2023H1", "2024H1")
    a = cmp.attribution
    assert set(a.period) == {"2024H1"} and set(a.from_period) == {"2023H1"}
    parts = a[a.kind.isin(["leaf", "list", "interaction"])].groupby("unit_id").contribution.sum()
    change = a.groupby("unit_id").change.first()
    np.testing.assert_allclose(parts, change[parts.index], atol=1e-9)
    root = cmp.nodes[cmp.nodes.level == 0].set_index("unit_id")
    np.testing.assert_allclose(root.change[change.index], change, atol=1e-9)


def test_quarterly_heat_map_tables(sample_data):
    s = sample_data
    pi = build_period_index(s.observations, s.framework, s.units, "Q")
    hm = pi.heatmap("2024Q4")
    assert list(hm["grades"].columns) == ["PE", "D1", "D2", "D3", "D4", "D5", "D6"]
    assert set(hm["grades"].stack().unique()) <= {"green", "blue", "yellow", "red"}
    # change since last quarter = score now − score in 2024Q3 (read back from the index)
    ix = pi.index().set_index(["unit_id", "period"]).score
    u = hm["change"].index[0]
    assert hm["change"].loc[u, "PE"] == pytest.approx(ix[(u, "2024Q4")] - ix[(u, "2024Q3")])
    # dimension grades by pooled quartiles: about a quarter of unit-periods in each colour
    dg = pi.dimension_grades()
    shares = dg[dg.node == "D1"].grade.value_counts(normalize=True)
    assert shares.between(0.2, 0.3).all()


# --------------------------------------------------------------------------- any two years compared

def two_leaf_framework(method_weights=(1, 1)):
    return _fw([("PE", "", 0, 1, "aggregate", "", "", "", "", ""),
                ("D1", "PE", 1, method_weights[0], "aggregate", "", "", "", "", ""),
                ("D2", "PE", 1, method_weights[1], "aggregate", "", "", "", "", ""),
                ("A", "D1", 2, 1, "score", "positive", "mean", "annual", "", ""),
                ("B", "D2", 2, 1, "score", "positive", "mean", "annual", "", "")])


def two_leaf_values():
    rows = [("U1", 2019, "A", 0), ("U1", 2020, "A", 5), ("U1", 2024, "A", 10),
            ("U1", 2019, "B", 4), ("U1", 2020, "B", 1), ("U1", 2024, "B", 2),
            ("U2", 2019, "A", 10), ("U2", 2020, "A", 10), ("U2", 2024, "A", 10),
            ("U2", 2019, "B", 0), ("U2", 2020, "B", 0), ("U2", 2024, "B", 0)]
    return pd.DataFrame(rows, columns=["unit_id", "year", "indicator", "value"]).astype({"value": float})


def test_any_two_years_compared_exactly_in_the_linear_case():
    from analysis.scoring.attribution import compare_two

    res = build_index(two_leaf_values(), two_leaf_framework(), units(2))
    cmp = compare_two(res, 2019, 2024)
    a = cmp.attribution[cmp.attribution.unit_id == "U1"].set_index("component")
    # pooled min–max: A in [0, 10] → ×10, B in [0, 4] → ×25. U1 2019: A 0, B 100 → PE 0.5·0 + 0.5·100 = 50;
    # 2024: A 100, B 50 → PE 75. Change 25 = A 0.5·(100 − 0) + B 0.5·(50 − 100) = 50 − 25, interaction 0.
    assert a.change.iloc[0] == pytest.approx(25)
    assert a.loc["A", "contribution"] == pytest.approx(50) and a.loc["B", "contribution"] == pytest.approx(-25)
    assert a.loc["D1", "contribution"] == pytest.approx(50) and a.loc["D2", "contribution"] == pytest.approx(-25)
    assert a.loc["interaction", "contribution"] == pytest.approx(0, abs=1e-12)
    assert a.exact.all()
    n = cmp.nodes[cmp.nodes.unit_id == "U1"].set_index("node")
    assert n.loc["PE", "score_from"] == pytest.approx(50) and n.loc["PE", "score"] == pytest.approx(75)
    assert n.loc["D2", "change"] == pytest.approx(-50)
    assert set(cmp.nodes.from_year) == {2019} and set(cmp.nodes.year) == {2024}
    with pytest.raises(ValueError, match="不在指数中"):
        compare_two(res, 2018, 2024)


def test_any_two_years_nonlinear_interaction_closes_the_sum():
    from analysis.scoring.attribution import compare_two

    res = build_index(two_leaf_values(), two_leaf_framework(), units(2), {"aggregation": {"method": "geometric"}})
    a = compare_two(res, 2019, 2024).attribution
    parts = a[a.kind.isin(["leaf", "interaction"])].groupby("unit_id").contribution.sum()
    change = a.groupby("unit_id").change.first()
    np.testing.assert_allclose(parts, change[parts.index], atol=1e-12)
    assert not a[a.unit_id == "U1"].exact.any()
