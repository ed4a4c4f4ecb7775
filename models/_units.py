"""Independent units of work inside a fit (folds, bootstrap refits), run where the caller says.

A model's fit is a handful of independent fits: the time-ordered folds behind the penalty search
and the calibration, the final fit and the region-bootstrap refits. :func:`unit_map` runs them
one after the other in this process unless the caller has put a mapping function in place with
:func:`units_on` (``forewarn.flows`` does, to run them on a Dask cluster). Every unit gets its
seed and its rows from the caller, decided before any unit runs, so the fitted model is the
same wherever and in whatever order the units ran.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

__all__ = ["unit_map", "units_on"]

_MAP: ContextVar = ContextVar("forewarn_unit_map", default=None)


def unit_map(fn, items, **shared) -> list:
    """``[fn(item, **shared) for item in items]``, run by the mapping function in place.

    ``shared`` holds the large inputs every unit reads (the training matrix): a cluster sends
    them to its workers once, not once per unit. Warnings a unit raises (a fit that stopped at
    ``max_iter``) are raised again here, in the caller, wherever the unit ran.
    """
    items = list(items)
    mapper = _MAP.get()
    if mapper is None or len(items) < 2:
        pairs = [_caught(fn, item, **shared) for item in items]
    else:
        pairs = mapper(partial(_caught, fn), items, **shared)
    results = []
    for result, caught in pairs:
        for message in caught:
            warnings.warn(message, stacklevel=2)
        results.append(result)
    return results


def _caught(fn, item, **shared):
    """``fn(item, **shared)`` and the warnings it raised (as Warning instances)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(item, **shared)
    return result, [w.message for w in caught]


@contextmanager
def units_on(mapper):
    """Run the units of the fits inside the block with ``mapper(fn, items, **shared) -> list``
    (results in the items' order); None runs them in this process."""
    token = _MAP.set(mapper)
    try:
        yield
    finally:
        _MAP.reset(token)
