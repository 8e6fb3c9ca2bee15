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

from analysis import dynamics, plots, regions
from analysis.runner import start_report

rp, data, cfg = start_report("02_region_comparison", "片区比较", "Regional comparison", year=year, lang=lang,
                             warehouse=warehouse, run_config=run_config, scoring_config=scoring_config, publish=publish)
t = rp.t
alpha = float(cfg["report"].get("alpha", 0.05))
ix = data.index
index = ix.index()
now = index[index.year == year]
dims = ix.scores[(ix.scores.level == 1) & (ix.scores.year == year)]
label = data.framework.drop_duplicates("code", keep="last").set_index("code")[f"name_{lang}"]

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
tests = rp.bilingual(regions.compare_groups(now, "score", "region", alpha=alpha))
rp.table(tests, t("综合指数的片区差异:方差分析、Welch 方差分析与 Kruskal–Wallis 检验(headline 为按前提检验选定的主检验)",
                  "Regional differences of the index: ANOVA, Welch ANOVA and Kruskal–Wallis (headline = the test chosen by the assumption checks)"),
         name="region_tests")
head = tests[tests.get("headline", False) == True]  # noqa: E712
if len(head):
    rp.key("headline_test", head.iloc[0]["test"])
    rp.key("headline_p", head.iloc[0]["p"])
dim_tests = rp.bilingual(regions.compare_groups(dims, "score", "region", by="node", alpha=alpha))
dim_tests = dim_tests[dim_tests.get("headline", True) == True].assign(node=lambda d: d.node.map(lambda c: label.get(c, c)))  # noqa: E712
rp.table(dim_tests, t("各维度的片区差异(主检验;p_adj 为各维度间的 FDR 校正)",
                      "Regional differences by dimension (headline test; p_adj controls the FDR across dimensions)"),
         name="region_tests_by_dimension")
pairs = rp.bilingual(regions.posthoc(now, "score", "region", alpha=alpha))
rp.table(pairs, t("片区两两比较(Dunn 检验,Holm 校正)", "Pairwise comparisons of regions (Dunn's test, Holm correction)"),
         name="region_pairs")
fig = plots.kde_plot(now, "score", group="region", lang=lang, xlabel=t("综合指数", "Composite index"))
rp.figure(fig, t(f"{year} 年各片区综合指数的分布", f"Distribution of the index by region, {year}"))

# %%
rp.heading(t("2 差距及其分解", "2 Disparity and its decomposition"))
ineq = rp.bilingual(regions.inequality(index, "score", "region", by="year"))
rp.table(ineq, t("历年综合指数的差距:变异系数、基尼系数、泰尔指数(片区内/片区间)与 Dagum 分解",
                 "Disparity of the index by year: CV, Gini, Theil (within/between regions) and the Dagum decomposition"),
         name="inequality")
rp.key("gini", ineq.loc[ineq.year == year, "gini"].tolist())

# %%
rp.heading(t("3 收敛", "3 Convergence"))
root_scores = ix.scores[ix.scores.level == 0]
rp.table(rp.bilingual(dynamics.sigma_convergence(root_scores, "score", node="node", alpha=alpha)),
         t("σ 收敛:历年标准差与变异系数的线性趋势", "σ-convergence: linear trend of the yearly SD and CV"), name="sigma_convergence")
rp.table(rp.bilingual(dynamics.beta_convergence(root_scores, "score", node="node", units=data.units, alpha=alpha)),
         t("β 收敛:增长率对初始水平的回归(含片区固定效应)", "β-convergence: growth on the initial level (with region effects)"),
         name="beta_convergence")

# %%
rp.heading(t("4 等级转移", "4 Grade transitions"))
classes = ["red", "yellow", "blue", "green"]
trans = rp.bilingual(dynamics.transition_table(index.dropna(subset=["grade"]), "grade", classes=classes))
rp.table(trans, t("等级的年度转移概率(马尔可夫链,所有相邻年度合并)",
                  "Year-to-year transition probabilities of grades (Markov chain, all consecutive years pooled)"),
         name="grade_transitions")

# %%
rp.note(t(f"显著性水平 α = {alpha}。主检验按前提检验选定:任一片区正态性被拒绝时用 Kruskal–Wallis(效应量 ε²),"
          "否则方差齐用方差分析、不齐用 Welch 方差分析(效应量 η²)。两两比较用 Dunn 检验并以 Holm 法校正。"
          "差距分解:泰尔 T 指数的片区内/片区间分解与 Dagum(1997)基尼系数分解。收敛:Barro & Sala-i-Martin(1992)。"
          "等级转移:Quah(1993)的马尔可夫链方法。",
          f"Significance level α = {alpha}. The headline test follows the assumption checks: Kruskal–Wallis (effect ε²) "
          "when normality is rejected in any region, otherwise ANOVA or, with unequal variances, Welch's ANOVA (effect η²). "
          "Pairs: Dunn's test with Holm's correction. Disparity: Theil T within/between decomposition and Dagum's (1997) "
          "Gini decomposition. Convergence: Barro & Sala-i-Martin (1992). Grade transitions: Markov chains (Quah 1993)."),
        kind="methods")
