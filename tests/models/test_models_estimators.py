"""The two model families: scikit-learn contract, recovery of a known truth, calibration, intervals."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from forewarn.models import (
    AdditiveBoosting,
    ElasticNetLogit,
    ModelInputError,
    TimeOrderedSplit,
    coefficients,
    shape_functions,
)
from forewarn.models._calibration import fit_platt

from synthetic_models import DIRECTIONS, NOISE, make_panel

# Both need both classes inside time-ordered folds. These two checks fit on iris with rows sorted
# by class; with rows taken in time order the later (validation) folds then hold one class only,
# so no calibration can be fitted and fit refuses - by design, with an error saying so.
_SORTED_BY_CLASS = (
    "fits on data sorted by class: every validation fold holds one class, so Platt scaling "
    "cannot be fitted and fit raises (by design)"
)


def _expected_failures(estimator):
    return {
        "check_positive_only_tag_during_fit": _SORTED_BY_CLASS,
        "check_non_transformer_estimators_n_iter": _SORTED_BY_CLASS,
    }


# Small settings keep the ~50 checks fast; the defaults are exercised by the tests below.
@parametrize_with_checks(
    [ElasticNetLogit(Cs=(0.1, 1.0), l1_ratios=(0.5,), n_bootstrap=2),
     AdditiveBoosting(max_iter=10, n_splits=2, n_bootstrap=2)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_linear_model_recovers_the_signs_and_drops_the_noise(linear_model):
    table = coefficients(linear_model)
    assert table.loc["a", "per_sd"] > 0.7
    assert table.loc["b", "per_sd"] < -0.5
    assert table.loc["c", "per_sd"] > 0.3
    assert table.loc[list(NOISE), "per_sd"].abs().max() < 0.15
    assert linear_model.C_ in (0.01, 0.1, 1.0, 10.0) and linear_model.l1_ratio_ in (0.1, 0.5, 0.9)
    assert len(linear_model.cv_results_["log_loss"]) == 12
    assert linear_model.cv_results_["log_loss"].min() == pytest.approx(
        linear_model.cv_results_["log_loss"][
            (linear_model.cv_results_["C"] == linear_model.C_)
            & (linear_model.cv_results_["l1_ratio"] == linear_model.l1_ratio_)][0])


def test_boosted_shapes_follow_the_risk_directions(panel, boosted_model):
    X, _, _ = panel
    shapes = shape_functions(boosted_model, X).dropna(subset=["value"])
    step = {f: np.diff(s["contribution"].to_numpy()) for f, s in shapes.groupby("feature")}
    assert (step["a"] >= -1e-12).all() and (step["c"] >= -1e-12).all()
    assert (step["b"] <= 1e-12).all()
    span = shapes.groupby("feature")["contribution"].agg(lambda s: s.max() - s.min())
    assert span["a"] > 2 and span[list(NOISE)].max() < span["a"] / 3
    assert boosted_model.monotonic_cst_.tolist() == [1, -1, 1, 0, 0]


def test_probabilities_track_the_truth_out_of_sample(linear_model, boosted_model):
    X, _, p = make_panel(n_regions=20, n_months=12, seed=5)
    for model in (linear_model, boosted_model):
        q = model.predict_proba(X)[:, 1]
        assert np.corrcoef(q, p)[0, 1] > 0.85
        assert abs(q.mean() - p.mean()) < 0.05


def test_calibration_is_platt_scaling_on_later_folds_only(panel):
    X, y, _ = panel
    model = AdditiveBoosting(DIRECTIONS, max_iter=30, n_bootstrap=0).fit(X, y)
    margins, events = [], []
    for train, valid in TimeOrderedSplit(3).split(X):
        inner = clone(model.estimator_).fit(X.iloc[train].to_numpy(), y.iloc[train])
        margins.append(inner.decision_function(X.iloc[valid].to_numpy()))
        events.append(y.iloc[valid])
    a, b = fit_platt(np.concatenate(margins), np.concatenate(events))
    assert (model.calibration_slope_, model.calibration_intercept_) == pytest.approx((a, b))
    raw = model.estimator_.decision_function(X.to_numpy())
    np.testing.assert_allclose(model.decision_function(X), a * raw + b)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-(a * raw + b))))


def test_uncalibrated_model_keeps_the_raw_margin(panel):
    X, y, _ = panel
    model = ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), calibrate=False, n_bootstrap=0).fit(X, y)
    assert (model.calibration_slope_, model.calibration_intercept_) == (1.0, 0.0)
    np.testing.assert_allclose(model.decision_function(X),
                               model.estimator_.decision_function(X.to_numpy()))


def test_row_order_does_not_matter_when_time_is_in_the_index(panel):
    X, y, _ = panel
    order = np.random.default_rng(1).permutation(len(X))
    kwargs = dict(directions=DIRECTIONS, max_iter=20, n_bootstrap=3)
    first = AdditiveBoosting(**kwargs).fit(X, y)
    shuffled = AdditiveBoosting(**kwargs).fit(X.iloc[order], y.iloc[order])
    assert shuffled.calibration_slope_ == pytest.approx(first.calibration_slope_, rel=1e-9)
    np.testing.assert_allclose(shuffled.predict_interval(X), first.predict_interval(X), rtol=1e-9)


def test_time_argument_replaces_the_index(panel):
    X, y, _ = panel
    plain = X.reset_index(drop=True)
    time = X.index.get_level_values("time")
    by_index = ElasticNetLogit(Cs=(0.1, 1.0), l1_ratios=(0.5,), n_bootstrap=0).fit(X, y)
    by_argument = ElasticNetLogit(Cs=(0.1, 1.0), l1_ratios=(0.5,), n_bootstrap=0).fit(
        plain, y.to_numpy(), time=time)
    assert by_argument.calibration_slope_ == pytest.approx(by_index.calibration_slope_)


def test_intervals_hold_the_probability_and_cover_the_truth(linear_model):
    X, _, p = make_panel(n_regions=20, n_months=12, seed=7)
    lower, upper = linear_model.predict_interval(X)
    q = linear_model.predict_proba(X)[:, 1]
    assert (lower <= q).all() and (q <= upper).all() and (upper - lower > 0).all()
    # The truth is additive in a, b and tanh(c): a linear model is slightly misspecified, so
    # only ask that the 90% interval holds the true probability more often than not.
    assert np.mean((lower <= p) & (p <= upper)) > 0.5


def test_intervals_are_seeded(panel):
    X, y, _ = panel
    kwargs = dict(Cs=(1.0,), l1_ratios=(0.5,), n_bootstrap=3, random_state=3)
    one = ElasticNetLogit(**kwargs).fit(X, y).predict_interval(X)
    two = ElasticNetLogit(**kwargs).fit(X, y).predict_interval(X)
    np.testing.assert_array_equal(one, two)


def test_no_intervals_without_bootstrap(panel):
    X, y, _ = panel
    model = ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_bootstrap=0).fit(X, y)
    with pytest.raises(ModelInputError, match="fitted with n_bootstrap=0, so it has no intervals"):
        model.predict_interval(X)


@pytest.mark.parametrize("estimator, message", [
    (ElasticNetLogit(n_splits=1), "The 'n_splits' parameter of ElasticNetLogit must be an int >= 2"),
    (ElasticNetLogit(gap=-2), "The 'gap' parameter of ElasticNetLogit must be an int >= 0"),
    (ElasticNetLogit(calibrate="yes"), "The 'calibrate' parameter of ElasticNetLogit must be a bool"),
    (ElasticNetLogit(n_bootstrap=1), "'n_bootstrap' parameter of ElasticNetLogit must be 0 .no "
                                     "intervals. or an int >= 2"),
    (ElasticNetLogit(interval=1.5), r"'interval' parameter of ElasticNetLogit must be a float in \(0, 1\)"),
    (ElasticNetLogit(random_state="x"), "'random_state' parameter of ElasticNetLogit must be None"),
    (ElasticNetLogit(Cs=()), "The 'Cs' parameter of ElasticNetLogit must be a non-empty sequence"),
    (ElasticNetLogit(Cs=(0.0,)), "The 'Cs' parameter of ElasticNetLogit must be a non-empty sequence"),
    (ElasticNetLogit(l1_ratios=(1.5,)), r"'l1_ratios' parameter of ElasticNetLogit must be .* in \[0, 1\]"),
    (ElasticNetLogit(max_iter=0), "The 'max_iter' parameter of ElasticNetLogit must be an int >= 1"),
    (ElasticNetLogit(tol=0), "The 'tol' parameter of ElasticNetLogit must be a float > 0"),
    (AdditiveBoosting(directions="a"), "The 'directions' parameter of AdditiveBoosting must be None"),
    (AdditiveBoosting(learning_rate=0), "'learning_rate' parameter of AdditiveBoosting must be a float > 0"),
    (AdditiveBoosting(max_iter=0), "'max_iter' parameter of AdditiveBoosting must be an int >= 1"),
    (AdditiveBoosting(max_leaf_nodes=1), "'max_leaf_nodes' parameter of AdditiveBoosting must be an int >= 2"),
    (AdditiveBoosting(min_samples_leaf=0), "'min_samples_leaf' parameter of AdditiveBoosting must be"),
    (AdditiveBoosting(l2_regularization=-1.0), "'l2_regularization' parameter of AdditiveBoosting must"),
    (AdditiveBoosting(max_bins=256), r"'max_bins' parameter of AdditiveBoosting must be an int in \[2, 255\]"),
])
def test_bad_parameters_are_named_in_fit(panel, estimator, message):
    X, y, _ = panel
    with pytest.raises(ModelInputError, match=message):
        estimator.fit(X, y)


@pytest.mark.parametrize("directions, message", [
    ({"a": 2}, "'directions' holds 2; use 1 .higher is riskier., -1"),
    ({"zz": 1}, r"'directions' names \['zz'\] which are not columns of X"),
    ([1, 0], "'directions' has 2 values but X has 5 columns"),
])
def test_bad_directions(panel, directions, message):
    X, y, _ = panel
    with pytest.raises(ModelInputError, match=message):
        AdditiveBoosting(directions, max_iter=5, n_bootstrap=0).fit(X, y)


def test_named_directions_need_named_columns(panel):
    X, y, _ = panel
    with pytest.raises(ModelInputError, match="'directions' names features but X has no column names"):
        AdditiveBoosting({"a": 1}, max_iter=5, n_bootstrap=0).fit(X.to_numpy(), y)


def test_outcome_must_have_two_classes(panel):
    X, y, _ = panel
    with pytest.raises(ModelInputError, match="y has 1 class .0.; a risk model needs exactly two"):
        ElasticNetLogit().fit(X, np.zeros(len(y), dtype=int))
    with pytest.raises(ModelInputError, match="Only binary classification is supported. y has 3 classes"):
        ElasticNetLogit().fit(X, np.arange(len(y)) % 3)


def test_calibration_needs_both_classes_in_the_later_folds(panel):
    X, _, _ = panel
    late = X.index.get_level_values("time") >= pd.Timestamp("2015-10-01")
    y = np.where(late, 1, np.arange(len(X)) % 2)
    with pytest.raises(ModelInputError, match="the validation folds hold only one class"):
        AdditiveBoosting(max_iter=5, n_bootstrap=0).fit(X, y)


def test_training_folds_need_both_classes(panel):
    X, _, _ = panel
    early = X.index.get_level_values("time") < pd.Timestamp("2017-07-01")
    y = np.where(early, 0, np.arange(len(X)) % 2)
    with pytest.raises(ModelInputError, match="none of the 3 time-ordered training folds holds both"):
        ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_bootstrap=0).fit(X, y)


@pytest.mark.parametrize("Model", [AdditiveBoosting, ElasticNetLogit])
def test_column_empty_in_early_folds(Model):
    """A feature with no value in the early times (e.g. a 36-month history ratio) still fits."""
    rng = np.random.default_rng(3)
    n_regions, n_times = 30, 40
    index = pd.MultiIndex.from_product([range(n_regions), range(n_times)],
                                       names=["region", "time"])
    X = pd.DataFrame({"a": rng.normal(size=len(index)), "late": rng.normal(size=len(index))},
                     index=index)
    X.loc[X.index.get_level_values("time") < 25, "late"] = np.nan
    y = (X["a"] + rng.logistic(size=len(X)) > 1).astype(int)
    model = Model(n_bootstrap=2, n_splits=3).fit(X, y)
    assert np.isfinite(model.decision_function(X)).all()


def test_non_convergence_is_counted_and_said_once(panel):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from forewarn.models import fit_quietly

    X, y, _ = panel
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ElasticNetLogit(Cs=(0.1, 1.0), l1_ratios=(0.5,), n_bootstrap=3, max_iter=2,
                                tol=1e-12).fit(X, y)
    slow = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert model.n_not_converged_ > 3
    assert len(slow) == 1
    assert f"{model.n_not_converged_} of its fits" in str(slow[0].message)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet = fit_quietly(ElasticNetLogit(Cs=(0.1, 1.0), l1_ratios=(0.5,), n_bootstrap=3,
                                            max_iter=2, tol=1e-12), X, y)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert quiet.n_not_converged_ == model.n_not_converged_
