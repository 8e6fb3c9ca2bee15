"""Benchmark: Monte Carlo uncertainty / Sobol' sensitivity of the index (analysis.scoring.uncertainty).

Target (issue 3): about 1,000 runs over 3,000 units × 10 years within a minute on this machine.

Measures, on the synthetic sample city:

1. ``run_uncertainty`` end to end (config validation, one compiled panel per imputation
   alternative, all runs, ranks, grades, percentiles, Sobol' indices);
2. the array engine alone (``root_scores`` for all runs);
3. the natural peer: a naive loop of ``build_index`` calls, one per run (the framework's
   weights multiplied by the run's multipliers, the dropped leaf removed, the run's methods
   in the config), timed on a few runs and extrapolated; its root scores are compared with
   the engine's for the same runs.

Usage::

    .venv/bin/python benchmarks/bench_uncertainty.py            # 3,000 units × 10 years, ~1,000 runs
    .venv/bin/python benchmarks/bench_uncertainty.py --quick    # 80 units × 6 years, small design
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from analysis import panel, sample
from analysis.scoring.build import build_index, compile_index
from analysis.scoring.config import load_config
from analysis.scoring.uncertainty import root_scores, run_uncertainty

from _record import figure


def naive_run(values, fw, units, cfg, mult_row, tree, norm, agg, miss, dropped):
    """One run the slow way: edit the framework and the config, call build_index."""
    fw2 = fw.copy()
    m = dict(zip(tree.nodes, mult_row))
    fw2["weight"] = fw2.weight * fw2.code.map(m).fillna(1.0)
    if dropped:
        fw2 = fw2[fw2.code != dropped]
    changes = {"normalisation": {"method": norm}, "missing": {"method": miss}}
    if agg != cfg.aggregation.method:
        changes["aggregation"] = {"method": agg, "levels": {}}
    res = build_index(values, fw2, units, cfg.replace(**changes))
    return res.scores[res.scores.level == 0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="80 units × 6 years, 16 base samples")
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--samples", type=int, default=143, help="Sobol' base sample N; runs = N (k + 2)")
    ap.add_argument("--naive", type=int, default=3, help="runs timed with the naive build_index loop")
    ap.add_argument("--no-dask", action="store_true", help="skip the run on a local Dask cluster")
    args = ap.parse_args()
    if args.quick:
        args.units, args.years, args.samples, args.naive = 80, 6, 16, 3

    t0 = time.perf_counter()
    s = sample.generate(n_units=args.units, years=range(2025 - args.years, 2025))
    values = panel.yearly_values(s.observations, s.framework, s.units)
    print(f"data: {args.units} units × {args.years} years, {len(values):,} yearly values "
          f"(generated in {time.perf_counter() - t0:.1f} s, not timed below)")

    spec = {"samples": args.samples, "seed": 1, "weights": 0.25,
            "normalisation": ["minmax", "minmax_shifted", "percentile"],
            "aggregation": ["arithmetic", "geometric"], "missing": ["none", "region_mean"],
            "drop_leaves": True}
    cfg = load_config(None)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, c = time.perf_counter(), time.process_time()
        res = run_uncertainty(values, s.framework, s.units, cfg, spec)
        t_total, c_total = time.perf_counter() - t, time.process_time() - c
        t = time.perf_counter()
        compile_index(values, s.framework, s.units, cfg)
        t_compile = time.perf_counter() - t
    runs = len(res.draws)
    print(f"run_uncertainty: {runs:,} runs in {t_total:.1f} s wall, {c_total:.1f} s CPU "
          f"({t_total * 1000 / runs:.1f} s wall per 1,000 runs); of which 2 panels compiled "
          f"(compile_index, one per imputation alternative): ~{2 * t_compile:.1f} s")
    print(f"machine load average (1, 5, 15 min): {os.getloadavg()}  -- the machine is shared; CPU time is the "
          "steadier figure")

    # the engine alone, on the nominal panel: all runs' weights and the nominal methods
    model, _ = compile_index(values, s.framework, s.units, cfg)
    mult = np.ones((runs, len(model.tree.nodes)))
    rng = np.random.default_rng(0)
    mult[:, :-1] = rng.uniform(1 - 0.25, 1 + 0.25, (runs, len(model.tree.nodes) - 1))
    norm = model.normalised()
    t = time.perf_counter()
    root_scores(norm, model, mult, model.methods)
    t_engine = time.perf_counter() - t
    print(f"engine only (arithmetic, {runs:,} weight draws): {t_engine:.2f} s")

    # naive peer on a few runs, and agreement with the engine for the same runs
    draws = res.draws.head(args.naive)
    dw = res.draw_weights[res.draw_weights.draw.isin(draws.draw)]
    times, diffs = [], []
    for _, d in draws.iterrows():
        mrow = dw[dw.draw == d.draw].set_index("node").multiplier.reindex(model.tree.nodes).fillna(1.0).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            root = naive_run(values, s.framework, s.units, cfg, mrow, model.tree, d.normalisation, d.aggregation,
                             d.missing, d.dropped_leaf)
            times.append(time.perf_counter() - t)
            m2, _ = compile_index(values, s.framework, s.units, cfg.replace(missing={"method": d.missing}))
            mr = mrow.copy()
            if d.dropped_leaf:
                mr[model.tree.index(d.dropped_leaf)] = 0.0
            methods = m2.methods if d.aggregation == cfg.aggregation.method else d.aggregation
            eng = root_scores(m2.normalised(method=d.normalisation), m2, mr[None, :], methods)[..., 0]
        ui = {u: i for i, u in enumerate(m2.panel.unit_ids)}
        yi = {y: i for i, y in enumerate(m2.panel.years)}
        mine = eng[root.year.map(yi).to_numpy(), root.unit_id.map(ui).to_numpy()]
        diffs.append(float(np.nanmax(np.abs(mine - root.score.to_numpy()))))
    per = float(np.mean(times))
    print(f"naive build_index loop: {per:.2f} s per run on {len(times)} runs -> {per * runs:.0f} s for {runs:,} runs")
    print(f"ratio naive / vectorised (end to end): {per * runs / t_total:.0f}x")
    print(f"max |engine - build_index| root score over those runs: {max(diffs):.2e}")
    figure(f"run_uncertainty, {runs:,} runs", t_total, goal=60.0, peer="naive build_index loop (extrapolated)",
           peer_seconds=per * runs, cpu_seconds=round(c_total, 2), runs=runs, units=args.units, years=args.years)

    if not args.no_dask:
        # the same run on a local Dask cluster (two worker processes): the overhead of shipping the
        # compiled panels and returning the arrays, and the per-task cost used in docs/scaling.md
        from dask.distributed import Client, LocalCluster

        from analysis.parallel import Executor

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, \
                Executor("dask", client=Client(cluster, set_as_default=False), address="local") as ex:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = time.perf_counter()
                res_d = run_uncertainty(values, s.framework, s.units, cfg, spec, executor=ex)
                t_dask = time.perf_counter() - t
        same = res_d.ranks.equals(res.ranks) and res_d.sensitivity.equals(res.sensitivity)
        print(f"on a local Dask cluster (2 worker processes): {t_dask:.1f} s; tables identical to the local run: {same}")
        figure(f"run_uncertainty on Dask (2 local workers), {runs:,} runs", t_dask, goal=60.0,
               peer="the same run in one process", peer_seconds=t_total, identical=bool(same), runs=runs)
    print(f"Sobol' indices (output: mean |rank shift|):\n{res.sensitivity[['factor', 'S1', 'S1_conf', 'ST', 'ST_conf']].round(3).to_string(index=False)}")


if __name__ == "__main__":
    main()
