"""The run configuration of the composite index (综合指数运行配置).

One YAML file names every modelling choice; :func:`load_config` / :meth:`IndexConfig.from_dict`
validate it completely before anything runs and raise :class:`~analysis.errors.ConfigError`
(Chinese first, then English) naming the key and the reason. The *effective* config (all
defaults filled in) is returned with every result as ``IndexResult.config`` and
``IndexConfig.to_dict()``, so a report can print it and a run can be repeated from it.

The config is plain data: building the index twice from the same values, framework and config
gives the same result (no state outside the config), which is what lets the uncertainty
analysis re-run a pooled normalisation inside every Monte Carlo draw.

Sections and keys (defaults in brackets; see ``data/config/index.yaml``):

- ``missing``: ``method`` [none] | region_mean | region_median | locf; ``coverage`` [0.6667]
  minimum share of the leaves in force that a unit must report in a year to be scored.
- ``outliers``: ``method`` [none] | auto (COINr: winsorise, then log if still failing) |
  winsorise | log; ``skew`` [2.0], ``kurtosis`` [3.5], ``winmax`` [5]; ``leaves`` [all]:
  leaves to check (empty = all scored leaves).
- ``normalisation``: ``method`` [minmax] | minmax_shifted | zscore | rank | percentile |
  distance_to_target; ``reference`` [pooled] | per_year | goalposts; ``scale`` [100];
  ``shift`` [0.0001], ``shift_mode`` [range] | add; ``z_center`` [0], ``z_spread`` [1];
  ``goalposts`` {leaf: [lo, hi]} (raw units; default: the framework's valid_min/valid_max);
  ``targets`` {leaf: value} (for distance_to_target; target-direction leaves use the framework's).
- ``weights``: ``method`` [expert] | equal | ahp | entropy | critic | pca; ``scope`` [flat] |
  siblings; ``combine`` [null] | multiplicative | linear; ``alpha`` [0.5]; ``shift`` [0.0]
  (entropy); ``matrices`` {parent: matrix or list of matrices} (AHP); ``max_cr`` [0.1].
- ``aggregation``: ``method`` [arithmetic] | geometric | mpi | topsis for every level;
  ``levels`` {level of the parent node: method}; ``min_share`` [0.5]; ``floor`` [0.01]
  (geometric zero floor, in output units).
- ``grades``: ``method`` [quantile] | absolute; ``reference`` [pooled] | per_year (quantiles);
  ``quantiles`` [{green: 0.75, blue: 0.5, yellow: 0.25}] (lower bounds as quantiles of the root
  score); ``cutoffs`` [{green: 85, blue: 70, yellow: 60}] (absolute lower bounds);
  ``red_lines`` [true] (一票否决 caps the grade at red).
- ``profile``: ``n`` [3] strongest and weakest leaves listed per unit and year.
- ``warning``: ``robust_z`` [3.5], ``min_history`` [4], ``thresholds`` {leaf: {above: v} or {below: v}}.
- ``coherence``, ``uncertainty``: passed through unvalidated here; validated by
  :mod:`.coherence` and :mod:`.uncertainty`.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields

from typing import Any

from ..errors import ConfigError
from .aggregate import METHODS as AGG_METHODS
from .normalise import BOUNDED_METHODS, METHODS as NORM_METHODS, REFERENCES

MISSING_METHODS = ("none", "region_mean", "region_median", "locf")
OUTLIER_METHODS = ("none", "auto", "winsorise", "log")
WEIGHT_METHODS = ("expert", "equal", "ahp", "entropy", "critic", "pca")
GRADES = ("green", "blue", "yellow", "red")


def _fail(key: str, zh: str, en: str):
    raise ConfigError(f"配置项 {key}:{zh} / config key {key}: {en}")


def _choice(key, value, allowed):
    if value not in allowed:
        _fail(key, f"须为 {list(allowed)} 之一,现为 {value!r}", f"must be one of {list(allowed)}, got {value!r}")


def _number(key, value, lo=None, hi=None, *, lo_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(key, f"须为数值,现为 {value!r}", f"must be a number, got {value!r}")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        _fail(key, f"须{'大于' if lo_open else '不小于'} {lo},现为 {value}", f"must be {'>' if lo_open else '>='} {lo}, got {value}")
    if hi is not None and value > hi:
        _fail(key, f"须不大于 {hi},现为 {value}", f"must be <= {hi}, got {value}")


@dataclass(frozen=True)
class MissingConfig:
    method: str = "none"
    coverage: float = 2 / 3

    def validate(self):
        _choice("missing.method", self.method, MISSING_METHODS)
        _number("missing.coverage", self.coverage, 0.0, 1.0)


@dataclass(frozen=True)
class OutlierConfig:
    method: str = "none"
    skew: float = 2.0
    kurtosis: float = 3.5
    winmax: int = 5
    leaves: tuple = ()

    def validate(self):
        _choice("outliers.method", self.method, OUTLIER_METHODS)
        _number("outliers.skew", self.skew, 0.0, lo_open=True)
        _number("outliers.kurtosis", self.kurtosis)
        _number("outliers.winmax", self.winmax, 0)


@dataclass(frozen=True)
class NormalisationConfig:
    method: str = "minmax"
    reference: str = "pooled"
    scale: float = 100.0
    shift: float = 1e-4
    shift_mode: str = "range"
    z_center: float = 0.0
    z_spread: float = 1.0
    goalposts: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)

    def validate(self):
        _choice("normalisation.method", self.method, NORM_METHODS)
        _choice("normalisation.reference", self.reference, REFERENCES)
        _choice("normalisation.shift_mode", self.shift_mode, ("range", "add"))
        _number("normalisation.scale", self.scale, 0.0, lo_open=True)
        _number("normalisation.shift", self.shift, 0.0, 1.0)
        _number("normalisation.z_spread", self.z_spread, 0.0, lo_open=True)
        _number("normalisation.z_center", self.z_center)
        if self.reference == "goalposts" and self.method not in BOUNDED_METHODS:
            _fail("normalisation.reference", f"goalposts 只能与 {list(BOUNDED_METHODS)} 合用",
                  f"goalposts work only with {list(BOUNDED_METHODS)}")
        for leaf, gp in self.goalposts.items():
            if not (isinstance(gp, (list, tuple)) and len(gp) == 2 and all(isinstance(v, (int, float)) for v in gp)
                    and gp[0] < gp[1]):
                _fail(f"normalisation.goalposts.{leaf}", f"须为 [下限, 上限] 且下限小于上限,现为 {gp!r}",
                      f"must be [lo, hi] with lo < hi, got {gp!r}")
        for leaf, t in self.targets.items():
            _number(f"normalisation.targets.{leaf}", t)


@dataclass(frozen=True)
class WeightConfig:
    method: str = "expert"
    scope: str = "flat"
    combine: str | None = None
    alpha: float = 0.5
    shift: float = 0.0
    matrices: dict = field(default_factory=dict)
    max_cr: float = 0.1

    def validate(self):
        _choice("weights.method", self.method, WEIGHT_METHODS)
        _choice("weights.scope", self.scope, ("flat", "siblings"))
        _choice("weights.combine", self.combine, (None, "multiplicative", "linear"))
        _number("weights.alpha", self.alpha, 0.0, 1.0)
        _number("weights.shift", self.shift, 0.0)
        _number("weights.max_cr", self.max_cr, 0.0, lo_open=True)
        if self.method == "ahp" and not self.matrices:
            _fail("weights.matrices", "AHP 赋权需要至少一个判断矩阵", "AHP weighting needs at least one pairwise matrix")
        if self.combine and self.method in ("expert", "equal", "ahp"):
            _fail("weights.combine", "组合赋权需要客观赋权方法(entropy/critic/pca)",
                  "combining needs an objective method (entropy, critic or pca)")


@dataclass(frozen=True)
class AggregationConfig:
    method: str = "arithmetic"
    levels: dict = field(default_factory=dict)
    min_share: float = 0.5
    floor: float = 0.01

    def validate(self):
        _choice("aggregation.method", self.method, AGG_METHODS)
        for lvl, m in self.levels.items():
            if not isinstance(lvl, int) or lvl < 0:
                _fail("aggregation.levels", f"层级须为非负整数,现为 {lvl!r}", f"levels must be non-negative integers, got {lvl!r}")
            _choice(f"aggregation.levels.{lvl}", m, AGG_METHODS)
        _number("aggregation.min_share", self.min_share, 0.0, 1.0)
        _number("aggregation.floor", self.floor, 0.0, lo_open=True)

    def method_for(self, level: int) -> str:
        return self.levels.get(level, self.method)

    def methods(self) -> set[str]:
        return {self.method, *self.levels.values()}


@dataclass(frozen=True)
class GradeConfig:
    method: str = "quantile"
    reference: str = "pooled"
    quantiles: dict = field(default_factory=lambda: {"green": 0.75, "blue": 0.5, "yellow": 0.25})
    cutoffs: dict = field(default_factory=lambda: {"green": 85.0, "blue": 70.0, "yellow": 60.0})
    red_lines: bool = True

    def validate(self):
        _choice("grades.method", self.method, ("quantile", "absolute"))
        _choice("grades.reference", self.reference, ("pooled", "per_year"))
        for name, d, lo, hi in (("quantiles", self.quantiles, 0.0, 1.0), ("cutoffs", self.cutoffs, None, None)):
            if set(d) != {"green", "blue", "yellow"}:
                _fail(f"grades.{name}", f"须给出 green、blue、yellow 三个下限,现为 {sorted(d)}",
                      f"must give the lower bounds of green, blue and yellow, got {sorted(d)}")
            for k, v in d.items():
                _number(f"grades.{name}.{k}", v, lo, hi)
            if not d["green"] > d["blue"] > d["yellow"]:
                _fail(f"grades.{name}", "须满足 green > blue > yellow", "must satisfy green > blue > yellow")
        if not isinstance(self.red_lines, bool):
            _fail("grades.red_lines", "须为 true 或 false", "must be true or false")


@dataclass(frozen=True)
class ProfileConfig:
    n: int = 3

    def validate(self):
        _number("profile.n", self.n, 1)


@dataclass(frozen=True)
class WarningConfig:
    robust_z: float = 3.5
    min_history: int = 4
    thresholds: dict = field(default_factory=dict)

    def validate(self):
        _number("warning.robust_z", self.robust_z, 0.0, lo_open=True)
        _number("warning.min_history", self.min_history, 2)
        for leaf, rule in self.thresholds.items():
            if not isinstance(rule, dict) or not rule or set(rule) - {"above", "below"}:
                _fail(f"warning.thresholds.{leaf}", "须为 {above: 数值} 或 {below: 数值}",
                      "must be {above: value} and/or {below: value}")
            for k, v in rule.items():
                _number(f"warning.thresholds.{leaf}.{k}", v)


_SECTIONS = {
    "missing": MissingConfig, "outliers": OutlierConfig, "normalisation": NormalisationConfig,
    "weights": WeightConfig, "aggregation": AggregationConfig, "grades": GradeConfig,
    "profile": ProfileConfig, "warning": WarningConfig,
}

_PASSTHROUGH = ("coherence", "uncertainty")


@dataclass(frozen=True)
class IndexConfig:
    """Every choice of one index run; build it with :meth:`from_dict` or :func:`load_config`."""

    missing: MissingConfig = field(default_factory=MissingConfig)
    outliers: OutlierConfig = field(default_factory=OutlierConfig)
    normalisation: NormalisationConfig = field(default_factory=NormalisationConfig)
    weights: WeightConfig = field(default_factory=WeightConfig)
    aggregation: AggregationConfig = field(default_factory=AggregationConfig)
    grades: GradeConfig = field(default_factory=GradeConfig)
    profile: ProfileConfig = field(default_factory=ProfileConfig)
    warning: WarningConfig = field(default_factory=WarningConfig)
    # validated by their own modules (coherence.py, uncertainty.py); kept here so that one file
    # declares the nominal build and the choices varied around it
    coherence: dict = field(default_factory=dict)
    uncertainty: dict = field(default_factory=dict)

    def validate(self) -> "IndexConfig":
        for name in _SECTIONS:
            getattr(self, name).validate()
        if self.normalisation.method in ("zscore",) and self.normalisation.z_center - 4 * self.normalisation.z_spread < 0:
            bad = {"geometric"} & self.aggregation.methods()
            if bad:
                _fail("aggregation.method", "几何平均需要非负的标准化值;z 分数可为负,请改用 minmax 或设 z_center: 100, z_spread: 10",
                      "geometric aggregation needs non-negative normalised values; z-scores can be negative: use "
                      "minmax, or z_center: 100 and z_spread: 10")
        if self.normalisation.reference == "goalposts" and self.outliers.method != "none":
            _fail("outliers.method", "固定阈值(goalposts)已截断极端值,不能同时做异常值处理",
                  "fixed goalposts already clip extreme values; outlier treatment cannot be combined with them")
        return self

    @classmethod
    def from_dict(cls, data: dict | None) -> "IndexConfig":
        """Validated config from a (YAML-loaded) mapping; unknown keys are refused, not ignored."""
        data = copy.deepcopy(data or {})
        if not isinstance(data, dict):
            raise ConfigError("配置须为键值映射 / the config must be a mapping")
        unknown = set(data) - set(_SECTIONS) - set(_PASSTHROUGH)
        if unknown:
            _fail(", ".join(sorted(unknown)), f"未知配置节,可用的有 {sorted(_SECTIONS)}",
                  f"unknown section(s); known: {sorted(_SECTIONS)}")
        parts = {}
        for name, klass in _SECTIONS.items():
            sec = data.get(name) or {}
            if not isinstance(sec, dict):
                _fail(name, "须为键值映射", "must be a mapping")
            known = {f.name for f in fields(klass)}
            extra = set(sec) - known
            if extra:
                _fail(f"{name}.{sorted(extra)[0]}", f"未知配置项,可用的有 {sorted(known)}",
                      f"unknown key; known: {sorted(known)}")
            if name == "aggregation" and "levels" in sec:
                sec["levels"] = {int(k) if str(k).isdigit() else k: v for k, v in (sec["levels"] or {}).items()}
            if name == "outliers" and "leaves" in sec:
                sec["leaves"] = tuple(sec["leaves"] or ())
            parts[name] = klass(**sec)
        for name in _PASSTHROUGH:
            sec = data.get(name) or {}
            if not isinstance(sec, dict):
                _fail(name, "须为键值映射", "must be a mapping")
            parts[name] = sec
        return cls(**parts).validate()

    def to_dict(self) -> dict[str, Any]:
        """The effective config (every default filled in), YAML-serialisable."""
        out = asdict(self)
        out["outliers"]["leaves"] = list(out["outliers"]["leaves"])
        return out

    def replace(self, **sections: dict) -> "IndexConfig":
        """A copy with some keys changed, e.g. ``cfg.replace(normalisation={'method': 'zscore'})``."""
        data = self.to_dict()
        for name, changes in sections.items():
            data.setdefault(name, {}).update(changes)
        return IndexConfig.from_dict(data)


def load_config(source: dict | IndexConfig | None = None) -> IndexConfig:
    """An :class:`IndexConfig` from a mapping, an existing config, or the defaults.

    Files are read by the catalogue (:func:`analysis.catalog.read_index_config`), never here:
    a path is refused with a message saying so.
    """
    if source is None:
        return IndexConfig().validate()
    if isinstance(source, IndexConfig):
        return source.validate()
    if isinstance(source, dict):
        return IndexConfig.from_dict(source)
    raise TypeError(f"指数配置须为 IndexConfig 或映射;文件请用 analysis.catalog.read_index_config 读取 / the index config "
                    f"must be an IndexConfig or a mapping; read files with analysis.catalog.read_index_config "
                    f"(got {type(source).__name__})")
