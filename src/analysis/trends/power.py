"""Power is part of the result: what a test can show at a given series length.

- :func:`smallest_p` — the smallest p-value a test can return at length n (best case, no ties);
- :func:`attainable` — whether that p can reject at alpha, alone and after the adjustment
  in a family of m tests;
- :func:`min_detectable_slope` — the slope found with power 0.8 (simulation, seeded, cached).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import special

#: tests whose smallest attainable p is known in closed form
TESTS = ("mk_exact", "mk_normal", "seasonal_permutation", "seasonal_normal", "pettitt",
         "regional_permutation")


@lru_cache(maxsize=4096)  # a pure function of a few lengths, asked once per series
def smallest_p(test: str, n: int, *, seasons: int = 1, alternative: str = "two-sided") -> float:
    r"""Smallest attainable p of ``test`` on ``n`` values (years for the seasonal tests).

    - ``mk_exact``: every ordering of n distinct values is equally likely under H0 and only
      the sorted one reaches S = n(n−1)/2, so p_min = 2/n! (two-sided; 1/n! one-sided).
    - ``seasonal_permutation``, ``regional_permutation``: exact over the n! orderings of whole
      years, again 2/n!.
    - ``mk_normal``: the normal p of S = n(n−1)/2 with continuity correction.
    - ``seasonal_normal``: S = s·n(n−1)/2 with Var(S) = s·Var(S_g) (independent seasons; the
      covariance correction makes it larger).
    - ``pettitt``: Pettitt's approximation 2 exp(−6K²/(n³ + n²)) at its largest K = ⌊n²/4⌋.

    Ties only make the smallest p larger. Examples (hand calculations): 2/6! = 0.00278;
    Pettitt at n = 6: K = 9, 2 exp(−6·81/(216 + 36)) = 2 · 0.14536 = 0.2907.

    >>> round(smallest_p("mk_exact", 6), 5), round(smallest_p("pettitt", 6), 4)
    (0.00278, 0.2907)
    """
    if test not in TESTS:
        raise ValueError(f"未知检验 {test!r},可选 {TESTS} / unknown test {test!r}; one of {TESTS}")
    sides = 2.0 if alternative == "two-sided" else 1.0
    if n < 2:
        return 1.0
    if test in ("mk_exact", "seasonal_permutation", "regional_permutation"):
        return min(1.0, sides / math.factorial(n))
    if test == "pettitt":
        k = (n * n) // 4
        return min(1.0, 2 * math.exp(-6 * k * k / (n ** 3 + n ** 2)))
    s_max = seasons * n * (n - 1) / 2
    var = seasons * n * (n - 1) * (2 * n + 5) / 18
    z = (s_max - 1) / math.sqrt(var)
    return float(min(1.0, sides * special.ndtr(-z)))


#: adjustments whose best case (all m tests at the same smallest p) leaves that p unchanged
_STEP_UP = ("fdr_bh", "bh", "BH", "hochberg", "simes-hochberg", "hommel", "none")


def attainable(p_min: float, *, alpha: float = 0.05, m: int = 1, method: str = "fdr_bh") -> dict:
    r"""Can a test whose smallest p is ``p_min`` reject at ``alpha``, alone and in a family of m?

    Returns ``testable`` (p_min < alpha), ``p_adj_best`` — the smallest adjusted p in the
    best case, when all m tests of the family reach p_min (BH, Hochberg, Hommel: p_min itself;
    BY: p_min·Σ_{k≤m} 1/k; Holm, Bonferroni: m·p_min) — and ``p_adj_alone``, the adjusted p of
    a lone discovery among m − 1 null results (m·p_min for all but BY, m·p_min·Σ 1/k), with
    ``testable_in_family`` (p_adj_best < alpha) and ``testable_alone`` (p_adj_alone < alpha).
    Reports show ``p_adj_alone``: it is what one deteriorating unit among many quiet ones gets.

    Six yearly values in a BH family of 80 units (hand calculation): p_min = 2/720 = 0.00278,
    alone 80 · 0.00278 = 0.222 — one unit cannot be found on its own.

    >>> r = attainable(2 / 720, alpha=0.05, m=80)
    >>> r["testable"], r["testable_in_family"], round(r["p_adj_alone"], 3), r["testable_alone"]
    (True, True, 0.222, False)
    """
    m = max(int(m), 1)
    c_m = sum(1.0 / k for k in range(1, m + 1))
    if method in ("fdr_by", "by", "BY"):
        best, alone = p_min * c_m, m * p_min * c_m
    elif method in _STEP_UP:
        best, alone = p_min, (p_min if method == "none" else m * p_min)
    else:  # holm, bonferroni
        best, alone = m * p_min, m * p_min
    best, alone = min(1.0, best), min(1.0, alone)
    return {"p_min": p_min, "testable": bool(p_min < alpha), "m": m, "p_adj_best": best,
            "p_adj_alone": alone, "testable_in_family": bool(best < alpha),
            "testable_alone": bool(alone < alpha)}


def _rejections(test: str, X: np.ndarray, alpha: float) -> float:
    from .mk import mann_kendall_array
    from .seasonal import seasonal_mk_array

    if test in ("mk_exact", "mk_normal"):
        r = mann_kendall_array(X[:, 0, :], exact=test == "mk_exact", exact_max_n=X.shape[2],
                               with_sen=False, min_n=3)
    else:
        r = seasonal_mk_array(X, permutation=test != "seasonal_normal", min_years=3)
    return float(np.mean(np.nan_to_num(r["p"].to_numpy(dtype=float), nan=1.0) < alpha))


@lru_cache(maxsize=256)
def _mds_sd_units(test: str, n: int, seasons: int, alpha: float, power: float, reps: int,
                  seed: int) -> float:
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(reps, seasons, n))
    years = np.arange(n, dtype=float)
    if smallest_p(test, n, seasons=seasons) >= alpha:
        return float("nan")
    lo, hi = 0.0, 0.25
    while _rejections(test, noise + hi * years, alpha) < power:
        lo, hi = hi, hi * 2
        if hi > 64:
            return float("nan")
    for _ in range(12):  # bisection with common random numbers: power is monotone in β
        mid = 0.5 * (lo + hi)
        if _rejections(test, noise + mid * years, alpha) >= power:
            hi = mid
        else:
            lo = mid
    return hi


def min_detectable_slope(n: int, *, test: str = "mk_exact", seasons: int = 1, sd: float = 1.0,
                         alpha: float = 0.05, power: float = 0.8, reps: int = 400,
                         seed: int = 20241) -> float:
    r"""Smallest linear trend (per year, in the units of ``sd``) that ``test`` finds with
    probability ``power`` at level ``alpha``, by simulation.

    Model: x_{g,y} = β·y + ε_{g,y}, ε iid N(0, sd²), y = 0..n−1 years, g = 1..``seasons``
    (``test`` as in :func:`smallest_p`: ``mk_exact`` yearly, ``seasonal_permutation`` or
    ``seasonal_normal`` for s seasons). Rank tests are scale-free, so β is found once in SD
    units (``reps`` series, common random numbers, bisection to 1/4096 of the bracket) and
    multiplied by ``sd``; results are cached. NaN when the test cannot reach ``alpha`` at n.
    Independent seasons are the best case: year-to-date seasons move together and carry less
    information. For the family view pass the per-test level (e.g. alpha/m for a lone BH
    discovery). Method: Yue, Pilon & Cavadias (2002) J. Hydrol. 259:254 (power of MK by
    simulation); Wang et al. (2020) Front. Earth Sci. 8:14.

    With 6 yearly values and alpha 0.05 about 1.4 noise SD per year (white noise):

    >>> round(min_detectable_slope(6, reps=200), 1)
    1.4
    """
    if n < 2:
        return float("nan")
    return sd * _mds_sd_units(test, int(n), int(seasons), float(alpha), float(power), int(reps), int(seed))
