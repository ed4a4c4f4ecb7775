"""A backtest's verdict: beaten baselines named with their numbers, a ceiling never a baseline."""

import numpy as np
import pandas as pd

from forewarn.models import backtest_verdict

MEASURES = [("roc_auc", "ROC AUC", True), ("average_precision", "Average precision", True),
            ("brier", "Brier score", False), ("log_loss", "Log loss", False)]


def _part(**rows):
    return pd.DataFrame([{"model": name, "roc_auc": r[0], "average_precision": r[1],
                          "brier": r[2], "log_loss": 0.3} for name, r in rows.items()])


def test_the_model_beating_every_baseline_says_so():
    v = backtest_verdict(_part(model=(0.8, 0.3, 0.08), base_rate=(0.5, 0.1, 0.09)), "model",
                         MEASURES)
    assert v.ok
    assert v.text == ("the model beats every baseline on ranking and on the quality of its "
                      "probabilities.")


def test_each_baseline_not_beaten_is_named_with_both_numbers():
    v = backtest_verdict(_part(model=(0.8, 0.3, 0.08), persistence=(0.7, 0.35, 0.07)), "model",
                         MEASURES)
    assert not v.ok
    assert v.text.startswith(
        "it does not beat the \u201cpersistence\u201d baseline on Average precision (0.300 "
        "against 0.350); it does not beat the \u201cpersistence\u201d baseline on Brier score "
        "(0.080 against 0.070). Weigh its scores accordingly")
    # Log loss is shown in the table but is no measure of the verdict.
    assert "Log loss" not in v.text


def test_the_oracle_is_a_ceiling_never_a_baseline_not_beaten():
    v = backtest_verdict(_part(model=(0.8, 0.3, 0.08), oracle=(0.9, 0.3004, 0.07)), "model",
                         MEASURES)
    assert not v.ok and v.text.startswith("there is no baseline to compare the model with.")
    assert "ROC AUC 0.800 against 0.900;" in v.text
    assert "Average precision 0.300 against 0.300 (level with it at this precision)" in v.text
    better = backtest_verdict(_part(model=(0.95, 0.3, 0.08), oracle=(0.9, 0.3, 0.08),
                                    base_rate=(0.5, 0.1, 0.09)), "model", MEASURES)
    assert better.ok and "ROC AUC 0.950 against 0.900 (better than it in this sample, by " \
        "chance)" in better.text


def test_missing_values_are_not_compared():
    v = backtest_verdict(_part(model=(0.8, np.nan, 0.08), base_rate=(0.5, 0.5, np.nan)),
                         "model", MEASURES)
    assert v.ok
