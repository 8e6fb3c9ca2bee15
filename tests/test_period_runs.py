"""The pilot's rhythm on the sample: half-yearly diagnoses and the quarterly monitoring report find
the planted effects (analysis.sample) in the tables the runs write."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.ingest import ingest
from analysis.runner import run_year
from analysis.sample import generate, write_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("wh")
    path = root / "warehouse.duckdb"
    ingest(write_files(generate(), root / "sample"), path, command="test")  # the default 80-unit sample city
    return path


def _table(folder, name):
    hits = sorted(folder.rglob(f"{name}.csv"))
    assert hits, f"no table {name} under {folder}"
    return pd.read_csv(hits[0], encoding="utf-8-sig", dtype={"period": str})


def test_half_yearly_diagnosis_shows_the_planted_decline_of_U017(warehouse, tmp_path):
    # U017 deteriorates from 2021 (q -= 0.6 per year): its half-yearly index falls from 2021H2 to 2022H1
    summary = run_year(2022, warehouse, period="H1", units=["U017"], jobs=1, out=tmp_path)
    assert summary.ok, [(f.name, f.cell, f.error) for f in summary.failures]
    assert summary.index_path.parent.name == "2022H1"
    changes = _table(summary.index_path.parent / "tables", "U017_changes").set_index("compared_with")
    assert changes.loc["previous", "period"] == "2021H2" and changes.loc["last_year", "period"] == "2021H1"
    assert changes.loc["previous", "change"] < 0 and changes.loc["last_year", "change"] < 0
    history = _table(summary.index_path.parent / "tables", "U017_history")
    assert history.period.iloc[-1] == "2022H1"  # the history stops at the diagnosed period


def test_quarterly_monitoring_lists_the_planted_missing_indicator(warehouse, tmp_path):
    # leaf M22 is missing for every unit in 2021 (analysis.sample)
    summary = run_year(2021, warehouse, period="Q4", jobs=1, out=tmp_path)
    assert summary.ok, [(f.name, f.cell, f.error) for f in summary.failures]
    status = _table(summary.index_path.parent / "tables", "submission_status")
    m22 = status[status.indicator == "M22"]
    assert len(m22) == 1 and m22.missing.iloc[0] == m22.expected.iloc[0] == 80
    assert (status[status.indicator != "M22"].missing == 0).all()
