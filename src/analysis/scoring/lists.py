"""Positive and negative list items (正面评价事项 / 负面定量评价): bonus and deduction points.

The pilot scores, besides its monitoring points, declared list items: positive evaluation items
(e.g. a commendation by a higher authority, an experience promoted province-wide) that add points,
and negative quantitative items (e.g. a circulated criticism, a problem exposed by a higher
inspection) that subtract points. They are framework rows with ``role = bonus`` or ``deduction``,
``points`` per event and an optional ``cap`` per item and period; their values are event counts
reported like observations (summed over the quarters of the period).

For unit :math:`u` in year (period) :math:`t`, with :math:`n_{iut}` events of item :math:`i`,

.. math::

   B_{ut} = \\sum_{i \\in \\text{bonus}} \\min(c_i,\\, p_i n_{iut}), \\qquad
   D_{ut} = \\sum_{i \\in \\text{deduction}} \\min(c_i,\\, p_i n_{iut}),

and the composite index is :math:`\\min(s, \\max(0, I_{ut} + B_{ut} - D_{ut}))` with :math:`I` the
aggregated monitoring points and :math:`s` the scale (100): the points move the index on its own
scale and never take it outside it (with z-score or rank normalisation, which have no fixed
scale, :math:`I + B - D` is not bounded). The dimensions are not adjusted (an item is an event about the
unit as a whole); the attribution of a change shows the change of :math:`B - D` as its own
component (``lists``). A missing count is no event. This follows the 加分/减分 practice of Chinese
assessment schemes, where bonus and deduction items carry fixed points with a ceiling per item.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..framework import LIST_ROLES, for_year

COLUMNS = ["unit_id", "year", "indicator", "role", "events", "points_each", "cap", "points"]


def list_points(values: pd.DataFrame, framework: pd.DataFrame, years: list[int], unit_ids: list[str],
                scored: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Points of every list item for the scored unit-years.

    Parameters
    ----------
    values : the panel ``unit_id, year, indicator, value`` (list items' event counts included).
    framework : with ``role``, ``points``, ``cap`` (and year versions).
    years, unit_ids, scored : the axes of the index run and its ``(Y, U)`` scored mask.

    Returns ``(table, adjustment)``: one row per unit-year-item with at least one event
    (``unit_id, year, indicator, role, events, points_each, cap, points``; ``points`` signed,
    negative for deductions, after the cap) and the ``(Y, U)`` array of :math:`B - D`.

    >>> fw = pd.DataFrame({"code": ["B1", "N1"], "parent": "PE", "role": ["bonus", "deduction"],
    ...                    "points": [1.0, 2.0], "cap": [3.0, np.nan], "valid_from": np.nan, "valid_to": np.nan})
    >>> vals = pd.DataFrame({"unit_id": ["A", "A", "B"], "year": 2024, "indicator": ["B1", "N1", "B1"],
    ...                      "value": [5.0, 1.0, 2.0]})
    >>> tab, adj = list_points(vals, fw, [2024], ["A", "B"], np.array([[True, True]]))
    >>> adj.tolist()          # A: min(3, 1 × 5) − 2 × 1 = 1; B: min(3, 1 × 2) = 2
    [[1.0, 2.0]]
    """
    adjustment = np.zeros((len(years), len(unit_ids)))
    items = framework[framework.role.isin(LIST_ROLES)]
    if items.empty or values.empty:
        return pd.DataFrame(columns=COLUMNS), adjustment
    rows = []
    for y in years:
        meta = for_year(items.assign(parent=""), int(y)).drop_duplicates("code", keep="last").set_index("code")
        v = values[(values.year == y) & values.indicator.isin(meta.index)]
        v = v[pd.to_numeric(v.value, errors="coerce") > 0]
        if v.empty:
            continue
        m = meta.reindex(v.indicator)
        each = m.points.to_numpy(dtype=float)
        cap = m.cap.to_numpy(dtype=float)
        raw = each * v.value.to_numpy(dtype=float)
        pts = np.where(np.isnan(cap), raw, np.minimum(raw, cap))
        sign = np.where(m.role.to_numpy() == "bonus", 1.0, -1.0)
        rows.append(pd.DataFrame({"unit_id": v.unit_id.astype(str).to_numpy(), "year": y,
                                  "indicator": v.indicator.to_numpy(), "role": m.role.to_numpy(),
                                  "events": v.value.to_numpy(dtype=float), "points_each": each, "cap": cap,
                                  "points": sign * pts}))
    if not rows:
        return pd.DataFrame(columns=COLUMNS), adjustment
    table = pd.concat(rows, ignore_index=True)
    yi = pd.Index(years).get_indexer(table.year)
    ui = pd.Index(unit_ids).get_indexer(table.unit_id)
    ok = (yi >= 0) & (ui >= 0)
    ok &= scored[np.where(ok, yi, 0), np.where(ok, ui, 0)]
    table = table[ok].reset_index(drop=True)
    np.add.at(adjustment, (yi[ok], ui[ok]), table.points.to_numpy(dtype=float))
    return table[COLUMNS].sort_values(["unit_id", "year", "indicator"]).reset_index(drop=True), adjustment


def apply_adjustment(root: np.ndarray, adjustment: np.ndarray | None, bounds: tuple[float, float] | None) -> np.ndarray:
    """:math:`I + B - D`, kept within ``bounds`` (``(0, s)`` for the bounded normalisations; ``None``
    for z-scores and ranks, which have no fixed scale) where the adjustment is not zero; ``root``
    (any leading axes before ``(Y, U)``) is unchanged elsewhere."""
    if adjustment is None or not np.any(adjustment):
        return root
    adjusted = root + adjustment
    if bounds is not None:
        adjusted = np.clip(adjusted, *bounds)
    return np.where(adjustment != 0, adjusted, root)
