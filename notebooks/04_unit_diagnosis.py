# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: analysis (Python 3)
#     language: python
#     name: analysis
# ---

# %% tags=["parameters"]
year: int = 2024  # 统计年度 / year of the report
warehouse: str = "../data/warehouse.duckdb"  # 数据仓库 / warehouse file
run_config: str = ""  # 运行配置,空为 data/config/run.yaml / run config, empty for the default
scoring_config: str = ""  # 指数配置,空为运行配置中的 scoring.config / index config, empty for the default
lang: str = "zh"  # 报告语言 zh|en / report language
publish: bool = False  # 发布模式 / publication-safe mode

units: list[str] = []  # 本批诊断的单位代码,空为当年全部单位 / unit codes of this batch, empty for all units

# %%
import pandas as pd

from analysis import plots
from analysis.panel import units_for_year
from analysis.runner import start_report

rp, data, cfg = start_report("04_unit_diagnosis", "单位诊断书", "Unit diagnosis", year=year, lang=lang,
                             warehouse=warehouse, run_config=run_config, scoring_config=scoring_config, publish=publish)
t = rp.t
name = f"name_{lang}"
ix = data.index
label = data.framework.drop_duplicates("code", keep="last").set_index("code")[name]
roster = units_for_year(data.units, year).set_index("unit_id")
index = ix.index()
dims = ix.scores[ix.scores.level == 1].assign(dimension=lambda d: d.node.map(lambda c: label.get(c, c)))
batch = units or roster.index.tolist()

# %% [markdown] tags=["lang-zh"]
# 诊断书按“总体情况 → 突出问题 → 原因分析 → 需关注事项”的顺序,给出单位的综合指数、等级与排名的历年变化,
# 最弱的监测点与问题清单,指数变化按维度的归因,预警事项,并与所在片区和同类单位比较。

# %% [markdown] tags=["lang-en"]
# Each diagnosis follows "overall situation → prominent problems → analysis of causes → points for
# attention": the unit's index, grade and rank over the years, its weakest monitoring points and
# problem list, the attribution of the index change to dimensions, early warnings, and a
# comparison with its region and with units of the same type.


# %%
def diagnose(unit_id: str) -> None:
    info = roster.loc[unit_id]
    own = index[index.unit_id == unit_id].sort_values("year")
    cur = own[own.year == year].iloc[0]
    rp.heading(t("一、总体情况", "1 Overall situation"), level=3)
    rp.text(t(f"{rp.label(unit_id, info[name])}({info['type']},{info['region']} 片区){year} 年综合指数 {cur.score:.1f},"
              f"在 {cur.n_units} 个单位中排第 {cur['rank']} 名,等级 {plots.grade_label(cur.grade, 'zh')}。",
              f"{rp.label(unit_id, info[name])} ({info['type']}, region {info['region']}): index {cur.score:.1f} in {year}, "
              f"rank {cur['rank']} of {cur.n_units}, grade {plots.grade_label(cur.grade, 'en')}."))
    rp.key("score", cur.score)
    rp.key("rank", cur["rank"])
    rp.key("grade", cur.grade)
    rp.table(own[["year", "score", "rank", "rank_in_type", "rank_in_region", "grade", "red_line_codes"]],
             t("历年综合指数、排名与等级", "Index, ranks and grade over the years"), name="history")
    ua = data.uncertainty.ranks
    ua = ua[(ua.unit_id == unit_id) & (ua.year == year)]
    if len(ua) and ua.n_runs.iloc[0] > 1:
        r = ua.iloc[0]
        rp.text(t(f"不确定性分析({int(r.n_runs)} 次蒙特卡洛运行,权重、标准化、汇总与缺失值处理方法随机变化):名次中位数 {r.median_rank:.0f},"
                  f"90% 名次区间 [{r.rank_p05:.0f}, {r.rank_p95:.0f}];等级为绿、蓝、黄、红的概率分别为 "
                  f"{r.p_green:.0%}、{r.p_blue:.0%}、{r.p_yellow:.0%}、{r.p_red:.0%}。",
                  f"Uncertainty analysis ({int(r.n_runs)} Monte Carlo runs varying weights, normalisation, aggregation and "
                  f"imputation): median rank {r.median_rank:.0f}, 90% rank interval [{r.rank_p05:.0f}, {r.rank_p95:.0f}]; "
                  f"probability of grade green {r.p_green:.0%}, blue {r.p_blue:.0%}, yellow {r.p_yellow:.0%}, red {r.p_red:.0%}."))
        rp.key("rank_p05", r.rank_p05)
        rp.key("rank_p95", r.rank_p95)
    region_mean = index[index.region == info["region"]].groupby("year", as_index=False).score.mean()
    lines = pd.concat([own[["year", "score"]].assign(series=rp.label(unit_id)),
                       region_mean.assign(series=t(f"{info['region']} 片区平均", f"region {info['region']} mean")),
                       index.groupby("year", as_index=False).score.mean().assign(series=t("全部单位平均", "all units"))])
    rp.figure(plots.trend_plot(lines, group="series", lang=lang, ylabel=t("综合指数", "Composite index")),
              t("综合指数与片区、全体平均的比较", "Index against the regional and overall means"))

    rp.heading(t("二、突出问题", "2 Prominent problems"), level=3)
    weak = ix.profile[(ix.profile.unit_id == unit_id) & (ix.profile.year == year) & (ix.profile.list == "negative")]
    rp.table(weak.assign(name=weak.indicator.map(lambda c: label.get(c, c)))[["position", "indicator", "name", "value", "normalised"]],
             t("负面清单:标准化得分最低的监测点", "Negative list: the monitoring points with the lowest normalised scores"),
             name="negative_list")
    probs = data.problems[(data.problems.unit_id == unit_id) & (data.problems.year == year)]
    by_aspect = (probs.assign(aspect_name=probs.aspect.map(lambda c: label.get(c, c)))
                 .groupby(["aspect", "aspect_name", "status"]).size().rename("n").reset_index())
    rp.table(by_aspect, t("问题清单:按方面与整改状态计数(不含问题描述)", "Problem list: counts by aspect and rectification status (no descriptions)"),
             name="problems")

    rp.heading(t("三、原因分析", "3 Analysis of causes"), level=3)
    att = ix.attribution[(ix.attribution.unit_id == unit_id) & (ix.attribution.year == year)]
    top = att[att.kind != "leaf"].assign(component_name=lambda d: d.component.map(lambda c: label.get(c, c)))
    rp.table(top[["from_year", "component", "component_name", "change", "contribution", "share"]],
             t("指数变化按维度的归因(贡献之和加交互项等于变化)", "Attribution of the index change to dimensions (contributions plus interaction = change)"),
             name="attribution")
    leaves = att[att.kind == "leaf"].reindex(att[att.kind == "leaf"].contribution.abs().sort_values(ascending=False).index).head(5)
    rp.table(leaves.assign(component_name=leaves.component.map(lambda c: label.get(c, c)))[["component", "component_name", "contribution"]],
             t("贡献最大的五个监测点(正为拉高,负为拉低)", "The five monitoring points with the largest contributions (positive raises, negative lowers)"),
             name="attribution_leaves")

    rp.heading(t("四、需关注事项", "4 Points for attention"), level=3)
    warn = rp.bilingual(ix.early_warnings[(ix.early_warnings.unit_id == unit_id) & (ix.early_warnings.year == year)])
    rp.key("n_warnings", len(warn))
    rp.table(warn[["period", "kind", "indicator", "value", "previous"] + ([] if publish else ["message"])],
             t("本年预警事项", "Early warnings this year"), name="warnings")
    mine = dims[(dims.unit_id == unit_id) & (dims.year == year)][["node", "dimension", "score"]]
    peers = dims[dims.year == year]
    comp = (mine.merge(peers[peers.region == info["region"]].groupby("node").score.mean().rename("region_mean"), on="node")
                .merge(peers[peers.type == info["type"]].groupby("node").score.mean().rename("type_mean"), on="node"))
    rp.table(comp, t("各维度得分与所在片区、同类单位平均的比较", "Dimension scores against the means of the region and of the same type"),
             name="peers")


# %%
status = rp.unit_sections([(u, f"{u} {roster.loc[u, name] if u in roster.index else ''}") for u in batch], diagnose)
