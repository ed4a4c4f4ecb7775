"""Backtest windows (boundaries) and the rolling-origin backtest on a synthetic panel."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.models import (
    AdditiveBoosting,
    BacktestWindows,
    BaseRate,
    ElasticNetLogit,
    ModelInputError,
    Persistence,
    ScoreAlone,
    rolling_origin_backtest,
)

from synthetic_models import DIRECTIONS, true_margin

WINDOWS = BacktestWindows("2015-01", "2016-07", "2017-10", step_months=3, horizon_months=3,
                          min_train_months=12)


def test_origins_and_windows():
    assert [o.strftime("%Y-%m") for o in WINDOWS] == [
        "2016-07", "2016-10", "2017-01", "2017-04", "2017-07", "2017-10"]
    assert WINDOWS.train_window("2016-07") == (pd.Timestamp("2015-01-01"), pd.Timestamp("2016-04-01"))
    assert WINDOWS.test_window("2016-07") == (pd.Timestamp("2016-08-01"), pd.Timestamp("2016-10-01"))
    assert isinstance(WINDOWS.data_start, pd.Timestamp)
    with pytest.raises(dataclasses.FrozenInstanceError):
        WINDOWS.step_months = 1


def test_adjacent_test_windows_are_allowed_and_overlapping_ones_rejected():
    adjacent = BacktestWindows("2015-01", "2017-01", "2018-01", step_months=6, horizon_months=6,
                               min_train_months=12)
    first, second = adjacent.origins[:2]
    assert adjacent.test_window(first)[1] < adjacent.test_window(second)[0]
    with pytest.raises(InputError, match="'step_months' .5. is shorter than 'horizon_months' .6., "
                                         "so consecutive test windows overlap"):
        BacktestWindows("2015-01", "2017-01", "2018-01", step_months=5, horizon_months=6,
                        min_train_months=12)
    overlapping = BacktestWindows("2015-01", "2017-01", "2018-01", step_months=1,
                                  horizon_months=6, min_train_months=12, allow_overlap=True)
    assert len(overlapping.origins) == 13


def test_minimum_training_span_boundary():
    # 2017-01 minus 12 months is 2016-01: 2015-01..2016-01 holds 13 months of training rows
    BacktestWindows("2015-01", "2017-01", "2017-01", horizon_months=12, min_train_months=13)
    with pytest.raises(InputError, match=r"the first origin \(2017-01\) leaves 13 month\(s\) of "
                                         r"training rows \(2015-01 to 2016-01.*'min_train_months' "
                                         "is 14"):
        BacktestWindows("2015-01", "2017-01", "2017-01", horizon_months=12, min_train_months=14)


def test_every_problem_is_listed():
    with pytest.raises(InputError) as caught:
        BacktestWindows("2015-01-15", "soon", "2017-01", step_months=0, horizon_months=1.5,
                        allow_overlap="no")
    text = str(caught.value)
    assert text.startswith("5 problems found:")
    for expected in ("'data_start' is 2015-01-15, not the start of a month; use 2015-01",
                     "'first_origin' is 'soon', not a date",
                     "'step_months' is 0; use a whole number of months >= 1",
                     "'horizon_months' is 1.5",
                     "'allow_overlap' is 'no'; use true or false"):
        assert expected in text


def test_origins_out_of_order():
    with pytest.raises(InputError, match=r"'first_origin' \(2018-01\) is after 'last_origin' "
                                         r"\(2017-01\); swap them"):
        BacktestWindows("2010-01", "2018-01", "2017-01")


def _make_data(panel, horizon=3):
    X, y, _ = panel
    times = X.index.get_level_values("time")
    regions = X.index.get_level_values("region")
    last = y.groupby(level="region").shift(1)
    score = true_margin(X) + np.random.default_rng(2).normal(0, 1, len(X))
    extra = pd.DataFrame({"last_outcome": last, "index_score": score}, index=X.index)

    def make_data(origin):
        train = times <= origin - pd.DateOffset(months=horizon)
        test = times == origin
        assert regions[test].nunique() == test.sum()
        return X[train], y[train], X[test], y[test], extra

    return make_data


@pytest.fixture(scope="module")
def result(panel):
    factories = {
        "linear": lambda: ElasticNetLogit(Cs=(0.1, 1.0), l1_ratios=(0.5,), n_bootstrap=3),
        "boosted": lambda: AdditiveBoosting(DIRECTIONS, max_iter=30, n_bootstrap=0),
    }
    return rolling_origin_backtest(WINDOWS, _make_data(panel), factories,
                                   baselines=(BaseRate(), Persistence(), ScoreAlone()))


def test_backtest_tables(result):
    names = ["linear", "boosted", "base_rate", "persistence", "index_alone"]
    assert len(result.predictions) == 6 * 40 * 5
    assert result.predictions.columns[:3].tolist() == ["origin", "region", "time"]
    assert (result.predictions.origin == result.predictions.time).all()
    assert result.per_origin.columns.tolist() == ["origin", "model", "metric", "value"]
    assert result.overall.model.unique().tolist() == names
    wide = result.table()
    assert {"roc_auc", "brier", "log_loss", "calibration_slope", "top10_share", "top20_share",
            "top30_share"} <= set(wide.columns)
    assert wide.loc["linear", "roc_auc"] > 0.75 and wide.loc["boosted", "roc_auc"] > 0.7
    assert wide.loc["linear", "brier"] < wide.loc["base_rate", "brier"]
    # a constant forecast catches k/n of the events, as chance would
    assert wide.loc["base_rate", "top10_share"] == pytest.approx(10 / 40)
    assert wide.loc["linear", "top10_share"] > 10 / 40
    per_origin = result.table("per_origin")
    assert per_origin.shape[0] == 6 * 5
    assert (per_origin["n"] == 40).all()
    assert (per_origin.xs("base_rate", level="model")["roc_auc"] == 0.5).all()


def test_intervals_are_measured_for_models_that_have_them(result):
    linear = result.predictions[result.predictions.model == "linear"]
    assert linear.lower.notna().all()
    assert (linear.lower <= linear.probability).all() and (linear.probability <= linear.upper).all()
    assert result.predictions[result.predictions.model == "boosted"].lower.isna().all()
    assert result.coverage.model.unique().tolist() == ["linear"]
    wide = result.table()
    assert 0 <= wide.loc["linear", "coverage"] <= 1 and wide.loc["linear", "mean_width"] > 0
    assert np.isnan(wide.loc["boosted", "coverage"])


def test_refuses_training_rows_from_after_the_origin(panel):
    make_data = _make_data(panel, horizon=0)
    with pytest.raises(ModelInputError, match=r"make_data\(2016-07\) returned training rows dated up "
                                              r"to 2016-07, later than the last month whose outcome "
                                              r"is known then \(2016-04\): that looks ahead"):
        rolling_origin_backtest(WINDOWS, make_data, lambda: ElasticNetLogit(n_bootstrap=0))
    with pytest.raises(ModelInputError, match="later than the origin itself"):
        rolling_origin_backtest(["2016-07-01"], make_data, lambda: ElasticNetLogit(n_bootstrap=0))


def test_plain_origins_and_a_single_model(panel):
    result = rolling_origin_backtest(
        [pd.Timestamp("2017-10-01")], _make_data(panel),
        lambda: ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_bootstrap=0), k=(5,))
    assert result.overall.model.unique().tolist() == ["model", "base_rate"]
    assert "top5_share" in result.overall.metric.tolist()
    assert result.coverage.empty


@pytest.mark.parametrize("make_data, message", [
    (lambda origin: (1, 2), r"make_data\(2017-10\) returned tuple; it must return the tuple"),
    (lambda origin: (pd.DataFrame(), [], pd.DataFrame({"a": [1]}), [1], None),
     "returned a train set that is not a non-empty DataFrame"),
])
def test_make_data_must_return_the_five_parts(make_data, message):
    with pytest.raises(ModelInputError, match=message):
        rolling_origin_backtest(["2017-10-01"], make_data, ElasticNetLogit)


def test_forecaster_names_must_differ_and_origins_exist(panel):
    with pytest.raises(ModelInputError, match="forecaster names repeat"):
        rolling_origin_backtest(WINDOWS, _make_data(panel), {"base_rate": ElasticNetLogit})
    with pytest.raises(ModelInputError, match="no forecast origins"):
        rolling_origin_backtest([], _make_data(panel), ElasticNetLogit)


def test_baselines_need_their_columns(panel):
    X, y, _ = panel
    with pytest.raises(ModelInputError, match="needs the column 'last_outcome' in 'extra'"):
        Persistence().predict(X, y, X, None)
    twice = pd.concat([X.assign(index_score=1.0)] * 2)
    with pytest.raises(ModelInputError, match="'extra' has duplicated index labels"):
        ScoreAlone().predict(X, y, X, twice)
    with pytest.raises(ModelInputError, match="the training rows with a 'index_score' hold a single "
                                              "class"):
        ScoreAlone().predict(X, np.zeros(len(X)), X, X.assign(index_score=1.0))


def test_persistence_and_score_baselines_use_training_rates(panel):
    X, y, _ = panel
    extra = pd.DataFrame({"last_outcome": np.r_[np.ones(len(X) // 2), np.zeros(len(X) - len(X) // 2)]},
                         index=X.index)
    p = Persistence().predict(X, y, X, extra)
    after_event = y.to_numpy()[: len(X) // 2]
    assert p[0] == pytest.approx((after_event.sum() + 1) / (len(after_event) + 2))
    extra.iloc[0, 0] = np.nan
    assert Persistence().predict(X, y, X, extra)[0] == pytest.approx(y.mean())
    q = ScoreAlone(column="a").predict(X, y, X)  # the column may come from X itself
    assert np.corrcoef(q, X["a"])[0, 1] > 0.95


def test_score_against_truth_reads_each_part_against_the_world():
    import numpy as np
    import pandas as pd
    from scipy.special import expit

    from forewarn.models import score_against_truth

    rng = np.random.default_rng(11)
    n = 2000
    q = expit(rng.normal(-1.0, 1.0, n))             # true chance of a surge
    d = expit(rng.normal(0.5, 1.0, n))              # true chance a surge is recorded
    one = pd.DataFrame({"true_probability": q, "oracle_probability": q * d, "y": 0})
    frames = [
        one.assign(model="two_part", probability=q * d, risk_probability=q,
                   detection_probability=d),
        one.assign(model="detected_only", probability=q * d, risk_probability=np.nan,
                   detection_probability=np.nan),
    ]
    metrics, curves = score_against_truth(pd.concat(frames, ignore_index=True), n_bins=5)
    wide = metrics.pivot(index="model", columns="metric", values="value")
    # The two-part model's risk part is the truth: calibrated, slope 1 and intercept 0.
    assert wide.loc["two_part", "calibration_slope_true"] == pytest.approx(1.0, abs=1e-6)
    assert wide.loc["two_part", "calibration_intercept_true"] == pytest.approx(0.0, abs=1e-6)
    # The detected-only model is scored on P(recorded surge): too low for the true surge.
    assert wide.loc["detected_only", "calibration_intercept_true"] > 0.3
    assert wide.loc["two_part", "roc_auc_true"] > wide.loc["detected_only", "roc_auc_true"]
    assert wide.loc["two_part", "expected_true_events"] == pytest.approx(q.sum())
    detection = curves[(curves["model"] == "two_part") & (curves["part"] == "detection")]
    assert len(detection) == 5
    np.testing.assert_allclose(detection["mean_truth"], detection["mean_probability"])
    assert set(curves.loc[curves["model"] == "detected_only", "part"]) == {"risk"}
