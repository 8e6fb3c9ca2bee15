"""Uncertainty and sensitivity analysis of the index (不确定性与敏感性分析).

The uncertain choices are declared in the **same config** that builds the index, under the
key ``uncertainty`` (OECD/JRC 2008 Handbook step 7; COINr ``get_sensitivity``):

.. code-block:: yaml

    normalisation: {method: minmax, reference: pooled}
    aggregation: {method: arithmetic}
    missing: {method: region_mean}
    uncertainty:
      samples: 128             # N, the Sobol' base sample (a power of two); runs = N (k + 2)
      seed: 20241
      weights: 0.25            # each node's weight times U(1 - 0.25, 1 + 0.25), siblings renormalised
      normalisation: [minmax, zscore, rank]
      aggregation: [arithmetic, geometric]
      missing: [region_mean, locf]
      drop_leaves: true        # or a list of leaf codes; each run drops none or one of them
      confidence: 0.95

:func:`validate_uncertainty` checks all of it **before anything runs**: every varied step must
exist in the nominal build (the nominal method must be one of the alternatives listed, a
dropped leaf must be a scored leaf of the framework), and every combination of alternatives
must itself be a valid index config (e.g. geometric aggregation of z-scores is refused up
front, not in draw 417). This answers COINr issues #50/#60 (a varied step missing from the
nominal coin silently changes the results).

Sampling: each uncertain choice is one factor (all weight multipliers form one group, so
the weights are one "factor" for the sensitivity indices). Discrete choices are encoded as
binned uniforms: ``u ~ U[0, 1)`` selects alternative ``floor(u · m)`` of ``m``. The design is
Saltelli's (Sobol' quasi-random sequence, ``SALib.sample.sobol.sample`` with
``calc_second_order=False``), ``N (k + 2)`` runs for ``k`` factors; every run is a draw from
the input distribution, so all runs also serve the uncertainty statistics (as in COINr).

Outputs (:class:`UncertaintyResult`):

- ``ranks``: per unit and year, the nominal rank and score, the median rank, the 5th and
  95th percentile ranks (a 90% interval), the mean rank, and the probability of each colour
  grade (red lines stay red in every run);
- ``sensitivity``: first-order ``S1`` and total ``ST`` Sobol' indices of each factor with
  bootstrap confidence intervals (``SALib.analyze.sobol.analyze``; Saltelli et al. 2010
  estimators), for the scalar output COINr uses: the mean absolute rank shift of all scored
  unit-years against the nominal ranks;
- ``draws``: one row per run with the parameters used (normalisation, aggregation,
  imputation, dropped leaf, range of the weight multipliers) and descriptive statistics of
  the run (mean and sd of the index, mean absolute rank shift) (COINr issue #60);
- ``draw_weights``: ``draw, node, multiplier`` (the weight perturbation of each run).

Vectorised: every run is computed by :func:`root_scores`, an array engine over a draws axis
that reproduces :func:`analysis.scoring.build_index` exactly for the nominal draw
(tested). Runs are grouped by their discrete choices, normalised once per group, and
aggregated for all their weight draws at once (matrix products for the nodes whose children
are leaves, element-wise arrays ``(unit-years × draws)`` above them).

References: Saltelli, A. et al. (2008) *Global Sensitivity Analysis: The Primer*, Wiley;
Saltelli, A. et al. (2010) Comput. Phys. Commun. 181, 259–270; Saisana, M., Saltelli, A. &
Tarantola, S. (2005) JRSS A 168, 307–323 (uncertainty and sensitivity of composite
indicators); Herman, J. & Usher, W. (2017) SALib, JOSS 2(9), 97; Becker et al. (2022) COINr.
"""
from __future__ import annotations

import copy
import itertools
import warnings
from dataclasses import dataclass, field
import numpy as np
import pandas as pd

from ..errors import ConfigError
from .aggregate import METHODS as AGG_METHODS
from .build import IndexModel, compile_index, require_config_object
from .config import MISSING_METHODS, IndexConfig, load_config
from .grades import GRADES
from .normalise import METHODS as NORM_METHODS

FACTORS = ("weights", "normalisation", "aggregation", "missing", "drop_leaves")


def _fail(key: str, zh: str, en: str):
    raise ConfigError(f"配置项 uncertainty.{key}:{zh} / config key uncertainty.{key}: {en}")


# --------------------------------------------------------------------------- config

@dataclass(frozen=True)
class UncertaintySpec:
    """The ``uncertainty`` section of the run config (see the module docstring)."""

    samples: int = 128
    seed: int = 20241
    weights: float = 0.0
    normalisation: tuple = ()
    aggregation: tuple = ()
    missing: tuple = ()
    drop_leaves: tuple = ()
    confidence: float = 0.95
    resamples: int = 200
    chunk: int = 0

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def split_config(source) -> tuple[dict | IndexConfig | None, dict]:
    """The run config (a mapping or an :class:`IndexConfig`, never a path: files are read by the
    caller) and its ``uncertainty`` section: one config serves :func:`build_index` (which carries
    the section unvalidated) and this module (which validates it)."""
    if source is None:
        return None, {}
    require_config_object(source, "run_uncertainty")
    if isinstance(source, IndexConfig):
        return source, dict(getattr(source, "uncertainty", {}) or {})
    if not isinstance(source, dict):
        raise ConfigError("配置须为键值映射 / the config must be a mapping")
    data = copy.deepcopy(source)
    if set(data) == {"index"}:
        data = data["index"]
    return data, dict(data.get("uncertainty") or {})


def validate_uncertainty(spec: dict | UncertaintySpec, config: IndexConfig, framework: pd.DataFrame) -> UncertaintySpec:
    """Validate the ``uncertainty`` section against the nominal config and framework.

    Raises :class:`ConfigError` (Chinese first) if a key is unknown, a value is out of range,
    a varied step's nominal choice is not among its alternatives, a dropped leaf is not a
    scored leaf, or a combination of alternatives is not a valid index config.
    """
    if isinstance(spec, UncertaintySpec):
        data = spec.to_dict()
    else:
        data = dict(spec or {})
    known = set(UncertaintySpec.__dataclass_fields__)
    extra = set(data) - known
    if extra:
        _fail(sorted(extra)[0], f"未知配置项,可用的有 {sorted(known)}", f"unknown key; known: {sorted(known)}")
    samples = data.get("samples", 128)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        _fail("samples", f"须为不小于 2 的整数,现为 {samples!r}", f"must be an integer >= 2, got {samples!r}")
    seed = data.get("seed", 20241)
    if isinstance(seed, bool) or not isinstance(seed, int):
        _fail("seed", f"须为整数,现为 {seed!r}", f"must be an integer, got {seed!r}")
    w = data.get("weights", 0.0)
    if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0.0 <= w < 1.0:
        _fail("weights", f"权重扰动幅度须在 [0, 1) 内,现为 {w!r}", f"weight perturbation must lie in [0, 1), got {w!r}")
    conf = data.get("confidence", 0.95)
    if not isinstance(conf, (int, float)) or not 0.5 <= conf < 1.0:
        _fail("confidence", f"须在 [0.5, 1) 内,现为 {conf!r}", f"must lie in [0.5, 1), got {conf!r}")
    resamples = data.get("resamples", 200)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 10:
        _fail("resamples", f"须为不小于 10 的整数,现为 {resamples!r}", f"must be an integer >= 10, got {resamples!r}")
    chunk = data.get("chunk", 0)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 0:
        _fail("chunk", f"须为非负整数,现为 {chunk!r}", f"must be a non-negative integer, got {chunk!r}")

    def alternatives(key, allowed, nominal, label):
        alts = data.get(key) or ()
        if isinstance(alts, str):
            alts = (alts,)
        alts = tuple(alts)
        for a in alts:
            if a not in allowed:
                _fail(key, f"备选 {a!r} 无效,须为 {list(allowed)} 之一", f"alternative {a!r} is not one of {list(allowed)}")
        if len(set(alts)) != len(alts):
            _fail(key, "备选方案有重复", "alternatives are repeated")
        if alts and nominal not in alts:
            _fail(key, f"名义方案({label} = {nominal})不在备选 {list(alts)} 中:被改变的步骤必须存在于名义构建中",
                  f"the nominal choice ({label} = {nominal}) is not among the alternatives {list(alts)}: "
                  "every varied step must exist in the nominal build")
        return alts

    norm = alternatives("normalisation", NORM_METHODS, config.normalisation.method, "normalisation.method")
    nominal_agg = config.aggregation.method
    agg = alternatives("aggregation", AGG_METHODS, nominal_agg, "aggregation.method")
    miss = alternatives("missing", MISSING_METHODS, config.missing.method, "missing.method")

    scored = framework[framework.role == "score"].code.drop_duplicates().tolist()
    drop = data.get("drop_leaves", ())
    if drop is True:
        drop = tuple(scored)
    elif drop in (False, None):
        drop = ()
    else:
        drop = tuple(drop)
        bad = [c for c in drop if c not in scored]
        if bad:
            _fail("drop_leaves", f"{bad} 不是指标体系中参与评分的监测点", f"{bad} are not scored leaves of the framework")

    # every combination must be a valid index config (checked now, not in the middle of a run)
    for n_, a_, m_ in itertools.product(norm or (config.normalisation.method,), agg or (nominal_agg,),
                                        miss or (config.missing.method,)):
        changes = {"normalisation": {"method": n_}, "missing": {"method": m_}}
        if a_ != nominal_agg:
            changes["aggregation"] = {"method": a_, "levels": {}}
        try:
            config.replace(**changes)
        except ConfigError as exc:
            raise ConfigError(
                f"不确定性分析的组合 normalisation={n_}, aggregation={a_}, missing={m_} 无效:{exc} / the uncertainty "
                f"combination normalisation={n_}, aggregation={a_}, missing={m_} is not a valid config: {exc}") from exc
    return UncertaintySpec(samples=samples, seed=seed, weights=float(w), normalisation=norm, aggregation=agg,
                           missing=miss, drop_leaves=drop, confidence=float(conf), resamples=resamples, chunk=chunk)


# --------------------------------------------------------------------------- the array engine

def root_scores(norm: np.ndarray, model: IndexModel, multipliers: np.ndarray, methods, *,
                chunk: int = 0, max_patterns: int = 256) -> np.ndarray:
    """Root scores ``(Y, U, D)`` of ``D`` weight draws on normalised leaves ``norm (Y, U, L)``.

    ``multipliers (D, n_nodes)`` scale each node's nominal within-parent weight
    (``model.weights``, per year); 0 drops a node. ``methods`` is the aggregation method per
    parent level (a dict) or one method for all levels. The rules are those of
    :mod:`.aggregate`: the weights of the available children are renormalised, a node needs
    ``min_share`` of its expected children (positive weight), geometric means floor their
    inputs, TOPSIS takes ideal and anti-ideal over the reference set per draw. Unit-years that
    are not scored (coverage rule) are NaN.

    Fast path (every level ``arithmetic``, or every level ``geometric``): the index is then
    linear in the leaves (in their logarithms for geometric means, whose floor only binds at
    the leaves), so for all unit-years of one year that share the same pattern of available
    leaves the root is ``X @ E_dᵀ`` with ``E_d`` the effective leaf weights of draw ``d``
    after renormalisation and the minimum-data rule. The ``max_patterns`` most frequent
    patterns take this path, the remaining rows (and every other method) the general
    element-wise path over ``(unit-years × draws)``.
    """
    tree = model.tree
    Y, U, L = norm.shape
    N, D = Y * U, multipliers.shape[0]
    X = norm.reshape(N, L)
    yidx = np.repeat(np.arange(Y), U)
    rows = np.flatnonzero(model.panel.scored.reshape(N))
    out = np.full((N, D), np.nan)
    kinds = {methods} if isinstance(methods, str) else {
        methods.get(int(tree.level[j]), "arithmetic") for j in range(tree.n_leaves, len(tree.nodes))}
    if len(kinds) == 1 and kinds <= {"arithmetic", "geometric"}:
        kind = kinds.pop()
        rest = _linear_path(X, yidx, rows, model, multipliers, kind, out, max_patterns)
        if len(rest):
            out[rest] = _general_path(X[rest], yidx[rest], model, multipliers, kind, chunk)
    elif len(rows):
        out[rows] = _general_path(X[rows], yidx[rows], model, multipliers, methods, chunk)
    return out.reshape(Y, U, D)


def _linear_path(X, yidx, rows, model, mult, kind, out, max_patterns) -> np.ndarray:
    """Fill ``out`` for the rows of the most frequent (year, available leaves) patterns;
    return the rows left for the general path."""
    if not len(rows):
        return rows
    opts = model.aggregate_options()
    avail = ~np.isnan(X[rows])
    # one key per row: its year and its packed availability bits (a 1-D byte string sorts fast)
    packed = np.column_stack([yidx[rows].astype("<u4").view(np.uint8).reshape(len(rows), 4),
                              np.packbits(avail, axis=1)])
    packed = np.ascontiguousarray(packed)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    order = np.argsort(-counts, kind="stable")
    with np.errstate(divide="ignore"):
        V = np.nan_to_num(X) if kind == "arithmetic" else np.where(
            np.isnan(X), 0.0, np.log(np.maximum(np.nan_to_num(X, nan=1.0), opts["floor"])))
    for p in order[:max_patterns]:
        r = rows[inverse == p]
        row = first[p]
        E, ok = _effective_leaf_weights(model, int(yidx[rows[row]]), avail[row], mult, opts["min_share"])
        # numpy's own sum-of-products loop, not BLAS: a BLAS product may round a column differently
        # with the number of columns (gemv for one draw, edge kernels), and a run's numbers must not
        # depend on the chunk of draws it is computed in
        s = np.einsum("rl,dl->rd", V[r], E)
        out[r] = np.where(ok[None, :], s if kind == "arithmetic" else np.exp(s), np.nan)
    return rows[np.isin(inverse, order[max_patterns:])]


def _effective_leaf_weights(model, year_index, avail, mult, min_share):
    """Effective leaf weights ``E (D, L)`` of the root and its availability ``(D,)`` for one
    year and one pattern of available leaves, following the kernel's rules node by node."""
    tree = model.tree
    L, D = tree.n_leaves, mult.shape[0]
    w0 = np.asarray(model.weights, dtype=float)[year_index]
    E: dict[int, np.ndarray] = {}
    A: dict[int, np.ndarray] = {}
    for j in range(L, len(tree.nodes)):
        kids = tree.children[j]
        w = w0[kids][None, :] * mult[:, kids]
        e = w > 0
        a = e & np.column_stack([np.full(D, avail[c]) if c < L else A.pop(c) for c in kids])
        n_exp, n_av = e.sum(axis=1), a.sum(axis=1)
        share = np.where(n_exp > 0, n_av / np.maximum(n_exp, 1), 0.0)
        A[j] = ~((n_av == 0) | (share < min_share - 1e-12))
        wa = np.where(a, w, 0.0)
        tot = wa.sum(axis=1, keepdims=True)
        wn = np.where(tot > 0, wa / np.where(tot > 0, tot, 1.0), 0.0)
        Ej = np.zeros((D, L))
        for i, c in enumerate(kids):
            if c < L:
                Ej[:, c] += wn[:, i]
            else:
                Ej += wn[:, [i]] * E.pop(c)
        E[j] = Ej
    return E[tree.root], A[tree.root]


def _general_path(X, yidx, model, mult, methods, chunk) -> np.ndarray:
    """Element-wise engine over ``(rows × draws)`` for any mix of methods; draws in chunks."""
    N, D = X.shape[0], mult.shape[0]
    chunk = chunk or max(1, min(D, int(2e7 // max(N, 1))))
    if D > chunk:
        return np.concatenate([_general_path(X, yidx, model, mult[i:i + chunk], methods, chunk)
                               for i in range(0, D, chunk)], axis=1)
    tree = model.tree
    opts = model.aggregate_options()
    w0 = np.asarray(model.weights, dtype=float)
    vals: dict[int, np.ndarray] = {}
    for j in range(tree.n_leaves, len(tree.nodes)):
        kids = tree.children[j]
        method = methods if isinstance(methods, str) else methods.get(int(tree.level[j]), "arithmetic")
        xs = [X[:, [c]] if c < tree.n_leaves else vals.pop(c) for c in kids]
        vals[j] = _node(xs, w0[yidx][:, kids], mult[:, kids], method, opts, yidx)
    return vals[tree.root]


def _node(xs, w0r, u, method, opts, yidx):
    """One node over ``(rows, D)``; children ``xs`` broadcastable to it (leaves are ``(rows, 1)``)."""
    N, D = w0r.shape[0], u.shape[0]
    num, den = np.zeros((N, D)), np.zeros((N, D))
    sq = np.zeros((N, D)) if method == "mpi" else None
    n_av, n_exp = np.zeros((N, D)), np.zeros((N, D))
    ws = []
    for c, x in enumerate(xs):
        w = w0r[:, [c]] * u[None, :, c]
        e = w > 0
        a = e & ~np.isnan(x)
        ws.append(w)
        n_exp += e
        n_av += a
        wa = np.where(a, w, 0.0)
        den += wa
        if method == "topsis":
            continue
        if method == "geometric":
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.log(np.maximum(np.where(a, x, 1.0), opts["floor"]))
        else:
            v = np.where(a, x, 0.0)
        num += wa * v
        if sq is not None:
            sq += wa * v * v
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_exp > 0, n_av / np.maximum(n_exp, 1), 0.0)
        fail = (n_av == 0) | (share < opts["min_share"] - 1e-12)
        if method == "topsis":
            out = _topsis(xs, ws, opts["reference"], opts["scale"], yidx)
        else:
            m = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
            if method == "geometric":
                out = np.exp(m)
            elif method == "mpi":
                var = np.maximum(np.where(den > 0, sq / np.where(den > 0, den, 1.0), 0.0) - m * m, 0.0)
                out = np.where(m != 0, m - var / np.where(m != 0, m, 1.0), m)
            else:
                out = m
    return np.where(fail, np.nan, out)


def _topsis(xs, ws, reference, scale, yidx):
    """TOPSIS closeness as in :func:`.aggregate.topsis`, ideal / anti-ideal per draw over the
    scored rows (``pooled``) or the rows of each year (``per_year``)."""
    tot = sum(ws)
    dp = dm = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for x, w in zip(xs, ws):
            vw = np.broadcast_to(x, w.shape) * np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), 0.0)
            if reference == "per_year":
                pis, nis = np.empty_like(vw), np.empty_like(vw)
                for y in np.unique(yidx):
                    r = yidx == y
                    pis[r] = np.nanmax(vw[r], axis=0)
                    nis[r] = np.nanmin(vw[r], axis=0)
            else:
                pis = np.nanmax(vw, axis=0, keepdims=True)
                nis = np.nanmin(vw, axis=0, keepdims=True)
            dp = dp + np.nan_to_num((vw - pis) ** 2)
            dm = dm + np.nan_to_num((vw - nis) ** 2)
    dp, dm = np.sqrt(dp), np.sqrt(dm)
    return np.where(dp + dm > 0, dm / np.where(dp + dm > 0, dp + dm, 1.0), 0.5) * scale



# --------------------------------------------------------------------------- ranks and grades

def ranks_desc(score: np.ndarray, dtype=float) -> np.ndarray:
    """Rank 1 = highest score among the non-missing units of each year and draw, ties sharing
    the lowest rank (``method='min'``, as :func:`build_index`); ``score (Y, U, D)`` → same shape.

    Same result as ``scipy.stats.rankdata(-score, axis=1, method='min', nan_policy='omit')``
    (tested), by one sort along a contiguous axis, which is several times faster here.
    ``dtype=np.float32`` halves the memory of the Monte Carlo rank array (ranks are integers,
    exact in float32 below 2**24 units).
    """
    score = np.asarray(score, dtype=float)
    s = np.ascontiguousarray(np.moveaxis(-score, 1, -1))  # (Y, D, U)
    order = np.argsort(s, axis=-1)  # NaN sort last; the order within ties does not change 'min' ranks
    ss = np.take_along_axis(s, order, axis=-1)
    new = np.empty(ss.shape, dtype=bool)
    new[..., 0] = True
    np.not_equal(ss[..., 1:], ss[..., :-1], out=new[..., 1:])
    pos = np.arange(1, ss.shape[-1] + 1, dtype=dtype)
    first = np.maximum.accumulate(np.where(new, pos, 0).astype(dtype, copy=False), axis=-1)
    del ss, new
    r = np.empty(s.shape, dtype=dtype)
    np.put_along_axis(r, order, first, axis=-1)
    r[np.isnan(s)] = np.nan
    return np.moveaxis(r, -1, 1)


def nan_quantiles(a: np.ndarray, q, axis: int = -1) -> np.ndarray:
    """Quantiles ``q`` of ``a`` along ``axis`` ignoring NaN, with numpy's default ``linear``
    method (Hyndman & Fan type 7, R's default), vectorised over the other axes (numpy's
    ``nanquantile`` loops over them in Python). Returns the other axes, then ``len(q)``; all-NaN
    slices give NaN. Equal to ``np.nanquantile`` (tested).

    Only the order statistics the quantiles need are selected (``np.partition``, linear time),
    once for each distinct count of non-missing values, instead of sorting every slice.
    """
    x = np.moveaxis(np.asarray(a), axis, -1)
    lead, m = x.shape[:-1], x.shape[-1]
    x = x.reshape(-1, m)
    q = np.asarray(q, dtype=float)
    nan = np.isnan(x)
    n = m - nan.sum(axis=-1)
    out = np.full((x.shape[0], len(q)), np.nan)
    if nan.any():
        x = np.where(nan, np.inf, x)  # missing values go last in the selection
    for k in np.unique(n):
        if k == 0:
            continue
        rows = np.flatnonzero(n == k)
        pos = (k - 1) * q
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, k - 1)
        kth = np.unique(np.concatenate([lo, hi]))
        part = np.partition(x[rows], kth, axis=-1)
        a_lo = part[:, lo].astype(float)
        a_hi = part[:, hi].astype(float)
        t = pos - lo
        diff = a_hi - a_lo
        with np.errstate(invalid="ignore"):
            out[rows] = np.where(t >= 0.5, a_hi - diff * (1 - t), a_lo + diff * t)
    return out.reshape(*lead, len(q))


def _grade_codes(score_yud: np.ndarray, model: IndexModel, red: np.ndarray) -> np.ndarray:
    """Grade index (0 green … 3 red, −1 missing) of ``score (Y, U, D)``, red lines applied;
    the rules of :mod:`.grades` (a unit is graded by the cut-offs it reaches, quantile cut-offs
    recomputed in every draw), as ``int8``."""
    g = model.config.grades
    Y, U, D = score_yud.shape
    if g.method == "absolute":
        cut = np.broadcast_to(np.array([g.cutoffs["green"], g.cutoffs["blue"], g.cutoffs["yellow"]], dtype=float),
                              (Y, D, 3))
    else:
        q = (g.quantiles["green"], g.quantiles["blue"], g.quantiles["yellow"])
        if g.reference == "pooled":
            cut = np.broadcast_to(nan_quantiles(score_yud.reshape(Y * U, D), q, axis=0)[None], (Y, D, 3))
        else:
            cut = nan_quantiles(score_yud, q, axis=1)  # (Y, D, 3)
    codes = np.full(score_yud.shape, 3, dtype=np.int8)
    for k in range(3):
        codes -= (score_yud >= cut[:, None, :, k]).astype(np.int8)
    codes[np.isnan(score_yud)] = -1
    if g.red_lines:
        codes[red[..., None] & (codes >= 0)] = 3
    return codes


# --------------------------------------------------------------------------- the run

@dataclass
class UncertaintyResult:
    """Rank and grade uncertainty per unit-year, Sobol' indices, and the per-draw table."""

    ranks: pd.DataFrame
    sensitivity: pd.DataFrame
    draws: pd.DataFrame
    draw_weights: pd.DataFrame
    spec: dict
    config: dict
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)


def _sobol_problem(spec: UncertaintySpec, model: IndexModel):
    names, groups, factors = [], [], []
    if spec.weights > 0:
        for c in model.tree.nodes[:-1]:
            names.append(f"w:{c}")
            groups.append("weights")
        factors.append("weights")
    for key in ("normalisation", "aggregation", "missing"):
        if len(getattr(spec, key)) > 1:
            names.append(key)
            groups.append(key)
            factors.append(key)
    if spec.drop_leaves:
        names.append("drop_leaves")
        groups.append("drop_leaves")
        factors.append("drop_leaves")
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names), "groups": groups}
    return problem, factors


def _pick(u: np.ndarray, options) -> np.ndarray:
    k = len(options)
    return np.minimum((u * k).astype(int), k - 1)


def _score_chunk(draws: np.ndarray, models: dict, plan: dict):
    """One task of the Monte Carlo run: scores, ranks and grade codes ``(Y, U, len(draws))`` of
    the runs ``draws`` (indices into the design).

    Runs on a worker: it receives the compiled panels (``models``: one :class:`IndexModel` per
    imputation alternative, numpy arrays) and the design rows (``plan``), never a file or the
    warehouse. No random numbers are drawn here (the design was fixed on the client from the
    seed), so a run's numbers do not depend on the chunk it falls in or on the backend.
    """
    mult, ni, ai, mi = plan["mult"][draws], plan["ni"][draws], plan["ai"][draws], plan["mi"][draws]
    nominal = models[plan["nominal_missing"]]
    Y, U = nominal.panel.scored.shape
    score = np.full((Y, U, len(draws)), np.nan)
    for m_ in sorted(set(mi)):
        model = models[plan["miss_alts"][m_]]
        for n_ in sorted(set(ni[mi == m_])):
            norm = model.normalised(method=plan["norm_alts"][n_])
            for a_ in sorted(set(ai[(mi == m_) & (ni == n_)])):
                sel = np.flatnonzero((mi == m_) & (ni == n_) & (ai == a_))
                agg = plan["agg_alts"][a_]
                methods = model.methods if agg == plan["nominal_agg"] else agg
                score[..., sel] = root_scores(norm, model, mult[sel], methods, chunk=plan["chunk"])
    rank = ranks_desc(score, dtype=np.float32)
    grade = _grade_codes(score, nominal, plan["red"])
    return score, rank, grade


def run_uncertainty(values: pd.DataFrame, framework: pd.DataFrame, units: pd.DataFrame, config=None,
                    uncertainty: dict | UncertaintySpec | None = None, *, executor=None,
                    draws_per_task: int | None = None) -> UncertaintyResult:
    """Monte Carlo uncertainty and Sobol' sensitivity of the ranks and grades.

    Parameters
    ----------
    values, framework, units : as for :func:`analysis.scoring.build_index`.
    config : the run config (a mapping or :class:`IndexConfig`, not a path); its
        ``uncertainty`` section declares the uncertain choices (see the module docstring).
    uncertainty : the ``uncertainty`` section given separately (overrides the config's).
    executor : an :class:`analysis.parallel.Executor` (local processes or a Dask cluster) that
        computes the runs in chunks of ``draws_per_task``; ``None`` computes them here.
    draws_per_task : runs per task (default: all runs in one task without an executor, else
        the runs split in two tasks per worker).

    The design (Saltelli's sample) is drawn once, here, from ``seed``; each task receives the
    compiled panels and its rows of the design, and returns scores, ranks and grades of its
    runs, which are joined in run order. The tables are therefore identical whatever the
    chunking and the backend (tested).

    Returns an :class:`UncertaintyResult`. If nothing is declared uncertain, the ranks table
    holds the nominal ranks only and ``sensitivity`` a row with the ``reason``.
    """
    from ..parallel import chunks

    index_cfg, unc = split_config(config)
    cfg = load_config(index_cfg)
    if uncertainty is not None:
        unc = uncertainty
    spec = validate_uncertainty(unc, cfg, framework)
    nominal, warn = compile_index(values, framework, units, cfg)
    tree, panel = nominal.tree, nominal.panel
    Y, U, L = panel.values.shape
    n_nodes = len(tree.nodes)
    red = np.zeros((Y, U), dtype=bool)
    if panel.red_lines:
        red = (np.nan_to_num(panel.red, nan=0.0) > 0).any(axis=-1)

    # nominal run through the same engine
    nom_score = root_scores(nominal.normalised(), nominal, np.ones((1, n_nodes)), nominal.methods)
    nom_rank = ranks_desc(nom_score)[..., 0]
    nom_grade = _grade_codes(nom_score, nominal, red)[..., 0]

    problem, factors = _sobol_problem(spec, nominal)
    norm_alts = spec.normalisation or (cfg.normalisation.method,)
    agg_alts = spec.aggregation or (cfg.aggregation.method,)
    miss_alts = spec.missing or (cfg.missing.method,)
    drop_alts = ("",) + tuple(spec.drop_leaves)

    if not factors:
        return _nominal_only(nominal, nom_score, nom_rank, nom_grade, spec, cfg, warn)

    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SALib's power-of-two note: documented
        sample = sobol_sample.sample(problem, spec.samples, calc_second_order=False, seed=spec.seed)
    D = len(sample)
    col = {n: i for i, n in enumerate(problem["names"])}
    mult = np.ones((D, n_nodes))
    if spec.weights > 0:
        wcols = [col[f"w:{c}"] for c in tree.nodes[:-1]]
        mult[:, :-1] = 1.0 + spec.weights * (2.0 * sample[:, wcols] - 1.0)
    ni = _pick(sample[:, col["normalisation"]], norm_alts) if "normalisation" in col else np.zeros(D, int)
    ai = _pick(sample[:, col["aggregation"]], agg_alts) if "aggregation" in col else np.zeros(D, int)
    mi = _pick(sample[:, col["missing"]], miss_alts) if "missing" in col else np.zeros(D, int)
    di = _pick(sample[:, col["drop_leaves"]], drop_alts) if "drop_leaves" in col else np.zeros(D, int)
    for d in np.flatnonzero(di > 0):
        mult[d, tree.index(drop_alts[di[d]])] = 0.0

    # the panels are compiled here, once per imputation alternative; tasks get arrays only
    models = {cfg.missing.method: nominal}
    for m_ in sorted(set(mi)):
        miss = miss_alts[m_]
        if miss not in models:
            models[miss], w_ = compile_index(values, framework, units, cfg.replace(missing={"method": miss}))
            warn.extend(w_)
    plan = dict(mult=mult, ni=ni, ai=ai, mi=mi, norm_alts=norm_alts, agg_alts=agg_alts, miss_alts=miss_alts,
                nominal_agg=cfg.aggregation.method, nominal_missing=cfg.missing.method, chunk=spec.chunk, red=red)
    if draws_per_task is None:
        draws_per_task = D if executor is None else -(-D // (2 * executor.workers))
    tasks = [np.arange(r.start, r.stop) for r in chunks(D, draws_per_task)]
    if executor is None:
        parts = [_score_chunk(t, models, plan) for t in tasks]
    else:
        parts = executor.map(_score_chunk, tasks, models, plan)
    score, rank, grade = (np.concatenate([p[i] for p in parts], axis=-1) for i in range(3))
    del parts

    # scalar output of the sensitivity analysis: mean |rank shift| against the nominal ranks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        shift = np.nanmean(np.abs(rank - nom_rank[..., None]).reshape(Y * U, D), axis=0)
        shift = np.nan_to_num(shift, nan=0.0)
        Si = sobol_analyze.analyze(problem, shift, calc_second_order=False, num_resamples=spec.resamples,
                                   conf_level=spec.confidence, seed=spec.seed)
    sens = pd.DataFrame({"factor": factors, "S1": Si["S1"], "S1_conf": Si["S1_conf"], "ST": Si["ST"],
                         "ST_conf": Si["ST_conf"]})
    sens["S1_low"], sens["S1_high"] = sens.S1 - sens.S1_conf, sens.S1 + sens.S1_conf
    sens["ST_low"], sens["ST_high"] = sens.ST - sens.ST_conf, sens.ST + sens.ST_conf
    sens["confidence"] = spec.confidence
    sens["output"] = "mean |rank - nominal rank| / 平均名次绝对变动"
    sens["n_runs"] = D

    ranks = _rank_table(nominal, nom_score, nom_rank, nom_grade, score, rank, grade)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        flat = score.reshape(Y * U, D)
        draws = pd.DataFrame({
            "draw": np.arange(1, D + 1),
            "normalisation": np.asarray(norm_alts, dtype=object)[ni],
            "aggregation": np.asarray(agg_alts, dtype=object)[ai],
            "missing": np.asarray(miss_alts, dtype=object)[mi],
            "dropped_leaf": np.asarray(drop_alts, dtype=object)[di],
            "weight_multiplier_min": mult[:, :-1].min(axis=1),
            "weight_multiplier_max": mult[:, :-1].max(axis=1),
            "mean_score": np.nanmean(flat, axis=0),
            "sd_score": np.nanstd(flat, axis=0, ddof=1),
            "mean_abs_rank_shift": shift,
        })
    draw_weights = pd.DataFrame({
        "draw": np.repeat(np.arange(1, D + 1), n_nodes - 1),
        "node": np.tile(np.asarray(tree.nodes[:-1], dtype=object), D),
        "multiplier": mult[:, :-1].ravel(),
    })
    return UncertaintyResult(ranks=ranks, sensitivity=sens, draws=draws, draw_weights=draw_weights,
                             spec=spec.to_dict(), config=cfg.to_dict(), warnings=_warn_frame(warn))


def _warn_frame(warn) -> pd.DataFrame:
    w = pd.DataFrame(warn)
    for c in ("stage", "code", "year", "message"):
        if c not in w:
            w[c] = pd.Series(dtype=object)
    return w[["stage", "code", "year", "message"]]


def _rank_table(model, nom_score, nom_rank, nom_grade, score, rank, grade) -> pd.DataFrame:
    panel = model.panel
    yy, uu = np.nonzero(panel.scored)
    r = rank[yy, uu, :]
    q = nan_quantiles(r, (0.05, 0.5, 0.95), axis=1).T
    sq = nan_quantiles(score[yy, uu, :], (0.05, 0.5, 0.95), axis=1).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(r, axis=1, dtype=float)
    g = grade[yy, uu, :]
    valid = (g >= 0).sum(axis=1)
    out = pd.DataFrame({
        "unit_id": np.asarray(panel.unit_ids, dtype=object)[uu],
        "year": np.asarray(panel.years)[yy],
        "nominal_score": nom_score[yy, uu, 0],
        "nominal_rank": nom_rank[yy, uu],
        "median_rank": q[1], "rank_p05": q[0], "rank_p95": q[2], "mean_rank": mean,
        "score_p05": sq[0], "median_score": sq[1], "score_p95": sq[2],
        "nominal_grade": np.where(nom_grade[yy, uu] >= 0,
                                  np.asarray(GRADES, dtype=object)[np.clip(nom_grade[yy, uu], 0, 3)], None),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, name in enumerate(GRADES):
            out[f"p_{name}"] = np.where(valid > 0, (g == k).sum(axis=1) / np.maximum(valid, 1), np.nan)
    out["n_runs"] = valid
    out["reason"] = np.where(valid == 0, "所有模拟中均无得分 / no score in any run", "")
    return out


def _nominal_only(model, nom_score, nom_rank, nom_grade, spec, cfg, warn) -> UncertaintyResult:
    ranks = _rank_table(model, nom_score, nom_rank, nom_grade, nom_score, nom_rank[..., None], nom_grade[..., None])
    sens = pd.DataFrame({"factor": [""], "S1": [np.nan], "S1_conf": [np.nan], "ST": [np.nan], "ST_conf": [np.nan],
                         "reason": ["未声明任何不确定的选择,只给出名义结果 / no uncertain choice declared: nominal "
                                    "results only"]})
    return UncertaintyResult(ranks=ranks, sensitivity=sens, draws=pd.DataFrame(), draw_weights=pd.DataFrame(),
                             spec=spec.to_dict(), config=cfg.to_dict(), warnings=_warn_frame(warn))
