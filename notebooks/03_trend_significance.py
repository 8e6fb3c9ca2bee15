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
config: dict = {}  # 运行配置(analysis run 注入),空为 data/config/run.yaml / effective run config, empty for the default file
inputs: str = ""  # 本次运行的共享输入(analysis run 注入),空为现算 / the run's shared inputs, empty to compute them here
warehouse: str = ""  # 数据仓库,空为 data/warehouse.duckdb / warehouse file, empty for the default
notice: str = ""  # 运行提示(如覆盖率低)/ run notice, e.g. low coverage

# %%
from analysis import plots
from analysis.framework import labels
from analysis.notebook import open_report
from analysis.trends import classify_trends, panel_trend, pettitt, region_trend_difference

rp, data, cfg = open_report("03_trend_significance", year=year, config=config, inputs=inputs, warehouse=warehouse,
                            title=("趋势显著性", "Trend significance"), notice=notice)
t, lang, st = rp.t, cfg.lang, cfg.statistics
alpha, adjust = st.alpha, st.fdr_method
ix = data.index
label = labels(data.framework, lang)
scores = ix.scores[(ix.scores.year <= year) & (ix.scores.level <= 1)]
first = int(scores.year.min())

# %% [markdown] tags=["lang-zh"]
# 本报告对每个单位与片区的综合指数及各维度得分做趋势检验(Mann–Kendall 检验与 Sen 斜率),并控制错误发现率,
# 将每条序列归为改善、恶化、无显著趋势或无法检验;再检验突变点(Pettitt 检验)与面板共同趋势。

# %% [markdown] tags=["lang-en"]
# This report tests the trend of the composite index and every dimension score of every unit and
# region (Mann–Kendall test with Sen's slope) under false-discovery-rate control, classifies each
# series as improving, deteriorating, no significant trend or not testable, then tests for change
# points (Pettitt) and common panel trends.

# %%
rp.heading(t("1 单位趋势分类", "1 Unit trends"))
unit_trends = rp.bilingual(classify_trends(scores, series=("unit_id", "node"), value="score", family="node",
                                           alpha=alpha, adjust=adjust))
unit_trends["node_name"] = unit_trends.node.map(label)
summary = unit_trends.groupby(["node", "node_name", "classification"]).size().unstack(fill_value=0).reset_index()
rp.table(summary, t(f"{first}–{year} 年各节点的趋势分类(单位数;FDR 按节点分族控制)",
                    f"Trend classes by node, {first}–{year} (number of units; FDR controlled per node)"), name="trend_summary")
root_code = ix.scores.loc[ix.scores.level == 0, "node"].iloc[0]
root_trends = unit_trends[unit_trends.node == root_code]
rp.key("improving_units", root_trends.loc[root_trends.classification == "improving", "unit_id"].tolist())
rp.key("deteriorating_units", root_trends.loc[root_trends.classification == "deteriorating", "unit_id"].tolist())
rp.table(unit_trends[unit_trends.classification.isin(["improving", "deteriorating"])]
         [["unit_id", "node", "node_name", "n", "slope", "ci_low", "ci_high", "p", "p_adj", "classification"]],
         t("有显著趋势的单位 × 节点(Sen 斜率,每年分)", "Unit × node series with a significant trend (Sen's slope, points per year)"),
         name="significant_trends")
rp.table(unit_trends, t("全部单位 × 节点的趋势检验结果", "Trend tests of every unit × node series"), name="unit_trends",
         max_rows=100)

# %%
rp.heading(t("2 片区趋势", "2 Regional trends"))
root_scores = ix.scores[(ix.scores.level == 0) & (ix.scores.year <= year)]
region_mean = root_scores.groupby(["region", "year"], as_index=False).score.mean()
region_trends = rp.bilingual(classify_trends(region_mean.assign(node=root_code), series=("region",), value="score",
                                             alpha=alpha, adjust=adjust))
rp.table(region_trends, t("各片区平均综合指数的趋势(Mann–Kendall,FDR 校正)",
                          "Trend of each region's mean index (Mann–Kendall, FDR-adjusted)"), name="region_trends")
rp.table(rp.bilingual(panel_trend(root_scores, by="region", alpha=alpha)),
         t("各片区的面板趋势(单位固定效应,按单位聚类的稳健标准误)",
           "Panel trend by region (unit fixed effects, cluster-robust SE by unit)"), name="panel_trends")
rp.table(rp.bilingual(region_trend_difference(root_scores)),
         t("片区趋势是否不同(片区 × 年度交互项的联合 Wald 检验)", "Do regional trends differ? (joint Wald test of region × year)"),
         name="region_trend_difference")
fig = plots.trend_plot(region_mean, group="region", lang=lang, ylabel=t("平均综合指数", "Mean index"))
rp.figure(fig, t("各片区平均综合指数的历年变化", "Mean composite index by region over the years"))

# %%
rp.heading(t("3 突变点", "3 Change points"))
cps = rp.bilingual(pettitt(root_scores, value="score", by="unit_id", alpha=alpha))
rp.table(cps.sort_values("p") if "p" in cps else cps, t("综合指数的突变点检验(Pettitt)", "Change points of the index (Pettitt test)"),
         name="change_points")

# %%
rp.note(t(f"Mann–Kendall 检验(变体见表中 variant 列)与 Sen 斜率;错误发现率按 {adjust} 在每个节点内控制,α = {alpha}。"
          "负向指标下降视为改善。少于检验所需年数的序列标为“无法检验”并说明原因。Pettitt(1979)突变点检验;"
          "面板趋势为单位固定效应回归,按单位聚类的稳健标准误。",
          f"Mann–Kendall test (the variant column names the variant) with Sen's slope; the false discovery rate is "
          f"controlled by {adjust} within each node, α = {alpha}. A falling negative indicator is an improvement. Series "
          "too short to test are 'not testable' with the reason. Pettitt (1979) change-point test; panel trends are unit "
          "fixed-effects regressions with cluster-robust SE by unit."), kind="methods")
