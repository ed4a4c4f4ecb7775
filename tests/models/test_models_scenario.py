"""Scenarios: changed inputs, re-scored and explained exactly."""

import numpy as np
import pandas as pd
import pytest

from forewarn.models import ModelInputError, explain, run_scenario


def _rows(panel):
    X, _, _ = panel
    return X.xs(pd.Timestamp("2017-12-01"), level="time").iloc[:4]


def test_changing_one_feature_moves_only_its_contribution(fitted, panel):
    rows = _rows(panel)
    result = run_scenario(fitted, rows, {"a": 2.5})
    assert (result.after["a"] == 2.5).all()
    np.testing.assert_allclose(result.contributions.sum(axis=1),
                               result.margin_after - result.margin_before, rtol=0, atol=1e-9)
    assert (result.contributions.drop(columns="a").to_numpy() == 0).all()
    assert (result.probability_after >= result.probability_before).all()  # a raises risk
    pd.testing.assert_series_equal(result.margin_before,
                                   pd.Series(fitted.decision_function(rows), index=rows.index))


def test_features_are_rebuilt_from_raw_inputs(linear_model, panel):
    rows = _rows(panel)
    raw = rows.rename(columns={"a": "displaced"}).assign(usual=2.0)
    raw["displaced"] = rows["a"] * 2.0

    def make_features(frame):
        # the model sees displacement relative to its usual level
        out = frame.rename(columns={"displaced": "a"}).drop(columns="usual")
        out["a"] = frame["displaced"] / frame["usual"]
        return out[rows.columns]

    result = run_scenario(linear_model, raw, {"displaced": pd.Series(10.0, index=raw.index)},
                          make_features)
    np.testing.assert_allclose(result.after["a"], 5.0)
    before, _ = explain(linear_model, rows)
    np.testing.assert_allclose(result.contributions.sum(axis=1),
                               result.margin_after - result.margin_before, atol=1e-9)
    pd.testing.assert_frame_equal(result.before, rows)
    np.testing.assert_allclose(result.contributions["b"], 0.0)
    assert before.shape == result.contributions.shape


@pytest.mark.parametrize("changes, message", [
    ({}, "'changes' must be a non-empty mapping"),
    ({"zz": 1.0}, "'changes' names 'zz', which is not an input column"),
    ({"a": "high"}, "the new value of 'a' is 'high'; give a number"),
])
def test_bad_changes(linear_model, panel, changes, message):
    with pytest.raises(ModelInputError, match=message):
        run_scenario(linear_model, _rows(panel), changes)


def test_make_features_must_keep_the_rows(linear_model, panel):
    with pytest.raises(ModelInputError, match="make_features returned DataFrame for the before "
                                              "inputs without the rows of 'inputs'"):
        run_scenario(linear_model, _rows(panel), {"a": 1.0}, lambda frame: frame.iloc[:2])
    with pytest.raises(ModelInputError, match="'inputs' is a ndarray; pass a DataFrame"):
        run_scenario(linear_model, np.zeros((1, 5)), {"a": 1.0})
