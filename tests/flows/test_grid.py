"""Grid projects: indicators from a Zarr cube (the flow on Dask: tests/flows/test_cluster.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.datasets import demo_catalogue
from forewarn.errors import InputError
from forewarn.features import open_cube
from forewarn.flows import run
from forewarn.flows._project import input_hashes, write_grid_project
from forewarn.flows._config import load_config

# Whole flows, in this process on the session's Prefect test server; `pytest -m "not slow"`
# skips them.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


@pytest.fixture(scope="module")
def grid_project(tmp_path_factory):
    path = write_grid_project(tmp_path_factory.mktemp("grid") / "g", n_rows=8, n_cols=6,
                              n_months=96)
    text = path.read_text()
    assert "n_bootstrap = 3" in text
    path.write_text(text.replace("max_iter = 100", "max_iter = 40"))
    return path


@pytest.fixture(scope="module")
def single_run(grid_project, tmp_path_factory, prefect_server):
    return run(grid_project, out=tmp_path_factory.mktemp("single"), quiet=True)


def test_grid_project_runs_from_the_cube(grid_project, single_run):
    scores = single_run.scores
    assert len(scores) == 48 * 2 and scores["probability"].between(0, 1).all()
    assert single_run.project.observations is None
    assert single_run.project.cube.sizes == {"region": 48, "time": 96}
    maps = sorted(p.name for p in (single_run.run_dir / "maps").iterdir())
    # [report] maps = "overview", formats = ["png"]: whole-area and change maps only.
    assert maps == ["change_12m_all.png", "change_6m_all.png", "risk_12m_all.png",
                    "risk_6m_all.png"]
    manifest = (single_run.run_dir / "manifest.json").read_text()
    assert "cube.zarr" in manifest


def test_cube_values_outside_the_valid_range_are_named(grid_project, tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(grid_project.parent, folder)
    cube = xr.open_zarr(folder / "cube.zarr").load()
    cube["state_capacity"][3, 12] = 140.0
    cube["state_capacity"][5, 20] = -1.0
    shutil.rmtree(folder / "cube.zarr")
    cube.to_zarr(folder / "cube.zarr", zarr_format=2, consolidated=True)
    done = subprocess.run([sys.executable, "-m", "forewarn", "validate", "--config",
                           str(folder / "forewarn.toml")], capture_output=True, text=True,
                          timeout=300, env={**os.environ})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "cube.zarr" in done.stderr
    assert "'state_capacity' holds 140.0 at region G000003, 2001-01 (2 values outside the " \
           "valid range [0.0, 100.0] in all)" in done.stderr


def test_cube_must_hold_exactly_the_regions(grid_project):
    cube_path = grid_project.parent / "cube.zarr"
    ids = [f"G{i:06d}" for i in range(47)] + ["ZZ1"]
    with pytest.raises(InputError, match=r"lacks 1 region\(s\) of the regions file \(e\.g\. "
                                         r"ZZ1\) and holds 1 region\(s\) not in the regions "
                                         r"file \(e\.g\. G000047\)"):
        open_cube(cube_path, demo_catalogue(), ids)
    # Any order of the same regions is fine: the cube is put in the regions' order.
    ids = [f"G{i:06d}" for i in range(48)][::-1]
    cube = open_cube(cube_path, demo_catalogue(), ids)
    assert list(cube["region"].values) == ids
    with pytest.raises(InputError, match=r"cannot be read as a Zarr store"):
        open_cube(grid_project, demo_catalogue(), ids)


def test_cube_is_hashed_into_the_manifest(grid_project, tmp_path):
    config = load_config(grid_project)
    hashes = input_hashes(config)
    key = str(grid_project.parent / "cube.zarr")
    assert key in hashes and len(hashes[key]) == 64
    folder = tmp_path / "copy"
    shutil.copytree(grid_project.parent, folder)
    chunk = next(p for p in sorted((folder / "cube.zarr" / "displaced").rglob("*"))
                 if p.is_file() and not p.name.startswith("."))
    chunk.write_bytes(chunk.read_bytes() + b"\0")
    assert input_hashes(load_config(folder / "forewarn.toml"))[
        str(folder / "cube.zarr")] != hashes[key]


def test_observations_and_cube_together_are_refused(grid_project, tmp_path):
    folder = tmp_path / "both"
    shutil.copytree(grid_project.parent, folder)
    (folder / "obs.csv").write_text("region_id,indicator,period,value,published\n")
    path = folder / "forewarn.toml"
    path.write_text(path.read_text().replace('cube = "cube.zarr"',
                                             'cube = "cube.zarr"\nobservations = ["obs.csv"]'))
    with pytest.raises(InputError, match=r"names both 'observations' and 'cube'"):
        load_config(path)


def test_report_section_is_checked(grid_project, tmp_path):
    from forewarn.flows._pipeline import specs_from_config

    folder = tmp_path / "rep"
    shutil.copytree(grid_project.parent, folder)
    path = folder / "forewarn.toml"
    path.write_text(path.read_text().replace('maps = "overview"', 'maps = "some"\nhtm = true'))
    with pytest.raises(InputError) as err:
        specs_from_config(load_config(path))
    text = str(err.value)
    assert "'maps' is 'some'; use 'all', 'overview' or 'none'" in text
    assert "unknown field 'htm'" in text and "Did you mean 'html'" in text


def test_design_matrix_thins_before_building():
    from forewarn.features import design_matrix
    from synthetic_features import make_panel

    features = make_panel()
    times = features["time"].values
    target = xr.DataArray(np.zeros((features.sizes["region"], len(times))),
                          coords={"region": features["region"], "time": times},
                          dims=("region", "time"), attrs={"horizon": 1})
    origin, known = times[-1], times[-2]
    full = design_matrix(features, target, origin, 1, known)
    thin = design_matrix(features, target, origin, 1, known, every=3)
    def back(index):  # months from each row back to the origin
        t = pd.DatetimeIndex(index.get_level_values("time").unique())
        o = pd.Timestamp(origin)
        return (o.year * 12 + o.month) - (t.year * 12 + t.month)

    assert sorted(back(thin.X_train.index)) == sorted(
        m for m in back(full.X_train.index) if m % 3 == 0)
    assert 0 < len(thin.X_train) < len(full.X_train)
    pd.testing.assert_frame_equal(thin.X_train, full.X_train.loc[thin.X_train.index])
    with pytest.raises(InputError, match=r"'every' is 0; use a whole number of months >= 1"):
        design_matrix(features, target, origin, 1, known, every=0)


def test_init_grid_from_the_command_line(tmp_path):
    def forewarn(*args):
        return subprocess.run([sys.executable, "-m", "forewarn", *map(str, args)],
                              capture_output=True, text=True, timeout=300, env={**os.environ})

    done = forewarn("init", tmp_path / "g", "--grid", "--rows", 3, "--cols", 4, "--months", 48)
    assert done.returncode == 0, done.stderr
    assert "wrote the grid project" in done.stdout
    assert {p.name for p in (tmp_path / "g").iterdir()} == {
        "README.md", "catalogue.toml", "crisis_events.csv", "cube.zarr", "forewarn.toml",
        "outcome.csv", "regions.gpkg"}
    cube = xr.open_zarr(tmp_path / "g" / "cube.zarr")
    assert cube.sizes == {"region": 12, "time": 48}
    again = forewarn("init", tmp_path / "g", "--grid")
    assert again.returncode == 2 and "exists and is not empty" in again.stderr
    assert "Traceback" not in again.stderr
