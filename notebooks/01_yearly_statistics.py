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
config: dict = {}  # 运行配置(analysis run 注入),空为 data/config/run.yaml / effective run config, empty for the default file
inputs: str = ""  # 本次运行的共享输入(analysis run 注入),空为现算 / the run's shared inputs, empty to compute them here
warehouse: str = ""  # 数据仓库,空为 data/warehouse.duckdb / warehouse file, empty for the default
notice: str = ""  # 运行提示(如覆盖率低)/ run notice, e.g. low coverage
compare_with: int = 0  # 与之比较的年度(0 为不比较)/ a year to compare with (0: none)

# %%
from analysis import plots, summaries
from analysis.notebook import open_report

rp, data, cfg = open_report("01_yearly_statistics", year=year, config=config, inputs=inputs, warehouse=warehouse,
                            title=("年度统计与综合指数", "Yearly statistics and composite index"), notice=notice)
t, lang = rp.t, cfg.lang
table = summaries.index_table(data, year, lang)
counts = summaries.grade_counts(table)
risers, fallers = summaries.movers(table)

# %% [markdown] tags=["lang-zh"]
# 本报告给出本年度各单位的政治生态综合指数、排名与四色等级,各维度得分的四色热力图,排名变化,
# 各维度对指数变化的贡献,正面清单与负面清单,案件等计数指标的年度合计与同比变化,以及预警信息。
# 指数的计算方法与全部设定见文末方法说明与运行清单(manifest.json)。

# %% [markdown] tags=["lang-en"]
# This report gives every unit's composite political-ecology index for the year with its rank and
# four-colour grade, a heat map of the dimension scores, rank changes, the contribution of each
# dimension to the change of the index, the positive and negative lists, the yearly totals of the
# count indicators with their year-on-year change, and the early warnings. The method and every
# setting are in the methods note at the end and in the run manifest (manifest.json).

# %%
rp.heading(t("1 综合指数与等级", "1 Composite index and grades"))
rp.key_numbers(n_units=len(table), grade_counts=counts.to_dict(), mean_score=table.score.mean())
rp.text(summaries.grade_sentence(table, year, lang))
rp.table(table, t("各单位综合指数、排名(1 为最好)、排名变化(正数为上升)与等级",
                  "Index, rank (1 = best), rank change (positive = up) and grade of every unit"), name="index")
rp.figure(plots.kde_plot(table, "score", group="type", lang=lang, xlabel=t("综合指数", "Composite index")),
          t(f"{year} 年综合指数的分布(按单位类型)", f"Distribution of the index in {year}, by unit type"))

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:在表 1 中按“单位类型”筛选,比较区县与市直部门的等级分布;这种差异能否说明两类单位的政治生态不同?还需要哪些信息?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: filter Table 1 by unit type and compare the grade mix of counties and departments. Does the difference show that their political ecology differs? What else would you need to know?

# %%
rp.heading(t("2 四色热力图:单位 × 维度", "2 Four-colour heat map: units × dimensions"))
grid, scores = summaries.dimension_grid(data, year, table.unit_id.tolist(), lang, unit_label=rp.label)
rp.figure(plots.grade_heatmap(grid, scores, lang=lang),
          t("各单位各维度得分与等级(按综合排名排序;字母 A–D 即绿、蓝、黄、红)",
            "Dimension scores and grades of every unit (sorted by overall rank; letters A–D = green, blue, yellow, red)"))
rp.table(summaries.dimension_table(data, year, table.unit_id.tolist(), lang),
         t("各单位各维度得分与等级(按综合排名排序;可按维度筛选、按得分排序)",
           "Dimension score and grade of every unit (sorted by overall rank; filter by dimension, sort by score)"),
         name="dimension_grades")

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:热力图中哪一个维度拉低的单位最多?试从指标体系中找出该维度包含的监测点。

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: which dimension pulls down the most units in the heat map? Find its monitoring points in the indicator framework.

# %%
rp.heading(t("3 排名变化", "3 Rank changes"))
ranks = data.index.index()
rp.figure(plots.rank_plot(ranks.assign(unit=ranks.unit_id.map(rp.label)), unit="unit",
                          highlight=[rp.label(u) for u in risers + fallers], lang=lang),
          t("综合排名的历年变化(突出显示本年上升与下降最多的单位)",
            "Overall rank over the years (highlighted: the units that rose and fell most this year)"))
rp.key_numbers(largest_rise=risers[:1], largest_fall=fallers[:1])

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:排名上升最多的单位,其综合指数是否也上升最多?为什么排名变化与得分变化可以不一致?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: did the unit that rose most in rank also gain most in score? Why can rank changes and score changes disagree?

# %%
rp.heading(t("4 各维度对指数变化的贡献", "4 Contribution of each dimension to the change"))
rp.table(summaries.attribution_by_dimension(data, year, lang),
         t(f"{year - 1}→{year} 年指数变化按维度的分解(各单位平均与合计;交互项单列)",
           f"Change {year - 1}→{year} decomposed by dimension (mean and total over units; interaction shown separately)"),
         name="attribution_by_dimension")

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:交互项为什么接近 0?在什么汇总方法下它会明显不为 0?(提示:见方法说明)

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: why is the interaction term close to 0? Under which aggregation would it not be? (Hint: see the methods note.)

# %%
rp.heading(t("5 正面清单与负面清单", "5 Positive and negative lists"))
rp.table(summaries.list_counts(data, year, lang),
         t("各监测点进入单位正面清单(最强项)与负面清单(最弱项)的次数",
           "How often each monitoring point is among a unit's strongest (positive list) and weakest (negative list) items"),
         name="lists")

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:负面清单中出现最多的监测点,是否在所有单位中都偏低?“与同伴比较”的排序方式为什么更公平?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: is the monitoring point that appears most in the negative lists low for every unit? Why is ranking against peers fairer?

# %%
rp.heading(t("6 计数指标的年度合计与同比变化", "6 Yearly totals of the count indicators"))
rp.table(summaries.count_totals(data, year, lang),
         t(f"{year} 年各计数监测点全部单位合计(未除以人数)与上年比较",
           f"Totals over all units of the count monitoring points in {year} (before denominators), against last year"),
         name="count_totals")

# %%
rp.heading(t("7 预警", "7 Early warnings"))
warn = rp.bilingual(summaries.year_warnings(data, year, cfg.publish))
rp.key("n_warnings", len(warn))
rp.table(warn, t(f"{year} 年预警(等级下降、红线事项、异常变化)", f"Early warnings in {year} (grade drops, red lines, unusual changes)"),
         name="early_warnings")

# %%
if compare_with:
    rp.heading(t(f"8 {compare_with} 年与 {year} 年比较", f"8 {compare_with} against {year}"))
    changed, by_dimension = summaries.compare_years(data, compare_with, year, lang)
    rp.table(by_dimension, t(f"各维度平均得分与对综合指数变化的平均贡献({compare_with}→{year})",
                             f"Mean dimension scores and mean contributions to the change ({compare_with}→{year})"),
             name="comparison_by_dimension")
    rp.table(changed, t("各单位综合指数变化及其按维度的精确分解(各维度贡献与交互项之和等于变化)",
                        "Change of every unit's index, decomposed exactly by dimension (contributions plus interaction = change)"),
             name="comparison_units")

# %%
rp.note(t("综合指数按运行配置中的指数配置计算:监测点先按方向标准化,再按框架权重逐级汇总;等级按配置的分位数或固定阈值划分,"
          "红线事项一票否决为红色。排名 1 为最好,并列取最小名次。维度等级按同一分级规则用于各维度得分。贡献分解为两点 Shapley 值"
          "(Shorrocks 2013),不可分解的部分列为交互项。计数指标的合计为各单位原始计数之和;同比变化按指标方向判断改善或恶化。",
          "The index follows the index config named in the run config: monitoring points are normalised by direction, "
          "then aggregated level by level with the framework weights; grades follow the configured quantiles or fixed "
          "cut-offs, a red-line event makes the grade red. Rank 1 is best, ties share the lowest rank. Dimension grades "
          "apply the same rule to dimension scores. The decomposition is the two-point Shapley value (Shorrocks 2013); "
          "what cannot be attributed is shown as the interaction term. Count totals sum the units' raw counts; the "
          "year-on-year status follows the indicator's direction."), kind="methods")
