"""Shared fixtures: a small sample city and a warehouse loaded with it."""
from __future__ import annotations

import pytest

from analysis import sample as sample_mod
from analysis.ingest import ingest
from analysis.warehouse import Warehouse


@pytest.fixture(scope="session")
def sample_data():
    """The default sample city (80 units, 2019–2024), generated once per test session."""
    return sample_mod.generate()


@pytest.fixture(scope="session")
def sample_files(sample_data, tmp_path_factory):
    return sample_mod.write_files(sample_data, tmp_path_factory.mktemp("sample"))


@pytest.fixture
def loaded_warehouse(sample_files, tmp_path):
    """A fresh warehouse with the whole sample ingested."""
    path = tmp_path / "warehouse.duckdb"
    with Warehouse(path) as wh:
        ingest(sample_files, wh)
    return path
