"""Uncertainty and sensitivity (analysis.scoring.uncertainty).

The array engine is checked against build_index itself (the core's kernels), never against
itself: the nominal draw must reproduce build_index, and a perturbed draw must equal
build_index run on a framework whose weights were edited the same way.
"""
import warnings

import numpy as np
import pytest
import yaml

from analysis import panel
from analysis.errors import ConfigError
from analysis.scoring.build import build_index, compile_index
from analysis.scoring.config import load_config
from analysis.scoring.uncertainty import (
    ranks_desc, root_scores, run_uncertainty, split_config, validate_uncertainty,
)


@pytest.fixture(scope="module")
def data(sample_data):
    v = panel.yearly_values(sample_data.observations, sample_data.framework, sample_data.units)
    return v, sample_data.framework, sample_data.units


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def _engine_vs_build(res, engine_scores):
    root = res.scores[res.scores.level == 0]
    m = res.model
    ui = {u: i for i, u in enumerate(m.panel.unit_ids)}
    yi = {y: i for i, y in enumerate(m.panel.years)}
    mine = engine_scores[root.year.map(yi).to_numpy(), root.unit_id.map(ui).to_numpy()]
    return root, mine


CONFIGS = [
    None,
    {"missing": {"method": "region_mean"}, "aggregation": {"method": "geometric"}},
    {"aggregation": {"method": "mpi"}, "normalisation": {"method": "zscore", "z_center": 100, "z_spread": 10}},
    {"aggregation": {"method": "topsis"}, "normalisation": {"reference": "per_year"}},
    {"aggregation": {"method": "arithmetic", "levels": {0: "geometric", 1: "mpi"}},
     "normalisation": {"method": "minmax_shifted"}},
    {"weights": {"method": "entropy"}, "normalisation": {"method": "percentile"}},
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=["default", "geometric", "mpi", "topsis", "mixed", "entropy"])
def test_nominal_draw_reproduces_build_index(data, cfg):
    v, fw, units = data
    res = _quiet(build_index, v, fw, units, cfg)
    m = res.model
    eng = root_scores(m.normalised(), m, np.ones((1, len(m.tree.nodes))), m.methods)[..., 0]
    root, mine = _engine_vs_build(res, eng)
    np.testing.assert_allclose(mine, root.score.to_numpy(), rtol=1e-11, atol=1e-10)
    # ranks within year, 1 = best, ties at the lowest rank: as build_index
    r = ranks_desc(eng[..., None])[..., 0]
    _, rmine = _engine_vs_build(res, r)
    assert (rmine == root["rank"].to_numpy(dtype=float)).all()


def test_perturbed_draw_equals_build_index_on_edited_framework(data):
    v, fw, units = data
    cfg = load_config(None)
    model, _ = _quiet(compile_index, v, fw, units, cfg)
    tree = model.tree
    rng = np.random.default_rng(3)
    mult = rng.uniform(0.7, 1.3, len(tree.nodes))
    mult[-1] = 1.0
    dropped = "M05"
    mult_d = mult.copy()
    mult_d[tree.index(dropped)] = 0.0
    eng = root_scores(model.normalised(method="minmax_shifted"), model, mult_d[None, :], "geometric")[..., 0]
    # the same run through build_index: framework weights times the multipliers, M05 removed
    fw2 = fw.assign(weight=fw.weight * fw.code.map(dict(zip(tree.nodes, mult))).fillna(1.0))
    fw2 = fw2[fw2.code != dropped]
    res = _quiet(build_index, v, fw2, units, cfg.replace(normalisation={"method": "minmax_shifted"},
                                                         aggregation={"method": "geometric"}))
    root, mine = _engine_vs_build(res, eng)
    np.testing.assert_allclose(mine, root.score.to_numpy(), rtol=1e-11, atol=1e-10)


def test_validation_refuses_before_running(data):
    _, fw, _ = data
    cfg = load_config(None)
    with pytest.raises(ConfigError, match="名义方案"):
        validate_uncertainty({"normalisation": ["zscore", "rank"]}, cfg, fw)  # nominal minmax missing
    with pytest.raises(ConfigError, match="every varied step must exist"):
        validate_uncertainty({"missing": ["locf"]}, cfg, fw)
    with pytest.raises(ConfigError, match="not scored leaves"):
        validate_uncertainty({"drop_leaves": ["M01", "NOPE"]}, cfg, fw)
    with pytest.raises(ConfigError, match="unknown key"):
        validate_uncertainty({"draws": 100}, cfg, fw)
    with pytest.raises(ConfigError, match=r"\[0, 1\)"):
        validate_uncertainty({"weights": 1.5}, cfg, fw)
    # geometric means of z-scores are refused for the combination, up front
    with pytest.raises(ConfigError, match="normalisation=zscore, aggregation=geometric"):
        validate_uncertainty({"normalisation": ["minmax", "zscore"], "aggregation": ["arithmetic", "geometric"]},
                             cfg, fw)
    ok = validate_uncertainty({"weights": 0.2, "drop_leaves": True}, cfg, fw)
    assert len(ok.drop_leaves) == 28


def test_split_config_takes_objects_and_refuses_paths(tmp_path, data):
    v, fw, units = data
    run = {"normalisation": {"method": "minmax"}, "uncertainty": {"samples": 8, "weights": 0.1}}
    index_part, unc = split_config(run)
    assert unc == {"samples": 8, "weights": 0.1}
    cfg = load_config(index_part)  # build_index gets the same mapping; the section travels with it
    assert cfg.normalisation.method == "minmax" and cfg.uncertainty == unc
    assert split_config(cfg)[1] == unc
    assert split_config({"index": run})[1] == unc  # a run file's nested index section
    # statistical functions do no file I/O: a path is refused with a message that says what to do
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(run), encoding="utf-8")
    for fn, args in ((split_config, (path,)), (run_uncertainty, (v, fw, units, str(path))),
                     (build_index, (v, fw, units, path)), (compile_index, (v, fw, units, str(path)))):
        with pytest.raises(ConfigError, match="load_config"):
            fn(*args)


@pytest.fixture(scope="module")
def ua(data):
    v, fw, units = data
    spec = {"samples": 16, "seed": 7, "weights": 0.3, "normalisation": ["minmax", "percentile"],
            "aggregation": ["arithmetic", "geometric"], "missing": ["none", "region_mean"], "drop_leaves": True}
    return _quiet(run_uncertainty, v, fw, units, {"uncertainty": spec})


def test_uncertainty_outputs(ua, data):
    v, fw, units = data
    r = ua.ranks
    assert len(ua.draws) == 16 * (5 + 2)  # Saltelli design without second order: N (k + 2)
    assert (r.rank_p05 <= r.median_rank).all() and (r.median_rank <= r.rank_p95).all()
    p = r[["p_green", "p_blue", "p_yellow", "p_red"]].sum(axis=1)
    np.testing.assert_allclose(p, 1.0)
    nominal = _quiet(build_index, v, fw, units).index().set_index(["unit_id", "year"])
    rr = r.set_index(["unit_id", "year"])
    assert (rr.nominal_rank == nominal["rank"].reindex(rr.index).astype(float)).all()
    assert (rr.nominal_grade == nominal["grade"].reindex(rr.index)).all()
    # the planted red-line event (U042, 2023) is red in every run
    assert rr.loc[("U042", 2023), "p_red"] == 1.0
    assert set(ua.sensitivity.factor) == {"weights", "normalisation", "aggregation", "missing", "drop_leaves"}
    assert {"draw", "normalisation", "aggregation", "missing", "dropped_leaf", "mean_abs_rank_shift"} <= set(ua.draws)
    assert len(ua.draw_weights) == len(ua.draws) * 71
    assert ua.spec["weights"] == 0.3 and ua.config["normalisation"]["method"] == "minmax"


def test_factor_without_effect_has_zero_total_index(ua):
    # In the sample the only missing leaf (M22, 2021) is missing for every unit, so regional
    # imputation has no donor and changes nothing: its total Sobol' index must be exactly 0.
    s = ua.sensitivity.set_index("factor")
    assert s.loc["missing", "ST"] == 0.0
    assert s.loc["aggregation", "ST"] > 0.0


def test_draw_parameters_reproduce_the_draw(ua, data):
    """The per-draw table is enough to redo a draw with build_index (COINr issue #31/#60)."""
    v, fw, units = data
    d = ua.draws.iloc[5]
    mult = ua.draw_weights[ua.draw_weights.draw == d.draw].set_index("node").multiplier
    fw2 = fw.assign(weight=fw.weight * fw.code.map(mult).fillna(1.0))
    if d.dropped_leaf:
        fw2 = fw2[fw2.code != d.dropped_leaf]
    cfg = load_config(None).replace(normalisation={"method": d.normalisation}, missing={"method": d.missing},
                                    aggregation={"method": d.aggregation})
    res = _quiet(build_index, v, fw2, units, cfg)
    root = res.scores[res.scores.level == 0]
    assert root.score.mean() == pytest.approx(d.mean_score, rel=1e-10)


def test_nothing_uncertain_gives_nominal_only(data):
    v, fw, units = data
    res = _quiet(run_uncertainty, v, fw, units, None, {})
    assert res.draws.empty and "no uncertain choice" in res.sensitivity.reason.iloc[0]
    assert (res.ranks.median_rank == res.ranks.nominal_rank).all()


def test_ranks_and_quantiles_equal_scipy_and_numpy():
    from scipy import stats

    from analysis.scoring.uncertainty import nan_quantiles
    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, (3, 50, 7)).astype(float)  # many ties
    x[rng.random(x.shape) < 0.1] = np.nan
    ref = np.where(np.isnan(x), np.nan, stats.rankdata(-x, axis=1, method="min", nan_policy="omit"))
    assert np.array_equal(ranks_desc(x), ref, equal_nan=True)
    a = rng.normal(size=(40, 33))
    a[rng.random(a.shape) < 0.2] = np.nan
    a[3] = np.nan
    q = (0.05, 0.25, 0.5, 0.75, 0.95)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanquantile(a, q, axis=1).T
    assert np.array_equal(nan_quantiles(a, q, axis=1), expected, equal_nan=True)
