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
# 专题调研报告 / Topical research report: the topic YAML names the question, partners, authors and scope;
# the data subset and every table come from analysis.topics (tested in tests/test_topics.py).
topic_path: str = "../data/topics/work_style_colleges.yaml"  # 专题文件 / topic YAML file
year: int = 2024  # 报告年度(观察窗口的最后一年)/ report year (last year of the window)
config: dict = {}  # 运行配置(analysis topic 注入),空为 data/config/run.yaml / run config, empty for the default file
inputs: str = ""  # 本次运行的共享输入(analysis topic 注入),空为现算 / the run's shared inputs, empty to compute them here
warehouse: str = ""  # 数据仓库,空为 data/warehouse.duckdb / warehouse file, empty for the default
data_dir: str = ""  # 研究包数据目录;空串时读本次运行的输入 / package data folder (empty: the run's inputs)
key_path: str = ""  # 假名密钥文件;空串时用 secrets/pseudonym.key / pseudonym key file (empty: default)

# %%
from analysis import plots, topics
from analysis.config import RunConfig
from analysis.report import Report

cfg = RunConfig.from_dict(config)
topic = topics.load_topic(topic_path)
data = topics.notebook_data(topic, year, cfg, inputs=inputs, warehouse=warehouse, data_dir=data_dir, key_path=key_path)
tables = topics.topic_tables(data, topic, year)
plots.set_theme()
rp = Report(lang=cfg.lang, notebook="05_topical_report")
t = rp.t
topics.title_block(rp, topic, data, year)

# %%
rp.heading(t("一、研究背景", "1. Background"))
topics.show_text(rp, topic.text("background", cfg.lang))
rp.heading(t("二、数据与方法", "2. Data and methods"))
rp.note(topics.methods_text(cfg.lang), kind="methods")
topics.data_note(rp, data)

# %%
rp.heading(t("三、问题总体情况", "3. Overview of problems"))
rp.figure(topics.problems_figure(data, year, cfg.lang), t("各年度问题数", "Problems per year"))
topics.show_tables(rp, tables, ["problems_by_category", "concentration", "pareto", "problems_by_region", "problems_by_source"])

# %%
rp.heading(t("四、整改情况", "4. Rectification"))
topics.show_tables(rp, tables, ["rectification_by_year", "rectification_by_region", "rounds", "time_to_rectify",
                                "overdue_items"])

# %%
rp.heading(t("五、反复出现的问题与审核流程", "5. Recurring problems and the review funnel"))
topics.show_tables(rp, tables, ["recurrence", "recurring_units", "review_funnel"])

# %%
rp.heading(t("六、问题描述的关键词", "6. Keywords of the problem descriptions"))
topics.show_tables(rp, tables, ["keywords", "rising_keywords"])

# %%
rp.heading(t("七、与综合指数的关联", "7. Link to the composite index"))
rp.figure(topics.scores_figure(data, topic, cfg.lang), t("各片区维度平均得分", "Mean dimension score by region"))
topics.show_tables(rp, tables, ["index_link", "dimension_scores", "leaf_summary"])

# %%
rp.heading(t("八、结论", "8. Conclusions"))
topics.show_text(rp, topic.text("conclusions", cfg.lang))
rp.heading(t("九、对策建议", "9. Recommendations"))
topics.show_text(rp, topic.text("recommendations", cfg.lang))
