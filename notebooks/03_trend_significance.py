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
from analysis import plots, summaries
from analysis.notebook import open_report
from analysis.trends import trend_findings

rp, data, cfg = open_report("03_trend_significance", year=year, config=config, inputs=inputs, warehouse=warehouse,
                            title=("趋势显著性", "Trend significance"), notice=notice)
t, lang, st = rp.t, cfg.lang, cfg.statistics
ix = data.index
tf = trend_findings(ix.scores, ix.quarterly, data.framework, st, year=year)
units, groups = tf.units, tf.groups
root = ix.scores.loc[ix.scores.level == 0, "node"].iloc[0]
units = rp.bilingual(units, columns=("test_reason", "reason", "note"))
groups = rp.bilingual(groups, columns=("test_reason", "reason", "note"))
found = units[units.classification.isin(["improving", "deteriorating"])]
shown = ["unit_id", "node", "region", "type", "test", "n", "slope", "p", "p_adj", "family", "n_family", "classification",
         "test_reason"]

# %% [markdown] tags=["lang-zh"]
# 本报告检验每个单位、每个片区与每类单位的综合指数及各级指标得分是否有显著趋势,并在多重检验下控制错误发现率。
# 检验方法随数据而定:有季度数据的序列用季度(年内累计)数值,年数少于 10 的单位序列用借用同一指标全部单位方差的调节 t 检验,
# 更长的序列用 Mann–Kendall 检验;片区与类型用面板固定效应斜率与区域 Kendall 检验,使整体改善的片区在单个单位序列很短时也能被发现。
# 在当前长度下不可能达到显著的检验标为“此长度下无法检验”,与“无显著趋势”区分开。

# %% [markdown] tags=["lang-en"]
# This report tests whether the composite index and every indicator score of every unit, region and unit
# type has a significant trend, with the false discovery rate controlled. The test follows the data: series
# with quarterly data use their quarterly (year-to-date) values, unit series shorter than 10 years use the
# moderated t-test that borrows the variance of all units of the same indicator, longer series the
# Mann–Kendall test; regions and types are tested with the panel fixed-effects slope and the regional
# Kendall test, so a region improving as a whole is found even where single series are short. A test that
# cannot reach significance at its length is "not testable at this length", never "no trend".

# %%
rp.heading(t("1 主要发现", "1 Findings"))
rp.items(tf.headlines, empty=t("没有显著的趋势。", "No significant trend."))
rp.key("deteriorating_units", found[(found.node == root) & (found.classification == "deteriorating")].unit_id.tolist())
rp.key("improving_units", found[(found.node == root) & (found.classification == "improving")].unit_id.tolist())
rp.key("improving_regions", groups[(groups.node == root) & (groups.group_by == "region")
                                   & (groups.classification == "improving")].group.unique().tolist())

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:为什么同一单位在年度检验中“无法检验”,在季度或借用方差的检验中却可能显著?这样做的前提是什么?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: why can a unit be 'not testable' on yearly data yet significant with quarterly data or a borrowed variance? What does that assume?

# %%
rp.heading(t("2 单位趋势", "2 Unit trends"))
rp.table(summaries.trend_class_counts(tf, lang, data.framework),
         t(f"各指标的单位趋势分类(单位数;错误发现率按 {st.fdr_family} 分族以 {st.fdr_method} 控制)",
           f"Unit trend classes by indicator (number of units; FDR controlled by {st.fdr_method}, families per {st.fdr_family})"),
         name="trend_summary")
rp.table(found[shown], t("有显著趋势的单位 × 指标(检验方法与理由、校正族及其检验数见各列)",
                  "Unit × indicator series with a significant trend (test and why, family and its size in the columns)"),
         name="significant_trends")
top = units.level <= 1  # the index and its dimensions; the findings above cover every level
rp.table(units[top][shown + ["p_min", "testable_at_length", "reason"]],
         t("全部单位的综合指数与各维度趋势检验", "Trend tests of every unit's index and dimensions"), name="unit_trends")

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:把错误发现率的校正族从“每个指标”改为“全部”,显著的单位会变多还是变少?为什么?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: if the FDR family changed from 'per indicator' to 'all', would more or fewer units be significant? Why?

# %%
rp.heading(t("3 片区与单位类型的整体趋势", "3 Trends of regions and unit types as a whole"))
rp.table(groups[groups.node == root][["group_by", "group", "test", "n_units", "slope", "p", "p_adj", "family", "n_family",
                                       "classification", "reason"]], t("综合指数的片区与类型整体趋势(面板固定效应斜率与区域 Kendall 检验)",
                                        "Index trend of each region and type as a whole (panel fixed-effects slope and regional Kendall test)"),
         name="group_trends_index")
rp.table(groups[groups.node.isin(units[top].node)][["group_by", "group", "node", "test", "n_units", "slope", "p", "p_adj", "family",
                                     "n_family", "classification", "reason"]],
         t("各片区与类型在综合指数及各维度上的整体趋势", "Trends of regions and types on the index and its dimensions"),
         name="group_trends")
region_mean = ix.scores[(ix.scores.level == 0) & (ix.scores.year <= year)].groupby(["region", "year"], as_index=False).score.mean()
rp.figure(plots.trend_plot(region_mean, group="region", lang=lang, ylabel=t("平均综合指数", "Mean index")),
          t("各片区平均综合指数的历年变化", "Mean composite index by region over the years"))

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:一个片区整体显著改善,是否意味着该片区每个单位都在改善?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: does a region improving as a whole mean every unit in it improves?

# %%
rp.heading(t("4 突变点", "4 Change points"))
rp.table(tf.change_points[tf.change_points.node == root],
         t("综合指数的突变点检验(Pettitt;仅在此长度下可能显著时检验)",
           "Change points of the index (Pettitt; tested only where it can reject at this length)"), name="change_points")

# %%
rp.heading(t("5 检验的功效", "5 Power of the tests"))
rp.table(tf.power, t(f"各检验在各序列长度下的最小可得 p 值、能否在 α = {st.alpha} 下拒绝(单独与在校正族中),以及最小可检出斜率(功效 0.8,模拟)",
                     f"Smallest attainable p per test and length, whether it can reject at α = {st.alpha} (alone and in its family), "
                     "and the minimum detectable slope (power 0.8, simulated)"), name="power")

# %%
rp.note(t(f"α = {st.alpha};多重检验校正 {st.fdr_method},校正族按 {st.fdr_family}(每行写明其族与族内检验数);"
          "此长度下无法检验的检验不计入校正族(Tarone 1990)。调节 t 检验:Smyth(2004);季节与区域 Kendall 检验:"
          "Hirsch & Slack(1984)、Helsel & Frans(2006),年数不超过 8 时按整年置换求精确 p 值;面板斜率:单位固定效应,"
          "按单位聚类的稳健标准误。最小可检出斜率与各检验的检验水平见 docs/methods.md。",
          f"α = {st.alpha}; adjustment {st.fdr_method}, families per {st.fdr_family} (each row names its family and its size); "
          "tests that cannot reach α at their length are left out of their family (Tarone 1990). Moderated t-test: "
          "Smyth (2004); seasonal and regional Kendall tests: Hirsch & Slack (1984), Helsel & Frans (2006), exact p from "
          "whole-year permutations up to 8 years; panel slope: unit fixed effects, cluster-robust SE by unit. The minimum "
          "detectable slopes and the size of every test are in docs/methods.md."), kind="methods")
