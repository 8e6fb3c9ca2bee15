"""How a benchmark reports a figure to ``make bench`` (``benchmarks/__main__.py``).

Each figure is printed once for people (value, goal, ratio to the peer measured in the same
run) and once as a ``FIGURE {json}`` line that ``__main__`` collects into
``benchmarks/results.json``.
"""
from __future__ import annotations

import json
import os
import resource


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (``getrusage``; Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def figure(name: str, seconds: float, *, goal: float | None = None, peer: str = "", peer_seconds: float | None = None,
           **extra) -> dict:
    """Report one timing: ``goal`` is the upper bound in seconds (None: no goal of its own);
    ``ratio`` = peer seconds / our seconds (above 1: we are faster than the peer)."""
    rec = {"name": name, "seconds": round(float(seconds), 3), "goal_seconds": goal,
           "meets_goal": None if goal is None else bool(seconds < goal),
           "peer": peer, "peer_seconds": None if peer_seconds is None else round(float(peer_seconds), 3),
           "ratio_peer_over_ours": None if not peer_seconds else round(float(peer_seconds) / max(seconds, 1e-9), 2),
           "peak_rss_mb": round(peak_rss_mb()), "load_average_1min": round(os.getloadavg()[0], 2)}
    rec.update(extra)
    goal_txt = "" if goal is None else f"  goal < {goal:g} s: {'met' if rec['meets_goal'] else 'NOT met'}"
    peer_txt = "" if peer_seconds is None else f"  peer {peer}: {peer_seconds:.2f} s (ratio {rec['ratio_peer_over_ours']}×)"
    print(f"[figure] {name}: {seconds:.2f} s{goal_txt}{peer_txt}", flush=True)
    print("FIGURE " + json.dumps(rec, ensure_ascii=False), flush=True)
    return rec
