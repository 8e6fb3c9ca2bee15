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

# %%
from analysis import dynamics, plots, regions
from analysis.framework import labels
from analysis.notebook import open_report

rp, data, cfg = open_report("02_region_comparison", year=year, config=config, inputs=inputs, warehouse=warehouse,
                            title=("片区比较", "Regional comparison"), notice=notice)
t, lang, st = rp.t, cfg.lang, cfg.statistics
index = data.index.index()
now = index[index.year == year]
dims = data.index.scores[(data.index.scores.level == 1) & (data.index.scores.year == year)]
root_scores = data.index.scores[data.index.scores.level == 0]

# %% [markdown] tags=["lang-zh"]
# 本报告比较各片区:片区之间综合指数与各维度得分是否有差异(检验、效应量与两两比较),差距有多大、
# 来自片区之内还是片区之间(泰尔指数与 Dagum 基尼系数分解),差距是否在缩小(σ 与 β 收敛),以及等级的年度转移(马尔可夫链)。

# %% [markdown] tags=["lang-en"]
# This report compares the regions: do the index and the dimension scores differ between regions
# (tests, effect sizes and pairwise comparisons), how large is the disparity and does it come from
# within or between regions (Theil and Dagum Gini decompositions), is it narrowing (σ and β
# convergence), and how do grades move from year to year (Markov chains).

# %%
rp.heading(t("1 片区差异检验", "1 Tests of regional differences"))
rp.table(regions.describe_groups(now, "score", "region"), t(f"{year} 年各片区综合指数描述统计",
         f"Composite index by region, {year}"), name="region_describe")
tests = rp.bilingual(regions.compare_groups(now, "score", "region", alpha=st.alpha, p_adjust=st.fdr_method,
                                            min_units=st.min_group_size))
headline = tests[tests.headline.fillna(False).astype(bool)]
rp.key("headline_test", headline.test.tolist()[:1])
rp.key("headline_p", headline.p.tolist()[:1])
rp.table(tests, t("综合指数的片区差异:方差分析、Welch 方差分析与 Kruskal–Wallis 检验(headline 为按前提检验选定的主检验)",
                  "Regional differences of the index: ANOVA, Welch ANOVA and Kruskal–Wallis (headline = the test chosen by the assumption checks)"),
         name="region_tests")
dim_tests = rp.bilingual(regions.compare_groups(dims, "score", "region", by="node", alpha=st.alpha, p_adjust=st.fdr_method,
                                                min_units=st.min_group_size))
rp.table(dim_tests[dim_tests.headline.fillna(False).astype(bool)].assign(node=lambda d: d.node.map(labels(data.framework, lang))),
         t(f"各维度的片区差异(主检验;p_adj 为各维度间按 {st.fdr_method} 的校正)",
           f"Regional differences by dimension (headline test; p_adj adjusts across dimensions by {st.fdr_method})"),
         name="region_tests_by_dimension")
pair_method = st.posthoc_after(headline.test.iloc[0] if len(headline) else None)
rp.table(rp.bilingual(regions.posthoc(now, "score", "region", method=pair_method, p_adjust=st.fdr_method, alpha=st.alpha,
                                      min_units=st.min_group_size)),
         t(f"片区两两比较({pair_method},{st.fdr_method} 校正)", f"Pairwise comparisons of regions ({pair_method}, {st.fdr_method} adjustment)"),
         name="region_pairs")
rp.figure(plots.kde_plot(now, "score", group="region", lang=lang, xlabel=t("综合指数", "Composite index")),
          t(f"{year} 年各片区综合指数的分布", f"Distribution of the index by region, {year}"))

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:主检验为什么选了这一种?如果某个片区只有 3 个单位,结论还可靠吗?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: why was this headline test chosen? Would the conclusion hold if a region had only 3 units?

# %%
rp.heading(t("2 差距及其分解", "2 Disparity and its decomposition"))
ineq = rp.bilingual(regions.inequality(index, "score", "region", by="year"))
rp.table(ineq, t("历年综合指数的差距:变异系数、基尼系数、泰尔指数(片区内/片区间)与 Dagum 分解",
                 "Disparity of the index by year: CV, Gini, Theil (within/between regions) and the Dagum decomposition"),
         name="inequality")
rp.key("gini", ineq.loc[ineq.year == year, "gini"].tolist())

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:片区间差距占总差距的比例是多少?这对“按片区施策”意味着什么?

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: what share of the disparity lies between regions? What does that imply for region-level measures?

# %%
rp.heading(t("3 收敛", "3 Convergence"))
rp.table(rp.bilingual(dynamics.sigma_convergence(root_scores, "score", node="node", alpha=st.alpha)),
         t("σ 收敛:历年标准差与变异系数的线性趋势", "σ-convergence: linear trend of the yearly SD and CV"), name="sigma_convergence")
rp.table(rp.bilingual(dynamics.beta_convergence(root_scores, "score", node="node", units=data.units, alpha=st.alpha)),
         t("β 收敛:增长率对初始水平的回归(含片区固定效应)", "β-convergence: growth on the initial level (with region effects)"),
         name="beta_convergence")

# %% [markdown] tags=["exercise", "lang-zh"]
# 练习:σ 收敛与 β 收敛的结论是否一致?举例说明两者可以不一致的情形。

# %% [markdown] tags=["exercise", "lang-en"]
# Exercise: do σ- and β-convergence agree? Give a case where they would not.

# %%
rp.heading(t("4 等级转移", "4 Grade transitions"))
rp.table(rp.bilingual(dynamics.transition_table(index.dropna(subset=["grade"]), "grade", classes=["red", "yellow", "blue", "green"])
                      .rename(columns={"p": "probability"})),
         t("等级的年度转移概率(马尔可夫链,所有相邻年度合并)",
           "Year-to-year transition probabilities of grades (Markov chain, all consecutive years pooled)"),
         name="grade_transitions")

# %%
rp.note(t(f"显著性水平 α = {st.alpha}。主检验按前提检验选定:任一片区正态性被拒绝时用 Kruskal–Wallis(效应量 ε²),"
          f"否则方差齐用方差分析、不齐用 Welch 方差分析(效应量 η²)。两两比较:{pair_method},p 值按 {st.fdr_method} 校正;"
          f"单位数少于 {st.min_group_size} 的片区不参加检验。"
          "差距分解:泰尔 T 指数的片区内/片区间分解与 Dagum(1997)基尼系数分解。收敛:Barro & Sala-i-Martin(1992)。"
          "等级转移:Quah(1993)的马尔可夫链方法。",
          f"Significance level α = {st.alpha}. The headline test follows the assumption checks: Kruskal–Wallis (effect ε²) "
          "when normality is rejected in any region, otherwise ANOVA or, with unequal variances, Welch's ANOVA (effect η²). "
          f"Pairs: {pair_method}, p-values adjusted by {st.fdr_method}; regions with fewer than {st.min_group_size} units "
          "are left out of the tests. Disparity: Theil T within/between decomposition and Dagum's (1997) "
          "Gini decomposition. Convergence: Barro & Sala-i-Martin (1992). Grade transitions: Markov chains (Quah 1993)."),
        kind="methods")
