"""Four-colour grades (四色等级: 绿 green, 蓝 blue, 黄 yellow, 红 red) and red lines (一票否决).

A unit-year's grade comes from its root score and three lower bounds
:math:`c_{green} > c_{blue} > c_{yellow}`: green if :math:`s \\ge c_{green}`, blue if
:math:`c_{blue} \\le s < c_{green}`, yellow if :math:`c_{yellow} \\le s < c_{blue}`, red below.

- ``absolute`` cut-offs are fixed numbers on the index scale (default 85 / 70 / 60, the usual
  优秀/良好/一般 bands of Chinese assessment practice on a 100-point scale);
- ``quantile`` cut-offs are quantiles of the root score (default 0.75 / 0.5 / 0.25, i.e. quartiles),
  taken over all unit-years (``pooled``, the default: grades are comparable across years, so a unit
  can change colour because it changed) or within each year (``per_year``: a fixed share of units
  in every colour). Quantiles use numpy's default linear interpolation (Hyndman & Fan type 7,
  R's default).

Red lines: a leaf with ``role = red_line`` whose yearly value is positive (e.g. the unit head under
investigation, ``RL1 = 1``) caps the unit's grade at red whatever its score (一票否决). The grade
table keeps the grade the score alone would give (``grade_by_score``), the ``red_line`` flag and
the codes that triggered it, so every output can show the veto as such.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

GRADES = ("green", "blue", "yellow", "red")
GRADE_ZH = {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"}


def quantile_cutoffs(score: np.ndarray, quantiles=(0.75, 0.5, 0.25), reference: str = "pooled") -> np.ndarray:
    """Lower bounds ``(green, blue, yellow)`` as quantiles of ``score (*lead, Y, U)``.

    Returns ``(*lead, 1, 3)`` when pooled, ``(*lead, Y, 3)`` per year (NaN scores ignored).

    Examples
    --------
    Two years of four units, pooled: R's ``quantile(c(40, 55, 70, 90, 50, 65, 80, 95),
    c(.75, .5, .25))`` (type 7) is 82.5, 67.5, 53.75; written out, the sorted values are
    40 50 55 65 70 80 90 95 and the 0.75 quantile sits at position 1 + 0.75·7 = 6.25:
    80 + 0.25·(90 − 80) = 82.5.

    >>> s = np.array([[40.0, 55.0, 70.0, 90.0], [50.0, 65.0, 80.0, 95.0]])
    >>> quantile_cutoffs(s).ravel().tolist()
    [82.5, 67.5, 53.75]
    >>> quantile_cutoffs(s, reference="per_year").tolist()       # per year: 75, 62.5, 51.25 ...
    [[75.0, 62.5, 51.25], [83.75, 72.5, 61.25]]
    """
    q = np.asarray(quantiles, dtype=float)
    s = np.asarray(score, dtype=float)
    if reference == "pooled":
        flat = s.reshape(*s.shape[:-2], -1)
        c = np.nanquantile(flat, q, axis=-1) if np.isfinite(flat).any() else np.full((3, *flat.shape[:-1]), np.nan)
        return np.moveaxis(c, 0, -1)[..., None, :]
    c = np.nanquantile(s, q, axis=-1) if np.isfinite(s).any() else np.full((3, *s.shape[:-1]), np.nan)
    return np.moveaxis(c, 0, -1)


def grade_codes(score: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """Grade index 0 green … 3 red of ``score (*lead, Y, U)``; ``cutoffs`` broadcastable to
    ``(*lead, Y, 3)``. Missing scores get −1.

    With cut-offs 85 / 70 / 60: 90 green (0), 85 green (a bound belongs to the upper grade),
    72 blue (1), 60 yellow (2), 59.9 red (3), NaN −1:

    >>> grade_codes(np.array([[90, 85, 72, 60, 59.9, np.nan]]), np.array([85, 70, 60])).tolist()
    [[0, 0, 1, 2, 3, -1]]
    """
    s = np.asarray(score, dtype=float)
    c = np.broadcast_to(np.asarray(cutoffs, dtype=float), (*s.shape[:-1], 3))[..., None, :]  # (*lead, Y, 1, 3)
    g = 3 - np.sum(s[..., None] >= c, axis=-1)
    return np.where(np.isnan(s), -1, g)


def assign_grades(root: pd.DataFrame, cfg, red: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade table for the root scores.

    Parameters
    ----------
    root : ``unit_id, year, score`` (one row per scored unit-year).
    cfg : the ``grades`` section of the config.
    red : ``unit_id, year, indicator, value`` of red-line leaves (positive value = veto).

    Returns ``unit_id, year, score, grade, grade_zh, grade_by_score, red_line, red_line_codes,
    cutoff_green, cutoff_blue, cutoff_yellow, method``.

    Examples
    --------
    Absolute cut-offs 85 / 70 / 60; unit C would be blue by its score, but its red-line leaf
    RL1 = 1 caps it at red (一票否决):

    >>> from analysis.scoring.config import GradeConfig
    >>> root = pd.DataFrame({"unit_id": ["A", "B", "C", "D"], "year": 2024, "score": [91.0, 66.0, 75.0, 40.0]})
    >>> red = pd.DataFrame({"unit_id": ["C"], "year": [2024], "indicator": ["RL1"], "value": [1]})
    >>> g = assign_grades(root, GradeConfig(method="absolute"), red)
    >>> g[["unit_id", "grade_by_score", "grade", "grade_zh", "red_line_codes"]].values.tolist()
    [['A', 'green', 'green', '绿', ''], ['B', 'yellow', 'yellow', '黄', ''], ['C', 'blue', 'red', '红', 'RL1'], ['D', 'red', 'red', '红', '']]
    """
    years = sorted(root.year.unique())
    out = root[["unit_id", "year", "score"]].copy().reset_index(drop=True)
    if cfg.method == "absolute":
        cut = np.tile([cfg.cutoffs["green"], cfg.cutoffs["blue"], cfg.cutoffs["yellow"]], (len(out), 1)).astype(float)
    else:
        q = [cfg.quantiles["green"], cfg.quantiles["blue"], cfg.quantiles["yellow"]]
        if cfg.reference == "pooled":
            s = out.score.to_numpy(dtype=float)
            c = np.nanquantile(s, q) if np.isfinite(s).any() else np.full(3, np.nan)
            cut = np.tile(c, (len(out), 1))
        else:
            by_year = {}
            for y in years:
                s = out.score[out.year == y].to_numpy(dtype=float)
                by_year[y] = np.nanquantile(s, q) if np.isfinite(s).any() else np.full(3, np.nan)
            cut = np.vstack([by_year[y] for y in out.year]) if len(out) else np.zeros((0, 3))
    s = out.score.to_numpy(dtype=float)
    g = np.where(np.isnan(s), -1, 3 - np.sum(s[:, None] >= cut, axis=1)) if len(out) else np.zeros(0, int)
    labels = np.array([*GRADES, None], dtype=object)
    out["grade_by_score"] = labels[g]
    out["cutoff_green"], out["cutoff_blue"], out["cutoff_yellow"] = cut.T if len(out) else ([], [], [])
    out["red_line"] = False
    out["red_line_codes"] = ""
    if cfg.red_lines and red is not None and len(red):
        hit = red[pd.to_numeric(red.value, errors="coerce") > 0]
        codes = hit.groupby(["unit_id", "year"]).indicator.agg(lambda c: ",".join(sorted(c)))
        key = pd.MultiIndex.from_frame(out[["unit_id", "year"]])
        out["red_line_codes"] = codes.reindex(key).fillna("").to_numpy()
        out["red_line"] = out.red_line_codes != ""
    out["grade"] = np.where(out.red_line, "red", out.grade_by_score)
    out.loc[out.score.isna() & ~out.red_line, "grade"] = None
    out["grade_zh"] = out.grade.map(GRADE_ZH)
    out["method"] = f"{cfg.method}/{cfg.reference}" if cfg.method == "quantile" else "absolute"
    return out[["unit_id", "year", "score", "grade", "grade_zh", "grade_by_score", "red_line", "red_line_codes",
                "cutoff_green", "cutoff_blue", "cutoff_yellow", "method"]]


def dimension_grades(scores: pd.DataFrame, cfg, level: int = 1) -> pd.DataFrame:
    """Four-colour grades of the nodes of one ``level`` (default the dimensions), each node graded
    on its own scores by the same rule as the composite index (red lines apply to the index only).

    ``scores``: ``IndexResult.scores`` (``unit_id, year, node, level, score``); ``cfg``: the
    ``grades`` section. Returns ``unit_id, year, node, score, grade``.

    Examples
    --------
    With the absolute cut-offs green ≥ 85, blue ≥ 70, yellow ≥ 60 (by hand: 90 green, 75 blue,
    65 yellow, 50 red):

    >>> from analysis.scoring.config import GradeConfig
    >>> s = pd.DataFrame({"unit_id": ["A", "B", "C", "D"], "year": 2024, "node": "D1", "level": 1,
    ...                   "score": [90.0, 75.0, 65.0, 50.0]})
    >>> dimension_grades(s, GradeConfig(method="absolute")).grade.tolist()
    ['green', 'blue', 'yellow', 'red']
    """
    part = scores[scores.level == level]
    rule = replace(cfg, red_lines=False)
    graded = [assign_grades(g[["unit_id", "year", "score"]], rule).assign(node=node)
              for node, g in part.groupby("node", sort=True)]
    if not graded:
        return pd.DataFrame(columns=["unit_id", "year", "node", "score", "grade"])
    return pd.concat(graded, ignore_index=True)[["unit_id", "year", "node", "score", "grade"]]
