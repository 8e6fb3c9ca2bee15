"""One place for the words a report shows: column labels, category values and number kinds.

Every table of every report takes its header labels and the display of its category codes
from here, in the report's language (``中文 / English``); the column name itself stays as the
header's tooltip and in the downloads. Each column also has a *kind* that chooses its number
format (:func:`format_number`): ``score``, ``percent``, ``p``, ``count``, ``rank``, ``year``,
``slope``, ``number``; text kinds are ``text``, ``code``, ``category`` and ``grade``.

The names come from the data model (``docs/data-model.md``), the framework's columns
(:mod:`analysis.framework`) and the result columns of the analysis modules. Indicator codes
used as column names are labelled with the framework's own names through ``extra`` labels
(:func:`analysis.framework.labels`).

Unknown names fall back to rules on the name (``n_*`` counts, ``*_share`` percentages,
``p_*`` p-values …) for the kind; for the label an unknown name is shown as it is, and
:func:`unlabelled` finds it on a rendered page so that a test can fail on it.
"""
from __future__ import annotations

import html as _html
import math
import re
from collections.abc import Mapping

#: |x| below this prints as 0: floating-point residue of sums that are zero in exact
#: arithmetic (an attribution's interaction term of −2.75e−15). Report values are scores on
#: 0–100, shares, p-values and counts, whose smallest meaningful magnitude (a p-value printed
#: as ``< 0.001``) is many orders above it.
ZERO_TOLERANCE = 1e-9

#: decimals per numeric kind (a column shows one number of decimals throughout)
DECIMALS = {"score": 2, "percent": 1, "p": 3, "slope": 3, "number": 2}

_C = {
    # identifiers and units
    "unit_id": ("单位代码", "Unit code", "code"), "unit": ("单位", "Unit", "code"),
    # name_zh names units and indicators alike: the label says only 名称
    "name_zh": ("名称", "Name", "text"), "name_en": ("名称", "Name", "text"),
    "unit_name": ("单位名称", "Unit name", "text"), "label": ("单位", "Unit", "text"),
    "type": ("单位类型", "Unit type", "category"), "region": ("片区", "Region", "category"),
    "region_name": ("片区名称", "Region name", "text"), "focal": ("集中研究对象", "Focal unit", "category"),
    "staff": ("在编人数", "Staff", "count"), "party_members": ("党员人数", "Party members", "count"),
    "residents": ("常住人口", "Residents", "count"), "successor_id": ("承继单位代码", "Successor unit", "code"),
    # time
    "year": ("年度", "Year", "year"), "period": ("期别", "Period", "text"), "from_year": ("起始年度", "From year", "year"),
    "to_year": ("终止年度", "To year", "year"), "first_year": ("首个年度", "First year", "year"),
    "last_year": ("最近年度", "Last year", "year"), "years": ("年数", "Years", "count"),
    "valid_from": ("启用年度", "Valid from", "year"), "valid_to": ("停用年度", "Valid to", "year"),
    "deadline": ("整改期限", "Deadline", "text"), "rectified_on": ("整改完成日期", "Rectified on", "text"),
    # framework
    "code": ("指标代码", "Indicator code", "code"), "node": ("指标代码", "Indicator code", "code"),
    "indicator": ("指标代码", "Indicator code", "code"), "leaf": ("监测点代码", "Monitoring point", "code"),
    "parent": ("上级指标", "Parent indicator", "code"), "level": ("层级", "Level", "count"),
    "name": ("名称", "Name", "text"), "indicator_name": ("指标名称", "Indicator name", "text"),
    "node_name": ("指标名称", "Indicator name", "text"), "dimension": ("维度", "Dimension", "text"),
    "dimension_name": ("维度名称", "Dimension name", "text"),
    "weight": ("权重", "Weight", "number"), "role": ("指标角色", "Role", "category"),
    "direction": ("指标方向", "Indicator direction", "category"), "target": ("目标值", "Target", "number"),
    "unit_of_measure": ("计量单位", "Unit of measure", "text"), "denominator": ("分母", "Denominator", "category"),
    "per": ("折算基数", "Per", "count"), "year_agg": ("年度汇总方式", "Yearly aggregation", "category"),
    "frequency": ("报送频次", "Frequency", "category"), "lead_department": ("牵头单位", "Lead department", "text"),
    "valid_min": ("有效下限", "Valid minimum", "number"), "valid_max": ("有效上限", "Valid maximum", "number"),
    "definition": ("指标定义", "Definition", "text"),
    # values and scores
    "value": ("数值", "Value", "number"), "raw": ("原始值", "Raw value", "number"),
    "score": ("得分", "Score", "score"), "normalised": ("标准化得分", "Normalised score", "score"),
    "index": ("综合指数", "Composite index", "score"), "previous": ("上期值", "Previous", "number"),
    "previous_score": ("上年得分", "Previous score", "score"), "score_change": ("得分变化", "Score change", "score"),
    "change": ("变化", "Change", "number"), "contribution": ("贡献", "Contribution", "number"),
    "type_mean": ("同类单位均值", "Mean of unit type", "score"), "region_mean": ("片区均值", "Mean of region", "score"),
    "overall_mean": ("全市均值", "Overall mean", "score"),
    "rank": ("排名", "Rank", "rank"), "rank_in_type": ("类内排名", "Rank in type", "rank"),
    "rank_in_region": ("片区内排名", "Rank in region", "rank"), "rank_change": ("排名变化", "Rank change", "rank"),
    "previous_rank": ("上年排名", "Previous rank", "rank"), "position": ("位次", "Position", "rank"),
    "grade": ("等级", "Grade", "grade"), "previous_grade": ("上年等级", "Previous grade", "grade"),
    "grade_from": ("原等级", "Grade from", "grade"), "grade_to": ("新等级", "Grade to", "grade"),
    "red_line_codes": ("一票否决事项", "Red lines", "text"),
    "component": ("分解项", "Component", "category"), "component_name": ("分解项名称", "Component name", "text"),
    # descriptive statistics
    "n": ("数量", "n", "count"), "count": ("数量", "Count", "count"), "n_units": ("单位数", "Units", "count"),
    "n_a": ("甲组数量", "n (group A)", "count"), "n_b": ("乙组数量", "n (group B)", "count"),
    "n_previous": ("上期数量", "Previous count", "count"), "n_docs": ("文档数", "Documents", "count"),
    "n_occurrences": ("出现次数", "Occurrences", "count"), "n_transitions": ("转移次数", "Transitions", "count"),
    "n_censored": ("截尾数", "Censored", "count"), "n_on_time": ("按期整改数", "Rectified on time", "count"),
    "n_recurring": ("反复出现数", "Recurring", "count"), "n_worsened": ("变差数", "Worsened", "count"),
    "n_inconsistent": ("不一致数", "Inconsistent", "count"), "n_problems": ("问题数", "Problems", "count"),
    "problems": ("问题数", "Problems", "count"), "observations": ("观测数", "Observations", "count"),
    "mean": ("均值", "Mean", "number"), "mean_a": ("甲组均值", "Mean (group A)", "number"),
    "mean_b": ("乙组均值", "Mean (group B)", "number"), "sd": ("标准差", "SD", "number"),
    "se": ("标准误", "SE", "number"), "median": ("中位数", "Median", "number"),
    "min": ("最小值", "Min", "number"), "max": ("最大值", "Max", "number"), "q1": ("下四分位数", "Q1", "number"),
    "q3": ("上四分位数", "Q3", "number"), "iqr": ("四分位距", "IQR", "number"), "cv": ("变异系数", "CV", "number"),
    "skewness": ("偏度", "Skewness", "number"), "kurtosis": ("峰度", "Kurtosis", "number"),
    "variance": ("方差", "Variance", "number"), "mean_rank_a": ("甲组平均秩", "Mean rank (A)", "number"),
    "mean_rank_b": ("乙组平均秩", "Mean rank (B)", "number"),
    # tests
    "statistic": ("统计量", "Statistic", "number"), "df": ("自由度", "df", "number"),
    "p": ("p 值", "p", "p"), "p_adj": ("校正 p 值", "Adjusted p", "p"), "q": ("q 值", "q", "p"),
    "test": ("检验方法", "Test", "text"), "method": ("方法", "Method", "text"),
    "effect_size": ("效应量", "Effect size", "number"), "ci_low": ("置信下限", "CI low", "number"),
    "ci_high": ("置信上限", "CI high", "number"), "r2": ("决定系数 R²", "R²", "number"),
    "rho": ("相关系数 ρ", "ρ", "number"), "tau": ("肯德尔 τ", "Kendall τ", "number"),
    "slope": ("斜率(每年)", "Slope (per year)", "slope"), "sen_slope": ("森斜率(每年)", "Sen slope (per year)", "slope"),
    "intercept": ("截距", "Intercept", "number"), "shapiro_w": ("Shapiro W", "Shapiro W", "number"),
    "normality_p_min": ("正态性检验最小 p 值", "Smallest normality p", "p"),
    "normality_rejected": ("拒绝正态性", "Normality rejected", "category"),
    "variance_p": ("方差齐性 p 值", "Equal-variance p", "p"), "variance_statistic": ("方差齐性统计量", "Equal-variance statistic", "number"),
    "variance_rejected": ("拒绝方差齐性", "Equal variances rejected", "category"),
    "variance_test": ("方差齐性检验", "Equal-variance test", "text"), "normality_test": ("正态性检验", "Normality test", "text"),
    "normality_worst_group": ("正态性最差组", "Least normal group", "text"),
    "bandwidth": ("带宽", "Bandwidth", "number"), "density": ("密度", "Density", "number"),
    "classification": ("趋势判定", "Trend class", "category"), "trend": ("趋势判定", "Trend class", "category"),
    "class_zh": ("协调类型", "Coordination class", "text"), "class_en": ("协调类型", "Coordination class", "text"),
    "probability": ("转移概率", "Transition probability", "percent"),
    "transition_probability": ("转移概率", "Transition probability", "percent"),
    "sojourn_time": ("平均停留年数", "Mean sojourn (years)", "number"), "streak": ("连续年数", "Streak (years)", "count"),
    "gini": ("基尼系数", "Gini", "number"), "theil": ("泰尔指数", "Theil", "number"), "theil_l_within": ("组内泰尔 L", "Theil L within", "number"),
    "hhi": ("赫芬达尔指数", "HHI", "number"), "hhi_normalised": ("标准化赫芬达尔指数", "Normalised HHI", "number"),
    "dagum_within": ("组内基尼贡献", "Dagum within", "number"), "net_between": ("组间净贡献", "Net between", "number"),
    "transvariation": ("超变密度", "Transvariation", "number"),
    # shares and rates (fractions 0–1 shown as %)
    "share": ("占比", "Share", "percent"), "share_change": ("占比变化(百分点)", "Share change (points)", "percent"),
    "coverage": ("覆盖率", "Coverage", "percent"), "rate": ("比率", "Rate", "percent"),
    "rectification_rate": ("整改率", "Rectification rate", "percent"), "overdue_rate": ("逾期率", "Overdue rate", "percent"),
    "share_improved": ("改善单位占比", "Share improved", "percent"), "zero_share": ("零值占比", "Share of zeros", "percent"),
    "top_k_share": ("前列占比", "Top-k share", "percent"), "last_year_share": ("上年占比", "Last year's share", "percent"),
    "share_of_collected": ("占收集问题比例", "Share of collected", "percent"),
    "share_of_previous": ("占上期比例", "Share of previous", "percent"), "missing_share": ("缺失率", "Missing share", "percent"),
    # data quality
    "expected": ("应报单位数", "Expected", "count"), "reported": ("已报单位数", "Reported", "count"),
    "missing": ("缺失数", "Missing", "count"), "kind": ("类型", "Kind", "category"),
    "message": ("说明", "Message", "text"), "reason": ("说明", "Reason", "text"), "note": ("备注", "Note", "text"),
    "status": ("状态", "Status", "category"), "rule": ("规则", "Rule", "text"), "column": ("列", "Column", "text"),
    "row": ("行", "Row", "count"), "source_file": ("来源文件", "Source file", "text"),
    "error": ("错误", "Error", "text"), "stage": ("环节", "Stage", "text"), "stage_zh": ("环节", "Stage", "text"),
    # problems
    "problem_id": ("问题编号", "Problem id", "code"), "aspect": ("方面", "Aspect", "category"),
    "aspect_name": ("方面名称", "Aspect name", "text"), "category": ("问题类别", "Category", "category"),
    "source": ("来源", "Source", "category"), "severity": ("严重程度", "Severity", "category"),
    "description": ("问题描述", "Description", "text"), "fed_back": ("已反馈", "Fed back", "category"),
    "kept": ("保留", "Kept", "category"), "time_to_rectify": ("整改用时(天)", "Days to rectify", "count"),
    "median_days_km": ("整改中位天数(KM)", "Median days (Kaplan–Meier)", "number"),
    "median_days_rectified_only": ("已整改中位天数", "Median days (rectified only)", "number"),
    "overdue_items": ("逾期问题数", "Overdue items", "count"),
    "term": ("关键词", "Keyword", "text"), "keyword": ("关键词", "Keyword", "text"),
    "member": ("成员单位", "Member department", "text"), "treatment": ("处理方式", "Treatment", "category"),
    # harvested from the sample's reports
    "adjust": ("多重检验校正", "Multiple-testing adjustment", "text"), "alpha": ("显著性水平", "α", "p"),
    "before": ("调整前", "Before", "number"), "after": ("调整后", "After", "number"),
    "change_time": ("变点年度", "Change point (year)", "year"), "classification_zh": ("趋势判定", "Trend class", "text"),
    "command": ("命令", "Command", "code"), "df_num": ("分子自由度", "df (numerator)", "number"),
    "df_den": ("分母自由度", "df (denominator)", "number"), "donor": ("补缺来源", "Donor", "text"),
    "f_stat": ("F 统计量", "F statistic", "number"), "family": ("检验族", "Test family", "text"),
    "file": ("文件", "File", "text"), "k": ("组数", "k", "count"), "n_obs": ("观测数", "Observations", "count"),
    "kurtosis_before": ("调整前峰度", "Kurtosis before", "number"), "kurtosis_after": ("调整后峰度", "Kurtosis after", "number"),
    "skew_before": ("调整前偏度", "Skewness before", "number"), "skew_after": ("调整后偏度", "Skewness after", "number"),
    "list": ("清单", "List", "category"), "loaded_at": ("载入时间", "Loaded at", "text"),
    "p_joint": ("联合检验 p 值", "Joint p", "p"), "p_method": ("p 值算法", "p-value method", "category"),
    "robust_z": ("稳健 z 值", "Robust z", "number"), "rows": ("行数", "Rows", "count"),
    "sha256": ("SHA-256 校验值", "SHA-256", "code"), "t": ("t 统计量", "t", "number"), "z": ("z 值", "z", "number"),
    "table_name": ("数据表", "Table", "category"), "variant": ("检验变体", "Test variant", "category"),
    "change_point": ("变点", "Change point", "category"),
    "series": ("序列", "Series", "category"), "group": ("组别", "Group", "category"),
    "mean_contribution": ("平均贡献", "Mean contribution", "number"),
    "total_contribution": ("贡献合计", "Total contribution", "number"),
    "mean contribution": ("平均贡献", "Mean contribution", "number"),
    "total contribution": ("贡献合计", "Total contribution", "number"),
    "total": ("合计", "Total", "number"), "previous_total": ("上年合计", "Previous total", "number"),
    "pct_change": ("变化率", "Change (%)", "percent"), "improved": ("改善", "Improved", "count"),
    "worsened": ("变差", "Worsened", "count"),
    # regional comparison and dynamics
    "beta": ("β 系数", "β", "number"), "converging": ("是否收敛", "Converging", "category"),
    "cov_type": ("协方差估计", "Covariance type", "category"),
    "dagum_between": ("组间基尼贡献", "Dagum between", "number"),
    "dagum_between_share": ("组间贡献率", "Dagum between share", "percent"),
    "dagum_transvariation": ("超变密度贡献", "Dagum transvariation", "number"),
    "dagum_transvariation_share": ("超变密度贡献率", "Dagum transvariation share", "percent"),
    "dagum_within_share": ("组内贡献率", "Dagum within share", "percent"),
    "df1": ("分子自由度", "df1", "number"), "df2": ("分母自由度", "df2", "number"), "diff": ("差值", "Difference", "number"),
    "effect_measure": ("效应量指标", "Effect measure", "category"), "end": ("终止年度", "End", "year"),
    "start": ("起始年度", "Start", "year"), "first": ("首年值", "First", "number"), "last": ("末年值", "Last", "number"),
    "fixed_effects": ("固定效应", "Fixed effects", "category"), "from_state": ("原状态", "From state", "category"),
    "to_state": ("新状态", "To state", "category"), "group_a": ("甲组", "Group A", "category"),
    "group_b": ("乙组", "Group B", "category"), "group_sizes": ("各组数量", "Group sizes", "text"),
    "half_life": ("半衰期(年)", "Half-life (years)", "number"), "headline": ("结论", "Headline", "text"),
    "headline_rule": ("结论规则", "Headline rule", "text"), "measure": ("指标", "Measure", "category"),
    "mode": ("口径", "Mode", "category"), "n_dropped": ("剔除数", "Dropped", "count"),
    "n_groups": ("组数", "Groups", "count"), "n_years": ("年数", "Years", "count"),
    "p_adjust_method": ("p 值校正方法", "p-value adjustment", "category"), "reject": ("拒绝原假设", "Rejected", "category"),
    "row_total": ("行合计", "Row total", "count"), "shapiro_p": ("Shapiro–Wilk p 值", "Shapiro–Wilk p", "p"),
    "speed": ("收敛速度", "Speed", "number"), "statistic_name": ("统计量名称", "Statistic", "category"),
    "theil_l": ("泰尔 L 指数", "Theil L", "number"), "theil_l_between": ("组间泰尔 L", "Theil L between", "number"),
    "theil_t": ("泰尔 T 指数", "Theil T", "number"), "theil_t_between": ("组间泰尔 T", "Theil T between", "number"),
    "theil_t_within": ("组内泰尔 T", "Theil T within", "number"), "weights": ("权重方案", "Weights", "category"),
    "no significant trend": ("无显著趋势", "No significant trend", "count"),
    "improving": ("显著改善", "Improving", "count"), "deteriorating": ("显著恶化", "Deteriorating", "count"),
    "not testable": ("无法检验", "Not testable", "count"),
}
_C.update({
    # periods, comparisons and diagnoses
    "n_warnings": ("预警数", "Warnings", "count"), "area": ("分管领域", "Leadership area", "category"),
    "compared_with": ("比较对象", "Compared with", "category"), "from_period": ("起始期别", "From period", "text"), "score_then": ("比较期得分", "Score then", "score"),
    "grade_then": ("比较期等级", "Grade then", "grade"), "peer_mean": ("同期全体平均", "Mean of all units", "score"),
    "score_from": ("起始得分", "Score at start", "score"), "rank_from": ("起始排名", "Rank at start", "rank"),
    "mean_from": ("起始平均得分", "Mean at start", "score"), "mean_change": ("平均变化", "Mean change", "score"),
    "lists": ("正负面清单事项", "List items", "score"), "interaction": ("交互项", "Interaction", "score"),
    "previous": ("上期值", "Previous value", "number"), "days_overdue": ("逾期天数", "Days overdue", "count"),
    "overdue": ("是否逾期", "Overdue", "category"), "round_id": ("巡察轮次", "Inspection round", "code"),
    "round_name": ("轮次名称", "Round", "text"), "status_on": ("状态日期", "Status date", "text"),
    # trend findings
    "group_by": ("分组方式", "Grouped by", "category"), "group": ("组别", "Group", "category"),
    "test_reason": ("选用该检验的理由", "Why this test", "text"), "testable": ("能否拒绝", "Can reject", "category"),
    "testable_alone": ("单独能否拒绝", "Can reject alone", "category"),
    "testable_at_length": ("此长度下能否拒绝", "Can reject at this length", "category"),
    "p_min": ("最小可得 p 值", "Smallest attainable p", "p"), "p_adj_alone": ("单独校正后最小 p", "Smallest adjusted p alone", "p"),
    "p_adj_best": ("族内校正后最小 p", "Smallest adjusted p in family", "p"), "n_family": ("族内检验数", "Tests in family", "count"),
    "n_series": ("序列数", "Series", "count"), "seasons": ("季节数", "Seasons", "count"),
    "scope": ("范围", "Scope", "category"), "mds": ("最小可检出斜率", "Min. detectable slope", "slope"),
    "mds_sd": ("最小可检出斜率(噪声标准差倍数)", "Min. detectable slope (noise SDs)", "slope"),
    "noise_sd": ("噪声标准差", "Noise SD", "number"), "rank_test": ("秩检验", "Rank test", "category"),
    "rank_p": ("秩检验 p 值", "Rank test p", "p"), "rank_p_min": ("秩检验最小可得 p", "Rank test smallest p", "p"),
    "rank_slope": ("Sen 斜率", "Sen's slope", "slope"), "rank_statistic": ("秩检验统计量", "Rank statistic", "number"),
})

#: column name → (中文, English, kind)
COLUMNS: dict[str, tuple[str, str, str]] = dict(_C)

#: category code → (中文, English)
VALUES: dict[str, tuple[str, str]] = {
    # unit types (data model)
    "county": ("区县", "county"), "township": ("乡镇街道", "township"), "department": ("市直部门", "department"),
    "enterprise": ("国有企业", "state enterprise"), "college": ("高校院系", "college"),
    # framework
    "positive": ("正向", "positive"), "negative": ("负向", "negative"), "target": ("适度(目标值)", "target"),
    "aggregate": ("汇总指标", "aggregate"), "red_line": ("一票否决", "red line"),
    "staff": ("在编人数", "staff"), "party_members": ("党员人数", "party members"), "residents": ("常住人口", "residents"),
    "sum": ("求和", "sum"), "mean": ("平均", "mean"), "last": ("末期值", "last"), "max": ("最大值", "max"),
    "quarterly": ("季度", "quarterly"), "annual": ("年度", "annual"),
    # problems
    "open": ("未整改", "open"), "rectifying": ("整改中", "rectifying"), "rectified": ("已整改", "rectified"),
    "inspection": ("巡察", "inspection"), "audit": ("审计", "audit"), "petition": ("信访", "petition"),
    "supervision": ("监督检查", "supervision"), "discipline": ("纪律审查", "discipline review"),
    "organisation": ("组织部门", "organisation department"),
    "high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low"),
    # trend classes and statuses
    "increasing": ("上升", "increasing"), "decreasing": ("下降", "decreasing"), "no trend": ("无显著趋势", "no trend"),
    "improving": ("显著改善", "improving"), "worsening": ("变差", "worsening"), "stable": ("稳定", "stable"),
    "too short": ("序列过短", "series too short"), "insufficient": ("数据不足", "insufficient data"),
    "ok": ("正常", "ok"), "failed": ("失败", "failed"), "warning": ("提示", "warning"), "error": ("错误", "error"),
    "True": ("是", "yes"), "False": ("否", "no"), "true": ("是", "yes"), "false": ("否", "no"),
    # attribution components
    "interaction": ("交互项", "interaction"), "score_effect": ("得分效应", "score effect"),
    "weight_effect": ("权重效应", "weight effect"), "composition": ("结构效应", "composition"),
    # trend tests and warnings
    "no significant trend": ("无显著趋势", "no significant trend"), "deteriorating": ("显著恶化", "deteriorating"),
    "not testable": ("无法检验", "not testable"), "change point": ("存在变点", "change point"),
    "no change point": ("无变点", "no change point"), "original": ("原始检验", "original"),
    "hamed_rao": ("Hamed–Rao 校正", "Hamed–Rao"), "yue_wang": ("Yue–Wang 校正", "Yue–Wang"),
    "prewhiten": ("预白化", "prewhitened"), "tfpw": ("去趋势预白化", "trend-free prewhitening"),
    "seasonal": ("季节性检验", "seasonal"), "fe_cluster": ("固定效应(聚类稳健)", "fixed effects (clustered)"),
    "exact": ("精确分布", "exact"), "normal": ("正态近似", "normal approximation"),
    "fdr_bh": ("BH 错误发现率", "Benjamini–Hochberg FDR"), "fdr_by": ("BY 错误发现率", "Benjamini–Yekutieli FDR"),
    "holm": ("Holm 校正", "Holm"), "hochberg": ("Hochberg 校正", "Hochberg"), "hommel": ("Hommel 校正", "Hommel"),
    "bonferroni": ("Bonferroni 校正", "Bonferroni"), "none": ("不校正", "none"),
    "unusual_change": ("异常变动", "unusual change"), "grade_drop": ("等级下降", "grade drop"),
    "red_line_hit": ("触发一票否决", "red line hit"), "index": ("综合指数", "composite index"),
    "units": ("单位表", "units"), "observations": ("观测表", "observations"), "problems": ("问题表", "problems"),
    "focal_units": ("集中研究对象表", "focal units"), "grades": ("等级表", "grades"), "prepare": ("准备", "prepare"),
    "improved": ("改善", "improved"), "worsened": ("变差", "worsened"), "unchanged": ("持平", "unchanged"),
    "absolute": ("绝对值", "absolute"), "anova": ("方差分析", "ANOVA"), "brown_forsythe": ("Brown–Forsythe 检验", "Brown–Forsythe"),
    "cv": ("变异系数", "CV"), "sd": ("标准差", "SD"), "dunn": ("Dunn 检验", "Dunn"), "kruskal": ("Kruskal–Wallis 检验", "Kruskal–Wallis"),
    "nonrobust": ("常规标准误", "non-robust"), "shapiro_wilk": ("Shapiro–Wilk 检验", "Shapiro–Wilk"),
    "welch": ("Welch 检验", "Welch"), "period": ("期别", "period"), "z": ("z 值", "z"), "nan": ("—", "—"),
    "green": ("绿", "green"), "blue": ("蓝", "blue"), "yellow": ("黄", "yellow"), "red": ("红", "red"),
    "improving_trend": ("显著改善", "improving"), "eta2": ("η²", "η²"), "epsilon2": ("ε²", "ε²"),
    "omega2": ("ω²", "ω²"), "cohen_d": ("Cohen d", "Cohen's d"), "hedges_g": ("Hedges g", "Hedges' g"),
    # tests of the trend report
    "moderated_t": ("调节 t 检验", "moderated t-test"), "panel_fe": ("面板固定效应斜率", "panel fixed-effects slope"),
    "regional_kendall": ("区域 Kendall 检验", "regional Kendall test"),
    "seasonal_mk": ("季节 Mann–Kendall 检验", "seasonal Mann–Kendall test"),
    "mk_original": ("Mann–Kendall 检验", "Mann–Kendall test"), "pettitt": ("Pettitt 检验", "Pettitt test"),
    "not testable at this length": ("此长度下无法检验", "not testable at this length"),
    "yearly": ("年度", "yearly"), "tukey": ("Tukey 检验", "Tukey"), "games_howell": ("Games–Howell 检验", "Games–Howell"),
    "studentized_range": ("学生化极差分布", "studentized range"), "t": ("t 检验", "t-test"),
    "region": ("片区", "region"), "type": ("单位类型", "unit type"), "unit": ("单位", "unit"), "group": ("组", "group"),
    "previous": ("上一期", "previous period"), "last_year": ("上年同期", "same period last year"),
    "lists": ("正负面清单事项", "list items"), "inspection_rounds": ("巡察轮次表", "inspection rounds"),
    "problem_status_history": ("整改历史表", "rectification history"),
}

#: codes whose label depends on the column (``list = positive`` is the positive list 正面清单,
#: not the direction 正向)
VALUES_BY_COLUMN: dict[str, dict[str, tuple[str, str]]] = {
    "list": {"positive": ("正面清单", "positive list"), "negative": ("负面清单", "negative list")},
}

_KIND_RULES = [
    (re.compile(r"^(p|q)(_.*)?$|_p$|_p_"), "p"),
    (re.compile(r"(^|_)(share|rate|coverage|ratio_pct|probability)(_|$)"), "percent"),
    (re.compile(r"^n$|^n_|_count$|^count_|_n$|^num_"), "count"),
    (re.compile(r"(^|_)rank(_|$)"), "rank"),
    (re.compile(r"(^|_)year(_|$)"), "year"),
    (re.compile(r"(^|_)slope(_|$)"), "slope"),
    (re.compile(r"(^|_)score(_|$)|^index$|_mean$"), "score"),
    (re.compile(r"(^|_)grade$"), "grade"),
]


def _entry(column: object, extra: Mapping | None):
    name = str(column)
    if extra and name in extra:
        got = extra[name]
        return (got, got, None) if isinstance(got, str) else tuple(got) + (None,) * (3 - len(got))
    return COLUMNS.get(name)


def column_label(column: object, lang: str = "zh", extra: Mapping | None = None) -> str:
    """Header label of a column in the report language; an unknown name is returned unchanged.

    >>> column_label("p_adj"), column_label("p_adj", "en")
    ('校正 p 值', 'Adjusted p')
    """
    entry = _entry(column, extra)
    if entry is None:
        return str(column)
    return entry[0] if lang == "zh" else entry[1]


def is_labelled(column: object, extra: Mapping | None = None, lang: str = "zh") -> bool:
    """Whether the glossary (or ``extra``) knows the column name; years (``2024``) label
    themselves, and so does a name already in Chinese in a Chinese report."""
    name = str(column)
    if re.fullmatch(r"(19|20)\d\d", name) or (lang == "zh" and re.search(r"[\u4e00-\u9fff]", name)):
        return True
    return _entry(column, extra) is not None


def kind_of(column: object, extra: Mapping | None = None) -> str:
    """The number/text kind of a column: from the glossary, else from rules on the name, else ``number``.

    >>> kind_of("coverage"), kind_of("n_focal"), kind_of("p_trend"), kind_of("weird")
    ('percent', 'count', 'p', 'number')
    """
    entry = _entry(column, extra)
    if entry is not None and entry[2]:
        return entry[2]
    name = str(column)
    for rule, kind in _KIND_RULES:
        if rule.search(name):
            return kind
    return "number"


def value_label(value: object, lang: str = "zh", column: object = None) -> str:
    """Display of a category code (``rectifying`` → ``整改中``); other values unchanged.

    >>> value_label("rectifying"), value_label("positive", "zh", column="list")
    ('整改中', '正面清单')
    """
    pair = VALUES_BY_COLUMN.get(str(column), {}).get(str(value)) or VALUES.get(str(value))
    return str(value) if pair is None else pair[0 if lang == "zh" else 1]


def _minus(text: str) -> str:
    return text.replace("-", "−")


def format_number(value: float, kind: str = "number", fraction: bool = True) -> str:
    """The text of one number of the given kind (``—`` for missing).

    ``percent``: a fraction 0–1 is multiplied by 100 (``fraction=True``), one decimal and ``%``;
    ``p``: three decimals, ``< 0.001`` below; ``count``/``rank``/``year``: integers;
    ``score`` and ``number``: two decimals; ``slope``: three decimals. |x| below
    :data:`ZERO_TOLERANCE`, and any value that rounds to zero, prints as an unsigned zero.

    >>> format_number(-2.75e-15), format_number(1.0, "percent"), format_number(0.0004, "p")
    ('0.00', '100.0%', '< 0.001')
    >>> format_number(64.983, "score"), format_number(-3, "rank"), format_number(2024.0, "year")
    ('64.98', '−3', '2024')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if abs(v) < ZERO_TOLERANCE:
        v = 0.0
    if kind == "p":
        if v < 0.001:
            return "< 0.001"
        return f"{v:.3f}"
    if kind in ("count", "rank", "year"):
        if not v.is_integer():
            return _minus(f"{v:.2f}")
        return _minus(f"{int(v)}") if kind == "year" else _minus(f"{int(v):,}")
    if kind == "percent":
        pct = v * 100 if fraction else v
        text = f"{pct:.{DECIMALS['percent']}f}"
        return _minus(text if float(text) != 0 else text.lstrip("-")) + "%"
    decimals = DECIMALS.get(kind, 2)
    if kind == "number" and 0 < abs(v) < 10 ** -decimals:
        mantissa, exponent = f"{v:.2e}".split("e")
        return _minus(f"{mantissa}×10^{int(exponent)}")
    text = f"{v:.{decimals}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return _minus(text)


def unlabelled(page: str, lang: str = "zh", extra: Mapping | None = None) -> list[str]:
    """Headers and category values on a rendered report page that the glossary does not know.

    Headers: every ``<th title="name">`` whose name is not in the glossary (or ``extra``).
    Cells (except identifier cells, class ``code``): in a Chinese page every cell whose whole text is a lower-case ASCII word or
    ``snake_case`` code (``county``, ``rectifying``, ``no trend``); in an English page only
    ``snake_case`` codes. Returns the sorted distinct findings as ``th:name`` / ``td:value``.
    """
    found = set()
    for name in re.findall(r'<th[^>]*\btitle="([^"]*)"', page):
        name = _html.unescape(name)
        if not is_labelled(name, extra, lang):
            found.add(f"th:{name}")
    code = re.compile(r"^[a-z]+[0-9]?(?:[ _][a-z0-9]+)*$") if lang == "zh" else re.compile(r"^[a-z]+(?:_[a-z0-9]+)+$")
    for attrs, cell in re.findall(r"<td([^>]*)>([^<]*)</td>", page):
        if re.search(r'class="[^"]*\bcode\b', attrs):
            continue  # identifiers and commands are shown as they are
        text = _html.unescape(cell).strip()
        if text and code.match(text):
            found.add(f"td:{text}")
    return sorted(found)
