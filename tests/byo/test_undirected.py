"""Point 1 of "your own data": indicators with direction 0 (no risk direction)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from threadpoolctl import threadpool_limits

from forewarn.errors import InputError
from forewarn.features import FeatureSpec, build_features, load_catalogue
from forewarn.flows._specs import IndexChoice
from forewarn.index import Leaf, Node, IndexSpec, catalogue_spec, compute_index, fit_bounds
from forewarn.models import AdditiveBoosting, explain, shape_functions
from projects import _COUNTRY_CATALOGUE


@pytest.fixture
def catalogue(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text(_COUNTRY_CATALOGUE, encoding="utf-8")
    return load_catalogue(path)


def test_catalogue_accepts_direction_zero_and_features_inherit_it(catalogue):
    assert catalogue["reform"].direction == 0
    assert catalogue["reform"].to_attrs()["direction"] == 0
    times = pd.date_range("2000-01-01", periods=5, freq="YS")
    panel = xr.Dataset(
        {i: (("region", "time"), np.arange(10.0).reshape(2, 5) % 2,
             catalogue[i].to_attrs()) for i in catalogue},
        coords={"region": ["A", "B"], "time": times})
    spec = FeatureSpec(lags=(1,), changes=(), rolling_mean=(), history=0, crisis_kinds=())
    features = build_features(panel, catalogue, None, None, spec)
    directions = {n: v.attrs["direction"] for n, v in features.data_vars.items()
                  if v.attrs["indicator"] == "reform" and v.attrs["kind"] == "value"}
    assert directions and set(directions.values()) == {0}


def test_catalogue_refuses_other_directions(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(_COUNTRY_CATALOGUE.replace("direction = 0", "direction = 0.5"))
    with pytest.raises(InputError, match=r"'direction' is 0.5; use 1 \(higher is riskier\), -1 "
                       r"\(lower is riskier\) or 0 \(no risk direction"):
        load_catalogue(path)


def _u_shaped(seed=0, n=4000):
    """x has a U-shaped effect (no direction fits it); z raises risk."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"R{i:02d}" for i in range(40)], pd.date_range("2000-01-01", periods=n // 40,
                                                          freq="MS")], names=["region", "time"])
    X = pd.DataFrame({"x": rng.uniform(-2, 2, len(index)), "z": rng.normal(size=len(index))},
                     index=index)
    margin = -1.5 + 1.2 * X["x"] ** 2 - 2 + 0.8 * X["z"]
    y = pd.Series((rng.random(len(X)) < 1 / (1 + np.exp(-margin))).astype(int), index=index)
    return X, y


@pytest.mark.slow  # a whole forecast
def test_direction_zero_is_no_monotone_constraint_and_stays_exactly_explained():
    X, y = _u_shaped()
    with threadpool_limits(1):
        free = AdditiveBoosting({"x": 0, "z": 1}, max_iter=60).fit(X, y)
        forced = AdditiveBoosting({"x": 1, "z": 1}, max_iter=60).fit(X, y)
    assert free.monotonic_cst_.tolist() == [0, 1]
    shape = shape_functions(free, X).dropna(subset=["value"])
    x = shape[shape["feature"] == "x"].sort_values("value")
    low, mid, high = (x[x["value"].between(a, b)]["contribution"].mean()
                      for a, b in ((-2, -1.5), (-0.25, 0.25), (1.5, 2)))
    assert low > mid + 1 and high > mid + 1  # the U is learnt, both arms
    forced_x = shape_functions(forced, X).query("feature == 'x'").dropna(subset=["value"])
    assert (np.diff(forced_x.sort_values("value")["contribution"].to_numpy()) >= -1e-12).all()
    contributions, base = explain(free, X)
    np.testing.assert_allclose(base + contributions.sum(axis=1), free.decision_function(X),
                               atol=1e-9)


def test_index_refuses_an_undirected_indicator(catalogue):
    panel = xr.Dataset({"reform": (("region",), [0.0, 1.0], catalogue["reform"].to_attrs())},
                       coords={"region": ["A", "B"]})
    spec = IndexSpec("mine", "risk", (Node("risk", ("reform",)),), (Leaf("reform", 1),))
    with pytest.raises(InputError, match=r"reform.*has no risk direction \(direction = 0 in the "
                       r"catalogue\), so it cannot enter the index.*remove it from the index "
                       r"spec"):
        compute_index(panel, spec, fit_bounds(panel, spec))


def test_catalogue_index_leaves_undirected_indicators_out(catalogue):
    spec = catalogue_spec(catalogue)
    assert spec.indicators == ("gdp_per_capita", "conflict_deaths")
    assert [spec.leaf(i).direction for i in spec.indicators] == [-1, 1]
    assert spec.leaf("gdp_per_capita").log and spec.node(spec.root).aggregation == "arithmetic"
    assert "1 indicator(s) without a risk direction left out" in spec.description
    only_free = type(catalogue)(tuple(i for i in catalogue.values() if i.direction == 0))
    assert catalogue_spec(only_free) is None


def test_index_choice_falls_back_only_when_not_named(catalogue, tmp_path):
    default = IndexChoice.from_config({}, tmp_path)
    spec, note = default.resolve(catalogue)
    assert spec.name == "catalogue"
    assert note.startswith("the index spec 'demo' uses indicators absent from the catalogue: ")
    assert note.endswith("the index is the equal-weight mean of the catalogue's 2 directed "
                         "indicators instead.")
    named = IndexChoice.from_config({"spec": "demo"}, tmp_path)
    with pytest.raises(InputError, match=r"the index spec 'demo' uses indicators absent from "
                       r"the catalogue: .*\. Add them to the catalogue, name another \[index\] "
                       r"spec, or set spec = \"catalogue\""):
        named.resolve(catalogue)
    spec, note = named.resolve(catalogue, fallback=True)  # the backtest baseline never fails
    assert spec.name == "catalogue" and note
    assert IndexChoice.from_config({"spec": "catalogue"}, tmp_path).resolve(catalogue) == \
        (catalogue_spec(catalogue), None)
    (tmp_path / "free.toml").write_text(
        '[index]\nname = "f"\nroot = "r"\n[nodes.r]\nchildren = ["reform"]\n'
        '[indicators.reform]\ndirection = 1\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"uses indicators without a risk direction "
                       r"\(direction = 0\): reform. Leave them out of the index spec or give "
                       r"them a direction in the catalogue, name another \[index\] spec"):
        IndexChoice.from_config({"spec": "free.toml"}, tmp_path).resolve(catalogue)


def test_an_index_spec_leaf_without_direction_is_refused_with_the_reason():
    with pytest.raises(InputError, match=r"\[indicators.reform\] 'direction' is 0: an indicator "
                       r"without a risk direction cannot enter an index.*leave it out of the "
                       r"index \(models still use it\)"):
        Leaf("reform", 0)
