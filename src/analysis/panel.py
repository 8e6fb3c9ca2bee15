"""From observations to the yearly panel: one value per unit × year × leaf.

Two steps, both declared per leaf in the framework:

1. **Quarterly to yearly** (``year_agg``): ``sum`` for counts, ``mean`` for rates and
   scores, ``last`` for stocks (the latest period reported), ``max`` for events. Annual
   indicators (period ``Y``) pass through.
2. **Denominators** (``denominator``, ``per``): value ÷ size field × ``per``, e.g. cases per
   100 staff = cases / staff × 100. The size field is the unit's row in force that year and may
   be any numeric column of the units table (``staff``, ``residents``, ``gdp``, ``area_km2``,
   ...): a missing column, a non-numeric one, or a missing or non-positive value for a unit
   that reported the leaf is an error naming every such unit (:func:`check_denominators`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import AnalysisError, InputError, Issue
from .framework import LIST_ROLES

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

    Returns columns ``unit_id, year, indicator, value, raw_value, n_periods, denominator_value``
    for the monitoring points, the red-line events and the list items (bonus / deduction events,
    summed over the quarters unless their ``year_agg`` says otherwise).
    ``raw_value`` is the yearly value before the denominator; ``n_periods`` the number of
    periods that went into it (a quarterly count with 3 of 4 quarters is flagged by it, not
    silently scaled).
    """
    leaf = framework[framework.role.isin(["score", "red_line", *LIST_ROLES])].drop_duplicates("code", keep="last")
    leaf = leaf.set_index("code")
    # list items (bonus / deduction events) are counts: summed over the quarters unless declared
    leaf["year_agg"] = leaf.year_agg.where(~leaf.role.isin(LIST_ROLES) | (leaf.year_agg != ""), "sum")
    obs = observations[observations.indicator.isin(leaf.index)].dropna(subset=["value"]).copy()
    cols = ["unit_id", "year", "indicator", "value", "raw_value", "n_periods", "denominator_value"]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    # codes → rule by position (Series.map on millions of text cells costs seconds); within each
    # unit × year × leaf the rows only need to be in period order, so the sort is on integers
    codes, found = pd.factorize(obs.period)
    obs["order"] = pd.Series(PERIOD_ORDER).reindex(found).to_numpy()[codes]
    obs = obs.sort_values(["year", "order"], kind="stable")
    codes, found = pd.factorize(obs.indicator)
    obs["agg"] = leaf.year_agg.reindex(found).to_numpy()[codes]
    keys = ["unit_id", "year", "indicator"]
    parts = []
    for agg, part in obs.groupby("agg"):
        g = part.groupby(keys, sort=False).value
        yearly = {"sum": g.sum, "mean": g.mean, "last": g.last, "max": g.max}[agg]()
        parts.append(pd.DataFrame({"raw_value": yearly, "n_periods": g.size()}))
    out = pd.concat(parts).reset_index()

    out["denominator"] = out.indicator.map(leaf.denominator).fillna("")
    out["per"] = out.indicator.map(leaf.per).fillna(1.0)
    denom = denominator_values(out, units)
    has_denom = (out.denominator != "").to_numpy()
    out["denominator_value"] = np.where(has_denom, denom, np.nan)
    out["value"] = np.where(has_denom, out.raw_value / denom * out.per, out.raw_value)
    out["year"] = out.year.astype("int64")
    return out[cols].sort_values(keys).reset_index(drop=True)


def denominator_values(rows: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """The denominator of each row (``unit_id, year, denominator``): the named numeric column of
    the unit's row in force that year; NaN where the row has no denominator.

    Raises :class:`AnalysisError` naming the column when the units table lacks it or it is not
    numeric, and naming every unit (and year) whose value is missing or not positive.
    """
    denom = np.full(len(rows), np.nan)
    names = [d for d in pd.unique(rows.denominator) if d]
    if not names:
        return denom
    absent = [d for d in names if d not in units.columns]
    if absent:
        raise AnalysisError(
            f"单位表没有分母列 {absent}(框架中的 denominator 须为单位表的数值列) / "
            f"the units table has no denominator column {absent} (a framework denominator must name a numeric units column)")
    sizes = units_by_year(units, rows.year.unique())
    bad_rows = []
    for field in names:
        col = sizes[field]
        num = pd.to_numeric(col, errors="coerce")
        text_bad = col.notna() & (col.astype(str).str.strip() != "") & num.isna()
        if text_bad.any():
            r = sizes[text_bad].iloc[0]
            raise AnalysisError(f"单位 {r.unit_id} 的分母列 {field} 不是数值({col[text_bad].iloc[0]!r}) / "
                                f"unit {r.unit_id}: denominator column {field!r} is not numeric ({col[text_bad].iloc[0]!r})")
        lookup = pd.Series(num.to_numpy(dtype=float), index=pd.MultiIndex.from_frame(sizes[["unit_id", "year"]]))
        m = (rows.denominator == field).to_numpy()
        key = pd.MultiIndex.from_frame(rows.loc[m, ["unit_id", "year"]])
        denom[m] = lookup.reindex(key).to_numpy(dtype=float)
        sub = rows.loc[m, ["unit_id", "year"]].assign(v=denom[m])
        bad_rows.append(sub[~(sub.v > 0)].assign(field=field))
    bad = pd.concat(bad_rows).drop_duplicates(["unit_id", "year", "field"]) if bad_rows else None
    if bad is not None and len(bad):
        listing = "; ".join(f"{u} {int(y)} {f}" for u, y, f in zip(bad.unit_id, bad.year, bad.field))
        raise AnalysisError(
            f"{len(bad)} 个单位年度的分母缺失或不为正:{listing} / "
            f"{len(bad)} unit-year(s) have a missing or non-positive denominator: {listing}")
    return denom


def check_denominators(framework: pd.DataFrame, units: pd.DataFrame, source: str = "units") -> list[Issue]:
    """Ingest-time check: every denominator the framework names is a numeric column of the units
    table, present and positive on every unit row. Returns one :class:`Issue` per problem (row
    numbers are those of a file with a header line, i.e. index + 2)."""
    issues: list[Issue] = []
    named = sorted({d for d in framework.denominator.fillna("") if d})
    for field in named:
        if field not in units.columns:
            issues.append(Issue(source, f"缺少框架中用作分母的列 {field}",
                                f"column {field!r}, a denominator in the framework, is missing", column=field))
            continue
        num = pd.to_numeric(units[field], errors="coerce")
        for idx in units.index[~(num > 0)]:
            issues.append(Issue(source, f"单位 {units.at[idx, 'unit_id']} 的分母 {field} 缺失、非数值或不为正",
                                f"unit {units.at[idx, 'unit_id']}: denominator {field!r} is missing, not a number or not positive",
                                row=int(idx) + 2, column=field, value=units.at[idx, field]))
    return issues


def require_denominators(framework: pd.DataFrame, units: pd.DataFrame, source: str = "units") -> None:
    """:func:`check_denominators`, raising :class:`InputError` with every issue at once."""
    issues = check_denominators(framework, units, source)
    if issues:
        raise InputError(issues)
