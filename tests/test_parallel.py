"""The parallel backend (analysis.parallel) and the Monte Carlo run on it.

The reference for every parallel result is the same computation in one process (the serial
run is itself checked against build_index in tests/test_uncertainty.py): a different chunking,
the local process pool, an in-process Dask LocalCluster and a separate `dask scheduler` /
`dask worker` pair must all give exactly equal tables.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import panel
from analysis.errors import ConfigError
from analysis.parallel import Executor, chunks, classify_trends_chunked, executor, task_seeds
from analysis.scoring.uncertainty import run_uncertainty

SRC = Path(__file__).resolve().parents[1] / "src"
SPEC = {"samples": 8, "seed": 11, "weights": 0.3, "normalisation": ["minmax", "percentile"],
        "aggregation": ["arithmetic", "geometric"], "missing": ["none", "region_mean"], "drop_leaves": ["M01", "M05"]}


@pytest.fixture(scope="module")
def data(sample_data):
    v = panel.yearly_values(sample_data.observations, sample_data.framework, sample_data.units)
    return v, sample_data.framework, sample_data.units


def _ua(data, **kw):
    v, fw, units = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_uncertainty(v, fw, units, None, SPEC, **kw)


@pytest.fixture(scope="module")
def pool():
    """One local pool of two spawned processes for the module (spawning costs seconds)."""
    with executor(None, 2) as ex:
        yield ex
    assert ex._pool is None  # shut down on leaving the block


@pytest.fixture(scope="module")
def serial(data):
    return _ua(data)


def _assert_same(a, b):
    for name in ("ranks", "sensitivity", "draws", "draw_weights"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


def _square(x, offset=0):
    return x * x + offset


def _first_draw(seed_seq):
    return float(np.random.default_rng(seed_seq).random())


# ---------------------------------------------------------------------------- the executor

def test_chunks_cover_every_item_once_in_order():
    assert [list(r) for r in chunks(5, 2)] == [[0, 1], [2, 3], [4]]
    assert chunks(0, 3) == []
    assert sum(len(r) for r in chunks(1003, 7)) == 1003


def test_serial_and_pool_map_keep_input_order(pool):
    items = list(range(9, -1, -1))
    expected = [x * x + 1 for x in items]  # by hand: fn(x) = x² + 1
    with executor(None, 1) as ex:
        assert ex.kind == "serial" and ex.map(_square, items, 1) == expected
    assert pool.kind == "pool" and pool.map(_square, items, 1) == expected


def test_task_seeds_do_not_depend_on_the_backend(pool):
    # numpy's documented pattern: SeedSequence(seed).spawn(n), one child per task item
    expected = [float(np.random.default_rng(s).random()) for s in np.random.SeedSequence(5).spawn(4)]
    assert pool.map(_first_draw, task_seeds(5, 4)) == expected


def test_bad_scheduler_address_is_a_bilingual_config_error():
    with pytest.raises(ConfigError, match="tcp://主机:端口.*tcp://host:port"):
        executor("localhost-8786")


# ---------------------------------------------------------------------------- Monte Carlo in chunks

def test_chunking_does_not_change_the_tables(data, serial):
    assert len(serial.draws) == 8 * (5 + 2)  # Saltelli N (k + 2), k = 5: weights, norm., aggr., missing, drop
    _assert_same(serial, _ua(data, draws_per_task=5))


def test_process_pool_gives_the_serial_tables(data, serial, pool):
    _assert_same(serial, _ua(data, executor=pool))


def test_local_dask_cluster_gives_the_serial_tables(data, serial):
    from dask.distributed import Client, LocalCluster

    # processes=False: scheduler and both workers in this process, talking over in-process comms
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        ex = Executor("dask", client=Client(cluster, set_as_default=False), address=cluster.scheduler_address)
        with ex:
            assert ex.workers == 2
            _assert_same(serial, _ua(data, executor=ex, draws_per_task=7))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def test_separate_scheduler_and_worker_processes(data, serial, tmp_path, loaded_warehouse):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])))
    dask = [sys.executable, "-m", "dask"]
    log = tmp_path / "dask.log"
    procs = []
    with open(log, "w") as out:
        try:
            procs.append(subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                                  "--no-dashboard"], env=env, stdout=out, stderr=out))
            procs.append(subprocess.Popen(dask + ["worker", address, "--host", "127.0.0.1", "--nworkers", "1",
                                                  "--nthreads", "2", "--no-dashboard", "--no-nanny"],
                                          env=env, stdout=out, stderr=out))
            with executor(address) as ex:
                deadline = time.monotonic() + 60
                while not ex._client.scheduler_info()["workers"] and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert ex.workers == 2, log.read_text()
                _assert_same(serial, _ua(data, executor=ex))
                # and the command line, pointed at the same cluster, runs a report set through it (a
                # diagnosis: the reports that show the Monte Carlo's rank ranges)
                run = subprocess.run([sys.executable, "-m", "analysis.cli", "run", "--year", "2024", "--only", "04",
                                      "--units", "U001", "--jobs", "1", "--warehouse", str(loaded_warehouse), "--out",
                                      str(tmp_path / "reports"), "--scheduler", address],
                                     env=env, capture_output=True, text=True, timeout=600)
                assert run.returncode == 0, run.stderr[-2000:]
                manifest = json.loads((tmp_path / "reports" / "2024" / "manifest.json").read_text(encoding="utf-8"))
                assert manifest["effective_config"]["scheduler"] == address
        finally:
            _stop(procs)
    assert all(p.returncode is not None for p in procs)  # no process left behind


# ---------------------------------------------------------------------------- trends in chunks

def test_chunked_trends_equal_one_call(sample_data, pool):
    from analysis.scoring import build_index
    from analysis.trends import classify_trends

    v = panel.yearly_values(sample_data.observations, sample_data.framework, sample_data.units)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = build_index(v, sample_data.framework, sample_data.units).scores
    kw = dict(series=("unit_id", "node"), value="score", family="node")
    whole = classify_trends(scores, **kw)
    parts = classify_trends_chunked(scores, pool, units_per_task=17, **kw)
    # the FDR family spans all units: adjusting per chunk would differ, adjusting afterwards must not
    pd.testing.assert_frame_equal(parts, whole.sort_values(["unit_id", "node"]).reset_index(drop=True))
