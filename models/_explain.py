"""Exact explanations: each row's margin split into one contribution per feature."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forewarn.models._detection import DetectionAwareLogit
from forewarn.models._calibrated import _CalibratedAdditive
from forewarn.models._estimators import ElasticNetLogit
from forewarn.models._validation import ModelInputError

__all__ = ["explain", "shape_functions", "coefficients", "explained_margin", "held_at_zero",
           "bootstrap_explanations"]


def explained_margin(model, X, part=None) -> np.ndarray:
    """The margin :func:`explain` splits: ``decision_function`` for the additive families, the
    ``part``'s margin (default the risk part) for :class:`DetectionAwareLogit`. [log-odds]"""
    if isinstance(model, DetectionAwareLogit):
        return model.margin(X, part or "risk")
    _no_part(model, part)
    return model.decision_function(X)


def _no_part(model, part):
    if part is not None:
        raise ModelInputError(
            "explain", f"'part' is {part!r} but a {type(model).__name__} has one part; leave "
            "part out (parts exist for DetectionAwareLogit: 'risk' and 'detection').",
        )


def explain(model, X, part=None) -> tuple[pd.DataFrame, float]:
    """Split each row's calibrated margin exactly into per-feature contributions.

    For every row, ``base_value + contributions.sum(axis=1)`` equals
    ``explained_margin(model, X, part)`` (``model.decision_function(X)`` for the additive
    families) up to rounding. For :class:`ElasticNetLogit` a feature's
    contribution is ``coef * (x - mean)`` in the standardised space (mean of the training data)
    plus the term of its missing indicator; for :class:`AdditiveBoosting` it is the feature's
    shape function, each tree's leaf value minus the cover-weighted mean of its leaves, as
    :class:`shap.TreeExplainer` computes it, read with one binary search per feature. Both are
    then multiplied by the calibration slope, and the base value is ``a * raw_base + b``.
    For :class:`DetectionAwareLogit` each part is split on its own, as for the elastic net
    (coefficient times standardised value, missing-indicator term included); features outside
    the part contribute 0.

    Parameters
    ----------
    model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
        A fitted model.
    X : DataFrame or array-like, shape (n_rows, n_features)
        Rows to explain, with the training columns.
    part : {"risk", "detection"} or None
        Which part of a :class:`DetectionAwareLogit` (None: ``"risk"``); None for the others.

    Returns
    -------
    contributions : DataFrame, shape (n_rows, n_features)
        Contribution of each feature to each row's margin, with X's index and the model's
        feature names. [log-odds]
    base_value : float
        Margin of a row at the training average. [log-odds]
    """
    if isinstance(model, DetectionAwareLogit):
        values, base = model._explain(X, part or "risk")
    elif isinstance(model, _CalibratedAdditive):
        _no_part(model, part)
        values, base = model._explain(X)
    else:
        raise ModelInputError(
            "explain",
            f"got a {type(model).__name__}; exact explanations are defined for ElasticNetLogit, "
            "AdditiveBoosting and DetectionAwareLogit only.",
        )
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(values))
    return pd.DataFrame(values, index=index, columns=_feature_names(model)), float(base)


def bootstrap_explanations(model, X) -> list[tuple[pd.DataFrame, float]]:
    """:func:`explain` by each region-bootstrap refit behind ``predict_interval``.

    Each refit (its own estimator and Platt scaling, the hyper-parameters of the fitted model)
    splits its calibrated margin exactly as the fitted model does (the risk part of a
    :class:`DetectionAwareLogit`), so a statistic of the contributions, computed once per refit,
    has a spread that says how much it depends on which regions were in the training data.

    Parameters
    ----------
    model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
        A fitted model with bootstrap refits (``n_bootstrap >= 2``).
    X : DataFrame, shape (n_rows, n_features)
        Rows to explain, with the training columns.

    Returns
    -------
    list of (DataFrame, float)
        Per refit: contributions (X's index, the model's feature names) [log-odds] and base
        value [log-odds]; for every row ``base + contributions.sum(axis=1)`` is that refit's
        calibrated margin.

    Raises
    ------
    ModelInputError
        The model has no refits, or is not one of the three families.
    """
    import copy

    from forewarn.models._estimators import AdditiveBoosting

    if not isinstance(model, (DetectionAwareLogit, _CalibratedAdditive)):
        raise ModelInputError(
            "bootstrap_explanations",
            f"got a {type(model).__name__}; exact explanations are defined for ElasticNetLogit, "
            "AdditiveBoosting and DetectionAwareLogit only.",
        )
    refits = (model.bootstrap_params_ if isinstance(model, DetectionAwareLogit)
              else model.bootstrap_estimators_)
    if not len(refits):
        raise ModelInputError(
            "bootstrap_explanations",
            "the model was fitted with n_bootstrap=0, so it has no refits to explain; refit it "
            "with n_bootstrap >= 2.",
        )
    out = []
    for i, refit in enumerate(refits):
        twin = copy.copy(model)
        if isinstance(model, DetectionAwareLogit):
            n_r = len(model.risk_columns_)
            twin.risk_intercept_ = float(refit[0])
            twin.risk_coef_ = np.asarray(refit[1:1 + n_r])
        else:
            twin.estimator_ = refit
            twin.calibration_slope_, twin.calibration_intercept_ = (
                float(v) for v in model.bootstrap_calibration_[i])
            if isinstance(model, AdditiveBoosting):
                for name in ("shape_base_", "shape_thresholds_", "shape_values_",
                             "shape_missing_"):
                    twin.__dict__.pop(name, None)  # read the refit's own trees
        out.append(explain(twin, X))
    return out


def shape_functions(model, X, n_points=50, part=None) -> pd.DataFrame:
    """Each feature's contribution over its observed range, for plots of the global model.

    Because the models are additive, a feature's contribution depends on its own value only;
    it is evaluated on ``n_points`` evenly spaced values between the feature's smallest and
    largest value in X, plus once for a missing value.

    Parameters
    ----------
    model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
        A fitted model.
    X : DataFrame or array-like, shape (n_rows, n_features)
        Data that fix the observed ranges (usually the training data).
    n_points : int, default=50
        Grid points per feature. [-]
    part : {"risk", "detection"} or None
        As in :func:`explain`.

    Returns
    -------
    DataFrame
        Long table with columns ``feature``, ``value`` [feature units, NaN for the missing-value
        row] and ``contribution`` [log-odds].
    """
    if not (isinstance(n_points, int) and n_points >= 2):
        raise ModelInputError(
            "shape_functions", f"'n_points' must be an int >= 2; got {n_points!r}."
        )
    names = _feature_names(model)
    values = np.asarray(X, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ModelInputError(
            "shape_functions",
            f"X has shape {values.shape} but the model has {len(names)} features; pass the "
            "training columns.",
        )
    observed = ~np.isnan(values)
    empty = [name for name, seen in zip(names, observed.any(axis=0)) if not seen]
    if empty:
        raise ModelInputError(
            "shape_functions",
            f"feature {empty[0]!r} has no observed value in X, so it has no range to plot; pass "
            "data with values for every feature (the training data).",
        )
    low = np.nanmin(values, axis=0)
    high = np.nanmax(values, axis=0)
    grid = np.vstack([np.linspace(low, high, n_points), np.full(len(names), np.nan)])
    contributions, _ = explain(model, _model_input(model, grid), part)
    return pd.DataFrame({
        "feature": np.repeat(names, n_points + 1),
        "value": grid.T.reshape(-1),
        "contribution": contributions.to_numpy().T.reshape(-1),
    })


def held_at_zero(model) -> list[str]:
    """Features whose effect a sign constraint holds at exactly zero (the risk part of a
    detection-aware model): the data pushed them the other way, so their flat line says the
    constraint bound, not that there is no link. Empty for unconstrained models."""
    from forewarn.models._estimators import AdditiveBoosting

    names = _feature_names(model)
    if isinstance(model, DetectionAwareLogit):
        return [names[j] for j, sign, coef in zip(model.risk_columns_, model.risk_signs_,
                                                   model.risk_coef_)
                if j < len(names) and sign != 0 and abs(coef) < 1e-10]
    if isinstance(model, AdditiveBoosting) and hasattr(model, "shape_values_"):
        return [names[j] for j, sign in enumerate(model.monotonic_cst_)
                if sign != 0 and np.ptp(model.shape_values_[j]) < 1e-12]
    return []


def coefficients(model) -> pd.DataFrame:
    """Calibrated coefficients of an :class:`ElasticNetLogit`, per standard deviation and per unit.

    Returns
    -------
    DataFrame indexed by feature
        ``per_sd``: change in margin for one training standard deviation [log-odds];
        ``per_unit``: change in margin for one unit of the feature [log-odds per feature unit];
        ``mean`` and ``sd``: training mean and standard deviation (after median imputation)
        [feature units]; ``when_missing``: contribution of a missing value [log-odds].
    """
    if not isinstance(model, ElasticNetLogit):
        raise ModelInputError(
            "coefficients",
            f"got a {type(model).__name__}; coefficients exist for ElasticNetLogit only (use "
            "shape_functions for AdditiveBoosting).",
        )
    names = _feature_names(model)
    n = len(names)
    when_missing, _ = explain(model, _model_input(model, np.full((1, n), np.nan)))
    scale = model.estimator_.named_steps["scale"]
    per_sd = model.calibration_slope_ * model.estimator_.named_steps["logit"].coef_[0][:n]
    return pd.DataFrame(
        {"per_sd": per_sd, "per_unit": per_sd / scale.scale_[:n], "mean": scale.mean_[:n],
         "sd": scale.scale_[:n], "when_missing": when_missing.to_numpy()[0]},
        index=pd.Index(names, name="feature"),
    )


def _feature_names(model) -> list[str]:
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(model.n_features_in_)]
    return [str(name) for name in names]


def _model_input(model, values: np.ndarray):
    """An array in the form the model was fitted on: named columns only if it knows names."""
    if hasattr(model, "feature_names_in_"):
        return pd.DataFrame(values, columns=model.feature_names_in_)
    return values
