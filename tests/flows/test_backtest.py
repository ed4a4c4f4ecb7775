"""`forewarn backtest` on a small demo world: every family, every baseline, tables published."""

from __future__ import annotations

import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.flows._backtest import BacktestSpec
from projects import small_demo


def test_backtest_small_world(tmp_path):
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


def test_backtest_spec_errors():
    with pytest.raises(InputError, match=r"names unknown field 'step'\. Did you mean "
                       r"'step_months'\?"):
        BacktestSpec.from_config({"step": 12})
    with pytest.raises(InputError, match=r"'models' names 'forest'; use 'additive', "
                       "'elastic_net', 'detection_aware'"):
        BacktestSpec.from_config({"models": ["forest"]})


def test_overlapping_windows_rejected(tmp_path):
    from forewarn.flows import backtest

    project = small_demo(tmp_path / "demo")
    project.write_text(project.read_text().replace("step_months = 12", "step_months = 3"))
    with pytest.raises(InputError, match=r"'step_months' \(3\) is shorter than "
                       r"'horizon_months' \(6\)"):
        backtest(project, out=tmp_path / "out", quiet=True)
