"""Interpretable, calibrated risk models: estimators, exact explanations, backtests, persistence.

Everything works on a plain feature matrix ``X`` (a DataFrame indexed by ``region`` and
``time``, numeric columns, NaN for missing) and a 0/1 outcome ``y``. The model families are
additive in log-odds, so every score splits exactly into one contribution per feature; the
detection-aware family has two such parts, the risk of a surge and the chance it is detected.
"""

import importlib

# Imported on first use (PEP 562): `forewarn.reports` and the command line need the risk
# classes and a few words, not scikit-learn, skops and scipy at import time.
_HOME = {
    "AdditiveBoosting": "_estimators",
    "backtest_verdict": "_verdict",
    "BacktestResult": "_backtest",
    "BacktestWindows": "_backtest",
    "band_reading": "_shape",
    "BaseRate": "_baselines",
    "bootstrap_explanations": "_explain",
    "calibration_slope_intercept": "_metrics",
    "capacity_enough": "_shape",
    "capacity_recovery": "_recovery",
    "CEILINGS": "_verdict",
    "class_names": "_classes",
    "classification_metrics": "_metrics",
    "classify": "_classes",
    "coefficients": "_explain",
    "demo_driver_group": "_recovery",
    "describe_value": "_drivers",
    "detection_shapes": "_shape",
    "DetectionAwareLogit": "_detection",
    "driver_recovery": "_recovery",
    "ElasticNetLogit": "_estimators",
    "expected_calibration": "_metrics",
    "expected_calibration_curve": "_metrics",
    "expected_ranking_metrics": "_metrics",
    "explain": "_explain",
    "explain_change": "_change",
    "explained_margin": "_explain",
    "fit_quietly": "_calibrated",
    "held_at_zero": "_explain",
    "interval_coverage": "_metrics",
    "KnownProbability": "_recovery",
    "load_model": "_persistence",
    "make_model_card": "_persistence",
    "MarginChange": "_change",
    "MODEL_KINDS": "_families",
    "ModelCard": "_persistence",
    "ModelInputError": "_validation",
    "peak_after_onset": "_shape",
    "Persistence": "_baselines",
    "RISK_CLASSES": "_classes",
    "rolling_origin_backtest": "_backtest",
    "run_scenario": "_scenario",
    "save_model": "_persistence",
    "Scenario": "_scenario",
    "score_against_truth": "_backtest",
    "ScoreAlone": "_baselines",
    "shape_functions": "_explain",
    "shape_range": "_shape",
    "ShapeReading": "_shape",
    "TimeOrderedSplit": "_splits",
    "top_drivers": "_drivers",
    "top_k_capture": "_metrics",
    "TRUSTED_TYPES": "_persistence",
    "Verdict": "_verdict",
}

__all__ = sorted(_HOME, key=str.lower)


def __getattr__(name):
    if name in _HOME:
        value = getattr(importlib.import_module(f"forewarn.models.{_HOME[name]}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'forewarn.models' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOME))
