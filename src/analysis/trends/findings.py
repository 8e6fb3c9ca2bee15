"""One entry point for the trend report: :func:`trend_findings`.

Unit rows (each unit × node with the test its data allow), pooled rows (region and type:
panel slope and regional Kendall test), change points, a power note and headline findings,
all classified with the same rules: family-wise adjustment within the configured families,
and *not testable at this length* kept apart from *no significant trend*.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..frames import coded, decoded
from ..multitest import METHODS as ADJUST_METHODS, adjust_pvalues
from .changepoint import pettitt
from .mk import mann_kendall
from .moderated import moderated_trend
from .power import attainable, min_detectable_slope, smallest_p
from .regression import panel_trend
from .seasonal import regional_kendall, seasonal_mann_kendall

LABELS_ZH = {
    "improving": "显著改善",
    "deteriorating": "显著恶化",
    "no significant trend": "无显著趋势",
    "not testable": "无法检验",
    "not testable at this length": "此长度下无法检验",
    "change point": "存在突变点",
    "no change point": "无显著突变点",
}
#: Mann–Kendall variants measured over-sized on autocorrelated or short series
#: (benchmarks/size_power.py; table in docs/methods.md, "Size and power")
OVERSIZED = {
    "hamed_rao": "Hamed–Rao 在 φ = 0.5 的 AR(1) 序列上实际拒绝率 13–23%,白噪声上 6–9%(名义 5%)/ Hamed–Rao "
                 "rejects 13–23% of AR(1) φ = 0.5 series and 6–9% of white noise at n = 8–30 (nominal 5%)",
    "yue_wang": "Yue–Wang 即使在白噪声上拒绝率也达 35–47%(全部滞后)或 10–15%(滞后 1)/ Yue–Wang rejects "
                "35–47% (all lags) or 10–15% (lag 1) even of white noise",
    "tfpw": "TFPW 在 φ = 0.5 的 AR(1) 序列上实际拒绝率 13–26%(名义 5%)/ TFPW rejects 13–26% of AR(1) "
            "φ = 0.5 series at n = 8–30 (nominal 5%)",
}

#: the key columns coded as categoricals while the tests run (:func:`analysis.frames.coded`)
KEYS = ("unit_id", "node", "region", "type")

WHY_SEASONAL = "有季度累计值,用季节检验 / quarterly year-to-date values: seasonal test"
WHY_YEARLY = "仅有年度值,用年度检验 / yearly values only: yearly test"
WHY_MODERATED = ("序列短于 {k} 年:秩检验的最小 p 不足以通过多重校正,改用跨单位借用方差的调节 t 检验;秩检验见 rank_* 列 / "
                 "series shorter than {k} years: a rank test's smallest p cannot survive the family adjustment, so "
                 "the moderated trend t-test (variance borrowed across the node's units) is used; the rank test "
                 "is in the rank_* columns")
#: below this many years the unit test is the moderated t-test under ``unit_trend_test = "auto"``
MODERATED_BELOW_YEARS = 10
REASON_LENGTH = ("此长度下最小可达 p = {p:.4f} ≥ α = {a:g},无法检验 / smallest attainable p at this length "
                 "is {p:.4f} ≥ alpha = {a:g}: not testable")
REASON_FEW_UNITS = "单位少于 {k} 个 / fewer than {k} units"


@dataclass(frozen=True)
class TrendFindings:
    """Tables of the trend report (every one tidy, one row per test).

    - ``units``: unit × node rows: ``unit_id, node, level, region, type, frequency, test,
      test_reason, n, n_years, statistic, z, p, p_method, p_min, testable_at_length, slope,
      direction, family, n_family, p_adj, classification, classification_zh, reason, note``;
    - ``groups``: region and type rows, two tests each (``test`` = ``panel_fe`` |
      ``regional_kendall``): ``group_by, group, node, n_units, n_obs`` and the columns above;
    - ``change_points``: Pettitt per unit × node (``change_time``; classification
      ``change point`` | ``no change point`` | ``not testable at this length`` | ``not testable``);
    - ``power``: one row per test × length: smallest p, whether it can reject alone and in its
      family, minimum detectable slope (SD units and score units);
    - ``headlines``: short findings, each ``中文 / English``;
    - ``settings``: alpha, adjustment, family rule, variant, year.
    """

    units: pd.DataFrame
    groups: pd.DataFrame
    change_points: pd.DataFrame
    power: pd.DataFrame
    headlines: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def _family(df: pd.DataFrame, rule: str, unit_col: str, prefix: str = "") -> pd.Series:
    if rule == "node":
        lab = "node=" + df["node"].astype(str)
    elif rule == "unit":
        lab = unit_col + "=" + df[unit_col].astype(str)
    else:
        lab = pd.Series("all", index=df.index)
    return (prefix + lab) if prefix else lab


def _classify(df: pd.DataFrame, *, alpha: float, method: str, sign_col: str,
              labels=("improving", "deteriorating", "no significant trend")) -> pd.DataFrame:
    """Adjust within ``family`` over the rows that can reject, then label (scores: higher = better)."""
    df = df.copy()
    reason = df["reason"].fillna("").astype(str).to_numpy().copy()
    p_min = df["p_min"].to_numpy(dtype=float)
    at_length = ~(p_min >= alpha)  # NaN p_min (untestable for another reason) stays True here
    df["testable_at_length"] = (reason == "") & at_length
    short = (reason == "") & ~at_length
    text = {pm: REASON_LENGTH.format(p=pm, a=alpha) for pm in np.unique(p_min[short])}  # a few lengths
    reason[short] = [text[pm] for pm in p_min[short]]
    eligible = (reason == "") & df["p"].notna().to_numpy()
    p = np.where(eligible, df["p"].to_numpy(dtype=float), np.nan)
    p_adj = np.full(len(df), np.nan)
    n_family = np.zeros(len(df), dtype=int)
    for _, idx in df.groupby("family", sort=False).indices.items():
        p_adj[idx] = adjust_pvalues(p[idx], method)
        n_family[idx] = int(np.sum(eligible[idx]))
    sign = np.sign(df[sign_col].to_numpy(dtype=float))
    signif = p_adj < alpha
    up, down, none = labels
    cls = np.where(short, "not testable at this length",
                   np.where(reason != "", "not testable",
                            np.where(signif & (sign > 0), up,
                                     np.where(signif & (sign < 0), down, none))))
    df["p"] = p
    df["p_adj"] = p_adj
    df["n_family"] = n_family
    df["classification"] = cls
    df["classification_zh"] = [LABELS_ZH[c] for c in cls]
    df["reason"] = reason
    return df


def _choose_unit_test(units: pd.DataFrame, ys: pd.DataFrame, rule: str, alpha: float) -> pd.DataFrame:
    """Keep the rank test in ``rank_*`` columns; make the moderated t-test primary where chosen."""
    units = units.copy()
    for c in ("test", "statistic", "p", "p_min", "slope"):
        units[f"rank_{c}"] = units[c]
    units["ci_low"] = np.nan
    units["ci_high"] = np.nan
    if rule == "mk" or not len(units):
        return units
    mt = moderated_trend(ys, time="year", value="score", by=["unit_id", "node"], family="node", alpha=alpha)
    mt = mt.set_index(["unit_id", "node"]).reindex(pd.MultiIndex.from_frame(units[["unit_id", "node"]]))
    years = ys.groupby(["unit_id", "node"], observed=True)["year"].nunique().reindex(mt.index).to_numpy()
    use = np.ones(len(units), bool) if rule == "moderated" else (years < MODERATED_BELOW_YEARS)
    use &= mt["reason"].notna().to_numpy()
    units.loc[use, "test"] = "moderated_t"
    units.loc[use, "test_reason"] = WHY_MODERATED.format(k=MODERATED_BELOW_YEARS)
    units.loc[use, "frequency"] = "yearly"
    for col, src in (("statistic", "t"), ("p", "p"), ("slope", "slope"), ("ci_low", "ci_low"),
                     ("ci_high", "ci_high"), ("reason", "reason"), ("n", "n")):
        units.loc[use, col] = mt[src].to_numpy()[use]
    units.loc[use, "n_years"] = years[use]
    units.loc[use, "z"] = np.nan
    units.loc[use, "p_method"] = "t"
    units.loc[use, "p_min"] = np.nan  # a t test has no floor above 0: never short
    return units


def _mk_p_min(n: np.ndarray, p_method: np.ndarray) -> np.ndarray:
    return np.array([smallest_p("mk_exact" if pm == "exact" else "mk_normal", int(k)) if k >= 2 else np.nan
                     for k, pm in zip(n, p_method)])


def _noise_sd(d: pd.DataFrame, by: list[str], value: str, time: str) -> float:
    """Median over series of the residual SD around each series' own least-squares line.

    One pass over all series (centred sums per series), not one fit per series: a national
    panel has a quarter of a million series. Series with fewer than 3 values have no SD.
    """
    d = d[[*by, time, value]].dropna()
    if d.empty:
        return float("nan")
    codes = d.groupby(by, observed=True, sort=False).ngroup().to_numpy()
    x = d[time].to_numpy(dtype=float)
    y = d[value].to_numpy(dtype=float)
    n = np.bincount(codes)
    dx = x - (np.bincount(codes, x) / n)[codes]
    dy = y - (np.bincount(codes, y) / n)[codes]
    sxx, sxy, syy = (np.bincount(codes, w) for w in (dx * dx, dx * dy, dy * dy))
    with np.errstate(divide="ignore", invalid="ignore"):
        ssr = np.maximum(syy - np.where(sxx > 0, sxy * sxy / sxx, 0.0), 0.0)
        sd = np.where(n >= 3, np.sqrt(ssr / (n - 2)), np.nan)
    return float(np.nanmedian(sd)) if np.isfinite(sd).any() else float("nan")


def trend_findings(yearly_scores: pd.DataFrame, quarterly_scores: pd.DataFrame | None, framework: pd.DataFrame,
                   stats, *, year: int, mds_reps: int = 400, seed: int = 20241) -> TrendFindings:
    """Trend findings of a report year from the index scores (see :class:`TrendFindings`).

    ``yearly_scores``: ``IndexResult.scores`` (``unit_id, node, level, year, score, region,
    type``); ``quarterly_scores``: ``IndexResult.quarterly`` (year-to-date composite index
    ``unit_id, year, period, score``; a ``node`` column may name other nodes, else the rows
    are the root node) or None; ``framework``: node names (``code, name_zh, name_en``);
    ``stats``: :class:`analysis.config.StatsConfig`; ``year``: the last year used.

    Tests: ``stats.unit_trend_test`` = ``auto`` (default) uses the moderated linear trend
    t-test (:func:`moderated_trend`, variance borrowed across the units of a node; Smyth 2004)
    for series shorter than 10 years — where no rank test can pass a family adjustment — and
    the rank test otherwise; ``mk`` always the rank test, ``moderated`` always the t-test.
    The rank test is reported in every row (``rank_*`` columns): a unit × node with
    year-to-date quarterly values is tested with the seasonal Mann–Kendall test (Hirsch–Slack covariance, exact year-permutation p for ≤ 8 years); the
    others with the yearly Mann–Kendall variant ``stats.mk_variant`` (exact p for n ≤ 10).
    Scores are oriented (higher = healthier), so a rising score is an improvement.
    Year-to-date rather than per-quarter values: they are what the warning system grades and
    what the yearly index ends with at Q4; per-quarter increments of year-to-date sums would
    be noisy and mostly not comparable across quarters. Their strong dependence between
    quarters is why the covariance correction and the year-block permutation are used.

    Families (``stats.fdr_family``): ``node`` (each node across units), ``unit`` (each unit
    across nodes), ``all``. A test that cannot reach alpha at its length is not in its
    family (Tarone 1990: it can never be rejected, so leaving it out keeps the error control)
    and is classified *not testable at this length*, its reason giving the smallest p.
    """
    alpha, method, rule = stats.alpha, stats.fdr_method, stats.fdr_family
    variant = getattr(stats, "mk_variant", "original")
    min_units = getattr(stats, "min_group_size", 3)
    panel_se = getattr(stats, "panel_se", "linearmodels")
    ys = coded(yearly_scores[(yearly_scores["year"] <= year) & yearly_scores["score"].notna()], KEYS)
    meta = ys.drop_duplicates(["unit_id", "node"]).set_index(["unit_id", "node"])[["level", "region", "type"]]
    root = ys.loc[ys["level"] == ys["level"].min(), "node"].iloc[0] if len(ys) else None

    # ---- unit rows: seasonal where quarterly year-to-date values exist, else yearly
    q = pd.DataFrame(columns=["unit_id", "node", "year", "period", "score"])
    if quarterly_scores is not None and len(quarterly_scores):
        q = quarterly_scores[(quarterly_scores["year"] <= year) & quarterly_scores["score"].notna()].copy()
        if "node" not in q.columns:
            q["node"] = root
        q = coded(q, KEYS, like=ys)
    parts = []
    if len(q):
        sr = seasonal_mann_kendall(q, time="year", season="period", value="score", by=["unit_id", "node"],
                                   alpha=alpha)
        parts.append(pd.DataFrame({
            "unit_id": sr.unit_id, "node": sr.node, "frequency": "quarterly", "test": "seasonal_mk",
            "test_reason": WHY_SEASONAL, "n": sr.n, "n_years": sr.n_years, "statistic": sr.s, "z": sr.z,
            "p": sr.p, "p_method": sr.p_method, "p_min": sr.p_min, "slope": sr.sen_slope,
            "reason": sr.reason, "note": ""}))
    if len(q):  # series with a quarterly record take the seasonal test; the others the yearly one
        seasonal = pd.MultiIndex.from_frame(q[["unit_id", "node"]].drop_duplicates())
        yk = ys[~pd.MultiIndex.from_frame(ys[["unit_id", "node"]]).isin(seasonal)]
    else:
        yk = ys
    if len(yk):
        mr = mann_kendall(yk, time="year", value="score", by=["unit_id", "node"], method=variant, alpha=alpha)
        parts.append(pd.DataFrame({
            "unit_id": mr.unit_id, "node": mr.node, "frequency": "yearly", "test": f"mk_{variant}",
            "test_reason": WHY_YEARLY, "n": mr.n, "n_years": mr.n, "statistic": mr.s, "z": mr.z, "p": mr.p,
            "p_method": mr.p_method, "p_min": _mk_p_min(mr.n.to_numpy(), mr.p_method.to_numpy()),
            "slope": mr.sen_slope, "reason": mr.reason,
            "note": [n if n else "" for n in mr.note]}))
    units = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["unit_id", "node", "frequency", "test", "test_reason", "n", "n_years", "statistic", "z", "p",
                 "p_method", "p_min", "slope", "reason", "note"])
    units = units.join(meta, on=["unit_id", "node"])
    units = _choose_unit_test(units, ys, getattr(stats, "unit_trend_test", "auto"), alpha)
    if variant in OVERSIZED:
        yearly_rows = units["frequency"] == "yearly"
        units.loc[yearly_rows, "note"] = [f"{n}; {OVERSIZED[variant]}" if n else OVERSIZED[variant]
                                          for n in units.loc[yearly_rows, "note"]]
    units["direction"] = "positive"
    units["family"] = _family(units, rule, "unit_id")
    units = _classify(units, alpha=alpha, method=method, sign_col="statistic")
    units["alpha"] = alpha
    units["adjust"] = ADJUST_METHODS.get(method, method)
    units = units[["unit_id", "node", "level", "region", "type", "frequency", "test", "test_reason", "n",
                   "n_years", "statistic", "z", "p", "p_method", "p_min", "testable_at_length", "slope",
                   "ci_low", "ci_high", "direction", "family", "n_family", "p_adj", "classification",
                   "classification_zh", "reason", "note", "rank_test", "rank_statistic", "rank_p",
                   "rank_p_min", "rank_slope", "alpha", "adjust"]].sort_values(["node", "unit_id"]).reset_index(drop=True)

    # ---- pooled rows: region and type
    group_parts = []
    for gcol in ("region", "type"):
        if gcol not in ys.columns:
            continue
        pt = panel_trend(ys, unit="unit_id", time="year", value="score", by=[gcol, "node"], se=panel_se,
                         alpha=alpha)
        rk = regional_kendall(ys, site="unit_id", time="year", value="score", by=[gcol, "node"], alpha=alpha)
        n_years = ys.groupby([gcol, "node"], observed=True)["year"].nunique()
        pt_pmin = np.nan  # a t test has no attainable bound below 1e-300: never short
        for test, r in (("panel_fe", pt), ("regional_kendall", rk)):
            g = pd.DataFrame({"group_by": gcol, "group": r[gcol].astype(str), "node": r["node"], "test": test})
            if test == "panel_fe":
                g = g.assign(n_units=r.n_units, n_obs=r.n_obs, statistic=r.t, p=r.p, p_min=pt_pmin,
                             slope=r.slope, ci_low=r.ci_low, ci_high=r.ci_high, reason=r.reason,
                             note=f"se={panel_se}")
            else:
                g = g.assign(n_units=r.n_blocks, n_obs=r.n, statistic=r.s, p=r.p, p_min=r.p_min,
                             slope=r.sen_slope, ci_low=np.nan, ci_high=np.nan, reason=r.reason,
                             note="p: " + r.p_method.astype(str))
            g["n_years"] = [n_years.get((a, b), np.nan) for a, b in zip(r[gcol], r["node"])]
            few = (g["n_units"] < min_units) & (g["reason"] == "")
            g.loc[few, "reason"] = REASON_FEW_UNITS.format(k=min_units)
            g["family"] = _family(g.rename(columns={"group": gcol}), rule, gcol, prefix=f"{gcol}, {test}: ")
            group_parts.append(_classify(g, alpha=alpha, method=method, sign_col="statistic"))
    groups = pd.concat(group_parts, ignore_index=True) if group_parts else pd.DataFrame()
    if len(groups):
        groups["direction"] = "positive"
        groups["alpha"] = alpha
        groups["adjust"] = ADJUST_METHODS.get(method, method)

    # ---- change points: Pettitt on yearly values, only where it can reject
    cp = pettitt(ys, time="year", value="score", by=["unit_id", "node"], alpha=alpha)
    cpt = pd.DataFrame({"unit_id": cp.unit_id, "node": cp.node, "n": cp.n, "statistic": cp.k,
                        "change_time": cp.change_time, "p": cp.p,
                        "p_min": [smallest_p("pettitt", int(k)) for k in cp.n], "reason": cp.reason,
                        "sign": 1.0, "test": "pettitt"})
    cpt["family"] = _family(cpt, rule, "unit_id")
    cpt = _classify(cpt, alpha=alpha, method=method, sign_col="sign",
                    labels=("change point", "change point", "no change point"))
    cpt = cpt.drop(columns="sign").join(meta, on=["unit_id", "node"])

    # ---- power note
    power = _power_table(units, groups, cpt, ys, q, alpha=alpha, method=method, reps=mds_reps, seed=seed)
    headlines = _headlines(units, groups, cpt, framework, alpha=alpha)
    settings = {"year": year, "alpha": alpha, "fdr_method": method, "fdr_family": rule, "mk_variant": variant,
                "panel_se": panel_se}
    return TrendFindings(units=decoded(units, yearly_scores), groups=decoded(groups, yearly_scores),
                         change_points=decoded(cpt.reset_index(drop=True), yearly_scores), power=power,
                         headlines=headlines, settings=settings)


def _power_table(units, groups, cpt, ys, q, *, alpha, method, reps, seed) -> pd.DataFrame:
    rows = []
    noise_y = _noise_sd(ys, ["unit_id", "node"], "score", "year") if len(ys) else np.nan
    noise_q = _noise_sd(q, ["unit_id", "node", "period"], "score", "year") if len(q) else np.nan
    specs = []
    n_seasons = int(q["period"].nunique()) if len(q) else 1
    # the rank tests' limits, whichever test is primary (rank_* columns hold the rank test)
    for (test, n_years), g in units.groupby(["rank_test", "n_years"], dropna=True):
        seasonal = test == "seasonal_mk"
        kind = "seasonal_permutation" if seasonal else "mk_exact"
        specs.append(("unit", test, int(n_years), n_seasons if seasonal else 1, kind, g,
                      noise_q if seasonal else noise_y))
    mod = units[units["test"] == "moderated_t"]
    for n_years, g in mod.groupby("n_years"):
        rows.append({"scope": "unit", "test": "moderated_t", "n_years": int(n_years), "seasons": 1,
                     "n_series": len(g), "p_min": 0.0, "testable": True, "n_family": int(g["n_family"].max()),
                     "p_adj_best": 0.0, "p_adj_alone": 0.0, "testable_alone": True, "mds_sd": np.nan,
                     "noise_sd": noise_y, "mds": np.nan,
                     "note": (f"{int(n_years)} 年:调节 t 检验无 p 值下限,功效取决于跨单位借用的方差 / {int(n_years)} years: "
                              "the moderated t-test has no floor on p; its power rests on the variance borrowed "
                              "across units")})
    for (test, n_years), g in (groups.groupby(["test", "n_years"]) if len(groups) else []):
        if test == "regional_kendall":
            specs.append(("group", test, int(n_years), 1, "regional_permutation", g, noise_y))
    for n, g in cpt.groupby("n"):
        specs.append(("change point", "pettitt", int(n), 1, "pettitt", g, noise_y))
    for scope, test, n, seasons, kind, g, noise in specs:
        p_min = smallest_p(kind, n, seasons=seasons)
        m = int(g["n_family"].max()) if len(g) else 1
        a = attainable(p_min, alpha=alpha, m=max(m, 1), method=method)
        mds = np.nan
        if kind in ("mk_exact", "seasonal_permutation") and a["testable"]:
            mds = min_detectable_slope(n, test=kind, seasons=seasons, alpha=alpha, reps=reps, seed=seed)
        rows.append({"scope": scope, "test": test, "n_years": n, "seasons": seasons, "n_series": len(g),
                     "p_min": p_min, "testable": a["testable"], "n_family": m, "p_adj_best": a["p_adj_best"],
                     "p_adj_alone": a["p_adj_alone"], "testable_alone": a["testable_alone"],
                     "mds_sd": mds, "noise_sd": noise, "mds": mds * noise if np.isfinite(noise) else np.nan,
                     "note": _power_note(test, n, p_min, a, mds, noise, alpha)})
    return pd.DataFrame(rows)


def _power_note(test, n, p_min, a, mds, noise, alpha) -> str:
    if not a["testable"]:
        return (f"{n} 年时 {test} 最小可达 p = {_num(p_min)} ≥ {alpha:g},无法检验 / at {n} years {test} "
                f"cannot reach p < {alpha:g} (smallest p {_num(p_min)})")
    s = (f"{n} 年时 {test} 最小可达 p = {_num(p_min)};单独一个发现在 {a['m']} 项检验的族中校正后最小 p = "
         f"{_num(a['p_adj_alone'])} / at {n} years the smallest p of {test} is {_num(p_min)}; a lone discovery in "
         f"a family of {a['m']} reaches {_num(a['p_adj_alone'])} after adjustment")
    if np.isfinite(mds):
        s += (f";功效 0.8 的最小可检测斜率约为每年 {mds:.2f} 个噪声标准差(约 {mds * noise:.2f} 分)"
              f" / minimum detectable slope at power 0.8: {mds:.2f} noise SD per year (about {mds * noise:.2f} points)")
    return s


def _node_name(framework, node) -> str:
    if framework is not None and "code" in framework.columns and "name_zh" in framework.columns:
        m = framework.drop_duplicates("code", keep="last").set_index("code")
        if node in m.index:
            return f"{m.at[node, 'name_zh']}({node})"
    return str(node)


#: test names as a reader meets them in a sentence
TEST_NAMES = {"moderated_t": ("调节 t 检验", "moderated t-test"), "panel_fe": ("面板固定效应斜率", "panel fixed-effects slope"),
              "regional_kendall": ("区域 Kendall 检验", "regional Kendall test"),
              "seasonal_mk": ("季节 Mann–Kendall 检验", "seasonal Mann–Kendall test")}
GROUP_NAMES = {"region": ("片区", "region"), "type": ("类型", "type")}


def _num(x: float) -> str:
    """A small probability in plain decimals (0.0028, 0.000025), never in scientific notation."""
    return f"{x:.6f}".rstrip("0").rstrip(".") if x < 0.01 else f"{x:.3f}"


def _p(p: float) -> str:
    """A p-value as a sentence shows it: ``< 0.001`` below that, else three decimals."""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _test_name(test: str, lang: int) -> str:
    return TEST_NAMES.get(test, ("Mann–Kendall 检验", "Mann–Kendall test") if str(test).startswith("mk") else (test, test))[lang]


def _headlines(units, groups, cpt, framework, *, alpha) -> list[str]:
    from ..glossary import value_label

    out = []
    sig = units[units["classification"].isin(["improving", "deteriorating"])].sort_values(["level", "p_adj"])
    for r in sig.head(10).itertuples(index=False):
        zh = "显著改善" if r.classification == "improving" else "显著恶化"
        out.append(f"单位 {r.unit_id} 的{_node_name(framework, r.node)}{zh}({_test_name(r.test, 0)},校正后 p {_p(r.p_adj)})"
                   f" / unit {r.unit_id} {r.classification} on {r.node} ({_test_name(r.test, 1)}, adjusted p {_p(r.p_adj)})")
    if len(groups):
        gs = groups[groups["classification"].isin(["improving", "deteriorating"])].sort_values("p_adj")
        for r in gs.head(10).itertuples(index=False):
            zh = "显著改善" if r.classification == "improving" else "显著恶化"
            kind = GROUP_NAMES.get(r.group_by, (r.group_by, r.group_by))
            out.append(f"{kind[0]} {value_label(r.group, 'zh', column=r.group_by)} 整体在{_node_name(framework, r.node)}上"
                       f"{zh}({_test_name(r.test, 0)},校正后 p {_p(r.p_adj)}) / {kind[1]} "
                       f"{value_label(r.group, 'en', column=r.group_by)} {r.classification} as a whole on {r.node} "
                       f"({_test_name(r.test, 1)}, adjusted p {_p(r.p_adj)})")
    short = int((units["classification"] == "not testable at this length").sum())
    if short:
        out.append(f"{short} 个单位×指标序列在此长度下无法检验(不是“无趋势”)/ {short} unit × node series cannot "
                   f"be tested at their length (not the same as “no trend”)")
    cps = cpt[cpt["classification"] == "change point"]
    n_short = int((cpt["classification"] == "not testable at this length").sum())
    if n_short:
        out.append(f"Pettitt 突变点检验在 {n_short} 个序列上因长度不足无法检验 / the Pettitt change-point test "
                   f"cannot reject on {n_short} series at their length")
    for r in cps.head(5).itertuples(index=False):
        out.append(f"单位 {r.unit_id} 的 {r.node} 在 {int(r.change_time)} 年后出现突变(校正后 p {_p(r.p_adj)})"
                   f" / unit {r.unit_id}: change point on {r.node} after {int(r.change_time)}")
    return out
