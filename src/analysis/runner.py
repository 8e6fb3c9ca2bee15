"""The yearly run: parameterized notebooks through papermill, published as an HTML site.

``run_year`` checks every parameter set against its notebook *before* anything runs
(:mod:`analysis.params`), executes the notebooks with papermill's Python API in a
``ProcessPoolExecutor`` (processes, not threads: papermill's ``cwd`` is not thread-safe,
nteract/papermill#473, #578), converts each to one offline HTML file in the worker
(:mod:`analysis.site`), and writes ``reports/<year>/index.html``, ``manifest.json`` and
``reports/index.html``.

Unit diagnoses are executed in batches (one notebook per region, at most ``batch_size``
units) and split into one HTML per unit: the ~2.4 s a fresh kernel pays to import pandas,
seaborn and statsmodels is paid once per batch, not once per unit.

Failures are isolated: a failing notebook (or unit section) is marked failed in the index
with the cell and the error, the others publish, and ``RunSummary.ok`` is False.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ConfigError
from .params import check_parameters, declared_parameters, dump_yaml, load_yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = ROOT / "data" / "config" / "run.yaml"
KERNEL_NAME = "analysis"
#: packages whose versions go into the manifest
PACKAGES = ["analysis", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "mplfonts",
            "duckdb", "papermill", "nbconvert", "nbclient", "ipykernel", "jupyter_client", "openpyxl",
            "scikit-posthocs", "pymannkendall", "pingouin", "inequality", "giddy", "SALib"]

DEFAULTS: dict[str, Any] = {
    "year": None,
    "lang": "zh",
    "publish": False,
    "notebooks_dir": "notebooks",
    "notebooks": ["00_data_quality", "01_yearly_statistics", "02_region_comparison",
                  "03_trend_significance", "04_unit_diagnosis"],
    "titles": {},
    "batch_notebooks": ["04_unit_diagnosis"],
    "diagnosis": {"units": "all", "batch_by": "region", "batch_size": 20},
    "timeouts": {"start": 60, "cell": 600},
    "parameters": {},
    "report": {},
    "scoring": {},
}


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


@dataclass
class RunSummary:
    """Outcome of a yearly run. ``ok`` is False if any notebook or unit failed."""

    ok: bool
    index_path: Path
    manifest_path: Path
    failures: list[NotebookResult]
    results: list[NotebookResult]
    seconds: float


# --------------------------------------------------------------------------- config

def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


def load_run_config(path: str | Path | None = None) -> dict[str, Any]:
    """The effective run config: built-in defaults, overlaid by ``path`` (default ``data/config/run.yaml``).

    Relative paths in the file (``notebooks_dir``, ``scoring.config``) are resolved against the
    project root when the file lies in ``data/config``, else against the file's folder.
    """
    path = Path(path) if path else DEFAULT_CONFIG
    raw = load_yaml(path) if path.exists() else {}
    unknown = set(raw) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"{path}: 未知配置项 {sorted(unknown)} / unknown config keys {sorted(unknown)}")
    cfg = _merge(DEFAULTS, raw)
    base = ROOT if path.resolve().parent == DEFAULT_CONFIG.parent else path.resolve().parent
    cfg["notebooks_dir"] = str((base / cfg["notebooks_dir"]).resolve())
    if cfg["scoring"].get("config"):
        cfg["scoring"]["config"] = str((base / cfg["scoring"]["config"]).resolve())
    cfg["config_path"] = str(path.resolve()) if path.exists() else ""
    if cfg["lang"] not in ("zh", "en"):
        raise ConfigError(f"lang 须为 zh 或 en / lang must be zh or en, got {cfg['lang']!r}")
    return cfg


# --------------------------------------------------------------------------- notebook inputs

@dataclass
class Inputs:
    """What every notebook reads: warehouse tables, the yearly panel and the index run."""

    framework: Any
    units: Any
    observations: Any
    problems: Any
    focal_units: Any
    provenance: Any
    values: Any
    index: Any
    warehouse_hash: str
    data_as_of: str
    uncertainty: Any = None  # UncertaintyResult: rank intervals and grade probabilities per unit-year


CACHE_ENV = "ANALYSIS_CACHE_DIR"


def load_inputs(warehouse: str | Path, scoring_config: str | Path | None = None) -> Inputs:
    """Read the warehouse, build the yearly panel and run the composite index once.

    During ``analysis run`` the runner sets ``ANALYSIS_CACHE_DIR``: the first notebook computes
    and pickles the result (keyed by warehouse content hash, scoring config and package
    version, under a file lock), the others load it, so the ~5 s index run is paid once per
    run instead of once per notebook. Without the variable (plain papermill) nothing is cached.
    """
    import pickle

    from .warehouse import Warehouse

    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise ConfigError(f"找不到数据仓库 {warehouse} / warehouse not found: {warehouse}")
    scoring_config = Path(scoring_config) if scoring_config else None
    cfg_bytes = scoring_config.read_bytes() if scoring_config and scoring_config.exists() else b""
    with Warehouse(warehouse, read_only=True) as wh:
        wh_hash = wh.content_hash()
    cache_dir = os.environ.get(CACHE_ENV)
    if not cache_dir:
        return _compute_inputs(warehouse, scoring_config if cfg_bytes else None, wh_hash)
    import fcntl

    key = hashlib.sha256(wh_hash.encode() + cfg_bytes + __version__.encode()).hexdigest()[:16]
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"inputs-{key}.pickle"
    with open(folder / f"inputs-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            with open(target, "rb") as fh:
                return pickle.load(fh)
        inputs = _compute_inputs(warehouse, scoring_config if cfg_bytes else None, wh_hash)
        tmp = target.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(inputs, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(target)
    return inputs


def _compute_inputs(warehouse: Path, scoring_config: Path | None, wh_hash: str) -> Inputs:
    import pandas as pd

    from .panel import yearly_values
    from .scoring.build import build_index
    from .scoring.uncertainty import run_uncertainty
    from .warehouse import Warehouse

    with Warehouse(warehouse, read_only=True) as wh:
        fw, units, obs = wh.framework(), wh.units(), wh.observations()
        problems, focal, prov = wh.problems(), wh.focal_units(), wh.provenance()
    values = yearly_values(obs, fw, units)
    index = build_index(values, fw, units, str(scoring_config) if scoring_config else None, observations=obs)
    uncertainty = run_uncertainty(values, fw, units, str(scoring_config) if scoring_config else None)
    as_of = ""
    stamp = "loaded_at" if "loaded_at" in prov.columns else "time"
    if len(prov) and stamp in prov.columns:
        as_of = str(pd.to_datetime(prov[stamp]).max().date())
    return Inputs(fw, units, obs, problems, focal, prov, values, index, wh_hash, as_of, uncertainty)


def start_report(notebook: str, title_zh: str, title_en: str, *, year: int, lang: str, warehouse: str,
                 run_config: str = "", scoring_config: str = "", publish: bool = False):
    """The second cell of every notebook: theme, inputs, and the title block.

    Returns ``(report, inputs, run_cfg)``. With ``publish`` every table goes through
    :func:`analysis.publish.safe_table` and units are shown by pseudonym (``rp.label``). The title block shows the year, data as of, authors,
    partners and version from the run config, and the warehouse content hash (data version).
    """
    from . import plots
    from .report import Report

    cfg = load_run_config(run_config or None)
    plots.set_theme()
    rp = Report(lang=lang, notebook=notebook, publish=publish)
    data = load_inputs(warehouse, scoring_config or cfg["scoring"].get("config") or None)
    meta = cfg.get("report", {})
    rp.title(rp.t(title_zh, title_en), year=year, data_as_of=data.data_as_of,
             authors=meta.get("authors", []), partners=meta.get("partners", []),
             version=str(meta.get("version", "")),
             extra={rp.t("数据版本", "Data version"): data.warehouse_hash[:12],
                    rp.t("软件版本", "Software"): f"analysis {__version__}"})
    return rp, data, cfg


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
                     check: bool = True) -> NotebookResult:
    """Execute one notebook with papermill and export it to HTML; never raises for a notebook error.

    Writes ``out_dir/<name>.ipynb`` (executed, for audit), ``<name>.html`` (or, with
    ``split_units``, ``units/<unit_id>.html`` per unit section), ``<name>.json`` (key numbers),
    ``params/<name>.yaml`` and ``tables/<name>/*.csv|xlsx``. One retry when the kernel fails
    to start (the ZMQ port race, nteract/papermill#511).
    """
    import nbformat
    import papermill

    from . import site

    notebook, out_dir = Path(notebook), Path(out_dir)
    lang = parameters.get("lang", lang)  # the HTML follows the report's own language parameter
    if check:
        check_parameters(notebook, parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "params").mkdir(exist_ok=True)
    dump_yaml(parameters, out_dir / "params" / f"{name}.yaml")
    result = NotebookResult(name=name, notebook=notebook.name, title=title or name, parameters=parameters)
    ipynb = out_dir / f"{name}.ipynb"
    start = time.perf_counter()
    for attempt in (1, 2):
        result.attempts = attempt
        try:
            papermill.execute_notebook(str(notebook), str(ipynb), parameters=parameters, kernel_name=kernel_name,
                                       progress_bar=False, log_output=False, start_timeout=start_timeout,
                                       execution_timeout=cell_timeout, cwd=str(notebook.parent),
                                       # save at the end (and on failure), not after every cell:
                                       # large outputs were re-serialised once per cell
                                       request_save_on_cell_execute=False)
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
    result.seconds = time.perf_counter() - start
    if not ipynb.exists():
        return result
    result.ipynb_path = ipynb
    nb = nbformat.read(ipynb, as_version=4)
    if not result.ok and result.cell is None:
        result.cell = _failed_cell(nb)
    if split_units:
        _export_units(nb, result, out_dir, lang, show_code, footer)
    else:
        result.html_path = site.export_html(nb, out_dir / f"{name}.html", lang=lang, show_code=show_code,
                                              title=title, footer=footer)
    _write_tables(site.read_tables(nb), out_dir / "tables" / name)
    keys = site.read_keys(nb)
    sidecar = {"name": name, "ok": result.ok, "error": result.error, "cell": result.cell,
               "parameters": parameters, "keys": keys}
    if result.units:
        sidecar["units_status"] = [{k: u[k] for k in ("unit_id", "status", "error")} for u in result.units]
    result.json_path = out_dir / f"{name}.json"
    result.json_path.write_text(json.dumps(sidecar, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    result.seconds = time.perf_counter() - start
    return result


def _export_units(nb, result: NotebookResult, out_dir: Path, lang: str, show_code: bool, footer: str) -> None:
    from . import site

    units_dir = out_dir / "units"
    seen = set()
    for unit in site.split_units(nb):
        path = site.export_html(unit["nb"], units_dir / f"{unit['page']}.html", lang=lang,
                                  show_code=show_code, title=unit["label"], footer=footer)
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


def _write_tables(tables: list[dict[str, Any]], folder: Path) -> None:
    for table in tables:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{table['name']}.csv").write_bytes(table["csv"])
        (folder / f"{table['name']}.xlsx").write_bytes(table["xlsx"])


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


def _execute_job(job: dict[str, Any]) -> NotebookResult:
    """Worker entry point (top level so it pickles); kernels inherit the cache directory."""
    os.environ[CACHE_ENV] = str(Path(job["out_dir"]) / ".cache")
    with kernel_log(job["out_dir"], job["name"]):
        try:
            return execute_notebook(**job)
        except Exception as exc:  # noqa: BLE001 - a broken job must not take the pool down
            return NotebookResult(name=job["name"], notebook=Path(job["notebook"]).name,
                                  title=job.get("title") or job["name"], ok=False,
                                  error=f"{type(exc).__name__}: {exc}", parameters=job["parameters"])


# --------------------------------------------------------------------------- the yearly run

def _warehouse_info(path: Path) -> tuple[dict[str, Any], Any]:
    from .framework import content_hash
    from .warehouse import Warehouse

    if not path.exists():
        raise ConfigError(f"找不到数据仓库 {path} / warehouse not found: {path}")
    with Warehouse(path, read_only=True) as wh:
        info = {"path": str(path), "content_hash": wh.content_hash(), "schema_version": wh.schema_version()}
        fw = wh.framework()
        units = wh.units()
        focal = wh.focal_units()
    info["framework_hash"] = content_hash(fw)
    return info, (units, focal)


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


def diagnosis_batches(units, focal, year: int, cfg: dict[str, Any], only_units: list[str] | None) -> list[tuple[str, list[str]]]:
    """Unit batches for the diagnosis notebook: whole regions (``batch_by``) packed up to ``batch_size`` units.

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
    elif cfg["diagnosis"].get("units", "all") == "focal":
        ids = set(focal.loc[focal.year == year, "unit_id"].astype(str))
        table = table[table.unit_id.astype(str).isin(ids)]
    by = cfg["diagnosis"].get("batch_by", "region")
    size = max(1, int(cfg["diagnosis"].get("batch_size", 20)))
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


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip() if out.returncode == 0 else ""
        if commit:
            dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True,
                                   text=True, timeout=5).stdout.strip()
            return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return ""


def _versions() -> dict[str, str]:
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


def run_year(year: int, warehouse: Path, config: Path | None = None, only: list[str] | None = None,
             units: list[str] | None = None, jobs: int | None = None, lang: str = "zh",
             out: Path = Path("reports"), show_code: bool = False, publish: bool = False) -> RunSummary:
    """Run the yearly job: every configured notebook for ``year`` into ``out/<year>/``.

    Raises :class:`ConfigError` (before anything runs) for an invalid config or parameter
    set; notebook failures do not raise, they are in ``RunSummary.failures``.
    """
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    cfg = load_run_config(config)
    warehouse = Path(warehouse).resolve()
    wh_info, (unit_table, focal) = _warehouse_info(warehouse)
    nb_dir = Path(cfg["notebooks_dir"])
    year_dir = Path(out).resolve() / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)
    cache = year_dir / ".cache"
    shutil.rmtree(cache, ignore_errors=True)  # inputs are shared within one run only, never across runs
    common = {"year": int(year), "warehouse": str(warehouse), "run_config": cfg["config_path"], "lang": lang,
              "publish": bool(publish or cfg["publish"]), "scoring_config": cfg["scoring"].get("config", "")}
    footer = (f"analysis {__version__} · {year} · " + ("生成于 " if lang == "zh" else "generated ")
              + started.strftime("%Y-%m-%d %H:%M UTC"))
    timeouts = cfg["timeouts"]
    jobs_spec: list[dict[str, Any]] = []
    for name in _select(cfg["notebooks"], only):
        path = nb_dir / f"{name}.ipynb"
        if not path.exists():
            raise ConfigError(f"找不到笔记本 {path} / notebook not found: {path}")
        declared = declared_parameters(path)
        overrides = cfg["parameters"].get(name, {}) or {}
        base = {k: v for k, v in common.items() if k in declared} | overrides
        title = (cfg["titles"].get(name, {}) or {}).get(lang, name)
        spec = dict(notebook=path, out_dir=year_dir, lang=lang, show_code=show_code, footer=footer,
                    start_timeout=int(timeouts["start"]), cell_timeout=int(timeouts["cell"]))
        if name in cfg["batch_notebooks"]:
            for key, ids in diagnosis_batches(unit_table, focal, int(year), cfg, units):
                params = base | {"units": ids}
                check_parameters(path, params, declared=declared)
                jobs_spec.append(spec | dict(parameters=params, name=f"{name}_{key}", split_units=True,
                                             title=f"{title} · {key}"))
        else:
            check_parameters(path, base, declared=declared)
            jobs_spec.append(spec | dict(parameters=base, name=name, title=title))
    # every parameter set is valid: now run, biggest batches first so the pool drains evenly
    jobs_spec.sort(key=lambda j: -len(j["parameters"].get("units", [])))
    workers = max(1, min(jobs or os.cpu_count() or 1, len(jobs_spec) or 1))
    results: list[NotebookResult] = []
    with _progress(len(jobs_spec)) as bar, \
            ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_execute_job, {**j, "check": False}) for j in jobs_spec]
        for fut in as_completed(futures):
            results.append(fut.result())
            bar.update(1)
    order = {j["name"]: i for i, j in enumerate(sorted(jobs_spec, key=lambda j: j["name"]))}
    results.sort(key=lambda r: order[r.name])
    shutil.rmtree(cache, ignore_errors=True)
    finished = datetime.now(timezone.utc)
    manifest = {
        "year": int(year), "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - t0, 2),
        "jobs": workers, "lang": lang, "show_code": show_code, "publish": common["publish"],
        "only": only, "units": units, "analysis_version": __version__, "git_commit": _git_commit(),
        "warehouse": wh_info, "framework_version": wh_info["framework_hash"],
        "effective_config": cfg, "packages": _versions(), "kernel": KERNEL_NAME,
        "notebooks": [_manifest_entry(r, year_dir) for r in results],
    }
    manifest_path = year_dir / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    from .site import write_site_index, write_year_index

    index = write_year_index(year_dir, manifest, lang=lang)
    write_site_index(Path(out).resolve(), lang=lang)
    failures = [r for r in results if not r.ok]
    return RunSummary(ok=not failures, index_path=index, manifest_path=manifest_path, failures=failures,
                      results=results, seconds=time.perf_counter() - t0)


def _manifest_entry(r: NotebookResult, year_dir: Path) -> dict[str, Any]:
    def rel(p):
        return str(Path(p).relative_to(year_dir)) if p else None

    entry = {"name": r.name, "notebook": r.notebook, "title": r.title, "ok": r.ok, "error": r.error,
             "cell": r.cell, "seconds": round(r.seconds, 2), "attempts": r.attempts, "parameters": r.parameters,
             "html": rel(r.html_path), "ipynb": rel(r.ipynb_path), "json": rel(r.json_path)}
    if r.units:
        entry["units"] = [u | {"html": rel(u["html"])} for u in r.units]
    return entry


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.runner --year 2024 --warehouse data/warehouse.duckdb`` (the CLI calls run_year)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m analysis.runner", description=main.__doc__)
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--config", type=Path)
    ap.add_argument("--only", help="01,03")
    ap.add_argument("--units", help="U001,U002")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--out", type=Path, default=Path("reports"))
    ap.add_argument("--show-code", action="store_true")
    ap.add_argument("--publish", action="store_true")
    a = ap.parse_args(argv)
    try:
        summary = run_year(a.year, a.warehouse, a.config, a.only.split(",") if a.only else None,
                           a.units.split(",") if a.units else None, a.jobs, a.lang, a.out, a.show_code, a.publish)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    for f in summary.failures:
        print(f"失败 / failed: {f.name} In [{f.cell}] {f.error}", file=sys.stderr)
    print(f"{summary.index_path} ({summary.seconds:.1f} s)")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
