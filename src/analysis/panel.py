"""From observations to the yearly panel: one value per unit × year × leaf.

Two steps, both declared per leaf in the framework:

1. **Quarterly to yearly** (``year_agg``): ``sum`` for counts, ``mean`` for rates and
   scores, ``last`` for stocks (the latest period reported), ``max`` for events. Annual
   indicators (period ``Y``) pass through.
2. **Denominators** (``denominator``, ``per``): value ÷ size field × ``per``, e.g. cases per
   100 staff = cases / staff × 100. The size field is the unit's row in force that year.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import AnalysisError

PERIOD_ORDER = {"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4, "Y": 5}


def units_for_year(units: pd.DataFrame, year: int) -> pd.DataFrame:
    """The unit rows in force in ``year`` (one per unit_id; renames resolved)."""
    lo = pd.to_numeric(units.valid_from, errors="coerce").astype("float64").fillna(-np.inf)
    hi = pd.to_numeric(units.valid_to, errors="coerce").astype("float64").fillna(np.inf)
    out = units[(lo <= year) & (year <= hi)]
    return out.sort_values("valid_from").drop_duplicates("unit_id", keep="last").reset_index(drop=True)


def units_by_year(units: pd.DataFrame, years) -> pd.DataFrame:
    """Unit attributes for each (unit_id, year): name, type, region and size fields in force."""
    frames = [units_for_year(units, int(y)).assign(year=int(y)) for y in sorted(set(years))]
    if not frames:
        return units.iloc[0:0].assign(year=pd.Series(dtype="int64"))
    return pd.concat(frames, ignore_index=True)


def yearly_values(observations: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Yearly value of every leaf for every unit and year.

    Returns columns ``unit_id, year, indicator, value, raw_value, n_periods, denominator_value``.
    ``raw_value`` is the yearly value before the denominator; ``n_periods`` the number of
    periods that went into it (a quarterly count with 3 of 4 quarters is flagged by it, not
    silently scaled).
    """
    leaf = framework[framework.role.isin(["score", "red_line"])].drop_duplicates("code", keep="last")
    leaf = leaf.set_index("code")
    obs = observations[observations.indicator.isin(leaf.index)].dropna(subset=["value"]).copy()
    cols = ["unit_id", "year", "indicator", "value", "raw_value", "n_periods", "denominator_value"]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    obs["order"] = obs.period.map(PERIOD_ORDER)
    obs = obs.sort_values(["unit_id", "indicator", "year", "order"])
    obs["agg"] = obs.indicator.map(leaf.year_agg)
    keys = ["unit_id", "year", "indicator"]
    parts = []
    for agg, part in obs.groupby("agg"):
        g = part.groupby(keys, sort=False).value
        yearly = {"sum": g.sum, "mean": g.mean, "last": g.last, "max": g.max}[agg]()
        parts.append(pd.DataFrame({"raw_value": yearly, "n_periods": g.size()}))
    out = pd.concat(parts).reset_index()

    out["denominator"] = out.indicator.map(leaf.denominator).fillna("")
    out["per"] = out.indicator.map(leaf.per).fillna(1.0)
    sizes = units_by_year(units, out.year.unique())
    out = out.merge(sizes[["unit_id", "year", "staff", "party_members", "residents"]],
                    on=["unit_id", "year"], how="left")
    denom = np.full(len(out), np.nan)
    for field in ("staff", "party_members", "residents"):
        m = (out.denominator == field).to_numpy()
        denom[m] = pd.to_numeric(out.loc[m, field], errors="coerce").to_numpy()
    has_denom = (out.denominator != "").to_numpy()
    bad = has_denom & ~(denom > 0)
    if bad.any():
        r = out[bad].iloc[0]
        raise AnalysisError(
            f"单位 {r.unit_id} {int(r.year)} 年缺少有效的分母字段 {r.denominator} / "
            f"unit {r.unit_id} has no valid size field {r.denominator!r} in {int(r.year)}")
    out["denominator_value"] = np.where(has_denom, denom, np.nan)
    out["value"] = np.where(has_denom, out.raw_value / denom * out.per, out.raw_value)
    out["year"] = out.year.astype("int64")
    return out[cols].sort_values(keys).reset_index(drop=True)
