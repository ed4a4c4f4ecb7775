"""Metrics on hand-computed cases and on simulated forecasts with a known calibration."""

import numpy as np
import pandas as pd
import pytest

from forewarn.models import (
    ModelInputError,
    calibration_slope_intercept,
    classification_metrics,
    interval_coverage,
    top_k_capture,
)


def test_hand_computed_scores():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    m = classification_metrics(y, p)
    assert m["n"] == 4 and m["events"] == 2 and m["base_rate"] == 0.5
    assert m["roc_auc"] == pytest.approx(0.75)  # 3 of 4 pairs ordered
    assert m["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.6, 0.35, 0.8])))
    assert m["average_precision"] == pytest.approx((1 + 2 / 3) / 2)


def test_calibration_slope_is_one_for_calibrated_forecasts():
    rng = np.random.default_rng(0)
    margin = rng.normal(-1, 1.5, 50_000)
    y = (rng.random(margin.size) < 1 / (1 + np.exp(-margin))).astype(int)
    slope, intercept = calibration_slope_intercept(y, 1 / (1 + np.exp(-margin)))
    assert slope == pytest.approx(1, abs=0.03) and intercept == pytest.approx(0, abs=0.03)
    # twice too extreme: slope 1/2
    slope, _ = calibration_slope_intercept(y, 1 / (1 + np.exp(-2 * margin)))
    assert slope == pytest.approx(0.5, abs=0.02)


def test_undefined_scores_are_nan():
    m = classification_metrics([0, 0, 0], [0.1, 0.2, 0.3])
    assert np.isnan(m["roc_auc"]) and np.isnan(m["average_precision"])
    assert np.isnan(m["calibration_slope"]) and m["brier"] == pytest.approx((0.01 + 0.04 + 0.09) / 3)
    # perfect separation: the maximum-likelihood slope is infinite
    assert np.isnan(calibration_slope_intercept([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])[0])


def test_top_k_capture_per_origin_with_ties():
    y = [1, 0, 1, 0, 1, 0, 0, 1]
    score = [0.9, 0.8, 0.1, 0.2, 0.5, 0.5, 0.5, 0.5]
    origin = ["o1"] * 4 + ["o2"] * 4
    table = top_k_capture(y, score, origin, k=(1, 2))
    assert table.columns.tolist() == ["origin", "k", "events", "caught", "share"]
    o1 = table[table.origin == "o1"].set_index("k")
    assert o1.loc[1, "caught"] == 1 and o1.loc[2, "share"] == 0.5
    # o2: four tied rows, two events: k places catch k * 2/4 events on average
    o2 = table[table.origin == "o2"].set_index("k")
    assert o2.loc[1, "caught"] == 0.5 and o2.loc[2, "caught"] == 1.0
    assert o2.loc[2, "share"] == 0.5


def test_top_k_larger_than_the_rows_catches_everything():
    table = top_k_capture([1, 0, 1], [0.2, 0.1, 0.3], k=(10,))
    assert table.share.tolist() == [1.0]
    assert np.isnan(top_k_capture([0, 0], [0.2, 0.1], k=(1,)).share[0])


def test_interval_coverage_by_bins():
    y = np.array([0, 0, 1, 0, 1, 1])
    p = np.array([0.2, 0.25, 0.3, 0.6, 0.7, 0.8])
    table = interval_coverage(y, p, p - 0.15, p + 0.15, n_bins=2)
    assert table.n.tolist() == [3, 3]
    assert table.observed_rate.tolist() == pytest.approx([1 / 3, 2 / 3])
    assert table.mean_lower.tolist() == pytest.approx([0.1, 0.55])
    assert table.covered.tolist() == [True, True]
    narrow = interval_coverage(y, p, p - 0.01, p + 0.01, n_bins=2)
    assert narrow.covered.tolist() == [False, False]


@pytest.mark.parametrize("y, p, message", [
    ([0, 1], [0.5], r"y has shape \(2,\) and the probability \(1,\)"),
    ([], [], "no rows to score"),
    ([0, 2], [0.1, 0.2], "y must hold only 0 .no event. and 1 .event."),
    ([0, np.nan], [0.1, 0.2], "y must hold only 0"),
    ([0, 1], [0.1, np.nan], "the probability has 1 missing value"),
    ([0, 1], [0.1, 1.2], r"a probability lies outside \[0, 1\]"),
])
def test_bad_inputs(y, p, message):
    with pytest.raises(ModelInputError, match=message):
        classification_metrics(y, p)


def test_bad_arguments_of_the_table_metrics():
    with pytest.raises(ModelInputError, match="'k' must be a non-empty sequence of ints >= 1"):
        top_k_capture([0, 1], [0.1, 0.2], k=(0,))
    with pytest.raises(ModelInputError, match="'origin' has 1 values but y has 2"):
        top_k_capture([0, 1], [0.1, 0.2], origin=["a"])
    with pytest.raises(ModelInputError, match=r"1 interval.s. have lower > upper"):
        interval_coverage([0, 1], [0.1, 0.2], [0.0, 0.3], [0.2, 0.25])
    with pytest.raises(ModelInputError, match="'n_bins' must be an int >= 1; got 0"):
        interval_coverage([0, 1], [0.1, 0.2], [0.0, 0.1], [0.2, 0.3], n_bins=0)


def test_scores_accept_pandas():
    y = pd.Series([0, 1, 0, 1])
    p = pd.Series([0.2, 0.7, 0.3, 0.6])
    assert classification_metrics(y, p)["roc_auc"] == 1.0


def test_expected_ranking_metrics_against_known_probabilities():
    from sklearn.metrics import average_precision_score, roc_auc_score

    from forewarn.models import expected_ranking_metrics

    # With 0/1 probabilities the outcome is known: the usual scores.
    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.8, 0.4, 0.35, 0.9, 0.2])
    m = expected_ranking_metrics(y.astype(float), p)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["average_precision"] == pytest.approx(average_precision_score(y, p))
    assert m["expected_events"] == 3
    # By hand: q = (0.5, 1), forecasts (0.2, 0.9). Pairs (event, non-event) weighted by
    # q_i (1 - q_j): row 2 as event over row 1 as non-event (1 * 0.5, ranked right), row 1 as
    # event over itself as non-event (0.5 * 0.5, a tie: half). AUC = (0.5 + 0.125) / 0.75.
    m = expected_ranking_metrics([0.5, 1.0], [0.2, 0.9])
    assert m["roc_auc"] == pytest.approx(0.625 / 0.75)


def test_expected_ranking_metrics_bad_input():
    from forewarn.models import expected_ranking_metrics

    with pytest.raises(ModelInputError, match="event_probability must hold probabilities in "
                       r"\[0, 1\]"):
        expected_ranking_metrics([0.2, np.nan], [0.1, 0.2])
    with pytest.raises(ModelInputError, match=r"event_probability has shape \(2,\) and "
                       r"probability \(3,\)"):
        expected_ranking_metrics([0.2, 0.3], [0.1, 0.2, 0.3])


def test_expected_calibration_recovers_a_known_miscalibration():
    from scipy.special import expit, logit

    from forewarn.models import expected_calibration

    rng = np.random.default_rng(3)
    true_logit = rng.normal(-1.5, 1.2, 4000)
    q = expit(true_logit)
    # A forecast twice as extreme as the truth and shifted: q = expit(0.5 * logit(p) + 0.3)
    # solved for p; the fit must give slope 0.5, intercept 0.3.
    p = expit((true_logit - 0.3) / 0.5)
    slope, intercept = expected_calibration(q, p)
    assert slope == pytest.approx(0.5, abs=1e-6)
    assert intercept == pytest.approx(0.3, abs=1e-6)
    assert expected_calibration(q, q) == pytest.approx((1.0, 0.0), abs=1e-6)
    assert logit(q).std() > 1  # the rows span a real range of risk


def test_expected_calibration_curve_weights_a_conditional_part():
    from forewarn.models import expected_calibration_curve

    # Two rows per bin; bin truth = sum(w * truth) / sum(w).
    truth = np.array([0.2, 0.6, 0.5, 0.9])
    forecast = np.array([0.1, 0.3, 0.7, 0.8])
    weight = np.array([1.0, 3.0, 2.0, 2.0])
    table = expected_calibration_curve(truth, forecast, weight, n_bins=2)
    assert table["n"].tolist() == [2, 2]
    np.testing.assert_allclose(table["mean_truth"], [(0.2 + 1.8) / 4, (1.0 + 1.8) / 4])
    np.testing.assert_allclose(table["mean_probability"], [(0.1 + 0.9) / 4, (1.4 + 1.6) / 4])
    np.testing.assert_allclose(table["weight"], [4.0, 4.0])
    plain = expected_calibration_curve(truth, forecast, n_bins=4)
    np.testing.assert_allclose(plain["mean_truth"], truth)


def test_expected_calibration_bad_input():
    from forewarn.models import expected_calibration, expected_calibration_curve

    with pytest.raises(ModelInputError, match=r"event_probability and probability must hold "
                       r"probabilities in \[0, 1\]"):
        expected_calibration([0.2, 0.3], [0.1, 1.2])
    with pytest.raises(ModelInputError, match="weight must hold one non-negative number per row"):
        expected_calibration_curve([0.2, 0.3], [0.1, 0.2], weight=[1.0, -1.0])
    with pytest.raises(ModelInputError, match="'n_bins' must be an int >= 1; got 0"):
        expected_calibration_curve([0.2, 0.3], [0.1, 0.2], n_bins=0)
