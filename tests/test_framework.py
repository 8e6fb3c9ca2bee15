"""The indicator framework: the default tree, validation messages, year versions, weights."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import framework as F
from analysis.errors import InputError


@pytest.fixture(scope="module")
def fw():
    return F.load_framework()


def test_default_mirrors_the_pilot(fw):
    # the university pilot (source document 003): 6 level-1, 14 level-2, 23 level-3 indicators, 28 monitoring points
    agg = fw[fw.role == "aggregate"]
    assert agg.level.value_counts().sort_index().tolist() == [1, 6, 14, 23]
    assert len(F.leaves(fw)) == 28
    assert F.leaves(fw, "red_line").code.tolist() == ["RL1"]
    assert set(F.leaves(fw).direction) == {"positive", "negative", "target"}


def test_sibling_weights_sum_to_one_and_effective_weights_to_one(fw):
    w = F.normalised_weights(fw)
    scored = fw[fw.role.isin(["aggregate", "score"])]
    sums = w[scored.code].groupby(scored.set_index("code").parent).sum()
    assert sums.round(12).eq(1).all()
    eff = F.effective_weights(fw)
    assert eff.sum() == pytest.approx(1.0)
    # M03 sits alone under D1.1.2, which is one of two level-3 nodes under D1.1 (1 of 2 level-2
    # nodes under D1, weight 0.20 of the index): 0.20 × 1/2 × 1/2 × 1 = 0.05 (hand calculation)
    assert eff["M03"] == pytest.approx(0.05)


def _table(fw):
    return fw.astype(object).where(fw.notna(), "").astype(str)


def test_errors_name_row_column_and_reason(fw):
    raw = _table(fw)
    raw.loc[5, "direction"] = "upward"
    raw.loc[7, "parent"] = "NOPE"
    raw.loc[9, "weight"] = "heavy"
    with pytest.raises(InputError) as err:
        F.validate_framework(raw, source="framework.csv")
    got = {(i.row, i.column) for i in err.value.issues}
    # spreadsheet rows: header is row 1, DataFrame index 5 is row 7
    assert {(7, "direction"), (9, "parent"), (11, "weight")} <= got
    assert "方向" in str(err.value) and "direction must be" in str(err.value)


def test_leaf_with_children_and_cycle_are_refused(fw):
    raw = _table(fw)
    raw.loc[raw.code == "D1.1.2", "parent"] = "M03"
    with pytest.raises(InputError):
        F.validate_framework(raw)


def test_year_versions_add_drop_and_reweight(fw):
    raw = _table(fw)
    # M28 introduced in 2021; D1 reweighted from 2023 on (two rows with disjoint ranges)
    raw.loc[raw.code == "M28", "valid_from"] = "2021"
    d1 = raw[raw.code == "D1"].copy()
    raw.loc[raw.code == "D1", "valid_to"] = "2022"
    d1["valid_from"], d1["weight"] = "2023", "0.40"
    versions = F.validate_framework(pd.concat([raw, d1], ignore_index=True))
    y2020, y2024 = F.for_year(versions, 2020), F.for_year(versions, 2024)
    assert "M28" not in set(y2020.code) and "M28" in set(y2024.code)
    assert F.normalised_weights(y2020)["D1"] == pytest.approx(0.20)
    assert F.normalised_weights(y2024)["D1"] == pytest.approx(0.40 / 1.20)
    assert F.content_hash(y2020) != F.content_hash(y2024)


def test_overlapping_versions_are_refused(fw):
    raw = _table(fw)
    dup = raw[raw.code == "M01"].copy()
    with pytest.raises(InputError) as err:
        F.validate_framework(pd.concat([raw, dup], ignore_index=True))
    assert "重叠" in str(err.value)
