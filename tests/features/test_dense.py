"""The dense as-of panel equals the long-table one; dask equals numpy; the bench smoke-runs."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.errors import InputError
from forewarn.datasets import make_grid_world
from forewarn.features import (
    Catalogue,
    FeatureSpec,
    Indicator,
    build_features,
    build_panel,
    build_panel_dense,
    dense_observations,
    grid_crisis_events,
    panel_age,
    panel_age_dense,
)

CAT = Catalogue((
    Indicator("gov", "Governance", "score", "t", "annual", 270, -1),
    Indicator("refugees", "Refugees", "persons", "t", "quarterly", 90, 1),
    Indicator("disp", "Displaced", "persons", "t", "monthly", 30, 1),
))


@pytest.fixture(scope="module")
def grid():
    """A 6 x 5 grid world over 5 years, with one value in ten knocked out."""
    world = make_grid_world(n_rows=6, n_cols=5, n_months=60)
    data = world.data.copy(deep=True)
    rng = np.random.default_rng(1)
    for name in world.catalogue:
        values = data[name].values
        values[rng.random(values.shape) < 0.1] = np.nan
    return world, data


def tiny_cube(gov, refugees=None, disp=None, start="2020-01-01"):
    n = len(gov)
    times = pd.date_range(start, periods=n, freq="MS")
    data = {"gov": gov, "refugees": refugees if refugees is not None else np.full(n, np.nan),
            "disp": disp if disp is not None else np.full(n, np.nan)}
    return xr.Dataset({k: (("region", "time"), np.asarray(v, dtype=float)[None, :])
                       for k, v in data.items()}, coords={"region": ["A"], "time": times})


# --------------------------------------------------------------------------- equality

@pytest.mark.parametrize("as_of, start, frequency", [
    ("2003-08-15", None, "monthly"),        # mid-month: the last step sees only what was out
    ("2004-12-31", "1999-06", "monthly"),   # a panel that starts before the cube
    ("2002-02-28", "2001-03", "monthly"),   # periods published before the panel starts
    ("2004-05-03", None, "annual"),
])
def test_dense_panel_equals_the_long_table_panel(grid, as_of, start, frequency):
    world, data = grid
    obs = dense_observations(data, world.catalogue)
    ids = data["region"].values
    ref = build_panel(obs, world.catalogue, ids, as_of, frequency, start=start or "2000-01",
                      dtype="float32")
    dense = build_panel_dense(data, world.catalogue, as_of, frequency, start=start)
    xr.testing.assert_identical(dense, ref)
    ref_age = panel_age(obs, world.catalogue, ids, as_of, frequency, start=start or "2000-01")
    age = panel_age_dense(data, world.catalogue, as_of, frequency, start=start, dtype="float64")
    xr.testing.assert_identical(age, ref_age)


def test_dask_panel_is_lazy_chunked_over_regions_and_equal_to_numpy(grid):
    world, data = grid
    eager = build_panel_dense(data, world.catalogue, "2004-06-30")
    lazy = build_panel_dense(data.chunk({"region": 7, "time": 12}), world.catalogue,
                             "2004-06-30")
    assert lazy["displaced"].chunksizes["region"] == (7, 7, 7, 7, 2)
    assert lazy["displaced"].chunksizes["time"] == (lazy.sizes["time"],)
    xr.testing.assert_identical(lazy.compute(), eager)
    lazy_age = panel_age_dense(data.chunk({"region": 7}), world.catalogue, "2004-06-30")
    xr.testing.assert_identical(lazy_age.compute(),
                                panel_age_dense(data, world.catalogue, "2004-06-30"))


def test_features_on_a_dask_grid_panel_equal_numpy(grid):
    world, data = grid
    spec = FeatureSpec(lags=(3,), changes=(6,), rolling_mean=(12,), history=12,
                       carry_forward=2, spatial_lag=("displaced", "crisis_conflict__ongoing"))
    events = grid_crisis_events(world.data)

    def features(cube):
        panel = build_panel_dense(cube, world.catalogue, "2004-12-31")
        age = panel_age_dense(cube, world.catalogue, "2004-12-31")
        return build_features(panel, world.catalogue, events, world.regions, spec, age=age)

    eager = features(data)
    lazy = features(data.chunk({"region": 8}))
    assert lazy["displaced__mean12"].chunks is not None
    assert lazy["crisis_disaster__since"].chunksizes["region"] == (8, 8, 8, 6)
    xr.testing.assert_identical(lazy.compute(), eager)


# --------------------------------------------------------------------------- the contract

def test_annual_value_at_january_only_or_all_year_gives_the_same_panel():
    everywhere = np.repeat([40.0, 45.0, 50.0], 12)
    january = np.where(np.arange(36) % 12 == 0, everywhere, np.nan)
    a = build_panel_dense(tiny_cube(everywhere), CAT, "2022-12-31")
    b = build_panel_dense(tiny_cube(january), CAT, "2022-12-31")
    xr.testing.assert_identical(a, b)
    gov = a["gov"].sel(region="A").to_series()
    # 2020 ends on 31 Dec; 270 days later is 27 Sep 2021.
    assert gov[:"2021-08"].isna().all()
    assert (gov["2021-09":"2022-08"] == 40.0).all() and (gov["2022-09":] == 45.0).all()


def test_a_missing_period_leaves_the_previous_one_showing_and_ageing():
    disp = np.arange(1.0, 7.0)
    disp[3] = np.nan  # April never published
    p = build_panel_dense(tiny_cube(np.full(6, np.nan), disp=disp), CAT, "2020-07-31")
    age = panel_age_dense(tiny_cube(np.full(6, np.nan), disp=disp), CAT, "2020-07-31")
    # January (out on 1 March) and February (30 March) both appear first in March; April's
    # gap leaves March showing in May, a month older.
    np.testing.assert_array_equal(p["disp"].values[0], [np.nan, np.nan, 2, 3, 3, 5, 6])
    np.testing.assert_array_equal(age["disp"].values[0], [np.nan, np.nan, 1, 1, 2, 1, 1])


def test_quarterly_periods_start_at_the_first_whole_quarter_in_the_cube():
    refugees = np.arange(10.0, 19.0)  # February to October 2020
    cube = tiny_cube(np.full(9, np.nan), refugees=refugees, start="2020-02-01")
    obs = dense_observations(cube, CAT)
    assert obs["period"].tolist() == ["2020-Q2", "2020-Q3", "2020-Q4"]
    assert obs["value"].tolist() == [12.0, 15.0, 18.0]  # April, July, October
    assert obs["published"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-09-28", "2020-12-29", "2021-03-31"]


def test_a_cube_without_values_stands_for_no_observations():
    obs = dense_observations(tiny_cube(np.full(3, np.nan)), CAT)
    assert obs.empty
    assert list(obs.columns) == ["region_id", "indicator", "period", "value", "published"]


def test_nothing_published_after_as_of_is_visible():
    disp = np.array([5.0, 7.0, 9.0])
    cube = tiny_cube(np.full(3, np.nan), disp=disp)
    # January's value is out on 1 March, February's on 30 March (29 Feb + 30 days).
    before = build_panel_dense(cube, CAT, "2020-03-29")
    after = build_panel_dense(cube, CAT, "2020-03-30")
    np.testing.assert_array_equal(before["disp"].values, [[np.nan, np.nan, 5.0]])
    np.testing.assert_array_equal(after["disp"].values, [[np.nan, np.nan, 7.0]])


def test_dtype_follows_the_cube_unless_given(grid):
    world, data = grid
    assert build_panel_dense(data, world.catalogue, "2002-12-31")["population"].dtype == "float32"
    p = build_panel_dense(data, world.catalogue, "2002-12-31", dtype="float64")
    assert p["population"].dtype == "float64"


# --------------------------------------------------------------------------- errors

def test_the_cube_must_be_a_dataset_holding_every_indicator():
    with pytest.raises(InputError, match=r"cube: must be an xarray.Dataset; got DataArray"):
        build_panel_dense(tiny_cube(np.ones(3))["gov"], CAT, "2020-12-31")
    with pytest.raises(InputError, match=r"has no variable for refugees, disp \(found: gov\); "
                                         r"add them, or leave them out of the catalogue"):
        build_panel_dense(tiny_cube(np.ones(3))[["gov"]], CAT, "2020-12-31")


def test_the_cube_needs_region_time_dims_and_consecutive_months():
    cube = tiny_cube(np.ones(3))
    with pytest.raises(InputError, match=r"needs dims \('region', 'time'\) on every indicator; "
                                         r"found 'gov' \('time', 'region'\)"):
        build_panel_dense(cube.assign(gov=cube["gov"].T), CAT, "2020-12-31")
    yearly = cube.assign_coords(time=pd.date_range("2020-01-01", periods=3, freq="YS"))
    with pytest.raises(InputError, match=r"the time coordinate must be consecutive month starts "
                                         r"\(from 2020-01-01 to 2022-01-01, 3 steps found\)"):
        build_panel_dense(yearly, CAT, "2022-12-31")


def test_bad_frequency_and_as_of_before_start_are_refused():
    cube = tiny_cube(np.ones(3))
    with pytest.raises(InputError, match=r"'frequency' is 'weekly'; use 'monthly' or 'annual'"):
        build_panel_dense(cube, CAT, "2020-12-31", frequency="weekly")
    with pytest.raises(InputError, match=r"as_of \(2019-05-01\) is before the panel start"):
        build_panel_dense(cube, CAT, "2019-05-01")


# --------------------------------------------------------------------------- grid crises

def crisis_data(deaths, affected):
    n = len(deaths)
    times = pd.date_range("2020-01-01", periods=n, freq="MS")
    displaced = 100.0 * np.cumsum(np.asarray(deaths) > 0)
    return xr.Dataset({k: (("region", "time"), np.asarray(v, dtype=float)[None, :]) for k, v in
                       (("conflict_deaths", deaths), ("displaced", displaced),
                        ("disaster_affected", affected))},
                      coords={"region": ["G1"], "time": times})


def test_grid_crises_are_runs_with_short_gaps_bridged():
    data = crisis_data([0, 3, 0, 0, 2, 0, 0, 0, 1], [0, 0, 50, 20, 0, 0, 0, 70, 10])
    events = grid_crisis_events(data, gap=2)
    assert events[["kind", "magnitude"]].values.tolist() == [
        ["conflict", 100.0], ["disaster", 50.0], ["disaster", 70.0], ["conflict", 100.0]]
    assert events["start"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-02-15", "2020-03-15", "2020-08-15", "2020-09-15"]
    # The first conflict runs February-May (ends in June); the last runs into the data's end.
    assert events["end"].dt.strftime("%Y-%m-%d").fillna("open").tolist() == [
        "2020-06-15", "2020-05-15", "open", "open"]
    no_bridge = grid_crisis_events(data, gap=1)
    assert (no_bridge["kind"] == "conflict").sum() == 3


def test_grid_crisis_events_feed_crisis_context(grid):
    world, _ = grid
    events = grid_crisis_events(world.data)
    assert set(events["kind"]) <= {"conflict", "disaster"}
    assert (events["end"].isna() | (events["end"] > events["start"])).all()
    assert events["region_id"].isin(world.data["region"].values).all()


def test_grid_crisis_events_errors():
    data = crisis_data([0, 1], [0, 0])
    with pytest.raises(InputError, match=r"grid data: lacks displaced \(found: conflict_deaths, "
                                         r"disaster_affected\); pass GridWorld.data"):
        grid_crisis_events(data.drop_vars("displaced"))
    with pytest.raises(InputError, match=r"'gap' is -1; use a whole number of months >= 0"):
        grid_crisis_events(data, gap=-1)


# --------------------------------------------------------------------------- the benchmark

#: The benchmark is a plain script beside the package (not in the wheel).
BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"


def _bench():
    import importlib.util

    if "forewarn_bench_script" not in sys.modules:
        spec = importlib.util.spec_from_file_location("forewarn_bench_script", BENCH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["forewarn_bench_script"]


@pytest.mark.slow
def test_bench_quick_panel_writes_its_figures(tmp_path):
    # Speed is the benchmark's to print (docs/benchmarks.md), never a test's to assert.
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--only", "panel",
                           "--out", str(tmp_path / "bench")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(tmp_path / "bench.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["step"] for r in rows if r["measure"].endswith("(cold process)")] == ["grid",
                                                                                    "panel"]
    assert all(float(r["seconds"]) > 0 for r in rows if r["seconds"])
    assert float(next(r for r in rows if r["step"] == "panel")["peak_gib"]) > 0
    assert "| panel | as-of panel + 99 features" in (tmp_path / "bench.md").read_text()


def test_bench_refuses_an_unknown_step(capsys):
    main = _bench().main

    with pytest.raises(SystemExit) as exc:
        main(["--only", "panel,nope"])
    assert exc.value.code == 2
    assert "--only names unknown step(s) nope; choose among demo, grid" in capsys.readouterr().err


@pytest.mark.parametrize("row, met", [
    ({"step": "panel", "main": True, "measure": "m", "seconds": 179.0, "peak_gib": 7.9}, "yes"),
    ({"step": "panel", "main": True, "measure": "m", "seconds": 30.0, "peak_gib": 8.1}, "NO"),
    ({"step": "explain", "measure": "explain A", "seconds": 0.04, "speedup": 99.0,
      "reference": "shap.TreeExplainer"}, "NO"),
    ({"step": "explain", "measure": "explain B", "seconds": 0.04, "speedup": 0.9,
      "reference": "shap.LinearExplainer"}, "yes"),
    ({"step": "panel", "main": True, "measure": "m", "seconds": None}, ""),
])
def test_bench_judges_targets_on_the_full_grid_only(row, met):
    bench = _bench()
    SIZES, _target = bench.SIZES, bench._target

    assert _target(row, SIZES["full"])[1] == met
    assert _target(row, SIZES["quick"])[1] in ("n/a (quick)", "")
