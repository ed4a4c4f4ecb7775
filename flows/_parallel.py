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

from threadpoolctl import threadpool_limits

from forewarn._threads import usable_cores  # one rule for the cores a process may use

__all__ = ["OriginRunner", "usable_cores"]


def _one_thread(fn, i, item):
    """``(i, fn(item))`` with one BLAS/OpenMP thread (in a worker process or this one)."""
    with threadpool_limits(1):
        return i, fn(item)


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
    """

    def __init__(self, workers: int = 0, dask: str | None = None, say=None, describe=None):
        self.workers, self.dask, self.say, self.describe = workers, dask, say, describe

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
        if self.dask:
            pairs = self._on_dask(fn, origins)
        elif self.processes(len(origins)) == 1:
            pairs = (_one_thread(fn, i, o) for i, o in enumerate(origins))
        else:
            from joblib import Parallel, delayed

            pairs = Parallel(n_jobs=self.processes(len(origins)), backend="loky",
                             return_as="generator_unordered")(
                delayed(_one_thread)(fn, i, o) for i, o in enumerate(origins))
        results = [None] * len(origins)
        for i, result in pairs:
            results[i] = result
            self._report(origins[i], result)
        return results

    def _on_dask(self, fn, origins):
        from forewarn.flows._dask import check_address, cluster_kwargs

        check_address(self.dask)
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")  # read on import
        from distributed import Client, LocalCluster, as_completed

        if self.dask == "local":
            cluster = LocalCluster(**cluster_kwargs(min(usable_cores(), len(origins))))
            client = Client(cluster)
        else:
            cluster, client = None, Client(self.dask)
        try:
            # The inputs travel to every worker once, not inside the task graph.
            remote = client.scatter(fn, broadcast=True, hash=False)
            futures = client.map(_one_thread, [remote] * len(origins), range(len(origins)),
                                 origins, pure=False)
            for future in as_completed(futures):
                yield future.result()
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
