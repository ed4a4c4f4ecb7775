"""Thread counts chosen on purpose: OpenMP and BLAS sized to the cores this process may use.

scikit-learn's boosting runs OpenMP threads that, by default, *spin* while they wait. On a
shared machine (other jobs on the same cores) spinning threads fight the jobs and each other:
measured on the 2-core development machine under load, one monotone boosting fit took 41 s with
the defaults, 3.0 s with passive waiting, 2.3 s with passive waiting and 2 threads, and 2.1 s
with one thread — identical models every time (docs/benchmarks.md). forewarn therefore asks
OpenMP to wait passively and caps OpenMP and BLAS threads at the cores the process may run on.

OpenMP reads its wait policy once, when its runtime loads. ``import forewarn`` therefore asks for
passive waiting before anything loads the runtime; when scikit-learn was imported first (a
notebook), the runtime already spins, and forewarn's own work then runs one OpenMP thread (no
thread is left to spin): measured on the 2-core machine under load, a small demo run's training
took 101.8 s with two spinning threads and 3.2 s with one.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["usable_cores", "prefer_passive_waiting", "thread_limits", "fit_threads",
           "note_openmp", "openmp_spins"]

#: Whether OpenMP was already loaded with active (spinning) waiting when forewarn was imported.
_SPINNING = False


def usable_cores() -> int:
    """Cores this process may run on: ``FOREWARN_THREADS`` when set, else its CPU affinity.

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    given = os.environ.get("FOREWARN_THREADS", "").strip()
    if given:
        try:
            n = int(given)
        except ValueError:
            n = 0
        if n < 1:
            from forewarn.errors import InputError, Problem

            raise InputError(Problem("environment variable FOREWARN_THREADS",
                                     f"is {given[:40]!r}; give a whole number of threads >= 1, "
                                     "or unset it to use every core this process may run on."))
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def prefer_passive_waiting() -> None:
    """Ask OpenMP to wait passively (``OMP_WAIT_POLICY=PASSIVE``) unless the user chose.

    Takes effect only when called before scikit-learn's OpenMP runtime loads, so
    ``import forewarn`` calls it (:func:`note_openmp`); when scikit-learn was imported first,
    forewarn's work runs one OpenMP thread instead (:func:`thread_limits`).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _openmp_loaded() -> bool:
    """Whether an OpenMP runtime is loaded in this process (looked up, nothing loaded)."""
    from threadpoolctl import threadpool_info

    return any(lib.get("user_api") == "openmp" for lib in threadpool_info())


def note_openmp() -> None:
    """Called once when forewarn is imported: ask for passive waiting if OpenMP has not loaded
    yet, else note whether the loaded runtime spins (see :func:`openmp_spins`)."""
    global _SPINNING
    if _openmp_loaded():
        _SPINNING = os.environ.get("OMP_WAIT_POLICY", "").strip().upper() != "PASSIVE"
    else:
        prefer_passive_waiting()


def openmp_spins() -> bool:
    """True when this process's OpenMP runtime waits actively (it loaded before forewarn asked
    for passive waiting and ``OMP_WAIT_POLICY`` was not ``PASSIVE``)."""
    return _SPINNING


@contextmanager
def thread_limits(n: int | None = None):
    """Cap OpenMP and BLAS threads at ``n`` inside the block.

    BLAS gets ``n`` threads, by default :func:`usable_cores`. OpenMP (scikit-learn's boosting)
    gets ``n`` when given or when ``FOREWARN_THREADS`` is set, else one thread: each boosting
    fit here is a few thousand rows, too small for threads to pay for waking each other many
    times per tree (the demo forecast, quiet 2-core machine: 104 s with two OpenMP threads,
    48 s with one; more cores serve forewarn better as Dask workers, one unit each). OpenMP
    gets one thread whatever ``n`` when its runtime spins (:func:`openmp_spins`). Results do
    not depend on the thread counts. Inside the block, a large fit may use all ``n`` cores
    (:func:`fit_threads`).
    """
    from threadpoolctl import threadpool_limits

    prefer_passive_waiting()
    _load_openmp()
    cores = n or usable_cores()
    chosen = n or os.environ.get("FOREWARN_THREADS", "").strip()
    openmp = cores if chosen and not openmp_spins() else 1
    limits = {"blas": cores, "openmp": openmp}
    token = _BUDGET.set(cores)
    try:
        with threadpool_limits(limits=limits):
            yield
    finally:
        _BUDGET.reset(token)


#: The cores of the innermost :func:`thread_limits` block (None outside any).
_BUDGET: ContextVar[int | None] = ContextVar("forewarn_thread_budget", default=None)

#: Training rows from which one boosting fit runs OpenMP on every core of its
#: :func:`thread_limits` budget: below, threads wake each other for too little work per tree.
#: ``benchmarks/fit_threads.py``, quiet 2-core machine, 2 threads against 1: 0.13x at 5,000
#: rows, 0.84x at 100,000, 1.11x at 200,000, 1.29x at 300,000, 1.59x at 1,000,000. [rows]
LARGE_FIT_ROWS = 300_000


@contextmanager
def fit_threads(n_rows: int):
    """OpenMP threads for one boosting fit of ``n_rows`` rows: inside :func:`thread_limits`
    and from :data:`LARGE_FIT_ROWS` on, every core of its budget (the 65,000-cell grid's
    6-month model, 16 fits of 0.5 to 1.9 million rows: 316 s on one thread, 183 s on two);
    else as the block set them. A spinning runtime keeps one thread (:func:`openmp_spins`).
    Results do not depend on it."""
    budget = _BUDGET.get()
    if budget is None or budget < 2 or n_rows < LARGE_FIT_ROWS or openmp_spins():
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits={"openmp": budget}):
        yield


def _load_openmp() -> None:
    """Load scikit-learn's OpenMP runtime (after the wait policy is set) so that the limits
    apply to it: threadpoolctl limits only the libraries already loaded. A unit that first
    imported the estimators inside its limits (the first training unit of a process) ran
    OpenMP on every core: the 65,000-cell grid's 6-month model took 189 s that way in one
    process against 316 s on one thread, on a core another unit needed."""
    try:
        import sklearn.utils._openmp_helpers  # noqa: F401 - imported to load the runtime
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        pass
