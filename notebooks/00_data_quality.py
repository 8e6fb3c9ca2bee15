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
from analysis import quality
from analysis.notebook import open_report

rp, data, cfg = open_report("00_data_quality", year=year, config=config, inputs=inputs, warehouse=warehouse,
                            title=("数据质量报告", "Data quality report"), notice=notice)
t, name = rp.t, f"name_{cfg.lang}"
checks = quality.summary(data.values, data.framework, data.units, year=year)
cov = checks["coverage"]

# %% [markdown] tags=["lang-zh"]
# 本报告检查进入综合指数之前的数据:各监测点的报送覆盖率、缺失的指标年度、超出取值范围的数值、
# 异常的年度变化,以及指数计算中被插补或处理(缩尾、对数变换)的单元格。所有数字均可回溯到数据仓库的导入记录。

# %% [markdown] tags=["lang-en"]
# This report checks the data before they enter the composite index: reporting coverage of every
# monitoring point, indicator-years with no data, values outside their plausible range, unusual
# year-on-year changes, and the cells the index run imputed or treated (winsorised, log-transformed).
# Every number traces back to the warehouse's ingest records.

# %%
rp.heading(t("1 报送覆盖率", "1 Reporting coverage"))
this_year = cov[cov.year == year]
rp.key("coverage_mean", this_year.coverage.mean())
rp.key("indicators_missing_this_year", int((this_year.reported == 0).sum()))
wide = cov.pivot_table(index="indicator", columns="year", values="coverage").reset_index()
rp.table(wide, t("各监测点各年度报送覆盖率(已报送单位 ÷ 应报送单位)",
                 "Coverage of every monitoring point by year (units reporting ÷ units expected)"),
         name="coverage", kinds={"*": "percent"})
rp.note(t(f"{year} 年平均覆盖率 {this_year.coverage.mean():.1%};"
          f"完全缺失的监测点 {int((this_year.reported == 0).sum())} 个。",
          f"Mean coverage in {year}: {this_year.coverage.mean():.1%}; "
          f"monitoring points with no data: {int((this_year.reported == 0).sum())}."), kind="coverage")

# %%
rp.heading(t("2 缺失的指标年度", "2 Indicator-years without data"))
missing = checks["missing"][["indicator", name, "year", "expected"]]
rp.key("missing_indicator_years", len(missing))
rp.table(missing, t("没有任何单位报送的监测点 × 年度", "Monitoring point × year with no unit reporting"),
         name="missing_indicator_years")

# %%
rp.heading(t("3 取值范围与异常变化", "3 Range checks and unusual changes"))
rp.table(checks["out_of_range"], t(f"{year} 年超出取值范围的年度值", f"Yearly values outside the plausible range, {year}"),
         name="out_of_range")
rp.table(checks["jumps"].head(50), t(f"{year} 年异常的年度变化(稳健 z > 3.5,最多 50 条)",
                                     f"Unusual year-on-year changes in {year} (robust z > 3.5, at most 50)"),
         name="suspicious_jumps")
rp.key("suspicious_jumps", len(checks["jumps"]))

# %%
rp.heading(t("4 插补与处理的单元格", "4 Imputed and treated cells"))
imputed = data.index.imputed
treated = data.index.treated
rp.key("imputed_cells", len(imputed))
rp.key("treated_cells", len(treated))
rp.table(imputed.head(200), t("指数计算中插补的单元格(最多 200 条)", "Cells imputed by the index run (at most 200)"),
         name="imputed")
rp.table(treated, t("指数计算中处理的指标(缩尾或变换)", "Leaves treated by the index run (winsorised or transformed)"),
         name="treated")
rp.table(data.index.warnings, t("指数计算的提示", "Notes from the index run"), name="index_warnings")

# %%
rp.heading(t("5 导入记录", "5 Ingest provenance"))
rp.table(data.provenance, t("数据仓库导入记录(文件、SHA-256、行数、时间、命令)",
                            "Warehouse ingest records (file, SHA-256, rows, time, command)"), name="provenance")
rp.note(t("覆盖率 = 当年报送该监测点的单位数 ÷ 当年在册单位数(更名单位只计一次)。异常变化:同一指标内年度变化的稳健 z 值"
          "(中位数与 1.4826 × MAD)超过 3.5(Iglewicz & Hoaglin 1993)。",
          "Coverage = units reporting the monitoring point ÷ units in force that year (renamed units count once). "
          "Unusual change: robust z of the year-on-year change within the indicator (median and 1.4826 × MAD) "
          "above 3.5 (Iglewicz & Hoaglin 1993)."), kind="methods")
