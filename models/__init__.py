"""Interpretable, calibrated risk models: estimators, exact explanations, backtests, persistence.

Everything works on a plain feature matrix ``X`` (a DataFrame indexed by ``region`` and
``time``, numeric columns, NaN for missing) and a 0/1 outcome ``y``. The model families are
additive in log-odds, so every score splits exactly into one contribution per feature; the
detection-aware family has two such parts, the risk of a surge and the chance it is detected.
"""

from forewarn.models._backtest import (
    BacktestResult,
    BacktestWindows,
    rolling_origin_backtest,
    score_against_truth,
)
from forewarn.models._baselines import BaseRate, Persistence, ScoreAlone
from forewarn.models._change import MarginChange, explain_change
from forewarn.models._classes import RISK_CLASSES, class_names, classify
from forewarn.models._detection import DetectionAwareLogit
from forewarn.models._drivers import describe_value, top_drivers
from forewarn.models._estimators import AdditiveBoosting, ElasticNetLogit, fit_quietly
from forewarn.models._families import MODEL_KINDS
from forewarn.models._explain import (
    bootstrap_explanations,
    coefficients,
    explain,
    explained_margin,
    held_at_zero,
    shape_functions,
)
from forewarn.models._metrics import (
    calibration_slope_intercept,
    classification_metrics,
    expected_calibration,
    expected_calibration_curve,
    expected_ranking_metrics,
    interval_coverage,
    top_k_capture,
)
from forewarn.models._persistence import (
    TRUSTED_TYPES,
    ModelCard,
    load_model,
    make_model_card,
    save_model,
)
from forewarn.models._scenario import Scenario, run_scenario
from forewarn.models._shape import (
    ShapeReading,
    band_reading,
    capacity_enough,
    detection_shapes,
    peak_after_onset,
    shape_range,
)
from forewarn.models._splits import TimeOrderedSplit
from forewarn.models._validation import ModelInputError
from forewarn.models._verdict import CEILINGS, Verdict, backtest_verdict

__all__ = [
    "AdditiveBoosting",
    "BacktestResult",
    "BacktestWindows",
    "BaseRate",
    "CEILINGS",
    "DetectionAwareLogit",
    "ElasticNetLogit",
    "MODEL_KINDS",
    "MarginChange",
    "ModelCard",
    "ModelInputError",
    "RISK_CLASSES",
    "Persistence",
    "Scenario",
    "ScoreAlone",
    "ShapeReading",
    "TRUSTED_TYPES",
    "TimeOrderedSplit",
    "Verdict",
    "backtest_verdict",
    "band_reading",
    "calibration_slope_intercept",
    "capacity_enough",
    "class_names",
    "classify",
    "classification_metrics",
    "coefficients",
    "describe_value",
    "detection_shapes",
    "bootstrap_explanations",
    "explain",
    "explain_change",
    "fit_quietly",
    "explained_margin",
    "expected_ranking_metrics",
    "expected_calibration",
    "expected_calibration_curve",
    "held_at_zero",
    "interval_coverage",
    "load_model",
    "make_model_card",
    "peak_after_onset",
    "rolling_origin_backtest",
    "score_against_truth",
    "run_scenario",
    "save_model",
    "shape_functions",
    "shape_range",
    "top_drivers",
    "top_k_capture",
]
