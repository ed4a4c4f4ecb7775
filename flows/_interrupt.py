"""Ctrl-C (SIGINT) and SIGTERM during a run: remember them and stop at the next safe point.

Prefect's engine catches ``KeyboardInterrupt`` in places and may carry on, so a run interrupted
while its flow starts could still publish and exit 0 — a cron job or a script would record
success. The command line therefore records the signal here; every stage boundary and the
publisher check the record, so an interrupted run publishes nothing and exits 130.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

__all__ = ["Interrupted", "guard", "check", "interrupted"]

_received: list[int] = []


class Interrupted(Exception):  # an Exception, not BaseException: engines pass it through
    """The run was interrupted by a signal; nothing was published."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def interrupted() -> int | None:
    """The signal received while guarded, or None."""
    return _received[-1] if _received else None


def check() -> None:
    """Raise :class:`Interrupted` when a signal arrived since the guard started."""
    if _received:
        raise Interrupted(_received[-1])


@contextmanager
def guard():
    """Record SIGINT and SIGTERM for :func:`check` while the block runs (main thread only).

    SIGINT still raises ``KeyboardInterrupt`` at once, as Python's default handler does;
    SIGTERM, which would otherwise kill the process without clean-up, does too.
    """
    def handler(signum, frame):
        _received.append(signum)
        raise KeyboardInterrupt

    _received.clear()
    try:
        previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: nothing to install
        previous = {}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _received.clear()  # a later run in this process (a notebook, a test) starts clean
