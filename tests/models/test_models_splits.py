"""Time-ordered folds: later times are never used to train for earlier ones."""

import numpy as np
import pandas as pd
import pytest

from forewarn.models import ModelInputError, TimeOrderedSplit


def _panel_index(n_regions=3, n_months=8):
    return pd.MultiIndex.from_product(
        [[f"R{i}" for i in range(n_regions)], pd.date_range("2020-01-01", periods=n_months, freq="MS")],
        names=["region", "time"],
    )


def test_folds_train_on_earlier_times_and_keep_a_time_together():
    X = pd.DataFrame({"x": 0.0}, index=_panel_index())
    times = X.index.get_level_values("time")
    folds = list(TimeOrderedSplit(n_splits=3).split(X))
    assert len(folds) == 3
    for train, valid in folds:
        assert times[train].max() < times[valid].min()
        # every row of a validation month is in the validation set (all 3 regions)
        assert len(valid) == 3 * times[valid].nunique()
    # expanding window: each fold trains on more
    assert [len(t) for t, _ in folds] == sorted(len(t) for t, _ in folds)
    assert times[folds[-1][1]].max() == times.max()


def test_gap_leaves_times_out_between_training_and_validation():
    time = np.repeat(np.arange(10), 2)
    for train, valid in TimeOrderedSplit(n_splits=2, gap=3).split(time, groups=time):
        assert time[valid].min() - time[train].max() == 4


def test_groups_override_the_index_and_rows_default_to_time_order():
    X = pd.DataFrame({"x": 0.0}, index=_panel_index(2, 4))
    by_position = list(TimeOrderedSplit(n_splits=3).split(np.zeros(4)))
    assert [v.tolist() for _, v in by_position] == [[1], [2], [3]]
    reverse = np.asarray(X.index.get_level_values("time"))[::-1].copy()
    train, valid = list(TimeOrderedSplit(n_splits=3).split(X, groups=reverse))[0]
    assert set(reverse[train]) < set(reverse) and reverse[train].max() < reverse[valid].min()


def test_too_few_times_is_explained():
    time = np.arange(3)
    with pytest.raises(ModelInputError, match="3 time-ordered folds with a gap of 1 need at least 5 "
                                              "distinct times; the data have 3"):
        list(TimeOrderedSplit(n_splits=3, gap=1).split(time, groups=time))


@pytest.mark.parametrize("kwargs, message", [
    ({"n_splits": 1}, "The 'n_splits' parameter of TimeOrderedSplit must be an int >= 2. Got 1"),
    ({"gap": -1}, "The 'gap' parameter of TimeOrderedSplit must be an int >= 0. Got -1"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ModelInputError, match=message):
        list(TimeOrderedSplit(**kwargs).split(np.zeros(10)))


def test_time_labels_must_match_rows_and_be_complete():
    with pytest.raises(ModelInputError, match=r"'time' has shape \(3,\) but X has 10 rows"):
        list(TimeOrderedSplit().split(np.zeros(10), groups=[1, 2, 3]))
    with pytest.raises(ModelInputError, match="'time' holds missing values"):
        list(TimeOrderedSplit().split(np.zeros(4), groups=[1.0, np.nan, 2.0, 3.0]))

