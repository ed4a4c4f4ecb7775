"""What shape functions say: where risk peaks after an onset, how much capacity is enough, and
when the detection part of a detection-aware model is flat."""

import numpy as np
import pandas as pd

from forewarn.models import (band_reading, capacity_enough, detection_shapes, peak_after_onset,
                             shape_range)


def _curve(x, y):
    return pd.DataFrame({"x": x, "contribution": y})


def test_peak_wording_follows_the_curve_shape():
    x = np.linspace(0, 60, 61)
    assert "highest right at the onset" in peak_after_onset(_curve(x, np.exp(-x / 10)))[1]
    assert "keeps rising" in peak_after_onset(_curve(x, x / 60))[1]
    mark, text = peak_after_onset(_curve(x, (x / 8) * np.exp(1 - x / 8)))
    assert mark[0] == 8 and "about 8 months after a conflict begins" in text
    assert "no change of risk" in peak_after_onset(_curve(x, np.zeros_like(x)))[1]


def test_enough_wording_follows_the_curve_shape():
    x = np.linspace(0, 100, 101)
    rising = capacity_enough(_curve(x, x / 100))[1]
    assert "higher state capacity goes with a higher score" in rising
    assert "straight line" in capacity_enough(_curve(x, -x / 100))[1]
    mark, text = capacity_enough(_curve(x, np.exp(-x / 10)))
    assert mark[0] == 24 and "by a score of about 24" in text  # exp(-x/10) <= 0.1 from x = 23.03


def test_a_flat_capacity_line_never_reads_as_no_link():
    x = np.linspace(0, 100, 101)
    flat = _curve(x, np.zeros_like(x))
    held = capacity_enough(flat, held=True)[1]
    assert "flat because the model's constraint" in held
    assert "does not show that capacity has no link with risk." in held
    two_part = capacity_enough(flat, held=True, two_part=True)[1]
    assert "even with detection modelled apart, the recorded surges could not separate" \
        in two_part
    free = capacity_enough(flat)[1]
    assert "no link between state capacity and recorded surges" in free
    assert "does not show that capacity has no link with the risk itself" in free
    for text in (held, two_part, free):
        assert "no link between state capacity and risk" not in text




def test_the_reading_marks_the_curve_where_its_answer_points():
    x = np.linspace(0, 60, 61)
    reading = peak_after_onset(_curve(x, (x / 8) * np.exp(1 - x / 8)))
    assert reading.mark == (8.0, "peak \u2248 8")
    assert "Half of that extra risk is gone about" in reading.text
    assert peak_after_onset(_curve(x, np.exp(-x / 10))).mark == (0.0, "peak")
    assert capacity_enough(_curve(x, -x / 60)).mark is None


def test_the_missing_value_row_is_no_point_of_the_curve():
    # shape_functions adds a row with x = NaN (the contribution of a missing value).
    x = np.linspace(0, 60, 61)
    curve = pd.concat([_curve(x, (x / 8) * np.exp(1 - x / 8)), _curve([np.nan], [5.0])])
    assert peak_after_onset(curve).mark[0] == 8
    assert shape_range(curve) == 5.0
    assert shape_range(_curve([1.0], [np.nan])) == 0.0


def test_detection_part_draws_the_curves_that_move_and_says_when_none_does():
    x = np.linspace(0, 1, 11)
    curves = {"a": _curve(x, 0.3 * x), "b": _curve(x, 0.01 * x), "c": _curve(x, -2 * x)}
    shown, flat = detection_shapes(curves)
    assert shown == ["c", "a"] and flat is None
    shown, flat = detection_shapes({"b": curves["b"]})
    assert shown == []
    assert flat.startswith("The detection part is almost flat: across their ranges no input "
                           "moves the chance of detection by more than 0.01 log-odds")
    assert detection_shapes(curves, most=1)[0] == ["c"]


def test_a_band_that_holds_one_level_throughout_shows_no_profile():
    assert band_reading([0.1, 0.12, 0.11], [0.2, 0.15, 0.3]) == \
        "The bands overlap at every step: the data show no time profile."
    assert band_reading([0.1, 0.2], [0.15, 0.3]) == \
        "The band is narrower than the change along the curve."
