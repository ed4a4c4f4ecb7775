"""The as-of rule: what was not yet published is invisible; a revision replaces its vintage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.errors import InputError
from forewarn.features import Catalogue, Indicator, build_panel, panel_age, panel_times

CAT = Catalogue((
    Indicator("gov", "Governance", "score", "t", "annual", 270, -1),
    Indicator("disp", "Displaced", "persons", "t", "monthly", 30, 1),
))


def obs(rows):
    frame = pd.DataFrame(rows, columns=["region_id", "indicator", "period", "value", "published"])
    frame["published"] = pd.to_datetime(frame["published"])
    return frame


def test_value_published_after_as_of_is_invisible():
    o = obs([("A", "disp", "2020-01", 5.0, "2020-02-20"), ("A", "disp", "2020-02", 7.0,
                                                            "2020-03-25")])
    before = build_panel(o, CAT, ["A"], "2020-03-24", start="2020-01")
    after = build_panel(o, CAT, ["A"], "2020-03-25", start="2020-01")
    np.testing.assert_array_equal(before["disp"].values, [[np.nan, 5.0, 5.0]])
    np.testing.assert_array_equal(after["disp"].values, [[np.nan, 5.0, 7.0]])


def test_annual_value_carried_only_from_the_month_it_was_published():
    o = obs([("A", "gov", "2020", 40.0, "2021-09-28"), ("A", "gov", "2021", 45.0, "2022-09-27")])
    p = build_panel(o, CAT, ["A"], "2022-12-31", start="2021-01")
    gov = p["gov"].sel(region="A").to_series()
    assert gov[:"2021-08"].isna().all()
    assert (gov["2021-09":"2022-08"] == 40.0).all()
    assert (gov["2022-09":] == 45.0).all()


def test_revision_replaces_the_earlier_vintage_but_not_its_first_date():
    o = obs([("A", "disp", "2020-01", 5.0, "2020-02-20"),
             ("A", "disp", "2020-01", 9.0, "2020-06-10")])
    early = build_panel(o, CAT, ["A"], "2020-05-31", start="2020-01")
    late = build_panel(o, CAT, ["A"], "2020-06-30", start="2020-01")
    assert early["disp"].sel(time="2020-02").item() == 5.0
    # As of June the revised value is the one known, shown from its first publication on.
    assert late["disp"].sel(time="2020-02").item() == 9.0
    assert np.isnan(late["disp"].sel(time="2020-01").item())


def test_latest_period_wins_even_when_published_out_of_order():
    o = obs([("A", "disp", "2020-02", 2.0, "2020-03-05"),
             ("A", "disp", "2020-01", 1.0, "2020-04-05")])
    p = build_panel(o, CAT, ["A"], "2020-04-30", start="2020-01")
    np.testing.assert_array_equal(p["disp"].values, [[np.nan, np.nan, 2.0, 2.0]])


def test_dims_coords_and_attrs():
    o = obs([("B", "gov", "2019", 1.0, "2020-01-01"), ("A", "disp", "2020-01", 2.0,
                                                         "2020-02-02")])
    p = build_panel(o, CAT, ["A", "B", "C"], "2020-03-31", start="2020-01")
    assert p["gov"].dims == ("region", "time")
    assert list(p["region"].values) == ["A", "B", "C"]
    assert p["time"].values[0] == np.datetime64("2020-01-01")
    assert p["gov"].attrs["direction"] == -1 and p["gov"].attrs["units"] == "score"
    assert p.attrs["as_of"] == "2020-03-31"
    # Published before the panel starts: known from the first month.
    assert p["gov"].sel(region="B").values.tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(p["gov"].sel(region="C").values).all()


def test_annual_panel_frequency():
    o = obs([("A", "gov", "2019", 1.0, "2020-09-27"), ("A", "gov", "2020", 2.0, "2021-09-27"),
             ("A", "disp", "2020-11", 5.0, "2020-12-30")])
    p = build_panel(o, CAT, ["A"], "2021-12-31", frequency="annual", start="2019")
    assert list(pd.DatetimeIndex(p["time"].values).year) == [2019, 2020, 2021]
    np.testing.assert_array_equal(p["gov"].values, [[np.nan, 1.0, 2.0]])
    np.testing.assert_array_equal(p["disp"].values, [[np.nan, 5.0, 5.0]])


def test_panel_age_in_months():
    o = obs([("A", "gov", "2020", 40.0, "2021-09-28")])
    age = panel_age(o, CAT, ["A"], "2021-12-31", start="2021-08")
    # 2020 ends with December 2020: at the end of September 2021 the value is 9 months old.
    np.testing.assert_array_equal(age["gov"].values, [[np.nan, 9.0, 10.0, 11.0, 12.0]])
    assert age["gov"].attrs["units"] == "months"


def test_region_order_changes_nothing(tiny_observations, tiny_catalogue_text, tmp_path):
    from forewarn.features import load_catalogue
    from forewarn.features._validate import validate_observations

    (tmp_path / "c.toml").write_text(tiny_catalogue_text)
    cat = load_catalogue(tmp_path / "c.toml")
    tiny_observations.to_csv(tmp_path / "o.csv", index=False)
    o = validate_observations(tmp_path / "o.csv", cat)
    a = build_panel(o, cat, ["AA01", "AA02", "BB01"], "2021-12-31")
    b = build_panel(o.sample(frac=1, random_state=1), cat, ["BB01", "AA01", "AA02"],
                    "2021-12-31")
    xr.testing.assert_identical(a, b.sel(region=["AA01", "AA02", "BB01"]))


def test_as_of_before_start_is_an_input_error():
    with pytest.raises(InputError, match=r"as_of \(2019-01-01\) is before the panel start"):
        panel_times("2020-01", "2019-01-01")


def test_bad_frequency():
    with pytest.raises(InputError, match=r"'frequency' is 'weekly'; use 'monthly' or 'annual'"):
        panel_times("2020-01", "2021-01-01", "weekly")


def test_demo_panel_as_of_hides_the_future(demo_world):
    """On the demo world: nothing published after as_of leaks into the panel."""
    from forewarn.features._periods import parse_periods

    as_of = pd.Timestamp("2015-06-30")
    world_obs = demo_world.observations
    p = build_panel(world_obs, demo_world.catalogue, demo_world.regions.index, as_of,
                    start="2005-01")
    assert pd.Timestamp(p["time"].values[-1]) == pd.Timestamp("2015-06-01")
    # Perturb everything published later: the panel does not move.
    later = world_obs["published"] > as_of
    moved = world_obs.assign(value=np.where(later, world_obs["value"] * 3 + 1, world_obs["value"]))
    q = build_panel(moved, demo_world.catalogue, demo_world.regions.index, as_of, start="2005-01")
    xr.testing.assert_identical(p, q)
    # State capacity for 2014 is published in the autumn of 2015: in June 2015 the newest is 2013.
    known = world_obs[(world_obs.published <= as_of) & (world_obs.indicator == "state_capacity")]
    assert parse_periods(known["period"])["start"].max() // 12 == 2013
    assert p["state_capacity"].isel(time=-1).notnull().mean() > 0.9
