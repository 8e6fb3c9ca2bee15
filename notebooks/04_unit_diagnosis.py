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
period: str = "Y"  # 期别:Y 全年,H1/H2 上、下半年 / period: Y the year, H1/H2 a half year
config: dict = {}  # 运行配置(analysis run 注入),空为 data/config/run.yaml / effective run config, empty for the default file
inputs: str = ""  # 本次运行的共享输入(analysis run 注入),空为现算 / the run's shared inputs, empty to compute them here
warehouse: str = ""  # 数据仓库,空为 data/warehouse.duckdb / warehouse file, empty for the default
notice: str = ""  # 运行提示(如覆盖率低)/ run notice, e.g. low coverage
units: list[str] = []  # 本批诊断的单位代码,空为当年全部单位 / unit codes of this batch, empty for all units

# %%
from analysis import diagnosis
from analysis.notebook import open_report
from analysis.panel import units_for_year

rp, data, cfg = open_report("04_unit_diagnosis", year=year, config=config, inputs=inputs, warehouse=warehouse,
                            title=("单位诊断书", "Unit diagnosis"), notice=notice, period=period)
batch = units or units_for_year(data.units, year).unit_id.tolist()

# %% [markdown] tags=["lang-zh"]
# 诊断书按“总体情况 → 突出问题 → 原因分析 → 需关注事项”的顺序,给出单位的综合指数、等级与排名的历年变化,
# 最弱的监测点与问题清单,指数变化按维度的归因,预警事项,并与所在片区和同类单位比较。

# %% [markdown] tags=["lang-en"]
# Each diagnosis follows "overall situation → prominent problems → analysis of causes → points for
# attention": the unit's index, grade and rank over the years, its weakest monitoring points and
# problem list, the attribution of the index change to dimensions, early warnings, and a
# comparison with its region and with units of the same type.


# %%
status = rp.unit_sections(diagnosis.section_titles(data, batch, year, cfg.lang),
                          lambda unit_id: diagnosis.render(rp, diagnosis.diagnose(data, unit_id, year, cfg.lang, period, cfg.publish,
                                                                                 cfg.publication.k)))
