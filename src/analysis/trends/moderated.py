"""Moderated linear trend test for many short series (empirical-Bayes variance, limma-style)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ..frames import as_list
from ._long import check_columns, to_wide
from .mk import REASON_CONSTANT, REASON_SHORT
from .regression import least_squares_slopes


def _squeeze_prior(s2: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """Prior (d0, s0²) of the residual variances by moments of log s² (Smyth 2004, §6.2;
    limma ``fitFDist``): e = log s² − ψ(d/2) + log(d/2); s0² = exp(ē + ψ(d0/2) − log(d0/2)),
    ψ'(d0/2) = Var(e) − mean ψ'(d/2). d0 = ∞ (one pooled variance) when that is ≤ 0."""
    ok = (s2 > 0) & np.isfinite(s2) & (d > 0)
    if ok.sum() < 3:
        return np.inf, float(np.nan)
    s2, d = s2[ok], d[ok]
    e = np.log(s2) - special.digamma(d / 2) + np.log(d / 2)
    emean = e.mean()
    evar = ((e - emean) ** 2).sum() / (len(e) - 1) - special.polygamma(1, d / 2).mean()
    if evar > 0:
        x = optimize.brentq(lambda v: special.polygamma(1, v) - evar, 1e-8, 1e8)
        d0 = 2 * x
        s02 = float(np.exp(emean + special.digamma(d0 / 2) - np.log(d0 / 2)))
    else:
        d0, s02 = np.inf, float(np.exp(emean))
    return d0, s02


def moderated_trend_array(X, t=None, *, alpha=0.05, min_n=4) -> pd.DataFrame:
    """Moderated trend t-test for every row of ``X`` (one family of comparable series)."""
    X = np.asarray(X, dtype=float)
    G, T = X.shape
    t = np.arange(T, dtype=float) if t is None else np.asarray(t, dtype=float)
    valid, n, nf, _, _, sxx, slope, resid = least_squares_slopes(X, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = nf - 2
        s2 = (resid ** 2).sum(axis=1) / d
    reason = np.full(G, "", dtype=object)
    reason[(np.nanmax(np.where(valid, X, -np.inf), axis=1) == np.nanmin(np.where(valid, X, np.inf), axis=1))] = REASON_CONSTANT
    reason[n < min_n] = REASON_SHORT.format(k=min_n)
    ok = reason == ""
    d0, s02 = _squeeze_prior(s2[ok], d[ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        if np.isinf(d0):
            s2_post = np.full(G, s02)
            df = np.full(G, np.inf)
        else:
            s2_post = (d0 * s02 + d * s2) / (d0 + d)
            df = d0 + d
        se = np.sqrt(s2_post / sxx)
        tstat = slope / se
        p = 2 * stats.t.sf(np.abs(tstat), df)
        q = stats.t.ppf(1 - alpha / 2, df)
    nan = np.nan
    return pd.DataFrame({
        "n": n, "slope": slope, "se": np.where(ok, se, nan), "t": np.where(ok, tstat, nan),
        "df": np.where(ok, df, nan), "p": np.where(ok, p, nan),
        "ci_low": np.where(ok, slope - q * se, nan), "ci_high": np.where(ok, slope + q * se, nan),
        "s2": np.where(ok, s2, nan), "s2_post": np.where(ok, s2_post, nan), "d0": d0, "s02": s02,
        "reason": reason,
    })


def moderated_trend(data: pd.DataFrame, *, time="year", value="score", by=None, family=None,
                    alpha=0.05, min_n=4) -> pd.DataFrame:
    r"""Linear trend of many short series with variances moderated across series (Smyth 2004).

    Each series: OLS slope b̂_i on time, residual variance s_i² with d_i = n_i − 2 df. The
    series of one ``family`` (e.g. every unit on one node) share a scaled-inverse-χ² prior for
    their variances, (d0, s0²), estimated by moments of log s² (limma ``fitFDist``). The
    posterior variance s̃_i² = (d0 s0² + d_i s_i²)/(d0 + d_i) gives the moderated
    t_i = b̂_i / (s̃_i / √Σ(t − t̄)²) with d0 + d_i df. With six yearly values a plain t test
    has 4 df and MK's exact p cannot fall below 2/6! = 0.0028; borrowing the variance from
    the other units of the node restores the power that a family of many tests needs.
    Assumes normal errors, independent over years; the slope itself is the series' own.

    Returns the ``by`` columns, then ``n, slope, se, t, df, p, ci_low, ci_high, s2, s2_post,
    d0, s02, reason``.

    Reference: Smyth, G. K. (2004), Linear models and empirical Bayes methods for assessing
    differential expression in microarray experiments, Stat. Appl. Genet. Mol. Biol. 3(1):3
    (R ``limma::lmFit`` + ``eBayes``).
    """
    by = as_list(by)
    fam = as_list(family)
    check_columns(data, by + fam + [time, value])
    keys, X, t = to_wide(data, by, time, value)
    if not fam:
        res = moderated_trend_array(X, t, alpha=alpha, min_n=min_n)
        return pd.concat([keys.reset_index(drop=True), res], axis=1)
    extra = [c for c in fam if c not in by]
    fkeys = keys.merge(data.drop_duplicates(by)[by + extra], on=by, how="left") if extra else keys
    codes = fkeys.groupby(fam, sort=False, dropna=False).ngroup().to_numpy()
    parts = []
    for c in np.unique(codes):
        rows = np.flatnonzero(codes == c)
        r = moderated_trend_array(X[rows], t, alpha=alpha, min_n=min_n)
        r.index = rows
        parts.append(r)
    res = pd.concat(parts).sort_index()
    return pd.concat([keys.reset_index(drop=True), res.reset_index(drop=True)], axis=1)
