"""What-if weights (方案比较): two index configurations on the same data, unit by unit.

:func:`compare_configs` builds the index under each configuration and returns, for every unit of
the year, its score, rank and grade under both, and what changed; :func:`comparison_summary`
says how much the ranking moved (Spearman's rank correlation, scipy) and how many grades changed.
"""
from __future__ import annotations

import pandas as pd
from scipy import stats

from .scoring.grades import GRADES


def compare_configs(values: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, config_a, config_b,
                    year: int) -> pd.DataFrame:
    """Score, rank and grade of every unit in ``year`` under configurations ``a`` and ``b``.

    Columns: ``unit_id, type, region, score_a, rank_a, grade_a, score_b, rank_b, grade_b,
    score_change`` (b − a), ``rank_change`` (rank_a − rank_b, positive = moved up under b),
    ``grade_steps`` (colours gained under b, e.g. yellow → blue = +1), ``grade_changed``.
    Sorted by the size of the rank change.
    """
    from .scoring.build import build_index

    order = {g: i for i, g in enumerate(GRADES)}
    parts = []
    for tag, cfg in (("a", config_a), ("b", config_b)):
        ix = build_index(values, framework, units, cfg).index()
        now = ix[ix.year == year][["unit_id", "type", "region", "score", "rank", "grade"]]
        parts.append(now.rename(columns={"score": f"score_{tag}", "rank": f"rank_{tag}", "grade": f"grade_{tag}"}))
    out = parts[0].merge(parts[1].drop(columns=["type", "region"]), on="unit_id", how="outer")
    out["score_change"] = out.score_b - out.score_a
    out["rank_change"] = out.rank_a - out.rank_b
    out["grade_steps"] = (out.grade_a.map(order) - out.grade_b.map(order)).astype("Int64")
    out["grade_changed"] = out.grade_a != out.grade_b
    key = out.rank_change.abs()
    return out.assign(_k=key).sort_values(["_k", "unit_id"], ascending=[False, True]).drop(columns="_k").reset_index(drop=True)


def comparison_summary(table: pd.DataFrame) -> pd.DataFrame:
    """How far apart the two rankings are: Spearman's ρ of the scores (scipy ``spearmanr``),
    the largest rank shift, and the number of units whose grade changed (up, down).

    >>> t = pd.DataFrame({"score_a": [90.0, 80, 70, 60], "score_b": [80.0, 90, 70, 60],
    ...                   "rank_change": [-1, 1, 0, 0], "grade_steps": [0, 1, 0, -1],
    ...                   "grade_changed": [False, True, False, True]})
    >>> s = comparison_summary(t).iloc[0]
    >>> float(round(s.spearman_rho, 3)), float(round(stats.spearmanr([90, 80, 70, 60], [80, 90, 70, 60]).statistic, 3))
    (0.8, 0.8)
    >>> int(s.max_rank_shift), int(s.n_grade_changed), int(s.n_grade_up), int(s.n_grade_down)
    (1, 2, 1, 1)
    """
    ok = table.dropna(subset=["score_a", "score_b"])
    rho = stats.spearmanr(ok.score_a, ok.score_b).statistic if len(ok) > 2 else float("nan")
    return pd.DataFrame([{
        "n_units": len(table), "spearman_rho": rho, "max_rank_shift": int(table.rank_change.abs().max()),
        "n_grade_changed": int(table.grade_changed.sum()), "n_grade_up": int((table.grade_steps > 0).sum()),
        "n_grade_down": int((table.grade_steps < 0).sum())}])
