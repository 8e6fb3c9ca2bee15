"""The reports find the sample's planted effects (analysis.sample) in the tables their runs write:
the trend report, the half-yearly diagnosis and the quarterly monitoring report."""
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


def test_trend_report_finds_the_planted_trends_and_no_more(warehouse, tmp_path):
    # planted: U017 deteriorates from 2021; every unit of region R03 improves; no other region has a trend
    summary = run_year(2024, warehouse, only=["03"], jobs=1, out=tmp_path)
    assert summary.ok, [(f.name, f.cell, f.error) for f in summary.failures]
    tables = summary.index_path.parent / "tables"
    units = _table(tables, "unit_trends")
    u017 = units[(units.unit_id == "U017") & (units.node == "PE")]
    assert u017.classification.tolist() == ["deteriorating"]
    groups = _table(tables, "group_trends")
    regions = groups[(groups.group_by == "region") & (groups.node == "PE")]
    assert set(regions[regions.group == "R03"].classification) == {"improving"}  # panel slope and regional Kendall
    others = regions[regions.group != "R03"]
    # 11 regions × 2 tests without a planted trend: false findings stay within the nominal 5 % (at most one)
    assert (others.classification.isin(["improving", "deteriorating"])).sum() <= max(1, round(0.05 * len(others)))
    # "not testable at this length" and "no significant trend" are distinct classes in the published table
    assert {"not testable at this length", "no significant trend"} <= set(pd.concat([units, groups]).classification)
    assert units.family.notna().all() and (units.n_family >= 0).all()


def test_region_standing_finds_the_improving_region(warehouse):
    from analysis import catalog
    from analysis.inputs import prepare_inputs
    from analysis.summaries import region_standing

    cfg = catalog.read_run_config()
    data = prepare_inputs(catalog.read_warehouse(warehouse), cfg, uncertainty=False)
    standing = region_standing(data, 2024, cfg.statistics).set_index("region")
    # R03 is planted to improve by 0.35 latent SD a year: its panel slope is positive and significant,
    # and after six years of it the region has the highest mean index of the city
    assert standing.loc["R03", "slope"] > 0 and standing.loc["R03", "p"] < 0.001
    assert standing.loc["R03", "rank"] == 1
    assert standing["rank"].min() == 1 and len(standing) == 12
