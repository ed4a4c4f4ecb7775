"""The region-bootstrap refits of a detection-aware model, each an independent unit of work.

The draws come from the model's seed in a fixed order, as a loop fitting them one after the
other would take them (a draw whose rows hold one class is passed over); the refits run through
:func:`forewarn.models._units.unit_map`, so on a Dask cluster when the caller puts one in place.
A refit that finds no finite likelihood is replaced by the next draw's, exactly as that loop
would: the parameters kept are the first ``n_bootstrap`` that converged, in the draws' order,
wherever and in whatever order the units ran.
"""

from __future__ import annotations

import numpy as np

from forewarn.models._splits import region_draws
from forewarn.models._units import unit_map

__all__ = ["bootstrap_refits"]


def bootstrap_refits(model, Z, event, regions, start, random) -> list:
    """Parameters of ``model.n_bootstrap`` region-bootstrap refits of ``model`` (fewer when the
    draws run out), each started from ``start``.

    Parameters
    ----------
    model : DetectionAwareLogit
        Fitted up to its bootstrap (columns, signs and penalty known).
    Z : ndarray of shape (n_rows, n_columns)
        The model's design (standardised, missing values at zero).
    event : ndarray of shape (n_rows,)
        1 for an event, 0 for none.
    regions : ndarray of int
        Region code of each row: a draw takes a region's rows together.
    start : ndarray
        The fit's parameters, where each refit starts.
    random : numpy.random.RandomState
        Source of the draws (at most ten per refit wanted).
    """
    wanted = model.n_bootstrap
    draws = region_draws(regions, random, 10 * wanted)
    fitted, exhausted = [], False
    while len(fitted) < wanted and not exhausted:
        batch = []
        for rows in draws:
            if len(np.unique(event[rows])) < 2:
                continue
            batch.append(rows)
            if len(batch) == wanted - len(fitted):
                break
        else:
            exhausted = True
        results = unit_map(_refit, batch, model=model, Z=Z, event=event, start=start)
        fitted += [x for x in results if x is not None][:wanted - len(fitted)]
    return fitted


def _refit(rows, model, Z, event, start):
    """One refit on the rows of a draw: its parameters, or None when it finds no finite
    likelihood."""
    return model._maximise(Z[rows], event[rows], None, start=start)[0]
