"""Every table of a topical report, computed from the topic's data subset alone (so a research
package reruns to the same tables), each made safe to publish."""
from __future__ import annotations

import pandas as pd

from .. import problems as pr
from .. import publish as pb
from .definition import ALL_CATEGORIES, Topic
from .subset import TopicData

# --------------------------------------------------------------------------- the tables
TABLE_TITLES: dict[str, tuple[str, str]] = {
    "problems_by_category": ("各类别问题数(按年度)", "Problems by category and year"),
    "concentration": ("问题集中度(前 k 类占比、赫芬达尔指数)", "Concentration of problems (top-k share, HHI)"),
    "pareto": ("问题类别帕累托表(报告年度)", "Pareto table of categories (report year)"),
    "problems_by_region": ("各片区问题数(按年度)", "Problems by region and year"),
    "problems_by_source": ("各来源部门问题数", "Problems by source department"),
    "rectification_by_region": ("各片区整改情况(截至数据日期)", "Rectification by region (as of the data date)"),
    "rectification_by_year": ("各年度问题整改情况", "Rectification by year"),
    "time_to_rectify": ("整改用时(Kaplan–Meier 中位数,天)", "Time to rectify (Kaplan–Meier median, days)"),
    "recurrence": ("反复出现的问题(同一单位同一类别连续年度)", "Recurring problems (same unit and category, consecutive years)"),
    "recurring_units": ("连续年度出现同类问题的单位", "Units with the same category in consecutive years"),
    "rounds": ("各轮巡察发现问题与整改情况(按整改历史)", "Findings and rectification per inspection round (from the status history)"),
    "review_funnel": ("问题清单审核漏斗(采集→保留→反馈)", "Review funnel (collected → kept → fed back)"),
    "keywords": ("高频词:全部类别(逐年)与各类别(报告年度)", "Top keywords: all categories by year, and by category in the report year"),
    "rising_keywords": ("较上年上升最多的关键词", "Keywords that rose most against last year"),
    "index_link": ("问题数与对应维度得分的等级相关(Spearman)", "Problem counts vs dimension scores (Spearman)"),
    "dimension_scores": ("各片区维度平均得分", "Mean dimension scores by region"),
    "leaf_summary": ("监测点年度概况", "Monitoring points by year"),
    "overdue_items": ("逾期未整改问题清单(内部版)", "Overdue items (internal edition)"),
}


def _guard(build):
    try:
        return build()
    except Exception as exc:  # noqa: BLE001 - a table that cannot be built says why, the report goes on
        return pd.DataFrame({"reason": [f"本表无法生成:{type(exc).__name__}: {exc} / table could not be built"]})


def _wide(df: pd.DataFrame, index: str, columns: str = "year") -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame({index: [], "reason": []})
    w = df.pivot_table(index=index, columns=columns, values="n", aggfunc="sum", fill_value=0)
    w.columns = [f"n_{c}" for c in w.columns]
    w["n_total"] = w.sum(axis=1)
    return w.reset_index().sort_values(["n_total", index], ascending=[False, True]).reset_index(drop=True)


def topic_tables(data: TopicData, topic: Topic, year: int) -> dict[str, pd.DataFrame]:
    """Every table of a topical report from its data subset, made safe to publish.

    Tables are computed from ``data`` alone (so a package reruns to the same tables); with
    ``data.meta['publish']`` each goes through :func:`analysis.publish.safe_table` with
    suppression of counts below ``k`` (units are already pseudonymised at the source).
    """
    p, meta = data.problems, data.meta
    publish, k, as_of = bool(meta["publish"]), int(meta["k"]), meta["as_of"]
    units = data.units
    window = [y for y in meta["years"] if y <= year]
    p = p[p.year.isin(window)]
    tables: dict[str, pd.DataFrame] = {}
    # statistics computed from a suppressed count are blanked with it (a share, a median of
    # one or two dates, an HHI of two items would give the count or the item back)
    rate_cols = ["share", "cum_share", "rectification_rate", "overdue_rate", "on_time_rate", "share_of_collected",
                 "share_of_previous", "recurrence_rate", "top_k_share", "n_for_pareto", "hhi", "hhi_normalised",
                 "median_days_km", "ci_low", "ci_high", "median_days_rectified_only", "rho", "p", "p_adj",
                 "on_time_share"]

    def safe(df, suppress=True, count_cols=None):
        if df.empty:
            return pd.DataFrame({"reason": ["本期无数据 / no data for this period"]})
        return pb.safe_table(df, publish=publish, unit_columns=(), k=k, count_cols=count_cols,
                             also=[c for c in rate_cols if c in df.columns], internal=not publish,
                             suppress=suppress)

    def wide(df, index):
        """A group × year count table; in publish mode with secondary suppression, so that no hidden
        cell can be derived from the row and column totals (:func:`analysis.publish.suppress_cells`)."""
        table = _wide(df, index)
        if not publish or "n_total" not in table.columns:
            return safe(table)
        cols = [c for c in table.columns if c.startswith("n_") and c != "n_total"]
        counts = table.set_index(index)[cols].astype(int)
        small = counts.sum(axis=1) < k  # a group whose total is below k is merged into "other" first
        if small.sum() > 1 or (small.any() and len(counts) > 1):
            other = "其他" if meta.get("lang", "zh") == "zh" else "other"
            counts = pd.concat([counts[~small], counts[small].sum().to_frame(other).T])
        out = pb.suppress_cells(counts, k=k, totals=True).table
        out.index.name = index
        return out.reset_index().rename(columns={"合计": "n_total", "Total": "n_total"})

    tables["problems_by_category"] = _guard(lambda: wide(pr.counts(p, ["year", "category"]), "category"))
    tables["concentration"] = _guard(lambda: safe(pr.concentration(p, "category", topic.top_k, within="year"),
                                                  count_cols=["n"]))
    tables["pareto"] = _guard(lambda: safe(pr.pareto(p[p.year == year], "category")))
    tables["problems_by_region"] = _guard(lambda: wide(pr.counts(p, ["year", "region"], units=units), "region"))
    tables["problems_by_source"] = _guard(lambda: wide(pr.counts(p, ["year", "source"]), "source"))
    tables["rectification_by_region"] = _guard(lambda: safe(pr.rectification(p, as_of, by="region", units=units)))
    tables["rectification_by_year"] = _guard(lambda: safe(pr.rectification(p, as_of, by="year")))
    # n_before_origin is a diagnostic count; in publish mode it is dropped rather than let it
    # blank the medians of a row whose totals are large enough
    tables["time_to_rectify"] = _guard(lambda: safe(
        pr.time_to_rectify(p, as_of, by="year").drop(columns=["n_before_origin"] if publish else []),
        count_cols=["n", "n_rectified", "n_censored"]))
    tables["recurrence"] = _guard(lambda: safe(pr.recurrence_rate(p), count_cols=["n_pairs", "n_recurring"]))
    # in publish mode the list keeps unit pseudonym, category, year and streak, not the small counts
    tables["recurring_units"] = _guard(lambda: safe(pr.recurring(p).drop(columns=["n", "n_previous"] if publish else []),
                                                    suppress=False))
    tables["review_funnel"] = _guard(lambda: safe(pr.review_funnel(p, by="year")))
    rounds = data.inspection_rounds[data.inspection_rounds.year.isin(window)]
    tables["rounds"] = _guard(lambda: safe(
        pr.round_summary(p, data.status_history, rounds, as_of),
        count_cols=["n_found", "n_rectified", "n_on_time", "n_overdue", "n_recurred", "n_reopened", "n_verified",
                    "n_verified_rectified"]))
    kw = data.keyword_counts
    # top 10 terms of all categories pooled, every year of the window; per category, the report year
    top = kw[(kw["rank"] <= 10) & ((kw.category == ALL_CATEGORIES) | (kw.year == year))]
    top = top.assign(_all=top.category != ALL_CATEGORIES).sort_values(["_all", "category", "year", "rank"])
    tables["keywords"] = _guard(lambda: safe(top.drop(columns="_all").reset_index(drop=True), suppress=False))
    pooled = pd.concat([p, p.assign(category=ALL_CATEGORIES)], ignore_index=True)
    tables["rising_keywords"] = _guard(lambda: safe(pr.rising_keywords(kw, pooled, year, by=["category"], top_n=5),
                                                    suppress=False))
    # fewer than k units with problems: the count and the correlation it drives are suppressed
    tables["index_link"] = _guard(lambda: safe(pr.index_link(p, data.scores)
                                               .loc[lambda d: d.aspect.isin(topic.aspects)].reset_index(drop=True),
                                               count_cols=["n_with_problems"]))
    tables["dimension_scores"] = _guard(lambda: safe(_dimension_scores(data, topic, window), suppress=False))
    tables["leaf_summary"] = _guard(lambda: safe(_leaf_summary(data.leaf_values, window), suppress=False))
    if not publish:
        tables["overdue_items"] = _guard(lambda: pr.overdue_items(p, as_of, internal=True))
    return tables


def _dimension_scores(data: TopicData, topic: Topic, window: list[int]) -> pd.DataFrame:
    from ..panel import units_by_year

    sc = data.scores[data.scores.node.isin(topic.dimensions) & data.scores.year.isin(window)]
    reg = units_by_year(data.units, window)[["unit_id", "year", "region"]]
    sc = sc.merge(reg, on=["unit_id", "year"], how="left")
    out = sc.groupby(["node", "region", "year"]).score.agg(n_units="size", mean="mean", median="median").reset_index()
    return out.sort_values(["node", "region", "year"]).reset_index(drop=True)


def _leaf_summary(lv: pd.DataFrame, window: list[int]) -> pd.DataFrame:
    lv = lv[lv.year.isin(window)]
    out = lv.groupby(["indicator", "year"]).value.agg(n_units="size", mean="mean", median="median",
                                                      q25=lambda s: s.quantile(0.25),
                                                      q75=lambda s: s.quantile(0.75)).reset_index()
    return out.sort_values(["indicator", "year"]).reset_index(drop=True)

