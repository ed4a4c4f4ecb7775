"""Checks shared by the model functions: the error they raise and the row labels they read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forewarn.errors import InputError, Problem

__all__ = ["ModelInputError"]

#: Index level names of the model matrix X, the same as the panel dimensions.
REGION = "region"
TIME = "time"


class ModelInputError(InputError, ValueError):
    """Bad input to a model function: an :class:`~forewarn.errors.InputError` that is also a
    ``ValueError``, so scikit-learn tools that expect ``ValueError`` for bad data handle it too."""

    def __init__(self, where, message):
        super().__init__(Problem(where, message))

    def __reduce__(self):
        # Rebuild from (where, message), so the error survives pickling across Dask workers.
        problem = self.problems[0]
        return type(self), (problem.file, problem.message)


def check_param(owner: str, name: str, value, ok: bool, expected: str) -> None:
    """Raise the scikit-learn style parameter error when ``ok`` is false."""
    if not ok:
        raise ModelInputError(
            owner, f"The '{name}' parameter of {owner} must be {expected}. Got {value!r} instead."
        )


def is_int(value) -> bool:
    """True for a Python or NumPy integer that is not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def level_values(X, name: str):
    """Values of index level ``name`` of a DataFrame or Series; None without such a level."""
    if not isinstance(X, (pd.DataFrame, pd.Series)) or name not in X.index.names:
        return None
    return np.asarray(X.index.get_level_values(name))


def time_codes(n_rows: int, time, owner: str) -> np.ndarray:
    """Integer codes 0..T-1 of each row's time, in time order.

    ``time`` holds one sortable label per row; None means rows are in time order (a row's
    position is its time), the convention of :class:`sklearn.model_selection.TimeSeriesSplit`.
    """
    if time is None:
        return np.arange(n_rows)
    time = np.asarray(time)
    if time.shape != (n_rows,):
        raise ModelInputError(
            owner,
            f"'time' has shape {time.shape} but X has {n_rows} rows; pass one time label per "
            "row (or leave it out to use X's index level 'time').",
        )
    if pd.isna(time).any():
        raise ModelInputError(
            owner, "'time' holds missing values; give every row the time it describes."
        )
    return np.unique(time, return_inverse=True)[1].reshape(-1)


def region_codes(X):
    """Integer codes of each row's region (index level ``"region"``), or None without that level."""
    regions = level_values(X, REGION)
    if regions is None:
        return None
    return np.unique(regions.astype(str), return_inverse=True)[1].reshape(-1)


def one_row_per_region(X: pd.DataFrame, owner: str, what: str) -> pd.DataFrame:
    """X re-indexed by region alone, checking that each region appears once."""
    if not isinstance(X, pd.DataFrame):
        raise ModelInputError(
            owner, f"{what} is a {type(X).__name__}; pass a pandas DataFrame indexed by region."
        )
    regions = level_values(X, REGION)
    out = X.copy()
    out.index = pd.Index(X.index if regions is None else regions, name=REGION)
    duplicated = out.index[out.index.duplicated()].unique()
    if len(duplicated):
        raise ModelInputError(
            owner,
            f"{what} has several rows for region {duplicated[0]!r}; pass one row per region "
            "(the rows of one forecast origin).",
        )
    return out
