"""Problem-list analytics (问题清单分析).

Member departments supply a problem list per focal unit and year (``problems`` table, see
``docs/data-model.md``). This module answers the questions the source documents ask of it:

- how many problems, by aspect, category, source department, unit, region and year
  (:func:`counts`), and which few categories hold most of them (:func:`pareto`,
  :func:`concentration`: top-k share and the Herfindahl–Hirschman index);
- how far rectification has got as of a date (:func:`rectification`, :func:`overdue_items`)
  and how long it takes (:func:`time_to_rectify`, Kaplan–Meier with unrectified items censored);
- which problems come back (:func:`recurring`: same unit and category in consecutive years);
- the review funnel, collected → kept → fed back (:func:`review_funnel`);
- what the descriptions talk about (:func:`keyword_frequencies`, :func:`rising_keywords`, jieba
  segmentation with user-editable stop-word and synonym lists, :func:`analysis.catalog.read_lexicon`);
- whether units with more problems of an aspect score lower on the matching dimension
  (:func:`index_link`, Spearman rank correlation).

Free text (``description``) never leaves these functions unless ``internal=True``: result
tables carry counts, ids and derived terms only, and terms that look like person names, that
occur in fewer than ``k`` problems, or that are fragments of unit names are dropped.

All functions take DataFrames and return tidy DataFrames; degenerate groups get a ``reason``
("中文 / English") instead of a silent NaN.
"""
from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .frames import as_list
from .multitest import adjust_pvalues
from .panel import units_by_year

ASPECTS = ("D1", "D2", "D3", "D4", "D5", "D6")
#: Columns that hold free text from the data and never leave unless ``internal=True``.
FREE_TEXT = ("description",)
#: jieba part-of-speech flags of person names (nr 人名, nrfg/nrt 人名变体).
PERSON_FLAGS = ("nr", "nrfg", "nrt")
_UNIT_ATTRS = ("region", "type")


def _with_units(problems: pd.DataFrame, units: pd.DataFrame | None, need: list[str]) -> pd.DataFrame:
    """Attach ``region``/``type`` of the unit row in force in the problem's year."""
    missing = [c for c in need if c in _UNIT_ATTRS and c not in problems.columns]
    if not missing:
        return problems
    if units is None:
        raise ValueError(f"按 {missing} 统计需要单位表 units / grouping by {missing} needs the units table")
    attrs = units_by_year(units, problems.year.unique())[["unit_id", "year", *missing]]
    return problems.merge(attrs, on=["unit_id", "year"], how="left")


def counts(problems: pd.DataFrame, by="aspect", units: pd.DataFrame | None = None,
           within=None) -> pd.DataFrame:
    """Number of problems per group, and its share.

    ``by`` is one column or a list among ``aspect, category, source, unit_id, region, type,
    year, severity, status``; ``region``/``type`` come from ``units`` (the row in force in the
    problem's year). ``share = n / N`` where ``N`` is the total of the ``within`` group (all
    problems when ``within`` is None), e.g. ``by=["year", "category"], within="year"`` gives
    each category's share of its year.

    Returns ``[*by, n, share]`` sorted by ``by``.
    """
    by, within = as_list(by), as_list(within)
    if not set(within) <= set(by):
        raise ValueError("within 须是 by 的子集 / within must be a subset of by")
    df = _with_units(problems, units, by)
    out = df.groupby(by, dropna=False).size().rename("n").reset_index()
    total = out.groupby(within).n.transform("sum") if within else out.n.sum()
    out["share"] = out.n / total
    return out.sort_values(by).reset_index(drop=True)


def pareto(problems: pd.DataFrame, by: str = "category", within=None) -> pd.DataFrame:
    """Pareto table: groups ordered by count (ties by label), with cumulative share.

    Returns ``[*within, by, n, share, cum_share, rank]``; ``rank`` 1 is the largest group.
    """
    within = as_list(within)
    out = counts(problems, [*within, by], within=within or None)
    out = out.sort_values([*within, "n", by], ascending=[True] * len(within) + [False, True])
    g = out.groupby(within) if within else None
    out["cum_share"] = g.share.cumsum() if g is not None else out.share.cumsum()
    out["rank"] = (g.cumcount() if g is not None else pd.Series(np.arange(len(out)), index=out.index)) + 1
    return out.reset_index(drop=True)


def concentration(problems: pd.DataFrame, by: str = "category", top_k: int = 3, within=None,
                  pareto_share: float = 0.8) -> pd.DataFrame:
    """How concentrated problems are in a few groups (categories by default).

    - ``top_k_share``: share of all problems held by the ``top_k`` largest groups (ties at the
      boundary broken by label, so the figure is reproducible);
    - ``n_for_pareto``: the fewest groups that together hold at least ``pareto_share`` (80 %);
    - ``hhi``: Herfindahl–Hirschman index ``H = Σ s_i²`` with ``s_i`` the share of group *i*
      (1/N when evenly spread over N groups, 1 when all in one);
    - ``hhi_normalised``: ``(H − 1/N) / (1 − 1/N)``, 0 = even, 1 = all in one group.

    Reference: Rhoades, S. A. (1993) The Herfindahl–Hirschman index. *Federal Reserve
    Bulletin* 79, 188–189.

    Returns one row per ``within`` group: ``[*within, n, n_groups, top_k, top_k_share,
    n_for_pareto, hhi, hhi_normalised, reason]``.
    """
    within = as_list(within)
    table = pareto(problems, by, within or None)
    rows = []
    groups = table.groupby(within) if within else [((), table)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        s = g.share.to_numpy()
        n_groups = len(g)
        hhi = float(np.sum(s ** 2)) if n_groups else math.nan
        reason = ""
        if n_groups == 0:
            reason = "没有问题记录 / no problems"
        elif n_groups == 1:
            reason = "仅一个类别,无法比较集中度 / only one group: normalised HHI undefined"
        rows.append({
            **dict(zip(within, key)), "n": int(g.n.sum()), "n_groups": n_groups, "top_k": top_k,
            "top_k_share": float(g.share.iloc[:top_k].sum()) if n_groups else math.nan,
            "n_for_pareto": int(np.searchsorted(g.cum_share.to_numpy() + 1e-9, pareto_share) + 1)
            if n_groups else 0,
            "hhi": hhi,
            # rounded to 12 decimals: an even spread gives exactly 0, not 3e-17
            "hhi_normalised": round((hhi - 1 / n_groups) / (1 - 1 / n_groups), 12) if n_groups > 1 else math.nan,
            "reason": reason,
        })
    if not rows:
        rows.append({"n": 0, "n_groups": 0, "top_k": top_k, "top_k_share": math.nan, "n_for_pareto": 0,
                     "hhi": math.nan, "hhi_normalised": math.nan, "reason": "没有问题记录 / no problems"})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- rectification
def _rectified_as_of(problems: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Rectified by ``as_of``: status ``rectified`` and done on or before ``as_of`` (an item
    marked rectified without a date counts as rectified)."""
    done = pd.to_datetime(problems.rectified_on)
    return (problems.status == "rectified") & (done.isna() | (done <= as_of))


def rectification(problems: pd.DataFrame, as_of, by=None, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rectification status as of a date.

    - ``n_rectified``: rectified on or before ``as_of``; ``rectification_rate = n_rectified / n``;
    - ``n_overdue``: deadline before ``as_of`` and not rectified by then; ``overdue_rate = n_overdue / n``;
    - ``n_on_time``: rectified on or before the deadline; ``on_time_rate = n_on_time / n_rectified``;
    - ``n_no_deadline``: items without a deadline (never counted overdue).

    Returns ``[*by, n, n_rectified, rectification_rate, n_overdue, overdue_rate, n_on_time,
    on_time_rate, n_no_deadline, reason]``.
    """
    as_of = pd.Timestamp(as_of)
    by = as_list(by)
    df = _with_units(problems, units, by).copy()
    deadline = pd.to_datetime(df.deadline)
    done = pd.to_datetime(df.rectified_on)
    df["_rect"] = _rectified_as_of(df, as_of)
    df["_overdue"] = deadline.notna() & (deadline < as_of) & ~df._rect
    df["_on_time"] = df._rect & done.notna() & deadline.notna() & (done <= deadline)
    df["_no_deadline"] = deadline.isna()
    df["_one"] = 1
    agg = {"n": ("_one", "sum"), "n_rectified": ("_rect", "sum"), "n_overdue": ("_overdue", "sum"),
           "n_on_time": ("_on_time", "sum"), "n_no_deadline": ("_no_deadline", "sum")}
    out = df.groupby(by).agg(**agg).reset_index() if by else pd.DataFrame([df.agg({v[0]: v[1] for v in agg.values()})
                                                                           .set_axis(list(agg))])
    out = out.astype({c: "int64" for c in agg})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rectification_rate"] = out.n_rectified / out.n.where(out.n > 0)
        out["overdue_rate"] = out.n_overdue / out.n.where(out.n > 0)
        out["on_time_rate"] = out.n_on_time / out.n_rectified.where(out.n_rectified > 0)
    out["reason"] = np.where(out.n == 0, "没有问题记录 / no problems",
                             np.where(out.n_rectified == 0, "尚无整改完成的问题,按期率无定义 / nothing rectified yet: "
                                      "on-time rate undefined", ""))
    cols = [*by, "n", "n_rectified", "rectification_rate", "n_overdue", "overdue_rate", "n_on_time",
            "on_time_rate", "n_no_deadline", "reason"]
    return out[cols]


def overdue_items(problems: pd.DataFrame, as_of, internal: bool = False) -> pd.DataFrame:
    """Items whose deadline passed before ``as_of`` and that were not rectified by then.

    Returns ``problem_id, unit_id, year, aspect, category, source, severity, status,
    deadline, days_overdue`` (plus ``description`` only when ``internal=True``), most overdue first.
    """
    as_of = pd.Timestamp(as_of)
    deadline = pd.to_datetime(problems.deadline)
    mask = deadline.notna() & (deadline < as_of) & ~_rectified_as_of(problems, as_of)
    out = problems[mask].copy()
    out["deadline"] = deadline[mask]
    out["days_overdue"] = (as_of - out.deadline).dt.days.astype("int64")
    cols = ["problem_id", "unit_id", "year", "aspect", "category", "source", "severity", "status",
            "deadline", "days_overdue"] + (["description"] if internal else [])
    return out[[c for c in cols if c in out.columns]].sort_values(
        ["days_overdue", "problem_id"], ascending=[False, True]).reset_index(drop=True)


def rectification_durations(problems: pd.DataFrame, as_of, origin: str = "year_end") -> pd.DataFrame:
    """Days from the origin to rectification, censored at ``as_of`` for unrectified items.

    The problem list has no "found on" date, so the clock starts at ``origin``:
    ``"year_end"`` (31 December of the problem's year: lists are collected and fed back at
    the end of the assessment year) or the name of a date column (e.g. a feedback date).
    Items rectified before the origin get 0 days (``before_origin`` is True). Items whose
    origin is after ``as_of`` are dropped (not yet at risk).

    Returns ``problem_id, duration, rectified (event indicator), before_origin`` plus the
    problem's other columns except free text.
    """
    as_of = pd.Timestamp(as_of)
    if origin == "year_end":
        start = pd.to_datetime(problems.year.astype(int).astype(str) + "-12-31")
    elif origin in problems.columns:
        start = pd.to_datetime(problems[origin])
    else:
        raise ValueError(f"起点 {origin!r} 既不是 'year_end' 也不是日期列 / origin {origin!r} is neither "
                         "'year_end' nor a date column")
    done = pd.to_datetime(problems.rectified_on)
    rect = _rectified_as_of(problems, as_of) & done.notna()
    end = done.where(rect, as_of)
    out = problems.drop(columns=[c for c in FREE_TEXT if c in problems.columns]).copy()
    out["start"] = start
    out["rectified"] = rect.astype(int)
    days = (end - start).dt.days
    out["before_origin"] = rect & (days < 0)
    out["duration"] = days.clip(lower=0).astype(float)
    return out[start.notna() & (start <= as_of)].reset_index(drop=True)


def time_to_rectify(problems: pd.DataFrame, as_of, by=None, origin: str = "year_end",
                    units: pd.DataFrame | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Median time to rectify, with unrectified items as right-censored observations.

    The Kaplan–Meier estimate ``S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)`` of the share still
    unrectified after *t* days (statsmodels ``SurvfuncRight``); the median is the smallest *t*
    with ``S(t) ≤ 0.5``, with its Brookmeyer–Crowley confidence interval
    (``quantile_ci``). The median of rectified items only (``median_days_rectified_only``)
    is shown beside it: it ignores the slow, still-open items and is biased low.

    Reference: Kaplan, E. L. & Meier, P. (1958) Nonparametric estimation from incomplete
    observations. *JASA* 53, 457–481; Brookmeyer, R. & Crowley, J. (1982) *Biometrics* 38, 29–41.

    Returns ``[*by, n, n_rectified, n_censored, n_before_origin, median_days_km, ci_low,
    ci_high, median_days_rectified_only, reason]``.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    by = as_list(by)
    d = rectification_durations(_with_units(problems, units, by), as_of, origin)
    rows = []
    for key, g in (d.groupby(by) if by else [((), d)]):
        key = key if isinstance(key, tuple) else (key,)
        row = {**dict(zip(by, key)), "n": len(g), "n_rectified": int(g.rectified.sum()),
               "n_censored": int((g.rectified == 0).sum()), "n_before_origin": int(g.before_origin.sum()),
               "median_days_km": math.nan, "ci_low": math.nan, "ci_high": math.nan,
               "median_days_rectified_only": float(g.duration[g.rectified == 1].median())
               if g.rectified.any() else math.nan, "reason": ""}
        if len(g) == 0 or not g.rectified.any():
            row["reason"] = "尚无整改完成的问题 / nothing rectified yet"
        else:
            sf = SurvfuncRight(g.duration.to_numpy(), g.rectified.to_numpy())
            med = float(sf.quantile(0.5))
            row["median_days_km"] = med
            with np.errstate(divide="ignore", invalid="ignore"):  # log(0) at S = 1 in the CI transform
                lo, hi = sf.quantile_ci(0.5, alpha=alpha)
            row["ci_low"] = float(lo)
            row["ci_high"] = float(hi) if np.isfinite(hi) else math.nan
            if not np.isfinite(hi):
                row["reason"] = "置信区间上限未达到(未整改项目较多)/ upper confidence limit not reached"
            if math.isnan(med):
                row["reason"] = ("未整改比例始终高于一半,中位时间无法估计 / more than half still unrectified: "
                                 "median not reached")
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- recurrence and funnel
def recurring(problems: pd.DataFrame, by=("unit_id", "category")) -> pd.DataFrame:
    """Problems that come back: the same unit and category in consecutive years.

    One row per (unit, category, year) that also had a problem in the previous year, with
    ``streak`` = number of consecutive years with a problem up to and including ``year``
    (2 = this year and last year).

    Returns ``[*by, year, previous_year, n, n_previous, streak]``.
    """
    by = as_list(by)
    c = problems.groupby([*by, "year"]).size().rename("n").reset_index().sort_values([*by, "year"])
    c["year"] = c.year.astype(int)
    rows = []
    for key, g in c.groupby(by):
        key = key if isinstance(key, tuple) else (key,)
        streak, prev_year, prev_n = 1, None, 0
        for year, n in zip(g.year, g.n):
            streak = streak + 1 if prev_year is not None and year == prev_year + 1 else 1
            if streak > 1:
                rows.append({**dict(zip(by, key)), "year": year, "previous_year": year - 1, "n": int(n),
                             "n_previous": int(prev_n), "streak": streak})
            prev_year, prev_n = year, n
    cols = [*by, "year", "previous_year", "n", "n_previous", "streak"]
    return pd.DataFrame(rows, columns=cols).sort_values(["year", *by]).reset_index(drop=True)


def recurrence_rate(problems: pd.DataFrame, by=("unit_id", "category")) -> pd.DataFrame:
    """Per year: how many (unit, category) pairs with problems had one the year before too.

    Returns ``year, n_pairs, n_recurring, recurrence_rate, reason`` (the first year has no
    previous year: rate undefined).
    """
    by = as_list(by)
    pairs = problems[[*by, "year"]].drop_duplicates()
    rec = recurring(problems, by)
    out = pairs.groupby("year").size().rename("n_pairs").to_frame()
    out["n_recurring"] = rec.groupby("year").size().reindex(out.index, fill_value=0)
    first = out.index.min()
    out["recurrence_rate"] = (out.n_recurring / out.n_pairs).where(out.index != first)
    out["reason"] = np.where(out.index == first, "首年无上一年可比 / first year: no previous year", "")
    return out.reset_index()


FUNNEL_STAGES = (("collected", "采集"), ("kept", "审核保留"), ("fed_back", "反馈"))


def review_funnel(problems: pd.DataFrame, by=None, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The review funnel of the source documents: items collected → kept after review →
    fed back to the unit (e.g. 331 collected, reviewed six times, 272 fed back).

    ``fed_back`` counts items both kept and fed back; items fed back without being kept
    are data errors, counted in ``n_inconsistent`` rather than hidden.

    Returns ``[*by, stage, stage_zh, n, share_of_collected, share_of_previous, n_inconsistent]``.
    """
    by = as_list(by)
    df = _with_units(problems, units, by).copy()
    df["collected"] = True
    df["kept"] = df.kept.astype(bool)
    df["fed_back"] = df.kept & df["fed_back"].astype(bool)
    df["inconsistent"] = problems["fed_back"].astype(bool).to_numpy() & ~df.kept
    rows = []
    for key, g in (df.groupby(by) if by else [((), df)]):
        key = key if isinstance(key, tuple) else (key,)
        prev = None
        total = int(g.collected.sum())
        for stage, zh in FUNNEL_STAGES:
            n = int(g[stage].sum())
            rows.append({**dict(zip(by, key)), "stage": stage, "stage_zh": zh, "n": n,
                         "share_of_collected": n / total if total else math.nan,
                         "share_of_previous": (n / prev if prev else math.nan) if prev is not None else 1.0,
                         "n_inconsistent": int(g.inconsistent.sum())})
            prev = n
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- Chinese free text
@dataclass(frozen=True)
class Lexicon:
    """User-editable word lists for segmentation.

    ``stopwords``: terms never counted. ``synonyms``: variant → canonical term (both are
    added to jieba's dictionary so they are kept whole). ``user_words``: extra terms to
    keep whole (e.g. the problem categories).
    """

    stopwords: frozenset[str] = frozenset()
    synonyms: dict[str, str] = field(default_factory=dict)
    user_words: tuple[str, ...] = ()

    def with_words(self, words) -> "Lexicon":
        return Lexicon(self.stopwords, dict(self.synonyms), tuple(sorted(set(self.user_words) | set(words))))


@functools.lru_cache(maxsize=8)
def _tokenizer(user_words: tuple[str, ...]):
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    for w in user_words:
        tk.add_word(w, freq=None, tag="n")
    return jieba.posseg.POSTokenizer(tk)


_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def _runs(texts, lexicon: Lexicon, min_length: int, exclude=()) -> list[list[list[str]]]:
    """Per text, the runs of consecutive kept terms (a dropped token ends a run, so a
    phrase never bridges a stop word, a number or an excluded name)."""
    exclude = tuple(e for e in exclude if e)
    words = tuple(sorted(set(lexicon.user_words) | set(lexicon.synonyms) | set(lexicon.synonyms.values())
                         | set(exclude)))
    tk = _tokenizer(words)
    out = []
    for text in texts:
        runs, run = [], []
        for tok in tk.cut(str(text) if isinstance(text, str) else ""):
            w = tok.word.strip()
            w = lexicon.synonyms.get(w, w)
            drop = (tok.flag in PERSON_FLAGS or len(w) < min_length or not _KEEP.search(w)
                    or w in lexicon.stopwords or any(w in e or e in w for e in exclude))
            if drop:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(w)
        if run:
            runs.append(run)
        out.append(runs)
    return out


def segment(texts, lexicon: Lexicon = Lexicon(), min_length: int = 2, exclude=()) -> list[list[str]]:
    """Segment Chinese texts into content terms with jieba (precise mode, HMM on).

    A token is dropped if it is a stop word, shorter than ``min_length`` characters (single
    characters are mostly function words), has no Chinese or Latin letter (numbers,
    punctuation), is tagged as a person name (jieba flags ``nr``, ``nrfg``, ``nrt``), or is
    contained in / contains a string of ``exclude`` (e.g. unit names, which are also added to
    the dictionary so they are cut whole). Synonyms are mapped to their canonical term.

    Reference: Sun, J. jieba — Chinese text segmentation, https://github.com/fxsjy/jieba
    (prefix-dictionary DAG with maximum-probability path; HMM/Viterbi for unknown words).
    """
    return [[w for run in runs for w in run] for runs in _runs(texts, lexicon, min_length, exclude)]


def _terms_of(runs: list[list[str]], phrases: bool) -> Counter:
    c = Counter(w for run in runs for w in run)
    if phrases:
        c.update(a + b for run in runs for a, b in zip(run, run[1:]))
    return c


def keyword_frequencies(problems: pd.DataFrame, by=("category", "year"), lexicon: Lexicon = Lexicon(),
                        phrases: bool = True, k: int = 3, internal: bool = False,
                        exclude=(), text_col: str = "description") -> pd.DataFrame:
    """Keyword and phrase frequencies per group (category and year by default).

    Each description is segmented (:func:`segment`); a *phrase* is two consecutive content
    terms. ``n_docs`` counts the problems whose description contains the term (document
    frequency), ``n_occurrences`` all occurrences; ``doc_share = n_docs / docs_in_group``.

    Unless ``internal=True``: a term must occur in at least ``k`` problems of the group, and
    any token contained in, or containing, a string of ``exclude`` (pass the unit names) is
    dropped before phrases are formed, so rare strings such as names cannot leave the analysis.

    Returns ``[*by, term, kind, n_docs, n_occurrences, docs_in_group, doc_share, rank]``
    (``kind`` is ``word`` or ``phrase``; ``rank`` within the group by ``n_docs``, ties by term).
    """
    by = as_list(by)
    cols = [*by, "term", "kind", "n_docs", "n_occurrences", "docs_in_group", "doc_share", "rank"]
    if problems.empty:
        return pd.DataFrame(columns=cols)
    lex = lexicon.with_words(problems.category.dropna().unique()) if "category" in problems else lexicon
    runs = _runs(problems[text_col].tolist(), lex, 2, () if internal else exclude)
    keys = problems[by].itertuples(index=False, name=None) if by else [()] * len(problems)
    rows = []
    for key, text_runs in zip(keys, runs):
        for term, n in _terms_of(text_runs, phrases).items():
            rows.append((*key, term, n))
    occ = pd.DataFrame(rows, columns=[*by, "term", "n_occurrences"])
    out = occ.groupby([*by, "term"]).agg(n_docs=("n_occurrences", "size"),
                                        n_occurrences=("n_occurrences", "sum")).reset_index()
    sizes = problems.groupby(by).size().rename("docs_in_group").reset_index()
    out = out.merge(sizes, on=by, how="left")
    single = set(w for text_runs in runs for run in text_runs for w in run)
    out["kind"] = np.where(out.term.isin(single), "word", "phrase")
    if not internal:
        out = out[out.n_docs >= k].copy()
    out["doc_share"] = out.n_docs / out.docs_in_group
    out = out.sort_values([*by, "n_docs", "term"], ascending=[True] * len(by) + [False, True])
    out["rank"] = out.groupby(by).cumcount() + 1 if by else np.arange(len(out)) + 1
    return out[cols].reset_index(drop=True)


def rising_keywords(freq: pd.DataFrame, problems: pd.DataFrame, year: int, by=("category",),
                    top_n: int | None = 10, alpha: float = 0.05, direction: str | None = "rising") -> pd.DataFrame:
    """Keywords whose document share rose most from ``year − 1`` to ``year``.

    ``direction="rising"`` (default) keeps only terms whose share rose (``change > 0``), largest
    rise first, so a table titled "rose most" never lists a falling term; ``"falling"`` keeps
    the terms whose share fell, largest fall first; ``None`` keeps every term, largest rise first.

    ``freq`` is :func:`keyword_frequencies` output grouped by ``[*by, "year"]``; ``problems``
    gives the group sizes (so a term absent in one year counts as 0 of that year's problems).
    ``change = share − share_prev`` (percentage points / 100);
    ``log_ratio = ln((n_docs + 0.5)/(docs + 0.5)) − ln((n_docs_prev + 0.5)/(docs_prev + 0.5))``;
    ``p``: Fisher's exact test of the 2×2 table (problems with / without the term, this year
    vs last year), ``p_adj`` Benjamini–Hochberg over all terms of the year.

    Returns ``[*by, term, kind, n_docs, docs, share, n_docs_prev, docs_prev, share_prev,
    change, log_ratio, p, p_adj, reason]`` ordered by ``change`` (largest rise first), the
    ``top_n`` per group.
    """
    by = as_list(by)
    cols = [*by, "term", "kind", "n_docs", "docs", "share", "n_docs_prev", "docs_prev", "share_prev",
            "change", "log_ratio", "p", "p_adj", "reason"]
    sizes = problems.groupby([*by, "year"]).size().rename("docs").reset_index()
    cur = freq[freq.year == year][[*by, "term", "kind", "n_docs"]]
    prev = freq[freq.year == year - 1][[*by, "term", "kind", "n_docs"]].rename(columns={"n_docs": "n_docs_prev"})
    out = cur.merge(prev, on=[*by, "term"], how="outer", suffixes=("", "_p"))
    out["kind"] = out.kind.fillna(out.kind_p)
    out[["n_docs", "n_docs_prev"]] = out[["n_docs", "n_docs_prev"]].fillna(0).astype("int64")
    size_now = sizes[sizes.year == year].drop(columns="year")
    size_prev = sizes[sizes.year == year - 1].drop(columns="year").rename(columns={"docs": "docs_prev"})
    if by:
        out = out.merge(size_now, on=by, how="left").merge(size_prev, on=by, how="left")
    else:
        out["docs"] = size_now.docs.sum()
        out["docs_prev"] = size_prev.docs_prev.sum()
    out[["docs", "docs_prev"]] = out[["docs", "docs_prev"]].fillna(0).astype("int64")
    if out.empty:
        return pd.DataFrame(columns=cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = out.n_docs / out.docs.where(out.docs > 0)
        out["share_prev"] = out.n_docs_prev / out.docs_prev.where(out.docs_prev > 0)
    out["change"] = out.share - out.share_prev
    out["log_ratio"] = (np.log((out.n_docs + 0.5) / (out.docs + 0.5))
                        - np.log((out.n_docs_prev + 0.5) / (out.docs_prev + 0.5)))
    ok = (out.docs > 0) & (out.docs_prev > 0)
    out["p"] = [stats.fisher_exact([[a, n - a], [b, m - b]]).pvalue if good else math.nan
                for a, n, b, m, good in zip(out.n_docs, out.docs, out.n_docs_prev, out.docs_prev, ok)]
    out["p_adj"] = math.nan
    if ok.any():
        out.loc[ok, "p_adj"] = adjust_pvalues(out.loc[ok, "p"], "fdr_bh")
    out["reason"] = np.where(ok, "", "该组某一年没有问题,无法比较 / group has no problems in one of the two years")
    if direction not in ("rising", "falling", None):
        raise ValueError(f"direction 须为 rising、falling 或 None / direction must be 'rising', 'falling' or None, "
                         f"not {direction!r}")
    if direction == "rising":
        out = out[out.change > 0]
    elif direction == "falling":
        out = out[out.change < 0]
    out = out.sort_values([*by, "change", "term"], ascending=[True] * len(by) + [direction == "falling", True])
    if top_n is not None:
        out = out.groupby(by).head(top_n) if by else out.head(top_n)
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------- link to the index
def index_link(problems: pd.DataFrame, scores: pd.DataFrame, level: str = "aspect", year=None,
               min_units: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    """Do units with more problems of an aspect score lower on the matching dimension?

    For each year and aspect ``Dk`` (or each category, matched to the dimension of its
    aspect), every unit with a score on node ``Dk`` that year enters with its number of
    problems of that aspect/category (0 when it has none) and Spearman's rank correlation
    ``ρ`` between count and score is tested (``scipy.stats.spearmanr``, two-sided, average
    ranks for ties). A negative ``ρ`` means more problems go with lower scores.
    ``p_adj``: Benjamini–Hochberg within each year.

    Reference: Spearman, C. (1904) *Am. J. Psychol.* 15, 72–101.

    ``scores`` has columns ``unit_id, year, node, score`` (the index output).
    Returns ``year, [category,] aspect, node, n_units, n_with_problems, rho, p, p_adj, reason``.
    """
    if level not in ("aspect", "category"):
        raise ValueError("level 须为 aspect 或 category / level must be 'aspect' or 'category'")
    sc = scores[scores.node.isin(ASPECTS)]
    years = sorted(set(sc.year) & set(problems.year)) if year is None else [int(year)]
    rows = []
    if level == "aspect":
        items = [(a, a) for a in ASPECTS]
    else:
        aspect_of = problems.groupby("category").aspect.agg(lambda s: s.mode().sort_values().iloc[0])
        items = sorted((c, a) for c, a in aspect_of.items())
    for y in years:
        s_y = sc[sc.year == y]
        p_y = problems[problems.year == y]
        for item, aspect in items:
            s = s_y[s_y.node == aspect].set_index("unit_id").score.dropna()
            n = p_y[p_y[level] == item].groupby("unit_id").size().reindex(s.index, fill_value=0)
            row = {"year": y, **({"category": item} if level == "category" else {}), "aspect": aspect,
                   "node": aspect, "n_units": len(s), "n_with_problems": int((n > 0).sum()),
                   "rho": math.nan, "p": math.nan, "reason": ""}
            if len(s) < min_units:
                row["reason"] = f"单位数少于 {min_units} / fewer than {min_units} units"
            elif n.nunique() < 2:
                row["reason"] = "各单位问题数相同,无法计算相关 / problem counts are constant"
            elif s.nunique() < 2:
                row["reason"] = "各单位得分相同,无法计算相关 / scores are constant"
            else:
                res = stats.spearmanr(n.to_numpy(), s.to_numpy())
                row["rho"], row["p"] = float(res.statistic), float(res.pvalue)
            rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_adj"] = math.nan
    for y, g in out.groupby("year"):
        ok = g.p.notna()
        if ok.any():
            out.loc[g.index[ok], "p_adj"] = adjust_pvalues(g.p[ok], "fdr_bh")
    cols = ["year", *(["category"] if level == "category" else []), "aspect", "node", "n_units",
            "n_with_problems", "rho", "p", "p_adj", "reason"]
    return out[cols]


# ---------------------------------------------------------------- rectification history and rounds
#: Order of statuses on the same date: a tie is broken by progress (open < rectifying < rectified).
STATUS_RANK = {"open": 0, "rectifying": 1, "rectified": 2}
HISTORY_COLUMNS = ["problem_id", "status", "status_on", "round_id", "note"]


def _sorted_history(history: pd.DataFrame, as_of=None) -> pd.DataFrame:
    h = history.copy()
    h["status_on"] = pd.to_datetime(h.status_on)
    if "round_id" not in h.columns:
        h["round_id"] = None
    if as_of is not None:
        h = h[h.status_on <= pd.Timestamp(as_of)]
    h["_rank"] = h.status.map(STATUS_RANK).fillna(-1)
    h["_seq"] = np.arange(len(h))  # recorded order breaks the last ties
    return h.sort_values(["problem_id", "status_on", "_rank", "_seq"], kind="stable").reset_index(drop=True)


def current_status(history: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """The status of each problem derived from its rectification history (整改历史).

    ``history`` has one row per status change: ``problem_id, status, status_on`` (the date the
    status took effect) and optionally ``round_id, note``. Only rows dated on or before
    ``as_of`` count (all rows when None). The current status is that of the latest row (same
    date: the more advanced status; then the row recorded last), so an older status ingested
    later never overrides a newer one. ``status_on`` is the start of the current spell: a
    re-check that confirms a status (a row repeating it) does not move the date, so for a
    rectified problem ``rectified_on = status_on`` is the day it was rectified.

    Returns ``problem_id, status, status_on, rectified_on, found_on, n_changes, n_rounds,
    reopened`` where ``found_on`` is the first recorded date, ``n_changes`` the number of
    status changes after the first row, ``n_rounds`` the distinct rounds in the history, and
    ``reopened`` is True when a rectified problem was set back (e.g. by a re-check round).

    >>> h = pd.DataFrame({"problem_id": ["P1"] * 4,
    ...                   "status": ["open", "rectified", "rectifying", "rectified"],
    ...                   "status_on": ["2023-12-31", "2024-02-01", "2024-05-31", "2024-07-15"]})
    >>> r = current_status(h).iloc[0]
    >>> r.status, str(r.rectified_on.date()), int(r.n_changes), bool(r.reopened)
    ('rectified', '2024-07-15', 3, True)
    >>> current_status(h, as_of="2024-06-30").iloc[0].status
    'rectifying'
    """
    cols = ["problem_id", "status", "status_on", "rectified_on", "found_on", "n_changes", "n_rounds", "reopened"]
    h = _sorted_history(history, as_of)
    if h.empty:
        return pd.DataFrame(columns=cols)
    g = h.groupby("problem_id", sort=False)
    changed = h.status.ne(g.status.shift())  # True on the first row and on every change
    h["_spell"] = changed.astype(int).groupby(h.problem_id).cumsum()
    last = g.tail(1).set_index("problem_id")
    spell_start = h[h._spell == h.problem_id.map(last._spell)].groupby("problem_id").status_on.min()
    was_rectified = (h.status == "rectified").groupby(h.problem_id).cummax()
    prev_rect = was_rectified.groupby(h.problem_id).shift(fill_value=False)
    reopened = (prev_rect & (h.status != "rectified")).groupby(h.problem_id).any()
    out = pd.DataFrame({
        "problem_id": last.index, "status": last.status.to_numpy(),
        "status_on": spell_start.reindex(last.index).to_numpy(),
    })
    out["rectified_on"] = out.status_on.where(out.status == "rectified")
    out["found_on"] = g.status_on.min().reindex(last.index).to_numpy()
    out["n_changes"] = (changed.groupby(h.problem_id).sum() - 1).reindex(last.index).to_numpy().astype("int64")
    out["n_rounds"] = g.round_id.nunique().reindex(last.index).to_numpy().astype("int64")
    out["reopened"] = reopened.reindex(last.index).to_numpy().astype(bool)
    out["rectified_on"] = pd.to_datetime(out.rectified_on)
    return out[cols].reset_index(drop=True)


def status_as_of(problems: pd.DataFrame, history: pd.DataFrame, as_of) -> pd.DataFrame:
    """The problem list as it stood on ``as_of``: ``status``, ``status_on`` and ``rectified_on``
    from the history rows up to that date, plus ``found_on``, ``n_changes``, ``n_rounds`` and
    ``reopened`` (:func:`current_status`). Problems first recorded after ``as_of`` are left out;
    problems with no history at all keep their stored status (``found_on`` is then the end of
    their year, the collection date of a yearly list)."""
    cur = current_status(history, as_of).set_index("problem_id")
    known = set(history.problem_id)
    out = problems[~problems.problem_id.isin(known) | problems.problem_id.isin(cur.index)].copy()
    has = out.problem_id.isin(cur.index)
    for col in ("status", "status_on", "rectified_on", "found_on", "n_changes", "n_rounds", "reopened"):
        mapped = out.problem_id.map(cur[col])
        if col in out.columns:
            out[col] = mapped.where(has, out[col])
        else:
            out[col] = mapped
    year_end = pd.to_datetime(out.year.astype(int).astype(str) + "-12-31")
    out["found_on"] = pd.to_datetime(out.found_on).fillna(year_end)
    for col in ("status_on", "rectified_on", "deadline"):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col])
    out["n_changes"] = out.n_changes.fillna(0).astype("int64")
    out["n_rounds"] = out.n_rounds.fillna(0).astype("int64")
    out["reopened"] = out.reopened.fillna(False).astype(bool)
    return out.reset_index(drop=True)


def time_to_rectify_from_history(problems: pd.DataFrame, history: pd.DataFrame, as_of, by=None,
                                 units: pd.DataFrame | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan–Meier time to rectify measured from the history: the clock starts on the day the
    problem was first recorded (``found_on``: the round's feedback date in the sample) and
    stops on the day its current rectified spell began; problems not rectified by ``as_of``
    are censored there. Same method and columns as :func:`time_to_rectify` (which it calls
    with ``origin="found_on"``).

    Three findings recorded on 1 March; A rectified after 30 days, B after 90, C still open on
    30 June (121 days, censored). The median agrees with statsmodels' Kaplan–Meier on those days:

    >>> from statsmodels.duration.survfunc import SurvfuncRight
    >>> p = pd.DataFrame({"problem_id": list("ABC"), "year": 2024, "status": "open",
    ...                   "rectified_on": pd.NaT})
    >>> h = pd.DataFrame({"problem_id": list("ABCAB"), "status": ["open"] * 3 + ["rectified"] * 2,
    ...                   "status_on": ["2024-03-01"] * 3 + ["2024-03-31", "2024-05-30"]})
    >>> t = time_to_rectify_from_history(p, h, "2024-06-30")
    >>> float(t.median_days_km.iloc[0]), float(SurvfuncRight([30, 90, 121], [1, 1, 0]).quantile(0.5))
    (90.0, 90.0)
    """
    return time_to_rectify(status_as_of(problems, history, as_of), as_of, by=by, origin="found_on",
                           units=units, alpha=alpha)


def rounds_to_rectify(problems: pd.DataFrame, history: pd.DataFrame, as_of, by=None,
                      units: pd.DataFrame | None = None) -> pd.DataFrame:
    """How many inspection rounds a problem is followed through before it is rectified.

    For each problem with a round, ``rounds`` counts the distinct rounds in its history up to
    the row that began its current rectified spell (or up to ``as_of`` when not rectified): 1 =
    rectified within the round that found it, 2 = confirmed or rectified in a re-check round,
    and so on. The median is the Kaplan–Meier median on this discrete scale (statsmodels
    ``SurvfuncRight``; unrectified problems censored at their rounds so far).

    Returns ``[*by, n, n_rectified, n_rectified_first_round, share_rectified_first_round,
    median_rounds_km, max_rounds, n_reopened, reason]``.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    by = as_list(by)
    cur = status_as_of(problems, history, as_of)
    cur = _with_units(cur[cur.round_id.notna() & (cur.round_id.astype(str) != "")], units, by)
    h = _sorted_history(history, as_of)
    h = h.merge(cur[["problem_id", "round_id", "status", "rectified_on"]].rename(
        columns={"round_id": "own_round", "status": "cur_status"}), on="problem_id")
    upto = h[(h.cur_status != "rectified") | (h.status_on <= h.rectified_on)]
    rounds = (pd.concat([upto[["problem_id", "round_id"]],
                         cur[["problem_id", "round_id"]]]).dropna().drop_duplicates()
              .groupby("problem_id").size())
    cur["rounds"] = cur.problem_id.map(rounds).fillna(1).astype(int)
    cur["rectified"] = (cur.status == "rectified").astype(int)
    rows = []
    for key, g in (cur.groupby(by) if by else [((), cur)]):
        key = key if isinstance(key, tuple) else (key,)
        n_rect = int(g.rectified.sum())
        first = int(((g.rounds == 1) & (g.rectified == 1)).sum())
        row = {**dict(zip(by, key)), "n": len(g), "n_rectified": n_rect, "n_rectified_first_round": first,
               "share_rectified_first_round": first / len(g) if len(g) else math.nan,
               "median_rounds_km": math.nan, "max_rounds": int(g.rounds.max()) if len(g) else 0,
               "n_reopened": int(g.reopened.sum()), "reason": ""}
        if not n_rect:
            row["reason"] = "尚无整改完成的问题 / nothing rectified yet"
        else:
            med = float(SurvfuncRight(g.rounds.to_numpy(float), g.rectified.to_numpy()).quantile(0.5))
            row["median_rounds_km"] = med
            if math.isnan(med):
                row["reason"] = "未整改比例始终高于一半 / more than half still unrectified: median not reached"
        rows.append(row)
    return pd.DataFrame(rows)


def _round_table(problems: pd.DataFrame, rounds: pd.DataFrame | None) -> pd.DataFrame:
    """Rounds in chronological order (year, start, end, id); rounds named only by problems get
    a row of their own (kind ``regular``, year of their problems)."""
    cols = ["round_id", "year", "name_zh", "name_en", "kind", "rechecks", "start_on", "end_on"]
    r = pd.DataFrame(columns=cols) if rounds is None else rounds.reindex(columns=cols).copy()
    named = problems.dropna(subset=["round_id"])
    named = named[named.round_id.astype(str) != ""]
    extra = named[~named.round_id.isin(r.round_id)].groupby("round_id").year.min().reset_index()
    if len(extra):
        r = pd.concat([r, extra.assign(kind="regular")], ignore_index=True)
    for c in ("start_on", "end_on"):
        r[c] = pd.to_datetime(r[c])
    r["year"] = r.year.astype("int64")
    return r.sort_values(["year", "start_on", "end_on", "round_id"], na_position="last").reset_index(drop=True)


def round_summary(problems: pd.DataFrame, history: pd.DataFrame, rounds: pd.DataFrame | None, as_of,
                  by=None, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per inspection round (巡察轮次): found, rectified, rectified on time, overdue, recurred.

    For the problems found in a round (``problems.round_id``), with their status as of
    ``as_of`` from the history (:func:`status_as_of`):

    - ``n_found``; ``n_rectified`` (rectified by ``as_of``), ``rectification_rate = n_rectified / n_found``;
    - ``n_on_time``: rectified on or before the deadline; ``on_time_rate = n_on_time / n_rectified``
      (as in :func:`rectification`) and ``on_time_share = n_on_time / n_found`` (rectified on
      time as a share of all findings, the figure a round is evaluated by);
    - ``n_overdue``: deadline before ``as_of`` and not rectified, ``overdue_rate = n_overdue / n_found``;
    - ``n_recurred``: the same unit and category was already found in an earlier round
      (rounds ordered by year, start, end), ``recurrence_rate = n_recurred / n_found``;
    - ``n_reopened``: reported rectified, later set back (e.g. by a re-check);
    - for a re-check round (``kind = recheck``, ``rechecks`` = the round it re-checks):
      ``n_verified``, the earlier findings it has a history row for, and
      ``n_verified_rectified``, those whose status recorded in this round is rectified.

    Only the history of ``problems`` counts (a re-check's verifications of problems outside
    the subset are not counted); every round of ``rounds`` gets a row (filter it to the years
    shown), plus any round named by ``problems`` but missing from ``rounds``.

    Returns ``[*by, round_id, year, round_name_zh, round_name_en, kind, rechecks, n_found, n_rectified,
    rectification_rate, n_on_time, on_time_rate, on_time_share, n_overdue, overdue_rate, n_recurred,
    recurrence_rate, n_reopened, n_verified, n_verified_rectified, reason]`` in round order.

    >>> p = pd.DataFrame({"problem_id": ["A", "B", "C"], "unit_id": ["U1", "U2", "U1"],
    ...                   "year": [2023, 2023, 2024], "category": ["形式主义"] * 3,
    ...                   "round_id": ["R1", "R1", "R2"],
    ...                   "deadline": pd.to_datetime(["2024-03-31", "2024-03-31", "2024-12-31"])})
    >>> h = pd.DataFrame({"problem_id": ["A", "A", "B", "C"],
    ...                   "status": ["open", "rectified", "open", "open"],
    ...                   "status_on": ["2023-06-30", "2024-02-01", "2023-06-30", "2024-05-31"],
    ...                   "round_id": ["R1", "R1", "R1", "R2"]})
    >>> s = round_summary(p, h, None, "2024-06-30")
    >>> s[["round_id", "n_found", "n_rectified", "n_on_time", "n_overdue", "n_recurred"]].to_numpy().tolist()
    [['R1', 2, 1, 1, 1, 0], ['R2', 1, 0, 0, 0, 1]]
    """
    by = as_list(by)
    as_of = pd.Timestamp(as_of)
    table = _round_table(problems, rounds)
    cur = status_as_of(problems, history, as_of)
    cur = _with_units(cur[cur.round_id.isin(table.round_id)], units, by)
    order = {r: i for i, r in enumerate(table.round_id)}
    cur["_order"] = cur.round_id.map(order)
    first_seen = cur.groupby(["unit_id", "category"])._order.transform("min")
    cur["_recurred"] = cur._order > first_seen
    deadline = pd.to_datetime(cur.deadline)
    rect = cur.status == "rectified"
    cur["_rect"] = rect
    cur["_on_time"] = rect & deadline.notna() & (cur.rectified_on <= deadline)
    cur["_overdue"] = deadline.notna() & (deadline < as_of) & ~rect
    h = _sorted_history(history[history.problem_id.isin(problems.problem_id)], as_of)
    own = problems.set_index("problem_id").round_id
    h["own_round"] = h.problem_id.map(own)
    checks = h[h.round_id.notna() & (h.round_id != h.own_round)].groupby(["round_id", "problem_id"]).tail(1)
    rows = []
    keys = cur.groupby(by).size().index if by else [()]
    for r in table.itertuples(index=False):
        for key in keys:
            key = key if isinstance(key, tuple) else (key,)
            g = cur[cur.round_id == r.round_id]
            for col, val in zip(by, key):
                g = g[g[col] == val]
            ch = checks[checks.round_id == r.round_id]
            if by:
                ch = ch[ch.problem_id.isin(cur.loc[(cur[by] == list(key)).all(axis=1), "problem_id"])]
            n = len(g)
            row = {**dict(zip(by, key)), "round_id": r.round_id, "year": int(r.year), "round_name_zh": r.name_zh,
                   "round_name_en": r.name_en, "kind": r.kind, "rechecks": r.rechecks, "n_found": n,
                   "n_rectified": int(g._rect.sum()), "n_on_time": int(g._on_time.sum()),
                   "n_overdue": int(g._overdue.sum()), "n_recurred": int(g._recurred.sum()),
                   "n_reopened": int(g.reopened.sum()), "n_verified": int(ch.problem_id.nunique()),
                   "n_verified_rectified": int((ch.status == "rectified").sum())}
            for rate, num in (("rectification_rate", "n_rectified"), ("on_time_share", "n_on_time"),
                              ("overdue_rate", "n_overdue"), ("recurrence_rate", "n_recurred")):
                row[rate] = row[num] / n if n else math.nan
            row["on_time_rate"] = row["n_on_time"] / row["n_rectified"] if row["n_rectified"] else math.nan
            row["reason"] = "" if n else ("本轮为回头看,无新发现问题 / re-check round without new findings"
                                          if r.kind == "recheck" else "本轮没有问题记录 / no findings in this round")
            rows.append(row)
    cols = [*by, "round_id", "year", "round_name_zh", "round_name_en", "kind", "rechecks", "n_found", "n_rectified",
            "rectification_rate", "n_on_time", "on_time_rate", "on_time_share", "n_overdue", "overdue_rate",
            "n_recurred", "recurrence_rate", "n_reopened", "n_verified", "n_verified_rectified", "reason"]
    return pd.DataFrame(rows, columns=cols)


def unit_problem_list(problems: pd.DataFrame, unit_id: str, as_of, history: pd.DataFrame | None = None,
                      rounds: pd.DataFrame | None = None, publish: bool = False, k: int = 5,
                      key: bytes | str | Path | None = None, lang: str = "zh") -> pd.DataFrame:
    """The problems a unit still has to rectify, for its diagnosis (诊断书).

    Internal edition (``publish=False``): one row per problem of ``unit_id`` not rectified as
    of ``as_of`` (status from ``history`` when given), with ``description``, ``deadline``,
    ``round_id`` (and the round's ``round_name`` when ``rounds`` is given), ``status``,
    ``status_on``, ``overdue`` and ``days_overdue``; overdue items first, then by deadline.

    Publish edition: no descriptions and no item list (a list of single items is a table of
    counts of one): counts per ``round_id`` and ``category`` (``n_open``, ``n_overdue``) made
    safe by :func:`analysis.publish.safe_table` (pseudonymised unit, counts below ``k``
    suppressed).
    """
    from . import publish as pb

    as_of = pd.Timestamp(as_of)
    p = problems[problems.unit_id.astype(str) == str(unit_id)]
    if history is not None:
        p = status_as_of(p, history[history.problem_id.isin(p.problem_id)], as_of)
    else:
        p = p.copy()
        p = p[p.year.astype(int) <= as_of.year]
    if "round_id" not in p.columns:
        p["round_id"] = None
    if "status_on" not in p.columns:
        p["status_on"] = pd.NaT
    p = p[~_rectified_as_of(p, as_of)].copy()
    deadline = pd.to_datetime(p.deadline)
    p["deadline"] = deadline
    p["overdue"] = deadline.notna() & (deadline < as_of)
    p["days_overdue"] = (as_of - deadline).dt.days.where(p.overdue, 0).fillna(0).astype("int64")
    if rounds is not None and len(rounds):
        names = rounds.set_index("round_id")["name_zh" if lang == "zh" else "name_en"]
        p["round_name"] = p.round_id.map(names)
    if publish:
        p["round_id"] = p.round_id.fillna("—")
        out = p.groupby(["unit_id", "round_id", "category"], dropna=False).agg(
            n_open=("problem_id", "size"), n_overdue=("overdue", "sum")).reset_index()
        return pb.safe_table(out, publish=True, key=key, k=k, count_cols=["n_open", "n_overdue"], lang=lang)
    cols = ["problem_id", "unit_id", "year", "round_id", *(["round_name"] if "round_name" in p.columns else []),
            "aspect", "category", "source", "severity", "status", "status_on", "deadline", "overdue",
            "days_overdue", "description"]
    out = p[[c for c in cols if c in p.columns]]
    return out.sort_values(["overdue", "days_overdue", "deadline", "problem_id"],
                           ascending=[False, False, True, True]).reset_index(drop=True)
