"""Where the embarrassingly parallel work runs: the local process pool or a Dask cluster (并行执行).

One small abstraction, :func:`executor`, serves every parallel step of a run (Monte Carlo draws
of the uncertainty analysis, per-unit trend tests of very large panels, a batch of report
notebooks). It returns an object with ``map(fn, items)`` that gives the results **in the order
of** ``items``, over

- a local :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method
  (``scheduler=None``; ``jobs`` processes, or the calling process itself for ``jobs <= 1``), or
- a :class:`dask.distributed.Client` connected to an existing scheduler
  (``scheduler="tcp://host:8786"``; ``jobs`` is then ignored: the cluster has its own workers).

Identical results either way. Nothing a task computes may depend on which process runs it or in
which order: every task that needs random numbers receives its own seed from
:func:`task_seeds` (children of one :class:`numpy.random.SeedSequence`, one per task *item*,
not per worker), and ``map`` returns results in input order.

What moves where. The warehouse (DuckDB file) stays with the client process: it loads the
yearly panel once, compiles it into numpy arrays (:func:`analysis.scoring.compile_index`) and
sends each task only those arrays and the slice of parameters it needs (pickled by the pool, or
by Dask's serialisation). Workers never open the warehouse, read the config files or write
reports; they return arrays, which the client assembles into tables. See ``docs/scaling.md``.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable

import numpy as np

from .errors import ConfigError

__all__ = ["Executor", "executor", "task_seeds", "chunks", "classify_trends_chunked"]


def task_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seeds of ``seed`` (``SeedSequence(seed).spawn(n)``), one per task
    item: task ``i`` always gets the same stream, whatever the chunking or the backend.

    >>> s = task_seeds(20241, 3)
    >>> [int(np.random.default_rng(x).integers(1000)) for x in s] == \\
    ...     [int(np.random.default_rng(x).integers(1000)) for x in np.random.SeedSequence(20241).spawn(3)]
    True
    """
    return np.random.SeedSequence(int(seed)).spawn(int(n))


def chunks(n: int, size: int) -> list[range]:
    """``range(n)`` cut into consecutive ranges of at most ``size`` items (the last may be shorter).

    >>> chunks(7, 3)
    [range(0, 3), range(3, 6), range(6, 7)]
    """
    size = max(1, int(size))
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


class Executor:
    """Ordered ``map`` over a local process pool, a Dask client, or the calling process.

    Use as a context manager (``with executor(...) as ex: ex.map(f, items)``) so that the pool or
    the client connection is closed; ``close()`` does the same. ``fn`` must be a module-level
    function (it is pickled) and must not do file or database I/O.
    """

    def __init__(self, kind: str, *, jobs: int = 1, client=None, pool=None, address: str = ""):
        self.kind, self.jobs, self.address = kind, jobs, address
        self._client, self._pool = client, pool

    @property
    def workers(self) -> int:
        """How many tasks run at once (threads of all Dask workers, processes of the pool)."""
        if self.kind == "dask":
            info = self._client.scheduler_info()
            return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))
        return max(1, self.jobs)

    def map(self, fn: Callable, items: Iterable, *args) -> list:
        """``[fn(item, *args) for item in items]``, computed in parallel, in input order.

        ``args`` are the same for every task (e.g. the compiled arrays): Dask scatters them to
        the workers once (broadcast) instead of once per task.
        """
        items = list(items)
        if not items:
            return []
        if self.kind == "dask":
            shared = [self._client.scatter(a, broadcast=True) if _is_large(a) else a for a in args]
            futures = self._client.map(fn, items, *[[s] * len(items) for s in shared], pure=False)
            return self._client.gather(futures)
        if self.kind == "pool":
            return list(self._pool.map(fn, items, *[[a] * len(items) for a in args]))
        return [fn(item, *args) for item in items]

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        where = self.address if self.kind == "dask" else f"{self.jobs} process(es)"
        return f"Executor({self.kind}, {where})"


def _is_large(obj) -> bool:
    """Objects worth scattering once: anything but small scalars and strings."""
    return not isinstance(obj, (int, float, str, bool, type(None)))


def executor(scheduler: str | None = None, jobs: int = 1) -> Executor:
    """The executor of a run: Dask at ``scheduler`` if given, else ``jobs`` local processes.

    Parameters
    ----------
    scheduler : address of a running Dask scheduler (``tcp://host:port``; ``dask scheduler``
        prints it), or ``None``/``""`` for the local machine.
    jobs : local worker processes (``spawn``); ``1`` or less runs the tasks in the calling process.

    Raises :class:`~analysis.errors.ConfigError` (Chinese first) if the scheduler cannot be
    reached within 30 s or the address is malformed.

    The local pool *spawns* its processes (no fork of a process holding a DuckDB connection or
    threads): a script that creates it must do so under ``if __name__ == "__main__":``, as for
    any spawned ``multiprocessing`` pool.

    >>> with executor(None, 1) as ex:
    ...     ex.map(pow, [2, 3, 4], 2)
    [4, 9, 16]
    """
    if scheduler:
        scheduler = str(scheduler)
        if "://" not in scheduler:
            raise ConfigError(
                f"配置项 scheduler:地址 {scheduler!r} 须形如 tcp://主机:端口 / config key scheduler: the address "
                f"{scheduler!r} must look like tcp://host:port")
        from dask.distributed import Client

        try:
            client = Client(scheduler, timeout="30s", set_as_default=False)
        except OSError as exc:
            raise ConfigError(f"无法连接 Dask 调度器 {scheduler}:{exc} / cannot reach the Dask scheduler "
                              f"{scheduler}: {exc}") from exc
        return Executor("dask", client=client, address=scheduler)
    jobs = int(jobs or 1)
    if jobs <= 1:
        return Executor("serial", jobs=1)
    jobs = min(jobs, os.cpu_count() or jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
    return Executor("pool", jobs=jobs, pool=pool)


# --------------------------------------------------------------------------- per-unit trends

def _trend_chunk(frame, kwargs: dict):
    from .trends import classify_trends

    return classify_trends(frame, **kwargs)


def classify_trends_chunked(data, ex: Executor | None = None, *, unit: str = "unit_id",
                            units_per_task: int = 2000, **kwargs):
    """:func:`analysis.trends.classify_trends` of a very large panel, ``units_per_task`` units
    per task on ``ex`` (the same table as one call, rows in unit order).

    Each task receives only its units' rows and runs the per-series Mann–Kendall tests with no
    p-value adjustment. The false-discovery control is a property of the whole family, so it
    is applied once afterwards, over all rows of each family (:func:`analysis.multitest.
    adjust_pvalues`), and the labels are re-derived with the rule of ``classify_trends``:
    significant (``p_adj < alpha``) and the sign of S agreeing (improving) or disagreeing
    (deteriorating) with the series' direction; ``not testable`` rows keep their reason.
    """
    import pandas as pd

    from .multitest import METHODS as ADJUST_METHODS, adjust_pvalues
    from .trends import LABELS_ZH

    adjust = kwargs.pop("adjust", "fdr_bh")
    alpha = kwargs.get("alpha", 0.05)
    units = pd.unique(data[unit])
    parts = [data[data[unit].isin(units[r.start:r.stop])] for r in chunks(len(units), units_per_task)]
    ex = ex or Executor("serial")
    out = pd.concat(ex.map(_trend_chunk, parts, dict(kwargs, adjust="none")), ignore_index=True)
    series = kwargs.get("series", ("unit_id", "node"))
    series = [series] if isinstance(series, str) else list(series)
    out = out.sort_values(series, kind="stable").reset_index(drop=True)  # one call sorts by series too
    p = out["p"].to_numpy(dtype=float)
    p_adj = np.full(len(out), np.nan)
    for _, idx in out.groupby("family", sort=False).indices.items():
        p_adj[idx] = adjust_pvalues(p[idx], adjust)
    dirs = out["direction"].to_numpy(dtype=object)
    sign = np.sign(out["statistic"].to_numpy(dtype=float))
    testable = out["reason"].to_numpy(dtype=object) == ""
    signif = p_adj < alpha
    better = ((dirs == "positive") & (sign > 0)) | ((dirs == "negative") & (sign < 0))
    worse = ((dirs == "positive") & (sign < 0)) | ((dirs == "negative") & (sign > 0))
    cls = np.where(~testable, "not testable", np.where(signif & better, "improving",
                                                        np.where(signif & worse, "deteriorating",
                                                                 "no significant trend")))
    out["p_adj"] = p_adj
    out["classification"] = cls
    out["classification_zh"] = [LABELS_ZH[c] for c in cls]
    out["adjust"] = ADJUST_METHODS.get(adjust, adjust)
    return out
