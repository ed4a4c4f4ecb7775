"""What a trained horizon keeps of its training rows: the card, the ranges, the rows on demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forewarn.flows._trained import Trained, feature_ranges
from forewarn.models import AdditiveBoosting, make_model_card, shape_functions
from synthetic_models import make_panel


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = make_panel(n_regions=30, n_months=24, seed=1)
    model = AdditiveBoosting({"a": 1}, max_iter=10, n_bootstrap=0, random_state=0).fit(X, y)
    return Trained.fitted(6, model, X, y, X.iloc[:30], X.index[-1][1]), X, y


def test_without_rows_keeps_card_and_ranges_and_rebuilds_the_rows(fitted):
    full, X, y = fitted
    light = Trained.fitted(6, full.model, X, y, full.X_origin, full.known_until).without_rows()
    assert light.rows is None and (light.n_rows, light.n_features) == (len(X), X.shape[1])
    want = make_model_card(full.model, X, y)
    got = light.model_card()
    assert (got.n_rows, got.n_regions, got.event_rate, got.training_start, got.training_end) \
        == (want.n_rows, want.n_regions, want.event_rate, want.training_start,
            want.training_end)
    # The report's shape functions from the ranges are those from the training rows.
    pd.testing.assert_frame_equal(shape_functions(full.model, light.feature_ranges()),
                                  shape_functions(full.model, X))
    light.with_rebuild(lambda: (X, y))
    assert light.X_train is X and light.y_train is y


def test_rows_that_can_no_longer_be_rebuilt_say_how_to_get_them(fitted):
    full, X, y = fitted
    light = Trained.fitted(12, full.model, X, y, full.X_origin, full.known_until).without_rows()
    with pytest.raises(RuntimeError, match=r"12-month model's training rows were left on the "
                                           r"Dask worker .* fit=False"):
        light.X_train


def test_feature_ranges_skip_missing_values_and_leave_empty_columns_nan():
    X = pd.DataFrame({"a": [1.0, np.nan, -2.0], "b": [np.nan] * 3})
    ranges = feature_ranges(X)
    assert list(ranges.index) == ["min", "max"]
    assert ranges.loc["min", "a"] == -2.0 and ranges.loc["max", "a"] == 1.0
    assert ranges["b"].isna().all()
