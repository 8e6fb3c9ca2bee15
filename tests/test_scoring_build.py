"""build_index end to end: real data (COINr's ASEM example), the sample city's planted effects,
hand-made panels, and degenerate input.

Expected numbers come from an independent pandas implementation written in this file (ASEM), from
hand calculations written out next to them, or from scipy tests on the planted effects.
"""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import panel
from analysis.framework import effective_weights, validate_framework
from analysis.scoring import build_index

ASEM = "/work/shared/data/asem/"


# --------------------------------------------------------------------------- helpers

def tiny_framework(weights=(0.6, 0.4, 1, 3, 1), directions=("positive", "negative", "positive")):
    """PE ← D1 ← A, B; PE ← D2 ← C; plus a red-line event R."""
    wd1, wd2, wa, wb, wc = weights
    rows = [
        ("PE", "", 0, 1, "aggregate", ""), ("D1", "PE", 1, wd1, "aggregate", ""), ("D2", "PE", 1, wd2, "aggregate", ""),
        ("A", "D1", 2, wa, "score", directions[0]), ("B", "D1", 2, wb, "score", directions[1]),
        ("C", "D2", 2, wc, "score", directions[2]), ("R", "PE", 1, 0, "red_line", "negative"),
    ]
    fw = pd.DataFrame(rows, columns=["code", "parent", "level", "weight", "role", "direction"]).astype(str)
    fw["name_zh"] = fw.code
    fw["year_agg"] = np.where(fw.role != "aggregate", "mean", "")
    fw["frequency"] = np.where(fw.role != "aggregate", "annual", "")
    return validate_framework(fw, "tiny")


def tiny_units(n, regions=("R1", "R2")):
    return pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "name_zh": [f"单位{i}" for i in range(n)],
                         "type": ["county"] * n, "region": [regions[i % len(regions)] for i in range(n)],
                         "valid_from": 2000, "valid_to": np.nan, "staff": 100.0, "party_members": 50.0,
                         "residents": np.nan})


def long_values(table):
    """{(unit, year): {leaf: value}} → yearly panel rows."""
    rows = [(u, y, k, v) for (u, y), d in table.items() for k, v in d.items()]
    return pd.DataFrame(rows, columns=["unit_id", "year", "indicator", "value"])


def messages(res):
    return " ".join(res.warnings.message)


# --------------------------------------------------------------------------- hand-made panel

def test_hand_panel_scores_ranks_grades():
    fw, units = tiny_framework(), tiny_units(3)
    vals = long_values({
        ("U0", 2020): {"A": 0, "B": 10, "C": 0}, ("U1", 2020): {"A": 5, "B": 5, "C": 5},
        ("U2", 2020): {"A": 10, "B": 0, "C": 10, "R": 1},
    })
    res = build_index(vals, fw, units, {"grades": {"method": "absolute"}})
    root = res.index().set_index("unit_id")
    # U0: A=0, B(neg)=0, C=0 → 0; U1: all 50 → 50; U2: all 100 → 100
    assert root.score.round(9).to_dict() == {"U0": 0.0, "U1": 50.0, "U2": 100.0}
    assert root["rank"].to_dict() == {"U0": 3, "U1": 2, "U2": 1}
    # absolute cut-offs 85/70/60: U2 would be green, but red line R = 1 caps it at red
    assert root.loc["U2", "grade_by_score"] == "green"
    assert root.loc["U2", "grade"] == "red" and bool(root.loc["U2", "red_line"])
    assert root.loc["U2", "red_line_codes"] == "R"
    assert root.loc["U1", "grade"] == "red" and not root.loc["U1", "red_line"]
    assert "一票否决" in messages(res)
    # directions explicit in the leaf table; B is negative: U0's B = 10 is its worst value
    leaves = res.leaves.set_index(["unit_id", "indicator"])
    assert leaves.loc[("U0", "B"), "direction"] == "negative"
    assert leaves.loc[("U0", "B"), "normalised"] == 0.0


def test_hand_panel_attribution_exact_for_arithmetic():
    fw, units = tiny_framework(), tiny_units(2)
    vals = long_values({
        ("U0", 2020): {"A": 50, "B": 0, "C": 20}, ("U0", 2021): {"A": 70, "B": 0, "C": 40},
        ("U1", 2020): {"A": 0, "B": 100, "C": 0}, ("U1", 2021): {"A": 100, "B": 0, "C": 100},
    })
    res = build_index(vals, fw, units)
    # pooled min–max: A, C in [0, 100] → value itself; B negative in [0, 100] → 100 - B
    # U0 2020: D1 = .25*50 + .75*100 = 87.5, PE = .6*87.5 + .4*20 = 60.5
    # U0 2021: D1 = .25*70 + .75*100 = 92.5, PE = .6*92.5 + .4*40 = 71.5; change 11
    idx = res.index().set_index(["unit_id", "year"]).score
    assert idx[("U0", 2020)] == pytest.approx(60.5) and idx[("U0", 2021)] == pytest.approx(71.5)
    a = res.attribution[res.attribution.unit_id == "U0"].set_index("component")
    # effective weights: A .6*.25 = .15 → .15*20 = 3; B 0; C .4*1 = .4 → .4*20 = 8
    assert a.contribution["A"] == pytest.approx(3.0)
    assert a.contribution["B"] == pytest.approx(0.0)
    assert a.contribution["C"] == pytest.approx(8.0)
    assert a.contribution["D1"] == pytest.approx(3.0) and a.contribution["D2"] == pytest.approx(8.0)
    assert a.contribution["interaction"] == pytest.approx(0.0, abs=1e-9)
    assert bool(a.exact.all())


def test_attribution_geometric_reports_interaction_and_adds_up():
    fw, units = tiny_framework(), tiny_units(2)
    vals = long_values({
        ("U0", 2020): {"A": 50, "B": 0, "C": 20}, ("U0", 2021): {"A": 70, "B": 0, "C": 40},
        ("U1", 2020): {"A": 0, "B": 100, "C": 0}, ("U1", 2021): {"A": 100, "B": 0, "C": 100},
    })
    res = build_index(vals, fw, units, {"aggregation": {"method": "geometric"}})
    a = res.attribution[(res.attribution.unit_id == "U0")]
    leaves = a[a.kind.isin(["leaf", "interaction"])]
    # leaves + interaction add up to the change exactly, whatever the method
    assert leaves.contribution.sum() == pytest.approx(a.change.iloc[0])
    # D1 = 50^.25 * 100^.75 → 70^.25 * 100^.75; PE = D1^.6 * D2^.4
    pe = lambda a_, c_: (a_ ** 0.25 * 100 ** 0.75) ** 0.6 * c_ ** 0.4  # noqa: E731
    assert a.change.iloc[0] == pytest.approx(pe(70, 40) - pe(50, 20))
    assert not a.exact.any()


def test_missing_data_rules_and_flags():
    fw, units = tiny_framework(), tiny_units(4, regions=("R1",))
    vals = long_values({
        ("U0", 2020): {"A": 10, "B": 1, "C": 3}, ("U1", 2020): {"A": 20, "B": 2, "C": 5},
        ("U2", 2020): {"A": 60, "B": 3},            # C missing: coverage 2/3 → scored
        ("U3", 2020): {"A": 40},                    # coverage 1/3 → excluded
    })
    res = build_index(vals, fw, units, {"missing": {"method": "region_mean"}})
    ex = res.excluded.set_index("unit_id")
    assert list(ex.index) == ["U3"] and ex.loc["U3", "n_observed"] == 1
    assert "覆盖率" in ex.loc["U3", "reason"] and "coverage" in ex.loc["U3", "reason"]
    imp = res.imputed.set_index(["unit_id", "indicator"])
    # U2's C = mean of the scored units of R1 that report C: (3 + 5)/2 = 4 (U3 is excluded)
    assert imp.loc[("U2", "C"), "value"] == pytest.approx(4.0)
    assert len(res.imputed) == 1
    leaves = res.leaves.set_index(["unit_id", "indicator"])
    assert bool(leaves.loc[("U2", "C"), "imputed"]) and not leaves.loc[("U2", "C"), "observed"]
    assert not leaves.loc[("U1", "C"), "imputed"]
    assert "U3" not in set(res.scores.unit_id)


def test_weights_table_sums_to_one_and_effective_weights_match_framework():
    fw, units = tiny_framework(), tiny_units(3)
    vals = long_values({(f"U{i}", 2020): {"A": i, "B": 2 * i, "C": i * i} for i in range(3)})
    res = build_index(vals, fw, units)
    sums = res.weights.groupby(["year", "parent"]).weight.sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    eff = res.effective_weights.set_index("indicator").effective_weight
    ref = effective_weights(fw)  # the framework's own product of normalised weights
    np.testing.assert_allclose(eff[ref.index].to_numpy(), ref.to_numpy())
    # hand: A .6*.25 = .15, B .6*.75 = .45, C .4
    assert eff.round(12).to_dict() == {"A": 0.15, "B": 0.45, "C": 0.4}


@settings(max_examples=10, deadline=None)
@given(w=st.lists(st.floats(0.01, 10), min_size=5, max_size=5))
def test_weights_sum_to_one_at_each_node(w):
    fw, units = tiny_framework(weights=tuple(w)), tiny_units(3)
    vals = long_values({(f"U{i}", 2020): {"A": i, "B": 3 - i, "C": i % 2} for i in range(3)})
    res = build_index(vals, fw, units)
    sums = res.weights.groupby(["year", "parent"]).weight.sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    np.testing.assert_allclose(res.effective_weights.effective_weight.sum(), 1.0)


def test_entropy_weights_flow_into_the_tree():
    fw, units = tiny_framework(), tiny_units(4)
    vals = long_values({(f"U{i}", 2020): {"A": [1, 2, 3, 10][i], "B": [5, 5, 6, 5][i], "C": [1, 4, 2, 3][i]}
                        for i in range(4)})
    res = build_index(vals, fw, units, {"weights": {"method": "entropy"}})
    eff = res.effective_weights.set_index("indicator").effective_weight
    np.testing.assert_allclose(eff.sum(), 1.0)
    # flat scope: the effective leaf weights are the entropy weights themselves
    from analysis.scoring import entropy_weights
    wide = vals.pivot(index="unit_id", columns="indicator", values="value")[["A", "B", "C"]]
    ref = entropy_weights(wide, {"A": "positive", "B": "negative", "C": "positive"})
    np.testing.assert_allclose(eff[ref.index].to_numpy(), ref.to_numpy())


# --------------------------------------------------------------------------- degenerate input

def test_constant_leaf_warns_and_scores_defined():
    fw, units = tiny_framework(), tiny_units(3)
    vals = long_values({(f"U{i}", 2020): {"A": 7, "B": i, "C": i} for i in range(3)})
    res = build_index(vals, fw, units)
    assert "A" in set(res.warnings.code) and "constant" in messages(res)
    assert (res.leaves[res.leaves.indicator == "A"].normalised == 50.0).all()
    assert res.scores.score.notna().all()


def test_single_unit_defined():
    fw, units = tiny_framework(), tiny_units(1)
    vals = long_values({("U0", 2020): {"A": 1, "B": 2, "C": 3}, ("U0", 2021): {"A": 2, "B": 2, "C": 3}})
    res = build_index(vals, fw, units)
    assert "one unit per year" in messages(res)
    assert res.scores.score.notna().all()
    assert res.index()["rank"].eq(1).all()


def test_single_year_defined():
    fw, units = tiny_framework(), tiny_units(3)
    vals = long_values({(f"U{i}", 2020): {"A": i, "B": i, "C": i} for i in range(3)})
    res = build_index(vals, fw, units)
    assert "a single year" in messages(res)
    assert res.attribution.empty and list(res.attribution.columns)[:3] == ["unit_id", "year", "from_year"]
    assert res.early_warnings.empty
    assert res.scores.score.notna().all()


def test_all_missing_leaf_warns_and_parent_reweights():
    fw, units = tiny_framework(), tiny_units(3)
    vals = long_values({(f"U{i}", 2020): {"A": i, "B": 2 * i} for i in range(3)})  # C never reported
    res = build_index(vals, fw, units, {"missing": {"coverage": 0.5}})
    assert "C" in set(res.warnings.code) and "missing for every unit" in messages(res)
    root = res.index()
    assert root.score.notna().all()  # D2 is missing, PE = D1 (weight renormalised)
    d = res.scores.pivot_table(index="unit_id", columns="node", values="score")
    np.testing.assert_allclose(d["PE"], d["D1"])
    assert d.columns.tolist().count("D2") == 0 or d["D2"].isna().all()
    assert "minimum-data rule" in messages(res)


def test_nobody_scored_gives_empty_tables_and_a_reason():
    fw, units = tiny_framework(), tiny_units(2)
    vals = long_values({("U0", 2020): {"A": 1}, ("U1", 2020): {"B": 1}})
    res = build_index(vals, fw, units)  # coverage 1/3 < 2/3 for both
    assert res.scores.empty and res.grades.empty
    assert len(res.excluded) == 2
    assert "no unit meets the coverage rule" in messages(res)


# --------------------------------------------------------------------------- ASEM (COINr's example data)

def asem():
    meta = pd.read_csv(ASEM + "iMeta.csv", dtype=str, keep_default_na=False)
    data = pd.read_csv(ASEM + "iData.csv", dtype=str, keep_default_na=False)
    meta = meta[meta.Type.isin(["Indicator", "Aggregate"])]
    ind = meta.Type == "Indicator"
    fw = validate_framework(pd.DataFrame({
        "code": meta.iCode, "parent": meta.Parent.replace("NA", ""), "level": (4 - meta.Level.astype(int)).astype(str),
        "name_zh": meta.iName, "weight": meta.Weight, "role": np.where(ind, "score", "aggregate"),
        "direction": np.where(ind, np.where(meta.Direction == "1", "positive", "negative"), ""),
        "year_agg": np.where(ind, "mean", ""), "frequency": np.where(ind, "annual", "")}), "asem")
    codes = meta[ind].iCode.tolist()
    wide = data.set_index("uCode")[codes].replace("NA", np.nan).astype(float)
    values = wide.stack().rename("value").reset_index().rename(columns={"uCode": "unit_id", "level_1": "indicator"})
    values = values.assign(year=2018)
    units = pd.DataFrame({"unit_id": data.uCode, "name_zh": data.uName, "type": data.GDP_group,
                          "region": data.EurAsia_group, "valid_from": 2018, "valid_to": np.nan})
    return meta, wide, fw, values, units


def reference_asem(meta, wide, how):
    """Independent pandas implementation of COINr's default build on ASEM: min–max to [0, 100]
    with iMeta's directions, then equal-weight means up the levels, NA skipped (COINr a_amean/a_gmean
    with na.rm); geometric with the same 0.01 zero floor."""
    lo, hi = wide.min(), wide.max()
    norm = (wide - lo) / (hi - lo) * 100
    direction = meta.set_index("iCode").Direction
    for c in wide.columns:
        if direction[c] == "-1":
            norm[c] = 100 - norm[c]
    scores = norm.copy()
    for level in ["2", "3", "4"]:
        for code in meta[(meta.Level == level) & (meta.Type == "Aggregate")].iCode:
            kids = scores[meta[meta.Parent == code].iCode.tolist()]
            if how == "arithmetic":
                scores[code] = kids.mean(axis=1, skipna=True)
            else:
                scores[code] = np.exp(np.log(kids.clip(lower=0.01)).mean(axis=1, skipna=True))
    return scores


@pytest.mark.parametrize("how", ["arithmetic", "geometric"])
def test_asem_matches_reference_implementation(how):
    meta, wide, fw, values, units = asem()
    assert wide.isna().sum().sum() == 63  # README: 63 cells missing
    res = build_index(values, fw, units, {"missing": {"coverage": 0.0}, "aggregation": {"method": how, "min_share": 0.0}})
    ref = reference_asem(meta, wide, how)
    got = res.scores.pivot_table(index="unit_id", columns="node", values="score")
    assert got.shape == (51, 49 + 11)
    pd.testing.assert_frame_equal(got[ref.columns].sort_index(), ref.sort_index().rename_axis("unit_id"),
                                  check_names=False, rtol=1e-9, atol=1e-9)
    # ranks: 1 = highest index score
    idx = res.index().set_index("unit_id")
    assert idx.loc[ref["Index"].idxmax(), "rank"] == 1
    np.testing.assert_array_equal(idx["rank"].to_numpy(dtype=int), stats.rankdata(-idx.score, method="min"))


def test_asem_outlier_treatment_lists_every_value():
    meta, wide, fw, values, units = asem()
    res = build_index(values, fw, units, {"missing": {"coverage": 0.0}, "outliers": {"method": "auto"}})
    t = res.treated
    assert len(t) > 0
    # every listed value differs from the raw value and the flag is set in the leaf table
    assert (t.before != t.after).all()
    flagged = res.leaves[res.leaves.treated]
    assert len(flagged) == len(t)
    # the rule: a leaf is treated only when |skew| >= 2 and kurtosis >= 3.5 (scipy, bias-corrected)
    for code in t.indicator.unique():
        x = wide[code].dropna().to_numpy()
        assert abs(stats.skew(x, bias=False)) >= 2 and stats.kurtosis(x, bias=False) >= 3.5
    untreated = set(wide.columns) - set(t.indicator)
    for code in untreated:
        x = wide[code].dropna().to_numpy()
        assert not (abs(stats.skew(x, bias=False)) >= 2 and stats.kurtosis(x, bias=False) >= 3.5)


# --------------------------------------------------------------------------- the sample city

@pytest.fixture(scope="module")
def sample_result(sample_data):
    s = sample_data
    values = panel.yearly_values(s.observations, s.framework, s.units)
    return build_index(values, s.framework, s.units, observations=s.observations)


def test_sample_r03_rises_significantly_more(sample_result):
    idx = sample_result.index()
    slopes = idx.groupby("unit_id").apply(lambda d: stats.linregress(d.year, d.score).slope, include_groups=False)
    region = idx.drop_duplicates("unit_id").set_index("unit_id").region
    r03, others = slopes[region[slopes.index] == "R03"], slopes[region[slopes.index] != "R03"]
    test = stats.mannwhitneyu(r03, others, alternative="greater")
    assert test.pvalue < 0.001
    assert r03.median() > 0


def test_sample_u017_drops_a_grade(sample_result):
    g = sample_result.grades.set_index(["unit_id", "year"]).grade
    order = {"green": 0, "blue": 1, "yellow": 2, "red": 3}
    before = min(order[g[("U017", y)]] for y in (2019, 2020))
    assert order[g[("U017", 2024)]] - before >= 1
    ew = sample_result.early_warnings
    assert ((ew.unit_id == "U017") & (ew.kind == "grade_drop")).any()


def test_sample_red_line_u042(sample_result):
    g = sample_result.grades.set_index(["unit_id", "year"])
    assert g.loc[("U042", 2023), "grade"] == "red" and bool(g.loc[("U042", 2023), "red_line"])
    assert g.loc[("U042", 2023), "red_line_codes"] == "RL1"
    assert g.red_line.sum() == 1


def test_sample_m22_missing_2021(sample_result):
    w = sample_result.warnings
    assert ((w.code == "M22") & (w.year == 2021)).any()
    s = sample_result.scores
    assert s[(s.node == "PE")].score.notna().all()
    assert s[(s.node == "D5.2.1") & (s.year == 2021)].score.isna().all()


def test_sample_tables_consistent(sample_result):
    r = sample_result
    a = r.attribution
    parts = a[a.kind.isin(["leaf", "interaction"])].groupby(["unit_id", "year"]).contribution.sum()
    change = a.groupby(["unit_id", "year"]).change.first()
    np.testing.assert_allclose(parts, change[parts.index], atol=1e-9)
    # default build is arithmetic with unchanged weights: exact wherever the leaves available are the same
    assert a[a.exact & (a.kind == "interaction")].contribution.abs().max() < 1e-9
    dims = a[a.kind == "dimension"].groupby(["unit_id", "year"]).contribution.sum()
    leaves = a[a.kind == "leaf"].groupby(["unit_id", "year"]).contribution.sum()
    np.testing.assert_allclose(dims, leaves[dims.index], atol=1e-9)
    # profile: at most n = 3 strongest (z > 0) and weakest (z < 0) leaves per unit-year
    p = r.profile
    assert (p.groupby(["unit_id", "year", "list"]).size() <= 3).all()
    assert (p[p.list == "positive"].z > 0).all() and (p[p.list == "negative"].z < 0).all()
    # the effective config travels with the result
    assert r.config["normalisation"]["reference"] == "pooled"
    assert math.isclose(r.effective_weights.groupby("year").effective_weight.sum().iloc[0], 1.0)


def test_topsis_alternative_matches_pymcdm():
    from pymcdm.methods import TOPSIS
    fw, units = tiny_framework(), tiny_units(5)
    raw = np.array([[1, 9, 3], [4, 2, 8], [7, 5, 1], [2, 2, 2], [9, 8, 6]], dtype=float)
    vals = long_values({(f"U{i}", 2020): dict(zip("ABC", raw[i])) for i in range(5)})
    res = build_index(vals, fw, units)
    alt = res.alternatives.set_index("unit_id")
    # pymcdm: min–max normalisation with B as a cost criterion, effective weights .15, .45, .4
    ref = TOPSIS()(raw, np.array([0.15, 0.45, 0.4]), np.array([1, -1, 1]))
    np.testing.assert_allclose(alt.score.to_numpy() / 100, ref, rtol=1e-10)
    assert set(alt.method) == {"topsis"}
    assert alt["rank"].tolist() == list(stats.rankdata(-ref, method="min").astype(int))


def test_framework_versions_leaf_added_later():
    fw = tiny_framework()
    # C comes into force in 2021 only: in 2020, D2 has no leaf in force → PE = D1
    fw.loc[fw.code == "C", "valid_from"] = 2021.0
    fw.loc[fw.code == "D2", "valid_from"] = 2021.0
    units = tiny_units(3)
    vals = long_values({(f"U{i}", y): {"A": i + y - 2020, "B": 2 - i, "C": i} for i in range(3) for y in (2020, 2021)})
    res = build_index(vals, fw, units)
    w = res.weights.set_index(["year", "node"]).weight
    assert w[(2020, "D2")] == 0.0 and w[(2021, "D2")] == pytest.approx(0.4)
    s = res.scores.pivot_table(index=["unit_id", "year"], columns="node", values="score")
    np.testing.assert_allclose(s.loc[(slice(None), 2020), "PE"], s.loc[(slice(None), 2020), "D1"])
    # the coverage rule counts only the leaves in force: no one is excluded in 2020
    assert res.excluded.empty
    assert "C" not in set(res.leaves[res.leaves.year == 2020].indicator)
    # effective weights per year: 2020 A .25, B .75; 2021 A .15, B .45, C .4
    e = res.effective_weights.set_index(["year", "indicator"]).effective_weight
    assert e[(2020, "A")] == pytest.approx(0.25) and e[(2021, "C")] == pytest.approx(0.4)


def test_red_line_shown_for_unit_not_scored():
    fw, units = tiny_framework(), tiny_units(3)
    vals = long_values({("U0", 2020): {"A": 1, "B": 1, "C": 1}, ("U1", 2020): {"A": 2, "B": 0, "C": 3},
                        ("U2", 2020): {"A": 5, "R": 1}})  # U2 fails the coverage rule but has a red line
    res = build_index(vals, fw, units)
    g = res.grades.set_index("unit_id")
    assert "U2" in set(res.excluded.unit_id)
    assert g.loc["U2", "grade"] == "red" and bool(g.loc["U2", "red_line"]) and np.isnan(g.loc["U2", "score"])
    assert g.loc[["U0", "U1"], "red_line"].eq(False).all()


def test_sample_quarterly_index_matches_yearly_at_q4(sample_result):
    q, idx = sample_result.quarterly, sample_result.index()
    m = q[q.period == "Q4"].merge(idx[["unit_id", "year", "score", "grade"]], on=["unit_id", "year"])
    assert len(m) == len(idx)  # every scored unit-year has a Q4 year-to-date score
    np.testing.assert_allclose(m.score_x, m.score_y, atol=1e-9)
    assert (m.grade_x == m.grade_y).all()
    # the first panel year has no previous-year annual values: Q1–Q3 fail the coverage rule
    first = q[(q.year == 2019) & (q.period != "Q4")]
    assert first.score.isna().all()
    ew = sample_result.early_warnings
    drops = ew[(ew.unit_id == "U017") & (ew.kind == "grade_drop") & (ew.period != "Y")]
    assert (drops.year >= 2021).any()


def test_units_without_type_and_region():
    fw = tiny_framework()
    units = tiny_units(3).drop(columns=["type", "region"])
    vals = long_values({(f"U{i}", 2020): {"A": i, "B": 2 - i, "C": i} for i in range(3)})
    res = build_index(vals, fw, units)
    s = res.scores
    assert (s["rank"] == s.rank_in_type).all() and (s["rank"] == s.rank_in_region).all()


def test_array_path_reproduces_the_build(sample_result):
    """The uncertainty analysis re-runs IndexModel.compute per draw: with the nominal choices it must
    give the published scores exactly (pooled normalisation recomputed from the data, no state)."""
    m = sample_result.model
    nodes = m.compute()
    root = nodes[..., m.tree.root]
    idx = sample_result.index()
    yi = idx.year.map({y: i for i, y in enumerate(m.panel.years)}).to_numpy()
    ui = idx.unit_id.map({u: i for i, u in enumerate(m.panel.unit_ids)}).to_numpy()
    np.testing.assert_allclose(root[yi, ui], idx.score.to_numpy(), rtol=0, atol=1e-12)
    # a draws axis: two identical weight draws give the nominal scores twice
    two = m.compute(weights=np.stack([m.weights, m.weights]))
    np.testing.assert_allclose(two[0], nodes, equal_nan=True)
    np.testing.assert_allclose(two[1], nodes, equal_nan=True)
