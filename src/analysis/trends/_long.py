"""Long DataFrame ↔ wide arrays (series × time grid) for the vectorised kernels."""
from __future__ import annotations

import numpy as np
import pandas as pd

#: a grid longer than this is not filled step by step (times are then used as they are)
MAX_GRID = 5000


def check_columns(data: pd.DataFrame, cols: list[str]) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise KeyError(f"数据缺少列 {missing} / data has no column(s) {missing}")


def time_grid(times: np.ndarray) -> np.ndarray:
    """Sorted grid of times. Integer times are filled step 1 from min to max, so that a
    missing year becomes a gap (an all-NaN column) instead of a neighbour."""
    u = np.sort(pd.unique(times[~pd.isna(times)].astype(float)))
    if u.size and np.all(u == np.round(u)) and (u[-1] - u[0] + 1) <= MAX_GRID:
        return np.arange(u[0], u[-1] + 1)
    return u


def to_wide(data: pd.DataFrame, by: list[str], time: str, value: str,
            grid: np.ndarray | None = None):
    """Pivot a long table to (keys, X, t): one row of X per series, one column per grid time.

    Duplicated (series, time) rows are an input error (the caller must aggregate first).
    """
    check_columns(data, by + [time, value])
    d = data[by + [time, value]]
    t_all = pd.to_numeric(d[time], errors="coerce").to_numpy(dtype=float)
    if np.isnan(t_all).any():
        raise ValueError(f"时间列 {time!r} 含缺失或非数值 / time column {time!r} has missing or non-numeric values")
    t = time_grid(t_all) if grid is None else np.asarray(grid, dtype=float)
    if by:
        codes = d.groupby(by, sort=True, dropna=False, observed=True).ngroup().to_numpy()
        keys = d.assign(_g=codes).drop_duplicates("_g").sort_values("_g")[by].reset_index(drop=True)
        G = len(keys)
    else:
        codes = np.zeros(len(d), dtype=np.int64)
        keys = pd.DataFrame(index=range(1 if len(d) else 0))
        G = len(keys)
    col = np.searchsorted(t, t_all)
    if np.any(col >= len(t)) or np.any(t[np.minimum(col, len(t) - 1)] != t_all):
        raise ValueError("时间不在网格上 / a time is not on the grid")
    flat = codes.astype(np.int64) * len(t) + col
    if len(flat) and np.bincount(flat, minlength=G * len(t)).max() > 1:  # O(n), no sort of 2 M cells
        raise ValueError(
            f"同一序列同一时间有多行,请先汇总 / several rows for one series and one {time}; aggregate first")
    X = np.full((G, len(t)), np.nan)
    X.reshape(-1)[flat] = pd.to_numeric(d[value], errors="coerce").to_numpy(dtype=float)
    return keys, X, t


def to_cube(data: pd.DataFrame, by: list[str], time: str, season: str, value: str):
    """Pivot to (keys, X, years, seasons) with X of shape (series, season, year)."""
    check_columns(data, by + [time, season, value])
    seasons = np.array(sorted(data[season].dropna().unique(), key=lambda s: str(s)))
    s_code = pd.Categorical(data[season], categories=seasons).codes
    if (s_code < 0).any():
        raise ValueError(f"季节列 {season!r} 含缺失 / season column {season!r} has missing values")
    key = data[by].copy() if by else pd.DataFrame(index=data.index)
    key["_season"] = s_code
    tmp = pd.concat([key, data[[time, value]]], axis=1)
    keys, X2, years = to_wide(tmp, by + ["_season"], time, value)
    # keys are sorted by (by..., season): regroup to (series, season, year)
    S = len(seasons)
    if by:
        series_keys = keys[by].drop_duplicates().reset_index(drop=True)
        sid = keys.merge(series_keys.reset_index(names="_sid"), on=by, how="left")["_sid"].to_numpy()
    else:
        series_keys = pd.DataFrame(index=range(1))
        sid = np.zeros(len(keys), dtype=np.int64)
    X = np.full((len(series_keys), S, len(years)), np.nan)
    X[sid, keys["_season"].to_numpy()] = X2
    return series_keys, X, years, seasons
