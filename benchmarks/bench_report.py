"""Benchmark of the yearly report run (issue 6 goals), against natural peers in the same run.

    .venv/bin/python benchmarks/bench_report.py [--quick] [--warehouse data/warehouse.duckdb] [--year 2024]

Prints, with the machine load next to every timing (this machine is shared):

1. **floor vs notebook**: every notebook's code run as a plain Python script in a fresh process
   (the "plain-script floor": same imports, same tables and figures, display switched off)
   against ``execute_notebook`` (papermill kernel + in-process HTML export). Goal: ratio ≤ 1.3.
2. **marginal cost of a unit diagnosis**: the diagnosis notebook with 1 unit and with N units;
   (t_N − t_1)/(N − 1) s per extra unit. Goal: well under 1 s.
3. **the whole yearly run** (what ``make report`` runs: all notebooks, every unit diagnosed)
   with ``--jobs 1`` and ``--jobs 2``. Goals: jobs 2 under 120 s; jobs 1 / jobs 2 ≥ 1.7.

``--quick`` skips the floor comparison and runs the yearly job on 3 regions of units only.
Without ``--warehouse`` a sample warehouse (80 units, 2019–2024) is generated in a temporary folder.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from analysis.runner import execute_notebook as _execute, kernel_log, load_run_config, run_year  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import figure  # noqa: E402


def execute_notebook(path, params, out_dir, name, **kwargs):
    """The runner's execute_notebook with the kernel's chatter sent to out_dir/logs, as in a run."""
    with kernel_log(out_dir, name):
        return _execute(path, params, out_dir, name, **kwargs)


def load() -> str:
    return "load %.1f" % os.getloadavg()[0]


def sample_warehouse(folder: Path) -> Path:
    from analysis.ingest import ingest
    from analysis.sample import generate, write_files

    path = folder / "warehouse.duckdb"
    ingest(write_files(generate(), folder / "sample"), path, command="bench_report")
    return path


def floor_script(notebook: Path, params: dict, out: Path) -> Path:
    """The notebook's code as a plain script: parameters assigned, IPython display switched off."""
    import jupytext

    nb = jupytext.read(notebook)
    code = [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    head = ["import matplotlib; matplotlib.use('Agg')",
            "import IPython.display; IPython.display.display = lambda *a, **k: None"]
    head += [f"{k} = {v!r}" for k, v in params.items()]
    out.write_text("\n".join(head + code) + "\n", encoding="utf-8")
    return out


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--warehouse", type=Path)
    ap.add_argument("--year", type=int, default=2024)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_report_"))
    warehouse = (args.warehouse or sample_warehouse(tmp)).resolve()
    cfg = load_run_config()
    nb_dir = Path(cfg["notebooks_dir"])
    common = {"year": args.year, "warehouse": str(warehouse), "run_config": "", "scoring_config": "",
              "lang": "zh", "publish": False}
    os.environ["ANALYSIS_CACHE_DIR"] = str(tmp / "cache")  # as in a run: the index is computed once
    print(f"warehouse {warehouse}; cores {os.cpu_count()}; {load()}")

    if not args.quick:
        repeat = 3
        print(f"\n1. plain-script floor vs papermill notebook (+ HTML), fresh process each, best of {repeat}")
        # warm the shared inputs cache and the OS file cache once
        subprocess.run([sys.executable, "-c", f"from analysis.runner import load_inputs; load_inputs({str(warehouse)!r})"],
                       check=True)
        for name in cfg["notebooks"]:
            params = dict(common) | ({"units": ["U001", "U017", "U030", "U042"]} if name in cfg["batch_notebooks"] else {})
            path = nb_dir / f"{name}.ipynb"
            script = floor_script(path, params, tmp / f"{name}_floor.py")
            floors, nbs = [], []
            for _ in range(repeat):  # alternate floor and notebook; keep the best of each
                t_floor, proc = timed(lambda: subprocess.run([sys.executable, str(script)], cwd=nb_dir,
                                                             capture_output=True, text=True))
                if proc.returncode:
                    break
                t_nb, res = timed(lambda: execute_notebook(path, params, tmp / "nb", name,
                                                           split_units=name in cfg["batch_notebooks"]))
                floors.append(t_floor)
                nbs.append(t_nb)
            if proc.returncode:
                print(f"   {name}: floor script failed: {proc.stderr[-300:]}")
                continue
            t_floor, t_nb = min(floors), min(nbs)
            print(f"   {name:24s} floor {t_floor:6.2f} s   notebook {t_nb:6.2f} s   ratio {t_nb / t_floor:4.2f}"
                  f"   ok={res.ok}   ({load()})")

    print("\n2. marginal cost of one more unit diagnosis (one executed notebook per batch)")
    from analysis.panel import units_for_year
    from analysis.warehouse import Warehouse

    with Warehouse(warehouse, read_only=True) as wh:
        ids = units_for_year(wh.units(), args.year).unit_id.tolist()
    n = 5 if args.quick else 20
    path = nb_dir / "04_unit_diagnosis.ipynb"
    execute_notebook(path, common | {"units": ids[:1]}, tmp / "m", "warm", split_units=True)  # warm-up, not timed
    t1, _ = timed(lambda: execute_notebook(path, common | {"units": ids[:1]}, tmp / "m", "one", split_units=True))
    tn, res = timed(lambda: execute_notebook(path, common | {"units": ids[:n]}, tmp / "m", "many", split_units=True))
    print(f"   1 unit {t1:.2f} s; {n} units {tn:.2f} s → {(tn - t1) / (n - 1):.2f} s per extra unit "
          f"(vs {t1:.2f} s for a notebook per unit); ok={res.ok} ({load()})")
    # peer: the plain way, one papermill notebook execution per unit, one after the other
    if res.ok:
        figure("unit diagnosis, marginal cost per unit in a batch", max((tn - t1) / (n - 1), 0.0), goal=0.5,
               peer="one notebook execution per unit (sequential)", peer_seconds=t1, units=n)
    else:
        print("   the diagnosis notebook failed: no figure recorded")

    print("\n3. the yearly run (all notebooks, every unit diagnosed), --jobs 1 vs --jobs 2")
    os.environ.pop("ANALYSIS_CACHE_DIR", None)
    units = ids[:21] if args.quick else None
    times = {}
    for jobs in (1, 2):
        t, summary = timed(lambda: run_year(args.year, warehouse, jobs=jobs, units=units, out=tmp / f"jobs{jobs}"))
        times[jobs] = t
        n_units = sum(len(r.units) for r in summary.results)
        print(f"   --jobs {jobs}: {t:6.1f} s  ({len(summary.results)} notebooks, {n_units} unit pages, "
              f"ok={summary.ok}) ({load()})")
    print(f"   speed-up jobs 1 / jobs 2 = {times[1] / times[2]:.2f}× (goal ≥ 1.7); jobs 2 {times[2]:.0f} s (goal < 120 s)")
    if summary.ok:
        figure("yearly run, --jobs 2", times[2], goal=120.0, peer="the same run with --jobs 1 (sequential)",
               peer_seconds=times[1], quick=bool(args.quick))
    print(f"\noutputs kept in {tmp}")


if __name__ == "__main__":
    main()
