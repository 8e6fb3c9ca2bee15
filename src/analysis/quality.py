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
- **Submission status** (报送情况, :func:`submission_status`): per lead department × period ×
  indicator, which units in force have not reported (``missing``) or reported after the deadline
  (``late``). Deadline rule (:class:`SubmissionRule`, configurable): a quarter's values are due
  ``quarter_days`` days after the quarter ends (default 15: Q1 by 15 April, Q4 by 15 January),
  an annual value ``annual_days`` days after the year ends (default 31: by 31 January); a value
  is late when its load time (``loaded_at``, the warehouse's ingest time of the file that
  brought it) falls after the end of the due day. Without load times only missing values are
  reported (``late`` is then 0 and ``on_time`` counts every reported value).
"""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SubmissionRule:
    """When reported values are due: ``quarter_days`` after a quarter ends, ``annual_days`` after
    the year ends (values loaded after the end of the due day are late).

    >>> r = SubmissionRule()
    >>> str(r.deadline(2024, "Q1").date()), str(r.deadline(2024, "Q4").date()), str(r.deadline(2024, "Y").date())
    ('2024-04-15', '2025-01-15', '2025-01-31')
    """

    quarter_days: int = 15
    annual_days: int = 31

    def __post_init__(self):
        for name in ("quarter_days", "annual_days"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"报送期限 {name} 须为非负整数天数,现为 {v!r} / {name} must be a non-negative "
                                 f"whole number of days, got {v!r}")

    def deadline(self, year: int, period: str) -> pd.Timestamp:
        """The due day of ``period`` (``Q1``–``Q4`` or ``Y``) of ``year``."""
        if period == "Y":
            return pd.Timestamp(int(year), 12, 31) + pd.Timedelta(days=self.annual_days)
        q = int(str(period)[1:])
        end = pd.Timestamp(int(year), 3 * q, 1) + pd.offsets.MonthEnd(0)
        return end + pd.Timedelta(days=self.quarter_days)


GAP_COLUMNS = ["lead_department", "year", "period", "indicator", "unit_id", "status", "status_zh", "deadline",
               "loaded_at", "days_late"]
STATUS_COLUMNS = ["lead_department", "year", "period", "indicator", "name_zh", "name_en", "deadline", "expected",
                  "reported", "on_time", "late", "missing", "missing_units", "late_units"]


def _expected(observations, framework, units, year: int, periods) -> pd.DataFrame:
    fw = fwmod.for_year(framework, int(year))
    leaves = fw[fw.role.isin(["score", "red_line"])]
    rows = []
    for leaf in leaves.itertuples():
        pers = ["Y"] if leaf.frequency == "annual" else ["Q1", "Q2", "Q3", "Q4"]
        for p in pers:
            if periods is None or p in periods:
                rows.append((leaf.lead_department, p, leaf.code, leaf.name_zh, leaf.name_en))
    cells = pd.DataFrame(rows, columns=["lead_department", "period", "indicator", "name_zh", "name_en"])
    active = units_by_year(units, [int(year)])[["unit_id"]].drop_duplicates()
    return cells.merge(active, how="cross").assign(year=int(year))


def submission_gaps(observations: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, year: int,
                    period: str | None = None, rule: SubmissionRule | None = None) -> pd.DataFrame:
    """Every unit × indicator × period of ``year`` whose value is missing or late (one row each).

    ``period``: ``None`` (the whole year), ``'Y'`` (likewise), a quarter ``'Q3'`` (that quarter;
    with ``'Q4'`` also the annual indicators, which fall due after it) or a half year ``'H1'``.
    Expected cells: every monitoring point and red-line event of the framework version in force,
    for every unit in force that year, in the periods of its ``frequency`` (quarterly: Q1–Q4;
    annual: Y). ``observations`` may carry ``loaded_at`` (load time of each value) for lateness.
    Returns ``lead_department, year, period, indicator, unit_id, status (missing | late),
    status_zh, deadline, loaded_at, days_late``.
    """
    rule = rule or SubmissionRule()
    periods = _periods_of(period)
    cells = _expected(observations, framework, units, year, periods)
    if cells.empty:
        return pd.DataFrame(columns=GAP_COLUMNS)
    obs = observations[observations.year == int(year)].dropna(subset=["value"])
    keep = ["unit_id", "period", "indicator"] + (["loaded_at"] if "loaded_at" in obs else [])
    obs = obs[keep].drop_duplicates(["unit_id", "period", "indicator"], keep="last")
    cells = cells.merge(obs.assign(_reported=True), on=["unit_id", "period", "indicator"], how="left")
    if "loaded_at" not in cells:
        cells["loaded_at"] = pd.NaT
    cells["loaded_at"] = pd.to_datetime(cells.loaded_at)
    deadlines = {p: rule.deadline(year, p) for p in cells.period.unique()}
    cells["deadline"] = cells.period.map(deadlines)
    reported = cells._reported.fillna(False).astype(bool)
    # due by the end of the deadline day
    days = (cells.loaded_at - (cells.deadline + pd.Timedelta(days=1))) / pd.Timedelta(days=1)
    late = reported & (days >= 0)
    cells["status"] = np.where(~reported, "missing", np.where(late, "late", "on_time"))
    cells["status_zh"] = cells.status.map({"missing": "未报送", "late": "逾期报送", "on_time": "按时报送"})
    cells["days_late"] = np.where(late, np.floor(days.to_numpy(dtype=float)) + 1, np.nan)
    out = cells[cells.status != "on_time"]
    return out[GAP_COLUMNS].sort_values(["lead_department", "period", "indicator", "unit_id"]).reset_index(drop=True)


def _join_ids(ids: pd.Series) -> str:
    return "、".join(sorted(ids))


def _periods_of(period: str | None):
    if period is None or period == "Y":
        return None
    p = str(period).upper()
    if p.startswith("H"):
        return {"Q1", "Q2"} if p == "H1" else {"Q3", "Q4", "Y"}
    if p not in ("Q1", "Q2", "Q3", "Q4"):
        raise ValueError(f"期别须为 Y、H1、H2 或 Q1–Q4,现为 {period!r} / period must be Y, H1, H2 or Q1–Q4, got {period!r}")
    return {p, "Y"} if p == "Q4" else {p}


def submission_status(observations: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, year: int,
                      period: str | None = None, rule: SubmissionRule | None = None,
                      only_gaps: bool = False) -> pd.DataFrame:
    """Submission status (报送情况) per lead department × period × indicator of ``year``.

    Returns ``lead_department, year, period, indicator, name_zh, name_en, deadline, expected,
    reported, on_time, late, missing, missing_units, late_units`` (unit ids joined by ``、``), so the
    coordinating office sees whom to chase; ``only_gaps`` keeps the rows with something missing or
    late. Rules as in :func:`submission_gaps`.
    """
    rule = rule or SubmissionRule()
    periods = _periods_of(period)
    cells = _expected(observations, framework, units, year, periods)
    if cells.empty:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    gaps = submission_gaps(observations, framework, units, year, period, rule)
    keys = ["lead_department", "period", "indicator"]
    base = cells.groupby(keys + ["name_zh", "name_en"], sort=False).unit_id.nunique().rename("expected").reset_index()
    miss = gaps[gaps.status == "missing"].groupby(keys).unit_id.agg(size="size", ids=_join_ids)
    late = gaps[gaps.status == "late"].groupby(keys).unit_id.agg(size="size", ids=_join_ids)
    k = pd.MultiIndex.from_frame(base[keys])
    base["missing"] = miss["size"].reindex(k).fillna(0).astype(int).to_numpy()
    base["late"] = late["size"].reindex(k).fillna(0).astype(int).to_numpy()
    base["missing_units"] = miss["ids"].reindex(k).fillna("").to_numpy()
    base["late_units"] = late["ids"].reindex(k).fillna("").to_numpy()
    base["reported"] = base.expected - base.missing
    base["on_time"] = base.reported - base.late
    base["year"] = int(year)
    base["deadline"] = [rule.deadline(year, p).date() for p in base.period]
    if only_gaps:
        base = base[(base.missing > 0) | (base.late > 0)]
    order = base.period.map({"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4, "Y": 5})
    base = base.assign(_o=order).sort_values(["lead_department", "_o", "indicator"]).drop(columns="_o")
    return base[STATUS_COLUMNS].reset_index(drop=True)
