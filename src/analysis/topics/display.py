"""How a topical report shows its tables and figures (used by ``notebooks/05_topical_report``)."""
from __future__ import annotations

import re

import pandas as pd

from .. import publish as pb
from .definition import Topic
from .subset import TopicData
from .tables import TABLE_TITLES

# --------------------------------------------------------------------------- notebook helpers
COLUMN_LABELS_ZH = {
    "n": "问题数", "n_total": "合计", "share": "占比", "cum_share": "累计占比", "rank": "位次", "category": "问题类别",
    "region": "片区", "source": "问题来源", "year": "年度", "n_groups": "类别数", "top_k": "k",
    "top_k_share": "前 k 类占比", "n_for_pareto": "达 80% 所需类别数", "hhi": "HHI", "hhi_normalised": "标准化 HHI",
    "reason": "说明", "n_rectified": "已整改", "rectification_rate": "整改率", "n_overdue": "逾期未整改",
    "overdue_rate": "逾期率", "n_on_time": "按期整改", "on_time_rate": "按期整改率", "n_no_deadline": "无整改时限",
    "n_censored": "未整改(删失)", "median_days_km": "整改用时中位数(KM,天)", "ci_low": "95% 置信下限",
    "ci_high": "95% 置信上限", "median_days_rectified_only": "仅已整改的中位数(天)", "n_pairs": "单位×类别组合数",
    "n_recurring": "连续出现数", "recurrence_rate": "连续出现率", "unit_id": "单位", "previous_year": "上一年",
    "streak": "连续年数", "n_previous": "上年问题数", "stage_zh": "环节", "share_of_collected": "占采集数比例",
    "share_of_previous": "占上一环节比例", "n_inconsistent": "不一致记录", "term": "词语", "kind": "类型",
    "n_docs": "含该词的问题数", "n_occurrences": "出现次数", "docs_in_group": "组内问题数", "doc_share": "占比",
    "docs": "本年问题数", "n_docs_prev": "上年含该词问题数", "docs_prev": "上年问题数", "share_prev": "上年占比",
    "change": "占比变化", "log_ratio": "对数比", "p": "p 值", "p_adj": "校正 p 值(BH)", "aspect": "方面",
    "node": "维度", "n_units": "单位数", "n_with_problems": "有问题的单位数", "rho": "Spearman ρ", "mean": "均值",
    "median": "中位数", "q25": "下四分位数", "q75": "上四分位数", "indicator": "监测点", "severity": "严重程度",
    "status": "整改状态", "deadline": "整改时限", "days_overdue": "逾期天数", "problem_id": "问题编号",
    "description": "问题描述",
}


def display_columns(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Column labels for the reader: Chinese labels (``n_2023`` → ``2023 年``) or tidy English."""
    def label(col: str) -> str:
        m = re.fullmatch(r"n_(\d{4})", str(col))
        if lang == "zh":
            return f"{m.group(1)} 年" if m else COLUMN_LABELS_ZH.get(col, col)
        return m.group(1) if m else str(col).replace("_", " ")

    out = df.drop(columns=[c for c in ("stage",) if c in df.columns and "stage_zh" in df.columns and lang == "zh"])
    if lang == "en":
        out = out.drop(columns=[c for c in ("stage_zh",) if c in out.columns])
    out = out.rename(columns={c: label(c) for c in out.columns})
    out.attrs = dict(df.attrs)
    out.attrs["suppressed"] = [c | {"column": label(c["column"])} for c in df.attrs.get("suppressed", [])]
    return out


def show_table(rp, tables: dict[str, pd.DataFrame], name: str) -> None:
    """Show one topic table with its caption and reader-facing column labels, and say which
    cells were suppressed."""
    from ..glossary import is_labelled

    zh, en = TABLE_TITLES[name]
    table = tables[name]
    drop = ("stage",) if rp.lang == "zh" and "stage_zh" in table.columns else ("stage_zh",)
    table = table.drop(columns=[c for c in drop if c in table.columns])
    shown = display_columns(table, rp.lang)  # labels only: the column names stay in the downloads
    labels = {c: s for c, s in zip(table.columns, shown.columns)
              if re.fullmatch(r"n_\d{4}", str(c)) or not is_labelled(c)}
    rp.table(table, rp.t(zh, en), name=name, labels=labels)
    note = pb.suppression_note(table, rp.lang)
    if note:
        rp.text(note)


def paragraphs(text: str) -> list[str]:
    """Authored text split into paragraphs at blank lines."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def problems_figure(data: TopicData, year: int, lang: str = "zh"):
    """Bars: problems per year by category; in publish mode only yearly totals of at least k are
    drawn (a stacked bar would show the year × category cells that the tables suppress)."""
    import matplotlib.pyplot as plt

    k, publish = int(data.meta["k"]), bool(data.meta["publish"])
    p = data.problems[data.problems.year <= year]
    fig, ax = plt.subplots()
    if p.empty:
        ax.text(0.5, 0.5, "无问题记录" if lang == "zh" else "no problems", ha="center", transform=ax.transAxes)
        return fig
    c = p.groupby(["year", "category"]).size().unstack(fill_value=0)
    if publish:
        total = c.sum(axis=1)
        c = total.where(total >= k, 0).rename("问题数" if lang == "zh" else "problems").to_frame()
    c = c[c.sum().sort_values(ascending=False).index]
    if c.to_numpy().sum() == 0:
        ax.text(0.5, 0.5, f"各年问题数均小于 {k},不作图" if lang == "zh" else f"every year has fewer than {k} problems: "
                "not drawn", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    c.plot(kind="bar", stacked=True, ax=ax, width=0.7)
    ax.set_xlabel("年度" if lang == "zh" else "Year")
    ax.set_ylabel("问题数" if lang == "zh" else "Problems")
    ax.legend(fontsize=8, ncols=2, title=None)
    ax.tick_params(axis="x", rotation=0)
    return fig


def scores_figure(data: TopicData, topic: Topic, lang: str = "zh"):
    """Lines: mean score of each dimension in scope by region and year."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from ..panel import units_by_year

    sc = data.scores[data.scores.node.isin(topic.dimensions)]
    fig, ax = plt.subplots()
    if sc.empty:
        ax.text(0.5, 0.5, "无得分" if lang == "zh" else "no scores", ha="center", transform=ax.transAxes)
        return fig
    years = sorted(sc.year.unique())
    sc = sc.merge(units_by_year(data.units, years)[["unit_id", "year", "region"]], on=["unit_id", "year"])
    sns.lineplot(data=sc, x="year", y="score", hue="region", style="node", estimator="mean", errorbar=None,
                 marker="o", ax=ax)
    ax.set_xlabel("年度" if lang == "zh" else "Year")
    ax.set_ylabel("维度平均得分" if lang == "zh" else "Mean dimension score")
    ax.set_xticks(years)
    ax.legend(fontsize=7, ncols=3)
    return fig


def methods_text(lang: str = "zh") -> str:
    if lang == "en":
        return ("Counts and shares by category, region and source; concentration as the share of the top-k "
                "categories and the Herfindahl–Hirschman index; rectification as of the data date (overdue = "
                "deadline passed and not rectified); time to rectify from 31 December of the problem's year, "
                "Kaplan–Meier with unrectified items censored (statsmodels SurvfuncRight; median = first time the "
                "share unrectified falls below one half); recurring = same unit and category in consecutive years; "
                "keywords by jieba segmentation with the project's stop-word and synonym lists, document "
                "frequencies, change against last year with Fisher's exact test and Benjamini–Hochberg FDR; link "
                "to the index: Spearman rank correlation between a unit's problem count of an aspect and its score "
                "on the matching dimension (scipy).")
    return ("按类别、片区、来源统计问题数及占比;集中度用前 k 类占比与赫芬达尔—赫希曼指数;整改情况按数据截至日期计算"
            "(逾期 = 已过整改时限且未整改);整改用时自问题所属年度 12 月 31 日起算,未整改问题作删失处理,用 Kaplan–Meier "
            "估计(statsmodels SurvfuncRight,中位数为未整改比例首次低于一半的时间);反复出现 = 同一单位同一类别连续年度出现;"
            "关键词用 jieba 分词,配合项目的停用词表与同义词表,计文档频数,较上年变化用 Fisher 精确检验并作 "
            "Benjamini–Hochberg 校正;与指数的关联用 Spearman 等级相关(scipy)检验单位某方面问题数与对应维度得分的关系。")


def show_tables(rp, tables: dict[str, pd.DataFrame], names: list[str]) -> None:
    """Show the named topic tables in order; a table the edition does not have is skipped
    (the internal-only list of overdue items)."""
    for name in names:
        if name in tables:
            show_table(rp, tables, name)


def show_text(rp, text: str) -> None:
    """Authored text (background, conclusions, recommendations) as paragraphs."""
    for para in paragraphs(text):
        rp.text(para)


def title_block(rp, topic: Topic, data: TopicData, year: int) -> None:
    """The report's title block: question, partners, authors, years, edition and citation."""
    from datetime import date

    from .definition import citation

    t, lang = rp.t, rp.lang
    edition = (t("发布版(单位已假名化)", "Published edition (units pseudonymised)") if data.meta["publish"]
               else t("内部版(含真实单位与问题描述)", "Internal edition"))
    rp.title(topic.text("title", lang), year=year, data_as_of=data.meta["as_of"],
             authors=[a["name"] for a in topic.authors], partners=[p["name"] for p in topic.partners],
             version=topic.version,
             extra={t("研究问题", "Research question"): topic.text("research_question", lang),
                    t("观察年度", "Years"): f"{min(data.meta['years'])}–{max(data.meta['years'])}",
                    t("报告日期", "Report date"): date.today().isoformat(),
                    t("版本类型", "Edition"): edition,
                    t("建议引用", "Suggested citation"): citation(topic, year, lang)})


def data_note(rp, data: TopicData) -> None:
    """What the report covers, and how it protects the units (a coverage note)."""
    m = data.meta
    years = ", ".join(map(str, m["years"]))
    zh = (f"纳入 {m['n_units']} 个单位、{m['n_problems']} 条问题,年度 {years};整改情况截至 {m['as_of']}。"
          + (f"单位以假名显示,问题描述不出现在报告中,小于 {m['k']} 的计数已抑制。" if m["publish"]
             else "内部版:含真实单位与问题描述,不得公开。"))
    en = (f"{m['n_units']} units and {m['n_problems']} problems, years {years}; rectification as of {m['as_of']}. "
          + (f"Units are pseudonymised, no problem text is shown, counts below {m['k']} are suppressed." if m["publish"]
             else "Internal edition: real units and problem texts; not for publication."))
    rp.note(rp.t(zh, en), kind="coverage")
    rp.key("n_units", m["n_units"])
    rp.key("n_problems", m["n_problems"])
