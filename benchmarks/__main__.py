"""`make bench`: run every benchmarks/bench_*.py script in turn and print what each measures.

Benchmarks print timings and ratios against a natural peer measured in the same run; they are
never part of the test suite (these machines are shared and noisy).
"""
import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
failed = []
for script in sorted(here.glob("bench_*.py")):
    print(f"\n=== {script.name} ===", flush=True)
    if subprocess.call([sys.executable, str(script), *sys.argv[1:]]) != 0:
        failed.append(script.name)
if failed:
    sys.exit(f"failed: {failed}")
