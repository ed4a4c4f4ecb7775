"""Backtest origins side by side: processes sized to the usable cores, or a Dask cluster.

Origins of a rolling-origin backtest are independent (each rebuilds the panel as of its own
date and fits its own seeded models), so they can run at once. Every origin runs with one
BLAS/OpenMP thread, whether alone or beside others, so the tables are identical to a serial run:
sums split over threads round differently, and several processes each starting as many threads
as there are cores would fight over them.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from functools import partial

from threadpoolctl import threadpool_limits

from forewarn._threads import usable_cores  # one rule for the cores a process may use

__all__ = ["OriginRunner", "usable_cores"]


def _one_thread(fn, i, item):
    """``(i, fn(item))`` with one BLAS/OpenMP thread (in a worker process or this one)."""
    with threadpool_limits(1):
        return i, fn(item)


def _in_process(pool, fn, i, item):
    """``(i, fn(item))`` computed in one of ``pool``'s worker processes (this thread waits)."""
    return pool.submit(_one_thread, fn, i, item).result()


def _on_dask(client, fn, i, item):
    """``(i, fn(item))`` computed on a Dask worker (this thread waits)."""
    return client.submit(_one_thread, fn, i, item, pure=False).result()


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


class OriginRunner:
    """``runner(fn, origins)``: ``fn(origin)`` for every origin, results in the origins' order.

    Parameters
    ----------
    workers : int, default=0
        Processes: 0 for one per usable core (:func:`usable_cores`), never more than there are
        origins; 1 runs the origins one after the other in this process.
    dask : str, optional
        ``"local"`` (a LocalCluster of single-threaded worker processes, one per usable core) or
        a scheduler address (``tcp://host:8786``): the origins run on Dask instead.
    say : callable, optional
        Called with one line per finished origin: its date, what ``describe(result)`` says,
        the time so far and an estimate of the time left.
    describe : callable, optional
        ``describe(result) -> str``, a few words on a finished origin.
    task : prefect.Task, optional
        Each origin then runs as this Prefect task (inside a flow), called
        ``task(compute, fn, i, origin)``; it waits while a worker process or Dask computes
        the origin, so the flow shows one task run per origin.
    """

    def __init__(self, workers: int = 0, dask: str | None = None, say=None, describe=None,
                 task=None):
        self.workers, self.dask, self.say, self.describe = workers, dask, say, describe
        self.task = task

    def processes(self, n_origins: int) -> int:
        """How many origins run at once. [-]"""
        if self.dask:
            return n_origins
        return max(1, min(self.workers or usable_cores(), n_origins))

    def where(self, n_origins: int) -> str:
        """Where the origins run, in a few words (for the progress line)."""
        if self.dask:
            return f"on Dask ({self.dask})"
        n = self.processes(n_origins)
        return "one after the other" if n == 1 else f"{n} at a time in worker processes"

    def __call__(self, fn, origins) -> list:
        origins = list(origins)
        if not origins:
            return []
        self._t0, self._done, self._n = time.perf_counter(), 0, len(origins)
        results = [None] * len(origins)
        with self._executor(fn, len(origins)) as (compute, remote):
            for i, result in self._pairs(compute, remote, origins):
                results[i] = result
                self._report(origins[i], result)
        return results

    @contextmanager
    def _executor(self, fn, n_origins):
        """``(compute, fn)``: ``compute(fn, i, origin) -> (i, result)`` runs one origin in this
        process, in a worker process or on Dask (``fn`` then sent to the workers once)."""
        if self.dask:
            with self._dask_client(n_origins) as client:
                # The inputs travel to every worker once, not inside the task graph.
                remote = client.scatter(fn, broadcast=True, hash=False)
                yield partial(_on_dask, client), remote
        elif self.processes(n_origins) == 1:
            yield _one_thread, fn
        else:
            from joblib.externals.loky import get_reusable_executor

            pool = get_reusable_executor(max_workers=self.processes(n_origins))
            yield partial(_in_process, pool), fn

    def _pairs(self, compute, fn, origins):
        """``(i, result)`` for every origin as each finishes."""
        serial = not self.dask and self.processes(len(origins)) == 1
        if self.task is None:
            if serial:
                yield from (compute(fn, i, o) for i, o in enumerate(origins))
                return
            from concurrent.futures import ThreadPoolExecutor, as_completed

            with ThreadPoolExecutor(len(origins)) as threads:
                futures = [threads.submit(compute, fn, i, o) for i, o in enumerate(origins)]
                yield from (f.result() for f in as_completed(futures))
        elif serial:
            yield from (self.task(compute, fn, i, o) for i, o in enumerate(origins))
        else:
            from prefect.futures import as_completed

            futures = [self.task.submit(compute, fn, i, o) for i, o in enumerate(origins)]
            yield from (f.result() for f in as_completed(futures))

    @contextmanager
    def _dask_client(self, n_origins):
        from forewarn.flows._dask import check_address, cluster_kwargs

        check_address(self.dask)
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")  # read on import
        from distributed import Client, LocalCluster

        if self.dask == "local":
            cluster = LocalCluster(**cluster_kwargs(min(usable_cores(), n_origins)))
            client = Client(cluster)
        else:
            cluster, client = None, Client(self.dask)
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    def _report(self, origin, result):
        self._done += 1
        if self.say is None:
            return
        elapsed = time.perf_counter() - self._t0
        left = elapsed / self._done * (self._n - self._done)
        what = f": {self.describe(result)}" if self.describe else ""
        eta = f", about {_duration(left)} left" if self._done < self._n else ""
        self.say(f"      origin {origin:%Y-%m} done ({self._done}/{self._n}){what}; "
                 f"{_duration(elapsed)} so far{eta}")
