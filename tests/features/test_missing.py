"""Carrying values forward a limited time, flagging each carried value, and the share imputed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.errors import InputError
from forewarn.features import Catalogue, Indicator, build_panel, panel_age
from forewarn.features._missing import carry_forward, imputed_share

TIMES = pd.date_range("2020-01-01", periods=6, freq="MS")
NAN = np.nan
DISP = Indicator("disp", "People displaced", "persons", "t", "monthly", 30, 1)


def gappy():
    values = np.array([[1.0, NAN, NAN, NAN, 5.0, NAN], [NAN, NAN, 2.0, 3.0, NAN, 4.0]])
    return xr.Dataset({"disp": (("region", "time"), values, DISP.to_attrs())},
                      coords={"region": ["A", "B"], "time": TIMES})


def test_gaps_are_filled_up_to_the_limit_and_flagged():
    out = carry_forward(gappy(), 2)
    np.testing.assert_array_equal(out["disp"].values, [[1, 1, 1, NAN, 5, 5],
                                                       [NAN, NAN, 2, 3, 3, 4]])
    np.testing.assert_array_equal(out["disp__imputed"].values, [[0, 1, 1, 0, 0, 1],
                                                                [0, 0, 0, 0, 1, 0]])
    flag = out["disp__imputed"]
    assert flag.dtype == np.int8
    assert flag.attrs["kind"] == "flag" and flag.attrs["direction"] == 0
    assert flag.attrs["indicator"] == "disp"
    assert flag.attrs["phrase"] == "people displaced carried forward from an earlier period"


def test_limit_zero_carries_nothing():
    out = carry_forward(gappy(), 0)
    xr.testing.assert_identical(out["disp"], gappy()["disp"])
    assert not out["disp__imputed"].values.any()


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_limit_is_refused(bad):
    with pytest.raises(InputError, match=rf"'carry_forward' is {bad!r}; use a whole number of "
                                         r"periods >= 0"):
        carry_forward(gappy(), bad)


def stopped_publishing():
    """Monthly values for January to June 2020, each published 30 days after its month."""
    months = pd.period_range("2020-01", "2020-06", freq="M")
    return pd.DataFrame({"region_id": "A", "indicator": "disp",
                         "period": months.strftime("%Y-%m"), "value": np.arange(1.0, 7.0),
                         "published": months.end_time.normalize() + pd.Timedelta(days=30)})


def test_with_age_overdue_values_are_flagged_then_dropped():
    cat = Catalogue((DISP,))
    obs = stopped_publishing()
    panel = build_panel(obs, cat, ["A"], "2020-12-31", start="2020-01")
    age = panel_age(obs, cat, ["A"], "2020-12-31", start="2020-01")
    # The as-of panel repeats June's value from July on; July's was due in August, and with up
    # to a month of slack for the lag, June's counts as carried from September.
    np.testing.assert_array_equal(panel["disp"].values[0, 6:], [6] * 6)
    out = carry_forward(panel, 2, age)
    np.testing.assert_array_equal(out["disp"].values[0],
                                  [NAN, NAN, 2, 3, 4, 5, 6, 6, 6, 6, NAN, NAN])
    np.testing.assert_array_equal(out["disp__imputed"].values[0],
                                  [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0])


def test_with_age_an_annual_value_is_on_time_for_a_year_and_a_lag():
    gov = Indicator("gov", "Governance", "score", "t", "annual", 180, -1)
    obs = pd.DataFrame({"region_id": ["A"], "indicator": ["gov"], "period": ["2019"],
                        "value": [50.0], "published": pd.to_datetime(["2020-06-28"])})
    cat = Catalogue((gov,))
    panel = build_panel(obs, cat, ["A"], "2021-12-31", start="2020-01")
    out = carry_forward(panel, 1, panel_age(obs, cat, ["A"], "2021-12-31", start="2020-01"))
    flags = out["gov__imputed"].values[0]
    # 2020's value was due by the end of June 2021 (+ up to a month of slack for the lag).
    assert not flags[:18].any() and flags[18:].all()
    assert np.isfinite(out["gov"].values[0, 5:]).all()


def test_age_must_match_the_panel():
    panel = gappy()
    with pytest.raises(InputError, match="holds no age for disp; compute it with panel_age"):
        carry_forward(panel, 1, xr.Dataset(coords=panel.coords))
    with pytest.raises(InputError, match="has other regions or time steps than the panel"):
        carry_forward(panel, 1, panel.isel(time=slice(0, 3)))


def test_age_needs_the_catalogue_attrs():
    panel = gappy()
    panel["disp"].attrs = {}
    with pytest.raises(InputError, match="variable 'disp' lacks the catalogue attrs 'frequency' "
                                         "and 'publication_lag_days'"):
        carry_forward(panel, 1, panel)


def test_dask_chunked_panel_gives_identical_results():
    eager = carry_forward(gappy(), 2)
    lazy = carry_forward(gappy().chunk({"region": 1}), 2)
    assert lazy["disp__imputed"].chunks is not None
    xr.testing.assert_identical(eager, lazy.compute())


def test_imputed_share_per_region_over_all_steps_or_one():
    out = carry_forward(gappy(), 2)
    share = imputed_share(out)
    assert share.name == "imputed_share" and share.index.name == "region_id"
    # A: 5 values present, 3 carried; B: 4 present, 1 carried.
    np.testing.assert_allclose(share.loc[["A", "B"]], [3 / 5, 1 / 4])
    at = imputed_share(out, "2020-05-01")
    np.testing.assert_allclose(at.loc[["A", "B"]], [0.0, 1.0])
    assert np.isnan(imputed_share(out, "2020-04-01").loc["A"])  # nothing to share out


def test_imputed_share_errors_say_what_to_do():
    with pytest.raises(InputError, match="holds no '<name>__imputed' flags"):
        imputed_share(gappy())
    with pytest.raises(InputError, match="has no time step 2030-01-01"):
        imputed_share(carry_forward(gappy(), 1), "2030-01")
