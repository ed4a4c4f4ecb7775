"""Queen contiguity, its caches, and the NaN-aware mean over neighbours."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
import xarray as xr

from forewarn.errors import InputError
from forewarn.features import _spatial
from forewarn.features._spatial import contiguity, spatial_lag

TIMES = pd.date_range("2020-01-01", periods=4, freq="MS")


@pytest.fixture(autouse=True)
def empty_memory(monkeypatch):
    """Each test starts with an empty in-memory cache."""
    monkeypatch.setattr(_spatial, "_MEMORY", {})


@pytest.fixture
def four_regions():
    """A 2 x 2 block (D touches A only at a corner) and an island E; EPSG:4326."""
    geoms = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 1, 1, 2),
             shapely.box(1 + 1e-9, 1, 2, 2), shapely.box(5, 5, 6, 6)]
    return gpd.GeoDataFrame({"name": list("ABCDE")}, geometry=geoms, crs="EPSG:4326",
                            index=pd.Index(list("ABCDE"), name="region_id"))


def panel_var(values, regions):
    return xr.DataArray(np.asarray(values, dtype=float), dims=("region", "time"), name="x",
                        coords={"region": regions, "time": TIMES[: np.shape(values)[1]]},
                        attrs={"indicator": "x", "direction": 1, "units": "persons",
                               "long_name": "People displaced"})


def test_row_standardised_contiguity_of_a_row_of_squares(tiny_regions):
    w = contiguity(tiny_regions)
    assert isinstance(w, sp.csr_array)
    np.testing.assert_allclose(w.toarray(), [[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])


def test_queen_counts_corners_and_float_noise_and_islands_have_none(four_regions):
    w = contiguity(four_regions).toarray()
    third = 1 / 3
    np.testing.assert_allclose(w, [[0, third, third, third, 0], [third, 0, third, third, 0],
                                   [third, third, 0, third, 0], [third, third, third, 0, 0],
                                   [0, 0, 0, 0, 0]])


def test_region_order_follows_the_panel_and_missing_regions_are_named(tiny_regions):
    w = contiguity(tiny_regions, ["BB01", "AA01", "AA02"]).toarray()
    np.testing.assert_allclose(w, [[0, 0, 1], [0, 0, 1], [0.5, 0.5, 0]])
    with pytest.raises(InputError, match=r"no geometry for 1 region\(s\) of the panel \(ZZ99\)"):
        contiguity(tiny_regions, ["AA01", "ZZ99"])


def test_memory_cache_builds_once_and_hands_out_copies(tiny_regions, monkeypatch):
    first = contiguity(tiny_regions)
    first[0, 1] = 99.0
    monkeypatch.setattr(_spatial, "_touching", lambda g: pytest.fail("built twice"))
    again = contiguity(tiny_regions)
    assert again[0, 1] == 1.0
    moved = tiny_regions.set_geometry(tiny_regions.geometry.translate(10, 0))
    with pytest.raises(pytest.fail.Exception, match="built twice"):
        contiguity(moved)  # other geometry, other key


def test_disk_cache_is_written_and_read_back(tiny_regions, tmp_path, monkeypatch):
    built = contiguity(tiny_regions, cache_dir=tmp_path / "cache")
    files = list((tmp_path / "cache").glob("contiguity-*.npz"))
    assert len(files) == 1
    monkeypatch.setattr(_spatial, "_MEMORY", {})
    monkeypatch.setattr(_spatial, "_touching", lambda g: pytest.fail("not read from disk"))
    read = contiguity(tiny_regions, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(read.toarray(), built.toarray())


def test_a_cache_file_of_the_wrong_shape_is_rebuilt(tiny_regions, tmp_path):
    contiguity(tiny_regions, cache_dir=tmp_path)
    (path,) = tmp_path.glob("contiguity-*.npz")
    sp.save_npz(path, sp.csr_array(np.eye(2)))
    _spatial._MEMORY.clear()
    assert contiguity(tiny_regions, cache_dir=tmp_path).shape == (3, 3)


def test_spatial_lag_is_a_nan_aware_neighbour_mean(four_regions):
    w = contiguity(four_regions)
    x = panel_var([[1, 1], [2, np.nan], [4, 4], [8, np.nan], [16, 16]], list("ABCDE"))
    out = spatial_lag(x, w)
    np.testing.assert_allclose(out.values, [[14 / 3, 4], [13 / 3, 2.5], [11 / 3, 1],
                                            [7 / 3, 2.5], [np.nan, np.nan]])
    assert out.name == "x__splag"
    assert out.attrs["transform"] == "spatial_lag"
    assert out.attrs["phrase"] == "people displaced in neighbouring regions"
    assert out.attrs["units"] == "persons" and out.attrs["direction"] == 1


def test_spatial_lag_on_dask_is_identical_and_keeps_region_chunks(four_regions):
    w = contiguity(four_regions)
    rng = np.random.default_rng(1)
    values = rng.random((5, 4))
    values[rng.random((5, 4)) < 0.3] = np.nan
    x = panel_var(values, list("ABCDE"))
    lazy = spatial_lag(x.chunk({"region": 2}), w)
    assert lazy.chunksizes["region"] == (2, 2, 1)
    xr.testing.assert_identical(spatial_lag(x, w), lazy.compute())


def test_spatial_lag_refuses_weights_of_another_shape(tiny_regions):
    x = panel_var(np.ones((2, 3)), ["AA01", "AA02"])
    with pytest.raises(ValueError, match=r"weights of shape \(2, 2\).*got \(3, 3\)"):
        spatial_lag(x, contiguity(tiny_regions))
