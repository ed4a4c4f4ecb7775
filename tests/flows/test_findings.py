"""risk_since_onset: the model's risk over the steps since a crisis onset, with a band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.flows import risk_since_onset
from forewarn.models import ElasticNetLogit


def test_risk_falls_with_time_since_onset_as_the_data_say():
    rng = np.random.default_rng(0)
    n_regions, n_years = 60, 12
    since = rng.integers(0, 11, size=(n_regions, n_years)).astype(float)
    X = pd.DataFrame({"crisis_conflict__since": since.ravel(),
                      "crisis_conflict__seen": 1.0,
                      "noise": rng.normal(size=since.size)},
                     index=pd.MultiIndex.from_product(
                         [[f"R{i}" for i in range(n_regions)],
                          pd.date_range("2005-01-01", periods=n_years, freq="YS")],
                         names=["region", "time"]))
    y = pd.Series(rng.random(len(X)) < 1 / (1 + np.exp(-(1.0 - 0.5 * X.iloc[:, 0]))),
                  index=X.index).astype(int)
    model = ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_splits=2, n_bootstrap=4,
                            random_state=0).fit(X, y)
    curve = risk_since_onset(model, X, "conflict", steps=range(0, 11, 2))
    assert curve["since"].tolist()[:-1] == [0, 2, 4, 6, 8, 10]
    assert np.isnan(curve["since"].iloc[-1])                   # never an onset
    p = curve["probability"].to_numpy()[:-1]
    assert (np.diff(p) < 0).all()                              # learned: risk fades
    assert (curve["lower"] <= curve["probability"] + 1e-12).all()
    assert (curve["probability"] <= curve["upper"] + 1e-12).all()
    with pytest.raises(InputError, match=r"no column 'crisis_flood__since' in the features; is "
                                         r"'flood' in \[features\] crisis_kinds"):
        risk_since_onset(model, X, "flood")


def _fitted(kind="elastic_net", n_bootstrap=4):
    """A model where 'strong' drives the outcome, 'weak' a little and 'noise' not at all."""
    from forewarn.models import AdditiveBoosting

    rng = np.random.default_rng(1)
    n_regions, n_years = 60, 10
    n = n_regions * n_years
    X = pd.DataFrame({"strong": rng.normal(size=n), "weak": rng.normal(size=n),
                      "weak__chg": rng.normal(size=n), "noise": rng.normal(size=n)},
                     index=pd.MultiIndex.from_product(
                         [[f"R{i}" for i in range(n_regions)],
                          pd.date_range("2005-01-01", periods=n_years, freq="YS")],
                         names=["region", "time"]))
    margin = -1.5 + 1.5 * X["strong"] + 0.4 * X["weak"]
    y = pd.Series(rng.random(n) < 1 / (1 + np.exp(-margin)), index=X.index).astype(int)
    if kind == "additive":
        model = AdditiveBoosting(max_iter=30, n_splits=2, n_bootstrap=n_bootstrap,
                                 random_state=0).fit(X, y)
    else:
        model = ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_splits=2,
                                n_bootstrap=n_bootstrap, random_state=0).fit(X, y)
    return model, X


@pytest.mark.parametrize("kind", ["elastic_net", "additive"])
def test_driver_importance_ranks_the_driving_feature_first_with_refit_intervals(kind):
    from forewarn.flows import driver_importance
    from forewarn.models import bootstrap_explanations, explain

    model, X = _fitted(kind)
    table = driver_importance(model, X, groups={"weak__chg": "weak"})
    assert table["driver"].tolist()[0] == "strong"
    assert set(table["driver"]) == {"strong", "weak", "noise"}          # weak__chg joins weak
    assert table.set_index("driver").at["weak", "features"] == 2
    point, _ = explain(model, X)
    assert table.set_index("driver").at["strong", "importance"] == pytest.approx(
        point["strong"].abs().mean())
    assert table["share"].sum() == pytest.approx(1.0)
    assert (table["lower"] <= table["upper"]).all() and table["lower"].notna().all()
    strong = table.iloc[0]
    assert strong["lower"] > table.set_index("driver").at["noise", "upper"]
    # each refit's split is exact: base + contributions = that refit's calibrated margin
    reps = bootstrap_explanations(model, X)
    assert len(reps) == 4
    c, b = reps[0]
    est, (a, b0) = model.bootstrap_estimators_[0], model.bootstrap_calibration_[0]
    np.testing.assert_allclose(b + c.sum(axis=1), a * est.decision_function(X.to_numpy()) + b0,
                               atol=1e-6)
    assert not np.allclose(c.to_numpy(), point.to_numpy())      # a refit, not the model again


def test_bootstrap_explanations_need_refits():
    from forewarn.flows import driver_importance
    from forewarn.models import bootstrap_explanations
    from forewarn.models._validation import ModelInputError

    model, X = _fitted(n_bootstrap=0)
    with pytest.raises(ModelInputError, match="fitted with n_bootstrap=0, so it has no refits"):
        bootstrap_explanations(model, X)
    with pytest.raises(ModelInputError, match="exact explanations are defined for"):
        bootstrap_explanations(object(), X)
    table = driver_importance(model, X)                   # no refits: no interval, still ranked
    assert table["lower"].isna().all() and table["driver"].iloc[0] == "strong"


def test_lever_effects_average_the_change_with_an_interval():
    from forewarn.flows import lever_effects

    model, X = _fitted()
    lower_strong = X.assign(strong=X["strong"] - 1.0)
    same = X.copy()
    table = lever_effects(model, X, {"strong": lower_strong, "nothing": same}).set_index("lever")
    assert table.at["strong", "effect"] < -0.02
    assert table.at["strong", "lower"] <= table.at["strong", "effect"] <= 0
    assert table.at["strong", "upper"] < 0
    assert table.at["strong", "changed"] == len(X)
    assert table.at["nothing", "effect"] == 0 and table.at["nothing", "changed"] == 0
    assert table.at["strong", "probability_after"] == pytest.approx(
        table.at["strong", "probability_before"] + table.at["strong", "effect"])
    with pytest.raises(InputError, match="the features for lever 'bad' do not have the rows"):
        lever_effects(model, X, {"bad": X.iloc[:5]})


def test_skill_summary_says_no_skill_when_a_baseline_wins_or_chance():
    from forewarn.flows import skill_summary

    assert skill_summary(None, "elastic_net") == {"ran": False, "rows": []}
    metrics = pd.DataFrame({
        "model": ["elastic_net", "additive", "base_rate", "persistence", "index_alone"],
        "horizon": 12,
        "roc_auc": [0.48, 0.50, 0.42, 0.46, 0.52],
        "average_precision": [0.13, 0.14, 0.12, 0.13, 0.18]})
    s = skill_summary(metrics, "elastic_net")
    row = s["rows"][0]
    assert s["ran"] and row["skill"] is False
    assert row["best_roc_auc"] == ("index_alone", 0.52) and row["roc_auc"] == 0.48
    better = metrics.assign(roc_auc=[0.7, 0.5, 0.42, 0.46, 0.52],
                            average_precision=[0.3, 0.14, 0.12, 0.13, 0.18])
    assert skill_summary(better, "elastic_net")["rows"][0]["skill"] is True
    assert skill_summary(better, "detection_aware")["rows"] == []


@pytest.mark.slow
def test_findings_of_a_small_demo_project_run_as_real_data(tmp_path):
    """The demo world's project with ``demo = false``: monthly steps, two crisis kinds, two
    levers, the additive model; the report gets the section (a demo run does not)."""
    import dataclasses

    from projects import forecast_stages, small_demo

    from forewarn.flows import findings, load_config
    from forewarn.flows._report import report_data
    from forewarn.reports import render_report

    path = small_demo(tmp_path / "demo")
    text = path.read_text()
    assert "demo = true" in text
    demo_result = forecast_stages(load_config(path))
    assert report_data(demo_result).findings is None               # the demo leaves it out
    path.write_text(text.replace("demo = true", "demo = false", 1))
    result = forecast_stages(load_config(path))
    f = findings(result, None, "additive")
    assert f["step_unit"] == "months" and f["n_bootstrap"] == 4
    assert f["since_onset"].groupby("kind").size().to_dict() == {"conflict": 14, "disaster": 14}
    assert f["importance"]["share"].sum() == pytest.approx(1.0)
    assert f["importance"]["lower"].notna().all()
    levers = f["levers"].set_index("lever")
    assert set(levers.index) == {"response_tier", "protection_coverage"}
    assert (levers["changed"] <= levers["known"]).all() and (levers["known"] > 0).all()
    assert (levers["lower"] <= levers["upper"]).all()
    data = report_data(result)
    html = render_report(dataclasses.replace(data, findings=f))
    assert 'id="findings"' in html and "time since the onset [months]" in html
