"""Data-quality summary (数据质量): coverage, missing cells, out-of-range values, suspicious jumps.

Pure functions on DataFrames; ``analysis validate`` prints them and notebook ``00_data_quality``
shows them.

- **Coverage** of a leaf in a year = units that reported it ÷ units in force that year
  (renamed units count once). A leaf with zero coverage in a year that its neighbours cover is
  the "indicator missing for a year" case.
- **Out of range**: yearly values outside the framework's ``valid_min``/``valid_max`` (raw values
  are refused at ingest; this catches ranges tightened later, and yearly sums of quarterly
  values that leave the range).
- **Suspicious jumps**: a year-on-year change whose robust z-score within the indicator
  (change minus the median change, divided by 1.4826 × MAD) exceeds ``z_threshold`` (3.5, the
  cut-off of Iglewicz & Hoaglin, 1993, *How to Detect and Handle Outliers*, ASQC).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import framework as fwmod
from .panel import units_by_year


def coverage(values: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, years=None) -> pd.DataFrame:
    """One row per leaf × year: ``expected``, ``reported``, ``missing``, ``coverage`` (0–1)."""
    years = sorted(values.year.unique()) if years is None else sorted(years)
    active = units_by_year(units, years)[["unit_id", "year"]]
    rows = []
    for year in years:
        leaves = fwmod.leaves(fwmod.for_year(framework, int(year)))
        expected = active[active.year == year].unit_id.nunique()
        got = values[values.year == year].groupby("indicator").unit_id.nunique()
        for leaf in leaves.itertuples():
            reported = int(got.get(leaf.code, 0))
            rows.append({"indicator": leaf.code, "name_zh": leaf.name_zh, "name_en": leaf.name_en,
                         "year": int(year), "expected": expected, "reported": reported,
                         "missing": expected - reported,
                         "coverage": reported / expected if expected else np.nan})
    return pd.DataFrame(rows)


def missing_indicator_years(cov: pd.DataFrame) -> pd.DataFrame:
    """Leaf × year cells with no data at all (coverage 0) — e.g. an indicator missing for a year."""
    return cov[cov.reported == 0].reset_index(drop=True)


def out_of_range(values: pd.DataFrame, framework: pd.DataFrame) -> pd.DataFrame:
    leaf = fwmod.leaves(framework).drop_duplicates("code", keep="last").set_index("code")
    v = values[values.indicator.isin(leaf.index)].copy()
    lo = v.indicator.map(leaf.valid_min)
    hi = v.indicator.map(leaf.valid_max)
    raw = v.get("raw_value", v.value)
    bad = (lo.notna() & (raw < lo)) | (hi.notna() & (raw > hi))
    out = v[bad].assign(valid_min=lo[bad], valid_max=hi[bad])
    return out[["unit_id", "year", "indicator", "value", "valid_min", "valid_max"]].reset_index(drop=True)


def suspicious_jumps(values: pd.DataFrame, z_threshold: float = 3.5) -> pd.DataFrame:
    """Year-on-year changes that are extreme within their indicator (robust z > threshold)."""
    v = values.sort_values(["indicator", "unit_id", "year"])[["unit_id", "indicator", "year", "value"]].copy()
    g = v.groupby(["indicator", "unit_id"])
    v["previous"] = g.value.shift()
    v["gap"] = v.year - g.year.shift()
    v = v[v.gap == 1].copy()  # only consecutive years
    v["change"] = v.value - v.previous
    med = v.groupby("indicator").change.transform("median")
    mad = v.groupby("indicator").change.transform(lambda s: (s - s.median()).abs().median())
    v["robust_z"] = (v.change - med) / (1.4826 * mad.replace(0, np.nan))
    out = v[v.robust_z.abs() > z_threshold]
    return out[["unit_id", "indicator", "year", "previous", "value", "change", "robust_z"]] \
        .sort_values("robust_z", key=np.abs, ascending=False).reset_index(drop=True)


def summary(values: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, year: int | None = None) -> dict:
    """All checks at once; ``year`` limits jumps and out-of-range to one year (coverage stays all years)."""
    cov = coverage(values, framework, units)
    oor = out_of_range(values, framework)
    jumps = suspicious_jumps(values)
    if year is not None:
        oor, jumps = oor[oor.year == year], jumps[jumps.year == year]
    return {"coverage": cov, "missing": missing_indicator_years(cov), "out_of_range": oor, "jumps": jumps}
