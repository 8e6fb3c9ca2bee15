"""Profile the library steps of a yearly run at national scale (issue 13).

Loads a warehouse built by ``analysis sample --units 3000 --years 10 --warehouse PATH`` and
times each library step a run makes, in the order a run makes them, with ``cProfile`` around
each so that the slowest functions of every step can be printed (``--top N``):

- ``warehouse``: reading framework, units and observations (DuckDB → pandas);
- ``yearly_values``: the quarterly observations to the yearly panel (:mod:`analysis.panel`);
- ``build_index``: the whole index run with every table;
- ``run_uncertainty``: ~1,000 Monte Carlo runs (the spec of ``bench_uncertainty.py``);
- ``yearly``: the statistics of notebook 01 (describe, year-on-year change, improving share, ranks);
- ``regions``: the comparisons of notebook 02 (describe_groups, compare_groups overall and by
  dimension, posthoc, inequality with the Dagum decomposition);
- ``trends``: the trend findings of notebook 03 (every unit × node series with its test and FDR,
  regions and types as wholes, change points, the power table).

Usage::

    python benchmarks/profile_national.py --warehouse /tmp/big.duckdb [--top 8] [--json out.json]

Not run by ``make bench`` by default (it needs the national warehouse); ``make bench`` runs it
when ``NATIONAL=/path/to/warehouse.duckdb`` is set.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import time
import warnings
from pathlib import Path

UNCERTAINTY_SPEC = {"samples": 143, "seed": 1, "weights": 0.25,
                    "normalisation": ["minmax", "minmax_shifted", "percentile"],
                    "aggregation": ["arithmetic", "geometric"], "missing": ["none", "region_mean"],
                    "drop_leaves": True}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Steps:
    def __init__(self, top: int):
        self.top, self.rows = top, []

    def run(self, name, fn, *args, **kwargs):
        prof = cProfile.Profile()
        t0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prof.enable()
            out = fn(*args, **kwargs)
            prof.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        self.rows.append({"step": name, "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                          "peak_rss_mb": round(peak_rss_mb())})
        print(f"{name:<34} {wall:7.2f} s wall {cpu:7.2f} s CPU   peak RSS {peak_rss_mb():6.0f} MB", flush=True)
        if self.top:
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(self.top)
            lines = [l for l in buf.getvalue().splitlines() if l.strip()]
            start = next((i for i, l in enumerate(lines) if l.lstrip().startswith("ncalls")), 0)
            print("\n".join("    " + l for l in lines[start:start + self.top + 1]))
        return out


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", required=True, type=Path)
    ap.add_argument("--year", type=int, default=None, help="the report year (default: the last year)")
    ap.add_argument("--top", type=int, default=0, help="print the N slowest functions of each step")
    ap.add_argument("--json", type=Path, default=None, help="write the step timings here")
    ap.add_argument("--skip", default="", help="comma-separated steps to skip")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    from analysis import catalog, regions, yearly
    from analysis.panel import yearly_values
    from analysis.scoring import build_index, load_config
    from analysis.scoring.uncertainty import run_uncertainty
    from analysis.trends import trend_findings

    st = Steps(args.top)

    tables = st.run("warehouse (every table, content hash)", catalog.read_warehouse, args.warehouse)
    fw, units, obs = tables.framework, tables.units, tables.observations
    print(f"  {units.unit_id.nunique():,} units, {len(obs):,} quarterly observations")
    values = st.run("panel.yearly_values", yearly_values, obs, fw, units)
    cfg = load_config(None)
    ix = st.run("build_index (with quarterly)", build_index, values, fw, units, cfg, observations=obs)
    year = args.year or int(values.year.max())
    if "uncertainty" not in skip:
        res = st.run("run_uncertainty", run_uncertainty, values, fw, units, cfg, UNCERTAINTY_SPEC)
        print(f"  {len(res.draws):,} Monte Carlo runs")
    scores = ix.scores
    index = ix.index()
    now = index[index.year == year]
    dims = scores[(scores.level == 1) & (scores.year == year)]
    if "yearly" not in skip:
        st.run("yearly.describe (node × year)", yearly.describe, scores, "score", by=("node", "year"))
        st.run("yearly.yoy_change", yearly.yoy_change, scores, "score", node="node")
        st.run("yearly.improving_share", yearly.improving_share, scores, "score", node="node")
        st.run("yearly.rank_table", yearly.rank_table, scores[scores.year == year], "score", node="node")
    if "regions" not in skip:
        st.run("regions.describe_groups", regions.describe_groups, now, "score", "region")
        st.run("regions.compare_groups", regions.compare_groups, now, "score", "region")
        st.run("regions.compare_groups by node", regions.compare_groups, dims, "score", "region", by="node")
        st.run("regions.posthoc", regions.posthoc, now, "score", "region")
        st.run("regions.inequality (Dagum) by year", regions.inequality, index, "score", "region", by="year")
    if "trends" not in skip:
        from analysis.config import StatsConfig

        res = st.run("trends.trend_findings (notebook 03)", trend_findings, scores, ix.quarterly, fw, StatsConfig(),
                     year=year)
        print(f"  {len(res.units):,} unit series, {len(res.groups):,} group tests")
    print(f"peak resident memory: {peak_rss_mb():.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(st.rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return st.rows


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
