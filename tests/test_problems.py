"""Tests of analysis.problems: counts against hand tallies written out below, statistics
against scipy/statsmodels, and recovery on the synthetic sample."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from analysis import problems as pr
from analysis.catalog import read_lexicon

NaT = None

# A tiny problem list. Every expected number below is tallied by hand from this table.
#  id   unit year source       aspect category   status      deadline    rectified_on kept fed_back
ROWS = [
    ("P1", "U1", 2022, "inspection", "D6", "违规吃喝", "rectified", "2023-03-31", "2023-02-15", True, True),
    ("P2", "U1", 2022, "audit", "D6", "形式主义", "open", "2023-03-31", NaT, True, True),
    ("P3", "U1", 2023, "inspection", "D6", "违规吃喝", "rectified", "2024-03-31", "2024-05-10", True, True),
    ("P4", "U2", 2022, "petition", "D1", "政治纪律松弛", "rectifying", "2023-06-30", NaT, True, False),
    ("P5", "U2", 2023, "inspection", "D6", "违规吃喝", "rectified", "2024-06-30", "2024-01-20", False, False),
    ("P6", "U3", 2021, "audit", "D6", "违规吃喝", "rectified", "2022-06-30", "2022-03-01", True, True),
    ("P7", "U3", 2022, "audit", "D6", "违规吃喝", "open", "2023-06-30", NaT, True, True),
    ("P8", "U3", 2023, "audit", "D6", "违规吃喝", "rectified", "2024-12-31", "2024-02-01", True, True),
    ("P9", "U3", 2023, "discipline", "D2", "决策落实不力", "rectified", NaT, "2024-03-15", True, False),
    ("P10", "U2", 2023, "supervision", "D6", "形式主义", "rectifying", "2024-09-30", NaT, False, False),
]
AS_OF = "2024-06-30"


@pytest.fixture
def plist() -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=["problem_id", "unit_id", "year", "source", "aspect", "category", "status",
                                     "deadline", "rectified_on", "kept", "fed_back"])
    df["deadline"] = pd.to_datetime(df.deadline)
    df["rectified_on"] = pd.to_datetime(df.rectified_on)
    df["description"] = "某单位" + df.category + "问题"
    df["severity"] = "medium"
    return df


@pytest.fixture
def units() -> pd.DataFrame:
    return pd.DataFrame({"unit_id": ["U1", "U2", "U3"], "name_zh": ["甲单位", "乙单位", "丙单位"],
                         "type": ["college", "college", "county"], "region": ["R01", "R01", "R02"],
                         "valid_from": pd.array([pd.NA] * 3, dtype="Int64"),
                         "valid_to": pd.array([pd.NA] * 3, dtype="Int64")})


def test_counts_by_aspect_category_region(plist, units):
    # D6: P1 P2 P3 P5 P6 P7 P8 P10 = 8; D1: P4 = 1; D2: P9 = 1
    by_aspect = pr.counts(plist, "aspect").set_index("aspect")
    assert by_aspect.n.to_dict() == {"D1": 1, "D2": 1, "D6": 8}
    assert by_aspect.share["D6"] == pytest.approx(0.8)
    # 违规吃喝: P1 P3 P5 P6 P7 P8 = 6; 形式主义: P2 P10 = 2; 政治纪律松弛 1; 决策落实不力 1
    assert pr.counts(plist, "category").set_index("category").n.to_dict() == {
        "违规吃喝": 6, "形式主义": 2, "政治纪律松弛": 1, "决策落实不力": 1}
    # R01 = U1 + U2 = P1 P2 P3 P4 P5 P10 = 6; R02 = U3 = 4
    assert pr.counts(plist, "region", units=units).set_index("region").n.to_dict() == {"R01": 6, "R02": 4}
    # 2023: P3 P5 P8 P9 P10 = 5, of which D6 = 4 -> share 0.8 within 2023
    yr = pr.counts(plist, ["year", "aspect"], within="year").set_index(["year", "aspect"])
    assert yr.loc[(2023, "D6"), "n"] == 4 and yr.loc[(2023, "D6"), "share"] == pytest.approx(0.8)
    # audit: P2 P6 P7 P8 = 4
    assert pr.counts(plist, "source").set_index("source").n["audit"] == 4
    with pytest.raises(ValueError, match="units"):
        pr.counts(plist, "region")


def test_concentration_and_pareto(plist):
    # shares .6 .2 .1 .1: HHI = .36+.04+.01+.01 = .42; normalised (.42 − 1/4)/(1 − 1/4) = .17/.75
    c = pr.concentration(plist, "category", top_k=2).iloc[0]
    assert c.hhi == pytest.approx(0.42)
    assert c.hhi_normalised == pytest.approx(0.17 / 0.75)
    assert c.top_k_share == pytest.approx(0.8)  # .6 + .2
    assert c.n_for_pareto == 2                    # cumulative .6, .8 reaches 80 %
    assert c.n_groups == 4 and c.reason == ""
    p = pr.pareto(plist, "category")
    # ties (1 and 1) broken by label: 决策落实不力 sorts before 政治纪律松弛
    assert p.category.tolist() == ["违规吃喝", "形式主义", "决策落实不力", "政治纪律松弛"]
    assert p.cum_share.tolist() == pytest.approx([0.6, 0.8, 0.9, 1.0])
    one = pr.concentration(plist[plist.category == "违规吃喝"]).iloc[0]
    assert one.hhi == 1.0 and math.isnan(one.hhi_normalised) and "only one group" in one.reason


def test_rectification_as_of(plist):
    r = pr.rectification(plist, AS_OF).iloc[0]
    # rectified by 2024-06-30: P1 P3 P5 P6 P8 P9 = 6
    assert (r.n, r.n_rectified, r.rectification_rate) == (10, 6, pytest.approx(0.6))
    # overdue: deadline < as_of and not rectified: P2 (2023-03-31), P4, P7 (2023-06-30) = 3;
    # P9 has no deadline, P10's deadline 2024-09-30 has not passed
    assert r.n_overdue == 3 and r.n_no_deadline == 1
    # on time (done <= deadline): P1 P5 P6 P8 = 4 of 6 (P3 late, P9 has no deadline)
    assert r.n_on_time == 4 and r.on_time_rate == pytest.approx(4 / 6)
    # as of 2024-04-30, P3 (done 2024-05-10, deadline 2024-03-31) is not yet rectified and overdue
    early = pr.rectification(plist, "2024-04-30").iloc[0]
    assert (early.n_rectified, early.n_overdue) == (5, 4)
    by_year = pr.rectification(plist, AS_OF, by="year").set_index("year")
    # 2022: P1 P2 P4 P7 -> 1 rectified (P1), 3 overdue; 2023: P3 P5 P8 P9 P10 -> 4 rectified
    assert by_year.loc[2022, ["n", "n_rectified", "n_overdue"]].tolist() == [4, 1, 3]
    assert by_year.loc[2023, ["n", "n_rectified", "n_overdue"]].tolist() == [5, 4, 0]


def test_overdue_items_no_free_text_unless_internal(plist):
    od = pr.overdue_items(plist, AS_OF)
    # P2: 2023-03-31 → 2024-06-30 = 366 (a leap year) + 91 (Apr 30 + May 31 + Jun 30) = 457 days
    # P4, P7: 2023-06-30 → 2024-06-30 = 366 days
    assert od.problem_id.tolist() == ["P2", "P4", "P7"]
    assert od.days_overdue.tolist() == [457, 366, 366]
    assert "description" not in od.columns
    assert "description" in pr.overdue_items(plist, AS_OF, internal=True).columns


def test_time_to_rectify_kaplan_meier(plist):
    # Clock starts 31 Dec of the problem's year; unrectified items censored at 2024-06-30.
    # events: P5 20 (Jan 20), P8 32 (Feb 1), P1 46 (31 + 15), P6 60 (31 + 28 + 1),
    #         P9 75 (31 + 29 + 15), P3 131 (31 + 29 + 31 + 30 + 10)
    # censored: P10 182 (2024-01-01..06-30), P2 P4 P7 547 (365 + 182)
    # KM: S(20)=.9, S(32)=.8, S(46)=.7, S(60)=.6, S(75)=.5, S(131)=.5·4/5=.4.
    # statsmodels (like SAS) takes the smallest t with S(t) < 0.5 strictly: 131.
    t = pr.time_to_rectify(plist, AS_OF).iloc[0]
    assert (t.n, t.n_rectified, t.n_censored) == (10, 6, 4)
    assert t.median_days_km == 131
    assert t.median_days_rectified_only == 53  # median of 20 32 46 60 75 131 = (46 + 60)/2
    d = pr.rectification_durations(plist, AS_OF).set_index("problem_id")
    assert d.duration.to_dict() == {"P1": 46, "P2": 547, "P3": 131, "P4": 547, "P5": 20, "P6": 60,
                                    "P7": 547, "P8": 32, "P9": 75, "P10": 182}
    assert "description" not in d.columns
    # 2022 alone: P1 event at 46, P2 P4 P7 censored: S never drops below .5 -> reason, no number
    y22 = pr.time_to_rectify(plist, AS_OF, by="year").set_index("year").loc[2022]
    assert math.isnan(y22.median_days_km) and "median not reached" in y22.reason


def test_rectified_before_origin_counts_zero_days(plist):
    one = plist[plist.problem_id == "P1"].assign(rectified_on=pd.Timestamp("2022-11-30"))
    d = pr.rectification_durations(one, AS_OF).iloc[0]
    assert d.duration == 0 and bool(d.before_origin)


def test_recurring_and_rate(plist):
    rec = pr.recurring(plist)
    # U3 违规吃喝 in 2021, 2022, 2023; U1 违规吃喝 in 2022, 2023
    assert list(rec[["unit_id", "category", "year", "streak"]].itertuples(index=False, name=None)) == [
        ("U3", "违规吃喝", 2022, 2), ("U1", "违规吃喝", 2023, 2), ("U3", "违规吃喝", 2023, 3)]
    rate = pr.recurrence_rate(plist).set_index("year")
    # 2022 pairs: U1 违规, U1 形式, U2 政治, U3 违规 = 4, recurring 1; 2023: 5 pairs, recurring 2
    assert rate.loc[2022, ["n_pairs", "n_recurring"]].tolist() == [4, 1]
    assert rate.loc[2023, "recurrence_rate"] == pytest.approx(0.4)
    assert math.isnan(rate.loc[2021, "recurrence_rate"]) and rate.loc[2021, "reason"]


def test_review_funnel(plist):
    f = pr.review_funnel(plist).set_index("stage")
    # kept: all but P5, P10 = 8; fed back (and kept): P1 P2 P3 P6 P7 P8 = 6
    assert f.n.tolist() == [10, 8, 6]
    assert f.share_of_collected.tolist() == pytest.approx([1.0, 0.8, 0.6])
    assert f.share_of_previous.tolist() == pytest.approx([1.0, 0.8, 0.75])
    bad = plist.assign(fed_back=plist.fed_back | (plist.problem_id == "P5"))  # P5 not kept
    assert pr.review_funnel(bad).n_inconsistent.iloc[0] == 1


LEX = pr.Lexicon(stopwords=frozenset({"问题"}), synonyms={"公款吃喝": "违规吃喝", "超标准宴请": "违规吃喝"})


def test_segment_synonyms_stopwords_names_and_exclusions():
    toks = pr.segment(["公款吃喝问题突出", "超标准宴请违规吃喝", "张伟违规吃喝", "青松学院违规吃喝"],
                      LEX, exclude=["青松学院"])
    assert toks[0] == ["违规吃喝", "突出"]          # synonym mapped, stop word 问题 dropped
    assert toks[1] == ["违规吃喝", "违规吃喝"]
    assert toks[2] == ["违规吃喝"]                  # person name (jieba flag nr) dropped
    assert toks[3] == ["违规吃喝"]                  # unit name excluded


def _text_list() -> pd.DataFrame:
    texts = {2022: ["公款吃喝问题突出", "形式主义突出", "材料报送形式主义", "会议形式主义"],
             2023: ["超标准宴请违规吃喝", "违规吃喝问题"]}
    rows = [(f"T{y}{i}", "U1", y, "作风", t) for y, ts in texts.items() for i, t in enumerate(ts)]
    return pd.DataFrame(rows, columns=["problem_id", "unit_id", "year", "category", "description"])


def test_keyword_frequencies_hand_counts():
    df = _text_list()
    f = pr.keyword_frequencies(df, by=["year"], lexicon=LEX, k=1, internal=False).set_index(["year", "term"])
    # 2022: 违规吃喝 in doc 1 only; 形式主义 in docs 2, 3, 4; 突出 in docs 1, 2
    assert f.loc[(2022, "形式主义"), ["n_docs", "docs_in_group"]].tolist() == [3, 4]
    assert f.loc[(2022, "突出"), "n_docs"] == 2
    # 2023: 违规吃喝 in both docs, three occurrences (doc 1 has it twice after synonym mapping)
    assert f.loc[(2023, "违规吃喝"), ["n_docs", "n_occurrences"]].tolist() == [2, 3]
    assert f.loc[(2022, "形式主义突出"), "kind"] == "phrase"
    assert (2022, "违规吃喝突出") not in f.index  # the stop word 问题 between them breaks the phrase
    # k=2 drops terms found in one problem only (违规吃喝 in 2022)
    f2 = pr.keyword_frequencies(df, by=["year"], lexicon=LEX, k=2).set_index(["year", "term"])
    assert (2022, "违规吃喝") not in f2.index and (2022, "形式主义") in f2.index
    assert "description" not in f2.reset_index().columns


def test_rising_keywords_against_fisher():
    df = _text_list()
    f = pr.keyword_frequencies(df, by=["year"], lexicon=LEX, k=1)
    r = pr.rising_keywords(f, df, 2023, by=[], top_n=None, direction=None).set_index("term")
    row = r.loc["违规吃喝"]
    # 2023: 2 of 2 problems; 2022: 1 of 4 -> change 1 − .25 = .75
    assert (row.n_docs, row.docs, row.n_docs_prev, row.docs_prev) == (2, 2, 1, 4)
    assert row.change == pytest.approx(0.75)
    # Fisher exact by hand: margins 2/4 rows, 3/3 columns; P(a=0)=3/15, P(1)=9/15, P(2)=3/15;
    # two-sided p = P(0) + P(2) = 0.4
    assert row.p == pytest.approx(0.4)
    assert row.p == pytest.approx(stats.fisher_exact([[2, 0], [1, 3]]).pvalue)
    assert r.index[0] == "违规吃喝"  # the largest rise comes first
    assert r.loc["形式主义", "change"] == pytest.approx(0 - 0.75)



def test_rising_keywords_lists_only_rising_terms():
    """Issue 17 regression: the table "较上年上升最多的关键词" listed 形式主义 with change −0.75."""
    df = _text_list()
    f = pr.keyword_frequencies(df, by=["year"], lexicon=LEX, k=1)
    rising = pr.rising_keywords(f, df, 2023, by=[], top_n=5)
    # hand shares (from the texts above): 违规吃喝 1/4 → 2/2 (+0.75); 形式主义 3/4 → 0/2 (−0.75);
    # 突出 2/4 → 0/2 (−0.5); every 2022-only term falls, the 2023-only ones rise
    assert (rising.change > 0).all() and "形式主义" not in set(rising.term) and "突出" not in set(rising.term)
    assert rising.term.iloc[0] == "违规吃喝" and rising.change.iloc[0] == pytest.approx(0.75)
    falling = pr.rising_keywords(f, df, 2023, by=[], top_n=None, direction="falling")
    assert (falling.change < 0).all() and falling.change.iloc[0] == pytest.approx(-0.75)
    assert "形式主义" in set(falling.term) and "违规吃喝" not in set(falling.term)
    # nothing rose: an empty table (the report then says so) rather than falling words
    only_fall = df[~df.description.str.contains("吃喝|宴请")]
    f2 = pr.keyword_frequencies(only_fall, by=["year"], lexicon=LEX, k=1)
    assert pr.rising_keywords(f2, only_fall, 2023, by=[], top_n=5).empty
    with pytest.raises(ValueError, match="direction"):
        pr.rising_keywords(f, df, 2023, by=[], direction="up")

def test_index_link_spearman_hand_and_scipy():
    # six units, D6 problem counts 0..5 (no ties) against D6 scores
    cnt = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 5, "F": 4}
    score = {"A": 90, "B": 85, "C": 88, "D": 70, "E": 60, "F": 75}
    probs = pd.DataFrame([(u, 2023, "D6", "形式主义") for u, n in cnt.items() for _ in range(n)],
                         columns=["unit_id", "year", "aspect", "category"])
    scores = pd.DataFrame([(u, 2023, node, s) for u, s in score.items() for node in ("D6", "D1")],
                          columns=["unit_id", "year", "node", "score"])
    out = pr.index_link(probs, scores).set_index("aspect")
    # ranks of counts 1 2 3 4 6 5, of scores 6 4 5 2 1 3: Σd² = 25+4+4+4+25+4 = 66
    # ρ = 1 − 6·66 / (6·35) = −0.885714...
    assert out.loc["D6", "rho"] == pytest.approx(1 - 6 * 66 / 210)
    ref = stats.spearmanr(list(cnt.values()), list(score.values()))
    assert out.loc["D6", "p"] == pytest.approx(ref.pvalue)
    assert out.loc["D6", "n_units"] == 6 and out.loc["D6", "n_with_problems"] == 5
    assert math.isnan(out.loc["D1", "rho"]) and "constant" in out.loc["D1", "reason"]
    assert "fewer than" in out.loc["D2", "reason"]  # no D2 scores at all
    cat = pr.index_link(probs, scores, level="category")
    assert cat.loc[cat.category == "形式主义", "rho"].iloc[0] == pytest.approx(1 - 6 * 66 / 210)


def test_load_lexicon_files():
    from analysis.catalog import read_lexicon

    lex = read_lexicon()
    assert "问题" in lex.stopwords and lex.synonyms["公款吃喝"] == "违规吃喝"
    with pytest.raises(FileNotFoundError, match="找不到词表文件"):
        read_lexicon(stopwords="/nonexistent/stop.txt")


def test_sample_recovery():
    """On the synthetic sample: totals agree, names of units never reach keyword tables,
    and weaker units (more problems by construction) score lower latent quality."""
    from analysis import sample

    s = sample.generate()
    p = s.problems
    assert pr.counts(p, "aspect").n.sum() == len(p)
    assert pr.review_funnel(p).set_index("stage").n["collected"] == len(p)
    f = pr.keyword_frequencies(p, lexicon=read_lexicon(), exclude=s.units.name_zh.tolist())
    names = set(s.units.name_zh)
    assert not any(n in t or t in n for t in f.term for n in names)
    assert (f.n_docs >= 3).all()
    # problems were drawn with rate ∝ exp(−q/2): the latent quality, used as the score,
    # must correlate negatively with the problem count for the pooled aspects.
    lat = s.latent.rename(columns={"q": "score"})
    scores = pd.concat([lat.assign(node=a) for a in pr.ASPECTS])
    pooled = p.assign(aspect="D1")  # all problems counted against one dimension
    out = pr.index_link(pooled, scores[scores.node == "D1"])
    out = out[out.aspect == "D1"]
    assert (out.rho < 0).all() and (out.p < 0.05).sum() >= 4
