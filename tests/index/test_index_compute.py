"""compute_index and decompose: hand-checked numbers, missing data, reliability, inputs, dask."""

import doctest
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import forewarn.index._compute as compute_module
from forewarn.errors import InputError
from forewarn.index import (
    Bounds,
    IndexSpec,
    Leaf,
    Node,
    compute_index,
    decompose,
    demo_spec,
    fit_bounds,
    inform_spec,
)

# Hand computation for the toy spec (conftest): a, b, c scale to
#   R1: 0, 0, 0     R2: 5, 10*ln(100)/ln(1000) = 20/3, 5     R3: 10, missing, 10
# hazard = INFORM geometric mean of a and b; R2: (10 - sqrt(5.5 * 4)) / 9 * 10.
HAZARD_R2 = (10 - math.sqrt(5.5 * 4.0)) / 9 * 10
RISK = [0.0, (3 * HAZARD_R2 + 5.0) / 4, 10.0]


def test_hand_computed_toy(toy_spec, toy_frame):
    out = compute_index(toy_frame, toy_spec)
    np.testing.assert_allclose(out["scaled_b"].to_numpy()[:2], [0.0, 20 / 3])
    np.testing.assert_allclose(out["hazard"], [0.0, HAZARD_R2, 10.0])
    np.testing.assert_allclose(out["index_score"], RISK)
    assert out.index.tolist() == ["R1", "R2", "R3"]


def test_hand_computed_contributions(toy_spec, toy_frame):
    out = compute_index(toy_frame, toy_spec)
    hazard_part = RISK[1] * 3 * HAZARD_R2 / (3 * HAZARD_R2 + 5.0)
    la, lb = math.log(10 / 5.5), math.log(10 / 4.0)
    np.testing.assert_allclose(
        out.loc["R2", ["contribution_a", "contribution_b", "contribution_c"]].to_numpy(float),
        [hazard_part * la / (la + lb), hazard_part * lb / (la + lb), RISK[1] - hazard_part],
    )
    # R1 scores 0: the split falls back to the weights and every part is 0.
    assert out.loc["R1", ["contribution_a", "contribution_b", "contribution_c"]].tolist() == [0, 0, 0]
    # R3 lacks b: its contribution is NaN and the rest still add up.
    assert np.isnan(out.loc["R3", "contribution_b"])
    assert out.loc["R3", ["contribution_a", "contribution_c"]].sum() == pytest.approx(10.0)


def _one_node(kind, weights=None):
    return IndexSpec("k", "r", (Node("r", ("x", "y", "z"), kind, weights),),
                     tuple(Leaf(i, 1, bounds=(0, 10)) for i in "xyz"))


@pytest.mark.parametrize(
    ("kind", "weights", "row", "expected"),
    [
        ("arithmetic", (2, 1, 1), [4.0, 8.0, 0.0], (8 + 8 + 0) / 4),
        ("arithmetic", (2, 1, 1), [4.0, np.nan, 0.0], 8 / 3),
        ("geometric", None, [1.0, 2.0, 4.0], 2.0),
        ("geometric", (1, 2, 0), [4.0, 2.0, 0.0], (4 * 2 * 2) ** (1 / 3)),
        ("geometric", None, [0.0, 8.0, 9.0], 0.0),
        ("geometric", None, [np.nan, 4.0, 9.0], 6.0),
        ("inform_geometric", None, [10.0, 0.0, 0.0], (10 - 10 ** (2 / 3)) / 9 * 10),
        ("inform_geometric", None, [0.0, 0.0, 0.0], 0.0),
        ("inform_geometric", None, [np.nan, 10.0, 10.0], 10.0),
        ("max", (0.7, 1.0, 1.0), [10.0, 6.0, np.nan], 7.0),
        ("max", (0.7, 1.0, 1.0), [np.nan, np.nan, np.nan], np.nan),
    ],
)
def test_aggregations(kind, weights, row, expected):
    out = compute_index(pd.DataFrame([row], columns=list("xyz"), index=["R"]),
                        _one_node(kind, weights))
    np.testing.assert_allclose(out["index_score"], [expected])
    parts = out[[f"contribution_{i}" for i in "xyz"]].sum(axis=1, min_count=1)
    np.testing.assert_allclose(parts, [expected], atol=1e-12)


def test_inform_geometric_one_zero_child_does_not_zero_the_node():
    out = compute_index(pd.DataFrame({"x": [0.0], "y": [9.0], "z": [9.0]}, index=["R"]),
                        _one_node("inform_geometric"))
    assert 5 < out["index_score"].iloc[0] < 9


def test_max_gives_all_to_the_maximum():
    out = compute_index(pd.DataFrame({"x": [10.0], "y": [6.0], "z": [7.0]}, index=["R"]),
                        _one_node("max", (0.7, 1.0, 1.0)))
    assert out[["contribution_x", "contribution_y", "contribution_z"]].iloc[0].tolist() == [
        3.5, 0.0, 3.5]


def test_all_missing_region(toy_spec):
    df = pd.DataFrame({"a": [np.nan, 1.0], "b": [np.nan, 1.0], "c": [np.nan, 1.0]},
                      index=["EMPTY", "FULL"])
    out = compute_index(df, toy_spec)
    assert np.isnan(out.loc["EMPTY", "index_score"])
    assert out.loc["EMPTY", "reliability"] == 0.0
    assert bool(out.loc["EMPTY", "low_reliability"]) is True
    assert out.loc["FULL", "missing_share"] == 0.0


def test_missing_value_renormalises_for_that_region_only(toy_spec, toy_frame):
    out = compute_index(toy_frame, toy_spec)
    assert out.loc["R3", "hazard"] == 10.0  # only a (= 10) is left
    assert out.loc["R3", "missing_share"] == pytest.approx(1 / 3)
    assert out.loc["R3", "reliability"] == pytest.approx(2 / 3)
    assert out.loc["R3", "low_reliability"]  # 2/3 < 0.7
    assert not out.loc["R2", "low_reliability"]


def test_reliability_with_age(toy_spec, toy_frame):
    # Ages of each value [months]; R3's b is missing so its age is ignored.
    age = pd.DataFrame({"a": [30.0, 100.0, np.nan], "b": [10.0, 90.0, 1.0],
                        "c": [50.0, 80.0, 48.0]}, index=toy_frame.index)
    age.loc["R3", "a"] = np.nan  # a present value of unknown age counts as stale
    out = compute_index(toy_frame, toy_spec, age=age)
    assert out["data_age"].tolist() == [50.0, 100.0, 48.0]  # the oldest value used
    # Each indicator counts 1 up to 24 months, 0 from 72, linearly between; missing counts 0.
    # R1: a 30 -> 0.875, b 10 -> 1, c 50 -> 22/48; one fresh value no longer hides stale ones.
    np.testing.assert_allclose(out["reliability"],
                               [(0.875 + 1 + 22 / 48) / 3, 0.0, (0 + 0 + 0.5) / 3])
    assert out["low_reliability"].tolist() == [False, True, True]


def test_one_old_survey_lowers_reliability_graded(toy_spec, toy_frame):
    """A value carried forward for 96 months counts for nothing (issue: 1.00 everywhere)."""
    age = pd.DataFrame({"a": [0.0] * 3, "b": [0.0, 96.0, 0.0], "c": [0.0] * 3},
                       index=toy_frame.index)
    out = compute_index(toy_frame, toy_spec, age=age)
    np.testing.assert_allclose(out["reliability"], [1.0, 2 / 3, 2 / 3])


def test_unknown_age_counts_as_stale(toy_spec, toy_frame):
    age = pd.DataFrame({"a": np.nan, "b": np.nan, "c": np.nan}, index=toy_frame.index)
    out = compute_index(toy_frame, toy_spec, age=age)
    assert out["reliability"].tolist() == [0.0, 0.0, 0.0]


def test_age_must_match_data(panel):
    spec = demo_spec()
    bounds = fit_bounds(panel, spec)
    age = (panel * 0 + 1).isel(time=slice(0, 5))
    with pytest.raises(InputError, match=r"age: does not cover the same regions \(and times\)"):
        compute_index(panel, spec, bounds, age=age)


def test_dataset_output(panel):
    spec = demo_spec()
    out = compute_index(panel, spec, fit_bounds(panel, spec))
    assert out["index_score"].dims == ("region", "time")
    assert out["contribution"].dims == ("region", "time", "indicator")
    assert list(out["indicator"].values) == list(spec.indicators)
    assert set(spec.node_order[1:]) <= set(out.data_vars)
    assert out["low_reliability"].dtype == bool
    assert out["index_score"].attrs["units"] == "-"
    assert "direction" not in out["hazard"].attrs  # raw-value attrs do not leak onto scores
    assert out.attrs["index_spec"] == "demo"
    scaled = out["scaled"]
    assert float(scaled.min()) >= 0 and float(scaled.max()) <= 10


def test_dataframe_and_dataset_agree(panel):
    spec = demo_spec()
    bounds = fit_bounds(panel, spec)
    full = compute_index(panel, spec, bounds)
    t = panel["time"].values[7]
    frame = panel.sel(time=t).to_dataframe()[list(spec.indicators)]
    out = compute_index(frame, spec, bounds)
    for col in ("index_score", "hazard", "reliability"):
        np.testing.assert_array_equal(out[col].to_numpy(), full[col].sel(time=t).to_numpy())
    np.testing.assert_array_equal(
        out[[f"contribution_{i}" for i in spec.indicators]].to_numpy(),
        full["contribution"].sel(time=t).to_numpy(),
    )


def test_dask_backed_gives_identical_results(panel):
    spec = demo_spec()
    bounds = fit_bounds(panel, spec)
    eager = compute_index(panel, spec, bounds)
    lazy = compute_index(panel.chunk({"region": 1, "time": 12}), spec, bounds)
    assert lazy["index_score"].chunks is not None  # stays lazy until asked
    xr.testing.assert_identical(lazy.compute(), eager)


def test_dask_backed_with_rounding_and_age():
    spec = inform_spec()
    rng = np.random.default_rng(3)
    ds = xr.Dataset(
        {i: (("region", "time"), rng.uniform(0, 10, (4, 6))) for i in spec.indicators},
        coords={"region": list("ABCD"), "time": pd.date_range("2021-01-01", periods=6, freq="MS")},
    )
    age = ds * 0 + 30.0
    eager = compute_index(ds, spec, age=age)
    lazy = compute_index(ds.chunk({"region": 2}), spec, age=age.chunk({"region": 2}))
    xr.testing.assert_identical(lazy.compute(), eager)


def test_contributions_sum_to_score(panel):
    spec = demo_spec()
    out = compute_index(panel, spec, fit_bounds(panel, spec))
    total = out["contribution"].sum("indicator")
    np.testing.assert_allclose(total, out["index_score"].fillna(0.0), atol=1e-9, rtol=0)
    assert float(out["contribution"].min()) >= 0


def test_decompose_depths(panel):
    spec = demo_spec()
    out = compute_index(panel, spec, fit_bounds(panel, spec))
    dims = decompose(out, spec, depth=1)
    assert dims.dims == ("region", "time", "node")
    assert list(dims["node"].values) == ["hazard", "vulnerability", "lack_of_coping"]
    np.testing.assert_allclose(dims.sum("node"), out["index_score"], atol=1e-9, rtol=0)
    cats = decompose(out, spec, depth=2)
    assert "conflict_deaths" in cats["node"].values and "displacement" in cats["node"].values
    np.testing.assert_allclose(cats.sum("node"), out["index_score"], atol=1e-9, rtol=0)
    deepest = decompose(out, spec, depth=9)
    xr.testing.assert_allclose(
        deepest.rename(node="indicator").drop_vars("indicator"),
        out["contribution"].drop_vars("indicator"),
    )


def test_decompose_dataframe(toy_spec, toy_frame):
    out = compute_index(toy_frame, toy_spec)
    parts = decompose(out, toy_spec)
    assert list(parts.columns) == ["hazard", "c"]
    np.testing.assert_allclose(parts.sum(axis=1), out["index_score"])


def test_decompose_errors(toy_spec, toy_frame):
    out = compute_index(toy_frame, toy_spec)
    with pytest.raises(ValueError, match=r"'depth' parameter of decompose must be an int >= 1"):
        decompose(out, toy_spec, depth=0)
    with pytest.raises(InputError, match=r"result: holds no contributions for 'a'"):
        decompose(out.drop(columns=["contribution_a"]), toy_spec)
    with pytest.raises(InputError, match=r"holds no contributions for 'conflict_deaths'"):
        decompose(xr.Dataset(), demo_spec())


def test_bounds_errors(panel, toy_frame, toy_spec):
    spec = demo_spec()
    with pytest.raises(InputError, match=r"bounds: none given; fit them once on reference data"):
        compute_index(panel, spec)
    partial = Bounds("other", fit_bounds(panel, spec).entries[1:])
    with pytest.raises(InputError, match=r"bounds: lack 'conflict_deaths' \(fitted for spec "
                                         r"'other'\); refit them"):
        compute_index(panel, spec, partial)
    with pytest.raises(TypeError, match=r"bounds must be a forewarn.index.Bounds; got dict"):
        compute_index(toy_frame, toy_spec, {"a": (0, 1)})


def test_negative_low_bound_with_log_rejected(toy_frame, toy_spec):
    bounds = fit_bounds(None, toy_spec)
    tampered = Bounds("toy", tuple(
        type(e)(e.indicator, -5.0, e.high) if e.indicator == "b" else e for e in bounds.entries))
    with pytest.raises(InputError, match=r"column 'b': 'low' is -5.0 but the index spec takes "
                                         r"the log"):
        compute_index(toy_frame, toy_spec, tampered)


def test_direction_minus_one_flips(toy_spec):
    out = compute_index(pd.DataFrame({"a": [0.0, 0.0], "b": [0.0, 0.0], "c": [0.0, 1.0]},
                                     index=["LOW_C", "HIGH_C"]), toy_spec)
    assert out["scaled_c"].tolist() == [10.0, 0.0]


def test_rounding_applies_to_every_node():
    spec = inform_spec()
    ds = xr.Dataset(
        {i: (("region",), np.random.default_rng(1).uniform(0, 10, 50)) for i in spec.indicators},
        coords={"region": [f"C{i}" for i in range(50)]},
    )
    out = compute_index(ds, spec)
    for name in ("index_score",) + spec.node_order[1:]:
        values = out[name].to_numpy()
        np.testing.assert_allclose(values, np.round(values, 1), atol=1e-12)


def test_time_and_region_vectorised_equals_one_by_one(make_panel):
    spec = demo_spec()
    ds = make_panel(n_regions=4, n_months=3, seed=5)
    bounds = fit_bounds(ds, spec)
    whole = compute_index(ds, spec, bounds)
    for r in ds["region"].values:
        single = compute_index(ds.sel(region=[r]), spec, bounds)
        xr.testing.assert_identical(single, whole.sel(region=[r]))


def test_doctests():
    result = doctest.testmod(compute_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_readme_example():
    readme = Path(__file__).resolve().parents[2] / "index" / "README.md"
    result = doctest.testfile(str(readme), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
