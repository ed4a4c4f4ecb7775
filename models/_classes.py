"""Risk classes: the one rule that puts a probability (or an index score) in a class."""

from __future__ import annotations

import numpy as np

__all__ = ["RISK_CLASSES", "classify", "class_names"]

#: Risk classes, lowest first; each starts at its class break (DESIGN: ``risk_class``).
RISK_CLASSES = ("low", "medium", "high", "very high")


def classify(values, breaks) -> np.ndarray:
    """Risk class of each value, as an index into :data:`RISK_CLASSES`; -1 where it is NaN.

    The one rule for risk classes (scores, maps, report): a class starts at its break, so with
    breaks (0.05, 0.15, 0.30) a probability of exactly 0.05 is "medium".

    Parameters
    ----------
    values : array-like of float
        Probabilities [-], or index scores [0-10] in an index-only run.
    breaks : sequence of float
        Where "medium", "high", "very high" start, on the same scale, increasing.

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> classify([0.01, 0.05, 0.2, 0.9, np.nan], (0.05, 0.15, 0.30)).tolist()
    [0, 1, 2, 3, -1]
    """
    v = np.asarray(values, dtype=float)
    out = np.digitize(np.nan_to_num(v, nan=-np.inf), np.asarray(breaks, dtype=float))
    return np.where(np.isnan(v), -1, out).astype(int)


def class_names(values, breaks) -> np.ndarray:
    """Risk class of each value by name (:func:`classify`); None where it is NaN.

    Examples
    --------
    >>> class_names([0.01, 0.3, np.nan], (0.05, 0.15, 0.30)).tolist()
    ['low', 'very high', None]
    """
    idx = classify(values, breaks)
    out = np.asarray(RISK_CLASSES, dtype=object)[np.maximum(idx, 0)]
    out[idx < 0] = None
    return out
