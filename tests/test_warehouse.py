"""The warehouse records its schema version, migrates old files and refuses newer ones."""
from __future__ import annotations

import duckdb
import pytest

from analysis import warehouse as W
from analysis.errors import AnalysisError


def test_new_warehouse_records_schema_version(tmp_path):
    with W.Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.schema_version() == W.SCHEMA_VERSION
        assert set(W.TABLES) <= set(wh.con.execute("SELECT table_name FROM information_schema.tables").df().table_name)


def test_unversioned_file_is_migrated_without_losing_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # a file from before versioning, with data in it
    con.execute("CREATE TABLE notes (text VARCHAR)")
    con.execute("INSERT INTO notes VALUES ('kept')")
    con.close()
    with W.Warehouse(path) as wh:
        assert wh.schema_version() == W.SCHEMA_VERSION
        assert wh.con.execute("SELECT text FROM notes").fetchone()[0] == "kept"


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    with W.Warehouse(path) as wh:
        wh.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(AnalysisError, match="newer"):
        W.Warehouse(path)


def test_read_only_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(AnalysisError, match="analysis sample"):
        W.Warehouse(tmp_path / "none.duckdb", read_only=True)


def test_round_trip_of_the_sample(sample_data, loaded_warehouse):
    with W.Warehouse(loaded_warehouse, read_only=True) as wh:
        units, obs, problems = wh.units(), wh.observations(), wh.problems()
        fw = wh.framework()
        h1 = wh.content_hash()
    assert len(units) == len(sample_data.units) and len(obs) == len(sample_data.observations)
    assert len(problems) == len(sample_data.problems)
    assert fw.code.tolist() == sample_data.framework.code.tolist()
    with W.Warehouse(loaded_warehouse, read_only=True) as wh:
        assert wh.content_hash() == h1


def test_content_hash_changes_with_any_cell_and_not_with_reading(loaded_warehouse):
    with W.Warehouse(loaded_warehouse, read_only=True) as wh:
        h0 = wh.content_hash()
        obs = wh.observations()
        obs.loc[0, "value"] = -1.0  # a caller's change to what it read stays with the caller
        assert wh.content_hash() == h0
    for sql in ("UPDATE observations SET value = value + 1e-9 WHERE rowid = 0",
                "UPDATE units SET name_zh = name_zh || ' ' WHERE rowid = 3"):
        with W.Warehouse(loaded_warehouse) as wh:
            wh.con.execute(sql)
            h1 = wh.content_hash()
        assert h1 != h0
        h0 = h1


def test_observations_read_as_codes_equal_the_plain_read(loaded_warehouse, tmp_path):
    import shutil

    import pandas as pd

    path = tmp_path / "w.duckdb"
    shutil.copy(loaded_warehouse, path)
    with W.Warehouse(path) as wh:  # a missing source and a code that sorts first must come through
        wh.con.execute("UPDATE observations SET source = NULL WHERE rowid % 7 = 0")
        wh.con.execute("UPDATE observations SET unit_id = 'A0' WHERE rowid = 5")
    plain = duckdb.connect(str(path), read_only=True).execute(
        "SELECT * FROM observations ORDER BY unit_id, year, period, indicator").df()
    with W.Warehouse(path, read_only=True) as wh:
        coded = wh.table("observations")
    pd.testing.assert_frame_equal(coded, plain)
    assert coded.source.isna().sum() == plain.source.isna().sum() > 0 and coded.unit_id.iloc[0] == "A0"
    assert coded.unit_id.iloc[-1] is coded.unit_id[coded.unit_id == coded.unit_id.iloc[-1]].iloc[0]
