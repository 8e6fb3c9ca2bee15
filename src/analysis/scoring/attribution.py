"""Attribution of change (变动归因): how much each leaf and dimension moved the index.

Between consecutive panel years (:func:`attribute_changes`, in every index run) or between any
two years or periods of one index run (:func:`compare_two`: 2019 vs 2024, 2023H1 vs 2024H1).
For a unit scored in years (periods) :math:`a` and :math:`b`, with normalised
leaf vectors :math:`x_a, x_b` and the index as a function :math:`F_t` of the leaves (the tree
with year :math:`t`'s weights and methods), the contribution of leaf :math:`l` is the symmetric
one-at-a-time effect

.. math::

   c_l = \\tfrac12\\big[F_a(x_a \\oplus_l x_b) - F_a(x_a)\\big] + \\tfrac12\\big[F_b(x_b) - F_b(x_b \\oplus_l x_a)\\big],

where :math:`x \\oplus_l y` is :math:`x` with leaf :math:`l` taken from :math:`y`. A dimension's
contribution is the sum of its leaves'. The remainder :math:`\\Delta F - \\sum_l c_l` is
reported as its own row ``interaction`` (交互及权重变化项): interactions between leaves in
non-linear aggregation, weight changes between framework versions, and leaves entering or
leaving through missing data.

**Exact case.** With arithmetic aggregation at every level, the same weights in both years and
the same leaves available, :math:`F` is linear, :math:`c_l = e_l (x_{l,b} - x_{l,a})` with
:math:`e_l` the leaf's effective weight, and the remainder is zero: the decomposition is exact
(``exact = True``). **Otherwise** (geometric, MPI, TOPSIS, reweighting, missing leaves) it is the
documented approximation above: the two one-at-a-time paths (change leaf :math:`l` first / last)
are averaged, which is the two-point Shapley value for each leaf against the rest, and what
is not attributable is shown, not hidden. With TOPSIS the ideal and anti-ideal are those of the
two years compared.

References: Shapley (1953) as applied to index decompositions by Shorrocks (2013), *J. Econ.
Inequality* 11:99–126; the arithmetic case is the contribution analysis of the OECD/JRC (2008)
*Handbook*, step 8 ("back to the data").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dataclasses import dataclass

from .aggregate import Tree, aggregate_tree


def attribute_changes(norm: np.ndarray, weights: np.ndarray, tree: Tree, methods, years: list[int],
                      unit_ids: list[str], scored: np.ndarray, *, root_scores: np.ndarray,
                      dimension_level: int = 1, pairs: list[tuple[int, int]] | None = None,
                      adjustment: np.ndarray | None = None, **agg) -> pd.DataFrame:
    """Tidy attribution table.

    Parameters
    ----------
    norm : ``(Y, U, L)`` normalised leaf values; ``weights`` ``(Y, n_nodes)`` within-parent weights.
    root_scores : ``(Y, U)`` the index as built (its difference is the change attributed).
    methods, agg : as for :func:`~.aggregate.aggregate_tree`.
    pairs : the ``(a, b)`` positions on the year axis to compare; default every consecutive pair.
    adjustment : ``(Y, U)`` points added to the root after aggregation (positive and negative list
        items); its change is reported as its own component (``kind = list``).

    Returns ``unit_id, year, from_year, component, kind (leaf | dimension | interaction), parent,
    change, contribution, share, exact`` where ``change`` is the unit's index change and ``share``
    the contribution divided by it.
    """
    L = tree.n_leaves
    rows = []
    dims = [j for j in range(L, len(tree.nodes)) if tree.level[j] == dimension_level]
    # leaf → dimension ancestor
    leaf_dim = {}
    for l in range(L):
        j = l
        while j >= 0 and tree.level[j] > dimension_level:
            j = tree.parent[j]
        leaf_dim[l] = j if j >= 0 and tree.level[j] == dimension_level else -1
    all_arith = (methods == "arithmetic") if isinstance(methods, str) else all(
        methods.get(int(tree.level[j]), "arithmetic") == "arithmetic" for j in range(L, len(tree.nodes)))
    for a, b in (pairs if pairs is not None else [(b - 1, b) for b in range(1, len(years))]):
        both = scored[a] & scored[b] & np.isfinite(root_scores[a]) & np.isfinite(root_scores[b])
        if not both.any():
            continue
        ui = np.flatnonzero(both)
        xa, xb = norm[a][ui], norm[b][ui]                      # (u, L)
        wpair = np.stack([weights[a], weights[b]])             # (2, n)
        base = aggregate_tree(np.stack([xa, xb]), tree, wpair, methods, **agg)[..., tree.root]  # (2, u)
        var = np.empty((L, 2, len(ui), L))
        var[:, 0] = xa
        var[:, 1] = xb
        idx = np.arange(L)
        var[idx, 0, :, idx] = xb.T
        var[idx, 1, :, idx] = xa.T
        f = aggregate_tree(var, tree, wpair[None], methods, **agg)[..., tree.root]    # (L, 2, u)
        with np.errstate(invalid="ignore"):
            c = 0.5 * (f[:, 0] - base[0]) + 0.5 * (base[1] - f[:, 1])               # (L, u)
        c = np.where(np.isfinite(c), c, 0.0)
        change = root_scores[b][ui] - root_scores[a][ui]
        lists = np.zeros(len(ui)) if adjustment is None else np.nan_to_num(adjustment[b][ui] - adjustment[a][ui])
        resid = change - c.sum(axis=0) - lists
        same = np.isnan(xa) == np.isnan(xb)
        # exact: linear aggregation, same weights, same leaves available in both years
        exact_u = bool(all_arith and np.allclose(weights[a], weights[b])) & same.all(axis=1)
        dim_c = np.array([c[[l for l in range(L) if leaf_dim[l] == j]].sum(axis=0) for j in dims]).reshape(len(dims), -1)
        extra = [] if adjustment is None else [lists[None, :]]
        contrib = np.vstack([c, dim_c, *extra, resid[None, :]])                  # (n_comp, u)
        comp = [*tree.nodes[:L], *(tree.nodes[j] for j in dims), *(["lists"] if extra else []), "interaction"]
        kind = ["leaf"] * L + ["dimension"] * len(dims) + (["list"] if extra else []) + ["interaction"]
        parent = [tree.nodes[leaf_dim[l]] if leaf_dim[l] >= 0 else "" for l in range(L)] \
            + [tree.nodes[tree.root]] * len(dims) + ([tree.nodes[tree.root]] if extra else []) + [""]
        n_comp = len(comp)
        rows.append(pd.DataFrame({
            "unit_id": np.repeat(np.asarray(unit_ids, dtype=object)[ui], n_comp),
            "year": years[b], "from_year": years[a],
            "component": np.tile(comp, len(ui)), "kind": np.tile(kind, len(ui)),
            "parent": np.tile(parent, len(ui)),
            "change": np.repeat(change, n_comp),
            "contribution": contrib.T.ravel(),
            "exact": np.repeat(exact_u, n_comp),
        }))
    cols = ["unit_id", "year", "from_year", "component", "kind", "parent", "change", "contribution", "share", "exact"]
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(out.change != 0, out.contribution / out.change, np.nan)
    return out[cols]


@dataclass
class Comparison:
    """Two years (or periods) of one index run compared.

    ``nodes``: ``unit_id, from_year, year, node, level, score_from, score, change, rank_from, rank,
    rank_change`` for every unit scored in both and every node (rank change positive = moved up);
    ``attribution``: as :func:`attribute_changes` for that pair (leaves, dimensions, list items,
    interaction; ``contribution`` of the leaves + list items + ``interaction`` = ``change``).
    """

    nodes: pd.DataFrame
    attribution: pd.DataFrame


def compare_two(result, year_from: int, year_to: int, dimension_level: int = 1) -> Comparison:
    """Compare any two years of an :class:`~.build.IndexResult` (e.g. 2019 and 2024) for every unit
    and node, with the attribution of each unit's index change to its leaves and dimensions.

    The attribution is the symmetric one-at-a-time decomposition of the module docstring, applied
    to the pair ``(year_from, year_to)`` instead of consecutive years: with arithmetic aggregation
    and the same weights in both years it is exact (``interaction = 0``); otherwise the remainder is
    shown as ``interaction``, so that the components always add up to the change.
    """
    model = result.model
    years = list(model.panel.years)
    missing = [y for y in (year_from, year_to) if y not in years]
    if missing:
        raise ValueError(f"年度(期别)不在指数中:{missing} / not in this index run: {missing}")
    a, b = years.index(year_from), years.index(year_to)
    scores = result.scores
    root = scores[scores.level == 0]
    root_arr = np.full(model.panel.scored.shape, np.nan)
    yi = pd.Index(years).get_indexer(root.year)
    ui = pd.Index(model.panel.unit_ids).get_indexer(root.unit_id)
    root_arr[yi, ui] = root.score.to_numpy(dtype=float)
    att = attribute_changes(model.normalised(), model.weights, model.tree, model.methods, years,
                            model.panel.unit_ids, model.panel.scored, root_scores=root_arr,
                            dimension_level=dimension_level, pairs=[(a, b)],
                            adjustment=getattr(model, "adjustment", None), **model.aggregate_options())
    cols = ["unit_id", "node", "level", "score", "rank"]
    x = scores[scores.year == year_from][cols].rename(columns={"score": "score_from", "rank": "rank_from"})
    y = scores[scores.year == year_to][cols]
    nodes = x.merge(y, on=["unit_id", "node", "level"], how="inner")
    nodes.insert(1, "from_year", year_from)
    nodes.insert(2, "year", year_to)
    nodes["change"] = nodes.score - nodes.score_from
    nodes["rank_change"] = (nodes.rank_from - nodes["rank"]).astype("Int64")
    nodes = nodes[["unit_id", "from_year", "year", "node", "level", "score_from", "score", "change",
                   "rank_from", "rank", "rank_change"]].sort_values(["unit_id", "level", "node"])
    return Comparison(nodes.reset_index(drop=True), att.reset_index(drop=True))
