"""The unit diagnosis (单位诊断书): one unit's index, problems, causes and points for attention.

:func:`diagnose` computes everything one diagnosis shows, as DataFrames and numbers, from the
run's inputs; :func:`render` lays it out on a report page in the order of the pilot's
diagnosis: overall situation → prominent problems → analysis of causes → points for attention.
The notebook only calls ``render(rp, diagnose(data, unit_id, year, lang))`` per unit.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .framework import labels
from .panel import units_for_year


@dataclass
class Diagnosis:
    """What one unit's diagnosis shows (every table already cut to the unit)."""

    unit_id: str
    name: str
    type: str
    region: str
    period: str  # "2024" for a year, "2024H1" for a half year
    period_label: str  # 2024 年 / 2024年上半年
    current: pd.Series  # the unit's row of the index in the period: score, rank, n_units, grade ...
    history: pd.DataFrame  # index, ranks and grade over the periods
    changes: pd.DataFrame  # against the previous period and the same period of last year
    uncertainty: pd.Series | None  # rank interval and grade probabilities, when the run has them
    comparison: pd.DataFrame  # period, score, series: the unit, its region's mean, all units' mean
    weakest: pd.DataFrame  # negative list: the leaves furthest below their peers
    problems: pd.DataFrame  # problem counts by aspect and status (no descriptions)
    open_problems: pd.DataFrame  # the problems still to rectify at the period's end (internal: with descriptions)
    attribution: pd.DataFrame  # change on the previous period by dimension
    top_leaves: pd.DataFrame  # the five leaves with the largest contributions
    warnings: pd.DataFrame  # early warnings of the period
    peers: pd.DataFrame  # dimension scores against region and type means


def _period_view(data, year: int, period: str):
    """The index tables on the period's axis: ``(result, index, when, at)`` where ``at(df)`` cuts a
    table of the result to the period and ``when`` labels the periods in ``index``."""
    from .periods import Period

    if period == "Y":
        result = data.index
        index = result.index().assign(when=lambda d: d.year.astype(int).astype(str))
        return result, index, str(year), lambda df: df[df.year == year]
    if getattr(data, "period_index", None) is None:
        raise ValueError(f"本次运行没有 {period} 期别的指数 / the run has no index for period {period}")
    label = str(Period.parse(period, year=year))
    result = data.period_index.result
    index = data.period_index.index().assign(when=lambda d: d.period)
    return result, index, label, lambda df: df[df.period == label]


class _Batch:
    """The tables of a diagnosis batch cut to the period and split by unit once, so that each
    further unit costs a dictionary lookup instead of filters over the whole panel (a national
    run diagnoses thousands of units from tables of millions of rows)."""

    def __init__(self, data, year: int, period: str, lang: str):
        ix, index, self.when, at = _period_view(data, year, period)
        self.names = labels(data.framework, lang)
        self.roster = units_for_year(data.units, year).set_index("unit_id")
        self.index = index[index.when <= self.when]  # labels sort in time order: "2021H2" < "2022H1"
        self.region_mean = self.index.groupby(["region", "when"], as_index=False).score.mean()
        self.all_mean = self.index.groupby("when", as_index=False).score.mean()
        unc = None
        if period == "Y" and data.uncertainty is not None:
            unc = data.uncertainty.ranks[data.uncertainty.ranks.year == year]
        prof = at(ix.profile)
        dims = at(ix.scores[ix.scores.level == 1])
        self.dims_region = dims.groupby(["region", "node"]).score.mean().rename("region_mean")
        self.dims_type = dims.groupby(["type", "node"]).score.mean().rename("type_mean")
        tables = {"index": self.index, "uncertainty": unc, "weak": prof[prof.list == "negative"],
                  "problems": data.problems[data.problems.year == year], "attribution": at(ix.attribution),
                  "warnings": at(ix.early_warnings), "dims": dims}
        # per table: its rows by unit, and its empty frame for a unit without rows (None: the run lacks it)
        self.by_unit = {name: None if frame is None else (dict(tuple(frame.groupby("unit_id", sort=False))),
                                                          frame.iloc[0:0])
                        for name, frame in tables.items()}

    def of(self, name: str, unit_id: str) -> pd.DataFrame | None:
        """The rows of table ``name`` for ``unit_id`` (empty if none; None for a table the run lacks)."""
        entry = self.by_unit[name]
        return None if entry is None else entry[0].get(unit_id, entry[1])


_LAST: list = []  # (data, year, period, lang, batch) of the last batch: the notebook diagnoses one batch


def _batch(data, year: int, period: str, lang: str) -> _Batch:
    if not (_LAST and _LAST[0] is data and _LAST[1:4] == [year, period, lang]):
        _LAST[:] = [data, year, period, lang, _Batch(data, year, period, lang)]
    return _LAST[4]


def diagnose(data, unit_id: str, year: int, lang: str = "zh", period: str = "Y", publish: bool = False,
             k: int = 3) -> Diagnosis:
    """Everything the diagnosis of ``unit_id`` shows for ``year`` (``period="Y"``) or one of its
    half years (``"H1"``, ``"H2"``: from the run's half-yearly index, ``data.period_index``),
    including the change on the previous period and on the same period of last year. The list of
    open problems names each problem (description, deadline, round) in the internal edition; with
    ``publish`` it gives suppressed counts only (:func:`analysis.problems.unit_problem_list`).
    The tables of the run are cut to the period and split by unit once per batch."""
    from .problems import unit_problem_list
    from .periods import Period

    b = _batch(data, year, period, lang)
    names, when = b.names, b.when
    info = b.roster.loc[unit_id]
    own = b.of("index", unit_id).sort_values("when")
    current = own[own.when == when].iloc[0]
    unc = None
    ua = b.of("uncertainty", unit_id)
    if ua is not None:
        unc = ua.iloc[0] if len(ua) and ua.n_runs.iloc[0] > 1 else None
    this = Period.parse(when)
    refs = {"previous": str(this.previous()), "last_year": str(this.same_period_last_year())}
    if period == "Y":
        refs = {"previous": str(year - 1)}
    rows = [{"compared_with": kind, "period": ref, "score_then": got.score.iloc[0], "grade_then": got.grade.iloc[0],
             "score": current.score, "grade": current.grade, "change": current.score - got.score.iloc[0]}
            for kind, ref in refs.items() for got in [own[own.when == ref]] if len(got)]
    changes = pd.DataFrame(rows, columns=["compared_with", "period", "score_then", "grade_then", "score", "grade", "change"])
    region_mean = b.region_mean[b.region_mean.region == info["region"]][["when", "score"]]
    comparison = pd.concat([own[["when", "score"]].assign(series="unit"), region_mean.assign(series="region"),
                            b.all_mean.assign(series="all")], ignore_index=True)
    comparison = comparison.rename(columns={"when": "period"})
    weak = b.of("weak", unit_id)
    weak = weak.assign(name=weak.indicator.map(lambda c: names.get(c, c)))
    weak = weak[[c for c in ("position", "indicator", "name", "value", "normalised", "peer_mean", "z") if c in weak]]
    probs = b.of("problems", unit_id)
    by_aspect = (probs.assign(aspect_name=probs.aspect.map(lambda c: names.get(c, c)))
                 .groupby(["aspect", "aspect_name", "status"]).size().rename("n").reset_index())
    end = this.end_date()
    open_problems = unit_problem_list(data.problems, unit_id, end, history=data.status_history,
                                      rounds=data.inspection_rounds, publish=publish, k=k, lang=lang)
    att = b.of("attribution", unit_id)
    att = att.assign(component_name=att.component.map(lambda c: names.get(c, c)))
    leaves = att[att.kind == "leaf"]
    top = leaves.reindex(leaves.contribution.abs().sort_values(ascending=False).index).head(5)
    warn = b.of("warnings", unit_id)
    mine = b.of("dims", unit_id)[["node", "score"]].assign(dimension=lambda d: d.node.map(lambda c: names.get(c, c)))
    peers = (mine.merge(b.dims_region.loc[info["region"]], on="node")
                 .merge(b.dims_type.loc[info["type"]], on="node"))
    history = own.drop(columns=["period"], errors="ignore").rename(columns={"when": "period"})[["period", "score", "rank", "rank_in_type", "rank_in_region", "grade",
                                                       "red_line_codes"]]
    from_col = "from_year" if period == "Y" else "from_period"
    return Diagnosis(
        unit_id=str(unit_id), name=str(info.get(f"name_{lang}", "")), type=str(info["type"]), region=str(info["region"]),
        period=when, period_label=f"{year} 年" if period == "Y" and lang == "zh" else this.label(lang),
        current=current, history=history.reset_index(drop=True), changes=changes, uncertainty=unc, comparison=comparison,
        weakest=weak.reset_index(drop=True), problems=by_aspect, open_problems=open_problems,
        attribution=att[att.kind != "leaf"][[from_col, "component", "component_name", "change", "contribution", "share"]],
        top_leaves=top[["component", "component_name", "contribution"]].reset_index(drop=True),
        warnings=warn.reset_index(drop=True), peers=peers[["node", "dimension", "score", "region_mean", "type_mean"]])


def section_titles(data, unit_ids: list[str], year: int, lang: str = "zh") -> list[tuple[str, str]]:
    """``(unit_id, "code name")`` for the unit sections of a diagnosis batch."""
    roster = units_for_year(data.units, year).set_index("unit_id")[f"name_{lang}"]
    return [(u, f"{u} {roster.get(u, '')}".strip()) for u in unit_ids]


def render(rp, d: Diagnosis) -> None:
    """Lay one diagnosis out on the report page (the four parts of the pilot's diagnosis)."""
    from . import plots

    from .glossary import value_label

    t, lang, cur = rp.t, rp.lang, d.current
    who = rp.label(d.unit_id, d.name)
    kind = value_label(d.type, lang, column="type")
    rp.heading(t("一、总体情况", "1 Overall situation"), level=3)
    rp.text(t(f"{who}({kind},{d.region} 片区){d.period_label}综合指数 {cur.score:.1f},"
              f"在 {cur.n_units} 个单位中排第 {cur['rank']} 名,等级 {plots.grade_label(cur.grade, 'zh')}。",
              f"{who} ({kind}, region {d.region}): index {cur.score:.1f} in {d.period_label}, "
              f"rank {cur['rank']} of {cur.n_units}, grade {plots.grade_label(cur.grade, 'en')}."))
    rp.key("score", cur.score)
    rp.key("rank", cur["rank"])
    rp.key("grade", cur.grade)
    # the index page's unit finder links here as <page>#tbl-<unit>-history
    rp.table(d.history, t("各期综合指数、排名与等级", "Index, ranks and grade over the periods"), name="history",
             anchor="history")
    rp.table(d.changes, t("与上一期及上年同期比较", "Against the previous period and the same period of last year"),
             name="changes", grade_cols=("grade", "grade_then"))
    if d.uncertainty is not None:
        r = d.uncertainty
        rp.text(t(f"不确定性分析({int(r.n_runs)} 次蒙特卡洛运行,权重、标准化、汇总与缺失值处理方法随机变化):名次中位数 {r.median_rank:.0f},"
                  f"90% 名次区间 [{r.rank_p05:.0f}, {r.rank_p95:.0f}];等级为绿、蓝、黄、红的概率分别为 "
                  f"{r.p_green:.0%}、{r.p_blue:.0%}、{r.p_yellow:.0%}、{r.p_red:.0%}。",
                  f"Uncertainty analysis ({int(r.n_runs)} Monte Carlo runs varying weights, normalisation, aggregation and "
                  f"imputation): median rank {r.median_rank:.0f}, 90% rank interval [{r.rank_p05:.0f}, {r.rank_p95:.0f}]; "
                  f"probability of grade green {r.p_green:.0%}, blue {r.p_blue:.0%}, yellow {r.p_yellow:.0%}, red {r.p_red:.0%}."))
        rp.key("rank_p05", r.rank_p05)
        rp.key("rank_p95", r.rank_p95)
    series = {"unit": rp.label(d.unit_id), "region": t(f"{d.region} 片区平均", f"region {d.region} mean"),
              "all": t("全部单位平均", "all units")}
    rp.figure(plots.trend_plot(d.comparison.assign(series=d.comparison.series.map(series)), x="period", group="series", lang=lang,
                               ylabel=t("综合指数", "Composite index")),
              t("综合指数与片区、全体平均的比较", "Index against the regional and overall means"))

    rp.heading(t("二、突出问题", "2 Prominent problems"), level=3)
    rp.table(d.weakest, t("负面清单:标准化得分最低的监测点", "Negative list: the monitoring points with the lowest normalised scores"),
             name="negative_list")
    rp.table(d.problems, t("问题清单:按方面与整改状态计数", "Problem list: counts by aspect and rectification status"),
             name="problems")
    rp.table(d.open_problems, t("期末尚未整改的问题(逾期在前)" if not rp.publish else "期末尚未整改的问题数(按轮次与类别,小数已抑制)",
                                "Problems still open at the end of the period (overdue first)" if not rp.publish
                                else "Open problems by round and category (small counts suppressed)"),
             name="open_problems")

    rp.heading(t("三、原因分析", "3 Analysis of causes"), level=3)
    rp.table(d.attribution, t("指数变化按维度的归因(贡献之和加交互项等于变化)",
                              "Attribution of the index change to dimensions (contributions plus interaction = change)"),
             name="attribution")
    rp.table(d.top_leaves, t("贡献最大的五个监测点(正为拉高,负为拉低)",
                             "The five monitoring points with the largest contributions (positive raises, negative lowers)"),
             name="attribution_leaves")

    rp.heading(t("四、需关注事项", "4 Points for attention"), level=3)
    warn = rp.bilingual(d.warnings)
    rp.key("n_warnings", len(warn))
    rp.table(warn[["period", "kind", "indicator", "value", "previous"] + ([] if rp.publish else ["message"])],
             t("本期预警事项", "Early warnings in this period"), name="warnings")
    rp.table(d.peers, t("各维度得分与所在片区、同类单位平均的比较",
                        "Dimension scores against the means of the region and of the same type"), name="peers")
