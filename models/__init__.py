"""Interpretable, calibrated risk models: estimators, exact explanations, backtests, persistence.

Everything works on a plain feature matrix ``X`` (a DataFrame indexed by ``region`` and
``time``, numeric columns, NaN for missing) and a 0/1 outcome ``y``. The model families are
additive in log-odds, so every score splits exactly into one contribution per feature; the
detection-aware family has two such parts, the risk of a surge and the chance it is detected.
"""

from forewarn.models._backtest import BacktestResult, BacktestWindows, rolling_origin_backtest
from forewarn.models._baselines import BaseRate, Persistence, ScoreAlone
from forewarn.models._change import MarginChange, explain_change
from forewarn.models._detection import DetectionAwareLogit
from forewarn.models._drivers import top_drivers
from forewarn.models._estimators import AdditiveBoosting, ElasticNetLogit, fit_quietly
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
from forewarn.models._recovery import (
    KnownProbability,
    capacity_recovery,
    demo_driver_group,
    driver_recovery,
)
from forewarn.models._scenario import Scenario, run_scenario
from forewarn.models._splits import TimeOrderedSplit
from forewarn.models._validation import ModelInputError

__all__ = [
    "AdditiveBoosting",
    "BacktestResult",
    "BacktestWindows",
    "BaseRate",
    "DetectionAwareLogit",
    "ElasticNetLogit",
    "KnownProbability",
    "MarginChange",
    "ModelCard",
    "ModelInputError",
    "Persistence",
    "Scenario",
    "ScoreAlone",
    "TRUSTED_TYPES",
    "TimeOrderedSplit",
    "calibration_slope_intercept",
    "capacity_recovery",
    "classification_metrics",
    "coefficients",
    "demo_driver_group",
    "driver_recovery",
    "bootstrap_explanations",
    "explain",
    "explain_change",
    "fit_quietly",
    "explained_margin",
    "expected_ranking_metrics",
    "held_at_zero",
    "interval_coverage",
    "load_model",
    "make_model_card",
    "rolling_origin_backtest",
    "run_scenario",
    "save_model",
    "shape_functions",
    "top_drivers",
    "top_k_capture",
]
