"""The detection-aware model: recovery of known risk and detection parts, exact explanations of
each part, identification checks, constraints, intervals and persistence."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from forewarn.models import (
    DetectionAwareLogit,
    ModelInputError,
    explain,
    explained_margin,
    load_model,
    make_model_card,
    save_model,
    shape_functions,
)

#: The simulated truth, per unit of standard-normal inputs: displacement drives risk only,
#: reporting effort drives detection only, capacity lowers risk and raises detection.
RISK = {"intercept": -1.0, "displaced": 0.8, "capacity": -0.6}
DETECTION = {"intercept": 0.3, "capacity": 1.2, "effort": 0.9}
ROLES = {"displaced": "risk", "capacity": "both", "effort": "detection", "noise": "both"}


def simulate(n_regions=300, n_months=40, seed=1, missing=0.0):
    """Features (index region, time), the detected outcome and both true probabilities."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"R{i:03d}" for i in range(n_regions)],
         pd.date_range("2010-01-01", periods=n_months, freq="MS")], names=["region", "time"])
    X = pd.DataFrame(rng.normal(size=(len(index), 4)), index=index,
                     columns=["displaced", "capacity", "effort", "noise"])
    risk = 1 / (1 + np.exp(-(RISK["intercept"] + RISK["displaced"] * X["displaced"]
                             + RISK["capacity"] * X["capacity"])))
    detect = 1 / (1 + np.exp(-(DETECTION["intercept"] + DETECTION["capacity"] * X["capacity"]
                               + DETECTION["effort"] * X["effort"])))
    y = pd.Series((rng.random(len(X)) < risk * detect).astype(int), index=index)
    if missing:
        X.loc[rng.random(len(X)) < missing, "displaced"] = np.nan
    return X, y, risk, detect


@pytest.fixture(scope="module")
def data():
    return simulate()


@pytest.fixture(scope="module")
def model(data):
    X, y, _, _ = data
    return DetectionAwareLogit(ROLES, alphas=(1.0,), n_bootstrap=8).fit(X, y)


def _per_unit(model, X, part):
    """Coefficients of one part per unit of each feature, by feature name."""
    cols = model.risk_columns_ if part == "risk" else model.detection_columns_
    coef = model.risk_coef_ if part == "risk" else model.detection_coef_
    scale = model.preprocess_.named_steps["scale"].scale_
    return {X.columns[c]: coef[i] / scale[c] for i, c in enumerate(cols)}


def test_known_risk_and_detection_coefficients_are_recovered(data, model):
    """12,000 rows: every coefficient within 0.2 of the truth, intercepts within 0.25, the pure
    noise input below 0.12 in both parts."""
    X, _, _, _ = data
    risk, detection = _per_unit(model, X, "risk"), _per_unit(model, X, "detection")
    for name in ("displaced", "capacity"):
        assert risk[name] == pytest.approx(RISK[name], abs=0.2)
    for name in ("capacity", "effort"):
        assert detection[name] == pytest.approx(DETECTION[name], abs=0.2)
    assert model.risk_intercept_ - sum(
        risk[n] * X[n].mean() for n in risk) == pytest.approx(RISK["intercept"], abs=0.25)
    assert model.detection_intercept_ - sum(
        detection[n] * X[n].mean() for n in detection) == pytest.approx(DETECTION["intercept"],
                                                                        abs=0.25)
    assert abs(risk["noise"]) < 0.12 and abs(detection["noise"]) < 0.12
    assert "effort" not in risk and "displaced" not in detection


def test_parts_match_the_true_probabilities(data, model):
    X, _, risk, detect = data
    assert np.abs(model.predict_part(X, "risk") - risk).mean() < 0.03
    assert np.abs(model.predict_part(X, "detection") - detect).mean() < 0.03


def test_observed_probability_is_the_product_of_the_parts(data, model):
    X = data[0].iloc[:500]
    product = model.predict_part(X, "risk") * model.predict_part(X, "detection")
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], product, rtol=1e-12)
    np.testing.assert_allclose(model.predict_part(X, "observed"), product, rtol=1e-12)
    np.testing.assert_allclose(model.decision_function(X), np.log(product / (1 - product)),
                               rtol=1e-9)
    assert set(model.predict(X)) <= {0, 1}


@pytest.mark.parametrize("part", ["risk", "detection"])
def test_each_part_is_explained_exactly(part):
    X, y, _, _ = simulate(n_regions=80, n_months=30, missing=0.1)
    m = DetectionAwareLogit(ROLES, alphas=(1.0,), n_bootstrap=0).fit(X, y)
    assert m.preprocess_.named_steps["impute"].indicator_ is not None  # missing flags in play
    contributions, base = explain(m, X, part)
    np.testing.assert_allclose(base + contributions.sum(axis=1), m.margin(X, part), atol=1e-9,
                               rtol=0)
    np.testing.assert_allclose(explained_margin(m, X, part), m.margin(X, part))
    outside = "effort" if part == "risk" else "displaced"
    assert (contributions[outside] == 0).all()
    # The default part is the risk part, the one a run publishes.
    np.testing.assert_allclose(explain(m, X)[0], explain(m, X, "risk")[0])
    shapes = shape_functions(m, X, n_points=5, part=part)
    assert (shapes.loc[shapes["feature"] == outside, "contribution"] == 0).all()


def test_intervals_hold_the_point_estimate_of_each_part(data, model):
    X = data[0].iloc[:300]
    for part in ("observed", "risk", "detection"):
        lower, upper = model.predict_interval(X, part)
        p = model.predict_part(X, part)
        assert (lower <= p + 1e-12).all() and (p <= upper + 1e-12).all()
        assert (upper - lower).mean() > 0
    assert model.bootstrap_params_.shape == (8, 2 + len(model.risk_columns_)
                                             + len(model.detection_columns_))


def test_penalty_is_chosen_on_later_times(data):
    X, y, _, _ = data
    m = DetectionAwareLogit(ROLES, alphas=(1.0, 1e4), n_bootstrap=0).fit(X, y)
    assert list(m.cv_results_["alpha"]) == [1.0, 1e4]
    assert m.alpha_ == 1.0  # a penalty of 10,000 flattens both parts: worse on later times
    assert m.cv_results_["log_loss"][0] < m.cv_results_["log_loss"][1]


def test_sign_constraints_bound_each_part(data):
    X, y, _, _ = data
    # Force the wrong signs: capacity may only raise risk and only lower detection.
    m = DetectionAwareLogit(ROLES, {"capacity": 1}, {"capacity": -1}, alphas=(1.0,),
                            n_bootstrap=0).fit(X, y)
    assert _per_unit(m, X, "risk")["capacity"] >= 0
    assert _per_unit(m, X, "detection")["capacity"] <= 0
    assert list(m.risk_signs_) == [0, 1, 0] and list(m.detection_signs_) == [-1, 0, 0]


def test_fit_is_seeded(data):
    X, y, _, _ = data
    X, y = X.iloc[:3000], y.iloc[:3000]
    a = DetectionAwareLogit(ROLES, alphas=(1.0,), n_bootstrap=3, random_state=5).fit(X, y)
    b = DetectionAwareLogit(ROLES, alphas=(1.0,), n_bootstrap=3, random_state=5).fit(X, y)
    np.testing.assert_array_equal(a.bootstrap_params_, b.bootstrap_params_)


def test_unfitted_and_clone(model):
    fresh = clone(model)
    assert fresh.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        fresh.predict_proba(np.zeros((1, 4)))


def test_saved_and_loaded_with_trusted_types_only(tmp_path, data, model):
    X, y, _, _ = data
    save_model(model, tmp_path / "m", make_model_card(model, X, y))
    loaded, card = load_model(tmp_path / "m")
    assert card.model == "DetectionAwareLogit"
    np.testing.assert_array_equal(loaded.predict_proba(X.iloc[:50]),
                                  model.predict_proba(X.iloc[:50]))
    np.testing.assert_array_equal(loaded.predict_interval(X.iloc[:50], "risk")[0],
                                  model.predict_interval(X.iloc[:50], "risk")[0])


# ------------------------------------------------------------------ identification and bad input

def _small():
    X, y, _, _ = simulate(n_regions=40, n_months=20)
    return X, y


def test_no_detection_inputs_is_refused():
    X, y = _small()
    with pytest.raises(ModelInputError, match="the detection part has no inputs: no feature has "
                       "role 'detection' or 'both'. Give at least one indicator role = "
                       '"detection"'):
        DetectionAwareLogit(n_bootstrap=0).fit(X, y)


def test_no_risk_inputs_is_refused():
    X, y = _small()
    with pytest.raises(ModelInputError, match="the risk part has no inputs"):
        DetectionAwareLogit({c: "detection" for c in X}, n_bootstrap=0).fit(X, y)


def test_parts_sharing_every_input_are_refused():
    X, y = _small()
    with pytest.raises(ModelInputError, match=r"the risk part shares every input with the "
                       r"detection part \(capacity, displaced, effort, noise\), so the two parts "
                       "cannot be told apart"):
        DetectionAwareLogit({c: "both" for c in X}, n_bootstrap=0).fit(X, y)


def test_an_exclusive_input_that_never_varies_does_not_identify():
    X, y = _small()
    X = X.assign(effort=1.0)
    with pytest.raises(ModelInputError, match="the detection part shares every input with the "
                       "risk part .* Give at least one indicator that varies in the training "
                       'rows role = "detection"'):
        DetectionAwareLogit(ROLES, n_bootstrap=0).fit(X, y)


def test_separation_is_reported_with_the_part_and_feature():
    X, y = _small()
    X = X.assign(displaced=np.where(y == 1, 5.0, -5.0) + 0.01 * X["noise"])
    with pytest.raises(ModelInputError, match="the likelihood has no finite maximum: in the "
                       "risk part the coefficient of 'displaced' grew to"):
        DetectionAwareLogit(ROLES, alphas=(0.0,), n_bootstrap=0).fit(X, y)


@pytest.mark.parametrize("kwargs, message", [
    ({"roles": {"displaced": "rsk"}}, "'roles' holds 'rsk'; use one of 'risk', 'detection', "
                                      "'both'"),
    ({"roles": {"displacement": "risk"}}, r"'roles' names \['displacement'\] which are not "
                                          "columns of X"),
    ({"roles": ["risk", "both"]}, "'roles' has 2 values but X has 4 columns"),
    ({"roles": ROLES, "directions": {"capacity": 2}}, "'directions' holds 2"),
    ({"roles": "risk"}, "The 'roles' parameter of DetectionAwareLogit must be None, a mapping"),
    ({"roles": ROLES, "alphas": (-1.0,)}, "The 'alphas' parameter of DetectionAwareLogit must "
                                          "be a non-empty sequence of floats >= 0"),
    ({"roles": ROLES, "n_bootstrap": 1}, "'n_bootstrap' parameter"),
])
def test_bad_parameters(kwargs, message):
    X, y = _small()
    with pytest.raises(ModelInputError, match=message):
        DetectionAwareLogit(**kwargs).fit(X, y)


def test_one_class_is_refused():
    X, y = _small()
    with pytest.raises(ModelInputError, match="y has 1 class"):
        DetectionAwareLogit(ROLES).fit(X, y * 0)


def test_bad_part_and_missing_intervals(data):
    X, y = _small()
    m = DetectionAwareLogit(ROLES, alphas=(1.0,), n_bootstrap=0).fit(X, y)
    with pytest.raises(ModelInputError, match="'part' is 'surge'; use 'risk' or 'detection'"):
        m.margin(X, "surge")
    with pytest.raises(ModelInputError, match="fitted with n_bootstrap=0, so it has no "
                       "intervals"):
        m.predict_interval(X)


def test_part_is_refused_for_single_part_models(linear_model, panel):
    X, _, _ = panel
    with pytest.raises(ModelInputError, match="'part' is 'risk' but a ElasticNetLogit has one "
                       "part"):
        explain(linear_model, X, "risk")


def test_capacity_recovery_reads_the_risk_part_and_flags_a_binding_constraint(data):
    from forewarn.models import capacity_recovery, held_at_zero

    X, y, _, _ = data
    X = X.rename(columns={"capacity": "state_capacity"}) * [1, 14, 1, 1] + [0, 50, 0, 0]
    roles = {("state_capacity" if k == "capacity" else k): v for k, v in ROLES.items()}
    free = DetectionAwareLogit(roles, alphas=(1.0,), n_bootstrap=0).fit(X, y)
    out = capacity_recovery(free, X)
    low, high = out["low"], out["high"]
    assert low < 50 < high
    # The truth here: -0.6 per 14 points on risk, +1.2 per 14 points on detection.
    assert out["effect"] == pytest.approx(0.6 * (high - low) / 14, abs=0.25)
    assert out["sign_recovered"] and not out["held_at_zero"]
    assert out["detection"] == pytest.approx(1.2 * (high - low) / 14, abs=0.4)
    assert out["true_risk"] == pytest.approx(0.55 * (high - low) / 14)  # the demo world's
    # Capacity may only raise risk: the data push the other way, so it is held at zero.
    held = DetectionAwareLogit(roles, {"state_capacity": 1}, alphas=(1.0,),
                               n_bootstrap=0).fit(X, y)
    assert held_at_zero(held) == ["state_capacity"]
    out = capacity_recovery(held, X)
    assert out["held_at_zero"] and out["effect"] == 0 and not out["sign_recovered"]


def test_bootstrap_explanations_split_each_refits_risk_margin_exactly(data, model):
    from forewarn.models import bootstrap_explanations

    X = data[0]
    rows = X.iloc[:200]
    reps = bootstrap_explanations(model, rows)
    assert len(reps) == 8
    Z = model._design(rows)
    for (c, b), params in zip(reps, model.bootstrap_params_):
        np.testing.assert_allclose(b + c.sum(axis=1), model._margins(Z, params, "risk"),
                                   atol=1e-8)
        assert (c["effort"] == 0).all()                 # a detection-only feature: no risk part
