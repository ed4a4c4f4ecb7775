"""The origin runner: processes sized to the usable cores, results in order, progress lines."""

from __future__ import annotations

import sys
import time

import pandas as pd
import pytest
from threadpoolctl import threadpool_info

from forewarn.errors import InputError
from forewarn.flows._parallel import OriginRunner, usable_cores

ORIGINS = list(pd.date_range("2010-12-01", periods=4, freq="12MS"))


@pytest.fixture(autouse=True, scope="module")
def _by_value():
    """Worker processes cannot import this test module: send its functions by value."""
    import cloudpickle

    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)
    yield
    cloudpickle.unregister_pickle_by_value(module)


def _slow_first(origin):
    """The earliest origin takes longest (so it tends to finish after later ones); report the
    BLAS/OpenMP threads it ran with."""
    time.sleep(0.6 if origin.year == 2010 else 0.05)
    return origin.year, max((p["num_threads"] for p in threadpool_info()), default=1)


def test_processes_are_sized_to_the_usable_cores_and_the_origins():
    assert usable_cores() >= 1
    assert OriginRunner(0).processes(1) == 1
    assert OriginRunner(0).processes(100) == usable_cores()
    assert OriginRunner(3).processes(2) == 2
    assert OriginRunner(1).where(9) == "one after the other"
    assert OriginRunner(2).where(9) == "2 at a time in worker processes"


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])  # 2: processes
def test_results_come_back_in_the_origins_order_with_progress(workers):
    lines = []
    runner = OriginRunner(workers, say=lines.append, describe=lambda r: f"year {r[0]}")
    results = runner(_slow_first, ORIGINS)
    assert [year for year, _ in results] == [2010, 2011, 2012, 2013]
    assert all(threads == 1 for _, threads in results)  # one BLAS/OpenMP thread everywhere
    assert len(lines) == 4
    assert lines[-1].startswith("      origin ") and "(4/4): year " in lines[-1]
    assert all(" left" in line for line in lines[:-1]) and " left" not in lines[-1]
    assert sorted(line.split()[1] for line in lines) == [f"{y}-12" for y in range(2010, 2014)]


def test_a_bad_dask_address_is_refused():
    with pytest.raises(InputError, match=r"--dask.*is 'cluster'; use 'local' or a scheduler "
                       r"address such as tcp://"):
        OriginRunner(dask="cluster")(_slow_first, ORIGINS)


@pytest.mark.slow  # starts a Dask cluster
def test_origins_on_a_local_dask_cluster_come_back_in_order():
    lines = []
    results = OriginRunner(dask="local", say=lines.append)(_slow_first, ORIGINS)
    assert [year for year, _ in results] == [2010, 2011, 2012, 2013]
    assert all(threads == 1 for _, threads in results)
    assert len(lines) == 4 and OriginRunner(dask="local").where(4) == "on Dask (local)"


@pytest.mark.slow  # a Prefect flow on the session's test server
@pytest.mark.parametrize("workers", [1, 2])
def test_each_origin_runs_as_a_task_of_the_flow(workers, prefect_server):
    from prefect import flow

    from forewarn.flows._flow import origin_task

    seen = []
    task = origin_task.with_options(on_completion=[lambda t, run, state: seen.append(run.name)])

    @flow
    def origins():
        return OriginRunner(workers, task=task)(_slow_first, ORIGINS)

    results = origins()
    assert [year for year, _ in results] == [2010, 2011, 2012, 2013]
    assert all(threads == 1 for _, threads in results)
    assert sorted(seen) == [f"origin {y}-12" for y in range(2010, 2014)]
