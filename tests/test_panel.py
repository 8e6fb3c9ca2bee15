"""Denominators from any numeric unit attribute; hand-made values written out in each test."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AnalysisError, InputError
from analysis.framework import validate_framework
from analysis.panel import check_denominators, require_denominators, yearly_values


def framework(denominator="gdp", per=1):
    fw = pd.DataFrame([
        ("PE", "", 0, 1, "aggregate", "", "", "", "", ""),
        ("C", "PE", 1, 1, "score", "negative", "sum", "quarterly", denominator, per),
    ], columns=["code", "parent", "level", "weight", "role", "direction", "year_agg", "frequency", "denominator",
                "per"]).astype(str)
    fw["name_zh"] = fw.code
    return validate_framework(fw, "hand")


def units(gdp=(150.0, 40.0)):
    return pd.DataFrame({"unit_id": ["U1", "U2"], "name_zh": ["甲", "乙"], "type": "county", "region": "R1",
                         "staff": 100.0, "gdp": list(gdp), "valid_from": np.nan, "valid_to": np.nan})


def obs():
    return pd.DataFrame({"unit_id": ["U1", "U1", "U2"], "year": 2024, "period": ["Q1", "Q2", "Q1"],
                         "indicator": "C", "value": [10.0, 20.0, 8.0]})


def test_any_numeric_unit_column_divides_a_leaf():
    v = yearly_values(obs(), framework("gdp", 100), units()).set_index("unit_id")
    # U1: (10 + 20) / 150 × 100 = 20; U2: 8 / 40 × 100 = 20
    assert v.loc["U1", "value"] == pytest.approx(20.0) and v.loc["U2", "value"] == pytest.approx(20.0)
    assert v.loc["U1", "denominator_value"] == 150.0
    assert check_denominators(framework("gdp"), units()) == []


def test_missing_or_zero_denominators_name_the_unit():
    with pytest.raises(AnalysisError, match="U2 2024 gdp"):
        yearly_values(obs(), framework("gdp"), units(gdp=(150.0, 0.0)))
    with pytest.raises(AnalysisError, match="U2"):
        yearly_values(obs(), framework("gdp"), units(gdp=(150.0, np.nan)))
    with pytest.raises(AnalysisError, match="没有分母列.*area_km2"):
        yearly_values(obs(), framework("area_km2"), units())
    issues = check_denominators(framework("gdp"), units(gdp=(np.nan, 0.0)))
    assert [(i.row, i.column) for i in issues] == [(2, "gdp"), (3, "gdp")]
    assert "U1" in issues[0].reason_zh and "U2" in issues[1].reason_en
    with pytest.raises(InputError):
        require_denominators(framework("area_km2"), units())


def test_framework_refuses_a_denominator_that_is_not_a_column_name():
    with pytest.raises(InputError):
        framework("per capita")


def test_sample_unit_attributes_divide_like_any_size_field():
    from analysis import sample

    plain, rich = sample.generate(n_units=12, years=range(2023, 2025)), \
        sample.generate(n_units=12, years=range(2023, 2025), unit_attributes=True)
    # the attributes draw nothing at random: the observations are identical
    pd.testing.assert_frame_equal(plain.observations, rich.observations)
    assert rich.units.area.notna().all() and set(rich.units.area[rich.units.type == "county"]) == {"区县工作"}
    fw = rich.framework.copy()
    fw.loc[fw.code == "M01", "denominator"] = "budget"
    by_budget = yearly_values(rich.observations, fw, rich.units)
    by_staff = yearly_values(rich.observations, rich.framework, rich.units)
    a = by_budget[by_budget.indicator == "M01"].value.to_numpy()
    b = by_staff[by_staff.indicator == "M01"].value.to_numpy()
    # budget = 25 × staff, both per 100: value by budget = value by staff / 25
    np.testing.assert_allclose(a, b / 25)
