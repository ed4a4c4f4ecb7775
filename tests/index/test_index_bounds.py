"""Frozen bounds: fitting, saving, loading, and what goes wrong with bad reference data."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.errors import InputError
from forewarn.index import (
    Bounds,
    IndexSpec,
    IndicatorBounds,
    Leaf,
    Node,
    compute_index,
    demo_spec,
    fit_bounds,
)


def one_leaf(**leaf):
    return IndexSpec("one", "r", (Node("r", ("x",)),), (Leaf("x", 1, **leaf),))


def frame(values, name="x"):
    return pd.DataFrame({name: values}, index=[f"R{i}" for i in range(len(values))])


def test_min_max_without_capping():
    b = fit_bounds(frame([3.0, np.nan, -1.0, 7.0]), one_leaf())["x"]
    assert (b.low, b.high, b.cap_low, b.cap_high, b.n) == (-1.0, 7.0, None, None, 3)


def test_iqr_fences_cap_the_goalposts():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 100.0]
    b = fit_bounds(frame(values), one_leaf(capping="iqr"))["x"]
    q1, q3 = np.quantile(values, [0.25, 0.75])
    assert b.cap_high == pytest.approx(q3 + 1.5 * (q3 - q1))
    assert b.high == b.cap_high < 100.0
    assert b.low == 1.0 and b.cap_low < 1.0


def test_percentile_fences():
    values = np.arange(101.0)
    b = fit_bounds(frame(values), one_leaf(capping="percentile", p_low=10, p_high=90))["x"]
    assert (b.low, b.high) == (10.0, 90.0)


def test_fixed_bounds_need_no_data():
    spec = one_leaf(bounds=(0, 10))
    assert fit_bounds(None, spec)["x"] == IndicatorBounds("x", 0.0, 10.0)


def test_fits_over_regions_and_times(panel):
    spec = demo_spec()
    bounds = fit_bounds(panel, spec)
    assert list(bounds) == list(spec.indicators)
    b = bounds["state_capacity"]
    assert b.low == float(panel["state_capacity"].min()) and b.n == int(panel["state_capacity"].count())


def test_json_round_trip(tmp_path, panel):
    bounds = fit_bounds(panel, demo_spec())
    path = bounds.save(tmp_path / "bounds.json")
    assert Bounds.load(path) == bounds
    assert json.loads(path.read_text())["spec"] == "demo"


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("{not json", r"is not a JSON file"),
        ('{"format": "other"}', r"is not a forewarn bounds file"),
        ('{"format": "forewarn.index.bounds/1", "indicators": {"x": {"low": 1}}}',
         r"column 'x': entry is malformed"),
        ('{"format": "forewarn.index.bounds/1", "indicators": {"x": {"low": 2, "high": 1}}}',
         r"column 'x': 'low' \(2\) and 'high' \(1\) must be finite numbers with low below high"),
    ],
)
def test_bad_bounds_file(tmp_path, content, pattern):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(InputError, match=pattern):
        Bounds.load(path)


def test_missing_bounds_file(tmp_path):
    with pytest.raises(InputError, match=r"file not found"):
        Bounds.load(tmp_path / "none.json")


@pytest.mark.parametrize(
    ("leaf", "values", "pattern"),
    [
        ({}, [np.nan, np.nan], r"column 'x': has no values to fit bounds on"),
        ({}, [1.0, np.inf], r"holds infinite values"),
        ({}, [4.0, 4.0], r"has a single value \(4.0\) in the reference data, so there is "
                         r"nothing to scale between; give fixed 'bounds'"),
        ({"capping": "iqr"}, [0.0] * 9 + [5.0],
         r"has a single value \(0.0\) after 'iqr' capping .* Tukey fences collapse"),
        ({"capping": "percentile", "p_low": 0, "p_high": 80}, [0.0] * 9 + [5.0],
         r"has a single value \(0.0\) after 'percentile' capping .* raise 'p_high'"),
        ({"log": True}, [-2.0, 3.0], r"has values down to -2.0 but the index spec takes its log"),
    ],
)
def test_fit_errors(leaf, values, pattern):
    with pytest.raises(InputError, match=pattern):
        fit_bounds(frame(values), one_leaf(**leaf))


def test_data_needed_unless_fixed():
    with pytest.raises(InputError, match=r"reference data: none given, but 'x' have no fixed"):
        fit_bounds(None, one_leaf())


def test_input_errors(panel):
    spec = one_leaf()
    with pytest.raises(InputError, match=r"lacks the column\(s\) 'x' that the index spec uses"):
        fit_bounds(frame([1.0, 2.0], name="y"), spec)
    with pytest.raises(InputError, match=r"row 2, column 'x': 'n/a' \(region 'R1'\) is not a number"):
        fit_bounds(pd.DataFrame({"x": [1.0, "n/a"]}, index=["R0", "R1"]), spec)
    with pytest.raises(InputError, match=r"region ids repeat: 'A'; give one row per region"):
        fit_bounds(pd.DataFrame({"x": [1.0, 2.0]}, index=["A", "A"]), spec)
    with pytest.raises(InputError, match=r"lacks the variable\(s\) 'x'"):
        fit_bounds(panel, spec)
    bad_dims = xr.Dataset({"x": (("site",), [1.0, 2.0])})
    with pytest.raises(InputError, match=r"column 'x': has dims \('site',\); use \('region',\)"):
        fit_bounds(bad_dims, spec)
    text = xr.Dataset({"x": (("region",), np.array(["a", "b"]))})
    with pytest.raises(InputError, match=r"has dtype <U1; store the values as numbers"):
        fit_bounds(text, spec)
    flipped = xr.Dataset({"x": (("region",), [1.0, 2.0], {"direction": -1})})
    with pytest.raises(InputError, match=r"its attrs say direction = -1 but the index spec says 1"):
        fit_bounds(flipped, spec)
    with pytest.raises(TypeError, match=r"must be an xarray.Dataset .* got list"):
        fit_bounds([1.0, 2.0], spec)


def test_region_id_column_accepted():
    df = pd.DataFrame({"region_id": ["A", "B"], "x": [1.0, 3.0]})
    assert fit_bounds(df, one_leaf())["x"].high == 3.0


def test_adding_a_region_moves_no_other_score(panel):
    spec = demo_spec()
    bounds = fit_bounds(panel, spec)
    before = compute_index(panel, spec, bounds)
    extra = panel.isel(region=[0]).assign_coords(region=["NEW"]) * 50.0
    after = compute_index(xr.concat([panel, extra], dim="region"), spec, bounds)
    xr.testing.assert_identical(after.sel(region=panel["region"].values), before)


def test_values_beyond_bounds_clip():
    spec = one_leaf(bounds=(0, 10))
    out = compute_index(frame([-5.0, 5.0, 50.0]), spec)
    assert out["index_score"].tolist() == [0.0, 5.0, 10.0]
