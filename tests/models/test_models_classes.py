"""Risk classes: one rule, each class starting at its break."""

import numpy as np

from forewarn.models import RISK_CLASSES, class_names, classify


def test_classes_start_at_their_break():
    breaks = (0.05, 0.15, 0.30)
    got = classify([0.0, 0.0499, 0.05, 0.1499, 0.15, 0.3, 0.95, np.nan], breaks)
    assert got.tolist() == [0, 0, 1, 1, 2, 3, 3, -1]


def test_class_names_leave_a_missing_value_without_a_class():
    assert RISK_CLASSES == ("low", "medium", "high", "very high")
    got = class_names(np.array([np.nan, 3.5, 4.99, 6.5, 10.0]), (3.5, 5.0, 6.5))
    assert got.tolist() == [None, "medium", "medium", "very high", "very high"]
    assert got.dtype == object
