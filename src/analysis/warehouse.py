"""The warehouse: one embedded DuckDB file (default ``data/warehouse.duckdb``).

It records its schema version in ``meta`` from the first release on. Opening a warehouse
written by an older release applies the migrations in :data:`MIGRATIONS` in one transaction;
one written by a newer release is refused rather than damaged.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from . import framework as fwmod
from .errors import AnalysisError

DEFAULT_PATH = Path("data/warehouse.duckdb")
SCHEMA_VERSION = 2

TABLES: dict[str, str] = {
    "meta": "key VARCHAR PRIMARY KEY, value VARCHAR",
    "framework": ", ".join(
        f"{c} DOUBLE" if c in ("level", "weight", "target", "per", "valid_min", "valid_max", "valid_from", "valid_to")
        else f"{c} VARCHAR" for c in fwmod.COLUMNS),
    "framework_versions": "hash VARCHAR PRIMARY KEY, source VARCHAR, recorded_at TIMESTAMP, first_year INTEGER, last_year INTEGER",
    "units": ("unit_id VARCHAR NOT NULL, name_zh VARCHAR, name_en VARCHAR, type VARCHAR, region VARCHAR, "
              "staff DOUBLE, party_members DOUBLE, residents DOUBLE, valid_from INTEGER, valid_to INTEGER, "
              "successor_id VARCHAR"),
    "focal_units": "unit_id VARCHAR NOT NULL, year INTEGER NOT NULL, reason VARCHAR, PRIMARY KEY (unit_id, year)",
    "observations": ("unit_id VARCHAR NOT NULL, year INTEGER NOT NULL, period VARCHAR NOT NULL, "
                     "indicator VARCHAR NOT NULL, value DOUBLE NOT NULL, source VARCHAR, note VARCHAR, "
                     "PRIMARY KEY (unit_id, year, period, indicator)"),
    "observation_history": ("unit_id VARCHAR, year INTEGER, period VARCHAR, indicator VARCHAR, value DOUBLE, "
                            "source VARCHAR, note VARCHAR, replaced_at TIMESTAMP, replaced_by VARCHAR"),
    "problems": ("problem_id VARCHAR PRIMARY KEY, unit_id VARCHAR NOT NULL, year INTEGER NOT NULL, source VARCHAR, "
                 "aspect VARCHAR, category VARCHAR, description VARCHAR, severity VARCHAR, status VARCHAR, "
                 "deadline DATE, rectified_on DATE, kept BOOLEAN, fed_back BOOLEAN, round_id VARCHAR, status_on DATE"),
    # every status change of a problem (整改历史); problems.status/status_on/rectified_on are derived from it
    "problem_status_history": ("problem_id VARCHAR NOT NULL, status VARCHAR NOT NULL, status_on DATE NOT NULL, "
                               "round_id VARCHAR, note VARCHAR, recorded_at TIMESTAMP, recorded_from VARCHAR, "
                               "PRIMARY KEY (problem_id, status_on, status)"),
    "inspection_rounds": ("round_id VARCHAR PRIMARY KEY, year INTEGER NOT NULL, name_zh VARCHAR, name_en VARCHAR, "
                          "kind VARCHAR NOT NULL, rechecks VARCHAR, start_on DATE, end_on DATE"),
    "provenance": ("file VARCHAR, sha256 VARCHAR, table_name VARCHAR, rows INTEGER, loaded_at TIMESTAMP, "
                   "command VARCHAR"),
}
KEYS = {
    "units": ["unit_id", "valid_from"],
    "focal_units": ["unit_id", "year"],
    "observations": ["unit_id", "year", "period", "indicator"],
    "problems": ["problem_id"],
    "problem_status_history": ["problem_id", "status_on", "status"],
    "inspection_rounds": ["round_id"],
}
DATA_TABLES = ["framework", "units", "focal_units", "observations", "problems", "problem_status_history",
               "inspection_rounds"]


def _create_v1(con: duckdb.DuckDBPyConnection) -> None:
    for name, ddl in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")


def _v2_problem_history(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: rectification history and inspection rounds. A version-1 warehouse keeps its
    problems; each gets one history row from its stored status (dated by its completion date,
    else the end of its year), so the current status derived from the history is unchanged."""
    con.execute("ALTER TABLE problems ADD COLUMN IF NOT EXISTS round_id VARCHAR")
    con.execute("ALTER TABLE problems ADD COLUMN IF NOT EXISTS status_on DATE")
    for name in ("problem_status_history", "inspection_rounds"):
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({TABLES[name]})")
    con.execute(
        "INSERT OR IGNORE INTO problem_status_history "
        "SELECT problem_id, status, coalesce(CASE WHEN status = 'rectified' THEN rectified_on END, "
        "make_date(year, 12, 31)), NULL, '由第 1 版数据仓库的整改状态生成 / migrated from schema version 1', "
        "current_timestamp, 'schema migration 2' FROM problems WHERE status IS NOT NULL")
    con.execute(
        "UPDATE problems SET status_on = coalesce(CASE WHEN status = 'rectified' THEN rectified_on END, "
        "make_date(year, 12, 31)) WHERE status_on IS NULL")


# Migrations: MIGRATIONS[n] brings a warehouse from version n - 1 to n.
MIGRATIONS = {1: _create_v1, 2: _v2_problem_history}


class Warehouse:
    """A connection to the warehouse file; use as a context manager."""

    def __init__(self, path: str | Path = DEFAULT_PATH, read_only: bool = False):
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise AnalysisError(f"数据仓库不存在:{self.path}(先运行 analysis sample 或 analysis ingest)/ "
                                f"warehouse not found: {self.path} (run `analysis sample` or `analysis ingest` first)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        if not read_only:
            self._migrate()
        self._check_version()

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()[0]
        if not exists:
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _check_version(self) -> None:
        v = self.schema_version()
        if v > SCHEMA_VERSION:
            raise AnalysisError(
                f"数据仓库版本 {v} 高于本软件支持的 {SCHEMA_VERSION},请升级软件 / warehouse schema {v} is newer "
                f"than this release supports ({SCHEMA_VERSION}); upgrade the package")

    def _migrate(self) -> None:
        v = self.schema_version()
        if v >= SCHEMA_VERSION:
            return
        self.con.execute("BEGIN TRANSACTION")
        try:
            for target in range(v + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](self.con)
            self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('created_at', ?)",
                             [datetime.now(timezone.utc).isoformat(timespec="seconds")])
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise

    # -- reading -----------------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(name)
        order = ", ".join(KEYS.get(name, [])) or "rowid"
        return self.con.execute(f"SELECT * FROM {name} ORDER BY {order}").df()

    def framework(self) -> pd.DataFrame:
        """The framework stored at the last ingest (falls back to the default file)."""
        fw = self.table("framework")
        if fw.empty:
            return fwmod.load_framework()
        return fwmod.validate_framework(fw.astype(object).where(fw.notna(), ""), source=str(self.path))

    def units(self) -> pd.DataFrame:
        u = self.table("units")
        for c in ("valid_from", "valid_to"):
            u[c] = u[c].astype("Int64")
        u["successor_id"] = u.successor_id.fillna("")
        return u

    def observations(self) -> pd.DataFrame:
        obs = self.table("observations")
        obs["year"] = obs.year.astype("int64")
        return obs

    def problems(self) -> pd.DataFrame:
        p = self.table("problems")
        for c in ("deadline", "rectified_on", "status_on"):
            p[c] = pd.to_datetime(p[c])
        return p

    def focal_units(self) -> pd.DataFrame:
        return self.table("focal_units")

    def _has_table(self, name: str) -> bool:
        return bool(self.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                     [name]).fetchone()[0])

    def status_history(self) -> pd.DataFrame:
        """Every recorded status change of a problem (``problem_status_history``); empty for a
        version-1 warehouse opened read-only (not migrated)."""
        if not self._has_table("problem_status_history"):
            return pd.DataFrame(columns=["problem_id", "status", "status_on", "round_id", "note", "recorded_at",
                                         "recorded_from"])
        h = self.table("problem_status_history")
        h["status_on"] = pd.to_datetime(h.status_on)
        return h

    def inspection_rounds(self) -> pd.DataFrame:
        """The inspection rounds (``inspection_rounds``); empty for an unmigrated version-1 warehouse."""
        if not self._has_table("inspection_rounds"):
            return pd.DataFrame(columns=["round_id", "year", "name_zh", "name_en", "kind", "rechecks", "start_on",
                                         "end_on"])
        r = self.table("inspection_rounds")
        for c in ("start_on", "end_on"):
            r[c] = pd.to_datetime(r[c])
        return r

    def provenance(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM provenance ORDER BY loaded_at, rowid").df()

    def content_hash(self) -> str:
        """SHA-256 over the sorted content of every data table (recorded in run manifests)."""
        h = hashlib.sha256()
        for name in DATA_TABLES:
            h.update(name.encode())
            # when and from which file a history row was loaded is bookkeeping, not content
            table = self.table(name).drop(columns=["recorded_at", "recorded_from"], errors="ignore")
            h.update(table.to_csv(index=False).encode("utf-8"))
        return h.hexdigest()

    def counts(self) -> dict[str, int]:
        return {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    # -- writing (used by analysis.ingest inside one transaction) -----------------------------
    def replace_framework(self, fw: pd.DataFrame, source: str) -> None:
        self.con.execute("DELETE FROM framework")
        self._insert("framework", fw[fwmod.COLUMNS])
        years = pd.concat([fw.valid_from, fw.valid_to]).dropna()
        self.con.execute(
            "INSERT OR IGNORE INTO framework_versions VALUES (?, ?, ?, ?, ?)",
            [fwmod.content_hash(fw), source, datetime.now(timezone.utc).replace(tzinfo=None),
             int(years.min()) if len(years) else None, int(years.max()) if len(years) else None])

    def upsert_keyed(self, table: str, df: pd.DataFrame) -> None:
        """Insert rows of a keyed problem-list table, replacing stored rows with the same key
        (``problem_status_history``: the same status on the same date is one event, its round
        and note follow the latest file; ``inspection_rounds``: one row per round)."""
        if table not in ("problem_status_history", "inspection_rounds"):
            raise KeyError(table)
        keys = KEYS[table]
        self.con.register("_keys", df[keys])
        try:
            cond = " AND ".join(f"t.{k} = k.{k}" for k in keys)
            self.con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _keys k WHERE {cond})")
        finally:
            self.con.unregister("_keys")
        self._insert(table, df)

    def history_of(self, problem_ids) -> pd.DataFrame:
        """The status history of the given problems, in the order rows were recorded."""
        self.con.register("_ids", pd.DataFrame({"problem_id": list(problem_ids)}, dtype=object))
        try:
            h = self.con.execute("SELECT h.* FROM problem_status_history h JOIN _ids USING (problem_id) "
                                 "ORDER BY h.recorded_at, h.rowid").df()
        finally:
            self.con.unregister("_ids")
        h["status_on"] = pd.to_datetime(h.status_on)
        return h

    def set_problem_status(self, current: pd.DataFrame) -> None:
        """Write the status derived from the history (``problem_id, status, status_on,
        rectified_on``) into ``problems``."""
        self.con.register("_current", current[["problem_id", "status", "status_on", "rectified_on"]])
        try:
            self.con.execute("UPDATE problems SET status = c.status, status_on = c.status_on, "
                             "rectified_on = c.rectified_on FROM _current c WHERE problems.problem_id = c.problem_id")
        finally:
            self.con.unregister("_current")

    def _insert(self, table: str, df: pd.DataFrame) -> None:
        self.con.register("_incoming", df)
        try:
            cols = ", ".join(df.columns)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.con.unregister("_incoming")
