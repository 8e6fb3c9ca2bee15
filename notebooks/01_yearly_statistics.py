# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
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

# %%
import pandas as pd

from analysis import plots, yearly
from analysis.framework import root
from analysis.panel import units_for_year
from analysis.runner import start_report
from analysis.scoring.grades import assign_grades

rp, data, cfg = start_report("01_yearly_statistics", "年度统计与综合指数", "Yearly statistics and composite index",
                             year=year, lang=lang, warehouse=warehouse, run_config=run_config,
                             scoring_config=scoring_config, publish=publish)
t = rp.t
name = f"name_{lang}"
ix = data.index
units = units_for_year(data.units, year)[["unit_id", name, "type", "region"]]
label = data.framework.drop_duplicates("code", keep="last").set_index("code")[name]
index = ix.index().merge(units, on=["unit_id", "type", "region"], how="left")
now = index[index.year == year].sort_values("rank")

# %% [markdown] tags=["lang-zh"]
# 本报告给出本年度各单位的政治生态综合指数、排名与四色等级,各维度得分的四色热力图,排名变化,
# 各维度对指数变化的贡献,正面清单与负面清单,以及预警信息。指数的计算方法与全部设定见文末方法说明与运行清单(manifest.json)。

# %% [markdown] tags=["lang-en"]
# This report gives every unit's composite political-ecology index for the year with its rank and
# four-colour grade, a heat map of the dimension scores, rank changes, the contribution of each
# dimension to the change of the index, the positive and negative lists, and the early warnings.
# The method and every setting are in the methods note at the end and in the run manifest (manifest.json).

# %%
rp.heading(t("1 综合指数与等级", "1 Composite index and grades"))
counts = now.grade.value_counts().reindex(list(plots.GRADES)).fillna(0).astype(int)
rp.key("n_units", len(now))
rp.key("grade_counts", counts.to_dict())
rp.key("mean_score", now.score.mean())
rp.text(t(f"{year} 年共评价 {len(now)} 个单位,平均指数 {now.score.mean():.1f};"
          + "、".join(f"{plots.grade_label(g, 'zh')} {n} 个" for g, n in counts.items()) + "。",
          f"{len(now)} units were assessed in {year}; mean index {now.score.mean():.1f}; "
          + ", ".join(f"{plots.grade_label(g, 'en')}: {n}" for g, n in counts.items()) + "."))
prev = index[index.year == year - 1][["unit_id", "rank"]].rename(columns={"rank": "rank_prev"})
table = now.merge(prev, on="unit_id", how="left").assign(rank_change=lambda d: d.rank_prev - d["rank"])
rp.table(table[["unit_id", name, "type", "region", "score", "rank", "rank_change", "grade", "red_line_codes"]],
         t("各单位综合指数、排名(1 为最好)、排名变化(正数为上升)与等级", "Index, rank (1 = best), rank change (positive = up) and grade of every unit"),
         name="index")
fig = plots.kde_plot(index[index.year == year], "score", group="type", lang=lang,
                     xlabel=t("综合指数", "Composite index"))
rp.figure(fig, t(f"{year} 年综合指数的分布(按单位类型)", f"Distribution of the index in {year}, by unit type"))

# %%
rp.heading(t("2 四色热力图:单位 × 维度", "2 Four-colour heat map: units × dimensions"))
dims = ix.scores[ix.scores.level == 1]
dim_grades = pd.concat([assign_grades(g[["unit_id", "year", "score"]], ix.model.config.grades).assign(node=n)
                        for n, g in dims.groupby("node")])
cur = dim_grades[dim_grades.year == year].merge(now[["unit_id", "rank"]], on="unit_id")
order = now.unit_id.tolist()
grid = cur.pivot(index="unit_id", columns="node", values="grade").reindex(order)
scores = cur.pivot(index="unit_id", columns="node", values="score").reindex(order)
grid.columns = scores.columns = [label.get(c, c) for c in grid.columns]
grid.index = scores.index = [rp.label(u, n) for u, n in zip(order, units.set_index("unit_id").reindex(order)[name])]
fig = plots.grade_heatmap(grid, scores, lang=lang)
rp.figure(fig, t("各单位各维度得分与等级(按综合排名排序;字母 A–D 即绿、蓝、黄、红)",
                 "Dimension scores and grades of every unit (sorted by overall rank; letters A–D = green, blue, yellow, red)"))

# %%
rp.heading(t("3 排名变化", "3 Rank changes"))
movers = table.dropna(subset=["rank_change"]).sort_values("rank_change")
highlight = pd.concat([movers.head(3), movers.tail(3)]).unit_id.tolist()
fig = plots.rank_plot(index.assign(unit=index.unit_id.map(rp.label)), unit="unit",
                      highlight=[rp.label(u) for u in highlight], lang=lang)
rp.figure(fig, t("综合排名的历年变化(突出显示本年上升与下降最多的单位)",
                 "Overall rank over the years (highlighted: the units that rose and fell most this year)"))
rp.key("largest_rise", movers.tail(1).unit_id.tolist())
rp.key("largest_fall", movers.head(1).unit_id.tolist())

# %%
rp.heading(t("4 各维度对指数变化的贡献", "4 Contribution of each dimension to the change"))
att = ix.attribution[(ix.attribution.year == year) & (ix.attribution.kind != "leaf")]
share = (att.assign(component=att.component.map(lambda c: label.get(c, c)))
            .groupby("component").contribution.agg(["mean", "sum"]).reset_index()
            .rename(columns={"mean": t("平均贡献", "mean contribution"), "sum": t("贡献合计", "total contribution")}))
rp.table(share, t(f"{year - 1}→{year} 年指数变化按维度的分解(各单位平均与合计;交互项单列)",
                  f"Change {year - 1}→{year} decomposed by dimension (mean and total over units; interaction shown separately)"),
         name="attribution_by_dimension")

# %%
rp.heading(t("5 正面清单与负面清单", "5 Positive and negative lists"))
prof = ix.profile[ix.profile.year == year]
lists = (prof.assign(indicator_name=prof.indicator.map(lambda c: label.get(c, c)))
             .groupby(["list", "indicator", "indicator_name"]).unit_id.count().rename("n_units").reset_index()
             .sort_values(["list", "n_units"], ascending=[True, False]))
rp.table(lists, t("各监测点进入单位正面清单(最强项)与负面清单(最弱项)的次数",
                  "How often each monitoring point is among a unit's strongest (positive list) and weakest (negative list) items"),
         name="lists")

# %%
rp.heading(t("6 预警", "6 Early warnings"))
warn = rp.bilingual(ix.early_warnings[ix.early_warnings.year == year])
rp.key("n_warnings", len(warn))
rp.table(warn[["unit_id", "period", "kind", "indicator", "value", "previous", "robust_z"] + ([] if publish else ["message"])],
         t(f"{year} 年预警(等级下降、红线事项、异常变化)", f"Early warnings in {year} (grade drops, red lines, unusual changes)"),
         name="early_warnings")

# %%
rp.note(t("综合指数按运行配置中的指数配置计算:监测点先按方向标准化,再按框架权重逐级汇总;等级按配置的分位数或固定阈值划分,"
          "红线事项一票否决为红色。排名 1 为最好,并列取最小名次。维度等级按同一分级规则用于各维度得分。贡献分解为两点 Shapley 值"
          "(Shorrocks 2013),不可分解的部分列为交互项。",
          "The index follows the index config named in the run config: monitoring points are normalised by direction, "
          "then aggregated level by level with the framework weights; grades follow the configured quantiles or fixed "
          "cut-offs, a red-line event makes the grade red. Rank 1 is best, ties share the lowest rank. Dimension grades "
          "apply the same rule to dimension scores. The decomposition is the two-point Shapley value (Shorrocks 2013); "
          "what cannot be attributed is shown as the interaction term."), kind="methods")
