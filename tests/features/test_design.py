"""Targets, design matrices, and the no-look-ahead guarantee end to end (observations to X)."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.errors import InputError
from forewarn.features import build_panel, panel_age
from forewarn.features._build import FeatureSpec, build_features
from forewarn.features._design import design_matrix, make_target

import synthetic_features as helpers  # tests/ is on the path (pyproject: pythonpath)
CATALOGUE, REGIONS, make_panel = helpers.CATALOGUE, helpers.REGIONS, helpers.make_panel

NAN = np.nan
TIMES = pd.date_range("2020-01-01", periods=8, freq="MS")


def outcome(rows):
    frame = pd.DataFrame(rows, columns=["region_id", "period", "value"])
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


# --------------------------------------------------------------------------- make_target

def test_event_target_by_hand():
    out = outcome([("A", "2020-03-01", 2), ("B", "2020-07-01", 1), ("B", "2020-02-01", 0)])
    y = make_target(out, TIMES, 2, known_from="2020-01-01", known_until="2020-08-01")
    assert y.dims == ("region", "time") and list(y["region"].values) == ["A", "B"]
    np.testing.assert_array_equal(y.values, [[1, 1, 0, 0, 0, 0, NAN, NAN],
                                             [0, 0, 0, 0, 1, 1, NAN, NAN]])
    assert y.attrs["phrase"] == "an outcome above 0 in the next 2 months"


def test_known_range_defaults_to_the_outcome_periods_and_masks_rows_outside():
    out = outcome([("A", "2020-03-01", 1), ("A", "2020-05-01", 0), ("A", "2020-07-01", 5)])
    np.testing.assert_array_equal(make_target(out, TIMES, 1).values[0],
                                  [NAN, 1, 0, 0, 0, 1, NAN, NAN])
    y = make_target(out, TIMES, 1, known_from="2020-01-01", known_until="2020-05-01")
    np.testing.assert_array_equal(y.values[0], [0, 1, 0, 0, NAN, NAN, NAN, NAN])
    assert (y.attrs["known_from"], y.attrs["known_until"]) == ("2020-01-01", "2020-05-01")


def test_a_nan_month_is_unknown_unless_an_event_settles_it():
    out = outcome([("A", "2020-03-01", NAN), ("A", "2020-04-01", 1), ("A", "2020-06-01", 0)])
    y = make_target(out, TIMES[:5], 2, known_until="2020-07-01")
    np.testing.assert_array_equal(y.values[0], [NAN, 1, 1, 0, 0])


def test_surge_compares_with_the_median_of_previous_steps():
    values = [10, 10, 10, 10, 25, 10, 0, 0]
    out = outcome([("A", t, v) for t, v in zip(TIMES, values)])
    y = make_target(out, TIMES, 1, "surge", history=4, factor=2.0)
    # The outcome starts in 2020-01 and a median needs 2 of the 4 previous steps, so 2020-02 is
    # the first step that can be told a surge or not.
    np.testing.assert_array_equal(y.values[0], [NAN, 0, 0, 1, 0, 0, 0, NAN])
    assert y.attrs["phrase"] == ("a surge above 2 x the median of the previous 4 months in the "
                                 "next 1 month")


def test_surge_history_may_start_before_the_first_step():
    months = pd.date_range("2019-09-01", periods=6, freq="MS")
    out = outcome([("A", t, v) for t, v in zip(months, [4, 4, 4, 4, 4, 9])])
    y = make_target(out, TIMES[:1], 1, "surge", history=4)
    assert y.values[0, 0] == 1.0


def test_regions_given_order_the_rows_and_a_silent_region_is_quiet():
    out = outcome([("A", "2020-03-01", 1)])
    y = make_target(out, TIMES, 1, regions=["Z", "A"], known_from="2020-01-01",
                    known_until="2020-08-01")
    np.testing.assert_array_equal(y.values[0], [0, 0, 0, 0, 0, 0, 0, NAN])
    assert list(y["region"].values) == ["Z", "A"]


def test_annual_target():
    years = pd.date_range("2010-01-01", periods=4, freq="YS")
    out = outcome([("A", "2012-01-01", 3)])
    y = make_target(out, years, 1, known_from="2010-01-01", known_until="2013-01-01")
    np.testing.assert_array_equal(y.values[0], [0, 1, 0, NAN])
    assert y.attrs["phrase"] == "an outcome above 0 in the next 1 year"


@pytest.mark.parametrize("kwargs, message", [
    ({"rule": "spike"}, r"'rule' is 'spike'; use 'event'"),
    ({"horizon": 0}, r"'horizon' is 0; use a whole number of time steps >= 1"),
    ({"history": 0, "rule": "surge"}, r"'history' is 0"),
    ({"factor": 0}, r"'factor' is 0; use a number above 0"),
])
def test_bad_target_settings_are_refused(kwargs, message):
    args = {"horizon": 1, **kwargs}
    with pytest.raises(InputError, match=message):
        make_target(outcome([("A", "2020-01-01", 1)]), TIMES, **args)


def test_bad_outcome_tables_are_refused():
    with pytest.raises(InputError, match=r"lacks the column\(s\) value \(found: region_id, "
                                         r"period\)"):
        make_target(outcome([("A", "2020-01-01", 1)]).drop(columns="value"), TIMES, 1)
    with pytest.raises(InputError, match=r"1 period\(s\) are not the first day of a time step "
                                         r"\(first: 2020-01-15\)"):
        make_target(outcome([("A", "2020-01-15", 1)]), TIMES, 1)
    with pytest.raises(InputError, match=r"1 row\(s\) repeat a region and period \(first: A "
                                         r"2020-01-01\)"):
        make_target(outcome([("A", "2020-01-01", 1), ("A", "2020-01-01", 2)]), TIMES, 1)
    with pytest.raises(InputError, match=r"1 period\(s\) are empty"):
        make_target(outcome([("A", "2020-01-01", 1), ("A", None, 2)]), TIMES, 1)
    with pytest.raises(InputError, match="the outcome is empty; pass known_from and known_until"):
        make_target(outcome([]), TIMES, 1)


# --------------------------------------------------------------------------- design_matrix

SMALL = FeatureSpec(lags=(1,), changes=(3,), rolling_mean=(), history=0, crisis_kinds=())


@pytest.fixture
def features():
    return build_features(make_panel(), CATALOGUE, None, None, SMALL)


def test_training_rows_have_their_whole_window_observed(features):
    rows = [(r, t, int(i % 5 == 0)) for r in REGIONS
            for i, t in enumerate(pd.date_range("2020-01-01", "2021-12-01", freq="MS"))]
    target = make_target(outcome(rows), features["time"].values, 3,
                         regions=features["region"].values)
    design = design_matrix(features, target, "2021-10-01", 3, "2021-06-01")
    times = design.X_train.index.get_level_values("time")
    assert times.max() == pd.Timestamp("2021-03-01")  # 2021-03 + 3 months = 2021-06
    assert design.X_train.index.names == ["region", "time"]
    assert len(design.X_train) == 3 * 15
    assert list(design.X_train.columns) == list(features.data_vars)
    assert design.y_train.index.equals(design.X_train.index)
    assert set(design.y_train.unique()) == {0.0, 1.0}
    assert design.X_origin.index.tolist() == [(r, pd.Timestamp("2021-10-01")) for r in REGIONS]
    # Missing features stay NaN rather than dropping the row.
    assert design.X_train["displaced__lag1"].isna().any()
    x, y, x0 = design  # a plain tuple too
    assert x is design.X_train and x0 is design.X_origin and y is design.y_train


def test_design_refuses_what_would_look_ahead_or_mismatch(features):
    target = make_target(outcome([("AA01", "2020-01-01", 1)]), features["time"].values, 3,
                         regions=features["region"].values, known_until="2021-12-01")
    with pytest.raises(InputError, match=r"outcome_known_until \(2021-11-01\) is after the origin "
                                         r"\(2021-10-01\)"):
        design_matrix(features, target, "2021-10-01", 3, "2021-11-01")
    with pytest.raises(InputError, match=r"the origin 2022-01-01 is not a time step of the "
                                         r"features \(2020-01-01 .. 2021-12-01\)"):
        design_matrix(features, target, "2022-01-01", 3, "2021-06-01")
    with pytest.raises(InputError, match=r"'horizon' is 0; use a whole number"):
        design_matrix(features, target, "2021-10-01", 0, "2021-06-01")
    with pytest.raises(InputError, match=r"made for a horizon of 3 steps, not 6"):
        design_matrix(features, target, "2021-10-01", 6, "2021-06-01")
    with pytest.raises(InputError, match=r"the target's regions differ from the features'"):
        design_matrix(features, target.isel(region=[0, 1]), "2021-10-01", 3, "2021-06-01")


# --------------------------------------------------------------------------- no look-ahead

ORIGIN, AS_OF, OUTCOME_KNOWN = "2020-12-01", "2020-12-31", "2020-09-01"
HORIZON = 3


def observations() -> pd.DataFrame:
    """Monthly displacement and annual population and governance with revisions, 2019-2021."""
    rng = np.random.default_rng(7)
    months = pd.period_range("2019-01", "2021-12", freq="M")
    years = pd.period_range("2018", "2021", freq="Y")
    frames = []
    for ind, periods, lag in (("displaced", months, 30), ("population", years, 180),
                              ("gov", years, 180)):
        grid = pd.MultiIndex.from_product([REGIONS, periods], names=["region_id", "p"])
        frame = grid.to_frame(index=False)
        frame["indicator"] = ind
        frame["period"] = frame["p"].astype(str)
        frame["value"] = rng.uniform(100, 1000, len(frame)) * (1e4 if ind == "population" else 1)
        frame["published"] = (frame["p"].map(lambda p: p.end_time.normalize())
                              + pd.Timedelta(days=lag))
        # A second vintage of every tenth period, published four months after the first.
        revised = frame.iloc[::10].assign(value=lambda f: f["value"] * 1.1,
                                          published=lambda f: f["published"] + pd.DateOffset(
                                              months=4))
        frames += [frame, revised]
    return pd.concat(frames, ignore_index=True).drop(columns="p")


def the_outcome() -> pd.DataFrame:
    months = pd.date_range("2019-01-01", "2021-12-01", freq="MS")
    rng = np.random.default_rng(3)
    return pd.DataFrame({"region_id": np.repeat(REGIONS, len(months)),
                         "period": np.tile(months, len(REGIONS)),
                         "value": rng.integers(0, 2, len(REGIONS) * len(months))})


def the_events() -> pd.DataFrame:
    return pd.DataFrame({
        "region_id": ["AA01", "AA02", "BB01"],
        "start": pd.to_datetime(["2019-05-02", "2020-08-15", "2021-02-01"]),
        "end": pd.to_datetime(["2019-09-30", None, None]),
        "kind": ["conflict", "conflict", "disaster"],
        "magnitude": [1000.0, 5000.0, 300.0],
    })


def design_at_origin(obs, outcome_table, events, regions, as_of=AS_OF):
    spec = FeatureSpec(lags=(1,), changes=(3,), growth=(3,), rolling_mean=(6,), history=12,
                       spatial_lag=("displaced__change3",))
    panel = build_panel(obs, CATALOGUE, REGIONS, as_of, start="2019-01")
    age = panel_age(obs, CATALOGUE, REGIONS, as_of, start="2019-01")
    features = build_features(panel, CATALOGUE, events, regions, spec, age=age).sel(
        time=slice(None, ORIGIN))
    target = make_target(outcome_table, features["time"].values, HORIZON,
                         regions=features["region"].values, known_until=OUTCOME_KNOWN)
    return design_matrix(features, target, ORIGIN, HORIZON, OUTCOME_KNOWN)


def test_nothing_published_after_the_origin_changes_the_design(tiny_regions):
    obs, out, events = observations(), the_outcome(), the_events()
    before = design_at_origin(obs, out, events, tiny_regions)

    cutoff = pd.Timestamp(AS_OF)
    later = obs["published"] > cutoff
    assert later.any() and (~later).any()
    # Every later observation changes, and late revisions of early periods appear.
    perturbed = pd.concat([
        obs.assign(value=np.where(later, obs["value"] * 7 + 3, obs["value"])),
        obs.loc[~later].assign(value=lambda f: f["value"] * 5,
                               published=cutoff + pd.Timedelta(days=1)),
    ], ignore_index=True)
    out_perturbed = out.assign(value=np.where(out["period"] > OUTCOME_KNOWN, 1 - out["value"],
                                              out["value"]))
    events_perturbed = pd.concat([
        events.assign(magnitude=np.where(events["start"] > cutoff, 9e9, events["magnitude"])),
        pd.DataFrame({"region_id": ["AA01"], "start": pd.to_datetime(["2021-01-10"]),
                      "end": [pd.NaT], "kind": ["conflict"], "magnitude": [1.0]}),
    ], ignore_index=True)
    after = design_at_origin(perturbed, out_perturbed, events_perturbed, tiny_regions)

    pd.testing.assert_frame_equal(before.X_train, after.X_train)
    pd.testing.assert_series_equal(before.y_train, after.y_train)
    pd.testing.assert_frame_equal(before.X_origin, after.X_origin)
    assert len(before.X_train) > 0 and before.X_origin.notna().any().all()

    # The same perturbation seen from a later as-of date does change the features: the test
    # above would notice a leak.
    leaky = design_at_origin(perturbed, out_perturbed, events_perturbed, tiny_regions,
                             as_of="2021-12-31")
    assert not before.X_origin.equals(leaky.X_origin)


def test_features_from_a_dask_backed_as_of_panel_are_identical(tiny_regions):
    spec = FeatureSpec(changes=(3,), history=12, spatial_lag=("displaced__change3",))
    panel = build_panel(observations(), CATALOGUE, REGIONS, AS_OF, start="2019-01")
    age = panel_age(observations(), CATALOGUE, REGIONS, AS_OF, start="2019-01")
    eager = build_features(panel, CATALOGUE, the_events(), tiny_regions, spec, age=age)
    lazy = build_features(panel.chunk({"region": 2}), CATALOGUE, the_events(), tiny_regions,
                          spec, age=age.chunk({"region": 2}))
    assert lazy["displaced__imputed"].chunks is not None
    xr.testing.assert_identical(eager, lazy.compute())


# --------------------------------------------------------------------------- unknown outcome

def test_an_unreported_year_is_unknown_never_zero():
    years = pd.date_range("2010-01-01", periods=5, freq="YS")
    # Reported 2010, 2011 and 2013; 2012 has no row (the country did not report).
    out = outcome([("A", "2010-01-01", 3), ("A", "2011-01-01", 0), ("A", "2013-01-01", 0)])
    zero = make_target(out, years, 1, known_until="2014-01-01")
    unknown = make_target(out, years, 1, known_until="2014-01-01", missing="unknown")
    # The target of year t is the outcome of t + 1: 2011 looks ahead to 2012.
    np.testing.assert_array_equal(zero.values[0], [0, 0, 0, 0, NAN])
    np.testing.assert_array_equal(unknown.values[0], [0, NAN, 0, NAN, NAN])
    assert unknown.attrs["missing"] == "unknown" and zero.attrs["missing"] == "zero"
    # A region with no row at all is unknown throughout, not quiet.
    silent = make_target(out, years, 1, regions=["Z", "A"], known_until="2014-01-01",
                         missing="unknown")
    assert np.isnan(silent.values[0]).all()


def test_an_event_still_settles_a_window_with_an_unknown_step():
    out = outcome([("A", "2020-03-01", 2), ("A", "2020-06-01", 0)])
    y = make_target(out, TIMES, 2, known_from="2020-01-01", known_until="2020-08-01",
                    missing="unknown")
    # Windows (t+1, t+2): Jan -> Feb, Mar: event; Feb -> Mar, Apr: event; Apr -> May, Jun:
    # May unknown and no event, so unknown.
    np.testing.assert_array_equal(y.values[0], [1, 1, NAN, NAN, NAN, NAN, NAN, NAN])


def test_unknown_rows_are_left_out_of_training_and_counted(features):
    months = pd.date_range("2020-01-01", "2021-12-01", freq="MS")
    rows = [(r, t, int(i % 5 == 0)) for r in REGIONS for i, t in enumerate(months)
            if not (r == REGIONS[0] and t.month == 7)]              # July never reported
    full = make_target(outcome(rows), features["time"].values, 1,
                       regions=features["region"].values, known_until="2021-12-01",
                       missing="zero")
    holes = make_target(outcome(rows), features["time"].values, 1,
                        regions=features["region"].values, known_until="2021-12-01",
                        missing="unknown")
    with_zero = design_matrix(features, full, "2021-10-01", 1, "2021-10-01")
    without = design_matrix(features, holes, "2021-10-01", 1, "2021-10-01")
    # The target of June looks at July: two Junes (2020, 2021) of the first region go.
    assert len(with_zero.y_train) - len(without.y_train) == 2
    assert without.y_train.attrs["n_unknown"] == 2 and with_zero.y_train.attrs["n_unknown"] == 0
    dropped = with_zero.y_train.index.difference(without.y_train.index)
    assert [t.month for t in dropped.get_level_values("time")] == [6, 6]
    assert set(dropped.get_level_values("region")) == {REGIONS[0]}


def test_bad_missing_rule_is_refused():
    with pytest.raises(InputError, match=r"'missing' is 'nan'; use 'zero' \(no row means quiet\) "
                                         r"or 'unknown'"):
        make_target(outcome([("A", "2020-01-01", 1)]), TIMES, 1, missing="nan")


# --------------------------------------------------------------------------- surge rules

def test_surge_needs_a_minimum_rise_as_well_as_the_factor():
    years = pd.date_range("2010-01-01", periods=6, freq="YS")
    # A small count tripling (1 -> 3) and a large one rising by 30 %.
    out = outcome([("A", t, v) for t, v in zip(years, [1, 1, 1, 3, 1, 1])]
                  + [("B", t, v) for t, v in zip(years, [100, 100, 100, 230, 130, 100])])
    plain = make_target(out, years.shift(-1), 1, "surge", history=3)
    strict = make_target(out, years.shift(-1), 1, "surge", history=3, min_excess=25)
    # The target at t - 1 is the event of t; 2011 has too little history (1 of 3).
    np.testing.assert_array_equal(plain.values, [[NAN, NAN, 0, 1, 0, 0],
                                                 [NAN, NAN, 0, 1, 0, 0]])
    np.testing.assert_array_equal(strict.values, [[NAN, NAN, 0, 0, 0, 0],
                                                  [NAN, NAN, 0, 1, 0, 0]])
    assert strict.attrs["min_excess"] == 25.0
    assert "and at least 25 above it" in strict.attrs["phrase"]
    with pytest.raises(InputError, match=r"'min_excess' is -1; use a number >= 0"):
        make_target(out, years, 1, "surge", min_excess=-1)


def test_outcome_events_and_surge_counts_per_year():
    from forewarn.features import count_surges, outcome_events

    years = pd.date_range("2010-01-01", periods=5, freq="YS")
    out = outcome([("A", t, v) for t, v in zip(years, [10, 10, 10, 40, 10])]
                  + [("B", t, v) for t, v in zip(years, [1, 1, 1, 5, 1])]
                  + [("C", years[0], 10), ("C", years[3], 90)])       # C silent 2011-2012
    events = outcome_events(out, frequency="annual", history=3, missing="unknown")
    assert list(events["time"].values) == list(years.values)
    np.testing.assert_array_equal(events.sel(region="A").values, [NAN, NAN, 0, 1, 0])
    # C: one known year of three before 2013, so 2013 cannot be told.
    assert np.isnan(events.sel(region="C").values).all()
    table = count_surges(out, {"x2": {"history": 3},
                               "x2_min10": {"history": 3, "min_excess": 10}})
    assert table.index.tolist() == [2012, 2013, 2014]
    assert table.loc[2013].tolist() == [2, 1, 2]         # A and B double; only A by 10 or more
    assert table["known"].tolist() == [2, 2, 2]
    with pytest.raises(InputError, match=r"no rules given"):
        count_surges(out, {})
    with pytest.raises(InputError, match=r"'frequency' is 'weekly'; use 'monthly' or 'annual'"):
        outcome_events(out, frequency="weekly")
