"""`make bench`: run every benchmarks/bench_*.py script in turn, print what each measures, and
write ``benchmarks/results.json``.

Each script prints its figures with their goal and their ratio to a natural peer measured in
the same run (``[figure]`` lines; machine-readable ``FIGURE {json}`` lines from
``_record.figure``). ``bench_trends.py`` prints its own format; its timings are read from its
output. ``results.json`` records, per script, the figures, the wall time and the peak resident
memory of its process, with the machine (cores, memory, load) and the package versions.

Options are passed to every script (e.g. ``--quick``), except ``--only a,b`` which runs only the
scripts whose names contain ``a`` or ``b``. With ``NATIONAL=/path/warehouse.duckdb``
in the environment, ``profile_national.py`` (the library steps) and ``national_run.py`` (the whole
run and the diagnoses, with the memory of the process tree) also run on that warehouse.

Benchmarks are never part of the test suite (these machines are shared and noisy).
"""
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

here = Path(__file__).parent
RESULTS = here / "results.json"
PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "duckdb", "SALib", "pymannkendall", "papermill", "dask",
            "distributed")


def machine() -> dict:
    mem = ""
    try:
        mem = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "memory": mem.split(":", 1)[-1].strip(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}


def versions() -> dict:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    try:
        out["analysis_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, text=True,
                                                capture_output=True).stdout.strip()
    except OSError:
        out["analysis_commit"] = ""
    return out


def trends_figures(text: str) -> list[dict]:
    """bench_trends.py's own lines: our array and DataFrame timings and the pymannkendall peer."""
    num = r"([0-9.]+) s"
    find = lambda pat: (m := re.search(pat, text)) and float(m.group(1))  # noqa: E731
    ours, frame = find(r"mann_kendall_array \(default, exact p n<=10\):\s+" + num), find(
        r"mann_kendall \(long DataFrame in, tidy out\):\s+" + num)
    peer = find(r"pymannkendall\.original_test.*?:\s+" + num)
    series = (m := re.search(r"series: ([0-9,]+)", text)) and int(m.group(1).replace(",", ""))
    figs = []
    for name, sec in (("Mann–Kendall + Sen, array (exact p)", ours), ("Mann–Kendall + Sen, long DataFrame", frame)):
        if sec is not None and peer is not None:
            figs.append({"name": f"{name}, {series:,} series", "seconds": sec, "goal_seconds": None, "meets_goal": None,
                         "peer": "pymannkendall.original_test series by series (extrapolated)", "peer_seconds": peer,
                         "ratio_peer_over_ours": round(peer / max(sec, 1e-9), 1),
                         "per_series_ms": round(1000 * sec / series, 4),
                         "peer_per_series_ms": round(1000 * peer / series, 4),
                         "identical_numbers": "identical numbers (max abs diff ≤ 1e-12): yes" in text})
    for f in figs:
        print(f"[figure] {f['name']}: {f['seconds']:.2f} s  peer {f['peer']}: {f['peer_seconds']:.1f} s "
              f"(ratio {f['ratio_peer_over_ours']}×)")
    return figs


def run(script: Path, args: list[str]) -> dict:
    print(f"\n=== {script.name} ===", flush=True)
    t0 = time.perf_counter()
    # a fresh child per script, so that ru_maxrss below is that script's own peak
    code = ("import resource, runpy, sys; sys.argv = sys.argv[1:]; "
            "sys.path.insert(0, __import__('os').path.dirname(sys.argv[0]))\n"
            "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
            "finally:\n    print('PEAK_RSS_MB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, flush=True)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(script), *args], stdout=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if not line.startswith(("FIGURE ", "PEAK_RSS_MB")):
            print(line, end="", flush=True)
    proc.wait()
    text = "".join(lines)
    figs = [json.loads(l[len("FIGURE "):]) for l in lines if l.startswith("FIGURE ")]
    if script.name == "bench_trends.py":
        figs += trends_figures(text)
    peak = [float(l.split()[1]) for l in lines if l.startswith("PEAK_RSS_MB")]
    return {"script": script.name, "ok": proc.returncode == 0, "wall_seconds": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": round(peak[0]) if peak else None, "figures": figs}


def main() -> int:
    args = sys.argv[1:]
    only = []
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1].split(",")
        del args[i:i + 2]
    scripts = [s for s in sorted(here.glob("bench_*.py")) if not only or any(o in s.name for o in only)]
    record = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "args": args, "machine": machine(),
              "versions": versions(), "scripts": []}
    for script in scripts:
        record["scripts"].append(run(script, args))
    national = os.environ.get("NATIONAL")
    if national:
        record["scripts"].append(run(here / "profile_national.py", ["--warehouse", national,
                                                                     "--json", str(here / "national_steps.json")]))
        record["scripts"].append(run(here / "national_run.py", ["--warehouse", national]))
    record["load_average_at_end"] = os.getloadavg()
    RESULTS.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\n=== summary (written to {RESULTS}) ===")
    for s in record["scripts"]:
        for f in s["figures"]:
            goal = "" if f.get("goal_seconds") is None else f" (goal < {f['goal_seconds']:g} s: " \
                   f"{'met' if f.get('meets_goal') else 'NOT met'})"
            ratio = "" if f.get("ratio_peer_over_ours") is None else f"; {f['ratio_peer_over_ours']}× vs {f['peer']}"
            print(f"{f['name']}: {f['seconds']:.2f} s{goal}{ratio}")
        print(f"{s['script']}: {'ok' if s['ok'] else 'FAILED'}, {s['wall_seconds']} s, peak RSS {s['peak_rss_mb']} MB")
    failed = [s["script"] for s in record["scripts"] if not s["ok"]]
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


sys.exit(main())
