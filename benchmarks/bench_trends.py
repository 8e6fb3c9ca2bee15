"""Mann–Kendall + Sen's slope for 100,000 series of length 10: vectorised vs pymannkendall.

Run:  .venv/bin/python benchmarks/bench_trends.py [--quick] [--series N] [--sample M]

pymannkendall is called series by series on a random subsample of M series and its time
is extrapolated to all N (our functions: best of --repeat runs); the numbers (S, Var(S), z, p, Sen's slope) of the subsample are
compared with ours. Half the series are Poisson counts (many ties), half are normal.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import pymannkendall as pmk

from analysis.trends import mann_kendall, mann_kendall_array


def make_data(n_series: int, length: int, seed: int = 20241) -> np.ndarray:
    rng = np.random.default_rng(seed)
    half = n_series // 2
    X = np.empty((n_series, length))
    X[:half] = rng.normal(size=(half, length)).round(3) + 0.05 * np.arange(length)
    X[half:] = rng.poisson(2.0, size=(n_series - half, length))
    return X


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10,000 series, 300 for pymannkendall")
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=2_000)
    ap.add_argument("--length", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3, help="runs of our functions (best is kept)")
    args = ap.parse_args()
    if args.quick:
        args.series, args.sample = 10_000, 300
    X = make_data(args.series, args.length)
    t = np.arange(args.length, dtype=float)

    def best_of(f):
        """Best of ``--repeat`` runs (timeit practice: the minimum is the least disturbed)."""
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = f()
            times.append(time.perf_counter() - t0)
        return min(times), out

    t_ours, ours = best_of(lambda: mann_kendall_array(X, t, exact=False))
    t_exact, _ = best_of(lambda: mann_kendall_array(X, t))  # default: exact p for n ≤ 10
    # the same through the long-DataFrame entry point a report uses
    long = pd.DataFrame({"unit_id": np.repeat(np.arange(args.series), args.length),
                         "year": np.tile(2015 + t.astype(int), args.series), "value": X.ravel()})
    t_frame, _ = best_of(lambda: mann_kendall(long, by="unit_id", exact=False))

    rng = np.random.default_rng(1)
    idx = rng.choice(args.series, size=min(args.sample, args.series), replace=False)
    t0 = time.perf_counter()
    ref = [pmk.original_test(X[i]) for i in idx]
    t_pmk = (time.perf_counter() - t0) / len(idx) * args.series

    sub = ours.iloc[idx]
    tested = sub["reason"].to_numpy() == ""
    cols = {"s": "s", "var_s": "var_s", "z": "z", "p": "p", "sen_slope": "slope"}
    print(f"series: {args.series:,} × {args.length} (half Poisson counts with ties)")
    print(f"analysis.trends mann_kendall_array (MK + Sen + CI, normal p): {t_ours:8.3f} s")
    print(f"analysis.trends mann_kendall_array (default, exact p n<=10):  {t_exact:8.3f} s")
    print(f"analysis.trends mann_kendall (long DataFrame in, tidy out):   {t_frame:8.3f} s")
    print(f"pymannkendall.original_test, series by series (extrapolated from {len(idx):,}): {t_pmk:8.1f} s")
    print(f"speed-up (array) {t_pmk / t_ours:7.0f}×   (DataFrame) {t_pmk / t_frame:7.0f}×")
    print(f"compared on {tested.sum():,} testable series of the subsample "
          f"({(~tested).sum()} constant series are 'not testable' here, pymannkendall gives NaN z/p):")
    worst = 0.0
    for ours_col, ref_col in cols.items():
        a = sub.loc[tested, ours_col].to_numpy(dtype=float)
        b = np.array([getattr(r, ref_col) for r, ok in zip(ref, tested) if ok], dtype=float)
        diff = np.max(np.abs(a - b)) if len(a) else 0.0
        worst = max(worst, diff)
        print(f"  max |{ours_col:9s} − pymannkendall.{ref_col}| = {diff:.3g}")
    print("identical numbers (max abs diff ≤ 1e-12):", "yes" if worst <= 1e-12 else "NO")


def size_power_table(quick: bool) -> None:
    """`make bench` also prints the size/power table of the Mann–Kendall variants."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    import size_power

    print("\nSize and power of the Mann–Kendall variants (benchmarks/size_power.py):\n")
    print(size_power.table(reps=500 if quick else 2000))


if __name__ == "__main__":
    main()
    import sys as _sys

    size_power_table("--quick" in _sys.argv)
