"""Thread counts chosen on purpose: OpenMP and BLAS sized to the cores this process may use.

scikit-learn's boosting runs OpenMP threads that, by default, *spin* while they wait. On a
shared machine (other jobs on the same cores) spinning threads fight the jobs and each other:
measured on the 2-core development machine under load, one monotone boosting fit took 41 s with
the defaults, 3.0 s with passive waiting, 2.3 s with passive waiting and 2 threads, and 2.1 s
with one thread — identical models every time (docs/benchmarks.md). forewarn therefore asks
OpenMP to wait passively and caps OpenMP and BLAS threads at the cores the process may run on.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

__all__ = ["usable_cores", "prefer_passive_waiting", "thread_limits"]


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

    Takes effect only when called before scikit-learn's OpenMP runtime loads, so the command
    line calls it first thing; notebook users who import scikit-learn first can set the
    variable themselves.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@contextmanager
def thread_limits(n: int | None = None):
    """Cap OpenMP and BLAS threads at ``n`` (default :func:`usable_cores`) inside the block."""
    from threadpoolctl import threadpool_limits

    prefer_passive_waiting()
    with threadpool_limits(limits=n or usable_cores()):
        yield
