"""Units on this machine without Dask: this process and a pool share them; nothing changes."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest

from forewarn.flows._cluster import Cluster, _pool, current_cluster

pytestmark = pytest.mark.slow  # each test starts a worker process


def _nap(i: int, seconds: float) -> int:
    """A unit that takes a while (importable by the pool: this module is on its path)."""
    time.sleep(seconds)
    return i * i


def _dies_in_the_pool(i: int, home: int) -> int:
    """A unit whose pool process is killed (as by the system when memory runs out)."""
    if os.getpid() != home:
        os._exit(1)
    time.sleep(0.3)
    return -i


@pytest.fixture
def warm_pool():
    # The pool's processes may not find this module on their path (forewarn's units are
    # importable anywhere forewarn is installed): its functions travel by value.
    import sys

    import cloudpickle  # what the pool pickles with (loky), a dependency of Dask

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # The pool process is up, and has run one of this module's units, before the units come.
    assert _pool(1).submit(_nap, 3, 0.0).result() == 9
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_pooled_units_keep_their_order_and_run_in_both_processes(warm_pool):
    cluster = Cluster(processes=2)
    assert cluster.map(_nap, range(8), label="nap", pooled=True, seconds=0.4) == \
        [i * i for i in range(8)]
    assert [u for u, _ in cluster.ran_on] == [f"nap {i}" for i in range(1, 9)]
    places = [p for _, p in cluster.ran_on]
    here = f"in process {os.getpid()} "
    # this process works from the front, the pool from the back
    assert places[0].startswith(here) and not places[-1].startswith(here), places
    assert all(p.startswith("in process ") for p in places)


def test_units_that_do_not_ask_for_the_pool_or_have_one_process_stay_here(warm_pool):
    here = f"in process {os.getpid()} "
    for cluster, pooled in ((Cluster(processes=2), False), (Cluster(processes=1), True)):
        assert cluster.map(_nap, range(3), pooled=pooled, seconds=0.0) == [0, 1, 4]
        assert all(p.startswith(here) for _, p in cluster.ran_on)


def test_a_failed_unit_in_the_pool_is_raised_here(warm_pool):
    with pytest.raises(ValueError, match="invalid literal"):
        Cluster(processes=2).map(int, ["1", "2", "3", "x"], pooled=True)


def test_units_of_a_broken_pool_are_computed_here(warm_pool):
    cluster = Cluster(processes=2)
    assert cluster.map(_dies_in_the_pool, range(4), pooled=True, home=os.getpid()) == \
        [0, -1, -2, -3]
    assert all(p.startswith(f"in process {os.getpid()} ") for _, p in cluster.ran_on)
    # the next map gets a new pool
    assert Cluster(processes=2).map(_nap, range(2), pooled=True, seconds=0.0) == [0, 1]


def test_current_cluster_outside_a_flow_has_the_usable_cores(monkeypatch):
    monkeypatch.setenv("FOREWARN_THREADS", "3")
    assert (current_cluster().client, current_cluster().processes) == (None, 3)
    monkeypatch.setenv("FOREWARN_THREADS", "1")
    assert current_cluster().processes == 1


def test_horizons_trained_beside_each_other_give_the_same_models(tmp_path, warm_pool):
    """Two horizons, two processes: the same models, scores and cards as one after the other."""
    from forewarn.flows._pipeline import train_horizons
    from forewarn.flows._run import STAGES, Progress, prepare_stage, validate_stage
    from forewarn.flows import load_config
    from projects import small_demo

    progress = Progress(len(STAGES), quiet=True)
    project, specs = validate_stage(load_config(small_demo(tmp_path / "demo")), progress)
    prepared = prepare_stage(project, specs.features, progress)
    serial, pooled = Cluster(), Cluster(processes=2)
    one = train_horizons(project, prepared, [6, 12], specs.model, serial)
    two = train_horizons(project, prepared, [6, 12], specs.model, pooled)
    pids = {p for _, p in pooled.ran_on}
    assert len(pids) == 2, pooled.ran_on  # this process took 6 months, the pool 12
    for h in (6, 12):
        np.testing.assert_array_equal(two[h].model.predict_proba(one[h].X_origin),
                                      one[h].model.predict_proba(one[h].X_origin))
        for a, b in zip(two[h].model.predict_interval(one[h].X_origin),
                        one[h].model.predict_interval(one[h].X_origin)):
            np.testing.assert_array_equal(a, b)
        pd.testing.assert_frame_equal(two[h].X_train, one[h].X_train)
        assert two[h].model_card().n_rows == one[h].model_card().n_rows
