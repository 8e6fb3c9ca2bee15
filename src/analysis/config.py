"""The run config as typed data (运行配置).

Every modelling choice a report makes lives here and travels, validated, into every notebook
and every analysis function: notebooks never read YAML keys with their own defaults.

``StatsConfig`` is the statistics section (``statistics:`` in ``data/config/run.yaml``):

- ``alpha`` [0.05] significance level of every test in a report;
- ``fdr_method`` [fdr_bh]: p-value adjustment (:data:`analysis.multitest.METHODS`);
- ``fdr_family`` [node]: which tests form one family for the adjustment of unit trends:
  ``node`` (one family per indicator node across units), ``unit`` (per unit across nodes),
  ``all`` (every unit × node series together);
- ``posthoc`` [auto]: pairwise comparisons after a group test: ``auto`` (Tukey after ANOVA,
  Games–Howell after Welch, Dunn after Kruskal–Wallis, following the headline test),
  ``tukey``, ``games_howell`` or ``dunn``;
- ``min_group_size`` [3]: groups (regions, types) with fewer units are left out of group tests;
- ``mk_variant`` [original]: Mann–Kendall variant of the unit trend tests;
- ``unit_trend_test`` [auto]: unit trend test of the trend report: ``auto`` (moderated
  trend t-test below 10 years, the rank test from then on), ``mk`` (always the rank test:
  seasonal Mann–Kendall on quarterly values, else ``mk_variant``) or ``moderated``;
- ``panel_se`` [linearmodels]: small-sample convention of the cluster-robust SE of pooled
  (region, type) panel trends: ``linearmodels`` (= plm ``HC1``), ``HC0``, ``HC1`` or ``sss``
  (Stata ``xtreg, fe vce(cluster)``, G − 1 df).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import ConfigError
from .multitest import METHODS as ADJUST_METHODS

FDR_FAMILIES = ("node", "unit", "all")
POSTHOC_METHODS = ("auto", "tukey", "games_howell", "dunn")
UNIT_TREND_TESTS = ("auto", "mk", "moderated")


def _fail(key: str, zh: str, en: str):
    raise ConfigError(f"配置项 {key}:{zh} / config key {key}: {en}")


def _choice(key: str, value: Any, allowed) -> None:
    if value not in allowed:
        _fail(key, f"须为 {list(allowed)} 之一,现为 {value!r}", f"must be one of {list(allowed)}, got {value!r}")


def _known(section: str, data: dict, cls) -> None:
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        _fail(section, f"未知配置项 {sorted(unknown)}", f"unknown keys {sorted(unknown)}")


@dataclass(frozen=True)
class StatsConfig:
    """Statistics section of the run config; see the module docstring for every key."""

    alpha: float = 0.05
    fdr_method: str = "fdr_bh"
    fdr_family: str = "node"
    posthoc: str = "auto"
    min_group_size: int = 3
    mk_variant: str = "original"
    unit_trend_test: str = "auto"
    panel_se: str = "linearmodels"

    def __post_init__(self) -> None:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0 < self.alpha < 1:
            _fail("statistics.alpha", f"须在 0 与 1 之间,现为 {self.alpha!r}", f"must lie in (0, 1), got {self.alpha!r}")
        _choice("statistics.fdr_method", self.fdr_method, ADJUST_METHODS)
        _choice("statistics.fdr_family", self.fdr_family, FDR_FAMILIES)
        _choice("statistics.posthoc", self.posthoc, POSTHOC_METHODS)
        if isinstance(self.min_group_size, bool) or not isinstance(self.min_group_size, int) or self.min_group_size < 2:
            _fail("statistics.min_group_size", f"须为不小于 2 的整数,现为 {self.min_group_size!r}",
                  f"must be an integer >= 2, got {self.min_group_size!r}")
        from .trends.mk import METHODS as MK_METHODS

        from .trends.regression import PANEL_SE

        _choice("statistics.mk_variant", self.mk_variant, MK_METHODS)
        _choice("statistics.unit_trend_test", self.unit_trend_test, UNIT_TREND_TESTS)
        _choice("statistics.panel_se", self.panel_se, PANEL_SE)

    def posthoc_after(self, headline: str | None) -> str:
        """The pairwise method to report: the configured one, or with ``auto`` the one that
        matches the headline group test (ANOVA → Tukey, Welch → Games–Howell, Kruskal–Wallis → Dunn).

        >>> StatsConfig().posthoc_after("welch"), StatsConfig(posthoc="dunn").posthoc_after("anova")
        ('games_howell', 'dunn')
        """
        if self.posthoc != "auto":
            return self.posthoc
        return {"anova": "tukey", "welch": "games_howell"}.get(headline or "", "dunn")

    @classmethod
    def from_dict(cls, data: dict | None) -> "StatsConfig":
        """Validate a mapping (unknown key = error) into a config.

        >>> StatsConfig.from_dict({"alpha": 0.1, "fdr_method": "holm"}).fdr_method
        'holm'
        """
        data = dict(data or {})
        _known("statistics", data, cls)
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DiagnosisConfig:
    """``diagnosis:`` which units get a diagnosis and how they are batched into notebooks."""

    units: str = "auto"  # all | focal | auto (all up to ``max_all`` units, the focal units beyond)
    batch_by: str = "region"
    batch_size: int = 20
    max_all: int = 500  # with ``auto``: a study of more units (a province, the country) diagnoses its focal units

    def __post_init__(self) -> None:
        _choice("diagnosis.units", self.units, ("all", "focal", "auto"))
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            _fail("diagnosis.batch_size", f"须为正整数,现为 {self.batch_size!r}", f"must be a positive integer, got {self.batch_size!r}")


@dataclass(frozen=True)
class ReportMeta:
    """``report:`` what the title block of every report says."""

    authors: tuple = ()
    partners: tuple = ()
    version: str = ""


@dataclass(frozen=True)
class PublicationConfig:
    """``publication:`` disclosure control in publish mode.

    ``k`` [3]: smallest published group (a count below ``k`` is suppressed; no combination of
    published attributes may single out fewer than ``k`` units).
    """

    k: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 2:
            _fail("publication.k", f"须为不小于 2 的整数,现为 {self.k!r}", f"must be an integer >= 2, got {self.k!r}")


_SECTIONS = {"statistics": StatsConfig, "diagnosis": DiagnosisConfig, "report": ReportMeta,
             "publication": PublicationConfig}
#: keys that moved, with where they live now (a helpful error instead of "unknown key")
_MOVED = {("report", "alpha"): "statistics.alpha", ("report", "fdr"): "statistics.fdr_method"}


@dataclass(frozen=True)
class RunConfig:
    """The effective run config: every setting of a run, validated, as plain data.

    Built by :func:`analysis.catalog.read_run_config` from ``data/config/run.yaml`` (paths
    resolved there), passed to every notebook as the ``config`` parameter
    (``RunConfig.to_dict()``) and rebuilt there with :meth:`from_dict`; the manifest records it.

    >>> cfg = RunConfig.from_dict({"statistics": {"fdr_method": "holm"}, "lang": "en"})
    >>> cfg.statistics.fdr_method, cfg.lang, cfg.statistics.alpha
    ('holm', 'en', 0.05)
    >>> RunConfig.from_dict({"report": {"alpha": 0.1}})
    Traceback (most recent call last):
    ...
    analysis.errors.ConfigError: 配置项 report.alpha:已移至 statistics.alpha / config key report.alpha: moved to statistics.alpha
    """

    lang: str = "zh"
    publish: bool = False
    notebooks_dir: str = "notebooks"
    notebooks: tuple = ("00_data_quality", "01_yearly_statistics", "02_region_comparison",
                        "03_trend_significance", "04_unit_diagnosis")
    titles: dict = None  # {notebook: {zh: ..., en: ...}}
    batch_notebooks: tuple = ("04_unit_diagnosis",)
    #: notebooks of a half-yearly (H) and a quarterly (Q) run; a yearly run uses ``notebooks``
    period_notebooks: dict = None
    diagnosis: DiagnosisConfig = DiagnosisConfig()
    timeouts: dict = None  # {start: s, cell: s}
    parameters: dict = None  # {notebook: {parameter: value}}: extra, checked against the notebook
    report: ReportMeta = ReportMeta()
    statistics: StatsConfig = StatsConfig()
    publication: PublicationConfig = PublicationConfig()
    scheduler: str = ""  # address of a Dask scheduler (tcp://host:port) for the Monte Carlo draws; "" = this machine
    scoring_config: str = ""  # path of the index config, for the record (resolved by the catalogue)
    scoring: dict = None  # the effective index config (IndexConfig.to_dict())
    config_path: str = ""

    def __post_init__(self) -> None:
        _choice("lang", self.lang, ("zh", "en"))
        if not isinstance(self.publish, bool):
            _fail("publish", f"须为 true 或 false,现为 {self.publish!r}", f"must be true or false, got {self.publish!r}")
        object.__setattr__(self, "titles", dict(self.titles or {}))
        periods = {"H": ["04_unit_diagnosis"], "Q": ["06_quarterly_monitoring"]} | dict(self.period_notebooks or {})
        if set(periods) - {"H", "Q"}:
            _fail("period_notebooks", f"只能有 H 与 Q,现为 {sorted(periods)}", f"only H and Q are allowed, got {sorted(periods)}")
        object.__setattr__(self, "period_notebooks", {k: list(v) for k, v in periods.items()})
        object.__setattr__(self, "timeouts", {"start": 60, "cell": 600} | dict(self.timeouts or {}))
        object.__setattr__(self, "parameters", dict(self.parameters or {}))
        object.__setattr__(self, "notebooks", tuple(self.notebooks))
        object.__setattr__(self, "batch_notebooks", tuple(self.batch_notebooks))
        object.__setattr__(self, "scoring", dict(self.scoring or {}))

    @classmethod
    def from_dict(cls, data: dict | None) -> "RunConfig":
        """Validate a mapping (a YAML file's content or :meth:`to_dict`); unknown keys are errors."""
        data = dict(data or {})
        if isinstance(data.get("scoring"), dict) and set(data["scoring"]) <= {"config"}:
            # run.yaml names the index config file: the catalogue resolves and reads it
            data["scoring_config"] = data.pop("scoring").get("config", "") or data.get("scoring_config", "")
        _known("run", data, cls)
        for name, klass in _SECTIONS.items():
            section = data.get(name)
            if isinstance(section, klass):
                continue
            if section is not None and not isinstance(section, dict):
                _fail(name, "须为键值映射", "must be a mapping")
            section = dict(section or {})
            for (sec, key), target in _MOVED.items():
                if sec == name and key in section:
                    _fail(f"{sec}.{key}", f"已移至 {target}", f"moved to {target}")
            _known(name, section, klass)
            if name == "report":
                section = {k: tuple(v) if isinstance(v, list) else v for k, v in section.items()}
            data[name] = klass(**section)
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain, YAML/JSON-serialisable data (tuples become lists)."""
        def plain(value):
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            return value
        return plain(asdict(self))

    def notebooks_for(self, period: str) -> list[str]:
        """The notebooks of a run for ``period``: ``Y`` the yearly set, ``H1``/``H2`` and ``Q1``–``Q4``
        the configured half-yearly and quarterly ones.

        >>> RunConfig().notebooks_for("H2"), RunConfig().notebooks_for("Q4")
        (['04_unit_diagnosis'], ['06_quarterly_monitoring'])
        """
        if period == "Y":
            return list(self.notebooks)
        if period not in ("H1", "H2", "Q1", "Q2", "Q3", "Q4"):
            _fail("period", f"须为 Y、H1、H2、Q1–Q4 之一,现为 {period!r}", f"must be Y, H1, H2 or Q1–Q4, got {period!r}")
        return list(self.period_notebooks[period[0]])

    def title(self, notebook: str) -> str:
        """The report title of ``notebook`` in the run's language (the notebook name if none is set)."""
        return (self.titles.get(notebook) or {}).get(self.lang, notebook)

    def index_config(self):
        """The index config as an :class:`analysis.scoring.config.IndexConfig`."""
        from .scoring.config import IndexConfig

        return IndexConfig.from_dict(self.scoring)
