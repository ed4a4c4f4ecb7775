"""Where the heavy units of a run execute: in this process, or on the run's Dask cluster.

A forecast's heavy work splits into independent units: the model of each horizon, inside a fit
its folds and bootstrap refits (:mod:`forewarn.models._units`), the scores and explanations of
each chunk of regions. :class:`Cluster` runs a list of units with one call, ``map``: one after
the other here when there is no cluster, else as Dask tasks on the cluster's workers, results
in the items' order either way. Every unit brings its own seed, so a result never depends on
where, or in what order, its units ran.

On Dask, inputs every unit reads (the project, the prepared data, a fitted model) are sent to
the cluster once with ``scatter``, not once per unit; the prepared panel and features of a Dask
run are lazy views of the run's Zarr store (:func:`forewarn.flows._pipeline.prepare`), so what
travels is the store's path and a small task graph, and each unit reads its own chunks. Each
unit runs with the worker's thread budget (:func:`forewarn._threads.thread_limits`) and computes
its dask-backed inputs in its own process (dask's synchronous scheduler): a unit that waited on
other tasks from a single-threaded worker would block it.
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager, nullcontext
from functools import partial

from forewarn._threads import thread_limits

__all__ = ["Cluster", "current_cluster", "release_memory", "where"]


class Cluster:
    """Runs units of work: ``map(fn, items, **shared)``.

    Parameters
    ----------
    client : distributed.Client, optional
        The Dask client of the run; None runs every unit in this process.

    Attributes
    ----------
    ran_on : list of (str, str)
        ``(unit label, where it ran)`` for every unit :meth:`map` ran, in order; where is the
        Dask worker's address, or ``"in process <pid>"`` (see :func:`where`).
    """

    def __init__(self, client=None):
        self.client = client
        self.ran_on: list[tuple[str, str]] = []

    @property
    def workers(self) -> int:
        """Worker processes the units are spread over (1 without a cluster). [-]"""
        if self.client is None:
            return 1
        return max(1, len(self.client.scheduler_info()["workers"]))

    def map(self, fn, items, *, label="unit", **shared) -> list:
        """``[fn(item, **shared) for item in items]``, each call one unit of work.

        Parameters
        ----------
        fn : callable
            A module-level function (it is pickled by reference to the workers).
        items : iterable
            One item per unit.
        label : str or callable
            Names the units in :attr:`ran_on`: a prefix, or ``label(item) -> str``.
        **shared
            Inputs every unit reads: sent to each worker once, not with every unit.
        """
        items = list(items)
        if self.client is None or not items:
            pairs = [_unit(fn, item, **shared) for item in items]
        else:
            # Every worker gets a copy: units then go to whichever worker is free.
            remote = {name: self.client.scatter(value, hash=False, broadcast=True)
                      for name, value in shared.items()}
            futures = self.client.map(partial(_unit, fn), items, pure=False, **remote)
            pairs = self.client.gather(futures)
            del futures, remote
        results = []
        for i, (item, (result, place)) in enumerate(zip(items, pairs)):
            self.ran_on.append((label(item) if callable(label) else f"{label} {i + 1}", place))
            results.append(result)
        return results

    def unit_mapper(self):
        """A mapping function for :func:`forewarn.models._units.units_on`: the units of a fit
        (folds, refits) on this cluster; None without one."""
        if self.client is None:
            return None

        def mapper(fn, items, **shared):
            return self.map(fn, items, label="fit unit", **shared)

        return mapper

    @contextmanager
    def as_current(self):
        """Inside the block, dask collections compute on this cluster (a no-op without one)."""
        if self.client is None:
            yield self
            return
        with self.client.as_current():
            yield self


def _unit(fn, item, **shared):
    """``(fn(item, **shared), where it ran)`` with the thread budget of a unit (see
    :func:`unit_threads`); dask inputs are computed here, in this process."""
    import dask

    with thread_limits(unit_threads()), dask.config.set(scheduler="synchronous"):
        result = fn(item, **shared)
    release_memory()
    return result, where()


def release_memory() -> None:
    """Hand memory this process freed back to the system: a grid's stages allocate and free
    gigabytes in pieces small enough for the C library to keep in its heap, where they would
    count in the process's resident memory until it ends (glibc's ``malloc_trim``; a no-op
    elsewhere). Nothing computed changes."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:
        trim = None
    if trim is not None:
        trim(0)


def unit_threads() -> int | None:
    """OpenMP/BLAS threads of one unit: on a Dask worker ``FOREWARN_THREADS`` when set, else
    one (a worker runs one unit per worker thread, and Dask starts its workers with
    ``OMP_NUM_THREADS=1``); in this process None, the process's own budget
    (:func:`forewarn._threads.thread_limits`). [-]"""
    from forewarn._threads import usable_cores

    if os.environ.get("FOREWARN_THREADS", "").strip():
        return usable_cores()
    return None if where().startswith("in process") else 1


def where() -> str:
    """This process, as a unit's record says: the Dask worker's address when it is one, else
    ``"in process <pid> on <host>"``."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"in process {os.getpid()} on {socket.gethostname()}"


def current_cluster() -> Cluster:
    """The running flow's cluster: the client of its ``DaskTaskRunner`` (started here if it
    was not yet), else a :class:`Cluster` that runs everything in this process."""
    try:
        from prefect.context import FlowRunContext
        from prefect_dask import DaskTaskRunner
    except ImportError:  # pragma: no cover - both are dependencies
        return Cluster()
    context = FlowRunContext.get()
    runner = getattr(context, "task_runner", None)
    if isinstance(runner, DaskTaskRunner):
        return Cluster(_with_workers(runner.client))
    return Cluster()


def _with_workers(client, timeout: float = 120):
    """The client once the cluster it started has all its workers: a LocalCluster's worker
    processes register one by one, and on a busy machine the first units would otherwise be
    planned for fewer workers than the run asked for. An external scheduler's workers are
    taken as they are."""
    expected = len(getattr(getattr(client, "cluster", None), "worker_spec", None) or ())
    if expected:
        client.wait_for_workers(expected, timeout=timeout)
    return client


@contextmanager
def fit_units_on(cluster: Cluster | None):
    """Inside the block, the units of every fit run on ``cluster`` (or here without one)."""
    from forewarn.models._units import units_on

    mapper = cluster.unit_mapper() if cluster is not None else None
    with (units_on(mapper) if mapper is not None else nullcontext()):
        yield
