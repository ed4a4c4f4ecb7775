"""Reference forecasts a model has to beat: base rate, persistence and a score alone."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from forewarn.models._calibration import fit_platt
from forewarn.models._validation import ModelInputError

__all__ = ["BaseRate", "Persistence", "ScoreAlone"]


@dataclass(frozen=True)
class BaseRate:
    """The training event rate for every row: no skill, the floor of every comparison."""

    name: str = "base_rate"

    def predict(self, X_train, y_train, X_test, extra=None) -> np.ndarray:
        """Probability for each test row. [-]"""
        return np.full(len(X_test), _rate(y_train))


@dataclass(frozen=True)
class Persistence:
    """The last observed outcome carries on.

    Rows whose last outcome was an event get the training event rate after an event, the
    others the rate after no event (both smoothed as ``(events + 1) / (rows + 2)`` so no
    probability is 0 or 1); a row with no last outcome gets the base rate.

    Parameters
    ----------
    column : str, default="last_outcome"
        Column of ``extra`` (or of X) holding each row's last observed outcome, > 0 for an
        event. [-]
    name : str, default="persistence"
        Name in the backtest tables.
    """

    column: str = "last_outcome"
    name: str = "persistence"

    def predict(self, X_train, y_train, X_test, extra=None) -> np.ndarray:
        """Probability for each test row. [-]"""
        y, last_train, last_test = _with_column(self, X_train, y_train, X_test, extra)
        out = np.full(len(X_test), _rate(y))
        for state in (False, True):
            seen = ~np.isnan(last_train) & ((last_train > 0) == state)
            rate = (y[seen].sum() + 1) / (seen.sum() + 2)
            out[~np.isnan(last_test) & ((last_test > 0) == state)] = rate
        return out


@dataclass(frozen=True)
class ScoreAlone:
    """A given score (the composite index) as the only predictor.

    The score is mapped to a probability by Platt scaling fitted on the training rows, so its
    ranking is kept when the fitted slope is positive. Rows without a score get the base rate.

    Parameters
    ----------
    column : str, default="index_score"
        Column of ``extra`` (or of X) holding the score. [any]
    name : str, default="index_alone"
        Name in the backtest tables.
    """

    column: str = "index_score"
    name: str = "index_alone"

    def predict(self, X_train, y_train, X_test, extra=None) -> np.ndarray:
        """Probability for each test row. [-]"""
        y, score_train, score_test = _with_column(self, X_train, y_train, X_test, extra)
        known = ~np.isnan(score_train)
        if len(np.unique(y[known])) < 2:
            raise ModelInputError(
                self.name,
                f"the training rows with a '{self.column}' hold a single class, so the score "
                "cannot be mapped to a probability; widen the training window.",
            )
        a, b = fit_platt(score_train[known], y[known])
        out = np.full(len(X_test), _rate(y))
        have = ~np.isnan(score_test)
        out[have] = expit(a * score_test[have] + b)
        return out


def _rate(y) -> float:
    return float(np.mean(np.asarray(y, dtype=float)))


def _with_column(baseline, X_train, y_train, X_test, extra):
    """Training outcomes as floats and the baseline's column for the train and test rows."""
    return (np.asarray(y_train, dtype=float),
            _column(baseline.column, X_train, extra, baseline.name),
            _column(baseline.column, X_test, extra, baseline.name))


def _column(column: str, X, extra, owner: str) -> np.ndarray:
    """Values of ``column`` for X's rows: from ``extra`` (looked up by X's index) or from X."""
    if isinstance(extra, pd.DataFrame) and column in extra.columns:
        if extra.index.has_duplicates:
            raise ModelInputError(
                owner, "'extra' has duplicated index labels; give one row per (region, time)."
            )
        return extra[column].reindex(X.index).to_numpy(dtype=float)
    if isinstance(X, pd.DataFrame) and column in X.columns:
        return X[column].to_numpy(dtype=float)
    raise ModelInputError(
        owner,
        f"needs the column '{column}' in 'extra' (a DataFrame indexed like the train and test "
        "rows, returned by make_data) or in X; add it there.",
    )
