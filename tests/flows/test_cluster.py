"""Units of work on a Dask cluster: the same numbers as in one process, and really on workers."""

from __future__ import annotations

import operator
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from forewarn.flows._cluster import Cluster, fit_units_on, where
from forewarn.models import AdditiveBoosting, ElasticNetLogit
from synthetic_models import make_panel

pytestmark = pytest.mark.slow  # each test starts Dask worker processes


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    from forewarn.flows._dask import cluster_kwargs

    # Not the process's default client: a flow's DaskTaskRunner would connect to it (Prefect
    # takes a running default client's cluster) instead of starting the cluster it asks for.
    with LocalCluster(**cluster_kwargs(2)) as cluster, \
            Client(cluster, set_as_default=False) as c:
        yield c


def test_map_keeps_order_and_records_the_worker_of_every_unit(client):
    cluster = Cluster(client)
    assert cluster.workers == 2
    # a function the workers can import (this test module is not importable there)
    assert cluster.map(int, ["1", "10", "11", "100", "101", "110"], label="sq",
                       base=2) == [1, 2, 3, 4, 5, 6]
    workers = set(client.scheduler_info()["workers"])
    assert [u for u, _ in cluster.ran_on] == [f"sq {i}" for i in range(1, 7)]
    assert {w for _, w in cluster.ran_on} <= workers
    here = Cluster()
    assert here.map(int, ["11"], label=lambda x: f"x={x}", base=3) == [4]
    assert here.ran_on == [("x=11", f"in process {os.getpid()} on {socket.gethostname()}")]
    assert where() == here.ran_on[0][1]


def test_each_worker_runs_a_unit_on_one_thread(client, monkeypatch):
    from threadpoolctl import threadpool_info

    from forewarn._threads import usable_cores
    from forewarn.flows._cluster import unit_threads

    # LocalCluster workers get FOREWARN_THREADS=1: one OpenMP/BLAS thread per unit
    assert set(client.run(unit_threads).values()) == {1}
    monkeypatch.delenv("FOREWARN_THREADS", raising=False)
    assert unit_threads() is None  # in this process: the process's budget (thread_limits)
    monkeypatch.setenv("FOREWARN_THREADS", "3")
    assert unit_threads() == usable_cores() == 3
    # what the thread pools (BLAS, OpenMP) of a unit running on a worker are capped at
    pools = Cluster(client).map(operator.call, [threadpool_info])[0]
    assert pools and {pool["num_threads"] for pool in pools} == {1}, pools


@pytest.mark.parametrize("make", [
    lambda: ElasticNetLogit(Cs=(0.1, 1.0), l1_ratios=(0.5,), n_bootstrap=4, random_state=3),
    lambda: AdditiveBoosting({"a": 1, "b": -1}, max_iter=20, n_bootstrap=4, random_state=3),
], ids=["elastic_net", "additive"])
def test_folds_and_refits_on_workers_give_the_same_model(client, make):
    X, y, _ = make_panel()
    plain = make().fit(X, y)
    cluster = Cluster(client)
    with fit_units_on(cluster):
        spread = make().fit(X, y)
    np.testing.assert_array_equal(spread.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(spread.bootstrap_calibration_, plain.bootstrap_calibration_)
    for a, b in zip(spread.predict_interval(X), plain.predict_interval(X)):
        np.testing.assert_array_equal(a, b)
    workers = set(client.scheduler_info()["workers"])
    # selection folds (candidates x folds), then the final fit and 4 refits: all on workers
    assert len(cluster.ran_on) >= 3 + 5
    assert {w for _, w in cluster.ran_on} <= workers


def test_detection_aware_refits_on_workers_give_the_same_model(client):
    from forewarn.models import DetectionAwareLogit

    X, y, _ = make_panel()
    roles = {"a": "risk", "b": "both", "c": "detection", "n1": "both", "n2": "both"}
    make = lambda: DetectionAwareLogit(roles, alphas=(1.0,), n_bootstrap=4,  # noqa: E731
                                       random_state=3)
    plain = make().fit(X, y)
    cluster = Cluster(client)
    with fit_units_on(cluster):
        spread = make().fit(X, y)
    np.testing.assert_array_equal(spread.bootstrap_params_, plain.bootstrap_params_)
    for a, b in zip(spread.predict_interval(X, "risk"), plain.predict_interval(X, "risk")):
        np.testing.assert_array_equal(a, b)
    workers = set(client.scheduler_info()["workers"])
    assert len(cluster.ran_on) == 4  # the four refits, one unit each
    assert {w for _, w in cluster.ran_on} <= workers


def test_a_units_warnings_reach_the_caller(client):
    from sklearn.exceptions import ConvergenceWarning

    X, y, _ = make_panel()
    make = lambda: ElasticNetLogit(Cs=(10.0,), l1_ratios=(0.5,), max_iter=1,  # noqa: E731
                                   n_bootstrap=2)
    with pytest.warns(ConvergenceWarning, match=r"fits .* stopped at max_iter"):
        plain = make().fit(X, y)
    with fit_units_on(Cluster(client)), pytest.warns(ConvergenceWarning,
                                                      match=r"fits .* stopped at max_iter"):
        spread = make().fit(X, y)
    assert spread.n_not_converged_ == plain.n_not_converged_ > 0


# --- whole flows on a small grid -----------------------------------------------------------

@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    from forewarn.flows._project import write_grid_project

    path = write_grid_project(tmp_path_factory.mktemp("grid") / "g", n_rows=8, n_cols=6,
                              n_months=96)
    path.write_text(path.read_text().replace("max_iter = 100", "max_iter = 40"))
    return path


@pytest.fixture(scope="module")
def plain(grid, tmp_path_factory):
    from forewarn.flows import run

    return run(grid, out=tmp_path_factory.mktemp("plain"), quiet=True)


def _same(result, plain):
    for name in ("scores", "explanations", "drivers", "history"):
        pd.testing.assert_frame_equal(getattr(result, name).reset_index(drop=True),
                                      getattr(plain, name).reset_index(drop=True))


def test_local_cluster_trains_and_scores_on_its_workers(grid, plain, tmp_path, monkeypatch):
    from forewarn.flows import run

    monkeypatch.setenv("FOREWARN_THREADS", "2")  # a LocalCluster of 2 workers on any machine
    result = run(grid, out=tmp_path, dask="local", quiet=True)
    _same(result, plain)
    # The run's Zarr store is gone; the small grid's features were loaded before that.
    assert not list((tmp_path / ".cache").glob("prepared-*"))
    assert result.prepared.features["displaced"].chunks is None
    assert float(result.prepared.features["displaced"].sum()) > 0
    units = dict(result.ran_on)
    assert {"train 6-month model", "train 12-month model"} <= set(units)
    assert sum(u.startswith("score 6-month") for u in units) == 4  # two chunks per worker
    places = set(units.values())
    assert all(p.startswith("tcp://127.0.0.1:") for p in places), places
    assert len(places) == 2  # both workers did some of it
    assert all(p.startswith("in process") for _, p in plain.ran_on)
    # Each map was one unit on a worker, and the files are those drawn in one process.
    maps = {u: p for u, p in result.ran_on if u.startswith("map ")}
    assert set(maps) == {f"map {k}_{h}m_all" for k in ("risk", "change") for h in (6, 12)}
    assert all(p.startswith("tcp://127.0.0.1:") for p in maps.values())
    assert {u for u, _ in plain.ran_on if u.startswith("map ")} == set(maps)
    files = sorted(p.name for p in (result.run_dir / "maps").iterdir())
    assert files == sorted(p.name for p in (plain.run_dir / "maps").iterdir()) and files
    for name in files:
        assert (result.run_dir / "maps" / name).read_bytes() == \
            (plain.run_dir / "maps" / name).read_bytes(), name
    for h, trained in result.trained.items():
        # The workers sent back the model, its card and the features' ranges, not the rows...
        assert trained.rows is None and plain.trained[h].rows is not None
        pd.testing.assert_frame_equal(trained.feature_ranges(), plain.trained[h].feature_ranges())
        card, want = trained.model_card(), plain.trained[h].model_card()
        assert (card.n_rows, card.n_regions, card.event_rate, card.training_end) == \
            (want.n_rows, want.n_regions, want.event_rate, want.training_end)
        # ... and the rows asked for later are those the model was fitted on.
        pd.testing.assert_frame_equal(trained.X_train, plain.trained[h].X_train)
        pd.testing.assert_series_equal(trained.y_train, plain.trained[h].y_train)


@pytest.fixture
def scheduler(tmp_path):
    """A `dask scheduler` and two `dask worker` processes started with Dask's command line."""
    dask = shutil.which("dask") or shutil.which("dask", path=os.path.dirname(sys.executable))
    if dask is None:
        pytest.skip("the `dask` command-line tool is not installed (pip install distributed)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_LOGGING__DISTRIBUTED": "error", "FOREWARN_THREADS": "1"}
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=log, stderr=log, env=env)]
    try:
        from distributed import Client

        # No nanny: it would only restart a crashed worker, and it takes 8 s to stop one.
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1",
                                    "--no-dashboard", "--no-nanny", "--name", f"w{i}"],
                                   stdout=log, stderr=log, env=env) for i in range(2)]
        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


def test_external_scheduler_by_address(grid, plain, tmp_path, scheduler):
    from forewarn.flows import run

    started = time.time()
    result = run(grid, out=tmp_path, dask=scheduler, quiet=True)
    _same(result, plain)
    places = {p for _, p in result.ran_on}
    assert places and all(p.startswith("tcp://127.0.0.1:") for p in places), places
    assert time.time() > started  # the run returned: the scheduler was not shut down by it
    from distributed import Client

    with Client(scheduler, timeout=30) as c:  # still up for the next run
        assert len(c.scheduler_info()["workers"]) == 2
