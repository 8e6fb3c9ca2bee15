"""The catalogue (数据目录): where every file of the project lives, and the reads of them.

The one module that knows the project's layout (as Kedro's data catalogue does): the run and
index configs, the framework, the lexicon, the pseudonym key, the warehouse, the reports and
the audit folder. Statistical modules never see a path: they receive what this module reads.

``ROOT`` is the project folder (the one holding ``data/``, ``notebooks/``, ``reports/``): the
package lives in ``<ROOT>/src/analysis`` (an editable install); ``ANALYSIS_ROOT`` overrides it.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .config import RunConfig
from .errors import ConfigError
from .frames import repeated_text
from .params import load_yaml

ROOT = Path(os.environ.get("ANALYSIS_ROOT") or Path(__file__).resolve().parents[2])
DATA = ROOT / "data"
RUN_CONFIG = DATA / "config" / "run.yaml"
INDEX_CONFIG = DATA / "config" / "index.yaml"
FRAMEWORK = DATA / "framework" / "framework.csv"
LEXICON = DATA / "lexicon"
TOPICS = DATA / "topics"
WAREHOUSE = DATA / "warehouse.duckdb"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
AUDIT = ROOT / "audit"
SECRETS = ROOT / "secrets"
INPUTS_FILE = "inputs.pickle"


def read_run_config(path: str | Path | None = None, **overrides: Any) -> RunConfig:
    """The effective run config: ``path`` (default ``data/config/run.yaml``) over the defaults.

    Relative paths in the file (``notebooks_dir``, ``scoring.config``) are resolved against the
    project root when the file lies in ``data/config``, else against the file's own folder; the
    index config it names is read and validated here, so a bad index config fails before any
    notebook runs. ``overrides`` (e.g. ``lang="en"``, ``publish=True`` from the command line)
    replace top-level keys.
    """
    path = Path(path) if path else RUN_CONFIG
    if not path.exists() and path != RUN_CONFIG:
        raise ConfigError(f"找不到运行配置 {path} / run config not found: {path}")
    raw = load_yaml(path) if path.exists() else {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 运行配置须为键值映射 / the run config must be a mapping")
    cfg = RunConfig.from_dict(raw | {k: v for k, v in overrides.items() if v is not None})
    base = ROOT if path.resolve().parent == RUN_CONFIG.parent.resolve() else path.resolve().parent
    scoring_path = (base / cfg.scoring_config).resolve() if cfg.scoring_config else INDEX_CONFIG
    index = read_index_config(scoring_path if scoring_path.exists() else None)
    return replace(cfg, notebooks_dir=str((base / cfg.notebooks_dir).resolve()),
                   scoring_config=str(scoring_path) if scoring_path.exists() else "",
                   scoring=index.to_dict(), config_path=str(path.resolve()) if path.exists() else "")


def read_index_config(path: str | Path | None = None):
    """An :class:`~analysis.scoring.config.IndexConfig` from a YAML file (``None``: the defaults).

    A run file may nest the index config under ``index:``.
    """
    from .scoring.config import IndexConfig

    if path is None:
        return IndexConfig().validate()
    path = Path(path)
    try:
        data = load_yaml(path)
    except OSError as exc:
        raise ConfigError(f"无法读取配置文件 {path}:{exc} / cannot read config file {path}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("index"), dict):
        data = data["index"]
    return IndexConfig.from_dict(data)


def read_framework(path: str | Path | None = None) -> pd.DataFrame:
    """The indicator framework file (default ``data/framework/framework.csv``), validated."""
    from .framework import load_framework

    return load_framework(path or FRAMEWORK)


def read_lexicon(folder: str | Path | None = None, stopwords: str | Path | None = None,
                 synonyms: str | Path | None = None):
    """The keyword lexicon (:class:`analysis.problems.Lexicon`): the stop-word list (one term a
    line, ``#`` comments) and the synonym table (CSV ``variant,canonical``), by default
    ``data/lexicon/stopwords.txt`` and ``synonyms.csv``. A missing file raises an error naming it."""
    from .problems import Lexicon

    folder = Path(folder) if folder else LEXICON
    sw_path = Path(stopwords) if stopwords else folder / "stopwords.txt"
    syn_path = Path(synonyms) if synonyms else folder / "synonyms.csv"
    for p in (sw_path, syn_path):
        if not p.exists():
            raise FileNotFoundError(f"找不到词表文件 {p} / lexicon file not found: {p}")
    words = [w.strip() for w in sw_path.read_text(encoding="utf-8").splitlines()]
    stop = frozenset(w for w in words if w and not w.startswith("#"))
    syn = pd.read_csv(syn_path, dtype=str, keep_default_na=False, comment="#")
    if list(syn.columns[:2]) != ["variant", "canonical"]:
        raise ValueError(f"同义词表须有列 variant,canonical / {syn_path} must have columns variant,canonical")
    return Lexicon(stop, {v.strip(): c.strip() for v, c in zip(syn.variant, syn.canonical) if v.strip() and c.strip()})


# --------------------------------------------------------------------------- the warehouse

@dataclass
class WarehouseTables:
    """One consistent read of the warehouse: every table a report needs, and its data version."""

    framework: pd.DataFrame
    units: pd.DataFrame
    observations: pd.DataFrame
    problems: pd.DataFrame
    focal_units: pd.DataFrame
    provenance: pd.DataFrame
    content_hash: str
    schema_version: int
    path: str = ""
    status_history: pd.DataFrame | None = None  # every status change of a problem (rectification history)
    inspection_rounds: pd.DataFrame | None = None

    @property
    def data_as_of(self) -> str:
        """The date of the latest load (the title blocks' "data as of")."""
        prov = self.provenance
        stamp = "loaded_at" if "loaded_at" in prov.columns else "time"
        if len(prov) and stamp in prov.columns:
            return str(pd.to_datetime(prov[stamp]).max().date())
        return ""


def read_warehouse(path: str | Path | None = None) -> WarehouseTables:
    """Read every table in one read-only session, so a report never mixes two data versions."""
    from .warehouse import Warehouse

    path = Path(path) if path else WAREHOUSE
    if not path.exists():
        raise ConfigError(f"找不到数据仓库 {path} / warehouse not found: {path}")
    with Warehouse(path, read_only=True) as wh:
        # codes repeat over millions of observation rows: they arrive as one string object per code
        return WarehouseTables(framework=wh.framework(), units=wh.units(), observations=wh.observations(),
                               problems=wh.problems(), focal_units=wh.focal_units(), provenance=wh.provenance(),
                               content_hash=wh.content_hash(), schema_version=wh.schema_version(),
                               path=str(path.resolve()), status_history=wh.status_history(),
                               inspection_rounds=wh.inspection_rounds())


# --------------------------------------------------------------------------- the shared inputs of a run

def save_inputs(inputs, folder: str | Path) -> Path:
    """Write a run's inputs (:class:`analysis.inputs.Inputs`) for its notebooks; returns the file.

    A pickle, because the index result carries its compiled model; it is written by the run
    that computed it, read only by that run's notebooks, and kept in the audit folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / INPUTS_FILE
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        _CompactPickler(fh).dump(inputs)
    tmp.replace(target)
    return target


def _expand_frame(frame, dtypes):
    """Undo :class:`_CompactPickler`: the categorical text columns back to their own dtype."""
    for column, dtype in dtypes.items():
        frame[column] = frame[column].astype(dtype)
    return frame


class _CompactPickler(pickle.Pickler):
    """Pickles every DataFrame with its repeated text columns as categoricals.

    A national panel repeats a few thousand unit codes and a few dozen indicator codes over
    millions of rows; as text each cell is its own string object (4 × slower to write and
    to read, and each notebook reads the inputs). The frames come back with their own dtypes
    and values (:func:`_expand_frame`), the strings of a column shared between its rows.
    """

    def __init__(self, fh):
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._compacted: set[int] = set()

    def reducer_override(self, obj):
        if type(obj) is not pd.DataFrame or id(obj) in self._compacted:
            return NotImplemented
        columns = repeated_text(obj)
        if not columns:
            return NotImplemented
        out = obj.copy(deep=False)
        dtypes = {c: obj[c].dtype for c in columns}
        for c, cat in columns.items():
            out[c] = cat
        self._compacted.add(id(out))
        return _expand_frame, (out, dtypes)


def load_inputs(path: str | Path):
    """Read the inputs a run wrote with :func:`save_inputs`."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"找不到本次运行的输入 {path} / run inputs not found: {path}")
    with open(path, "rb") as fh:
        return pickle.load(fh)


def audit_folder(out: str | Path, label: str) -> Path:
    """Where a publish-mode run keeps its audit files (executed notebooks, sidecars, parameters,
    manifest): ``audit/<label>`` beside the published ``reports/`` folder, never inside it."""
    out = Path(out).resolve()
    return (AUDIT if out == REPORTS.resolve() else out.parent / f"{out.name}-audit") / label
