"""Exact explanations: they add up to the margin and agree with shap."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forewarn.models import (
    AdditiveBoosting,
    ElasticNetLogit,
    ModelInputError,
    coefficients,
    explain,
    shape_functions,
)

from synthetic_models import make_panel

shap = pytest.importorskip("shap")


@pytest.fixture(scope="module")
def new_rows():
    X, _, _ = make_panel(n_regions=15, n_months=6, seed=11, missing=0.2)
    X.iloc[::7, 0] = np.nan  # missing values in a feature that had none in training
    return X


def test_contributions_add_up_to_the_margin(fitted, new_rows):
    contributions, base = explain(fitted, new_rows)
    assert contributions.shape == new_rows.shape
    assert contributions.index.equals(new_rows.index)
    assert list(contributions.columns) == list(new_rows.columns)
    np.testing.assert_allclose(base + contributions.sum(axis=1), fitted.decision_function(new_rows),
                               rtol=0, atol=1e-9)


def test_linear_contributions_match_shap_linear_explainer(linear_model, panel, new_rows):
    X, _, _ = panel
    pipeline = linear_model.estimator_
    to_model_space = pipeline[:-1].transform
    masker = shap.maskers.Independent(to_model_space(X.to_numpy()), max_samples=len(X))
    explainer = shap.LinearExplainer(pipeline[-1], masker)
    values = explainer.shap_values(to_model_space(new_rows.to_numpy()))
    n = X.shape[1]
    per_feature = values[:, :n].copy()
    per_feature[:, pipeline[0].indicator_.features_] += values[:, n:]  # missing indicators
    a, b = linear_model.calibration_slope_, linear_model.calibration_intercept_
    contributions, base = explain(linear_model, new_rows)
    np.testing.assert_allclose(contributions, a * per_feature, rtol=0, atol=1e-6)
    assert base == pytest.approx(a * float(np.ravel(explainer.expected_value)[0]) + b, abs=1e-6)


def test_boosted_contributions_match_shap_tree_explainer(boosted_model, new_rows):
    explainer = shap.TreeExplainer(boosted_model.estimator_)
    values = explainer.shap_values(new_rows.to_numpy())
    a, b = boosted_model.calibration_slope_, boosted_model.calibration_intercept_
    contributions, base = explain(boosted_model, new_rows)
    np.testing.assert_allclose(contributions, a * values, rtol=0, atol=1e-6)
    assert base == pytest.approx(a * float(np.ravel(explainer.expected_value)[0]) + b, abs=1e-6)


def test_a_boosted_contribution_depends_on_its_own_feature_only(boosted_model, new_rows):
    changed = new_rows.copy()
    changed["a"] = changed["a"] + 1.0
    before, _ = explain(boosted_model, new_rows)
    after, _ = explain(boosted_model, changed)
    pd.testing.assert_frame_equal(before.drop(columns="a"), after.drop(columns="a"))


@settings(max_examples=40, deadline=None)
@given(rows=arrays(np.float64, (5, 5), elements=st.one_of(
    st.floats(-4, 4, allow_nan=False), st.just(np.nan))))
def test_explanations_add_up_for_any_rows(linear_model, boosted_model, rows):
    X = pd.DataFrame(rows, columns=["a", "b", "c", "n1", "n2"])
    for model in (linear_model, boosted_model):
        contributions, base = explain(model, X)
        np.testing.assert_allclose(base + contributions.sum(axis=1), model.decision_function(X),
                                   rtol=0, atol=1e-9)


def test_unnamed_columns_get_positional_names(panel):
    X, y, _ = panel
    model = ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_bootstrap=0).fit(X.to_numpy(), y)
    contributions, _ = explain(model, X.to_numpy()[:3])
    assert list(contributions.columns) == ["x0", "x1", "x2", "x3", "x4"]
    assert list(shape_functions(model, X.to_numpy()).feature.unique()) == list(contributions.columns)


def test_explain_refuses_other_models(panel):
    from sklearn.linear_model import LogisticRegression

    X, y, _ = panel
    with pytest.raises(ModelInputError, match="got a LogisticRegression; exact explanations are "
                                              "defined for ElasticNetLogit, AdditiveBoosting and "
                                              "DetectionAwareLogit only"):
        explain(LogisticRegression().fit(X.fillna(0), y), X)


def test_shape_functions_cover_the_observed_range_and_missing(fitted, panel):
    X, _, _ = panel
    table = shape_functions(fitted, X, n_points=11)
    assert list(table.columns) == ["feature", "value", "contribution"]
    assert len(table) == 5 * 12
    a = table[table.feature == "a"]
    assert a.value.min() == X.a.min() and a.value.max() == X.a.max()
    assert a.value.isna().sum() == 1


def test_shape_functions_errors(fitted, panel):
    X, _, _ = panel
    with pytest.raises(ModelInputError, match="'n_points' must be an int >= 2; got 1"):
        shape_functions(fitted, X, n_points=1)
    with pytest.raises(ModelInputError, match=r"X has shape \(1440, 2\) but the model has 5 features"):
        shape_functions(fitted, X[["a", "b"]])
    empty = X.assign(c=np.nan)
    with pytest.raises(ModelInputError, match="feature 'c' has no observed value in X"):
        shape_functions(fitted, empty)


def test_coefficients_per_unit_and_when_missing(linear_model, panel):
    X, _, _ = panel
    table = coefficients(linear_model)
    assert list(table.index) == list(X.columns)
    np.testing.assert_allclose(table.per_unit * table.sd, table.per_sd)
    # a linear shape function rises by per_unit for each unit of the feature
    shapes = shape_functions(linear_model, X).dropna(subset=["value"])
    a = shapes[shapes.feature == "a"]
    slope = np.diff(a.contribution) / np.diff(a.value)
    np.testing.assert_allclose(slope, table.loc["a", "per_unit"])
    missing = shape_functions(linear_model, X).query("value != value").set_index("feature")
    np.testing.assert_allclose(missing.contribution, table.when_missing)


def test_coefficients_only_for_the_linear_model(boosted_model):
    with pytest.raises(ModelInputError, match="coefficients exist for ElasticNetLogit only"):
        coefficients(boosted_model)


def test_boosted_model_without_used_features_explains_to_zero():
    X, y, _ = make_panel(n_regions=10, n_months=12, seed=3)
    model = AdditiveBoosting(max_iter=3, min_samples_leaf=10_000, n_bootstrap=0).fit(X, y)
    contributions, base = explain(model, X)
    assert (contributions.to_numpy() == 0).all()
    np.testing.assert_allclose(base, model.decision_function(X))


def test_shape_tables_threaded_equal_the_plain_rule_at_cuts_nan_and_inf():
    from forewarn.models._trees import _THREADED_ROWS, ShapeTables

    rng = np.random.default_rng(3)
    cuts = (np.array([-1.0, 0.0, 2.5]), np.array([]), np.array([0.5, np.inf]))
    values = (np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.25]), np.array([-1.0, -2.0, -3.0]))
    tables = ShapeTables(0.0, cuts, values, np.array([9.0, 8.0, 7.0]))
    n = _THREADED_ROWS + 1000  # the threaded path
    X = rng.choice([-2.0, -1.0, -0.5, 0.0, 1.0, 2.5, 3.0, 0.5, np.inf, -np.inf, np.nan],
                   size=(n, 3))
    got = tables.contributions(X)

    def plain(x, c, v, missing):  # interval (c[i-1], c[i]] -> v[i]; above all cuts -> v[-1]
        if np.isnan(x):
            return missing
        return v[int(np.sum(x > c))]

    expected = np.array([[plain(X[i, j], cuts[j], values[j], tables.missing[j])
                          for j in range(3)] for i in range(0, n, 97)])
    np.testing.assert_array_equal(got[::97], expected)
    np.testing.assert_array_equal(tables.contributions(X[:100]), got[:100])  # serial path
