"""Time-ordered cross-validation folds for panels: train on earlier times, validate on later."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import TimeSeriesSplit

from forewarn.models._validation import (
    TIME,
    ModelInputError,
    check_param,
    is_int,
    level_values,
    time_codes,
)

__all__ = ["TimeOrderedSplit"]


class TimeOrderedSplit:
    """Expanding-window folds over the distinct times of a panel.

    The distinct times are cut into ``n_splits + 1`` consecutive blocks; fold *k* validates on
    block *k + 1* and trains on every earlier time, leaving ``gap`` times out in between. All rows
    that share a time fall on the same side, so a region-month panel never trains on a month it
    validates on. This is :class:`sklearn.model_selection.TimeSeriesSplit` applied to the distinct
    times rather than to the rows.

    Parameters
    ----------
    n_splits : int, default=3
        Number of folds. [-]
    gap : int, default=0
        Number of distinct times left out between the end of training and the start of
        validation. Set it to the forecast horizon when the target of a row looks that far
        ahead, so training targets never reach into the validation period. [time steps]

    Examples
    --------
    >>> import numpy as np
    >>> time = np.repeat([2001, 2002, 2003, 2004], 2)        # two regions per year
    >>> [(np.unique(time[tr]).tolist(), np.unique(time[va]).tolist())
    ...  for tr, va in TimeOrderedSplit(n_splits=2).split(time, groups=time)]
    [([2001, 2002], [2003]), ([2001, 2002, 2003], [2004])]
    """

    def __init__(self, n_splits=3, gap=0):
        self.n_splits = n_splits
        self.gap = gap

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of folds. [-]"""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train_rows, validation_rows)`` index arrays, earliest fold first.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_rows, n_features)
            Rows to split; its index level ``"time"`` gives the time when ``groups`` is None.
        y : ignored
        groups : array-like of shape (n_rows,), optional
            Time label of each row (any sortable type). Without it and without a ``"time"``
            index level, rows are taken to be in time order.
        """
        owner = type(self).__name__
        check_param(owner, "n_splits", self.n_splits, is_int(self.n_splits) and self.n_splits >= 2,
                    "an int >= 2")
        check_param(owner, "gap", self.gap, is_int(self.gap) and self.gap >= 0, "an int >= 0")
        codes = time_codes(len(X), level_values(X, TIME) if groups is None else groups,
                           owner)
        n_times = int(codes.max()) + 1 if len(codes) else 0
        needed = self.n_splits + 1 + self.gap
        if n_times < needed:
            raise ModelInputError(
                owner,
                f"{self.n_splits} time-ordered folds with a gap of {self.gap} need at least "
                f"{needed} distinct times; the data have {n_times}. Use fewer folds, a smaller "
                "gap or a longer training period.",
            )
        folds = TimeSeriesSplit(n_splits=self.n_splits, gap=self.gap).split(np.arange(n_times))
        for train_times, valid_times in folds:
            yield (np.flatnonzero(np.isin(codes, train_times)),
                   np.flatnonzero(np.isin(codes, valid_times)))


def region_draws(regions, random, attempts: int):
    """Rows of region-bootstrap draws: regions drawn with replacement, a region's rows together.

    Yields one array of row positions per attempt, drawn from ``random`` in order (a caller
    that stops early leaves the state as if it had stopped at that draw).

    Parameters
    ----------
    regions : ndarray of int
        Region code of each row (0 to the number of regions - 1).
    random : numpy.random.RandomState
        Source of the draws.
    attempts : int
        Most draws to make. [-]
    """
    order = np.argsort(regions, kind="stable")
    rows_of = np.split(order, np.searchsorted(regions[order], np.arange(1, regions.max() + 1)))
    for _ in range(attempts):
        drawn = random.randint(len(rows_of), size=len(rows_of))
        yield np.concatenate([rows_of[r] for r in drawn])
