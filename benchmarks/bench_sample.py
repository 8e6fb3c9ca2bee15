"""Sample generation at scale: 3,000 units × 10 years (goal: well under a minute).

Peer: writing the same observations to CSV, the cheapest thing any pipeline must do with them.
"""
import argparse
import tempfile
import time
from pathlib import Path

from analysis.sample import generate

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true", help="300 units instead of 3,000")
args = parser.parse_args()
n_units = 300 if args.quick else 3000

t0 = time.perf_counter()
data = generate(n_units=n_units, years=range(2015, 2025), seed=1)
t_gen = time.perf_counter() - t0
t0 = time.perf_counter()
with tempfile.TemporaryDirectory() as tmp:
    data.observations.to_csv(Path(tmp) / "obs.csv", index=False)
t_csv = time.perf_counter() - t0
print(f"generate {n_units} units × 10 years: {len(data.observations):,} observations, "
      f"{len(data.problems):,} problems in {t_gen:.2f} s")
print(f"peer: writing those observations to CSV took {t_csv:.2f} s (ratio generate/write = {t_gen / t_csv:.2f})")

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import figure  # noqa: E402

figure(f"sample generation, {n_units} units × 10 years", t_gen, goal=60.0, peer="writing the observations to CSV",
       peer_seconds=t_csv, units=n_units)
