"""Normalisation and aggregation kernels (analysis.scoring.normalise / aggregate).

Every expected number is a hand calculation written out next to it, or the output of an
independent library (scipy, pymcdm) on the same numbers.
"""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pymcdm.methods import TOPSIS
from scipy import stats

from analysis.scoring.aggregate import Tree, aggregate_tree, arithmetic, geometric, mpi, topsis
from analysis.scoring.normalise import normalise

# 2 years × 3 units × 1 leaf: year 1 = [2, 4, 6], year 2 = [4, 8, 10]
X = np.array([[[2.0], [4.0], [6.0]], [[4.0], [8.0], [10.0]]])
POS, NEG, TGT = [1], [-1], [0]
NO_T = [np.nan]


def flat(a):
    return np.round(a.ravel(), 6).tolist()


# --------------------------------------------------------------------------- normalisation

def test_minmax_pooled():
    # pooled min 2, max 10: (x - 2) / 8 * 100
    assert flat(normalise(X, POS, NO_T)) == [0.0, 25.0, 50.0, 25.0, 75.0, 100.0]


def test_minmax_per_year():
    # year 1: (x - 2)/4; year 2: (x - 4)/6 → 0, 66.6667, 100
    assert flat(normalise(X, POS, NO_T, reference="per_year")) == [0.0, 50.0, 100.0, 0.0, 66.666667, 100.0]


def test_negative_direction_flips():
    # (10 - x) / 8 * 100
    assert flat(normalise(X, NEG, NO_T)) == [100.0, 75.0, 50.0, 75.0, 25.0, 0.0]


def test_minmax_shifted_range_and_add():
    # range: 0.0001 + 0.9999 z, z = 0, .25, .5, .25, .75, 1 (times 100)
    got = normalise(X, POS, NO_T, method="minmax_shifted")
    assert flat(got) == [0.01, 25.0075, 50.005, 25.0075, 75.0025, 100.0]
    # add: z + 0.0001 (times 100)
    got = normalise(X, POS, NO_T, method="minmax_shifted", shift_mode="add")
    assert flat(got) == [0.01, 25.01, 50.01, 25.01, 75.01, 100.01]


def test_zscore_matches_scipy():
    ref = stats.zscore(X.ravel(), ddof=1)  # pooled over both years
    np.testing.assert_allclose(normalise(X, POS, NO_T, method="zscore").ravel(), ref)
    # hand: mean 34/6 = 5.6667, sd = sqrt(43.3333/5) = 2.943920; (2 - 5.6667)/2.943920 = -1.245505
    assert round(float(normalise(X, POS, NO_T, method="zscore")[0, 0, 0]), 6) == -1.245505
    # MPI convention 100 + 10 z
    np.testing.assert_allclose(normalise(X, POS, NO_T, method="zscore", z_center=100, z_spread=10).ravel(),
                               100 + 10 * ref)


def test_rank_and_percentile_ties_averaged():
    # pooled values 2, 4, 6, 4, 8, 10 → average ranks 1, 2.5, 4, 2.5, 5, 6
    assert flat(normalise(X, POS, NO_T, method="rank")) == [1.0, 2.5, 4.0, 2.5, 5.0, 6.0]
    # percentile (r - 1)/(n - 1) * 100 with n = 6
    assert flat(normalise(X, POS, NO_T, method="percentile")) == [0.0, 30.0, 60.0, 30.0, 80.0, 100.0]
    np.testing.assert_allclose(normalise(X, POS, NO_T, method="rank").ravel(), stats.rankdata(X.ravel()))


def test_target_direction_is_distance_to_target():
    # target 6: o = -|x - 6| = -4, -2, 0, -2, -2, -4; min-max: (o + 4)/4
    assert flat(normalise(X, TGT, [6.0])) == [0.0, 50.0, 100.0, 50.0, 50.0, 0.0]


def test_distance_to_target_positive_leaf_capped():
    # target 8, worst observed 2: (x - 2)/(8 - 2), capped at 1
    got = normalise(X, POS, [8.0], method="distance_to_target")
    assert flat(got) == [0.0, 33.333333, 66.666667, 33.333333, 100.0, 100.0]
    # negative leaf with target 4: worst observed 10: (10 - x)/(10 - 4), capped
    got = normalise(X, NEG, [4.0], method="distance_to_target")
    assert flat(got) == [100.0, 100.0, 66.666667, 100.0, 33.333333, 0.0]


def test_goalposts_fixed_and_clipped():
    gp = (np.array([0.0]), np.array([8.0]))
    # positive: x / 8, clipped at 1: 2/8, 4/8, 6/8, 4/8, 1, 1
    assert flat(normalise(X, POS, NO_T, reference="goalposts", goalposts=gp)) == [25.0, 50.0, 75.0, 50.0, 100.0, 100.0]
    # negative: (8 - x)/8, clipped at 0
    assert flat(normalise(X, NEG, NO_T, reference="goalposts", goalposts=gp)) == [75.0, 50.0, 25.0, 50.0, 0.0, 0.0]
    # target 6 with goalposts [0, 8]: worst distance max(|0-6|, |8-6|) = 6: 1 - |x - 6|/6
    got = normalise(X, TGT, [6.0], reference="goalposts", goalposts=gp)
    assert flat(got) == [33.333333, 66.666667, 100.0, 66.666667, 66.666667, 33.333333]
    # a leaf without goalposts (NaN) falls back to the pooled observed range
    nan_gp = (np.array([np.nan]), np.array([np.nan]))
    assert flat(normalise(X, POS, NO_T, reference="goalposts", goalposts=nan_gp)) == flat(normalise(X, POS, NO_T))


def test_missing_stays_missing_and_does_not_move_reference():
    x = X.copy()
    x[1, 2, 0] = np.nan  # drop the maximum 10: the range becomes 2..8
    got = normalise(x, POS, NO_T)
    assert np.isnan(got[1, 2, 0])
    assert flat(got)[:5] == [0.0, 33.333333, 66.666667, 33.333333, 100.0]


def test_constant_leaf_gets_mid_scale():
    x = np.full((2, 3, 1), 7.0)
    assert flat(normalise(x, POS, NO_T)) == [50.0] * 6
    assert flat(normalise(x, POS, NO_T, method="zscore")) == [0.0] * 6


def test_leading_draws_axis_normalised_independently():
    stacked = np.stack([X, 2 * X + 1])
    got = normalise(stacked, POS, NO_T)
    # an affine change of units leaves min–max scores unchanged, draw by draw
    np.testing.assert_allclose(got[0], got[1])
    np.testing.assert_allclose(got[0], normalise(X, POS, NO_T))


# --------------------------------------------------------------------------- aggregation

def test_arithmetic_hand():
    assert arithmetic(np.array([10.0, 40.0]), np.array([0.25, 0.75])) == pytest.approx(32.5)  # 2.5 + 30
    # a missing child: weights of the others renormalised (10 alone), if the data rule allows
    assert arithmetic(np.array([10.0, np.nan]), np.array([0.25, 0.75]), min_share=0.5) == pytest.approx(10.0)
    assert np.isnan(arithmetic(np.array([10.0, np.nan]), np.array([0.25, 0.75]), min_share=0.6))


def test_geometric_hand_and_zero_safe():
    # 4^0.25 * 16^0.75 = 2^0.5 * 2^3 = 8 sqrt(2)
    assert geometric(np.array([4.0, 16.0]), np.array([0.25, 0.75])) == pytest.approx(8 * math.sqrt(2))
    # a zero is raised to the floor 0.01: sqrt(0.01 * 100) = 1
    assert geometric(np.array([0.0, 100.0]), np.array([0.5, 0.5]), floor=0.01) == pytest.approx(1.0)


def test_mpi_hand():
    # M = 110, S^2 = (100 + 0 + 100)/3 = 66.667, MPI = M - S^2/M = 110 - 0.606061
    assert mpi(np.array([100.0, 110.0, 120.0]), np.full(3, 1 / 3)) == pytest.approx(110 - (200 / 3) / 110)
    # balanced profiles are not penalised: MPI = mean
    assert mpi(np.array([105.0, 105.0]), np.array([0.5, 0.5])) == pytest.approx(105.0)
    # Mazziotta & Pareto's point: same mean, the unbalanced unit ranks lower
    assert mpi(np.array([90.0, 110.0]), np.array([0.5, 0.5])) == pytest.approx(99.0)


def test_topsis_matches_pymcdm():
    rng = np.random.default_rng(7)
    raw = rng.uniform(0, 50, size=(9, 4))
    w = np.array([0.1, 0.2, 0.3, 0.4])
    norm = normalise(raw[None], [1, 1, 1, 1], [np.nan] * 4)  # 1 year, 9 units
    ours = topsis(norm, w)[0] / 100
    ref = TOPSIS()(raw, w, np.ones(4))  # pymcdm normalises with min–max itself
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


# a small tree: PE ← D1 (0.6) ← A (1), B (3); PE ← D2 (0.4) ← C
FW = pd.DataFrame({
    "code": ["PE", "D1", "D2", "A", "B", "C"], "parent": ["", "PE", "PE", "D1", "D1", "D2"],
    "level": [0, 1, 1, 2, 2, 2], "role": ["aggregate"] * 3 + ["score"] * 3,
})


def tree_weights(tree):
    w = {"A": 0.25, "B": 0.75, "C": 1.0, "D1": 0.6, "D2": 0.4, "PE": 0.0}
    return np.array([w[c] for c in tree.nodes])


def test_tree_arithmetic_and_geometric_by_level():
    tree = Tree.from_framework(FW)
    assert tree.leaves == ("A", "B", "C") and tree.nodes[tree.root] == "PE"
    x = np.array([[[50.0, 100.0, 20.0]]])  # 1 year, 1 unit
    out = aggregate_tree(x, tree, tree_weights(tree), "arithmetic")[0, 0]
    # D1 = .25*50 + .75*100 = 87.5; PE = .6*87.5 + .4*20 = 60.5
    assert out[tree.index("D1")] == pytest.approx(87.5)
    assert out[tree.index("PE")] == pytest.approx(60.5)
    out = aggregate_tree(x, tree, tree_weights(tree), {0: "geometric", 1: "arithmetic"})[0, 0]
    assert out[tree.index("PE")] == pytest.approx(math.exp(0.6 * math.log(87.5) + 0.4 * math.log(20)))


def test_tree_min_share_rule():
    tree = Tree.from_framework(FW)
    x = np.array([[[np.nan, 100.0, np.nan]]])  # D2 has no data, D1 half
    out = aggregate_tree(x, tree, tree_weights(tree), "arithmetic", min_share=0.5)[0, 0]
    assert out[tree.index("D1")] == pytest.approx(100.0)
    assert np.isnan(out[tree.index("D2")])
    assert out[tree.index("PE")] == pytest.approx(100.0)  # 1 of 2 dimensions: share 0.5 passes
    out = aggregate_tree(x, tree, tree_weights(tree), "arithmetic", min_share=0.75)[0, 0]
    assert np.isnan(out[tree.index("D1")]) and np.isnan(out[tree.index("PE")])


def test_weights_with_draws_axis():
    tree = Tree.from_framework(FW)
    x = np.array([[[50.0, 100.0, 20.0]]])
    w = np.stack([tree_weights(tree), tree_weights(tree)])
    w[1, tree.index("D1")], w[1, tree.index("D2")] = 0.5, 0.5
    out = aggregate_tree(np.broadcast_to(x, (2, 1, 1, 3)), tree, w[:, None, :], "arithmetic")
    assert out[0, 0, 0, tree.root] == pytest.approx(60.5)
    assert out[1, 0, 0, tree.root] == pytest.approx(0.5 * 87.5 + 0.5 * 20)  # 53.75


# --------------------------------------------------------------------------- properties

leaf_values = arrays(np.float64, (2, 6, 3), elements=st.floats(0, 1000, allow_nan=False))


@settings(max_examples=40, deadline=None)
@given(x=leaf_values, unit=st.integers(0, 5), leaf=st.integers(0, 2), delta=st.floats(0.001, 500),
       method=st.sampled_from(["arithmetic", "geometric"]),
       norm=st.sampled_from(["minmax", "minmax_shifted", "percentile"]))
def test_improving_a_positive_leaf_never_lowers_the_score(x, unit, leaf, delta, method, norm):
    tree = Tree.from_framework(FW)
    sign, tgt = [1, 1, 1], [np.nan] * 3

    def score(v):
        return aggregate_tree(normalise(v, sign, tgt, norm), tree, tree_weights(tree), method)[..., tree.root]

    better = x.copy()
    better[1, unit, leaf] += delta
    assert score(better)[1, unit] >= score(x)[1, unit] - 1e-9


@settings(max_examples=30, deadline=None)
@given(x=leaf_values, perm_seed=st.integers(0, 10_000),
       method=st.sampled_from(["arithmetic", "geometric", "mpi", "topsis"]),
       norm=st.sampled_from(["minmax", "zscore", "rank", "percentile"]))
def test_reordering_units_changes_nothing(x, perm_seed, method, norm):
    if method == "geometric" and norm == "zscore":
        return  # refused by the config: geometric means need non-negative inputs
    tree = Tree.from_framework(FW)
    perm = np.random.default_rng(perm_seed).permutation(x.shape[1])

    def run(v):
        return aggregate_tree(normalise(v, [1, -1, 1], [np.nan] * 3, norm), tree, tree_weights(tree), method)

    np.testing.assert_allclose(run(x)[:, perm], run(x[:, perm]), rtol=1e-9, atol=1e-9)


# values on a 0.001 grid: an offset of 100 added to 1e-38 is lost in floating point, which is not
# what this property is about
grid_values = arrays(np.float64, (2, 6, 3), elements=st.integers(0, 1_000_000).map(lambda v: v / 1000))


@settings(max_examples=30, deadline=None)
@given(x=grid_values, factor=st.floats(1e-3, 1e4), offset=st.floats(-100, 100), leaf=st.integers(0, 2),
       norm=st.sampled_from(["minmax", "minmax_shifted", "zscore", "rank", "percentile"]))
def test_rescaling_a_leaf_changes_nothing_after_normalisation(x, factor, offset, leaf, norm):
    sign = [1, -1, 1]
    y = x.copy()
    y[..., leaf] = y[..., leaf] * factor + (offset if norm != "rank" else 0.0)
    np.testing.assert_allclose(normalise(x, sign, [np.nan] * 3, norm), normalise(y, sign, [np.nan] * 3, norm),
                               rtol=1e-6, atol=1e-6)
