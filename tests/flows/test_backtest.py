"""`forewarn backtest` on a small demo world: every family, every baseline, tables published."""

from __future__ import annotations

import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.flows._backtest import BacktestSpec
from projects import small_demo


@pytest.mark.slow
def test_backtest_small_world(tmp_path, prefect_server):
    from forewarn.flows import backtest

    project = small_demo(tmp_path / "demo")
    text = project.read_text().replace('first_origin = "2017-12"', 'first_origin = "2018-12"')
    project.write_text(text.replace("horizons = [6, 12]", "horizons = [12]"))
    result = backtest(project, out=tmp_path / "out", quiet=True)
    models = set(result.overall["model"])
    assert models == {"additive", "elastic_net", "detection_aware", "base_rate", "persistence",
                      "index_alone"}
    two_part = result.predictions[result.predictions["model"] == "detection_aware"]
    assert two_part["risk_probability"].between(0, 1).all()
    assert result.predictions.loc[result.predictions["model"] == "additive",
                                  "risk_probability"].isna().all()
    # The detection part travels with the risk part: their product is the recorded chance.
    pd.testing.assert_series_equal(
        two_part["risk_probability"] * two_part["detection_probability"],
        two_part["probability"], check_names=False, rtol=1e-9)
    assert result.calibration_true is None  # a written project: no world's truth to score on
    for col in ("roc_auc", "average_precision", "brier", "log_loss", "calibration_slope",
                "calibration_intercept", "top10_share", "top20_share", "top30_share"):
        assert result.overall[col].notna().all(), col
    assert result.overall.loc[result.overall["model"] == "additive", "coverage"].notna().all()
    assert set(result.per_origin["origin"]) == {pd.Timestamp("2018-12-01"),
                                                pd.Timestamp("2019-12-01")}
    folder = tmp_path / "out" / "latest-backtest"
    assert (folder / "metrics.csv").is_file() and (folder / "summary.txt").is_file()
    summary = (folder / "summary.txt").read_text()
    assert "index_alone" in summary and "ROC-AUC" in summary
    # One flow, each origin a task of it (Prefect records task runs a little after they ran).
    assert _task_runs("forewarn-backtest") >= {"backtest inputs", "origin 2018-12",
                                               "origin 2019-12", "publish backtest"}


def _task_runs(flow_name: str, timeout: float = 60) -> set:
    """Names of the completed task runs of the newest run of a flow, on the test server."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        run = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                                    sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
        while True:
            tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[run.id])))
            names = {t.name for t in tasks if t.state and t.state.is_completed()}
            if "publish backtest" in names or time.monotonic() > deadline:
                return names
            time.sleep(1)


def test_backtest_spec_errors():
    with pytest.raises(InputError, match=r"names unknown field 'step'\. Did you mean "
                       r"'step_months'\?"):
        BacktestSpec.from_config({"step": 12})
    with pytest.raises(InputError, match=r"'models' names 'forest'; use 'additive', "
                       "'elastic_net', 'detection_aware'"):
        BacktestSpec.from_config({"models": ["forest"]})


@pytest.mark.slow  # starts the Prefect flow before the windows are checked
def test_overlapping_windows_rejected(tmp_path, prefect_server):
    from forewarn.flows import backtest

    project = small_demo(tmp_path / "demo")
    project.write_text(project.read_text().replace("step_months = 12", "step_months = 3"))
    with pytest.raises(InputError, match=r"'step_months' \(3\) is shorter than "
                       r"'horizon_months' \(6\)"):
        backtest(project, out=tmp_path / "out", quiet=True)


@pytest.mark.slow  # a whole backtest
def test_backtest_leaves_unknown_outcomes_out_and_says_how_many(tmp_path, prefect_server):
    """With outcome_missing = "unknown" a region-year without a row is never scored as 0."""
    from forewarn.flows import backtest

    project = small_demo(tmp_path / "demo")
    folder = project.parent
    events = pd.read_csv(folder / "outcome.csv", dtype={"period": str})
    regions = sorted(events["region_id"].unique())
    months = pd.period_range("2012-01", "2020-12", freq="M").strftime("%Y-%m")
    full = pd.MultiIndex.from_product([regions, months], names=["region_id", "period"])
    table = events.set_index(["region_id", "period"])["value"].reindex(full, fill_value=0)
    # Ten regions reported nothing in 2019: the test window of the 2018-12 origin.
    silent = set(regions[:10])
    gone = table.index.get_level_values("region_id").isin(silent) & \
        table.index.get_level_values("period").str.startswith("2019")
    table[~gone].reset_index().to_csv(folder / "outcome.csv", index=False)
    text = project.read_text().replace('first_origin = "2017-12"', 'first_origin = "2018-12"')
    text = text.replace("horizons = [6, 12]", "horizons = [12]")
    text = text.replace('outcome = "outcome.csv"', 'outcome = "outcome.csv"\n'
                        'outcome_missing = "unknown"')
    text = text.replace('models = ["additive", "elastic_net", "detection_aware"]',
                        'models = ["elastic_net"]')
    assert 'outcome_missing = "unknown"' in text
    project.write_text(text)
    result = backtest(project, out=tmp_path / "out", quiet=True)
    left = result.left_out.set_index("origin")
    first = left.loc[pd.Timestamp("2018-12-01")]
    assert first["test_unknown"] == len(silent)
    assert first["test_rows"] == len(regions) - len(silent)
    scored = result.predictions.loc[result.predictions["origin"] == pd.Timestamp("2018-12-01")]
    assert not set(scored["region"]) & silent
    # At the 2019-12 origin, windows reaching into 2019 are unknown for those regions unless
    # an event in a reported month settles them.
    assert left.loc[pd.Timestamp("2019-12-01"), "train_unknown"] > 0
    summary = (tmp_path / "out" / "latest-backtest" / "summary.txt").read_text()
    assert f"outcome unknown, left out (never counted as 0): {len(silent)} of" in summary
    assert (tmp_path / "out" / "latest-backtest" / "left_out.csv").is_file()


def test_true_metrics_join_the_world_and_score_each_part():
    import numpy as np

    from forewarn.flows._backtest import _true_metrics

    regions, times = ["A", "B", "C", "D"], pd.to_datetime(["2020-01-31", "2020-02-29"])
    index = pd.MultiIndex.from_product([regions, times], names=["region", "time"])
    q = pd.Series(np.linspace(0.1, 0.8, 8), index=index)
    oracle = q * 0.5
    rows = index.to_frame(index=False)
    predictions = pd.concat([
        rows.assign(model="detection_aware", probability=0.5 * q.to_numpy(),
                    risk_probability=q.to_numpy(), detection_probability=0.5),
        rows.assign(model="additive", probability=0.4 * q.to_numpy(), risk_probability=np.nan,
                    detection_probability=np.nan),
    ], ignore_index=True)
    found, metrics, curves = _true_metrics(predictions, q, oracle)
    np.testing.assert_allclose(found["oracle_probability"], 0.5 * found["true_probability"])
    wide = metrics.pivot(index="model", columns="metric", values="value")
    assert wide.loc["detection_aware", "calibration_slope_true"] == pytest.approx(1.0, abs=1e-6)
    assert wide.loc["detection_aware", "roc_auc_true"] == pytest.approx(
        wide.loc["additive", "roc_auc_true"])  # same order, same ranking
    assert set(curves.loc[curves["model"] == "detection_aware", "part"]) == {"risk",
                                                                              "detection"}
    detection = curves[curves["part"] == "detection"]
    np.testing.assert_allclose(detection["mean_truth"], 0.5)
