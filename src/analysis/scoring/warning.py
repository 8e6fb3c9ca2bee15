"""Early warning (预警): grade drops, threshold crossings, and changes unusual for the unit itself.

Three documented rules; each alert is one row with a bilingual message.

1. **Grade drop** (``kind = grade_drop``): the unit's grade is worse than in the previous panel
   year (``period = Y``; green > blue > yellow > red, red-line vetoes included), or, with quarterly
   observations, its *year-to-date* grade at quarter k is worse than at the previous quarter
   (Q1 is compared with the previous year's grade). The year-to-date index (:func:`quarterly_index`)
   combines the quarters reported so far by each leaf's ``year_agg``, annualises sums (× 4 / number
   of quarters reported), carries annual leaves and within-year cumulative stocks (``year_agg =
   last``, e.g. a completion rate that restarts every Q1) from the previous year until the year's
   own value is complete at Q4, applies the denominators of :func:`analysis.panel.yearly_values`, and scores the
   result on the *yearly* scale: normalisation with the reference statistics of the yearly panel
   (values outside are clipped), the yearly weights and aggregation, the yearly coverage rule on
   the leaves available so far, and the yearly grade cut-offs. With every quarter reported, the
   Q4 index equals the yearly index (tested).
2. **Threshold crossing** (``kind = threshold``, per quarter): for a leaf with a rule in
   ``warning.thresholds`` (``{above: v}`` and/or ``{below: v}``, in the *reported* units, i.e.
   before any denominator), a quarterly value beyond the threshold while the unit's previous
   reported quarter of that leaf was not (the first quarter on record beyond it counts too).
3. **Unusual change** (``kind = unusual_change``): the change :math:`\\Delta_t` of a series against
   the unit's *own* earlier changes :math:`\\Delta_1..\\Delta_{t-1}` of that series, by the robust
   (modified) z-score of Iglewicz & Hoaglin (1993):

   .. math:: z_t = \\frac{\\Delta_t - \\mathrm{med}(\\Delta_{<t})}{1.4826\\,\\mathrm{MAD}(\\Delta_{<t})},

   flagged when :math:`|z_t| \\ge` ``robust_z`` (default 3.5, their recommended cut-off) in the bad
   direction, with at least ``min_history`` earlier changes (default 4). For a leaf's quarterly
   values the change is the **seasonal difference** :math:`x_t - x_{t-4}` (same quarter of the
   previous year): stocks reported cumulatively within the year (``year_agg = last``, e.g. a
   completion rate) restart every Q1, and a quarter-on-quarter change would flag every Q1. For
   the yearly index the change is the year-on-year change. When the MAD is 0, the scale is
   :math:`1.2533 \\times` the mean absolute deviation from the median (the normal-consistent
   fallback used for the modified z-score, e.g. by IBM SPSS); if that is 0 too (a history of
   identical changes, typical of rare counts that stay at 0), the rule is undefined and nothing
   is flagged: use a ``threshold`` rule for leaves where any occurrence matters. Bad direction:
   a fall of the index or of a positive leaf, a rise of a negative leaf, either way for a
   ``target`` leaf.

Reference: Iglewicz, B. & Hoaglin, D. C. (1993). *How to Detect and Handle Outliers*. ASQC
Quality Press, §3.2 (modified z-score, cut-off 3.5).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..panel import yearly_values
from .aggregate import aggregate_tree
from .grades import GRADE_ZH, GRADES, grade_codes
from .normalise import normalise, reference_bounds
from .prepare import value_cube

COLUMNS = ["unit_id", "year", "period", "kind", "indicator", "value", "previous", "robust_z", "message"]
PERIODS = {"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4}


def robust_z_history(changes: np.ndarray, min_history: int = 3) -> np.ndarray:
    """Robust z of each change against the earlier changes of its row; ``changes (S, T)``.

    Entries with fewer than ``min_history`` earlier non-missing changes, or with a zero scale
    (MAD and mean absolute deviation both 0), are NaN.

    >>> float(robust_z_history(np.array([[1.0, 2.0, 3.0, 10.0]]), 3)[0, 3].round(4))   # med 2, MAD 1: (10-2)/1.4826
    5.3959
    """
    d = np.asarray(changes, dtype=float)
    z = np.full(d.shape, np.nan)
    for t in range(min_history, d.shape[1]):
        hist = d[:, :t]
        n = np.sum(~np.isnan(hist), axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = _row_median(hist)
            dev = np.abs(hist - med[:, None])
            mad = _row_median(dev)
            meanad = np.nanmean(dev, axis=1)
        scale = np.where(mad > 0, 1.4826 * mad, 1.2533 * meanad)
        diff = d[:, t] - med
        zt = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), np.nan)
        z[:, t] = np.where((n >= min_history) & ~np.isnan(d[:, t]), zt, np.nan)
    return z


def _row_median(a: np.ndarray) -> np.ndarray:
    """``np.nanmedian(a, axis=1)``, bit for bit, from one sort of the rows (NaN sorts last): 12 ×
    faster on the 150,000 short rows of a national panel's quarterly history."""
    ordered = np.sort(a, axis=1)
    n = np.sum(~np.isnan(a), axis=1)
    lo = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(ordered, np.maximum(n // 2, 0)[:, None], axis=1)[:, 0]
    return np.where(n > 0, (lo + hi) / 2, np.nan)


def _msg(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _when(label: dict | None, y) -> tuple[str, str]:
    """How a time point reads in a message: ``2024 年`` / ``2024``, or a period's label."""
    if label and int(y) in label:
        return label[int(y)]
    return f"{int(y)} 年", f"{int(y)}"


def _grade_drops(grades: pd.DataFrame, label: dict | None = None) -> pd.DataFrame:
    g = grades.dropna(subset=["grade"]).sort_values(["unit_id", "year"]).copy()
    order = {k: i for i, k in enumerate(GRADES)}
    g["g"] = g.grade.map(order)
    g["prev"] = g.groupby("unit_id").g.shift()
    g["prev_grade"] = g.groupby("unit_id").grade.shift()
    g["prev_year"] = g.groupby("unit_id").year.shift()
    g["prev_score"] = g.groupby("unit_id").score.shift()
    drop = g[g.g > g.prev]
    return pd.DataFrame({
        "unit_id": drop.unit_id, "year": drop.year, "period": "Y", "kind": "grade_drop", "indicator": "",
        "value": drop.score, "previous": drop.prev_score, "robust_z": np.nan,
        "message": [_msg(f"单位 {u} 等级由 {_when(label, py)[0]}的{GRADE_ZH[p]}色降为 {_when(label, y)[0]}的{GRADE_ZH[c]}色" + ("(一票否决)" if rl else ""),
                         f"unit {u} dropped from {p} in {_when(label, py)[1]} to {c} in {_when(label, y)[1]}" + (" (red-line veto)" if rl else ""))
                    for u, y, py, p, c, rl in zip(drop.unit_id, drop.year, drop.prev_year, drop.prev_grade,
                                                  drop.grade, drop.red_line)],
    })


def _index_changes(root: pd.DataFrame, cfg, label: dict | None = None) -> pd.DataFrame:
    wide = root.pivot_table(index="unit_id", columns="year", values="score")
    if wide.shape[1] < 2:
        return pd.DataFrame(columns=COLUMNS)
    d = wide.diff(axis=1).iloc[:, 1:]
    z = robust_z_history(d.to_numpy(), cfg.min_history)
    hit = np.argwhere(z <= -cfg.robust_z)  # NaN compares False; -inf is flagged
    rows = []
    for i, t in hit:
        u, y = d.index[i], d.columns[t]
        rows.append(dict(unit_id=u, year=int(y), period="Y", kind="unusual_change", indicator="index",
                         value=float(wide.loc[u, y]), previous=float(wide.iloc[i, t]), robust_z=float(z[i, t]),
                         message=_msg(f"单位 {u} {_when(label, y)[0]}综合指数下降 {-d.iloc[i, t]:.2f},相对本单位以往变化异常(稳健 z = {z[i, t]:.1f})",
                                      f"unit {u}: index fell by {-d.iloc[i, t]:.2f} in {_when(label, y)[1]}, unusual against its own "
                                      f"history (robust z = {z[i, t]:.1f})")))
    return pd.DataFrame(rows, columns=COLUMNS)


def _quarter_number(periods: pd.Series) -> np.ndarray:
    """1–4 for Q1–Q4 and 0 for any other period, by the codes of the column (a dictionary
    lookup per cell costs seconds on a national panel's millions of rows)."""
    codes, found = pd.factorize(periods)
    return pd.Series(PERIODS, dtype=int).reindex(found).fillna(0).astype(int).to_numpy()[codes]


def _quarterly(observations: pd.DataFrame, cfg, directions: dict) -> list[pd.DataFrame]:
    q = observations[observations.period.isin(PERIODS)].dropna(subset=["value"]).copy()
    if q.empty:
        return []
    q["t"] = q.year.astype(int) * 4 + _quarter_number(q.period) - 1
    q = q.sort_values("t", kind="stable")  # each series in time order (the threshold test's previous value)
    out = []
    # threshold crossings
    for leaf, rule in cfg.thresholds.items():
        s = q[q.indicator == leaf].copy()
        if s.empty:
            continue
        prev = s.groupby("unit_id").value.shift()
        for side, v in rule.items():
            beyond = s.value > v if side == "above" else s.value < v
            was = prev > v if side == "above" else prev < v
            hit = s[beyond & ~was.fillna(False).astype(bool)]
            word_zh = "高于" if side == "above" else "低于"
            word_en = "above" if side == "above" else "below"
            out.append(pd.DataFrame({
                "unit_id": hit.unit_id, "year": hit.year.astype(int), "period": hit.period, "kind": "threshold",
                "indicator": leaf, "value": hit.value, "previous": prev[hit.index], "robust_z": np.nan,
                "message": [_msg(f"单位 {u} {int(y)} 年 {p} 指标 {leaf} 为 {x:g},{word_zh}预警阈值 {v:g}",
                                 f"unit {u}, {int(y)} {p}: {leaf} = {x:g}, {word_en} the warning threshold {v:g}")
                            for u, y, p, x in zip(hit.unit_id, hit.year, hit.period, hit.value)]}))
    # unusual changes per unit × leaf: one row per series on a quarter grid (the warehouse keeps one
    # value per unit, leaf and quarter), built from integer codes rather than text keys
    grp = q.groupby(["unit_id", "indicator"], sort=True)
    series = grp.size().index
    t0 = int(q.t.min())
    wide = np.full((len(series), int(q.t.max()) - t0 + 1), np.nan)
    wide[grp.ngroup().to_numpy(), q.t.to_numpy(dtype=int) - t0] = q.value.to_numpy(dtype=float)
    if wide.shape[1] >= cfg.min_history + 5:
        d = wide[:, 4:] - wide[:, :-4]  # change on the same quarter of the previous year
        z = robust_z_history(d, cfg.min_history)
        sign = np.array([{"positive": -1, "negative": 1}.get(directions.get(leaf, "target"), 0)
                         for leaf in series.get_level_values(1)])
        with np.errstate(invalid="ignore"):
            bad = np.where(sign[:, None] == 0, np.abs(z), sign[:, None] * z) >= cfg.robust_z
        rows = []
        for i, t in np.argwhere(bad):
            u, leaf = series[i]
            tt = t0 + int(t) + 4
            y, p = tt // 4, f"Q{tt % 4 + 1}"
            rows.append(dict(unit_id=u, year=y, period=p, kind="unusual_change", indicator=leaf,
                             value=float(wide[i, t + 4]), previous=float(wide[i, t]), robust_z=float(z[i, t]),
                             message=_msg(f"单位 {u} {y} 年 {p} 指标 {leaf} 较上年同期变化 {d[i, t]:+g},相对本单位以往变化异常(稳健 z = {z[i, t]:.1f})",
                                          f"unit {u}, {y} {p}: {leaf} changed by {d[i, t]:+g} on the same quarter "
                                          f"of last year, unusual against its own history (robust z = {z[i, t]:.1f})")))
        out.append(pd.DataFrame(rows, columns=COLUMNS))
    return out


QUARTERLY_COLUMNS = ["unit_id", "year", "period", "score", "grade", "red_line", "n_leaves"]


def quarterly_index(model, observations: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame,
                    grades: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Year-to-date index and grade per unit, year and quarter (see the module docstring).

    ``model`` is the :class:`~.build.IndexModel` of the yearly run, ``grades`` its grade table
    (for the cut-offs). Returns ``(table, reason)``: the table has ``unit_id, year, period
    (Q1–Q4), score, grade, red_line, n_leaves``; ``reason`` is a bilingual explanation when the
    year-to-date index cannot be put on the yearly scale (rank/percentile normalisation, outlier
    treatment), and the table is then empty.
    """
    cfg = model.config
    empty = pd.DataFrame(columns=QUARTERLY_COLUMNS)
    if cfg.normalisation.method in ("rank", "percentile"):
        return empty, _msg("排序类标准化无法给出季度累计得分", "rank/percentile normalisation cannot score year-to-date values")
    if cfg.outliers.method != "none":
        return empty, _msg("年度数据经过异常值处理,季度累计值无法按同一尺度评分",
                           "the yearly values were outlier-treated; year-to-date values cannot be scored on that scale")
    if len(grades) == 0 or observations is None or observations.empty:
        return empty, ""
    panel, tree, n = model.panel, model.tree, cfg.normalisation
    meta = framework.drop_duplicates("code", keep="last").set_index("code")
    sums = set(meta.index[(meta.year_agg == "sum") & (meta.frequency == "quarterly")])
    stocks = set(meta.index[(meta.year_agg == "last") & (meta.frequency == "quarterly")])
    ref = "per_year" if n.reference == "per_year" else n.reference
    bounds = reference_bounds(panel.values, model.sign, model.target, n.method, ref, model.goalposts)
    cut = grades.dropna(subset=["cutoff_green"]).groupby("year")[["cutoff_green", "cutoff_blue", "cutoff_yellow"]].first()
    cut = cut.reindex(panel.years).to_numpy()  # (Y, 3)
    obs = observations[observations.year.isin(panel.years) | observations.year.isin([y - 1 for y in panel.years])]
    # masks that do not depend on the quarter, computed once (millions of rows at national scale)
    quarter = _quarter_number(obs.period)
    in_year = obs.year.isin(panel.years).to_numpy()
    stock = obs.indicator.isin(stocks).to_numpy()
    yearly = quarter == 0
    held = yearly | stock
    parts = []
    for k in (1, 2, 3, 4):
        # annual leaves, and stocks reported cumulatively within the year (year_agg = last), are
        # taken from the previous year until the year's own value is complete at Q4
        q = obs[(quarter >= 1) & (quarter <= k) & in_year & (~stock if k < 4 else True)]
        annual = obs[held & yearly] if k == 4 else obs[held].assign(year=obs[held].year + 1)
        annual = annual[annual.year.isin(panel.years)]
        v = yearly_values(pd.concat([q, annual], ignore_index=True), framework, units)
        if v.empty:
            continue
        scale_up = v.indicator.isin(sums) & (v.n_periods > 0)
        v.loc[scale_up, "value"] = v.loc[scale_up, "value"] * 4.0 / v.loc[scale_up, "n_periods"]
        x = value_cube(v, panel.years, panel.unit_ids, list(tree.leaves))
        red = value_cube(v, panel.years, panel.unit_ids, panel.red_lines)
        x = np.where(panel.in_force[:, None, :] & panel.scored[:, :, None], x, np.nan)
        norm = normalise(x, model.sign, model.target, n.method, ref, goalposts=model.goalposts, scale=n.scale,
                         shift=n.shift, shift_mode=n.shift_mode, z_center=n.z_center, z_spread=n.z_spread,
                         bounds=bounds)
        score = aggregate_tree(norm, tree, model.weights, model.methods, **model.aggregate_options())[..., tree.root]
        # the coverage rule of the yearly run, on the leaves available so far
        n_force = np.maximum(panel.in_force.sum(axis=1), 1)[:, None]
        covered = np.sum(~np.isnan(x), axis=-1) / n_force >= cfg.missing.coverage - 1e-12
        score = np.where(panel.scored & covered, score, np.nan)
        g = grade_codes(score, cut)
        vetoed = (np.nan_to_num(red, nan=0.0) > 0).any(axis=-1) & cfg.grades.red_lines
        g = np.where(vetoed & panel.scored, 3, g)
        yy, uu = np.nonzero(panel.scored)
        labels = np.array([*GRADES, None], dtype=object)
        parts.append(pd.DataFrame({
            "unit_id": np.asarray(panel.unit_ids, dtype=object)[uu], "year": np.asarray(panel.years)[yy],
            "period": f"Q{k}", "score": score[yy, uu], "grade": labels[g[yy, uu]], "red_line": vetoed[yy, uu],
            "n_leaves": np.sum(~np.isnan(x), axis=-1)[yy, uu]}))
    if not parts:
        return empty, ""
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["unit_id", "year", "period"]).reset_index(drop=True)[QUARTERLY_COLUMNS], ""


def _quarterly_grade_drops(quarterly: pd.DataFrame, grades: pd.DataFrame) -> pd.DataFrame:
    """Year-to-date grade worse than at the previous quarter (Q1: than the previous year's grade)."""
    if quarterly.empty:
        return pd.DataFrame(columns=COLUMNS)
    order = {k: i for i, k in enumerate(GRADES)}
    yearly = grades.dropna(subset=["grade"])[["unit_id", "year", "score", "grade"]].assign(period="Y")
    yearly = yearly.assign(year=yearly.year + 1, period="Q0")  # the previous year's grade, just before Q1
    q = pd.concat([yearly, quarterly.dropna(subset=["grade"])[["unit_id", "year", "period", "score", "grade"]]],
                  ignore_index=True).sort_values(["unit_id", "year", "period"])
    q["g"] = q.grade.map(order)
    grp = q.groupby("unit_id")
    q["prev_g"], q["prev_grade"], q["prev_score"] = grp.g.shift(), grp.grade.shift(), grp.score.shift()
    q["prev_year"], q["prev_period"] = grp.year.shift(), grp.period.shift()
    contiguous = (q.prev_year == q.year) | ((q.prev_year == q.year - 1) & (q.period == "Q1"))
    drop = q[(q.period != "Q0") & (q.g > q.prev_g) & contiguous]
    return pd.DataFrame({
        "unit_id": drop.unit_id, "year": drop.year.astype(int), "period": drop.period, "kind": "grade_drop",
        "indicator": "index", "value": drop.score, "previous": drop.prev_score, "robust_z": np.nan,
        "message": [_msg(f"单位 {u} {int(y)} 年 {p} 累计等级由{GRADE_ZH[pg]}色降为{GRADE_ZH[g]}色", f"unit {u}: year-to-date grade fell from {pg} to {g} in {int(y)} {p}")
                    for u, y, p, pg, g in zip(drop.unit_id, drop.year, drop.period, drop.prev_grade, drop.grade)]})


def early_warnings(root: pd.DataFrame, grades: pd.DataFrame, cfg, *, observations: pd.DataFrame | None = None,
                   directions: dict | None = None, quarterly: pd.DataFrame | None = None,
                   period_label: dict | None = None) -> pd.DataFrame:
    """All alerts as one tidy table ``unit_id, year, period, kind, indicator, value, previous,
    robust_z, message``, sorted by unit and time.

    ``root``: ``unit_id, year, score`` of the index; ``grades``: the grade table;
    ``observations``: quarterly observations (optional; without them only yearly alerts);
    ``directions``: leaf code → direction (for the bad side of a leaf's change);
    ``quarterly``: the year-to-date index of :func:`quarterly_index` (quarterly grade drops);
    ``period_label``: for an index on a period axis (:func:`analysis.periods.build_period_index`),
    time point → ``(zh, en)`` label used in the messages.
    """
    parts = [_grade_drops(grades, period_label), _index_changes(root, cfg, period_label)]
    if quarterly is not None and len(quarterly):
        parts.append(_quarterly_grade_drops(quarterly, grades))
    if observations is not None and len(observations):
        parts += _quarterly(observations, cfg, directions or {})
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)[COLUMNS]
    order = out.period.map({**PERIODS, "Y": 5})
    return out.assign(_o=order).sort_values(["unit_id", "year", "_o", "kind"]).drop(columns="_o").reset_index(drop=True)
