"""The warehouse: one embedded DuckDB file (default ``data/warehouse.duckdb``).

It records its schema version in ``meta`` from the first release on. Opening a warehouse
written by an older release first copies the file beside itself (``<name>.v<N>.bak``), then
applies the migrations in :data:`MIGRATIONS` in one transaction; one written by a newer release
is refused rather than damaged.

All SQL of the package lives here. Writes go through :meth:`Warehouse.write_batch`, one
transaction per ingest: a crash leaves the whole batch or none of it (DuckDB's write-ahead log).
A damaged file or one locked by another process ends in a :class:`~analysis.errors.WarehouseError`
that says what happened and what to do; the file itself is never touched then.
:func:`export` and :func:`restore` write every table to Parquet with a SHA-256 manifest and
rebuild an identical warehouse from it (see ``docs/reliability.md``).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from . import framework as fwmod
from .errors import AnalysisError, WarehouseError, WarehouseLocked

DEFAULT_PATH = Path("data/warehouse.duckdb")
SCHEMA_VERSION = 3
# How long an opening waits for another process's write lock (seconds); ANALYSIS_LOCK_TIMEOUT overrides.
LOCK_TIMEOUT = 30.0
_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file

TABLES: dict[str, str] = {
    "meta": "key VARCHAR PRIMARY KEY, value VARCHAR",
    "framework": ", ".join(
        f"{c} DOUBLE" if c in ("level", "weight", "target", "per", "valid_min", "valid_max", "valid_from", "valid_to")
        else f"{c} VARCHAR" for c in fwmod.COLUMNS),
    "framework_versions": "hash VARCHAR PRIMARY KEY, source VARCHAR, recorded_at TIMESTAMP, first_year INTEGER, last_year INTEGER",
    "units": ("unit_id VARCHAR NOT NULL, name_zh VARCHAR, name_en VARCHAR, type VARCHAR, region VARCHAR, "
              "staff DOUBLE, party_members DOUBLE, residents DOUBLE, valid_from INTEGER, valid_to INTEGER, "
              "successor_id VARCHAR, area VARCHAR"),
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
    # schema 2: replaced unit and problem records are kept, as replaced observations always were
    "unit_history": ("unit_id VARCHAR, name_zh VARCHAR, name_en VARCHAR, type VARCHAR, region VARCHAR, "
                     "staff DOUBLE, party_members DOUBLE, residents DOUBLE, valid_from INTEGER, valid_to INTEGER, "
                     "successor_id VARCHAR, replaced_at TIMESTAMP, replaced_by VARCHAR, area VARCHAR"),
    "problem_history": ("problem_id VARCHAR, unit_id VARCHAR, year INTEGER, source VARCHAR, aspect VARCHAR, "
                        "category VARCHAR, description VARCHAR, severity VARCHAR, status VARCHAR, deadline DATE, "
                        "rectified_on DATE, kept BOOLEAN, fed_back BOOLEAN, replaced_at TIMESTAMP, "
                        "replaced_by VARCHAR, round_id VARCHAR, status_on DATE"),
}
KEYS = {
    "units": ["unit_id", "valid_from"],
    "focal_units": ["unit_id", "year"],
    "observations": ["unit_id", "year", "period", "indicator"],
    "problems": ["problem_id"],
    "problem_status_history": ["problem_id", "status_on", "status"],
    "inspection_rounds": ["round_id"],
}
#: text columns whose values repeat over millions of rows, read as codes (:meth:`Warehouse.table`)
CODED = {"observations": ["unit_id", "period", "indicator", "source"]}
DATA_TABLES = ["framework", "units", "focal_units", "observations", "problems", "problem_status_history",
               "inspection_rounds"]
# where the stored version of a replaced record goes
HISTORY = {"observations": "observation_history", "units": "unit_history", "problems": "problem_history"}
V1_TABLES = ["meta", "framework", "framework_versions", "units", "focal_units", "observations",
             "observation_history", "problems", "provenance"]


def _create_v1(con: duckdb.DuckDBPyConnection) -> None:
    for name in V1_TABLES:
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({TABLES[name]})")


def _create_v2(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("unit_history", "problem_history"):
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({TABLES[name]})")


def _v3_problem_history(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3: rectification history and inspection rounds. A version-1 warehouse keeps its
    problems; each gets one history row from its stored status (dated by its completion date,
    else the end of its year), so the current status derived from the history is unchanged."""
    con.execute("ALTER TABLE problems ADD COLUMN IF NOT EXISTS round_id VARCHAR")
    con.execute("ALTER TABLE problems ADD COLUMN IF NOT EXISTS status_on DATE")
    for col in ("round_id VARCHAR", "status_on DATE"):
        con.execute(f"ALTER TABLE problem_history ADD COLUMN IF NOT EXISTS {col}")
    for table in ("units", "unit_history"):  # the leadership area (分管领域) of a unit
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS area VARCHAR")
    for name in ("problem_status_history", "inspection_rounds"):
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({TABLES[name]})")
    con.execute(
        "INSERT OR IGNORE INTO problem_status_history "
        "SELECT problem_id, status, coalesce(CASE WHEN status = 'rectified' THEN rectified_on END, "
        "make_date(year, 12, 31)), NULL, '由第 1 版数据仓库的整改状态生成 / migrated from schema version 1', "
        "current_timestamp, 'schema migration 3' FROM problems WHERE status IS NOT NULL")
    con.execute(
        "UPDATE problems SET status_on = coalesce(CASE WHEN status = 'rectified' THEN rectified_on END, "
        "make_date(year, 12, 31)) WHERE status_on IS NULL")


# Migrations: MIGRATIONS[n] brings a warehouse from version n - 1 to n.
MIGRATIONS = {1: _create_v1, 2: _create_v2, 3: _v3_problem_history}


@dataclass
class TableWrite:
    """One table's rows from one input (file or sheet), written by :meth:`Warehouse.write_batch`."""

    table: str
    frame: pd.DataFrame
    file: str
    sha256: str = ""
    provenance: bool = True  # False for rows derived from another write of the batch


def restore_hint(path: Path) -> str:
    """What to do about a warehouse file that cannot be opened (it is never modified then)."""
    return (f"文件未被改动。请把它移到别处,再用最近的导出恢复:analysis restore <导出目录> --warehouse {path} / "
            f"the file was left untouched. Move it aside and rebuild it from your latest export: "
            f"`analysis restore <export dir> --warehouse {path}`")


def _check_file(path: Path) -> None:
    """Refuse, before DuckDB sees it, a path that cannot be a warehouse (DuckDB would overwrite some)."""
    if path.is_dir():
        raise WarehouseError(f"数据仓库路径是一个目录:{path} / the warehouse path is a directory: {path}")
    if not path.exists():
        return
    with open(path, "rb") as f:
        head = f.read(16)
    if len(head) < 12 or head[8:12] != _MAGIC:
        what = ("文件为空(0 字节)", "the file is empty (0 bytes)") if not head else (
            "不是 DuckDB 数据库文件", "it is not a DuckDB database file")
        raise WarehouseError(f"数据仓库 {path} 无法打开:{what[0]} / the warehouse {path} cannot be opened: "
                             f"{what[1]}. " + restore_hint(path))


def _lock_holder(message: str) -> str:
    m = re.search(r"held in (.+?) \(PID (\d+)\)", message)
    return f"{m.group(1)} (PID {m.group(2)})" if m else "另一个进程 / another process"


def _connect(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    """Connect, waiting up to ``timeout`` seconds while another process holds the lock."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise WarehouseError(f"数据仓库 {path} 无法打开 / the warehouse {path} cannot be opened: "
                                     f"{str(e).splitlines()[0]}. " + restore_hint(path)) from None
            if time.monotonic() >= deadline:
                who = _lock_holder(str(e))
                raise WarehouseLocked(
                    f"数据仓库 {path} 正被 {who} 使用,等待 {timeout:g} 秒后仍未释放。请等该进程结束后重试"
                    f"(或用 --lock-timeout 延长等待)/ the warehouse {path} is in use by {who} and was not released "
                    f"within {timeout:g} s. Wait for that process to finish and retry (or wait longer with "
                    "--lock-timeout); nothing was changed") from None
            time.sleep(0.2)
        except duckdb.Error as e:
            raise WarehouseError(f"数据仓库 {path} 已损坏,无法打开 / the warehouse {path} is damaged and cannot be "
                                 f"opened ({type(e).__name__}: {str(e).splitlines()[0]}). "
                                 + restore_hint(path)) from None


class Warehouse:
    """A connection to the warehouse file; use as a context manager."""

    def __init__(self, path: str | Path = DEFAULT_PATH, read_only: bool = False, lock_timeout: float | None = None):
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise AnalysisError(f"数据仓库不存在:{self.path}(先运行 analysis sample 或 analysis ingest)/ "
                                f"warehouse not found: {self.path} (run `analysis sample` or `analysis ingest` first)")
        _check_file(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if lock_timeout is None:
            lock_timeout = float(os.environ.get("ANALYSIS_LOCK_TIMEOUT", LOCK_TIMEOUT))
        self.con = _connect(self.path, read_only, lock_timeout)
        self.backup: Path | None = None
        #: a read-only session reads each table once (a run also hashes what it reads)
        self._cache: dict[str, pd.DataFrame] | None = {} if read_only else None
        try:
            if not read_only:
                self._migrate(read_only, lock_timeout)
            self._check_version()
        except duckdb.Error as e:
            self.con.close()
            raise WarehouseError(f"数据仓库 {self.path} 已损坏,无法读取 / the warehouse {self.path} is damaged and "
                                 f"cannot be read ({type(e).__name__}: {str(e).splitlines()[0]}). "
                                 + restore_hint(self.path)) from None
        except BaseException:
            self.con.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()  # DuckDB ignores a second close

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

    def _migrate(self, read_only: bool = False, lock_timeout: float = LOCK_TIMEOUT) -> None:
        v = self.schema_version()
        if v >= SCHEMA_VERSION:
            return
        if v > 0 or self.con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0]:
            # an existing warehouse: keep a copy of the file exactly as the older release left it
            self.con.close()
            self.backup = self.path.with_name(f"{self.path.name}.v{v}.bak")
            shutil.copy2(self.path, self.backup)
            self.con = _connect(self.path, read_only, lock_timeout)
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
        if self._cache is not None and name in self._cache:
            return self._cache[name].copy(deep=False)  # copy-on-write: the caller cannot change the cached one
        order = ", ".join(KEYS.get(name, [])) or "rowid"
        table = self._read_coded(name) if name in CODED else self.con.execute(f"SELECT * FROM {name} ORDER BY {order}").df()
        if self._cache is not None:
            self._cache[name] = table
            return table.copy(deep=False)
        return table

    def _read_coded(self, name: str) -> pd.DataFrame:
        """``SELECT * FROM name`` in key order, its :data:`CODED` columns fetched as numbers of
        their sorted distinct values and turned back into text in pandas: one string object per
        code instead of one per row, so a national panel's 2.3 M observations arrive 1.3 s
        sooner, and grouping on the codes hashes each once. Same frame, values and dtypes."""
        coded = CODED[name]
        columns = [r[0] for r in self.con.execute(f"DESCRIBE {name}").fetchall()]
        codes = {c: f"(SELECT v, (row_number() OVER (ORDER BY v) - 1)::INTEGER AS k FROM "
                    f"(SELECT DISTINCT {c} AS v FROM {name} WHERE {c} IS NOT NULL))" for c in coded}
        select = ", ".join(f"COALESCE(d_{c}.k, -1) AS {c}" if c in coded else f"t.{c}" for c in columns)
        joins = " ".join(f"LEFT JOIN {codes[c]} d_{c} ON t.{c} = d_{c}.v" for c in coded)
        order = ", ".join(f"t.{k}" for k in KEYS[name])
        table = self.con.execute(f"SELECT {select} FROM {name} t {joins} ORDER BY {order}").df()
        for c in coded:
            values = self.con.execute(f"SELECT v FROM {codes[c]} ORDER BY k").df().v.astype("str")
            table[c] = pd.Categorical.from_codes(table[c].to_numpy(), categories=pd.Index(values)).astype("str")
        return table

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
        """SHA-256 over the sorted content of every data table (recorded in run manifests).

        Each table adds its name, its column names and pandas' row hashes
        (``hash_pandas_object``: every cell's value, row by row in key order): a changed,
        added or removed cell changes the hash. Hashing the rows' values instead of writing
        the tables as CSV takes 1 s instead of 8 s on a national panel.
        """
        h = hashlib.sha256()
        for name in DATA_TABLES:
            # when and from which file a history row was loaded is bookkeeping, not content
            table = self.table(name).drop(columns=["recorded_at", "recorded_from"], errors="ignore")
            h.update(name.encode() + b"\0" + "\0".join(map(str, table.columns)).encode() + b"\0")
            h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
        return h.hexdigest()

    def counts(self) -> dict[str, int]:
        """Rows per table (tables an older, unmigrated file lacks are left out)."""
        present = set(self.con.execute("SELECT table_name FROM information_schema.tables").df().table_name)
        return {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES if t in present}

    def loaded_hashes(self) -> set[str]:
        """SHA-256 of every file already ingested (re-ingesting one is a no-op)."""
        return set(self.con.execute("SELECT DISTINCT sha256 FROM provenance").df().sha256)

    def changed_records(self, table: str, frame: pd.DataFrame) -> pd.DataFrame:
        """Stored rows of ``table`` whose key is in ``frame`` with different content.

        Returns the stored rows (columns of ``frame``) plus ``_pos``, the position in ``frame``
        of the incoming row with the same key. Keys compare NULL-safely (a unit's open
        ``valid_from``); columns missing from ``frame`` are not compared.
        """
        keys = KEYS[table]
        cols = [c for c in frame.columns if c in self._columns(table)]
        incoming = frame[cols].copy()
        incoming["_pos"] = range(len(incoming))
        on = " AND ".join(f"s.{k} IS NOT DISTINCT FROM i.{k}" for k in keys)
        differs = " OR ".join(f"s.{c} IS DISTINCT FROM i.{c}" for c in cols if c not in keys) or "FALSE"
        self.con.register("_incoming", incoming)
        try:
            return self.con.execute(
                f"SELECT {', '.join(f's.{c}' for c in cols)}, i._pos FROM {table} s JOIN _incoming i ON {on} "
                f"WHERE {differs} ORDER BY i._pos").df()
        finally:
            self.con.unregister("_incoming")

    def write_batch(self, writes: list[TableWrite], framework: pd.DataFrame | None = None,
                    framework_source: str | None = None, command: str = "",
                    after: Callable[["Warehouse"], None] | None = None) -> dict[str, int]:
        """Write one ingest batch in one transaction: all of it, or nothing.

        Each :class:`TableWrite` upserts its rows by the table's key (:data:`KEYS`); a stored
        row that the batch changes is first copied to its history table (:data:`HISTORY`) with
        the time and the file that replaced it; one provenance row per write records file,
        SHA-256, table, rows, time and ``command``. ``framework`` (if given) replaces the stored
        framework and records its version. Returns the number of replaced rows per table.
        Deciding whether a change is allowed (``--replace``) is the caller's job. ``after(self)``
        runs inside the same transaction once every write is done (ingest derives the problems'
        current status from their history there).
        """
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        replaced: dict[str, int] = {}
        self.con.execute("BEGIN TRANSACTION")
        try:
            if framework is not None:
                self.replace_framework(framework, framework_source or "")
            for w in writes:
                changed = self.changed_records(w.table, w.frame) if w.table in HISTORY else pd.DataFrame()
                if len(changed):
                    self._keep_history(w.table, w.frame.iloc[changed._pos.to_numpy()], now, w.file)
                    replaced[w.table] = replaced.get(w.table, 0) + len(changed)
                self._upsert(w.table, w.frame)
                if w.provenance:
                    self.con.execute("INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?)",
                                     [w.file, w.sha256, w.table, len(w.frame), now, command])
            if after is not None:
                after(self)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return replaced

    def _columns(self, table: str) -> list[str]:
        return self.con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                "ORDER BY ordinal_position", [table]).df().column_name.tolist()

    def _key_condition(self, table: str, alias: str = "k") -> str:
        return " AND ".join(f"t.{k} IS NOT DISTINCT FROM {alias}.{k}" for k in KEYS[table])

    def _keep_history(self, table: str, incoming: pd.DataFrame, now: datetime, by: str) -> None:
        names = self._columns(table)  # by name: the history table may have gained columns in another order
        cols = ", ".join(f"t.{c}" for c in names)
        self.con.register("_keys", incoming[KEYS[table]])
        try:
            self.con.execute(f"INSERT INTO {HISTORY[table]} ({', '.join(names)}, replaced_at, replaced_by) "
                             f"SELECT {cols}, ?, ? FROM {table} t "
                             f"WHERE EXISTS (SELECT 1 FROM _keys k WHERE {self._key_condition(table)})", [now, by])
        finally:
            self.con.unregister("_keys")

    def _upsert(self, table: str, frame: pd.DataFrame) -> None:
        self.con.register("_keys", frame[KEYS[table]])
        try:
            self.con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _keys k WHERE "
                             f"{self._key_condition(table)})")
        finally:
            self.con.unregister("_keys")
        self._insert(table, frame[[c for c in self._columns(table) if c in frame.columns]])

    # -- writing -------------------------------------------------------------------------------
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


# -- export and restore ----------------------------------------------------------------------
MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export(wh: Warehouse, out: str | Path) -> Path:
    """Write every table of the warehouse to ``out/<table>.parquet`` and a checksum manifest.

    The manifest (``manifest.json``) records the schema version, each table's ``CREATE TABLE``
    statement, row count and the SHA-256 of its Parquet file, so that :func:`restore` can
    rebuild the same tables and refuse files that changed. Rows are written in storage order
    (``rowid``), which restore keeps. Returns the manifest path.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = wh.con.execute("SELECT table_name, sql FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND schema_name = 'main' ORDER BY table_name").df()
    manifest = {"format": "analysis-warehouse-export", "schema_version": wh.schema_version(),
                "source": str(wh.path), "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "tables": {}}
    for name, ddl in zip(tables.table_name, tables.sql):
        target = out / f"{name}.parquet"
        wh.con.execute(f"COPY (SELECT * FROM {name} ORDER BY rowid) TO '{target}' (FORMAT parquet)")
        rows = wh.con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        manifest["tables"][name] = {"file": target.name, "rows": rows, "sha256": _sha256(target), "sql": ddl}
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def restore(src: str | Path, path: str | Path) -> Path:
    """Rebuild a warehouse at ``path`` from an :func:`export` folder; nothing is overwritten.

    Every Parquet file must match the SHA-256 and row count in the manifest, else nothing is
    written. The new file is built beside ``path`` and renamed into place only when complete;
    an export from an older release is then migrated as any older warehouse is.
    """
    src, path = Path(src), Path(path)
    man_path = src / MANIFEST
    try:
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
        tables = manifest["tables"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise WarehouseError(f"{man_path}:无法读取导出清单({type(e).__name__})/ cannot read the export manifest "
                             f"({type(e).__name__})") from None
    if path.exists():
        raise WarehouseError(f"{path} 已存在,恢复不会覆盖它;请换一个路径或先把它移走 / {path} exists; restore never "
                             "overwrites a warehouse: choose another path or move it aside first")
    bad = []
    for name, entry in tables.items():
        f = src / entry["file"]
        if not f.is_file():
            bad.append(f"{f}: 文件缺失 / file missing")
        elif _sha256(f) != entry["sha256"]:
            bad.append(f"{f}: 校验和不符 / checksum mismatch")
    if bad:
        raise WarehouseError("导出文件与清单不符,未恢复任何数据 / the export does not match its manifest; nothing "
                             "was restored:\n" + "\n".join(f"  - {b}" for b in bad))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.restoring")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("BEGIN TRANSACTION")
        for name, entry in tables.items():
            con.execute(entry["sql"])
            con.execute(f"INSERT INTO {name} SELECT * FROM read_parquet(?)", [str(src / entry["file"])])
            n = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            if n != entry["rows"]:
                raise WarehouseError(f"{name}: 恢复出 {n} 行,清单记载 {entry['rows']} 行 / restored {n} rows, "
                                     f"the manifest says {entry['rows']}")
        con.execute("COMMIT")
        con.close()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    Warehouse(path).close()  # migrates an export made by an older release
    return path


def read_parquet(path: str | Path) -> pd.DataFrame | None:
    """A Parquet input file as a DataFrame, or ``None`` when DuckDB cannot read it."""
    try:
        with duckdb.connect() as con:
            return con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
    except duckdb.Error:
        return None
