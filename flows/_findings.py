"""What a fitted model says about time since a crisis onset (the "when" question)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forewarn.errors import InputError, Problem

__all__ = ["risk_since_onset"]


def risk_since_onset(model, X: pd.DataFrame, kind: str, steps=range(0, 11)) -> pd.DataFrame:
    """Mean predicted risk if every row's latest ``kind`` onset were ``s`` steps ago.

    Each row of ``X`` keeps its other features; ``crisis_<kind>__since`` is set to each ``s`` and
    ``crisis_<kind>__seen`` to 1 (a partial-dependence curve). A last row, ``since`` NaN, sets
    ``__seen`` to 0 and ``__since`` to the cap: no onset ever.

    Parameters
    ----------
    model : fitted forewarn estimator
        With ``predict_proba`` and ``predict_interval`` (bootstrap refits).
    X : pandas.DataFrame
        Feature rows, e.g. the training rows or the origin rows of a run.
    kind : str
        Crisis kind, as in ``[features] crisis_kinds``.
    steps : iterable of int
        Steps since the onset to evaluate. [time steps]

    Returns
    -------
    pandas.DataFrame
        ``since`` (steps, NaN for "never"), ``probability`` (mean over the rows) and ``lower``,
        ``upper`` (means of the rows' bootstrap interval bounds) [-]. It describes the model,
        which learned from detected victims: detection, not prevalence, and no cause.

    Raises
    ------
    forewarn.errors.InputError
        ``X`` has no ``crisis_<kind>__since`` column.
    """
    since, seen = f"crisis_{kind}__since", f"crisis_{kind}__seen"
    if since not in X.columns:
        raise InputError(Problem("risk_since_onset", f"no column {since!r} in the features; "
                                 f"is {kind!r} in [features] crisis_kinds? Crisis columns: "
                                 f"{', '.join(c for c in X.columns if c.startswith('crisis_'))}"
                                 "."))
    cap = float(np.nanmax(X[since])) if X[since].notna().any() else max(steps)
    rows = []
    for s in [*steps, None]:
        Xs = X.copy()
        Xs[since] = cap if s is None else float(s)
        if seen in Xs:
            Xs[seen] = 0 if s is None else 1
        p = model.predict_proba(Xs)[:, 1]
        low, high = model.predict_interval(Xs)
        rows.append((np.nan if s is None else float(s), float(p.mean()), float(low.mean()), float(high.mean())))
    return pd.DataFrame(rows, columns=["since", "probability", "lower", "upper"])
