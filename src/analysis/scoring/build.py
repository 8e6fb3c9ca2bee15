"""``build_index``: the composite index from the yearly panel, in one validated run.

Pipeline (each step documented in its module, every choice named in the config):

``yearly panel`` → :mod:`.prepare` (coverage rule, missing data, outliers) → :mod:`.normalise`
(directions, normalisation against a pooled / per-year / goalpost reference) → weights
(:mod:`.weights`: expert, equal, AHP, entropy, CRITIC, PCA, combined) → :mod:`.aggregate` (level by
level, a method per level, minimum-data rule) → ranks, :mod:`.grades` (four colours, red lines),
strongest / weakest leaves, effective weights, :mod:`.attribution`, :mod:`.warning`.

:func:`compile_index` stops before the numbers are turned into tables and returns an
:class:`IndexModel` whose :meth:`IndexModel.compute` is the array path the uncertainty analysis
re-runs for every Monte Carlo draw (normalisation included, so a pooled reference is recomputed
inside each draw from the config and the data alone).
"""
from __future__ import annotations

import os
import warnings as _warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..framework import LIST_ROLES, content_hash, for_year, leaves as framework_leaves
from .aggregate import Tree, aggregate_tree, topsis
from .attribution import attribute_changes
from .config import IndexConfig, load_config
from .grades import assign_grades
from .lists import apply_adjustment, list_points
from .normalise import DIRECTION_SIGN, constant_leaves, normalise
from .prepare import PreparedPanel, bilingual, prepare_panel
from .warning import QUARTERLY_COLUMNS, early_warnings, quarterly_index
from . import weights as weighting


@dataclass
class IndexResult:
    """Everything one index run produced, as tidy DataFrames (column names as in docs/data-model.md).

    - ``scores``: ``unit_id, year, node, level, score, rank, rank_in_type, rank_in_region, n_units``
      for every node × scored unit × year (rank 1 = best, ties share the lowest rank).
    - ``grades``: see :func:`.grades.assign_grades` (grade, red-line veto shown as such).
    - ``leaves``: ``unit_id, year, indicator, direction, raw_value, value, normalised, observed,
      imputed, treated`` (``value`` after imputation/treatment, ``normalised`` direction-adjusted).
    - ``imputed``, ``treated``, ``excluded``: the logs of :mod:`.prepare`.
    - ``weights``: ``year, node, parent, level, weight`` within the parent (siblings sum to 1);
      ``effective_weights``: ``year, indicator, effective_weight`` (product of weights along the path,
      the nominal influence under arithmetic aggregation) and ``influence`` (squared Pearson
      correlation of the normalised leaf with the index over all scored unit-years, normalised to
      sum to 1: its real, data-driven influence; Paruolo, Saisana & Saltelli 2013, JRSS A 176:609).
    - ``attribution``: :func:`.attribution.attribute_changes`.
    - ``profile``: each unit-year's ``n`` strongest (``list = positive``, 正面清单) and weakest
      (``negative``, 负面清单) leaves by standardised position against the other units (``z``;
      see :func:`_profile`).
    - ``alternatives``: the index recomputed by alternative composites over all leaves at once,
      with the effective weights: ``unit_id, year, method, score, rank, rank_index`` (``topsis``:
      closeness to the ideal unit, Hwang & Yoon 1981; ``rank_index`` is the unit's rank in the
      main index, for comparison).
    - ``quarterly``: year-to-date index and grade per quarter (:func:`.warning.quarterly_index`),
      when quarterly ``observations`` are given.
    - ``early_warnings``: :func:`.warning.early_warnings`.
    - ``warnings``: ``stage, code, year, message`` (bilingual) of everything the run had to decide.
    - ``config``: the effective config (a plain dict).
    """

    scores: pd.DataFrame
    grades: pd.DataFrame
    leaves: pd.DataFrame
    imputed: pd.DataFrame
    treated: pd.DataFrame
    excluded: pd.DataFrame
    weights: pd.DataFrame
    effective_weights: pd.DataFrame
    attribution: pd.DataFrame
    profile: pd.DataFrame
    alternatives: pd.DataFrame
    quarterly: pd.DataFrame
    early_warnings: pd.DataFrame
    warnings: pd.DataFrame
    config: dict
    model: "IndexModel" = field(repr=False, default=None)
    list_items: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["unit_id", "year", "indicator", "role", "events", "points_each", "cap", "points"]))

    def list_summary(self) -> pd.DataFrame:
        """Per unit-year with list events: ``bonus`` (正面评价事项加分), ``deduction`` (负面定量评价减分,
        positive number) and ``net`` points added to the composite index (:mod:`.lists`)."""
        t = self.list_items
        if t.empty:
            return pd.DataFrame(columns=["unit_id", "year", "bonus", "deduction", "net"])
        g = t.assign(bonus=t.points.clip(lower=0), deduction=(-t.points).clip(lower=0))
        out = g.groupby(["unit_id", "year"], as_index=False)[["bonus", "deduction"]].sum()
        return out.assign(net=out.bonus - out.deduction)

    def index(self) -> pd.DataFrame:
        """Root scores with grade: ``unit_id, year, score, rank, ..., grade, red_line``."""
        root = self.scores[self.scores.level == 0].drop(columns=["node", "level"])
        return root.merge(self.grades.drop(columns="score"), on=["unit_id", "year"], how="left")


@dataclass
class IndexModel:
    """The compiled index: arrays and settings for the array kernels.

    ``panel`` holds the prepared raw values ``(Y, U, L)``; ``sign``, ``target``, ``goalposts``
    the leaf directions; ``weights`` ``(Y, n_nodes)`` within-parent weights; ``methods`` the
    aggregation method per parent level.
    """

    config: IndexConfig
    tree: Tree
    panel: PreparedPanel
    sign: np.ndarray
    target: np.ndarray
    goalposts: tuple[np.ndarray, np.ndarray]
    weights: np.ndarray
    methods: dict
    direction: pd.Series = None
    adjustment: np.ndarray | None = None  # (Y, U) list-item points added to the root (see .lists)

    def root_bounds(self) -> tuple[float, float] | None:
        n = self.config.normalisation
        return (0.0, float(n.scale)) if n.method in ("minmax", "minmax_shifted", "distance_to_target") else None

    def normalised(self, x: np.ndarray | None = None, *, method: str | None = None,
                   reference: str | None = None) -> np.ndarray:
        """Normalised leaves ``(*lead, Y, U, L)`` of ``x`` (default: the prepared panel)."""
        n = self.config.normalisation
        x = self.panel.values if x is None else x
        return normalise(x, self.sign, self.target, method or n.method, reference or n.reference,
                         goalposts=self.goalposts, scale=n.scale, shift=n.shift, shift_mode=n.shift_mode,
                         z_center=n.z_center, z_spread=n.z_spread)

    def aggregate_options(self) -> dict:
        a, n = self.config.aggregation, self.config.normalisation
        reference = "per_year" if n.reference == "per_year" else "pooled"
        return dict(min_share=a.min_share, floor=a.floor, reference=reference, scale=n.scale)

    def compute(self, x: np.ndarray | None = None, *, weights: np.ndarray | None = None,
                methods: dict | str | None = None, norm_method: str | None = None,
                reference: str | None = None) -> np.ndarray:
        """Scores of every node ``(*lead, Y, U, n_nodes)``; any argument overrides the nominal
        choice (e.g. ``weights`` with a draws axis ``(D, 1, n_nodes)`` or ``(D, Y, n_nodes)``)."""
        norm = self.normalised(x, method=norm_method, reference=reference)
        w = self.weights if weights is None else weights
        out = aggregate_tree(norm, self.tree, w, self.methods if methods is None else methods,
                             **self.aggregate_options())
        if self.adjustment is not None:
            out[..., self.tree.root] = apply_adjustment(out[..., self.tree.root], self.adjustment, self.root_bounds())
        return out


def _leaf_meta(framework: pd.DataFrame, codes: list[str], cfg: IndexConfig):
    meta = framework.drop_duplicates("code", keep="last").set_index("code")
    direction = meta.direction.reindex(codes).fillna("positive")
    sign = direction.map(DIRECTION_SIGN).to_numpy(dtype=float)
    target = meta.target.reindex(codes).astype(float)
    for code, t in cfg.normalisation.targets.items():
        if code in target.index and direction[code] != "target":
            target[code] = float(t)
    lo = meta.valid_min.reindex(codes).astype(float).copy()
    hi = meta.valid_max.reindex(codes).astype(float).copy()
    has_both = lo.notna() & hi.notna()
    lo[~has_both], hi[~has_both] = np.nan, np.nan
    for code, (a, b) in cfg.normalisation.goalposts.items():
        if code in lo.index:
            lo[code], hi[code] = float(a), float(b)
    return direction, sign, target.to_numpy(dtype=float), (lo.to_numpy(dtype=float), hi.to_numpy(dtype=float))


def _weights_by_year(framework: pd.DataFrame, tree: Tree, panel: PreparedPanel, cfg: IndexConfig,
                     warn: list[dict]) -> np.ndarray:
    wc = cfg.weights
    out = np.zeros((len(panel.years), len(tree.nodes)))
    objective = wc.method in ("entropy", "critic", "pca")
    data = None
    if objective:
        mask = panel.scored
        data = pd.DataFrame(panel.values[mask], columns=panel.leaves)
    union_w = None
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        if objective:
            union_fw = framework.drop_duplicates("code", keep="last")
            union_w = weighting.framework_weights(union_fw, wc.method, data, scope=wc.scope, combine=wc.combine,
                                                  alpha=wc.alpha, shift=wc.shift, max_cr=wc.max_cr)
        by_version: dict[str, pd.Series] = {}  # one computation per framework version, not per year
        for yi, y in enumerate(panel.years):
            fwy = for_year(framework, y)
            if objective:
                w = union_w
            else:
                version = content_hash(fwy)
                if version not in by_version:
                    by_version[version] = weighting.framework_weights(fwy, wc.method, matrices=wc.matrices or None,
                                                                      max_cr=wc.max_cr)
                w = by_version[version]
            alive = set(fwy.code)
            out[yi] = [float(w.get(c, 0.0)) if c in alive else 0.0 for c in tree.nodes]
    for c in caught:
        if issubclass(c.category, UserWarning):
            warn.append(dict(stage="weights", code="", message=str(c.message)))
    return out


def _effective(weights: np.ndarray, tree: Tree) -> np.ndarray:
    """Product of within-parent weights along each leaf's path, per year: ``(Y, L)``."""
    eff = np.ones((weights.shape[0], tree.n_leaves))
    for l in range(tree.n_leaves):
        j = l
        while j >= 0 and j != tree.root:
            sib = tree.children[tree.parent[j]]
            tot = weights[:, sib].sum(axis=1)
            eff[:, l] *= np.where(tot > 0, weights[:, j] / np.where(tot > 0, tot, 1.0), 0.0)
            j = tree.parent[j]
    return eff


def require_config_object(config, where: str = "build_index") -> None:
    """Refuse a path where a config object is expected: statistical functions do no file I/O.

    The caller reads the file (``analysis.scoring.load_config(path)`` or the run's catalogue)
    and passes the :class:`IndexConfig` or mapping it got.
    """
    if isinstance(config, (str, bytes, os.PathLike)):
        raise ConfigError(
            f"{where} 的 config 须为 IndexConfig 或映射,不接受文件路径 {config!r}:请先读取文件(load_config)再传入 / "
            f"{where} takes an IndexConfig or a mapping, not the path {config!r}: read the file first "
            "(load_config) and pass the result")


def compile_index(values: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame,
                  config=None) -> tuple[IndexModel, list[dict]]:
    """Validate the config, prepare the panel, fix directions and weights; no scores yet.

    ``config``: an :class:`IndexConfig`, a mapping, or ``None`` for the defaults (not a path).
    """
    require_config_object(config, "compile_index")
    cfg = load_config(config)
    framework = framework[~framework.role.isin(LIST_ROLES)]  # list items are points, not tree nodes
    tree = Tree.from_framework(framework)
    red_codes = framework_leaves(framework, "red_line").code.unique().tolist()
    panel = prepare_panel(values, framework, units, cfg, list(tree.leaves), red_codes)
    warn = list(panel.warnings)
    direction, sign, target, goalposts = _leaf_meta(framework, list(tree.leaves), cfg)
    if cfg.normalisation.reference == "goalposts":
        no_gp = [c for c, a in zip(tree.leaves, goalposts[0]) if np.isnan(a)]
        if no_gp:
            warn.append(dict(stage="normalise", code=",".join(no_gp), message=bilingual(
                f"指标 {no_gp} 没有固定阈值(goalposts 或 valid_min/valid_max),改用全部年份合并的观测最小/最大值",
                f"leaves {no_gp} have no goalposts (config or valid_min/valid_max); their pooled observed "
                "minimum and maximum are used")))
    weights = _weights_by_year(framework, tree, panel, cfg, warn)
    levels = sorted({int(tree.level[j]) for j in range(tree.n_leaves, len(tree.nodes))})
    methods = {lvl: cfg.aggregation.method_for(lvl) for lvl in levels}
    model = IndexModel(cfg, tree, panel, sign, target, goalposts, weights, methods, direction)
    return model, warn


def _ranks(node_values: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Rank (1 = highest score, ties "min") of each unit among ``member`` units, per year and node.

    Equal to ``scipy.stats.rankdata(-v, method="min", axis=1, nan_policy="omit")`` with
    non-members set to NaN (:func:`.uncertainty.ranks_desc`, tested against it); only the units
    that are members in some year are sorted, so ranking within each of many small groups
    costs about one ranking of all units.
    """
    from .uncertainty import ranks_desc  # the shared sort-based kernel (that module imports this one)

    out = np.full(node_values.shape, np.nan)
    cols = np.flatnonzero(member.any(axis=0))
    if len(cols):
        v = np.where(member[:, cols, None], node_values[:, cols, :], np.nan)
        out[:, cols, :] = ranks_desc(v)
    return out


def _labels(panel: PreparedPanel, column: str) -> np.ndarray:
    """``(Y, U)`` array of a unit attribute (type, region) in force each year."""
    out = np.full(panel.scored.shape, "", dtype=object)
    if column not in panel.unit_info:
        return out
    info = panel.unit_info
    y = pd.Index(panel.years).get_indexer(info.year)
    u = pd.Index(panel.unit_ids).get_indexer(info.unit_id)
    ok = (y >= 0) & (u >= 0)
    out[y[ok], u[ok]] = info[column].astype(str).to_numpy()[ok]
    return out


def _rank_desc(df: pd.DataFrame, by: list[str]) -> pd.Series:
    return df.groupby(by, sort=False).score.rank(ascending=False, method="min").astype("Int64")


def build_index(values: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, config=None, *,
                observations: pd.DataFrame | None = None) -> IndexResult:
    """Build the composite index for every unit and year.

    Parameters
    ----------
    values : the yearly panel ``unit_id, year, indicator, value`` of
        :func:`analysis.panel.yearly_values` (red-line leaves included).
    framework : the indicator framework (:func:`analysis.framework.load_framework`).
    units : the units table (type and region for the ranks within type and region).
    config : an :class:`IndexConfig`, a mapping, or ``None`` for the defaults. A path is refused
        (:class:`ConfigError`): the caller reads the file (``load_config(path)``).
    observations : optional quarterly observations (``unit_id, year, period, indicator, value``)
        for the per-quarter early warnings.

    Returns an :class:`IndexResult`. Degenerate input (a constant leaf, one unit, one year, an
    all-missing leaf, no scorable unit) gives a defined result and a bilingual row in
    ``warnings``, never an exception or a silent NaN.

    Example
    -------
    >>> import warnings
    >>> from analysis import sample, panel
    >>> s = sample.generate()
    >>> values = panel.yearly_values(s.observations, s.framework, s.units)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = build_index(values, s.framework, s.units)
    >>> ix = res.index()
    >>> # rank 1 = best, ties at the lowest rank: the same as pandas' rank(method="min")
    >>> bool((ix.groupby("year").score.rank(ascending=False, method="min") == ix["rank"]).all())
    True
    """
    require_config_object(config, "build_index")
    keys = ["unit_id", "year", "indicator"]
    dup = values.duplicated(keys, keep="last")
    values = values[~dup]
    model, warn = compile_index(values, framework, units, config)
    if dup.any():
        warn.append(dict(stage="prepare", code="", message=bilingual(
            f"输入有 {int(dup.sum())} 条重复的 单位×年度×指标 记录,保留最后一条",
            f"{int(dup.sum())} duplicated unit × year × indicator rows in the input; the last one was kept")))
    cfg, tree, panel = model.config, model.tree, model.panel
    Y, U, L = panel.values.shape
    years, unit_ids = panel.years, panel.unit_ids

    const = constant_leaves(panel.values, "per_year" if cfg.normalisation.reference == "per_year" else "pooled")
    const = np.broadcast_to(const, (Y, 1, L))[:, 0, :]
    for lj in np.flatnonzero(const.any(axis=0) & panel.in_force.any(axis=0)):
        has_data = np.isfinite(panel.values[..., lj]).any()
        if has_data:
            warn.append(dict(stage="normalise", code=tree.leaves[lj], message=bilingual(
                f"指标 {tree.leaves[lj]} 在参照范围内取值恒定,无法区分单位,标准化后取中间值",
                f"leaf {tree.leaves[lj]} is constant within its reference set and cannot discriminate; it gets "
                "the mid-scale value")))
    if not panel.scored.any():
        warn.append(dict(stage="prepare", code="", message=bilingual(
            "没有单位满足覆盖率要求,未计算任何得分", "no unit meets the coverage rule; no score was computed")))
    if len(years) == 1:
        warn.append(dict(stage="build", code="", message=bilingual(
            "只有一个年度:无法计算年度变化、归因与预警", "a single year: no year-on-year change, attribution or warning")))
    if panel.scored.sum(axis=1).max(initial=0) == 1:
        warn.append(dict(stage="build", code="", message=bilingual(
            "每年只有一个单位:标准化与排名没有比较意义", "one unit per year: normalisation and ranks are not comparative")))

    norm = model.normalised()
    node_values = aggregate_tree(norm, tree, model.weights, model.methods, **model.aggregate_options())
    node_values[~panel.scored] = np.nan
    # positive / negative list items: points added to the composite index (see .lists)
    list_tab, adjustment = list_points(values, framework, years, unit_ids, panel.scored)
    if framework.role.isin(LIST_ROLES).any():
        model.adjustment = adjustment
        node_values[..., tree.root] = apply_adjustment(node_values[..., tree.root], adjustment, model.root_bounds())

    geo_levels = [lvl for lvl, m in model.methods.items() if m == "geometric"]
    if geo_levels:
        low = 0
        for j in range(tree.n_leaves, len(tree.nodes)):
            if int(tree.level[j]) in geo_levels:
                low += int(np.sum(node_values[..., tree.children[j]] < cfg.aggregation.floor))
        if low:
            warn.append(dict(stage="aggregate", code="", message=bilingual(
                f"几何平均遇到 {low} 个低于下限 {cfg.aggregation.floor} 的值(含 0),已按下限计算",
                f"geometric aggregation met {low} value(s) below the floor {cfg.aggregation.floor} (zeros included); "
                "the floor was used")))

    # ---- scores table
    info = panel.unit_info.set_index(["unit_id", "year"])
    yy, uu = np.nonzero(panel.scored)
    n_s = len(yy)
    nn = len(tree.nodes)
    scores = pd.DataFrame({
        "unit_id": np.repeat(np.asarray(unit_ids, dtype=object)[uu], nn),
        "year": np.repeat(np.asarray(years)[yy], nn),
        "node": np.tile(np.asarray(tree.nodes, dtype=object), n_s),
        "level": np.tile(tree.level, n_s),
        "score": node_values[yy, uu, :].ravel(),
    })
    key = pd.MultiIndex.from_frame(scores[["unit_id", "year"]])
    scores["type"] = info["type"].reindex(key).to_numpy() if "type" in info else ""
    scores["region"] = info["region"].reindex(key).to_numpy() if "region" in info else ""
    missing_nodes = scores.score.isna()
    if missing_nodes.any():
        aggregates = set(tree.nodes[tree.n_leaves:])
        nodes_missing = scores.loc[missing_nodes & scores.node.isin(aggregates), "node"]
        if len(nodes_missing):
            warn.append(dict(stage="aggregate", code=",".join(sorted(nodes_missing.unique())[:10]), message=bilingual(
                f"{int(len(nodes_missing))} 个节点得分因不满足最低数据要求(min_share = {cfg.aggregation.min_share})而缺失",
                f"{int(len(nodes_missing))} aggregate score(s) are missing because the minimum-data rule "
                f"(min_share = {cfg.aggregation.min_share}) failed")))
    # ranks on the (Y, U, node) array: 1 = best, ties share the lowest rank (method "min")
    scores["rank"] = _ranks(node_values, panel.scored)[yy, uu, :].ravel()
    for col, label in (("rank_in_type", "type"), ("rank_in_region", "region")):
        lab = _labels(panel, label)
        r = np.full(node_values.shape, np.nan)
        for g in pd.unique(lab[panel.scored]):
            member = panel.scored & (lab == g)
            r = np.where(member[..., None], _ranks(node_values, member), r)
        scores[col] = r[yy, uu, :].ravel()
    for col in ("rank", "rank_in_type", "rank_in_region"):
        r = scores[col].to_numpy(dtype=float)
        miss = np.isnan(r)
        scores[col] = pd.arrays.IntegerArray(np.where(miss, 0, r).astype("int64"), miss)
    scores["n_units"] = scores.groupby(["year", "node"]).score.transform("count")
    scores = scores[["unit_id", "year", "node", "level", "type", "region", "score", "rank", "rank_in_type",
                     "rank_in_region", "n_units"]]

    # ---- grades
    root = scores[scores.node == tree.nodes[tree.root]]
    red = pd.DataFrame(columns=["unit_id", "year", "indicator", "value"])
    if panel.red_lines:
        ry, ru, rl = np.nonzero(np.nan_to_num(panel.red, nan=0.0) > 0)
        red = pd.DataFrame({"unit_id": np.asarray(unit_ids, dtype=object)[ru], "year": np.asarray(years)[ry],
                            "indicator": np.asarray(panel.red_lines, dtype=object)[rl], "value": panel.red[ry, ru, rl]})
    grades = assign_grades(root, cfg.grades, red)
    # a vetoed unit that was not scored (coverage) is still shown red
    vetoed_unscored = red.merge(grades[["unit_id", "year"]], how="left", indicator=True)
    vetoed_unscored = vetoed_unscored[vetoed_unscored._merge == "left_only"]
    if cfg.grades.red_lines and len(vetoed_unscored):
        extra = vetoed_unscored.groupby(["unit_id", "year"]).indicator.agg(lambda c: ",".join(sorted(c))).reset_index()
        extra = extra.rename(columns={"indicator": "red_line_codes"}).assign(
            score=np.nan, grade="red", grade_zh="红", grade_by_score=None, red_line=True,
            cutoff_green=np.nan, cutoff_blue=np.nan, cutoff_yellow=np.nan, method=grades.method.iloc[0] if len(grades) else "")
        grades = pd.concat([grades, extra[grades.columns]], ignore_index=True)
    for _, r in grades[grades.red_line].iterrows():
        warn.append(dict(stage="grades", code=r.red_line_codes, year=int(r.year), message=bilingual(
            f"单位 {r.unit_id} {int(r.year)} 年触发一票否决事项 {r.red_line_codes},等级定为红色(按得分为 {r.grade_by_score})",
            f"unit {r.unit_id} triggered red line {r.red_line_codes} in {int(r.year)}: grade capped at red "
            f"(by score: {r.grade_by_score})")))

    # ---- leaves table
    yL, uL = np.nonzero(panel.scored)
    raw_in = values.copy()
    raw_in["unit_id"] = raw_in.unit_id.astype(str)
    leaves_tab = pd.DataFrame({
        "unit_id": np.repeat(np.asarray(unit_ids, dtype=object)[uL], L),
        "year": np.repeat(np.asarray(years)[yL], L),
        "indicator": np.tile(np.asarray(tree.leaves, dtype=object), len(yL)),
        "direction": np.tile(model.direction.to_numpy(dtype=object), len(yL)),
        "value": panel.values[yL, uL, :].ravel(),
        "normalised": norm[yL, uL, :].ravel(),
        "observed": panel.observed[yL, uL, :].ravel(),
    })
    leaves_tab = leaves_tab.merge(raw_in[["unit_id", "year", "indicator", "value"]].rename(columns={"value": "raw_value"}),
                                  on=["unit_id", "year", "indicator"], how="left")
    keys = ["unit_id", "year", "indicator"]
    leaves_tab["imputed"] = pd.MultiIndex.from_frame(leaves_tab[keys]).isin(
        pd.MultiIndex.from_frame(panel.imputed[keys])) if len(panel.imputed) else False
    leaves_tab["treated"] = pd.MultiIndex.from_frame(leaves_tab[keys]).isin(
        pd.MultiIndex.from_frame(panel.treated[keys])) if len(panel.treated) else False
    in_force = panel.in_force[yL][:, :].ravel()
    leaves_tab = leaves_tab[in_force].reset_index(drop=True)
    leaves_tab = leaves_tab[["unit_id", "year", "indicator", "direction", "raw_value", "value", "normalised",
                             "observed", "imputed", "treated"]]

    # ---- weights
    parent_code = [tree.nodes[p] if p >= 0 else "" for p in tree.parent]
    wtab = pd.DataFrame({
        "year": np.repeat(years, nn), "node": np.tile(np.asarray(tree.nodes, dtype=object), Y),
        "parent": np.tile(np.asarray(parent_code, dtype=object), Y), "level": np.tile(tree.level, Y),
        "weight": model.weights.ravel(),
    })
    wtab = wtab[wtab.node != tree.nodes[tree.root]].reset_index(drop=True)
    eff = _effective(model.weights, tree)
    etab = pd.DataFrame({"year": np.repeat(years, L), "indicator": np.tile(np.asarray(tree.leaves, dtype=object), Y),
                         "direction": np.tile(model.direction.to_numpy(dtype=object), Y),
                         "effective_weight": eff.ravel()})
    root_arr = node_values[..., tree.root]
    infl = np.zeros(L)
    rmask = np.isfinite(root_arr)
    for lj in range(L):
        v = norm[..., lj]
        m = rmask & np.isfinite(v)
        if m.sum() > 2 and np.std(v[m]) > 0 and np.std(root_arr[m]) > 0:
            infl[lj] = np.corrcoef(v[m], root_arr[m])[0, 1] ** 2
    infl = infl / infl.sum() if infl.sum() > 0 else infl
    etab["influence"] = np.tile(infl, Y)

    # ---- attribution
    attribution = attribute_changes(norm, model.weights, tree, model.methods, years, unit_ids, panel.scored,
                                    root_scores=root_arr, adjustment=model.adjustment, **model.aggregate_options())

    # ---- positive / negative lists
    profile = _profile(leaves_tab, cfg.profile.n)

    # ---- alternative composite: TOPSIS over all leaves with the effective weights
    opts = model.aggregate_options()
    alt = topsis(norm, eff[:, None, :], opts["min_share"], opts["reference"], opts["scale"])
    alt[~panel.scored] = np.nan
    alternatives = pd.DataFrame({"unit_id": np.asarray(unit_ids, dtype=object)[uu], "year": np.asarray(years)[yy],
                                 "method": "topsis", "score": alt[yy, uu]})
    alternatives["rank"] = _rank_desc(alternatives, ["year"])
    alternatives = alternatives.merge(root[["unit_id", "year", "rank"]].rename(columns={"rank": "rank_index"}),
                                      on=["unit_id", "year"], how="left")

    # ---- year-to-date quarterly index and early warnings
    quarterly, reason = quarterly_index(model, observations, framework, units, grades) \
        if observations is not None else (pd.DataFrame(columns=QUARTERLY_COLUMNS), "")
    if reason:
        warn.append(dict(stage="warning", code="", message=reason))
    ew = early_warnings(scores[scores.level == 0], grades, cfg.warning, observations=observations,
                        directions=model.direction.to_dict(), quarterly=quarterly)

    wdf = pd.DataFrame(warn)
    for col in ("stage", "code", "year", "message"):
        if col not in wdf:
            wdf[col] = pd.Series(dtype=object)
    wdf = wdf[["stage", "code", "year", "message"]]
    wdf["year"] = wdf.year.astype("Int64") if len(wdf) else wdf.year
    return IndexResult(scores=scores, grades=grades, leaves=leaves_tab, imputed=panel.imputed, treated=panel.treated,
                       excluded=panel.excluded, weights=wtab, effective_weights=etab, attribution=attribution,
                       profile=profile, alternatives=alternatives, quarterly=quarterly, early_warnings=ew, warnings=wdf, config=cfg.to_dict(), model=model,
                       list_items=list_tab)


def _profile(leaves_tab: pd.DataFrame, n: int) -> pd.DataFrame:
    r"""Each unit-year's ``n`` strongest (正面清单) and weakest (负面清单) leaves by standardised
    position against its peers.

    The position of unit :math:`u` on leaf :math:`l` in year :math:`t` is
    :math:`z = (x_{ult} - \bar x_{\cdot lt}) / s_{\cdot lt}`, with :math:`x` the normalised
    (direction-adjusted) score and the mean and standard deviation (ddof = 1) over every scored
    unit that year. The strongest leaves are those with the highest positive :math:`z`, the weakest
    those with the most negative :math:`z` (ties by code). A leaf on which every unit stands alike
    (:math:`s = 0`, e.g. a count that is 0 for everyone) says nothing about the unit and enters
    neither list; so a list can be shorter than ``n``. Ranking by the raw normalised score instead
    fills every weakest list with the leaves where the whole population sits at the bottom of the
    pooled scale.
    """
    cols = ["unit_id", "year", "list", "list_zh", "position", "indicator", "direction", "value", "normalised",
            "peer_mean", "z"]
    d = leaves_tab.dropna(subset=["normalised"])[["unit_id", "year", "indicator", "direction", "value", "normalised"]].copy()
    g = d.groupby(["year", "indicator"]).normalised
    d["peer_mean"] = g.transform("mean")
    sd = g.transform("std")
    with np.errstate(invalid="ignore", divide="ignore"):
        d["z"] = np.where(sd > 1e-12, (d.normalised - d.peer_mean) / sd, np.nan)
    parts = []
    for name, side, ascending in (("positive", d.z > 0, False), ("negative", d.z < 0, True)):
        part = d[side].sort_values(["unit_id", "year", "z", "indicator"], ascending=[True, True, ascending, True])
        part = part.assign(position=part.groupby(["unit_id", "year"]).cumcount() + 1, list=name)
        parts.append(part[part.position <= n])
    out = pd.concat(parts, ignore_index=True)
    out["list_zh"] = out["list"].map({"positive": "正面清单", "negative": "负面清单"})
    return out[cols].sort_values(["unit_id", "year", "list", "position"], ascending=[True, True, False, True]) \
        .reset_index(drop=True)
