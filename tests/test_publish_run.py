"""The yearly report set in publish mode leaks no unit name and no problem description.

Scans every published artefact of ``run_year(publish=True)`` — HTML pages, CSV and XLSX tables
(the downloads embedded in the pages included, since the scanner decodes the whole file) — for
every real unit name of the sample (Chinese and English) and every problem description.
Audit files (executed notebooks, parameter files, logs, manifest) stay with the analyst and are
not published; they are left out of the scan on purpose.
"""
from __future__ import annotations

import base64
import re

import pytest

from analysis.ingest import ingest
from analysis.publish import scan_artifacts
from analysis.runner import run_year
from analysis.sample import generate, write_files

PUBLISHED = {".html", ".csv", ".xlsx", ".zip"}


@pytest.mark.slow
def test_publish_mode_run_has_no_names_or_descriptions(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_PSEUDONYM_KEY", str(tmp_path / "secrets" / "pseudonym.key"))
    data = generate(n_units=30, years=range(2020, 2025), seed=11)
    warehouse = tmp_path / "warehouse.duckdb"
    ingest(write_files(data, tmp_path / "sample"), warehouse, command="test")
    summary = run_year(2024, warehouse, units=["U001", "U017"], jobs=2, out=tmp_path / "reports", publish=True)
    assert summary.ok, [(f.name, f.cell, f.error) for f in summary.failures]

    year_dir = summary.index_path.parent
    files = [p for p in year_dir.rglob("*") if p.suffix in PUBLISHED]
    assert any(p.suffix == ".html" for p in files)
    # the downloads inside the pages are data: URIs; decode them so the scan sees their content
    decoded = tmp_path / "decoded"
    decoded.mkdir()
    for page in [p for p in files if p.suffix == ".html"]:
        text = page.read_text(encoding="utf-8")
        for i, (mime, payload) in enumerate(re.findall(r'href="data:([^;"]+);base64,([^"]+)"', text)):
            suffix = ".xlsx" if "spreadsheet" in mime else ".csv"
            (decoded / f"{page.stem}_{i}{suffix}").write_bytes(base64.b64decode(payload))
    files += list(decoded.iterdir())
    assert any(p.suffix == ".xlsx" for p in files), "no table download was found to scan"

    forbidden = set(data.units.name_zh) | set(data.units.name_en) | set(data.problems.description)
    hits = scan_artifacts(files, sorted(forbidden))
    assert hits.empty, hits.head(20).to_string()
