"""The yearly run: parameterized notebooks through papermill, published as an HTML site.

``run_year`` reads the warehouse once and runs the inputs stage once
(:func:`analysis.inputs.prepare_inputs`: panel, index, uncertainty), checks every parameter
set against its notebook *before* anything runs (:mod:`analysis.params`), executes the
notebooks with papermill's Python API in a ``ProcessPoolExecutor`` (processes, not threads:
papermill's ``cwd`` is not thread-safe, nteract/papermill#473, #578) — each receives the
effective run config as data (``config``) and the path of the shared inputs (``inputs``) —,
converts each to one offline HTML file in the worker (:mod:`analysis.site`), and writes
``reports/<year>/index.html``, ``manifest.json`` and ``reports/index.html``.

The report folder is built in a temporary folder beside it and renamed into place, so a reader
(or a second run) never sees a half-written set. In publish mode the audit files go to
``audit/<year>/`` instead of the published folder.

Unit diagnoses are executed in batches (one notebook per region, at most ``batch_size``
units) and split into one HTML per unit: the ~2.4 s a fresh kernel pays to import pandas,
seaborn and statsmodels is paid once per batch, not once per unit.

Failures are isolated: a failing notebook (or unit section) is marked failed in the index
with the cell and the error, the others publish, and ``RunSummary.ok`` is False.
"""
from __future__ import annotations

import atexit
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from . import __version__, catalog
from .config import RunConfig
from .errors import ConfigError
from .params import check_parameters, declared_parameters, dump_yaml

KERNEL_NAME = "analysis"
#: packages whose versions go into the manifest
PACKAGES = ["analysis", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "mplfonts",
            "duckdb", "papermill", "nbconvert", "nbclient", "ipykernel", "jupyter_client", "openpyxl", "xlsxwriter",
            "scikit-posthocs", "pymannkendall", "pingouin", "inequality", "giddy", "SALib"]


@dataclass
class NotebookResult:
    """Outcome of one executed notebook (paths relative to the year directory in the manifest)."""

    name: str
    notebook: str
    title: str = ""
    ok: bool = False
    error: str = ""
    cell: int | None = None
    html_path: Path | None = None
    ipynb_path: Path | None = None
    json_path: Path | None = None
    seconds: float = 0.0
    attempts: int = 1
    parameters: dict[str, Any] = field(default_factory=dict)
    units: list[dict[str, Any]] = field(default_factory=list)
    #: units with rows in the report's tables (for the unit finder of the index page)
    found_units: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    """Outcome of a yearly run. ``ok`` is False if any notebook or unit failed."""

    ok: bool
    index_path: Path
    manifest_path: Path
    failures: list[NotebookResult]
    results: list[NotebookResult]
    seconds: float
    audit_dir: Path | None = None


# --------------------------------------------------------------------------- one notebook

def _kernel_started(nb_path: Path) -> bool:
    import nbformat

    if not nb_path.exists():
        return False
    nb = nbformat.read(nb_path, as_version=4)
    return any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells)


def _failed_cell(nb) -> int | None:
    last = None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell.get("execution_count")
        if cell.get("execution_count"):
            last = cell.execution_count
    return last


def execute_notebook(notebook: Path, parameters: dict[str, Any], out_dir: Path, name: str, *,
                     lang: str = "zh", show_code: bool = False, title: str | None = None,
                     split_units: bool = False, kernel_name: str = KERNEL_NAME,
                     start_timeout: int = 60, cell_timeout: int = 600, footer: str = "",
                     check: bool = True, audit_dir: Path | None = None, csv_links: bool = True,
                     kernel=None) -> NotebookResult:
    """Execute one notebook with papermill and export it to HTML; never raises for a notebook error.

    Writes the publishable files to ``out_dir``: ``<name>.html`` (or, with ``split_units``,
    ``units/<unit_id>.html`` per unit section) and ``tables/<name>/*.csv|xlsx``; and the audit
    files to ``audit_dir`` (default ``out_dir``): ``<name>.ipynb`` (executed), ``<name>.json``
    (key numbers) and ``params/<name>.yaml``. Long tables link their CSV under ``tables/<name>/``;
    ``csv_links=False`` (a caller that does not keep that folder) embeds it in the page instead.
    One retry when the kernel fails to start (the ZMQ port race, nteract/papermill#511).
    ``kernel``: a kernel manager whose kernel was started ahead (:func:`_kernel_ahead`); the
    notebook runs on it and it is shut down after (a retry starts a fresh kernel).
    """
    import nbformat
    import papermill

    from . import site

    notebook, out_dir = Path(notebook), Path(out_dir)
    audit_dir = Path(audit_dir) if audit_dir else out_dir
    if check:
        check_parameters(notebook, parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    (audit_dir / "params").mkdir(parents=True, exist_ok=True)
    # the parameter record keeps the whole config (to rerun from it), not the run's temporary inputs path
    dump_yaml(parameters | ({"inputs": INPUTS_MARK} if parameters.get("inputs") else {}),
              audit_dir / "params" / f"{name}.yaml")
    result = NotebookResult(name=name, notebook=notebook.name, title=title or name, parameters=parameters)
    ipynb = audit_dir / f"{name}.ipynb"
    start = time.perf_counter()
    for attempt in (1, 2):
        result.attempts = attempt
        ahead = {"km": kernel} if kernel is not None and attempt == 1 else {}
        try:
            papermill.execute_notebook(str(notebook), str(ipynb), parameters=parameters, kernel_name=kernel_name,
                                       progress_bar=False, log_output=False, start_timeout=start_timeout,
                                       execution_timeout=cell_timeout, cwd=str(notebook.parent),
                                       # save at the end (and on failure), not after every cell:
                                       # large outputs were re-serialised once per cell
                                       request_save_on_cell_execute=False, **ahead)
            result.ok, result.error = True, ""
            break
        except papermill.PapermillExecutionError as exc:
            result.ok, result.cell, result.error = False, exc.exec_count, f"{exc.ename}: {exc.evalue}"
            break
        except Exception as exc:  # noqa: BLE001 - kernel start failures, timeouts, dead kernels
            result.ok, result.error = False, f"{type(exc).__name__}: {exc}"
            if attempt == 1 and not _kernel_started(ipynb):
                continue  # the kernel never ran a cell: retry once
            break
        finally:
            if ahead:
                _shutdown(kernel)
    result.seconds = time.perf_counter() - start
    if not ipynb.exists():
        return result
    result.ipynb_path = ipynb
    nb = nbformat.read(ipynb, as_version=4)
    if not result.ok and result.cell is None:
        result.cell = _failed_cell(nb)
    tables_href = f"tables/{name}/" if csv_links else None
    if split_units:
        _export_units(nb, result, out_dir, lang, show_code, footer, tables_href and "../" + tables_href)
    else:
        result.html_path = site.export_html(nb, out_dir / f"{name}.html", lang=lang, show_code=show_code,
                                            title=title, footer=footer, tables_href=tables_href)
    tables = site.read_tables(nb)
    # unit pages' tables as CSV only: an XLSX copy of each of 80 units × 10 small tables would
    # double the folder; the officials' workbook (results.xlsx) holds the report-level tables
    _write_tables(tables, out_dir / "tables" / name, xlsx=not split_units)
    if not split_units:  # a diagnosis is the unit's own page: the finder links it directly
        result.found_units = sorted({u for t in tables for u in t.get("units", [])})
    keys = site.read_keys(nb)
    sidecar = {"name": name, "ok": result.ok, "error": result.error, "cell": result.cell,
               "parameters": _recordable(parameters), "keys": keys}
    if result.units:
        sidecar["units_status"] = [{k: u[k] for k in ("unit_id", "status", "error")} for u in result.units]
    result.json_path = audit_dir / f"{name}.json"
    result.json_path.write_text(json.dumps(sidecar, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    result.seconds = time.perf_counter() - start
    return result


def _recordable(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the sidecar and manifest record them: the run config is in the manifest once."""
    shown = {"config": "<manifest: effective_config>", "inputs": INPUTS_MARK}
    return {k: (shown[k] if k in shown and v else v) for k, v in parameters.items()}


INPUTS_MARK = "<the run's inputs, removed after the run>"


def _export_units(nb, result: NotebookResult, out_dir: Path, lang: str, show_code: bool, footer: str,
                  tables_href: str | None) -> None:
    from . import site

    units_dir = out_dir / "units"
    seen = set()
    for unit in site.split_units(nb):
        path = site.export_html(unit["nb"], units_dir / f"{unit['page']}.html", lang=lang,
                                show_code=show_code, title=unit["label"], footer=footer, tables_href=tables_href)
        seen.add(unit["unit_id"])
        result.units.append({"unit_id": unit["unit_id"], "label": unit["label"], "status": unit["status"],
                             "error": unit["error"], "html": path})
    # units whose section never started (the batch failed before them) are failed too
    for unit_id in result.parameters.get("units", []) or []:
        if str(unit_id) not in seen:
            result.units.append({"unit_id": str(unit_id), "label": str(unit_id), "status": "failed",
                                 "error": result.error or "未执行 / not executed", "html": None})
    if any(u["status"] != "ok" for u in result.units):
        failed = [u["unit_id"] for u in result.units if u["status"] != "ok"]
        result.ok = False
        result.error = result.error or f"单位诊断失败 / unit diagnoses failed: {', '.join(failed)}"


def _write_tables(tables: list[dict[str, Any]], folder: Path, xlsx: bool = True) -> None:
    """Every table of a notebook as ``<name>.csv`` and, with ``xlsx``, ``<name>.xlsx`` (built
    here in the worker from the CSV and column types: the kernel builds no spreadsheet)."""
    from . import site

    for table in tables:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{table['name']}.csv").write_bytes(table["csv"])
        if xlsx:
            (folder / f"{table['name']}.xlsx").write_bytes(site.table_xlsx(table))


@contextmanager
def kernel_log(out_dir: Path, name: str):
    """Send the kernel's chatter (it inherits stderr: the TCP warning, shutdown messages, library
    warnings) to ``<out_dir>/logs/<name>.log`` instead of the user's terminal, then restore stderr."""
    logs = Path(out_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    saved = os.dup(2)
    with open(logs / f"{name}.log", "w", encoding="utf-8") as log:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


#: the modules every report notebook's first cell imports (:func:`_kernel_ahead`)
KERNEL_IMPORTS = "import analysis.notebook, analysis.plots, analysis.summaries, analysis.trends"
#: this worker's kernel started ahead of its first notebook, as ``(kernel name, cwd, manager)``
_AHEAD: list = []


def _declared_parameters(notebook: Path, logs: Path) -> dict[str, dict[str, str]]:
    """:func:`analysis.params.declared_parameters`, as a notebook worker's first task while the
    runner builds the inputs on one core: it also imports what a job needs (papermill, nbformat,
    the page export) and starts the kernel of the worker's first notebook (:func:`_kernel_ahead`)."""
    from . import site  # noqa: F401

    declared = declared_parameters(notebook)
    if not _AHEAD:
        _AHEAD.append((KERNEL_NAME, str(notebook.parent), _kernel_ahead(KERNEL_NAME, notebook.parent, logs)))
        atexit.register(lambda: [_shutdown(km) for *_, km in _AHEAD])  # a worker left without a notebook
    return declared


def _kernel_ahead(kernel_name: str, cwd: Path, logs: Path):
    """A kernel started ahead, with :data:`KERNEL_IMPORTS` run in it (silently: the notebook's
    execution counts start at 1 as usual); None if it cannot be started (the notebook then
    starts its own). Its output goes to ``logs/kernel-<pid>.log``, not to the terminal.
    Started while the inputs are built, it saves the first notebook of each worker some 3.5 s."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=kernel_name)
    try:
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / f"kernel-{os.getpid()}.log", "w", encoding="utf-8") as log:
            run_sync(km.start_kernel)(cwd=str(cwd), stdout=log, stderr=log)
        kc = km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=60)
            run_sync(kc.execute_interactive)(KERNEL_IMPORTS, silent=True, store_history=False, timeout=120)
        finally:
            kc.stop_channels()
        return km
    except Exception:  # noqa: BLE001 - whatever went wrong, the notebook starts its own kernel
        _shutdown(km)
        return None


def _shutdown(km) -> None:
    from jupyter_core.utils import run_sync

    try:
        if km is not None and run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - a kernel that is gone already
        pass


def _execute_job(job: dict[str, Any]) -> NotebookResult:
    """Worker entry point (top level so it pickles); the worker's first notebook runs on the
    kernel started ahead when it fits (same kernel and folder)."""
    kernel = None
    if _AHEAD:
        name, cwd, kernel = _AHEAD.pop()
        if (name, cwd) != (job.get("kernel_name", KERNEL_NAME), str(Path(job["notebook"]).parent)):
            _shutdown(kernel)
            kernel = None
    with kernel_log(job.get("audit_dir") or job["out_dir"], job["name"]):
        try:
            return execute_notebook(**job, kernel=kernel)
        except Exception as exc:  # noqa: BLE001 - a broken job must not take the pool down
            return NotebookResult(name=job["name"], notebook=Path(job["notebook"]).name,
                                  title=job.get("title") or job["name"], ok=False,
                                  error=f"{type(exc).__name__}: {exc}", parameters=job["parameters"])


# --------------------------------------------------------------------------- the yearly run

def _select(names: list[str], only: list[str] | None) -> list[str]:
    if not only:
        return list(names)
    picked = []
    for token in only:
        token = str(token).strip()
        hits = [n for n in names if n == token or n.split("_")[0] == token.zfill(2) or n.startswith(token)]
        if not hits:
            raise ConfigError(f"--only {token}: 没有这个笔记本 / no such notebook (known: {', '.join(names)})")
        picked += [h for h in hits if h not in picked]
    return [n for n in names if n in picked]


def diagnosis_batches(units, focal, year: int, cfg: RunConfig,
                      only_units: list[str] | None) -> list[tuple[str, list[str]]]:
    """Unit batches for the diagnosis notebook: whole regions (``batch_by``) packed up to ``batch_size`` units.

    Which units: ``only_units`` if given, else every unit (``diagnosis.units: all``), the focal
    units (``focal``), or with ``auto`` every unit up to ``max_all`` and the focal units beyond
    (a national study diagnoses its focal units unless asked for more).

    Returns ``[(name, unit_ids)]``; the name lists the first and last group of the batch (``R01_R03``).
    """
    from .panel import units_for_year

    table = units_for_year(units, year)
    if only_units:
        wanted = {str(u) for u in only_units}
        missing = wanted - set(table.unit_id.astype(str))
        if missing:
            raise ConfigError(f"--units: {year} 年没有这些单位 {sorted(missing)} / no such units in {year}: {sorted(missing)}")
        table = table[table.unit_id.astype(str).isin(wanted)]
    elif cfg.diagnosis.units == "focal" or (cfg.diagnosis.units == "auto" and len(table) > cfg.diagnosis.max_all):
        ids = set(focal.loc[focal.year == year, "unit_id"].astype(str))
        table = table[table.unit_id.astype(str).isin(ids)]
    by, size = cfg.diagnosis.batch_by, cfg.diagnosis.batch_size
    # whole groups (regions) are packed together up to `size` units; a larger group is split
    chunks: list[tuple[str, list[str]]] = []
    for key, part in table.sort_values([by, "unit_id"]).groupby(by, sort=True):
        ids = part.unit_id.astype(str).tolist()
        for i in range(0, len(ids), size):
            suffix = f"-{i // size + 1}" if len(ids) > size else ""
            chunks.append((f"{key}{suffix}", ids[i:i + size]))
    batches: list[tuple[str, list[str]]] = []
    keys: list[str] = []
    for key, ids in chunks:
        if batches and len(batches[-1][1]) + len(ids) <= size:
            keys.append(key)
            batches[-1] = (f"{keys[0]}_{key}", batches[-1][1] + ids)
        else:
            keys = [key]
            batches.append((key, ids))
    return batches


def git_commit() -> str:
    """The project's git commit (``-dirty`` with uncommitted changes), or '' outside a repository."""
    try:
        out = subprocess.run(["git", "-C", str(catalog.ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip() if out.returncode == 0 else ""
        if commit:
            dirty = subprocess.run(["git", "-C", str(catalog.ROOT), "status", "--porcelain"], capture_output=True,
                                   text=True, timeout=5).stdout.strip()
            return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return ""


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a report depends on (for manifests and packages)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="reports", unit="nb", disable=not sys.stderr.isatty(), file=sys.stderr)


@contextmanager
def output_lock(out: Path, label: str):
    """Hold ``<folder>/.<label>.lock`` (the audit folder, outside the published one) while a run
    writes its report set: a second run on the same set fails at once with a message naming the
    holder, instead of mixing two report sets."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    path = out / f".{label}.lock"
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise ConfigError(f"另一个运行(进程 {holder})正在生成 {label} 的报告,请等它结束后再运行 / another run "
                              f"(process {holder}) is writing the {label} reports; run again when it has finished") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Replace ``target`` by the finished ``tmp`` folder with renames, so a reader never sees a
    half-written report folder (the old one is removed only after the new one is in place)."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def run_year(year: int, warehouse: Path, config: RunConfig | str | Path | None = None,
            only: list[str] | None = None, units: list[str] | None = None, jobs: int | None = None,
            lang: str | None = None, out: Path = catalog.REPORTS, show_code: bool = False,
            publish: bool | None = None, allow_low_coverage: bool = False, period: str = "Y",
            compare_with: int | None = None, scheduler: str | None = None, pdf: bool = False) -> RunSummary:
    """Run the report set of ``year`` (``period="Y"``) or of one of its half years or quarters
    (``"H1"``, ``"H2"``, ``"Q1"``–``"Q4"``) into ``out/<year>/`` or ``out/<year><period>/``.

    A yearly run executes ``config.notebooks``, a half-yearly run the diagnoses and a quarterly
    run the monitoring report (``config.period_notebooks``); the inputs stage then also builds the
    index on the half-year or quarter axis.

    ``config`` is a :class:`RunConfig` or the path of a run config file (default
    ``data/config/run.yaml``); ``lang`` and ``publish`` override it. The inputs stage (one read
    of the warehouse, the index, the uncertainty run) runs once, here, before any notebook; the
    notebooks read its result. ``compare_with`` (a year) adds the comparison of the two years,
    with its exact attribution, to the reports that declare it. ``scheduler`` (or ``scheduler:`` in
    the run config) runs the Monte Carlo draws on that Dask cluster. Every table of the run is also
    written to one workbook, ``results.xlsx``; ``pdf`` prints every page to PDF beside it. In
    publish mode the audit files (executed notebooks, sidecars, parameters, manifest) go to
    ``audit/<year>/`` beside ``reports/``, never into the published folder. Raises :class:`ConfigError` (before anything runs) for an invalid config or
    parameter set and for a year without data; notebook failures do not raise, they are in
    ``RunSummary.failures``.
    """
    label = str(year) if period == "Y" else f"{year}{period}"
    with output_lock(catalog.audit_folder(out, label).parent, label):
        return _run_year(year, warehouse, config, only, units, jobs, lang, out, show_code, publish, allow_low_coverage,
                         period, compare_with, scheduler, pdf)


def _run_year(year: int, warehouse: Path, config: RunConfig | str | Path | None = None,
             only: list[str] | None = None, units: list[str] | None = None, jobs: int | None = None,
             lang: str | None = None, out: Path = catalog.REPORTS, show_code: bool = False,
             publish: bool | None = None, allow_low_coverage: bool = False, period: str = "Y",
             compare_with: int | None = None, scheduler: str | None = None, pdf: bool = False) -> RunSummary:
    """The body of :func:`run_year`, run under the output folder's lock."""
    from .inputs import check_year, prepare_inputs, publishable

    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    if not isinstance(config, RunConfig):
        config = catalog.read_run_config(config)
    # the teaching edition (show_code: code and exercises) always works on pseudonymised data
    cfg = replace(config, lang=lang or config.lang,
                  publish=True if show_code else (config.publish if publish is None else bool(publish)),
                  scheduler=scheduler or config.scheduler)
    out = Path(out).resolve()
    names = cfg.notebooks_for(period)
    label = str(year) if period == "Y" else f"{year}{period}"
    year_dir = out / label
    nb_dir = Path(cfg.notebooks_dir)
    tables = catalog.read_warehouse(warehouse)
    stages = {"warehouse": time.perf_counter() - t0}  # seconds per stage, in the manifest's run section
    from .framework import content_hash

    wh_info = {"path": tables.path, "content_hash": tables.content_hash, "schema_version": tables.schema_version,
               "framework_hash": content_hash(tables.framework)}
    timeouts = cfg.timeouts
    footer = (f"analysis {__version__} · {label} · " + ("生成于 " if cfg.lang == "zh" else "generated ")
              + started.strftime("%Y-%m-%d %H:%M UTC"))
    out.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{label}.partial-", dir=out))
    audit_final = catalog.audit_folder(out, label)
    audit_dir = Path(tempfile.mkdtemp(prefix=f".{label}.partial-", dir=_mkdir(audit_final.parent))) if cfg.publish else tmp_dir
    pool = None
    try:
        if only or units:  # a partial run keeps the reports it does not rerun
            # (in publish mode nothing but publishable files is carried into the published folder)
            audit_files = shutil.ignore_patterns("*.ipynb", "*.json", "params", "logs") if cfg.publish else None
            for old, new, skip in ((year_dir, tmp_dir, audit_files),) + (((audit_final, audit_dir, None),)
                                                                          if cfg.publish else ()):
                if old.is_dir():
                    shutil.copytree(old, new, dirs_exist_ok=True, ignore=skip)
        jobs_spec: list[dict[str, Any]] = []
        selected = [nb_dir / f"{name}.ipynb" for name in _select(names, only)]
        for path in selected:
            if not path.exists():
                raise ConfigError(f"找不到笔记本 {path} / notebook not found: {path}")
        diagnoses = any(p.stem in cfg.batch_notebooks for p in selected)
        wanted = diagnosis_batches(tables.units, tables.focal_units, int(year), cfg, units) if diagnoses else []
        n_jobs = sum(len(wanted) if p.stem in cfg.batch_notebooks else 1 for p in selected)
        workers = max(1, min(jobs or os.cpu_count() or 1, n_jobs or 1))
        # the notebook workers start now and read the notebooks' parameter declarations (importing
        # papermill and the page export, as a job does) while this process builds the inputs on one
        # core: some 3 s per worker, and 2.5 s of this process, that the run no longer waits for
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
        declarations = {p: pool.submit(_declared_parameters, p, audit_dir / "logs") for p in selected}
        from .parallel import executor

        with executor(cfg.scheduler or None, 1) as ex:  # Dask when a scheduler is named, else in this process
            inputs = prepare_inputs(tables, cfg, period_kind=period[0] if period != "Y" else "Y",
                                    uncertainty=period == "Y" and diagnoses,  # only diagnoses show rank ranges
                                    executor=ex if cfg.scheduler else None)
        warning = check_year(inputs, int(year), allow_low_coverage=allow_low_coverage)
        batches = wanted
        if cfg.publish:  # every identifier is replaced here, before any report is made
            from .publish import load_or_create_key

            inputs, log = publishable(inputs, load_or_create_key(), k=cfg.publication.k, lang=cfg.lang)
            log.audit_mapping.to_csv(_mkdir(audit_dir) / "pseudonyms.csv", index=False, encoding="utf-8-sig")
            alias = dict(zip(log.audit_mapping.real, log.audit_mapping.pseudonym))
            chosen = [alias.get(u, u) for _, ids in wanted for u in ids]
            batches = diagnosis_batches(inputs.units, inputs.focal_units, int(year), cfg, chosen) if wanted else []
        inputs_path = catalog.save_inputs(inputs, tmp_dir / ".inputs")  # removed before the folder is published
        stages["inputs"] = time.perf_counter() - t0 - sum(stages.values())
        # the kernels read the inputs from the file: this process lets go of its copy (at national
        # scale some 2 GB) while they run, and reads it back only for the region and area pages
        run_id, warehouse_path, roster = inputs.run_id, tables.path, inputs.units
        checked = [(p, declarations[p].result(), cfg.parameters.get(p.stem, {}) or {}) for p in selected]
        del inputs, tables
        _release_memory()
        common = {"year": int(year), "period": period, "warehouse": warehouse_path, "lang": cfg.lang, "publish": cfg.publish,
                  "config": cfg.to_dict(), "inputs": str(inputs_path), "notice": warning,
                  "compare_with": int(compare_with or 0)}
        for path, declared, overrides in checked:
            name = path.stem
            base = {k: v for k, v in common.items() if k in declared} | overrides
            title = cfg.title(name)
            spec = dict(notebook=path, out_dir=tmp_dir, audit_dir=audit_dir, lang=cfg.lang, show_code=show_code,
                        footer=footer, start_timeout=int(timeouts["start"]), cell_timeout=int(timeouts["cell"]))
            if name in cfg.batch_notebooks:
                for key, ids in batches:
                    params = base | {"units": ids}
                    check_parameters(path, params, declared=declared)
                    jobs_spec.append(spec | dict(parameters=params, name=f"{name}_{key}", split_units=True,
                                                 title=f"{title} · {key}"))
            else:
                check_parameters(path, base, declared=declared)
                jobs_spec.append(spec | dict(parameters=base, name=name, title=title))
        # every parameter set is valid: now run the longest jobs first so that the pool drains evenly
        jobs_spec = _longest_first(jobs_spec, _previous_seconds(out, label, audit_final))
        results: list[NotebookResult] = []
        sheets: dict[str, list[tuple]] = {}  # each notebook's part of the workbook, read while the others run
        with _progress(len(jobs_spec)) as bar:
            futures = [pool.submit(_execute_job, {**j, "check": False}) for j in jobs_spec]
            for fut in as_completed(futures):
                results.append(fut.result())
                sheets[results[-1].name] = _workbook_sheets(results[-1])
                bar.update(1)
        pool.shutdown()
        stages["notebooks"] = time.perf_counter() - t0 - sum(stages.values())
        order = {j["name"]: i for i, j in enumerate(sorted(jobs_spec, key=lambda j: j["name"]))}
        results.sort(key=lambda r: order[r.name])
        manifest = {
            "year": int(year), "period": period, "label": label, "jobs": workers, "lang": cfg.lang, "show_code": show_code, "publish": cfg.publish,
            "only": only, "units": units, "analysis_version": __version__, "git_commit": git_commit(),
            "warehouse": wh_info, "framework_version": wh_info["framework_hash"], "inputs_id": run_id,
            "effective_config": cfg.to_dict(), "packages": package_versions(), "kernel": KERNEL_NAME,
            "notebooks": [_manifest_entry(r, tmp_dir, audit_dir) for r in results],
            # everything that differs between two runs of the same data and config is here, and only here
            "run": {"started": started.isoformat(timespec="seconds"),
                    "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "seconds": round(time.perf_counter() - t0, 2),
                    "notebooks": {r.name: {"seconds": round(r.seconds, 2), "attempts": r.attempts} for r in results},
                    "stages": stages},
        }
        from .site import write_site_index, write_year_index

        groups = _group_pages(lambda: catalog.load_inputs(inputs_path), results, tmp_dir, int(year), period, cfg, label)
        shutil.rmtree(inputs_path.parent, ignore_errors=True)
        write_year_index(tmp_dir, site_manifest(manifest) | groups, lang=cfg.lang,
                         finder=_finder(results, roster, tmp_dir, cfg))
        _write_outputs([t for r in results for t in sheets[r.name]], tmp_dir, cfg.lang, label, pdf)
        stages["pages"] = time.perf_counter() - t0 - sum(stages.values())
        manifest["run"]["stages"] = {k: round(v, 2) for k, v in stages.items()}
        manifest["run"] |= {"finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                            "seconds": round(time.perf_counter() - t0, 2)}
        (audit_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                                                 encoding="utf-8")
        _swap_into_place(tmp_dir, year_dir)
        if cfg.publish:
            _swap_into_place(audit_dir, audit_final)
    except BaseException:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        shutil.rmtree(tmp_dir, ignore_errors=True)
        if cfg.publish:
            shutil.rmtree(audit_dir, ignore_errors=True)
        raise
    write_site_index(out, lang=cfg.lang)
    final_audit = audit_final if cfg.publish else year_dir
    failures = [r for r in results if not r.ok]
    for r in results:  # paths point at the folders in place
        _relocate(r, tmp_dir, year_dir, audit_dir, final_audit)
    return RunSummary(ok=not failures, index_path=year_dir / "index.html", manifest_path=final_audit / "manifest.json",
                      failures=failures, results=results, seconds=time.perf_counter() - t0, audit_dir=final_audit)


def _release_memory() -> None:
    """Collect garbage and hand the freed heap back to the system (glibc keeps it otherwise, and
    the runner's resident memory would stay at the inputs stage's peak while the kernels run)."""
    import ctypes

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is still free for this process
        pass


def _previous_seconds(out: Path, label: str, audit_final: Path) -> dict[str, float]:
    """Seconds per notebook of the last run of this report set (its manifest), or of the most
    recent other run in ``out``; empty when there is none."""
    candidates = [audit_final / "manifest.json", out / label / "manifest.json"]
    candidates += sorted(out.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        try:
            return {k: float(v["seconds"]) for k, v in json.loads(path.read_text("utf-8"))["run"]["notebooks"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return {}


def _longest_first(jobs: list[dict[str, Any]], seconds: dict[str, float]) -> list[dict[str, Any]]:
    """Jobs in the order a pool of workers should take them: the largest diagnosis batches, then
    the notebooks that took longest last time; without a history, later notebooks first (they
    build on more: comparisons and trend tests), so the longest does not start last.

    >>> jobs = [{"name": n, "parameters": {}} for n in ("00_a", "01_b", "03_c")]
    >>> [j["name"] for j in _longest_first(jobs, {})]
    ['03_c', '01_b', '00_a']
    >>> [j["name"] for j in _longest_first(jobs, {"00_a": 9.0, "01_b": 2.0, "03_c": 5.0})]
    ['00_a', '03_c', '01_b']
    """
    position = {id(j): i for i, j in enumerate(jobs)}
    return sorted(jobs, key=lambda j: (-len(j["parameters"].get("units", [])), -seconds.get(j["name"], 0.0),
                                       -position[id(j)]))


def _group_pages(load_inputs, results: list[NotebookResult], folder: Path, year: int, period: str, cfg: RunConfig,
                 label: str) -> dict[str, list[dict[str, str]]]:
    """With unit diagnoses in the run: one digest page per leadership area (分管领域) and, in a
    yearly run, one page per region (its units, grades and its place in the regional comparison),
    each linking the diagnoses. ``load_inputs()`` gives the run's inputs (read only if needed)."""
    from .periods import Period
    from .site import write_area_pages
    from .summaries import area_digest, region_standing

    pages = {u["unit_id"]: str(Path(u["html"]).relative_to(folder)) for r in results for u in r.units if u.get("html")}
    out: dict[str, list[dict[str, str]]] = {"areas": [], "regions": []}
    if not pages:
        return out
    name = Period.parse(label).label(cfg.lang)
    inputs = load_inputs()
    for by, key in (("area", "areas"), ("region", "regions")):
        if by == "region" and period != "Y":
            continue
        digest = area_digest(inputs, year, period, by=by)  # every unit of the group, linked where diagnosed
        standing = region_standing(inputs, year, cfg.statistics) if by == "region" else None
        if len(digest):
            out[key] = write_area_pages(folder, digest, name, cfg.lang, pages, by=by, standing=standing)
    return out


def _finder(results: list[NotebookResult], units, folder: Path, cfg: RunConfig) -> dict[str, list]:
    """The unit finder of the period index (:func:`analysis.site.finder_data`): the report pages
    with the units their tables hold, the diagnosis pages, and each unit's label (``U017 名称``;
    in publish mode ``units`` is already pseudonymised and the label is the pseudonym alone)."""
    from .site import finder_data

    reports = [{"title": r.title, "html": str(Path(r.html_path).relative_to(folder)), "units": r.found_units}
               for r in results if r.html_path and r.found_units]
    diagnoses = {u["unit_id"]: str(Path(u["html"]).relative_to(folder))
                 for r in results for u in r.units if u.get("html") and u["status"] == "ok"}
    names = units.drop_duplicates("unit_id", keep="last").set_index("unit_id")[f"name_{cfg.lang}"]
    labels = {str(u): str(u) if cfg.publish or not isinstance(n, str) else f"{u} {n}" for u, n in names.items()}
    return finder_data(reports, labels, diagnoses)


def _workbook_sheets(r: NotebookResult) -> list[tuple]:
    """The tables a notebook gives the officials' workbook, ``(sheet, caption, DataFrame, file)``
    (:func:`analysis.site.write_workbook`; none from a diagnosis batch, which has a page per unit)."""
    import nbformat

    from . import site

    if not r.ipynb_path or not Path(r.ipynb_path).exists() or r.units:
        return []
    tables = site.read_tables(nbformat.read(r.ipynb_path, as_version=4))
    return [(f"{r.name[:2]} {caption}", caption, df, file)
            for _, caption, df, file in site.workbook_tables(tables, folder=f"tables/{r.name}")]


def _write_outputs(tables: list[tuple], folder: Path, lang: str, label: str, pdf: bool) -> None:
    """The officials' formats: every table of the run in one workbook (``results.xlsx``, already
    through the publish filter; a table too long for it is linked to its own XLSX under
    ``tables/``), and with ``pdf`` a PDF of every page beside it. ``tables``: the
    :func:`_workbook_sheets` of the run's notebooks, in their order."""
    from . import site

    if tables:
        site.write_workbook(tables, folder / "results.xlsx", lang=lang,
                            title=("政治生态分析研判结果 " if lang == "zh" else "Political ecology results ") + label)
    if pdf:
        for page in sorted(folder.rglob("*.html")):
            if page.name != "index.html":
                site.write_pdf(page, page.with_suffix(".pdf"))


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _relocate(r: NotebookResult, tmp: Path, final: Path, audit_tmp: Path, audit_final: Path) -> None:
    def move(p):
        if p is None:
            return None
        p = Path(p)
        for a, b in ((audit_tmp, audit_final), (tmp, final)):
            if p.is_relative_to(a):
                return b / p.relative_to(a)
        return p

    r.html_path, r.ipynb_path, r.json_path = move(r.html_path), move(r.ipynb_path), move(r.json_path)
    for u in r.units:
        u["html"] = move(u["html"])


def site_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """What the published year index may show of a manifest: in publish mode no link to an audit
    file (they are not in the published folder); the run's timings beside each report."""
    run = manifest.get("run", {})
    timing = run.get("notebooks", {})
    drop = ("ipynb", "json") if manifest.get("publish") else ()
    entries = [{k: v for k, v in n.items() if k not in drop} | timing.get(n["name"], {}) for n in manifest["notebooks"]]
    return manifest | {"notebooks": entries, "started": run.get("started", ""), "finished": run.get("finished", ""),
                       "summary": site_summary(manifest)}


def site_summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The line of the site index for one report set (published: no codes, no paths)."""
    from .periods import Period

    label = manifest.get("label") or str(manifest["year"])
    return {"label": Period.parse(label).label(manifest.get("lang", "zh")), "year": manifest["year"],
            "period": manifest.get("period", "Y"), "n_reports": len(manifest["notebooks"]),
            "n_failed": sum(not n["ok"] for n in manifest["notebooks"])}


def _manifest_entry(r: NotebookResult, year_dir: Path, audit_dir: Path) -> dict[str, Any]:
    def rel(p, base):
        return str(Path(p).relative_to(base)) if p else None

    entry = {"name": r.name, "notebook": r.notebook, "title": r.title, "ok": r.ok, "error": r.error,
             "cell": r.cell, "parameters": _recordable(r.parameters), "html": rel(r.html_path, year_dir),
             "ipynb": rel(r.ipynb_path, audit_dir), "json": rel(r.json_path, audit_dir)}
    if r.units:
        entry["units"] = [u | {"html": rel(u["html"], year_dir)} for u in r.units]
    return entry
