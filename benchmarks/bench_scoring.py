"""Benchmark: build_index at national scale (3,000 units × 10 years), against a plain pandas peer.

The peer is the same arithmetic written the way an analyst would in pandas: orient each
monitoring point by its direction, min–max normalise it over all unit-years (``groupby``
``transform``), multiply by its effective weight (product of the within-parent weights along
its path) and sum per unit-year (``groupby`` ``sum``). On a complete panel (no missing cell,
so no renormalisation or imputation) that is exactly the default index; the root scores are
compared. Prints the time of ``compile_index``, of the array path (``IndexModel.compute``), of
the whole ``build_index`` (every table) and the ratios to the peer.

Run: ``python benchmarks/bench_scoring.py [--quick]``.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from analysis.framework import leaves, load_framework
from analysis.scoring import build_index, compile_index

from _record import figure

GOAL_BUILD_S = 10.0  # build_index's share of the 60 s national yearly run (issue 13)


def synthetic_panel(n_units: int, years: range, seed: int = 1, missing: float = 0.0):
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
    if missing:
        values.loc[rng.random(len(values)) < missing, "value"] = np.nan
    return fw, units, values.dropna()


def effective_weights(fw: pd.DataFrame) -> pd.Series:
    """Product of the within-parent weights along each scored leaf's path (pandas)."""
    w = fw.set_index("code").weight / fw.groupby("parent").weight.transform("sum").to_numpy()
    parent = fw.set_index("code").parent
    eff = {}
    for code in leaves(fw).code:
        e, c = 1.0, code
        while parent[c]:
            e *= w[c]
            c = parent[c]
        eff[code] = e
    return pd.Series(eff)


def pandas_index(values: pd.DataFrame, fw: pd.DataFrame) -> pd.DataFrame:
    """The default index (pooled min–max ×100, weighted arithmetic means) in plain pandas."""
    meta = fw.set_index("code")
    d = values.merge(meta[["direction", "target"]], left_on="indicator", right_index=True)
    d["o"] = np.where(d.direction == "positive", d.value,
                      np.where(d.direction == "negative", -d.value, -(d.value - d.target.fillna(0)).abs()))
    g = d.groupby("indicator").o
    lo, hi = g.transform("min"), g.transform("max")
    d["norm"] = 100 * (d.o - lo) / (hi - lo)
    d["contrib"] = d.norm * d.indicator.map(effective_weights(fw))
    return d.groupby(["unit_id", "year"], as_index=False).contrib.sum().rename(columns={"contrib": "score"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="300 units × 5 years instead of 3,000 × 10")
    args = ap.parse_args()
    n, years = (300, range(2020, 2025)) if args.quick else (3000, range(2015, 2025))
    fw, units, values = synthetic_panel(n, years)
    print(f"panel: {n} units × {len(years)} years × {values.indicator.nunique()} leaves = {len(values):,} values")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        model, _ = compile_index(values, fw, units)
        t1 = time.perf_counter()
        model.compute()
        t2 = time.perf_counter()
        res = build_index(values, fw, units)
        t3 = time.perf_counter()
    t4 = time.perf_counter()
    peer = pandas_index(values, fw)
    t_peer = time.perf_counter() - t4
    ours = res.scores[res.scores.level == 0][["unit_id", "year", "score"]]
    both = ours.merge(peer, on=["unit_id", "year"], suffixes=("", "_pandas"))
    diff = float(np.max(np.abs(both.score - both.score_pandas)))
    print(f"compile_index (prepare, weights):  {t1 - t0:7.2f} s")
    print(f"IndexModel.compute (array path):   {t2 - t1:7.2f} s  = {(t2 - t1) / t_peer:.2f} × the pandas peer")
    print(f"build_index (all tables):          {t3 - t2:7.2f} s  = {(t3 - t2) / t_peer:.1f} × the pandas peer "
          f"(goal < {GOAL_BUILD_S:.0f} s)")
    print(f"plain pandas groupby index (peer): {t_peer:7.2f} s; max |ours − pandas| root score = {diff:.2e} "
          f"over {len(both):,} unit-years")
    print(f"rows: scores {len(res.scores):,}, attribution {len(res.attribution):,}, leaves {len(res.leaves):,}")
    figure("index array path (IndexModel.compute)", t2 - t1, goal=None, peer="plain pandas groupby index",
           peer_seconds=t_peer, units=n, years=len(years))
    figure("build_index, all tables", t3 - t2, goal=GOAL_BUILD_S, peer="plain pandas groupby index",
           peer_seconds=t_peer, units=n, years=len(years), max_abs_diff=diff)


if __name__ == "__main__":
    main()
