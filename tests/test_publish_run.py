"""End to end: a publish-mode run of the sample publishes nothing that identifies a unit or a problem.

The reviewer's check of issue 16, as a test: run the yearly report set (all notebooks and unit
diagnoses), both topics of ``data/topics/`` and the research package in publish mode into one
output folder, then scan *every* file under it — file names, HTML, the CSV/XLSX downloads
embedded in the pages as ``data:`` URIs, XLSX and ZIP members, notebooks and JSON — for every
real unit code, successor code and problem id (as whole tokens), every unit name and every
problem description (:func:`analysis.publish.forbidden_strings`). Everything in the output folder
is what a user who uploads it publishes; audit files (executed notebooks, sidecars, parameters,
logs, the manifest with real codes, the pseudonym mapping) belong in the audit folder outside it.
Every published table with a unit column must also be k-anonymous over region, type and size band.

The negative control runs the same scan on an internal-mode run and must find codes, names and
descriptions, in the pages and inside their embedded downloads: a scan that finds nothing there
would prove nothing.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import publish as pb
from analysis.runner import run_year

ROOT = Path(__file__).resolve().parents[1]
TOPICS = sorted((ROOT / "data" / "topics").glob("*.yaml"))
YEAR = 2024
K = 3


@pytest.fixture(scope="module")
def warehouse(sample_files, tmp_path_factory):
    from analysis.ingest import ingest
    from analysis.warehouse import Warehouse

    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    with Warehouse(path) as wh:
        ingest(sample_files, wh)
    return path


def _diagnosed_units(sample_data) -> list[str]:
    """U042 (the unit of the issue's warning text) and the first units that are alone in their
    region × type, the ones a reader could re-identify from attributes."""
    from analysis.panel import units_for_year

    units = units_for_year(sample_data.units, YEAR)
    size = units.groupby(["region", "type"]).unit_id.transform("nunique")
    alone = units.loc[size == 1, "unit_id"].astype(str).tolist()
    return sorted({"U042", *alone[:5]})


@pytest.mark.slow
def test_publish_mode_run_publishes_no_identifier(warehouse, sample_data, tmp_path, monkeypatch):
    from analysis import topics

    key = tmp_path / "secrets" / "pseudonym.key"
    monkeypatch.setenv("ANALYSIS_PSEUDONYM_KEY", str(key))
    out = tmp_path / "reports"
    summary = run_year(YEAR, warehouse, units=_diagnosed_units(sample_data), jobs=2, out=out, publish=True)
    assert summary.ok, [(f.name, f.cell, f.error) for f in summary.failures]
    for topic in TOPICS:
        result = topics.run_topic(topic, year=YEAR, warehouse=warehouse, out=out, publish=True, key_path=key)
        assert result.ok, result.error
    topics.package(TOPICS[0], year=YEAR, out=out / "packages", warehouse=warehouse, key_path=key)
    assert not key.is_relative_to(out)

    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".zip" for p in files)
    # the published folder holds publishable files only, and its pages link nothing else
    assert pb.unpublishable_files(out) == [], [str(p.relative_to(out)) for p in pb.unpublishable_files(out)][:20]
    for page in out.rglob("*.html"):
        for link in re.findall(r'(?:href|src)="([^"#:]+)"', page.read_text(encoding="utf-8")):
            assert Path(link).suffix.lower() in pb.PUBLISHABLE_SUFFIXES, (page.relative_to(out), link)
    hits = pb.scan_artifacts([out], pb.forbidden_strings(sample_data.units, sample_data.problems))
    assert hits.empty, hits.groupby("path").forbidden.agg(lambda s: sorted(set(s))[:5]).head(30).to_string()

    # quasi-identifiers: every published unit-level table is k-anonymous
    for csv in out.rglob("*.csv"):
        table = pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
        if "unit_id" in table.columns:
            smallest = pb.smallest_group(table, pb.QUASI_IDENTIFIERS)
            assert smallest is None or smallest >= K, (csv.relative_to(out), smallest)


@pytest.mark.slow
def test_scan_of_an_internal_run_finds_codes_names_and_descriptions(warehouse, sample_data, tmp_path, monkeypatch):
    """Negative control: the internal edition names real units, inside the pages and their downloads."""
    monkeypatch.setenv("ANALYSIS_PSEUDONYM_KEY", str(tmp_path / "secrets" / "pseudonym.key"))
    out = tmp_path / "reports"
    summary = run_year(YEAR, warehouse, only=["00", "04"], units=["U042"], jobs=2, out=out, publish=False)
    assert summary.ok, [(f.name, f.cell, f.error) for f in summary.failures]
    forbidden = pb.forbidden_strings(sample_data.units, sample_data.problems)
    hits = pb.scan_artifacts([out], forbidden)
    assert len(hits) >= 20, hits.to_string()
    # the red-line warning of the issue names U042 in the data-quality page's embedded downloads
    embedded = hits[hits.member.str.contains("#data") & (hits.forbidden == "U042")]
    assert not embedded.empty, hits.member.unique()[:20]
    assert (hits.forbidden == "U042").any() and hits.forbidden.isin(sample_data.units.name_zh).any()
    # a file name is a hit too: the internal diagnosis page is units/U042.html
    assert hits.member.str.endswith("(文件名 / file name)").any()
