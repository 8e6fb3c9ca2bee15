"""Normalisation kernels (标准化): raw yearly leaf values → comparable, direction-adjusted scores.

Every kernel works on a numpy array laid out as ``(*lead, Y, U, L)``: any number of leading
axes (e.g. Monte Carlo draws), then years, units and leaves. Missing cells are ``NaN`` and
stay ``NaN``. No kernel keeps state between calls: the reference statistics (minimum,
maximum, mean, ...) are recomputed from the array it is given, so a pooled run is fully
re-runnable inside the uncertainty analysis (unlike COINr's ``Normalise(global = TRUE)``,
which logs a purse as "cannot be regenerated").

Two steps:

1. :func:`orient` makes "higher is better" for every leaf (direction explicit):
   ``positive`` → :math:`x`; ``negative`` → :math:`-x`; ``target`` → :math:`-|x - t|`
   (closer to the target value ``t`` is better).
2. :func:`normalise` rescales the oriented value :math:`o` with one of

   ============================ ===========================================================
   ``minmax``                   :math:`s\\,(o - o_{min})/(o_{max} - o_{min})`
   ``minmax_shifted``           as min–max, then to :math:`[\\varepsilon, 1]` (``shift_mode='range'``:
                                :math:`\\varepsilon + (1-\\varepsilon)\\,z`) or :math:`z + \\varepsilon`
                                (``shift_mode='add'``), times ``s``; :math:`\\varepsilon = 10^{-4}` as in
                                the Chinese entropy-weight literature, so that no score is exactly 0
   ``zscore``                   :math:`c + d\\,(o - \\bar o)/\\mathrm{sd}(o)` (sd with ddof = 1);
                                ``c=0, d=1`` by default, ``c=100, d=10`` for Mazziotta–Pareto
   ``rank``                     average rank of :math:`o` (1 = worst), ties averaged
   ``percentile``               :math:`s\\,(r - 1)/(n - 1)` with :math:`r` the average rank
   ``distance_to_target``       :math:`s\\,\\min\\{1, (o - o_{min})/(o_t - o_{min})\\}`, :math:`o_t` the
                                oriented target (COINr ``n_dist2targ`` with ``cap_max = TRUE``);
                                a leaf without target uses the best observed value
   ============================ ===========================================================

   with :math:`s` the output scale (100 by default).

Reference set (``reference``) of the statistics: ``pooled`` over all years and units (the
default: a change across years is a real change), ``per_year`` (each year on its own: every
year then looks alike), or ``goalposts`` (fixed bounds per leaf, given in raw units, for
``minmax``/``minmax_shifted``/``distance_to_target``; values outside are clipped, as in COINr
``n_goalposts``).

A leaf that is constant within its reference set cannot discriminate: min–max style methods
give it the mid-scale value :math:`s/2`, z-score gives :math:`c`, and the caller reports it
(see :func:`constant_leaves`).

References: OECD/JRC (2008) *Handbook on Constructing Composite Indicators*, §1.5 (pp. 27–31)
and Table 3; Becker et al. (2022) COINr, JOSS 7(78), 4567, ``Normalise()`` / ``n_*`` functions.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

METHODS = ("minmax", "minmax_shifted", "zscore", "rank", "percentile", "distance_to_target")
REFERENCES = ("pooled", "per_year", "goalposts")
BOUNDED_METHODS = ("minmax", "minmax_shifted", "distance_to_target")
DIRECTION_SIGN = {"positive": 1, "negative": -1, "target": 0}


def _ref_axes(reference: str) -> tuple[int, ...]:
    """Axes the reference statistics are taken over: years and units, or units only."""
    return (-3, -2) if reference in ("pooled", "goalposts") else (-2,)


def orient(x: np.ndarray, sign: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Make every leaf "higher is better".

    Parameters
    ----------
    x : array ``(*lead, Y, U, L)`` of raw values.
    sign : array ``(L,)`` with +1 (positive), −1 (negative) or 0 (target direction).
    target : array ``(L,)`` with the target value of target leaves (ignored elsewhere).

    Returns :math:`x`, :math:`-x` or :math:`-|x - t|` per leaf.

    >>> orient(np.array([[[3.0, 3.0, 3.0]]]), [1, -1, 0], [np.nan, np.nan, 5.0]).ravel().tolist()
    [3.0, -3.0, -2.0]
    """
    sign = np.asarray(sign, dtype=float)
    target = np.nan_to_num(np.asarray(target, dtype=float), nan=0.0)
    return np.where(sign == 0, -np.abs(x - target), sign * x)


def orient_bounds(lo: np.ndarray, hi: np.ndarray, sign: np.ndarray, target: np.ndarray):
    """Oriented goalposts ``(worst, best)`` from raw bounds ``lo < hi`` per leaf.

    negative: ``(-hi, -lo)``; target: ``(-max(|lo - t|, |hi - t|), 0)``.

    Goalposts 0 and 10 for a positive, a negative and a target-4 leaf: (0, 10), (−10, 0) and
    (−max(4, 6), 0) = (−6, 0):

    >>> worst, best = orient_bounds([0, 0, 0], [10, 10, 10], [1, -1, 0], [np.nan, np.nan, 4])
    >>> worst.tolist(), best.tolist() == [10.0, 0.0, 0.0]
    ([0.0, -10.0, -6.0], True)
    """
    lo, hi, sign = (np.asarray(a, dtype=float) for a in (lo, hi, sign))
    target = np.nan_to_num(np.asarray(target, dtype=float), nan=0.0)
    worst = np.where(sign > 0, lo, np.where(sign < 0, -hi, -np.maximum(np.abs(lo - target), np.abs(hi - target))))
    best = np.where(sign > 0, hi, np.where(sign < 0, -lo, 0.0))
    return worst, best


def _nanstat(fn, o, axes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, reported by the caller
        return fn(o, axis=axes, keepdims=True)


def constant_leaves(x: np.ndarray, reference: str = "pooled") -> np.ndarray:
    """Boolean ``(*lead, [Y,] 1, L)`` mask: leaves with fewer than two distinct values in the reference set.

    >>> constant_leaves(np.array([[[1.0, 2.0], [1.0, 3.0]]])).ravel().tolist()   # leaf 1 is 1, 1
    [True, False]
    """
    axes = _ref_axes(reference)
    lo, hi = _nanstat(np.nanmin, x, axes), _nanstat(np.nanmax, x, axes)
    return ~(hi > lo)


def reference_bounds(x: np.ndarray, sign, target, method: str = "minmax", reference: str = "pooled",
                     goalposts=None, ddof: int = 1):
    """The reference statistics :func:`normalise` would use on ``x``, for reuse via ``bounds=``:
    oriented ``(min, max)`` (goalposts applied) for bounded methods, ``(mean, sd)`` for ``zscore``.

    A negative leaf with values 2, 4, 9 (year 1) and 5, 7, 3 (year 2): oriented −9 … −2 pooled;
    z-score reference of the raw values: mean 30/6 = 5, sd √(34/5) = 2.607681 (ddof = 1):

    >>> x = np.array([[[2.0], [4.0], [9.0]], [[5.0], [7.0], [3.0]]])
    >>> [b.item() for b in reference_bounds(x, [-1], [np.nan])]
    [-9.0, -2.0]
    >>> [round(b.item(), 6) for b in reference_bounds(x, [1], [np.nan], method="zscore")]
    [5.0, 2.607681]
    """
    o = orient(np.asarray(x, dtype=float), sign, target)
    axes = _ref_axes(reference)
    if method == "zscore":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return _nanstat(np.nanmean, o, axes), np.nanstd(o, axis=axes, keepdims=True, ddof=ddof)
    lo, hi = _nanstat(np.nanmin, o, axes), _nanstat(np.nanmax, o, axes)
    if reference == "goalposts" and goalposts is not None:
        worst, best = orient_bounds(goalposts[0], goalposts[1], sign, target)
        lo, hi = np.where(np.isnan(worst), lo, worst), np.where(np.isnan(best), hi, best)
    return lo, hi


def _ranks(o: np.ndarray, reference: str):
    """Average ranks (1 = lowest) over the reference set, NaN kept; and the count n per set."""
    if reference == "per_year":
        r = stats.rankdata(o, axis=-2, nan_policy="omit")
        n = np.sum(~np.isnan(o), axis=-2, keepdims=True)
        return r, n
    shape = o.shape
    flat = o.reshape(*shape[:-3], shape[-3] * shape[-2], shape[-1])
    r = stats.rankdata(flat, axis=-2, nan_policy="omit").reshape(shape)
    n = np.sum(~np.isnan(o), axis=(-3, -2), keepdims=True)
    return r, n


def normalise(
    x: np.ndarray,
    sign: np.ndarray,
    target: np.ndarray,
    method: str = "minmax",
    reference: str = "pooled",
    *,
    goalposts: tuple[np.ndarray, np.ndarray] | None = None,
    scale: float = 100.0,
    shift: float = 1e-4,
    shift_mode: str = "range",
    z_center: float = 0.0,
    z_spread: float = 1.0,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Orient and normalise raw leaf values; the array kernel behind :func:`build_index`.

    Parameters
    ----------
    x : ``(*lead, Y, U, L)`` raw yearly values (NaN = missing).
    sign, target : ``(L,)`` direction sign (+1, −1, 0 = target) and target values.
    method : one of :data:`METHODS`.
    reference : ``pooled`` (all years × units), ``per_year`` or ``goalposts``.
    goalposts : ``(lo, hi)`` raw bounds ``(L,)`` per leaf; required with ``reference='goalposts'``
        (NaN bounds fall back to the pooled observed minimum/maximum of that leaf).
    scale : output scale ``s`` of bounded methods (100 → scores in [0, 100]).
    shift, shift_mode : the ε of ``minmax_shifted`` and how it is applied (``range`` or ``add``).
    z_center, z_spread : affine output of ``zscore``.
    bounds : optional reference statistics taken from *another* array (e.g. the yearly panel, to
        score year-to-date quarterly values on the yearly scale): oriented ``(min, max)`` for the
        bounded methods (values outside are clipped), ``(mean, sd)`` for ``zscore``; broadcastable
        to ``(*lead, Y, 1, L)``. Not available for ``rank`` / ``percentile``.

    Returns an array of the shape of ``x``. For a pooled reference, every statistic is taken
    over the whole ``(Y, U)`` block of each leading index, so each Monte Carlo draw is
    normalised independently and reproducibly.

    Examples
    --------
    >>> x = np.array([[[1.0], [3.0], [5.0]]])          # 1 year, 3 units, 1 leaf
    >>> normalise(x, [1], [np.nan]).ravel().tolist()    # (x - 1) / (5 - 1) * 100
    [0.0, 50.0, 100.0]

    Two years of three units, pooled: z-scores are SciPy's (ddof = 1) over all six values,
    percentiles are (rank − 1)/(n − 1) of SciPy's average ranks:

    >>> x = np.array([[[2.0], [4.0], [9.0]], [[5.0], [7.0], [3.0]]])
    >>> print(normalise(x, [1], [np.nan], "zscore").ravel().round(6).tolist())
    [-1.150447, -0.383482, 1.53393, 0.0, 0.766965, -0.766965]
    >>> print(stats.zscore(x.ravel(), ddof=1).round(6).tolist())
    [-1.150447, -0.383482, 1.53393, 0.0, 0.766965, -0.766965]
    >>> print(normalise(x, [1], [np.nan], "percentile").ravel().tolist())
    [0.0, 40.0, 100.0, 60.0, 80.0, 20.0]
    >>> print(((stats.rankdata(x.ravel()) - 1) / 5 * 100).tolist())
    [0.0, 40.0, 100.0, 60.0, 80.0, 20.0]

    Distance to a target of 8 (COINr ``n_dist2targ``, capped): (x − 2)/(8 − 2), 9 capped at 1:

    >>> print(normalise(x, [1], [8.0], "distance_to_target").ravel().round(4).tolist())
    [0.0, 33.3333, 100.0, 50.0, 83.3333, 16.6667]
    """
    if method not in METHODS:
        raise ValueError(f"未知的标准化方法 {method!r} / unknown normalisation method {method!r}")
    if reference not in REFERENCES:
        raise ValueError(f"未知的参照方式 {reference!r} / unknown reference {reference!r}")
    if reference == "goalposts" and method not in BOUNDED_METHODS:
        raise ValueError(f"固定阈值参照只适用于 {BOUNDED_METHODS} / goalposts apply to {BOUNDED_METHODS} only")
    x = np.asarray(x, dtype=float)
    o = orient(x, sign, target)
    axes = _ref_axes(reference)

    if bounds is not None and method in ("rank", "percentile"):
        raise ValueError("rank/percentile 不能使用外部参照统计量 / rank and percentile cannot use external bounds")
    if method in ("rank", "percentile"):
        r, n = _ranks(o, reference)
        if method == "rank":
            return r
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n > 1, (r - 1.0) / (n - 1.0), 0.5)
        return scale * np.where(np.isnan(o), np.nan, p)

    if method == "zscore":
        if bounds is not None:
            mean, sd = (np.asarray(b, dtype=float) for b in bounds)
        else:
            mean = _nanstat(np.nanmean, o, axes)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                sd = np.nanstd(o, axis=axes, keepdims=True, ddof=1)
        # constant = all values equal (exact test: a rounding-error sd of ~1e-16 must not count)
        ok = (sd > 0) & (_nanstat(np.nanmax, o, axes) > _nanstat(np.nanmin, o, axes)) if bounds is None else sd > 0
        z = np.where(ok, (o - mean) / np.where(ok, sd, 1.0), 0.0)
        return np.where(np.isnan(o), np.nan, z_center + z_spread * z)

    if bounds is not None:
        lo, hi = (np.asarray(b, dtype=float) for b in bounds)
    else:
        lo, hi = _nanstat(np.nanmin, o, axes), _nanstat(np.nanmax, o, axes)
    if reference == "goalposts" and bounds is None:
        if goalposts is None:
            raise ValueError("固定阈值参照需要 goalposts / reference='goalposts' needs goalposts")
        worst, best = orient_bounds(goalposts[0], goalposts[1], sign, target)
        lo = np.where(np.isnan(worst), lo, worst)
        hi = np.where(np.isnan(best), hi, best)

    if method == "distance_to_target":
        t = orient(np.asarray(target, dtype=float), sign, target)  # oriented target: t, -t, or 0
        t = np.where(np.isnan(t), hi, t) * np.ones_like(hi)
        span = t - lo
        ok = span > 0
        z = np.where(ok, (o - lo) / np.where(ok, span, 1.0), 0.5)
        z = np.minimum(z, 1.0) if bounds is None else np.clip(z, 0.0, 1.0)
    else:
        span = hi - lo
        ok = span > 0
        z = np.where(ok, (o - lo) / np.where(ok, span, 1.0), 0.5)
        if reference == "goalposts" or bounds is not None:
            z = np.clip(z, 0.0, 1.0)
        if method == "minmax_shifted":
            z = shift + (1.0 - shift) * z if shift_mode == "range" else z + shift
    return np.where(np.isnan(o), np.nan, scale * z)
