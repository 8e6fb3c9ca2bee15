"""Multiple testing and direction-aware classification of trends."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..multitest import METHODS as ADJUST_METHODS, adjust_pvalues
from ..frames import as_list
from ._long import check_columns
from .mk import mann_kendall

#: default Mann–Kendall variant of reports, chosen from benchmarks/size_power.py (table in
#: docs/methods.md, "Size and power"): the original test with exact p-values keeps its
#: size under independence and has the power; von Storch pre-whitening keeps the size under
#: AR(1) noise but differences most of a real trend away (power 0.04 vs 0.32 at n = 8 and a
#: trend of 0.35 SD per year), and the variance corrections are over-sized at n ≤ 30.
DEFAULT_VARIANT = "original"

LABELS_ZH = {
    "improving": "显著改善",
    "deteriorating": "显著恶化",
    "no significant trend": "无显著趋势",
    "not testable": "无法检验",
}
REASON_TARGET = "目标型指标,单调趋势无好坏之分 / target-type indicator: a monotone trend is neither better nor worse"
REASON_DIRECTION = "指标方向未知 / unknown indicator direction"


def _unique_map(mapping):
    """A framework holds one row per version of a node: keep the last (latest) per code."""
    if isinstance(mapping, pd.Series) and not mapping.index.is_unique:
        return mapping[~mapping.index.duplicated(keep="last")]
    return mapping


def _directions(data, direction, direction_on):
    if isinstance(direction, str) and direction in data.columns:
        return data[direction]
    if isinstance(direction, str):
        return pd.Series(direction, index=data.index)
    if isinstance(direction, (Mapping, pd.Series)):
        check_columns(data, [direction_on])
        return data[direction_on].map(_unique_map(direction))
    raise TypeError("direction 须为方向字符串、列名、字典或 Series / direction must be a string, "
                    "a column name, a dict or a Series")


def _prepare(data, series, fam_cols, time, value, direction, direction_on, target, extra=()):
    """Directions per row (target-type → distance to target, negative) and per series."""
    check_columns(data, series + fam_cols + list(extra) + [time, value])
    d = data.copy()
    d["_direction"] = _directions(d, direction, direction_on)
    if target is not None:
        tgt = (d[target] if isinstance(target, str) and target in d.columns
               else d[direction_on].map(_unique_map(target)))
        is_t = (d["_direction"] == "target") & tgt.notna()
        d[value] = d[value].astype(float)
        d.loc[is_t, value] = (d.loc[is_t, value] - tgt[is_t].astype(float)).abs()
        d.loc[is_t, "_direction"] = "negative"
    grouped = d.groupby(series, sort=True, dropna=False, observed=True)
    per_series = grouped["_direction"].agg(lambda s: s.dropna().iloc[0] if s.notna().any() else None)
    fams = grouped[fam_cols].first() if fam_cols else None
    return d, per_series, fams


def _lookup(table, res, series):
    key = pd.MultiIndex.from_frame(res[series]) if len(series) > 1 else res[series[0]]
    return table.reindex(key)


def _classify(res, series, fam_cols, per_series, fams, *, sign, alpha, adjust):
    """Shared tail: family labels, FDR within families, direction-aware labels."""
    res = res.copy()
    res["direction"] = _lookup(per_series, res, series).to_numpy()
    if fam_cols:
        res["family"] = [", ".join(f"{c}={v}" for c, v in zip(fam_cols, row))
                         for row in _lookup(fams, res, series).itertuples(index=False)]
    else:
        res["family"] = "all: " + " × ".join(series)
    reason = res["reason"].astype(object).to_numpy().copy()
    dirs = res["direction"].to_numpy(dtype=object)
    reason[(reason == "") & (dirs == "target")] = REASON_TARGET
    reason[(reason == "") & ~np.isin(dirs, ["positive", "negative"])] = REASON_DIRECTION
    p = np.where(reason == "", res["p"].to_numpy(dtype=float), np.nan)
    p_adj = np.full(len(res), np.nan)
    for _, idx in res.groupby("family", sort=False).indices.items():
        p_adj[idx] = adjust_pvalues(p[idx], adjust)
    signif = p_adj < alpha
    better = ((dirs == "positive") & (sign > 0)) | ((dirs == "negative") & (sign < 0))
    worse = ((dirs == "positive") & (sign < 0)) | ((dirs == "negative") & (sign > 0))
    cls = np.where(reason != "", "not testable",
                   np.where(signif & better, "improving",
                            np.where(signif & worse, "deteriorating", "no significant trend")))
    return dict(p=p, p_adj=p_adj, direction=dirs, classification=cls,
                classification_zh=[LABELS_ZH[c] for c in cls], reason=reason,
                family=res["family"].to_numpy())


def classify_trends(data: pd.DataFrame, *, series=("unit_id", "node"), time="year",
                    value="score", direction="positive", direction_on="node",
                    variant=DEFAULT_VARIANT, family=None, alpha=0.05, adjust="fdr_bh",
                    season=None, target=None, **mk_options) -> pd.DataFrame:
    """Trend of every series, adjusted for multiple testing and classified by direction.

    ``target``: for ``direction = "target"`` series, the target value (a column name, or a
    mapping from ``direction_on`` values, e.g. ``fw.set_index("code")["target"]``); the
    series tested is then the distance |value − target| with negative direction (moving
    towards the target is an improvement). Without a target such series are not testable.
    See the package docstring of :mod:`analysis.trends` for the full description.
    """
    series = as_list(series)
    fam_cols = as_list(family)
    d, per_series, fams = _prepare(data, series, fam_cols, time, value, direction, direction_on, target)
    res = mann_kendall(d, time=time, value=value, by=series, method=variant, alpha=alpha,
                       season=season, **mk_options)
    c = _classify(res, series, fam_cols, per_series, fams, sign=res["s"].to_numpy(dtype=float),
                  alpha=alpha, adjust=adjust)
    out = res[series].copy()
    out["n"] = res["n"]
    out["statistic"] = res["s"]
    out["z"] = res["z"]
    out["p"] = c["p"]
    out["p_adj"] = c["p_adj"]
    out["slope"] = res["sen_slope"]
    out["ci_low"] = res["sen_low"]
    out["ci_high"] = res["sen_high"]
    out["tau"] = res["tau"]
    for col in ("direction", "classification", "classification_zh", "reason", "family"):
        out[col] = c[col]
    out["variant"] = variant
    out["adjust"] = ADJUST_METHODS.get(adjust, adjust)
    out["alpha"] = alpha
    out["p_method"] = res["p_method"]
    out["note"] = res["note"]
    return out


def classify_group_trends(data: pd.DataFrame, *, unit="unit_id", series=("region", "node"),
                          time="year", value="score", direction="positive", direction_on="node",
                          family=None, alpha=0.05, adjust="fdr_bh", target=None,
                          se="linearmodels") -> pd.DataFrame:
    """Trend of every group of units (e.g. region × node), classified like :func:`classify_trends`.

    Each group's trend is the fixed-effects slope of its units with cluster-robust SE by unit
    (:func:`panel_trend`; ``se`` names the small-sample convention, see there), so a region's verdict uses all its units'
    years without averaging them first. Output columns as :func:`classify_trends` with
    ``statistic`` = t, ``slope`` = β̂ (per time unit) and its 1 − alpha interval,
    ``n_units``, ``n_obs``, and ``variant = "fe_cluster"``.
    """
    from .regression import panel_trend

    series = as_list(series)
    fam_cols = as_list(family)
    d, per_series, fams = _prepare(data, series, fam_cols, time, value, direction, direction_on,
                                   target, extra=(unit,))
    res = panel_trend(d, unit=unit, time=time, value=value, by=series, alpha=alpha, se=se)
    c = _classify(res, series, fam_cols, per_series, fams, sign=res["slope"].to_numpy(dtype=float),
                  alpha=alpha, adjust=adjust)
    out = res[series].copy()
    out["n_units"] = res["n_units"]
    out["n_obs"] = res["n_obs"]
    out["statistic"] = res["t"]
    out["p"] = c["p"]
    out["p_adj"] = c["p_adj"]
    out["slope"] = res["slope"]
    out["ci_low"] = res["ci_low"]
    out["ci_high"] = res["ci_high"]
    for col in ("direction", "classification", "classification_zh", "reason", "family"):
        out[col] = c[col]
    out["variant"] = "fe_cluster"
    out["adjust"] = ADJUST_METHODS.get(adjust, adjust)
    out["alpha"] = alpha
    return out
