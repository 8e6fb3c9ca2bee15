"""Report tables from one index run (综合指数结果表): what the yearly report shows.

Each function takes the inputs of a run (or the index result) and returns one DataFrame, ready
for ``Report.table`` or a figure; the notebooks only call them.
"""
from __future__ import annotations

import pandas as pd

from .framework import labels
from .panel import units_for_year
from .scoring.grades import GRADES, dimension_grades
from .yearly import rank_table


def index_table(data, year: int, lang: str = "zh") -> pd.DataFrame:
    """Every unit's index, rank (1 = best), rank change on last year (positive = up) and grade.

    ``rank_change`` comes from :func:`analysis.yearly.rank_table` on the composite index
    (competition ranking, ties share the best rank, as the index's own ``rank``).
    """
    ix = data.index.index()
    root = ix.assign(node="index")[["unit_id", "node", "year", "score"]]
    ranks = rank_table(root, value="score", node="node")[["unit_id", "year", "rank_change"]]
    roster = units_for_year(data.units, year)[["unit_id", f"name_{lang}"]]
    now = ix[ix.year == year].merge(ranks, on=["unit_id", "year"], how="left").merge(roster, on="unit_id", how="left")
    cols = ["unit_id", f"name_{lang}", "type", "region", "score", "rank", "rank_change", "grade", "red_line_codes"]
    return now.sort_values(["rank", "unit_id"])[cols].reset_index(drop=True)


def grade_counts(table: pd.DataFrame) -> pd.Series:
    """Number of units per grade, in grade order (green, blue, yellow, red), zeros included."""
    return table.grade.value_counts().reindex(list(GRADES)).fillna(0).astype(int)


def grade_sentence(table: pd.DataFrame, year: int, lang: str = "zh") -> str:
    """One sentence: how many units were assessed, their mean index, and how many per grade.

    >>> t = pd.DataFrame({"score": [80.0, 70.0, 60.0], "grade": ["green", "blue", "blue"]})
    >>> grade_sentence(t, 2024, "en")
    '3 units were assessed in 2024; mean index 70.0; A green: 1, B blue: 2, C yellow: 0, D red: 0.'
    """
    from .plots import grade_label

    counts = grade_counts(table)
    if lang == "zh":
        parts = "、".join(f"{grade_label(g, 'zh')} {n} 个" for g, n in counts.items())
        return f"{year} 年共评价 {len(table)} 个单位,平均指数 {table.score.mean():.1f};{parts}。"
    parts = ", ".join(f"{grade_label(g, 'en')}: {n}" for g, n in counts.items())
    return f"{len(table)} units were assessed in {year}; mean index {table.score.mean():.1f}; {parts}."


#: a heat map shows at most this many units (a city shows all): beyond it the first and the last half by rank
HEATMAP_ROWS = 100


def dimension_grid(data, year: int, order: list[str], lang: str = "zh", unit_label=None,
                   max_rows: int = HEATMAP_ROWS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The four-colour heat map of units × dimensions: ``(grades, scores)``, rows in ``order``.

    Dimension grades follow the index's grading rule applied to each dimension's scores
    (:func:`analysis.scoring.grades.dimension_grades`). Columns are dimension names in ``lang``;
    rows are ``unit_label(unit_id)`` (default the code). With more than ``max_rows`` units the
    grid keeps the first and the last ``max_rows // 2`` of ``order`` (the best and the weakest
    by overall rank) and records ``attrs["omitted"] = (rows kept at the top, units in all)`` for
    :func:`analysis.plots.grade_heatmap`; every unit's dimension grades are in
    :func:`dimension_table`.
    """
    ix = data.index
    cur = dimension_grades(ix.scores, ix.model.config.grades)
    cur = cur[cur.year == year]
    names = labels(data.framework, lang)
    kept = list(order) if len(order) <= max_rows else [*order[:max_rows // 2], *order[-(max_rows // 2):]]
    grid = cur.pivot(index="unit_id", columns="node", values="grade").reindex(kept)
    scores = cur.pivot(index="unit_id", columns="node", values="score").reindex(kept)
    grid.columns = scores.columns = [names.get(c, c) for c in grid.columns]
    rows = [unit_label(u) if unit_label else u for u in kept]
    grid.index = scores.index = rows
    if len(kept) < len(order):
        grid.attrs["omitted"] = (max_rows // 2, len(order))
    return grid, scores


def dimension_table(data, year: int, order: list[str], lang: str = "zh") -> pd.DataFrame:
    """The whole heat map as a table: ``unit_id, dimension, score, grade`` for every unit (in
    ``order``) and dimension in ``year``, to filter by dimension and sort by score."""
    ix = data.index
    cur = dimension_grades(ix.scores, ix.model.config.grades)
    cur = cur[(cur.year == year) & cur.unit_id.isin(order)]
    rank = pd.Series(range(len(order)), index=list(order))
    names = labels(data.framework, lang)
    out = cur.assign(_r=cur.unit_id.map(rank), dimension=cur.node.map(lambda c: names.get(c, c)))
    return out.sort_values(["_r", "node"])[["unit_id", "dimension", "score", "grade"]].reset_index(drop=True)


def movers(table: pd.DataFrame, n: int = 3) -> tuple[list[str], list[str]]:
    """Units whose rank rose most and fell most on last year: ``(risers, fallers)``, ``n`` each."""
    moved = table.dropna(subset=["rank_change"]).sort_values(["rank_change", "unit_id"])
    return moved.tail(n).unit_id.tolist()[::-1], moved.head(n).unit_id.tolist()


def attribution_by_dimension(data, year: int, lang: str = "zh") -> pd.DataFrame:
    """The change of the index on last year, decomposed by dimension: mean and total over units
    of each component's contribution (the interaction term is its own row)."""
    att = data.index.attribution
    att = att[(att.year == year) & (att.kind != "leaf")]
    names = labels(data.framework, lang)
    out = (att.assign(component=att.component.map(lambda c: names.get(c, c)))
              .groupby("component").contribution.agg(mean_contribution="mean", total_contribution="sum"))
    return out.reset_index()


def list_counts(data, year: int, lang: str = "zh") -> pd.DataFrame:
    """How often each monitoring point is among units' strongest (positive list) and weakest
    (negative list) leaves in ``year``."""
    prof = data.index.profile
    prof = prof[prof.year == year]
    names = labels(data.framework, lang)
    out = (prof.assign(indicator_name=prof.indicator.map(lambda c: names.get(c, c)))
               .groupby(["list", "indicator", "indicator_name"]).unit_id.count().rename("n_units").reset_index())
    return out.sort_values(["list", "n_units", "indicator"], ascending=[True, False, True]).reset_index(drop=True)


def year_warnings(data, year: int, publish: bool = False) -> pd.DataFrame:
    """The early warnings of ``year`` (grade drops, red lines, unusual changes); the free-text
    message is left out in publish mode."""
    warn = data.index.early_warnings
    warn = warn[warn.year == year]
    cols = ["unit_id", "period", "kind", "indicator", "value", "previous", "robust_z"] + ([] if publish else ["message"])
    return warn[[c for c in cols if c in warn.columns]].reset_index(drop=True)


def count_totals(data, year: int, lang: str = "zh") -> pd.DataFrame:
    """Yearly totals of the count monitoring points (cases filed, people sanctioned, problems
    found ...: leaves summed over the year) over all units, with the change on last year.

    Totals are of the raw counts before any denominator (``raw_value``), so "cases filed" is
    the number of cases, not a rate; from :func:`analysis.yearly.yoy_change` with ``of="sum"``.
    """
    from .yearly import yoy_change

    fw = data.framework.drop_duplicates("code", keep="last")
    counts = fw[(fw.role == "score") & (fw.year_agg == "sum")].code
    values = data.values[data.values.indicator.isin(counts) & (data.values.year <= year)]
    change = yoy_change(values.rename(columns={"indicator": "node"}), value="raw_value", node="node", of="sum",
                        directions=fw)
    names = labels(data.framework, lang)
    now = change[change.year == year].rename(columns={"raw_value": "total", "previous_raw_value": "previous_total"})
    now = now.assign(name=now.node.map(lambda c: names.get(c, c)))
    cols = ["node", "name", "previous_total", "total", "change", "pct_change", "direction", "status"]
    return now[cols].reset_index(drop=True)


def compare_years(data, year_from: int, year: int, lang: str = "zh") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Any two years compared (e.g. 2019 and 2024): ``(units, dimensions)``.

    ``units``: every unit's index in both years, the change, the rank change and the exact
    attribution of the change to the dimensions (one column per dimension, plus the interaction
    when aggregation is not arithmetic), from :func:`analysis.scoring.attribution.compare_two`.
    ``dimensions``: per dimension, the mean score in both years and the mean contribution.
    """
    from .scoring.attribution import compare_two

    cmp = compare_two(data.index, int(year_from), int(year))
    names = labels(data.framework, lang)
    nodes = cmp.nodes
    root = nodes[nodes.level == 0][["unit_id", "score_from", "score", "change", "rank_from", "rank", "rank_change"]]
    att = cmp.attribution[cmp.attribution.kind != "leaf"]
    parts = att.pivot_table(index="unit_id", columns="component", values="contribution", aggfunc="sum")
    parts.columns = [f"{names.get(c, c)}" for c in parts.columns]
    units = root.merge(parts.reset_index(), on="unit_id", how="left").sort_values("change").reset_index(drop=True)
    dims = nodes[nodes.level == 1].groupby("node").agg(mean_from=("score_from", "mean"), mean=("score", "mean"),
                                                       mean_change=("change", "mean")).reset_index()
    contrib = att.groupby("component").contribution.mean().rename("mean_contribution")
    dims = dims.merge(contrib, left_on="node", right_index=True, how="left")
    dims.insert(1, "name", dims.node.map(lambda c: names.get(c, c)))
    return units, dims


def trend_class_counts(findings, lang: str = "zh", framework: pd.DataFrame | None = None) -> pd.DataFrame:
    """Number of unit series per node and trend class (improving, deteriorating, no significant
    trend, not testable at this length, not testable), from :func:`analysis.trends.trend_findings`."""
    units = findings.units
    order = ["improving", "deteriorating", "no significant trend", "not testable at this length", "not testable"]
    out = units.groupby(["node", "classification"]).size().unstack(fill_value=0)
    out = out.reindex(columns=[c for c in order if c in out.columns], fill_value=0).reset_index().rename_axis(columns=None)
    if framework is not None:
        out.insert(1, "node_name", out.node.map(labels(framework, lang)))
    return out


def area_digest(data, year: int, period: str = "Y", by: str = "area") -> pd.DataFrame:
    """The units of every leadership area (分管领域, ``by="area"``) or region (``by="region"``) with
    their index, grade and rank in the period, the change on the previous period and their
    warnings: what the leadership member responsible for an area receives with the diagnoses.
    Columns ``<by>, unit_id, name_zh, name_en, type, score, grade, rank, change, n_warnings``;
    empty when the units have no such attribute."""
    from .periods import Period

    roster = units_for_year(data.units, year)
    cols = [by, "unit_id", "name_zh", "name_en", "type", "score", "grade", "rank", "change", "n_warnings"]
    if by not in roster.columns or roster[by].isna().all():
        return pd.DataFrame(columns=cols)
    if period == "Y":
        ix, key, now, before = data.index, "year", year, year - 1
    else:
        p = Period.parse(period, year=year)
        ix, key, now, before = data.period_index.result, "period", str(p), str(p.previous())
    index = (ix.scores[ix.scores.level == 0].drop(columns=["node", "level"])
             .merge(ix.grades[["unit_id", key, "grade"]], on=["unit_id", key], how="left"))
    cur = index[index[key] == now][["unit_id", "score", "grade", "rank"]]
    prev = index[index[key] == before][["unit_id", "score"]].rename(columns={"score": "previous"})
    warn = ix.early_warnings[ix.early_warnings[key] == now].groupby("unit_id").size().rename("n_warnings")
    out = (roster[[by, "unit_id", "name_zh", "name_en", "type"]].merge(cur, on="unit_id", how="left")
           .merge(prev, on="unit_id", how="left").merge(warn, on="unit_id", how="left"))
    out["change"] = out.score - out.previous
    out["n_warnings"] = out.n_warnings.fillna(0).astype(int)
    return out.sort_values([by, "rank"])[cols].reset_index(drop=True)


def region_standing(data, year: int, stats) -> pd.DataFrame:
    """Each region's place in the regional comparison of ``year``: its mean index and rank among
    the regions (1 = highest mean), and its trend as a whole (fixed-effects slope of its units'
    index with cluster-robust SE, :func:`analysis.trends.panel_trend`; ``stats`` is the run's
    :class:`analysis.config.StatsConfig`). Columns ``region, n_units, mean_score, rank, slope, p``."""
    from .trends import panel_trend

    root = data.index.scores[(data.index.scores.level == 0) & (data.index.scores.year <= year)]
    now = root[root.year == year].groupby("region").agg(n_units=("unit_id", "nunique"), mean_score=("score", "mean"))
    now["rank"] = now.mean_score.rank(ascending=False, method="min").astype(int)
    trend = panel_trend(root, by="region", alpha=stats.alpha, se=stats.panel_se).set_index("region")[["slope", "p"]]
    return now.join(trend).reset_index()
