"""FeatureSpec validation (boundaries, config errors) and build_features end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from forewarn.errors import InputError
from forewarn.features import Catalogue
from forewarn.features._build import FeatureSpec, build_features

import synthetic_features as helpers  # tests/ is on the path (pyproject: pythonpath)
CATALOGUE, make_panel, crisis_events = helpers.CATALOGUE, helpers.make_panel, helpers.crisis_events

SPEC = FeatureSpec(lags=(1,), changes=(3,), growth=(3,), rolling_mean=(6,), rolling_max=(6,),
                   history=6, carry_forward=2,
                   spatial_lag=("displaced__change3", "crisis_conflict__ongoing"))


# --------------------------------------------------------------------------- FeatureSpec

@pytest.mark.parametrize("field", ["lags", "changes", "growth", "rolling_mean", "rolling_max"])
def test_window_of_one_is_the_smallest_allowed(field):
    assert getattr(FeatureSpec(**{field: (1,)}), field) == (1,)
    with pytest.raises(InputError, match=rf"'{field}' holds 0; every window must be a whole "
                                         r"number of time steps >= 1"):
        FeatureSpec(**{field: (0,)})


@pytest.mark.parametrize("bad", [-2, 2.5, True])
def test_windows_must_be_whole_positive_numbers(bad):
    with pytest.raises(InputError, match=rf"'lags' holds {bad!r}"):
        FeatureSpec(lags=(3, bad))


def test_a_repeated_window_or_a_scalar_is_refused():
    with pytest.raises(InputError, match=r"'changes' repeats a window \(\[3, 3\]\)"):
        FeatureSpec(changes=(3, 3))
    with pytest.raises(InputError, match=r"'lags' is 3; use a list of whole numbers"):
        FeatureSpec(lags=3)


@pytest.mark.parametrize("field, lowest", [("history", 0), ("carry_forward", 0),
                                           ("crisis_cap", 1)])
def test_whole_number_fields_at_their_boundary(field, lowest):
    assert getattr(FeatureSpec(**{field: lowest}), field) == lowest
    with pytest.raises(InputError, match=rf"'{field}' is {lowest - 1}; use a whole number >= "
                                         rf"{lowest}"):
        FeatureSpec(**{field: lowest - 1})


def test_names_must_be_unique_and_crisis_kinds_simple():
    with pytest.raises(InputError, match=r"'indicators' repeats a name"):
        FeatureSpec(indicators=("gov", "gov"))
    with pytest.raises(InputError, match=r"'crisis_kinds' entry 'Armed conflict' is not a "
                                         "simple name"):
        FeatureSpec(crisis_kinds=("Armed conflict",))
    with pytest.raises(InputError, match=r"'spatial_lag' is \(''\,\); use a list of names"):
        FeatureSpec(spatial_lag=("",))


def test_from_config_turns_lists_into_tuples_and_round_trips():
    spec = FeatureSpec.from_config({"lags": [1, 12], "crisis_kinds": ["conflict"]})
    assert spec.lags == (1, 12) and spec.crisis_kinds == ("conflict",)
    assert FeatureSpec.from_config(json.loads(json.dumps(spec.to_dict()))) == spec


def test_from_config_lists_every_problem_with_a_suggestion():
    with pytest.raises(InputError) as err:
        FeatureSpec.from_config({"lag": [3], "history": -1, "changes": [0]})
    text = str(err.value)
    assert text.startswith("3 problems found:")
    assert "config [features], column 'lag': unknown field 'lag'. Did you mean 'lags'?" in text
    assert "'history' is -1; use a whole number >= 0 (0 leaves it out)." in text
    assert "'changes' holds 0" in text


def test_from_config_refuses_a_non_table():
    with pytest.raises(InputError, match="must be a table of fields; got list"):
        FeatureSpec.from_config([1, 2], source="forewarn.toml [features]")


# --------------------------------------------------------------------------- build_features

@pytest.fixture
def features(tiny_regions):
    return build_features(make_panel(), CATALOGUE, crisis_events(), tiny_regions, SPEC)


def test_builds_every_feature_in_order(features):
    per_indicator = ["", "__lag1", "__change3", "__growth3", "__mean6", "__max6", "__rel6",
                     "__imputed"]
    expected = [i + s for i in ("displaced", "population", "gov") for s in per_indicator]
    expected += [f"crisis_{k}__{s}" for k in ("conflict", "disaster")
                 for s in ("since", "seen", "magnitude", "ongoing")]
    expected += ["displaced__change3__splag", "crisis_conflict__ongoing__splag"]
    assert list(features.data_vars) == expected
    assert all(v.dims == ("region", "time") for v in features.data_vars.values())


def test_every_feature_says_where_it_comes_from(features):
    for name, var in features.data_vars.items():
        assert {"indicator", "transform", "direction", "units", "phrase", "kind"} <= set(
            var.attrs), name
        assert var.attrs["direction"] in (-1, 0, 1), name
    assert features["gov__change3"].attrs["direction"] == -1
    assert features["displaced__imputed"].attrs["kind"] == "flag"
    assert json.loads(features.attrs["feature_spec"])["history"] == 6
    assert features.attrs["as_of"] == "2021-12-31"


def test_values_on_the_catalogue_scale(features):
    panel = make_panel()
    # displaced is per 100k persons; gov is log1p; growth and history use the scale before log.
    np.testing.assert_allclose(features["displaced"].values[1, 0], 2000 / 2e6 * 1e5)
    np.testing.assert_allclose(features["gov"].values[:, 0], np.log1p([60.0, 20.0, 45.0]))
    np.testing.assert_allclose(features["gov__growth3"].values[1, 12], 25 / 20 - 1)
    np.testing.assert_allclose(features["gov__rel6"].values[1, 12], 25 / 20)
    np.testing.assert_allclose(features["population"].values, panel["population"].values)


def test_gaps_are_carried_within_the_limit_and_flagged(features):
    # AA01 has no displacement value in months 10-12; the limit of 2 carries month 9's twice.
    np.testing.assert_array_equal(features["displaced__imputed"].values[0, 9:14], [0, 1, 1, 0, 0])
    assert np.isnan(features["displaced"].values[0, 12])
    assert features["displaced"].values[0, 11] == features["displaced"].values[0, 9]


def test_crisis_and_spatial_features(features):
    since = features["crisis_conflict__since"].values
    np.testing.assert_array_equal(since[1, :4], [120, 120, 0, 1])
    # AA02 sits between AA01 and BB01: AA01 and BB01 each see AA02's ongoing conflict.
    ongoing = features["crisis_conflict__ongoing__splag"].values
    np.testing.assert_array_equal(ongoing[:, 5], [1.0, 0.0, 1.0])


def test_the_callers_panel_is_left_as_it_was(tiny_regions):
    panel = make_panel()
    panel["gov"].attrs = {"note": "mine"}
    build_features(panel, CATALOGUE, crisis_events(), tiny_regions, SPEC)
    assert panel["gov"].attrs == {"note": "mine"}


def test_dask_chunked_panel_gives_identical_features(features, tiny_regions):
    lazy = build_features(make_panel().chunk({"region": 1}), CATALOGUE, crisis_events(),
                          tiny_regions, SPEC)
    assert lazy["displaced__change3__splag"].chunks is not None
    assert lazy["crisis_conflict__since"].chunksizes["region"] == (1, 1, 1)
    xr.testing.assert_identical(features, lazy.compute())


def test_inputs_may_be_left_out_when_not_needed():
    spec = FeatureSpec(indicators=("gov",), crisis_kinds=(), history=0)
    out = build_features(make_panel(), CATALOGUE, None, None, spec)
    assert list(out.data_vars) == ["gov", "gov__lag3", "gov__change6", "gov__mean12",
                                   "gov__imputed"]


def test_unknown_indicator_and_missing_denominator_are_named():
    with pytest.raises(InputError, match=r"indicator 'idps' \(listed in 'indicators'\) is not in "
                                         r"the catalogue \(known: displaced, population, gov\)"):
        build_features(make_panel(), CATALOGUE, None, None,
                       FeatureSpec(indicators=("idps",), crisis_kinds=()))
    with pytest.raises(InputError, match=r"panel, column 'population': has no variable "
                                         r"'population' \(found: displaced, gov\)"):
        build_features(make_panel().drop_vars("population"), CATALOGUE, None, None,
                       FeatureSpec(indicators=("displaced",), crisis_kinds=()))


def test_needed_inputs_that_are_missing_are_asked_for(tiny_regions):
    with pytest.raises(InputError, match=r"no crisis events were given; pass them, or set "
                                         r"crisis_kinds = \[\]"):
        build_features(make_panel(), CATALOGUE, None, tiny_regions, FeatureSpec())
    with pytest.raises(InputError, match=r"no regions were given; pass the regions, or set "
                                         r"spatial_lag = \[\]"):
        build_features(make_panel(), CATALOGUE, crisis_events(), None, SPEC)


def test_a_per_capita_indicator_without_its_denominator_says_so():
    catalogue = Catalogue(tuple(i for i in CATALOGUE.entries if i.id != "population"))
    with pytest.raises(InputError, match=r"indicator 'population' \(the per-capita denominator "
                                         r"of 'displaced'\) is not in the catalogue"):
        build_features(make_panel(), catalogue, None, None, FeatureSpec(crisis_kinds=()))


def test_spatial_lag_of_a_feature_not_built_lists_the_choices(tiny_regions):
    spec = FeatureSpec(spatial_lag=("displaced__change12",))
    with pytest.raises(InputError, match=r"'spatial_lag' names displaced__change12, which the "
                                         r"spec does not build; choose among: displaced, "):
        build_features(make_panel(), CATALOGUE, crisis_events(), tiny_regions, spec)


def test_per_capita_rescales_a_count_and_keeps_the_catalogue_log():
    panel = make_panel()
    spec = FeatureSpec(indicators=("gov",), crisis_kinds=(), per_capita=("gov",), lags=(),
                       changes=(), rolling_mean=(), growth=(3,), history=6)
    out = build_features(panel, CATALOGUE, None, None, spec)
    rate = panel["gov"] / panel["population"] * 1e5
    # gov's catalogue scale is log: the rate is logged too; ratios use the rate before the log.
    np.testing.assert_allclose(out["gov"].values, np.log1p(rate.values))
    np.testing.assert_allclose(out["gov__growth3"].values[:, 12],
                               (rate.values[:, 12] / rate.values[:, 9]) - 1)
    assert out["gov"].attrs["transform"] == "per_capita 100k; log1p"
    assert "per 100,000 people" in out["gov"].attrs["phrase"]
    assert list(out.data_vars) == ["gov", "gov__growth3", "gov__rel6", "gov__imputed"]


def test_per_capita_of_an_indicator_not_built_lists_the_choices():
    spec = FeatureSpec(indicators=("gov",), crisis_kinds=(), per_capita=("displaced",))
    with pytest.raises(InputError, match=r"'per_capita' names displaced, which the spec does not "
                                         r"build; choose among the indicators: gov\."):
        build_features(make_panel(), CATALOGUE, None, None, spec)
    with pytest.raises(InputError, match=r"'per_capita' repeats a name"):
        FeatureSpec(per_capita=("gov", "gov"))
