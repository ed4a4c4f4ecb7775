"""Scale-out on Dask: a LocalCluster sized to the machine, or an existing cluster by address."""

from __future__ import annotations

import os

from forewarn._threads import usable_cores
from forewarn.errors import InputError, Problem

__all__ = ["dask_flow_options", "cluster_kwargs", "check_address"]


def cluster_kwargs(n_workers: int | None = None) -> dict:
    """A LocalCluster of one single-threaded worker process per usable core
    (:func:`forewarn._threads.usable_cores`); each unit of work on a worker then runs one
    OpenMP/BLAS thread (``FOREWARN_THREADS=1`` in the workers' environment) and OpenMP waits
    passively, so the workers do not fight over the cores."""
    n = n_workers or usable_cores()
    return {"n_workers": n, "threads_per_worker": 1, "processes": True,
            "dashboard_address": None,
            "env": {"FOREWARN_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}}


def dask_flow_options(dask: str) -> dict:
    """Prefect flow options that give the flow a Dask cluster (``prefect-dask``'s runner).

    ``"local"`` starts a LocalCluster for the run (when the first stage asks for it) and closes
    it after; ``tcp://host:port`` connects to a running scheduler and leaves it running. The
    stages reach the cluster through :func:`forewarn.flows._cluster.current_cluster`: the
    panel and features are computed by its workers, and training and scoring send their units
    of work to it.
    """
    from prefect_dask import DaskTaskRunner

    check_address(dask)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    if dask == "local":
        runner = DaskTaskRunner(cluster_kwargs=cluster_kwargs())
    else:
        runner = DaskTaskRunner(address=dask)
    return {"task_runner": runner}


def check_address(dask: str) -> None:
    """Refuse a ``--dask`` value that is neither ``"local"`` nor a scheduler address."""
    if dask != "local" and not dask.startswith(("tcp://", "tls://")):
        raise InputError(Problem("--dask", f"is {dask!r}; use 'local' or a scheduler address "
                                 "such as tcp://10.0.0.5:8786.", column="dask"))
