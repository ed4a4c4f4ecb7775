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

__all__ = ["Cluster", "current_cluster", "frozen_heap", "release_memory", "warm_pool", "where"]


class Cluster:
    """Runs units of work: ``map(fn, items, **shared)``.

    Parameters
    ----------
    client : distributed.Client, optional
        The Dask client of the run; None runs the units on this machine.
    processes : int, default=1
        Without a client: processes on this machine that units asked to (``map(...,
        pooled=True)``) may share, this one included (see :meth:`map`); 1 runs them one
        after the other here. :func:`current_cluster` gives the usable cores.

    Attributes
    ----------
    ran_on : list of (str, str)
        ``(unit label, where it ran)`` for every unit :meth:`map` ran, in order; where is the
        Dask worker's address, or ``"in process <pid>"`` (see :func:`where`).
    """

    def __init__(self, client=None, processes: int = 1):
        self.client = client
        self.processes = max(1, int(processes))
        self.ran_on: list[tuple[str, str]] = []

    @property
    def workers(self) -> int:
        """Worker processes the units are spread over (1 without a cluster). [-]"""
        if self.client is None:
            return 1
        return max(1, len(self.client.scheduler_info()["workers"]))

    def map(self, fn, items, *, label="unit", pooled=False, **shared) -> list:
        """``[fn(item, **shared) for item in items]``, each call one unit of work.

        On a Dask cluster every unit runs on a worker. Without one, units run here, one after
        the other; with ``pooled`` and :attr:`processes` above 1 this process takes units
        from the front of the list while a pool of ``processes - 1`` single-threaded worker
        processes takes them from the back (the pool is joblib's reusable one: it starts once
        and stays while it is used), so a slow pool start never makes the whole slower than
        the units one after the other would be. Results are the same either way.

        Parameters
        ----------
        fn : callable
            A module-level function (it is pickled by reference to the workers).
        items : iterable
            One item per unit.
        label : str or callable
            Names the units in :attr:`ran_on`: a prefix, or ``label(item) -> str``.
        pooled : bool, default=False
            Without a Dask cluster, share the units with worker processes on this machine:
            for units that take a while and whose ``shared`` inputs are small (they are
            pickled for each unit the pool takes).
        **shared
            Inputs every unit reads: sent to each Dask worker once, not with every unit.
        """
        items = list(items)
        if self.client is None and pooled and self.processes > 1 and len(items) > 1:
            pairs = _shared_with_pool(fn, items, shared, self.processes - 1)
        elif self.client is None or not items:
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
    import time

    import dask

    started = time.perf_counter()
    with thread_limits(unit_threads()), dask.config.set(scheduler="synchronous"):
        result = fn(item, **shared)
    if time.perf_counter() - started >= _RELEASE_AFTER:
        release_memory()
    return result, where()


#: A unit that ran this long or longer hands the memory it freed back to the system; a quicker
#: one (a map, a small chunk) frees too little to pay for the collection (0.1-0.25 s in a
#: flow's process). [s]
_RELEASE_AFTER = 1.0


#: Seconds an idle pool process waits for more units before it ends (a run's maps come
#: a while after its training). [s]
_POOL_IDLE = 120


def _pool(workers: int):
    """joblib's reusable process pool of ``workers`` single-threaded processes."""
    from joblib.externals.loky import get_reusable_executor

    # One thread each, as on a Dask worker; OMP_NUM_THREADS too, since OpenMP is loaded only
    # when a unit first imports the estimators, after the unit's limits were set.
    return get_reusable_executor(max_workers=workers, timeout=_POOL_IDLE, env={
        "FOREWARN_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1"})


def warm_pool(cluster: Cluster) -> None:
    """Start the pool of ``cluster`` (when it has one, see :meth:`Cluster.map`) in the
    background, its processes importing the models and maps, so that pooled units find it
    ready: a run reads and checks its inputs in one process meanwhile."""
    if cluster.client is None and cluster.processes > 1:
        pool = _pool(cluster.processes - 1)
        for _ in range(cluster.processes - 1):
            pool.submit(_warm_up)


def _warm_up() -> None:
    import forewarn.models  # noqa: F401 - imported for the side effect: a warm process
    import forewarn.reports._maps  # noqa: F401


def _shared_with_pool(fn, items, shared, workers: int) -> list:
    """``[_unit(fn, item, **shared) ...]``: this process works from the front of ``items``, a
    pool of ``workers`` processes from the back. A unit the pool has not started when this
    process reaches it is taken back (its future cancelled) and run here."""
    pool = _pool(workers)
    futures = {i: pool.submit(_unit, fn, items[i], **shared)
               for i in reversed(range(len(items)))}
    pairs: list = [None] * len(items)
    try:
        for i, item in enumerate(items):
            if futures[i].cancel():
                pairs[i] = _unit(fn, item, **shared)
        return [pair if pair is not None else _from_pool(futures[i], fn, items[i], shared)
                for i, pair in enumerate(pairs)]
    except BaseException:  # a failed unit, Ctrl-C: the pool starts no more of them
        for future in futures.values():
            future.cancel()
        raise


def _from_pool(future, fn, item, shared):
    """The pool's result for ``item``; computed here instead when the pool broke (a worker
    process was killed, by the system when memory ran out say): the unit itself did not fail."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool as exc:
        import logging

        logging.getLogger(__name__).warning("the pool's process failed (%s); its unit is "
                                            "computed in this process", exc)
        return _unit(fn, item, **shared)


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


@contextmanager
def frozen_heap():
    """Inside the block, Python's cycle collector leaves alone the objects that lived before
    it (the imported libraries, Prefect's state: hundreds of thousands of objects), so that a
    collection, by :func:`release_memory` after each unit or by Python itself, scans only what
    the block made. A full collection in a flow's process took 0.25 s; the demo forecast ran 32
    of them, 8 s of its 45. Objects made before the block are never freed by the collector
    while it runs; they are the long-lived ones. Nothing computed changes."""
    import gc

    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
    was not yet), else a :class:`Cluster` of this machine, its :attr:`~Cluster.processes` the
    usable cores (:func:`forewarn._threads.usable_cores`)."""
    try:
        from prefect.context import FlowRunContext
        from prefect_dask import DaskTaskRunner
    except ImportError:  # pragma: no cover - both are dependencies
        return Cluster()
    context = FlowRunContext.get()
    runner = getattr(context, "task_runner", None)
    if isinstance(runner, DaskTaskRunner):
        return Cluster(_with_workers(runner.client))
    from forewarn._threads import usable_cores

    return Cluster(processes=usable_cores())


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
