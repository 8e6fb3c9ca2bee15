"""The inputs stage (输入阶段): warehouse tables + run config → what every report reads.

One function, :func:`prepare_inputs`, turns one read of the warehouse and the run config into
the yearly panel, the composite index (with grades, attribution, early warnings, the quarterly
year-to-date index) and the uncertainty analysis. ``analysis run`` calls it once per run and
every notebook of the run reads the result (:func:`analysis.catalog.load_inputs`); a topic
calls it once per topic. Pure: DataFrames and config objects in, an :class:`Inputs` out.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .config import RunConfig
from .errors import ConfigError
from .frames import coded, decoded


@dataclass
class Inputs:
    """What every report of a run reads: the warehouse tables, the yearly panel, the index run."""

    framework: pd.DataFrame
    units: pd.DataFrame
    observations: pd.DataFrame
    problems: pd.DataFrame
    focal_units: pd.DataFrame
    provenance: pd.DataFrame
    values: pd.DataFrame
    index: Any  # analysis.scoring.build.IndexResult
    uncertainty: Any  # analysis.scoring.uncertainty.UncertaintyResult
    warehouse_hash: str
    data_as_of: str
    #: identifies the computation: warehouse content, effective config and software version
    run_id: str = ""
    publish: bool = False
    #: what disclosure control did to the inputs (publish mode), one sentence per step
    disclosure: list = field(default_factory=list)
    #: problem status changes and inspection rounds (rectification history)
    status_history: Any = None
    inspection_rounds: Any = None
    #: the index on a half-year or quarter axis (:class:`analysis.periods.PeriodIndex`) for a
    #: half-yearly or quarterly run, else None
    period_index: Any = None

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.values.year.unique()) if len(self.values) else []


def prepare_inputs(tables, config: RunConfig, *, uncertainty: bool = True, period_kind: str = "Y",
                   executor=None) -> Inputs:
    """Build the yearly panel, the index and the uncertainty run from one warehouse read.

    ``tables`` is an :class:`analysis.catalog.WarehouseTables`; ``config`` the run config
    (its ``scoring`` section is the effective index config). With ``uncertainty=False`` the
    Monte Carlo run is skipped (a topic that shows no rank intervals). ``period_kind`` ``"H"`` or
    ``"Q"`` adds the index on that period axis (:func:`analysis.periods.build_period_index`,
    reference pooled over all periods of the kind). ``executor`` (:func:`analysis.parallel.executor`,
    e.g. a Dask cluster) runs the Monte Carlo draws; the tables are the same either way.
    """
    from .panel import yearly_values
    from .scoring.build import build_index
    from .scoring.uncertainty import run_uncertainty

    if tables.observations.empty:
        raise ConfigError(f"数据仓库 {tables.path} 中没有观测数据,请先用 analysis ingest 导入 / the warehouse "
                          f"{tables.path} holds no observations: load data with `analysis ingest` first")
    index_config = config.index_config()
    # the observations' codes as categoricals while the index is built (integer grouping: 5 s
    # of a national run); the tables the notebooks receive keep their text columns
    obs = coded(tables.observations, ["unit_id", "period", "indicator"])
    values = decoded(yearly_values(obs, tables.framework, tables.units), like=tables.observations)
    index = build_index(values, tables.framework, tables.units, index_config, observations=obs)
    unc = run_uncertainty(values, tables.framework, tables.units, index_config, executor=executor) if uncertainty else None
    from . import __version__

    periods = None
    if period_kind != "Y":
        from .periods import build_period_index

        periods = build_period_index(tables.observations, tables.framework, tables.units, period_kind, index_config)
    stamp = json.dumps([tables.content_hash, config.to_dict()["scoring"], uncertainty, period_kind, __version__],
                       sort_keys=True, default=str)
    return Inputs(framework=tables.framework, units=tables.units, observations=tables.observations,
                  problems=tables.problems, focal_units=tables.focal_units, provenance=tables.provenance,
                  values=values, index=index, uncertainty=unc, warehouse_hash=tables.content_hash,
                  data_as_of=tables.data_as_of, run_id=hashlib.sha256(stamp.encode()).hexdigest()[:12],
                  period_index=periods, status_history=tables.status_history,
                  inspection_rounds=tables.inspection_rounds)


def check_year(inputs: Inputs, year: int, *, min_coverage: float = 0.5, allow_low_coverage: bool = False) -> str:
    """Refuse a report for a year without data, or below ``min_coverage``; return a warning text.

    Coverage is the share of (unit in force × scored leaf in force) cells with a yearly value.
    With ``allow_low_coverage`` a low coverage returns a bilingual warning that every page shows
    on its first screen instead of raising; a year without any scored unit always raises.
    """
    from .framework import for_year, leaves
    from .panel import units_for_year

    roster = units_for_year(inputs.units, year)
    scored = inputs.index.scores
    n_scored = scored[(scored.year == year) & (scored.level == 0)].unit_id.nunique() if len(scored) else 0
    if n_scored == 0:
        have = ", ".join(str(y) for y in inputs.years) or "无 / none"
        raise ConfigError(f"{year} 年没有可评价的数据(仓库中的年度:{have})/ no scored data for {year} "
                          f"(years in the warehouse: {have})")
    in_force = leaves(for_year(inputs.framework, year)).code
    got = inputs.values[(inputs.values.year == year) & inputs.values.value.notna()
                        & inputs.values.indicator.isin(in_force)]
    coverage = len(got) / max(1, len(roster) * len(in_force))
    if coverage >= min_coverage:
        return ""
    text = (f"{year} 年数据覆盖率仅 {coverage:.0%},低于 {min_coverage:.0%} 的门槛,结论须谨慎 / "
            f"data coverage in {year} is only {coverage:.0%}, below the {min_coverage:.0%} threshold: read with care")
    if not allow_low_coverage:
        raise ConfigError(text + "(如确需生成报告,请加 --allow-low-coverage / pass --allow-low-coverage to report anyway)")
    return text


def publishable(inputs: Inputs, key: bytes, k: int = 3, lang: str = "zh"):
    """The inputs of a publish-mode run: every identifier replaced at this one boundary.

    Unit codes and names, problem ids and small regions are replaced by keyed pseudonyms, free
    text is dropped and every message rebuilt from the pseudonyms
    (:func:`analysis.publish.publish_inputs`) *before* any report is made from the inputs, so no
    later step can reintroduce a real identifier. Returns ``(inputs, log)``; ``log.audit_mapping``
    (real → pseudonym) belongs in the audit folder only.
    """
    from dataclasses import fields, replace

    from .publish import publish_inputs

    frames = {f.name: getattr(inputs, f.name) for f in fields(inputs)
              if f.name not in ("warehouse_hash", "data_as_of", "run_id", "publish", "disclosure")}
    published, log = publish_inputs(frames, key=key, k=k, lang=lang)
    return replace(inputs, **published, publish=True, disclosure=log.sentences(lang)), log
