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
