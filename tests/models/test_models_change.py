"""Change since the last run, split exactly into inputs and model."""

import numpy as np
import pandas as pd
import pytest

from forewarn.models import AdditiveBoosting, ModelInputError, explain_change

from synthetic_models import DIRECTIONS


def _run(X, month):
    rows = X.xs(pd.Timestamp(month), level="time")
    return rows


def test_same_model_change_is_all_inputs(linear_model, panel):
    X, _, _ = panel
    old, new = _run(X, "2017-11-01"), _run(X, "2017-12-01")
    change = explain_change(linear_model, old, linear_model, new)
    assert (change.model == 0).all()
    np.testing.assert_allclose(change.inputs.sum(axis=1) + change.model, change.total, atol=1e-9)
    np.testing.assert_allclose(change.new_margin, linear_model.decision_function(new))
    assert change.added == () and change.dropped == ()


def test_model_change_is_bridged_on_the_old_inputs(linear_model, boosted_model, panel):
    X, _, _ = panel
    old, new = _run(X, "2017-11-01"), _run(X, "2017-12-01")
    change = explain_change(linear_model, old, boosted_model, new)
    np.testing.assert_allclose(change.inputs.sum(axis=1) + change.model, change.total,
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(change.model, boosted_model.decision_function(old)
                               - linear_model.decision_function(old))
    np.testing.assert_allclose(change.old_margin, linear_model.decision_function(old))


def test_unchanged_inputs_leave_only_the_model_part(linear_model, boosted_model, panel):
    X, _, _ = panel
    rows = _run(X, "2017-12-01")
    change = explain_change(linear_model, rows, boosted_model, rows)
    assert (change.inputs.to_numpy() == 0).all()
    np.testing.assert_allclose(change.model, change.total)


def test_regions_added_and_dropped_are_listed(linear_model, panel):
    X, _, _ = panel
    old = _run(X, "2017-11-01").drop(index="R000")
    new = _run(X, "2017-12-01").drop(index="R001")
    change = explain_change(linear_model, old, linear_model, new)
    assert change.added == ("R000",) and change.dropped == ("R001",)
    assert "R000" not in change.total.index and len(change.total) == 38


def test_rows_with_a_region_level_are_accepted(linear_model, panel):
    X, _, _ = panel
    old = X[X.index.get_level_values("time") == pd.Timestamp("2017-11-01")]
    new = X[X.index.get_level_values("time") == pd.Timestamp("2017-12-01")]
    change = explain_change(linear_model, old, linear_model, new)
    assert change.total.index.name == "region" and len(change.total) == 40


def test_new_features_must_be_in_the_old_inputs(linear_model, panel):
    X, y, _ = panel
    wider = X.assign(extra=1.0)
    new_model = AdditiveBoosting(DIRECTIONS, max_iter=5, n_bootstrap=0).fit(wider, y)
    with pytest.raises(ModelInputError, match="old_X lacks 1 feature.s. of new_model, e.g. 'extra'"):
        explain_change(linear_model, _run(X, "2017-11-01"), new_model, _run(wider, "2017-12-01"))


def test_one_row_per_region(linear_model, panel):
    X, _, _ = panel
    two_months = X[X.index.get_level_values("time") >= pd.Timestamp("2017-11-01")]
    with pytest.raises(ModelInputError, match="old_X has several rows for region 'R000'"):
        explain_change(linear_model, two_months, linear_model, _run(X, "2017-12-01"))
    with pytest.raises(ModelInputError, match="new_X is a ndarray; pass a pandas DataFrame"):
        explain_change(linear_model, _run(X, "2017-11-01"), linear_model, np.zeros((2, 5)))


def test_models_need_feature_names(panel):
    from forewarn.models import ElasticNetLogit

    X, y, _ = panel
    unnamed = ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_bootstrap=0).fit(X.to_numpy(), y)
    rows = _run(X, "2017-12-01")
    with pytest.raises(ModelInputError, match="old_model was fitted without column names"):
        explain_change(unnamed, rows, unnamed, rows)
