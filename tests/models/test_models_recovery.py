"""Recovery of a known world's drivers: the grouping of features, the rank correlation, the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forewarn.models import KnownProbability, demo_driver_group, driver_recovery, explain


@pytest.mark.parametrize("feature, meta, group", [
    ("crisis_conflict__ongoing", {}, "conflict_onset"),
    ("crisis_disaster__months_since", {}, "disaster_onset"),
    ("displaced__splag", {"indicator": "displaced"}, "neighbour_displaced"),
    ("displaced__lag1", {"indicator": "displaced"}, "displaced"),
    ("detected_trafficking__mean12", {"indicator": "detected_trafficking"}, "prevalence"),
    ("state_capacity", {"indicator": "state_capacity"}, "state_capacity"),
    ("gdp", {"indicator": "gdp"}, None),
    ("gdp", {}, None),
])
def test_demo_driver_group_names_the_true_term_a_feature_stands_for(feature, meta, group):
    assert demo_driver_group(feature, meta) == group


def test_driver_recovery_ranks_the_drivers_as_the_truth_does(linear_model, panel):
    """Truth terms built from the model's own contributions rank the same: rho = 1; reversed
    sizes give rho = -1. Features no group claims (noise) are left out."""
    X = panel[0]
    contrib, _ = explain(linear_model, X)
    regions = X.index.get_level_values("region").unique()
    times = X.index.get_level_values("time").unique()

    def as_array(values):
        return pd.Series(values, index=X.index).unstack("time").reindex(
            index=regions, columns=times).to_numpy()

    groups = {"a": "A", "b": "B", "c": "C"}
    meta = {f: {"indicator": f} for f in X.columns}
    same = {groups[f]: as_array(contrib[f].to_numpy()) for f in groups}
    out = driver_recovery(linear_model, X, meta, same, regions, times,
                          group=lambda f, m: groups.get(m.get("indicator")))
    assert out["drivers"] == ["A", "B", "C"]
    assert out["spearman"] == pytest.approx(1.0)
    for name, f in (("A", "a"), ("B", "b"), ("C", "c")):
        v = contrib[f].to_numpy()
        assert out["model_mean_abs"][name] == pytest.approx(np.abs(v).mean())
        assert out["true_mean_abs"][name] == pytest.approx(np.abs(v - v.mean()).mean())
    sizes = sorted(out["model_mean_abs"], key=out["model_mean_abs"].get)
    reversed_truth = {name: np.full((len(regions), len(times)), 0.0) for name in sizes}
    for rank, name in enumerate(sizes):  # the smallest model driver gets the largest truth
        reversed_truth[name][:, ::2] = len(sizes) - rank
    out = driver_recovery(linear_model, X, meta, reversed_truth, regions, times,
                          group=lambda f, m: groups.get(m.get("indicator")))
    assert out["spearman"] == pytest.approx(-1.0)


def test_known_probability_reads_its_column_for_the_test_rows():
    index = pd.Index(["r1", "r2", "r3"], name="region")
    extra = pd.DataFrame({"oracle": [0.1, 0.2, 0.3]}, index=index)
    oracle = KnownProbability("oracle", "oracle")
    X_test = pd.DataFrame({"x": [0, 0]}, index=pd.Index(["r3", "r1"], name="region"))
    np.testing.assert_allclose(oracle.predict(None, None, X_test, extra), [0.3, 0.1])
    assert oracle.name == "oracle"
