"""Trend significance (趋势显著性): is a unit, region or indicator improving, deteriorating,
or is there no evidence either way?

Every function takes a long DataFrame and column names, and returns one tidy row per
series; the work is vectorised over series (numpy on a series × time array), so a report
with 100,000 unit × node series costs about a second.

Entry point for the trend report
--------------------------------
``trend_findings(yearly_scores, quarterly_scores, framework, stats, *, year) -> TrendFindings``
(:mod:`.findings`): unit rows, region/type rows (panel slope and regional Kendall test),
change points, power note and headlines in one call.

Entry point for other tables
----------------------------
``classify_trends(data, *, series=("unit_id", "node"), time="year", value="score",
direction="positive", direction_on="node", variant=DEFAULT_VARIANT, family=None,
alpha=0.05, adjust="fdr_bh", season=None, **mk_options)``

- ``data``: long table, one row per series × year (e.g. scores: ``unit_id, node, year,
  score``; or the yearly panel ``unit_id, indicator, year, value`` with ``series=
  ["unit_id", "indicator"], value="value", direction_on="indicator"``).
- ``direction``: ``"positive"``/``"negative"`` for every series, the name of a column of
  ``data``, or a mapping (dict or Series, e.g. ``fw.set_index("code")["direction"]``) from
  the values of ``direction_on`` to ``positive | negative | target``. A *falling* negative
  indicator is an improvement. Target-type indicators are reported as not testable.
- ``variant``: the Mann–Kendall variant (``mann_kendall`` ``method``); the default
  :data:`DEFAULT_VARIANT` (``"original"``, exact p for n ≤ 10) was chosen from the size/power
  simulation in ``benchmarks/size_power.py`` (table and reasoning in
  ``docs/methods.md``). Reports must name it (the ``variant`` column does).
- ``family``: column(s) that define a family of tests for the false-discovery control
  (e.g. ``"node"``: one family per indicator); None = every series in one family. The
  ``family`` output column names it, e.g. ``"all: unit_id × node"`` or ``"node=D1"``.
- ``adjust``: ``fdr_bh`` (default), ``fdr_by``, ``holm``, ``bonferroni`` or ``none``.

Returns one row per series: the ``series`` columns, ``n, statistic`` (Mann–Kendall S of
the tested series), ``z, p, p_adj, slope`` (Sen's slope per time unit), ``ci_low, ci_high``
(its 1 − alpha interval), ``tau, direction, classification`` (``improving`` |
``deteriorating`` | ``no significant trend`` | ``not testable``), ``classification_zh``,
``reason`` (why not testable, 中文 / English), ``family, variant, adjust, alpha, p_method``
(``exact`` or ``normal``), ``note``. Classification: ``p_adj < alpha`` and the sign of S
combined with the direction; untestable series are left out of the family size.

For groups of units (every region × node): ``classify_group_trends(data, *, unit="unit_id",
series=("region", "node"), time="year", value="score", direction=..., family=None,
alpha=0.05, adjust="fdr_bh")`` — same output, the trend being the fixed-effects slope of
the group's units with cluster-robust SE (``variant = "fe_cluster"``).

Building blocks
---------------
- :func:`mann_kendall` — MK family (original, Hamed–Rao, Yue–Wang, pre-whitening, TFPW,
  seasonal) + Sen's slope with interval; :func:`mann_kendall_array` for 2-D arrays.
- :func:`pettitt` — Pettitt change point.
- :func:`ols_trend` — OLS trend with Newey–West (HAC) errors.
- :func:`panel_trend` — fixed-effects trend with cluster-robust SE;
  :func:`region_trend_difference` — region × year interaction test;
  :func:`mixed_trend` — random slopes per unit (MixedLM).
- :func:`adjust_pvalues` — BH / BY / Holm via statsmodels.

Methods, formulas and references: ``docs/methods.md``.
"""
from .changepoint import pettitt, pettitt_array
from .findings import TrendFindings, trend_findings
from .moderated import moderated_trend, moderated_trend_array
from .power import attainable, min_detectable_slope, smallest_p
from .seasonal import block_variances, regional_kendall, seasonal_mann_kendall, seasonal_mk_array
from .classify import (DEFAULT_VARIANT, LABELS_ZH, adjust_pvalues, classify_group_trends,
                       classify_trends)
from .mk import METHODS, mann_kendall, mann_kendall_array
from .regression import (PANEL_SE, mixed_trend, newey_west_lag, ols_trend, ols_trend_array,
                         panel_trend, region_trend_difference)

__all__ = [
    "PANEL_SE", "TrendFindings", "attainable", "block_variances", "min_detectable_slope",
    "moderated_trend", "moderated_trend_array", "newey_west_lag", "regional_kendall",
    "seasonal_mann_kendall", "seasonal_mk_array", "smallest_p", "trend_findings",
    "DEFAULT_VARIANT", "LABELS_ZH", "METHODS", "adjust_pvalues", "classify_group_trends",
    "classify_trends",
    "mann_kendall", "mann_kendall_array", "mixed_trend", "ols_trend", "ols_trend_array",
    "panel_trend", "pettitt", "pettitt_array", "region_trend_difference",
]
