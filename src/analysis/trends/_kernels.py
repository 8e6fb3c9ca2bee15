"""Vectorised kernels on a 2-D array ``X`` (series × time) with NaN for missing values.

Every function works on many series at once: no Python loop over series. ``t`` is the
1-D array of the times of the columns (strictly increasing, e.g. years). Lags and
pre-whitening use *grid steps*: column ``j`` and ``j + 1`` are neighbours, so callers build
the grid with every time step present (a gap year is an all-NaN column, not skipped).

Memory is bounded by processing rows in chunks (:func:`chunks`).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special

#: upper bound on array elements per chunk (float64: 8 bytes each)
CHUNK_ELEMENTS = 2_000_000


def chunks(n_rows: int, per_row: int):
    """Row slices such that ``rows * per_row`` stays below :data:`CHUNK_ELEMENTS`."""
    step = max(1, CHUNK_ELEMENTS // max(per_row, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def pair_index(T: int) -> tuple[np.ndarray, np.ndarray]:
    """All column pairs ``i < j`` of a series of length ``T``."""
    return np.triu_indices(T, k=1)


# --------------------------------------------------------------------------------------
# Mann–Kendall score, ties, ranks
# --------------------------------------------------------------------------------------
def mk_score(X: np.ndarray) -> np.ndarray:
    """S = Σ_{i<j} sgn(x_j − x_i) over pairs where both values are present (int array)."""
    G, T = X.shape
    i, j = pair_index(T)
    out = np.zeros(G, dtype=np.int64)
    for sl in chunks(G, len(i)):
        D = X[sl][:, j] - X[sl][:, i]
        # comparisons with NaN are False, so a missing value contributes nothing
        out[sl] = np.count_nonzero(D > 0, axis=1) - np.count_nonzero(D < 0, axis=1)
    return out


def tie_counts(X: np.ndarray) -> np.ndarray:
    """For every element, how many present values in its row equal it (itself included).

    0 for a missing element. A tie group of size t contributes t elements with count t, so
    Σ_groups f(t) = Σ_elements f(c)/c.
    """
    G, T = X.shape
    out = np.zeros((G, T), dtype=np.int64)
    for sl in chunks(G, T * T):
        x = X[sl]
        out[sl] = np.count_nonzero(x[:, :, None] == x[:, None, :], axis=2)
    return out


def tie_terms(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From :func:`tie_counts`: Σ_groups t(t−1)(2t+5) and Σ_groups t(t−1)/2 per row."""
    # a missing element has c = 0 and would add (0 − 1)(0 + 5) = −5 and −1: add them back
    missing = np.count_nonzero(c == 0, axis=1)
    var_term = ((c - 1) * (2 * c + 5)).sum(axis=1) + 5 * missing
    tied_pairs = ((c - 1).sum(axis=1) + missing) / 2.0
    return var_term.astype(float), tied_pairs


def mk_variance(n: np.ndarray, tie_var_term: np.ndarray) -> np.ndarray:
    """Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 (Kendall 1975, tie-corrected)."""
    n = n.astype(float)
    return (n * (n - 1) * (2 * n + 5) - tie_var_term) / 18.0


def row_ranks(X: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) within each row, NaN stays NaN (R's ``rank``, ties averaged)."""
    G, T = X.shape
    out = np.full((G, T), np.nan)
    for sl in chunks(G, T * T):
        x = X[sl]
        less = (x[:, None, :] < x[:, :, None]).sum(axis=2)
        equal = (x[:, None, :] == x[:, :, None]).sum(axis=2)
        r = less + (equal + 1) / 2.0
        out[sl] = np.where(np.isnan(x), np.nan, r)
    return out


# --------------------------------------------------------------------------------------
# Autocorrelation on the time grid
# --------------------------------------------------------------------------------------
def acf(X: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation r_1..r_max_lag per row (R ``acf``: mean-centred, divisor n).

    r_k = Σ_t (x_t − x̄)(x_{t+k} − x̄) / Σ_t (x_t − x̄)², sums over present values and
    over pairs at grid distance k where both are present (R ``acf(na.action=na.pass)``).
    Returns shape (G, max_lag); NaN where the row has zero variance.
    """
    G, T = X.shape
    valid = ~np.isnan(X)
    n = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(X, axis=1) / np.maximum(n, 1), 0.0)
    Z = np.where(valid, X - mean[:, None], 0.0)
    c0 = (Z * Z).sum(axis=1)
    out = np.full((G, max_lag), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(1, max_lag + 1):
            if k >= T:
                out[:, k - 1] = 0.0
                continue
            ck = (Z[:, :-k] * Z[:, k:]).sum(axis=1)
            out[:, k - 1] = np.where(c0 > 0, ck / c0, np.nan)
    return out


# --------------------------------------------------------------------------------------
# Sen's slope on actual time distances
# --------------------------------------------------------------------------------------
def sorted_pair_slopes(X: np.ndarray, t: np.ndarray, sl: slice) -> np.ndarray:
    """Pairwise slopes (x_j − x_i)/(t_j − t_i) of rows ``sl``, sorted, NaN last."""
    i, j = pair_index(X.shape[1])
    dt = (t[j] - t[i]).astype(float)
    S = (X[sl][:, j] - X[sl][:, i]) / dt
    S.sort(axis=1)  # NaN sorts to the end
    return S


def median_and_interval(S: np.ndarray, var_s: np.ndarray, alpha: float):
    """Median of the sorted slopes S (NaN last) and the 1 − alpha Sen interval.

    Ranks as in R ``trend::sens.slope`` (Gilbert 1987, eq. 16.5): with N slopes and
    C = z_{1−α/2} √Var(S), the lower limit is the round((N − C)/2)-th and the upper the
    round((N + C)/2 + 1)-th smallest slope (1-based). Ranks outside 1..N give NaN.
    """
    m = (~np.isnan(S)).sum(axis=1)
    rows = np.arange(S.shape[0])
    lo_i = np.clip((m - 1) // 2, 0, S.shape[1] - 1)
    hi_i = np.clip(m // 2, 0, S.shape[1] - 1)
    med = np.where(m > 0, 0.5 * (S[rows, lo_i] + S[rows, hi_i]), np.nan)
    C = special.ndtri(1 - alpha / 2) * np.sqrt(np.maximum(var_s, 0))
    with np.errstate(invalid="ignore"):
        r_lo = np.round((m - C) / 2)  # 1-based
        r_up = np.round((m + C) / 2 + 1)
    ok_lo = np.isfinite(r_lo) & (r_lo >= 1) & (r_lo <= m)
    ok_up = np.isfinite(r_up) & (r_up >= 1) & (r_up <= m)
    lo_idx = np.where(ok_lo, r_lo, 1).astype(np.int64) - 1
    up_idx = np.where(ok_up, r_up, 1).astype(np.int64) - 1
    low = np.where(ok_lo, S[rows, np.clip(lo_idx, 0, S.shape[1] - 1)], np.nan)
    high = np.where(ok_up, S[rows, np.clip(up_idx, 0, S.shape[1] - 1)], np.nan)
    return med, low, high, m


def score_ties_and_sen(X: np.ndarray, t: np.ndarray, alpha: float):
    """One pass over the pairwise differences: S, tie counts, Sen's slope and its interval.

    The tie count of an element is 1 + the number of its pairs with a zero difference
    (a product with the pair–element incidence matrix), so no separate T × T pass is needed.
    The interval uses the tie-corrected Var(S) of the same series.
    """
    G, T = X.shape
    i, j = pair_index(T)
    dt = (t[j] - t[i]).astype(float)
    inc = np.zeros((len(i), T))
    inc[np.arange(len(i)), i] = 1
    inc[np.arange(len(i)), j] = 1
    s = np.zeros(G, dtype=np.int64)
    c = np.zeros((G, T), dtype=np.int64)
    med = np.full(G, np.nan)
    low = np.full(G, np.nan)
    high = np.full(G, np.nan)
    valid = ~np.isnan(X)
    n = valid.sum(axis=1)
    if len(i) == 0:
        c[valid] = 1
        return s, c, med, low, high
    for sl in chunks(G, len(i)):
        D = X[sl][:, j] - X[sl][:, i]
        s[sl] = np.count_nonzero(D > 0, axis=1) - np.count_nonzero(D < 0, axis=1)
        zeros = (D == 0).astype(float) @ inc
        c[sl] = np.where(valid[sl], 1 + zeros.astype(np.int64), 0)
        var_term, _ = tie_terms(c[sl])
        var_s = mk_variance(n[sl], var_term)
        D /= dt
        D.sort(axis=1)
        med[sl], low[sl], high[sl], _ = median_and_interval(D, var_s, alpha)
    return s, c, med, low, high


def sen_slope(X: np.ndarray, t: np.ndarray, var_s: np.ndarray | None, alpha: float):
    """Sen's slope and interval per row (chunked). ``var_s`` None → no interval."""
    G, T = X.shape
    P = T * (T - 1) // 2
    med = np.full(G, np.nan)
    low = np.full(G, np.nan)
    high = np.full(G, np.nan)
    if P == 0:
        return med, low, high
    vs = np.zeros(G) if var_s is None else var_s
    for sl in chunks(G, P):
        S = sorted_pair_slopes(X, t, sl)
        med[sl], low[sl], high[sl], _ = median_and_interval(S, vs[sl], alpha)
    if var_s is None:
        low[:] = np.nan
        high[:] = np.nan
    return med, low, high


# --------------------------------------------------------------------------------------
# p-values
# --------------------------------------------------------------------------------------
def z_score(s: np.ndarray, var_s: np.ndarray, continuity: bool) -> np.ndarray:
    """z = sgn(S)(|S| − 1)/√Var(S) with continuity correction, else S/√Var(S)."""
    s = s.astype(float)
    num = np.sign(s) * (np.abs(s) - 1) if continuity else s
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var_s > 0, num / np.sqrt(var_s), np.nan)


def normal_p(z: np.ndarray, alternative: str) -> np.ndarray:
    """p from the standard normal, as R ``trend::mk.test``."""
    if alternative == "two-sided":
        return np.minimum(1.0, 2 * special.ndtr(-np.abs(z)))
    if alternative == "greater":
        return special.ndtr(-z)
    return special.ndtr(z)


@lru_cache(maxsize=None)
def _gauss_binomial(m: int, k: int) -> tuple[int, ...]:
    """Coefficients of the Gaussian binomial [m choose k]_q (exact integers).

    q-Pascal rule: [m; k] = [m−1; k−1] + q^k [m−1; k].
    """
    if k == 0 or k == m:
        return (1,)
    a = _gauss_binomial(m - 1, k - 1)
    b = _gauss_binomial(m - 1, k)
    out = [0] * (k * (m - k) + 1)
    for i, c in enumerate(a):
        out[i] += c
    for i, c in enumerate(b):
        out[i + k] += c
    return tuple(out)


@lru_cache(maxsize=None)
def inversion_distribution(group_sizes: tuple[int, ...]) -> np.ndarray:
    """Null distribution of the number of discordant pairs for a multiset with given tie groups.

    Under H0 every arrangement of the observed values over the time points is equally
    likely. The generating function of the inversions of a multiset permutation is the
    q-multinomial coefficient [n; t_1, …, t_k]_q = Π_j [t_1+…+t_j; t_j]_q (MacMahon 1916;
    Andrews 1976, *The Theory of Partitions*, Thm 3.6). Without ties it is Kendall's
    exact distribution of S (Kendall 1975, ch. 4). Returns probabilities of I = 0, 1, …
    """
    # each factor is normalised to a probability vector and convolved in float64: all terms
    # are positive, so there is no cancellation and the tails keep full relative precision
    prob = np.ones(1)
    m = 0
    for size in sorted(group_sizes):
        m += size
        g = _gauss_binomial(m, size)
        total = sum(g)
        prob = np.convolve(prob, np.array([c / total for c in g]))
    return prob


def exact_p(s: np.ndarray, c: np.ndarray, alternative: str) -> np.ndarray:
    """Exact permutation p-values of S given each row's tie pattern (from :func:`tie_counts`).

    With n_nt = C(n,2) − Σ C(t,2) untied pairs and I discordant pairs, S = n_nt − 2I.
    Two-sided p = P(|S| ≥ |s|) (the distribution is symmetric), greater: P(S ≥ s),
    less: P(S ≤ s). Rows are grouped by tie pattern, so the loop is over distinct patterns.
    """
    G, T = c.shape
    # histogram of element tie counts: hist[:, k − 1] = #elements in a tie group of size k
    flat = (np.arange(G)[:, None] * (T + 1) + c).ravel()
    hist = np.bincount(flat, minlength=G * (T + 1)).reshape(G, T + 1)[:, 1:]
    if T * np.log2(T + 1) < 62:  # encode each histogram as one integer: a fast 1-D unique
        code = hist @ ((T + 1) ** np.arange(T, dtype=np.int64))
        inverse, uniq = pd.factorize(code)
        first = pd.Series(np.arange(len(code))).groupby(inverse).first().to_numpy()
        patterns = hist[first]
    else:
        patterns, inverse = np.unique(hist, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    p = np.full(G, np.nan)
    for k, pat in enumerate(patterns):
        rows = np.flatnonzero(inverse == k)
        sizes = tuple(size for size, count in enumerate(pat, start=1) for _ in range(count // size))
        n = int(sum(sizes))
        if n < 2:
            continue
        prob = inversion_distribution(sizes)
        n_nt = n * (n - 1) // 2 - sum(t * (t - 1) // 2 for t in sizes)
        S_values = n_nt - 2 * np.arange(len(prob))
        srow = s[rows][:, None]
        if alternative == "two-sided":
            mask = np.abs(S_values)[None, :] >= np.abs(srow)
        elif alternative == "greater":
            mask = S_values[None, :] >= srow
        else:
            mask = S_values[None, :] <= srow
        p[rows] = np.minimum(1.0, (mask * prob[None, :]).sum(axis=1))
    return p
