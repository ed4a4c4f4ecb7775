"""Transforms of one variable: hand-computed values, attrs, errors, numpy == dask."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.errors import InputError
from forewarn.features._transforms import (
    _check_panel,
    _time_step,
    change,
    growth,
    lag,
    level,
    log1p,
    per_capita,
    relative_to_history,
    rolling_max,
    rolling_mean,
)

import synthetic_features as helpers  # tests/ is on the path (pyproject: pythonpath)
TIMES, make_panel, series = helpers.TIMES, helpers.make_panel, helpers.series
RAMP = np.arange(24, dtype=float)


def test_lag_shifts_back_in_time():
    out = lag(series(RAMP), 3)
    assert out.name == "x__lag3"
    np.testing.assert_array_equal(out.values[0], np.r_[[np.nan] * 3, RAMP[:-3]])


def test_change_is_difference_over_window():
    out = change(series(RAMP ** 2), 2)
    np.testing.assert_array_equal(out.values[0, 2:5], [4.0 - 0, 9 - 1, 16 - 4])
    assert np.isnan(out.values[0, :2]).all()


def test_growth_is_relative_and_nan_without_a_positive_base():
    x = np.r_[0.0, 2.0, 3.0, -1.0, 4.0, np.full(19, 4.0)]
    out = growth(series(x), 1)
    np.testing.assert_allclose(out.values[0, :6], [np.nan, np.nan, 0.5, -4 / 3, np.nan, 0.0])
    assert out.attrs["units"] == "-"


def test_rolling_mean_and_max_need_half_the_window():
    x = np.r_[1.0, np.nan, np.nan, 4.0, 5.0, np.full(19, 5.0)]
    mean = rolling_mean(series(x), 4)
    high = rolling_max(series(x), 4)
    # Window of 4 needs 2 values: step 0 has 1, steps 1-2 have 1, step 3 has 2 (1 and 4).
    np.testing.assert_allclose(mean.values[0, :5], [np.nan, np.nan, np.nan, 2.5, 4.5])
    np.testing.assert_allclose(high.values[0, :5], [np.nan, np.nan, np.nan, 4.0, 5.0])


def test_rolling_window_longer_than_the_series_still_works():
    out = rolling_mean(series(RAMP), 40)
    assert np.isnan(out.values[0, :19]).all()
    assert out.values[0, 19] == pytest.approx(RAMP[:20].mean())
    assert out["time"].equals(series(RAMP)["time"])


def test_relative_to_history_leaves_the_current_step_out():
    x = np.r_[np.full(12, 10.0), 40.0, np.full(11, 10.0)]
    out = relative_to_history(series(x), 6)
    assert np.isnan(out.values[0, :3]).all()  # fewer than 3 previous steps known
    assert out.values[0, 3] == 1.0
    assert out.values[0, 12] == 4.0  # the spike is compared with its past, not itself
    assert out.values[0, 13] == 1.0  # the median shrugs the spike off
    assert out.name == "x__rel6"


def test_relative_to_history_is_nan_on_a_zero_median():
    out = relative_to_history(series(np.r_[np.zeros(12), np.full(12, 5.0)]), 6)
    assert np.isnan(out.values[0, 12])


def test_log1p_and_per_capita():
    panel = make_panel()
    assert log1p(panel["gov"]).values[0, 0] == pytest.approx(np.log(61.0))
    rate = per_capita(panel["displaced"], panel["population"])
    assert rate.values[1, 0] == pytest.approx(2000 / 2e6 * 1e5)
    assert rate.name == "displaced__per100k"
    zero = panel["population"].where(panel["region"] != "AA02", 0.0)
    assert np.isnan(per_capita(panel["displaced"], zero).values[1]).all()


def test_per_capita_needs_the_same_coordinates():
    panel = make_panel()
    with pytest.raises(ValueError, match="on the same regions and time steps"):
        per_capita(panel["displaced"], panel["population"].isel(region=[0, 1]))


def test_attrs_name_indicator_chain_direction_units_and_phrase():
    panel = make_panel()
    base = per_capita(level(panel["displaced"]), level(panel["population"]))
    out = change(base, 6)
    assert out.attrs == {
        "indicator": "displaced",
        "transform": "per_capita 100k; change 6",
        "direction": 1,
        "units": "persons per 100k persons",
        "phrase": "change in people displaced per 100,000 people over the last 6 months",
        "kind": "value",
        "lever": 0,
        "dimension": "hazard/displacement",
    }
    gov = rolling_mean(log1p(panel["gov"]), 12)
    assert gov.attrs["direction"] == -1 and gov.attrs["lever"] == 1
    assert gov.attrs["transform"] == "log1p; rolling_mean 12"
    assert gov.attrs["phrase"] == ("average government effectiveness (log scale) over the last "
                                   "12 months")


def test_level_keeps_name_and_values_and_says_none():
    out = level(make_panel()["gov"])
    assert out.name == "gov" and out.attrs["transform"] == "none"
    assert out.attrs["phrase"] == "government effectiveness"
    assert lag(out, 1).attrs["transform"] == "lag 1"


def test_phrase_keeps_acronyms_and_speaks_in_years_on_an_annual_panel():
    years = pd.date_range("2000-01-01", periods=6, freq="YS")
    x = series(np.arange(6.0), times=years, long_name="GDP per capita")
    assert lag(x, 1).attrs["phrase"] == "GDP per capita 1 year earlier"
    assert change(x, 2).attrs["phrase"] == "change in GDP per capita over the last 2 years"


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "3"])
@pytest.mark.parametrize("func", [lag, change, growth, rolling_mean, rolling_max,
                                  relative_to_history])
def test_bad_window_is_refused(func, bad):
    with pytest.raises(ValueError, match=rf"parameter of {func.__name__} must be a whole number "
                                         rf"of time steps >= 1\. Got {bad!r}"):
        func(series(RAMP), bad)


def test_window_of_one_is_allowed():
    np.testing.assert_array_equal(rolling_mean(series(RAMP), 1).values[0], RAMP)


def test_wrong_dims_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"lag needs a DataArray with dims \('region', 'time'\); "
                                         r"got \('time', 'region'\).*transpose"):
        lag(series(RAMP).T, 1)


def test_irregular_time_axis_is_refused():
    gappy = TIMES.delete(5)
    x = series(np.arange(23.0), times=gappy)
    with pytest.raises(InputError, match="not a regular series of month or year starts"):
        lag(x, 1)
    assert _time_step(pd.date_range("2000", periods=3, freq="YS")) == 12


def test_check_panel_names_what_it_found():
    with pytest.raises(InputError, match="must be an xarray.Dataset; got DataArray"):
        _check_panel(series(RAMP))
    with pytest.raises(InputError, match=r"found 'x' \('time', 'region'\)"):
        _check_panel(series(RAMP).T.to_dataset())


TRANSFORMS = [
    lambda p: lag(p["displaced"], 2),
    lambda p: change(p["displaced"], 3),
    lambda p: growth(p["displaced"], 3),
    lambda p: rolling_mean(p["displaced"], 6),
    lambda p: rolling_max(p["displaced"], 40),
    lambda p: relative_to_history(p["displaced"], 6),
    lambda p: log1p(p["gov"]),
    lambda p: per_capita(p["displaced"], p["population"]),
]


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_dask_chunked_panel_gives_identical_results(transform):
    panel = make_panel()
    eager = transform(panel)
    lazy = transform(panel.chunk({"region": 1}))
    assert lazy.chunks is not None
    xr.testing.assert_identical(eager, lazy.compute())



def test_the_input_keeps_its_attrs():
    panel = make_panel()
    before = dict(panel["gov"].attrs)
    level(panel["gov"])
    lag(panel["gov"], 1)
    assert panel["gov"].attrs == before
