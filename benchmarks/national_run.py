"""The national run end to end (issue 13): ``analysis run`` on a 3,000-unit × 10-year warehouse.

    python benchmarks/national_run.py --warehouse /tmp/nat.duckdb [--year 2026] [--jobs 2]

Runs, each as its own ``analysis run`` process, with the resident memory of the whole process
tree (runner, worker processes, kernels) sampled every 0.2 s:

1. the yearly computation with notebooks 00–03 (``--only 00,01,02,03``). Goals: under 60 s wall,
   peak memory of the tree under 4 GB, no report page above 5 MB. The manifest's stage seconds
   (warehouse, inputs, notebooks, pages) say where the time went.
2. the diagnosis notebook for 1 unit and for 20 units of one region (one batch): (t₂₀ − t₁) / 19 is the
   marginal cost of a diagnosis (goal under 0.5 s), from the batch notebooks' own seconds in the
   manifests. Peer: one papermill notebook per unit (t₁, the one-unit batch notebook).

Build the warehouse first: ``analysis sample --units 3000 --years 10 --warehouse /tmp/nat.duckdb``.
``make bench`` runs this when ``NATIONAL=/path/to/warehouse.duckdb`` is set.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import figure  # noqa: E402

ANALYSIS = Path(sys.executable).with_name("analysis")


def run_measured(args: list[str]) -> tuple[float, float, int]:
    """Run ``analysis`` with ``args``; returns (wall seconds, peak MB of the process tree, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(ANALYSIS), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample():
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()) / 2 ** 20)
            except psutil.Error:
                pass
            time.sleep(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    watcher.join()
    if proc.returncode:
        print(err[-2000:], file=sys.stderr)
    return time.perf_counter() - t0, peak[0], proc.returncode


def diagnosis_seconds(folder: Path) -> float:
    """Seconds of the diagnosis batch notebooks of the run whose manifest is in ``folder``."""
    run = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run"]
    return sum(v["seconds"] for k, v in run["notebooks"].items() if k.startswith("04_"))


def units_of_one_region(warehouse: Path, year: int, n: int) -> list[str]:
    from analysis import catalog
    from analysis.panel import units_for_year

    units = units_for_year(catalog.read_warehouse(warehouse).units, year)
    region = units.region.value_counts().index[0]
    return sorted(units[units.region == region].unit_id.astype(str))[:n]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", required=True, type=Path)
    ap.add_argument("--year", type=int, default=None, help="report year (default: the warehouse's last year)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="accepted for make bench; the national run has no short form")
    args = ap.parse_args(argv)
    if args.year is None:
        import duckdb

        with duckdb.connect(str(args.warehouse), read_only=True) as con:
            args.year = int(con.execute("SELECT max(year) FROM observations").fetchone()[0])
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "reports"
        common = ["run", "--year", str(args.year), "--warehouse", str(args.warehouse), "--jobs", str(args.jobs),
                  "--out", str(out)]
        seconds, peak, code = run_measured([*common, "--only", "00,01,02,03"])
        ok &= code == 0
        folder = out / str(args.year)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8")) if code == 0 else {}
        pages = {p.name: round(p.stat().st_size / 2 ** 20, 2) for p in sorted(folder.glob("*.html"))}
        largest = max(pages.values(), default=0.0)
        figure("national yearly run, notebooks 00–03 (3,000 units × 10 years)", seconds, goal=60.0,
               peak_tree_mb=round(peak), goal_peak_mb=4096, meets_memory_goal=peak < 4096,
               stages=manifest.get("run", {}).get("stages"), notebooks=manifest.get("run", {}).get("notebooks"),
               page_mb=pages, largest_page_mb=largest, meets_page_goal=largest < 5)
        print(f"  peak memory of the process tree {peak:,.0f} MB (goal < 4,096 MB); largest page {largest} MB "
              f"(goal < 5 MB); stages {manifest.get('run', {}).get('stages')}", flush=True)

        units = units_of_one_region(args.warehouse, args.year, 20)  # one batch (diagnosis.batch_size)
        t1, _, c1 = run_measured([*common, "--only", "04", "--units", units[0]])
        nb1 = diagnosis_seconds(folder)
        tn, peak_n, cn = run_measured([*common, "--only", "04", "--units", ",".join(units)])
        nbn = diagnosis_seconds(folder)
        ok &= c1 == 0 and cn == 0
        # the batch notebook's own seconds (kernel, diagnoses, page export), not the whole run's:
        # the inputs stage (~30 s, the same in both runs) would bury 19 diagnoses in its noise
        marginal = (nbn - nb1) / (len(units) - 1)
        figure(f"marginal cost of a unit diagnosis at national scale ({len(units)} vs 1 unit)", marginal, goal=0.5,
               peer="a papermill notebook per unit (the one-unit batch notebook)", peer_seconds=nb1,
               one_unit_notebook_seconds=round(nb1, 2), batch_notebook_seconds=round(nbn, 2),
               one_unit_run_seconds=round(t1, 2), batch_run_seconds=round(tn, 2), peak_tree_mb=round(peak_n))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
