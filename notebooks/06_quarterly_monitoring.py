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
period: str = "Q4"  # 监测季度 Q1–Q4 / quarter monitored
config: dict = {}  # 运行配置(analysis run 注入),空为 data/config/run.yaml / effective run config, empty for the default file
inputs: str = ""  # 本次运行的共享输入(analysis run 注入),空为现算 / the run's shared inputs, empty to compute them here
warehouse: str = ""  # 数据仓库,空为 data/warehouse.duckdb / warehouse file, empty for the default
notice: str = ""  # 运行提示(如覆盖率低)/ run notice, e.g. low coverage

# %%
import pandas as pd

from analysis import plots, quality
from analysis.framework import labels
from analysis.notebook import open_report
from analysis.periods import Period, grade_moves

quarter = Period.parse(period, year=year)
rp, data, cfg = open_report("06_quarterly_monitoring", year=year, config=config, inputs=inputs, warehouse=warehouse,
                            title=("季度监测报告", "Quarterly monitoring report"), notice=notice, period=period)
t, lang = rp.t, cfg.lang
name = f"name_{lang}"
roster = data.units.drop_duplicates("unit_id", keep="last").set_index("unit_id")
shown = pd.Series(roster.index.map(lambda u: rp.label(u, roster.at[u, name])), index=roster.index)
pq = data.period_index
changes = pq.changes()
now = changes[changes.period == str(quarter)]

# %% [markdown] tags=["lang-zh"]
# 各成员单位按季度报送监测数据。本报告按季度计算综合指数与各一级指标得分(季度数值按各监测点的汇总规则得出,
# 标准化与四色等级的参照为全部季度合并,因此不同季度的得分可以直接比较),给出本季度的四色热力图及其较上季度的变化、
# 等级发生变化的单位、本季度的预警事项,以及各牵头单位的数据报送情况。

# %% [markdown] tags=["lang-en"]
# Member departments report monitoring data every quarter. This report scores the composite index and
# its dimensions per quarter (quarterly values by each monitoring point's rule; normalisation and
# four-colour grades against all quarters pooled, so scores of different quarters are comparable) and
# shows the quarter's four-colour heat map with its change since the last quarter, the units whose
# grade moved, the quarter's early warnings, and the submission status of every lead department.

# %%
rp.heading(t("1 四色热力图", "1 Four-colour heat map"))
hm = pq.heatmap(quarter, labels=labels(data.framework, lang), units=shown)
rp.key("units_scored", int(now.score.notna().sum()))
rp.key("grade_counts", now.grade.value_counts().to_dict())
rp.figure(plots.grade_heatmap(hm["grades"], hm["scores"], lang=lang),
          t(f"{quarter.label('zh')}各单位综合指数与一级指标的等级与得分", f"Grades and scores by unit and dimension, {quarter.label('en')}"))
rp.figure(plots.grade_heatmap(hm["grades"], hm["change"], lang=lang),
          t(f"本季度等级,数字为较{quarter.previous().label('zh')}的得分变化",
            f"This quarter's grades; the numbers are the score changes since {quarter.previous().label('en')}"))

# %%
rp.heading(t("2 等级变化的单位", "2 Units whose grade moved"))
moved = grade_moves(changes, quarter).assign(unit=lambda d: d.unit_id.map(shown))
rp.key("grade_moved", len(moved))
rp.key("grade_fell", int((moved.grade_steps_previous < 0).sum()))
rp.table(moved[["unit", "previous_grade", "grade", "grade_steps_previous", "previous_score", "score", "change_previous",
                "last_year_grade", "change_last_year"]],
         t("较上季度等级变化的单位(等级变化为正表示上升),并与上年同期比较",
           "Units whose grade changed since the last quarter (positive steps = better), with the same quarter of last year"),
         name="grade_moves", grade_cols=("previous_grade", "grade", "last_year_grade"))

# %%
rp.heading(t("3 本季度预警", "3 Early warnings this quarter"))
ew = pq.result.early_warnings
alerts = ew[ew.period == str(quarter)].assign(unit=lambda d: d.unit_id.map(shown))
rp.key("warnings", len(alerts))
rp.table(alerts[["unit", "kind", "value", "previous", "robust_z", "message"]],
         t("本季度预警(等级下降、相对本单位以往变化异常的下降)", "Early warnings this quarter (grade drops, unusual falls against the unit's own history)"),
         name="warnings")

# %%
rp.heading(t("4 数据报送情况", "4 Data submission status"))
status = quality.submission_status(data.observations, data.framework, data.units, year, quarter.quarters[0])
rp.key("values_missing", int(status.missing.sum()))
rp.key("values_late", int(status.late.sum()))
rp.table(status[["lead_department", "period", "indicator", name, "deadline", "expected", "reported", "on_time",
                 "late", "missing", "missing_units", "late_units"]],
         t("各牵头单位分指标报送情况(未报送、逾期报送的单位)", "Submission status per lead department and indicator (units missing or late)"),
         name="submission_status")
rp.note(t("季度数值:计数类为本季度合计,比率与评分类为本季度均值,年内累计的存量指标与年度指标取最近一个完整年度的数值。"
          "报送期限:季度数据为季度结束后 15 日内,年度数据为次年 1 月 31 日前;以数据导入时间判断是否逾期。",
          "Quarterly values: counts are the quarter's sum, rates and scores its mean; within-year cumulative stocks and "
          "annual indicators take the latest complete year. Deadlines: 15 days after the quarter ends, annual values "
          "by 31 January; lateness is judged by the time the value was loaded."), kind="methods")
