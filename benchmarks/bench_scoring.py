"""Benchmark: build_index on a large yearly panel (default framework), against its own array path.

Prints the time of each stage of a full ``build_index`` run and of the bare array path
(``IndexModel.compute``: normalise + aggregate, what every Monte Carlo draw re-runs), and their
ratio. Run: ``.venv/bin/python benchmarks/bench_scoring.py [--quick]``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from analysis.framework import leaves, load_framework
from analysis.scoring import build_index, compile_index


def synthetic_panel(n_units: int, years: range, seed: int = 1):
    fw = load_framework()
    rng = np.random.default_rng(seed)
    codes = leaves(fw).code.tolist()
    units = pd.DataFrame({"unit_id": [f"U{i:05d}" for i in range(n_units)], "name_zh": "单位",
                          "type": rng.choice(["county", "department", "enterprise", "college"], n_units),
                          "region": rng.choice([f"R{i:02d}" for i in range(12)], n_units),
                          "valid_from": years.start, "valid_to": np.nan, "staff": 100.0,
                          "party_members": 50.0, "residents": 10000.0})
    idx = pd.MultiIndex.from_product([units.unit_id, list(years), codes], names=["unit_id", "year", "indicator"])
    values = idx.to_frame(index=False)
    values["value"] = rng.gamma(2.0, 10.0, len(values))
    values.loc[rng.random(len(values)) < 0.02, "value"] = np.nan  # 2 % missing cells
    return fw, units, values.dropna()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="300 units × 5 years instead of 3,000 × 10")
    args = ap.parse_args()
    n, years = (300, range(2020, 2025)) if args.quick else (3000, range(2015, 2025))
    fw, units, values = synthetic_panel(n, years)
    print(f"panel: {n} units × {len(years)} years × {values.indicator.nunique()} leaves = {len(values):,} values")

    t0 = time.perf_counter()
    model, _ = compile_index(values, fw, units)
    t1 = time.perf_counter()
    model.compute()
    t2 = time.perf_counter()
    res = build_index(values, fw, units)
    t3 = time.perf_counter()
    print(f"compile_index (prepare, weights):  {t1 - t0:7.2f} s")
    print(f"IndexModel.compute (array path):   {t2 - t1:7.2f} s")
    print(f"build_index (all tables):          {t3 - t2:7.2f} s  = {(t3 - t2) / (t2 - t1):.0f} × the array path")
    print(f"rows: scores {len(res.scores):,}, attribution {len(res.attribution):,}, leaves {len(res.leaves):,}")


if __name__ == "__main__":
    main()
