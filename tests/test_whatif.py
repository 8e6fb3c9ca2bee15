"""What-if weights: two index configurations compared unit by unit."""
from __future__ import annotations

import pytest

from analysis.panel import yearly_values
from analysis.scoring.config import IndexConfig
from analysis.whatif import compare_configs, comparison_summary


@pytest.fixture(scope="module")
def panel(sample_data):
    s = sample_data
    return yearly_values(s.observations, s.framework, s.units), s.framework, s.units


def test_the_same_configuration_changes_nothing(panel):
    cfg = IndexConfig()
    table = compare_configs(*panel, cfg, cfg, 2024)
    assert (table.score_change.abs() < 1e-12).all() and (table.rank_change == 0).all() and not table.grade_changed.any()
    summary = comparison_summary(table).iloc[0]
    assert summary.spearman_rho == pytest.approx(1.0) and summary.n_grade_changed == 0


def test_equal_weights_against_expert_weights(panel):
    a = IndexConfig()
    b = IndexConfig.from_dict({"weights": {"method": "equal"}})
    table = compare_configs(*panel, a, b, 2024)
    # every column is the difference of the two runs it shows: checked against the columns themselves
    assert (table.score_change - (table.score_b - table.score_a)).abs().max() < 1e-12
    assert (table.rank_change == table.rank_a - table.rank_b).all()
    assert table.grade_changed.sum() == (table.grade_a != table.grade_b).sum()
    assert table.rank_change.abs().max() > 0  # other weights do move some units
    assert table.rank_change.abs().is_monotonic_decreasing  # sorted by the size of the move
