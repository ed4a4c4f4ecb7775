"""Spatial spill-over: which regions touch, and the mean of a feature over their neighbours."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
import xarray as xr

from forewarn.errors import InputError, Problem
from forewarn.features._transforms import _check_dims, _derive

__all__ = ["contiguity", "row_standardise", "spatial_lag"]

# Contiguity matrices already built in this process, by geometry hash; a handful is plenty (one
# per region set in use) and bounds the memory a long-running server keeps.
_MEMORY: dict[str, sp.csr_array] = {}
_MEMORY_SIZE = 8
# Borders digitised twice meet only up to float noise; closer than this counts as touching.
# [CRS units: degrees in EPSG:4326, about 1 cm]
_TOUCH_TOLERANCE = 1e-7


def contiguity(regions, region_ids=None, cache_dir=None) -> sp.csr_array:
    """Row-standardised queen contiguity of regions: who shares at least a point with whom.

    Two regions are neighbours when their geometries meet (a shared border or a single shared
    corner, up to a 1e-7 tolerance for float noise), so regions are expected to be of one level
    and not to overlap. Computed once
    per set of geometries and kept in memory, keyed by a hash of the region ids and geometry WKB;
    with ``cache_dir`` also kept on disk as ``contiguity-<hash>.npz`` (no pickle).

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Indexed by ``region_id``, with a ``geometry``.
    region_ids : sequence of str, optional
        Rows and columns of the matrix, in this order (e.g. the panel's ``region`` coordinate);
        default the order of ``regions``.
    cache_dir : path-like, optional
        Folder for the on-disk cache; created when missing.

    Returns
    -------
    scipy.sparse.csr_array
        Shape ``(n, n)``; row ``i`` holds ``1 / (number of neighbours of i)`` at each neighbour
        and is all zero for a region with none (an island, or a missing geometry).

    Raises
    ------
    forewarn.errors.InputError
        A region in ``region_ids`` has no row in ``regions``.
    """
    if region_ids is not None:
        ids = [str(r) for r in region_ids]
        rows = regions.index.astype(str).get_indexer(ids)
        if (rows < 0).any():
            missing = [r for r, i in zip(ids, rows) if i < 0]
            raise InputError(Problem("regions", f"has no geometry for {len(missing)} region(s) "
                                     f"of the panel ({', '.join(missing[:5])}); add them to the "
                                     "regions file or drop them from the panel."))
        regions = regions.iloc[rows]
    key = _key(regions.index, shapely.to_wkb(regions.geometry.to_numpy(), hex=True))
    if key not in _MEMORY:
        weights = _read_cache(cache_dir, key, len(regions))
        if weights is None:
            weights = row_standardise(_touching(regions.geometry.to_numpy()))
            _write_cache(cache_dir, key, weights)
        if len(_MEMORY) >= _MEMORY_SIZE:
            _MEMORY.pop(next(iter(_MEMORY)))
        _MEMORY[key] = weights
    # A copy, so that a caller editing its matrix cannot change the cached one.
    return _MEMORY[key].copy()


def spatial_lag(da: xr.DataArray, weights) -> xr.DataArray:
    """Mean of a feature over each region's neighbours, ignoring neighbours without a value.

    ``sum_j w_ij x_j / sum_j w_ij`` over the neighbours ``j`` where ``x_j`` is known: the same as
    the row-standardised spatial lag when every neighbour has a value. NaN for a region with no
    neighbours (an island) or none with a value. A dask-backed input stays lazy; it is computed
    with all regions in one chunk per time chunk, then rechunked as it came.

    Parameters
    ----------
    da : xarray.DataArray
        Panel variable or feature, dims ``("region", "time")``.
    weights : scipy.sparse array
        From :func:`contiguity`, rows and columns in the order of ``da["region"]``.

    Returns
    -------
    xarray.DataArray
        Named ``<name>__splag``, in the units of ``da``.

    Raises
    ------
    ValueError
        ``weights`` does not have one row and column per region of ``da``.
    """
    _check_dims(da, "spatial_lag")
    n = da.sizes["region"]
    if weights.shape != (n, n):
        raise ValueError(
            f"spatial_lag needs weights of shape ({n}, {n}), one row and column per region of "
            f"'{da.name}'; got {weights.shape}. Build them with contiguity(regions, "
            "da['region'].values)."
        )
    weights = sp.csr_array(weights)
    source = da
    if da.chunks is not None:
        da = da.chunk({"region": -1})
    out = xr.apply_ufunc(
        _neighbour_mean, da,
        input_core_dims=[["region"]], output_core_dims=[["region"]],
        kwargs={"weights": weights}, dask="parallelized", output_dtypes=[np.float64],
    ).transpose("region", "time")
    if source.chunks is not None:
        out = out.chunk({"region": source.chunksizes["region"]})
    return _derive(out, source, "splag", "spatial_lag", "{s} in neighbouring regions")


def _neighbour_mean(values: np.ndarray, weights: sp.csr_array) -> np.ndarray:
    """NaN-aware neighbour mean; ``values`` has the region axis last (as apply_ufunc passes it)."""
    known = ~np.isnan(values)
    total = np.where(known, values, 0.0) @ weights.T
    weight = known.astype(np.float64) @ weights.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, total / weight, np.nan)


def _touching(geometries: np.ndarray) -> sp.csr_array:
    """0/1 matrix of geometries that touch (within the tolerance), without the diagonal."""
    tree = shapely.STRtree(geometries)
    i, j = tree.query(geometries, predicate="dwithin", distance=_TOUCH_TOLERANCE)
    off_diagonal = i != j
    n = len(geometries)
    ones = np.ones(off_diagonal.sum())
    # The tree reports each pair once, so every entry is a single 1.
    return sp.csr_array((ones, (i[off_diagonal], j[off_diagonal])), shape=(n, n))


def row_standardise(adjacency) -> sp.csr_array:
    """Spatial weights from a 0/1 adjacency matrix: each row divided by its sum.

    A region without neighbours keeps a row of zeros (its spatial lag is then 0, not NaN).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> row_standardise(sp.csr_array([[0, 1, 1], [1, 0, 0], [0, 0, 0]])).toarray()
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ],
           [0. , 0. , 0. ]])
    """
    degree = np.asarray(adjacency.sum(axis=1), dtype="float64").ravel()
    scale = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    return sp.csr_array(sp.diags_array(scale) @ adjacency)


def _key(region_ids, wkb_hex: np.ndarray) -> str:
    """Hash of the ids and geometries, in order; JSON and hex keep the parts apart unambiguously."""
    geometries = np.where(pd.isna(wkb_hex), "", wkb_hex).tolist()
    text = json.dumps([list(map(str, region_ids)), geometries])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _cache_path(cache_dir, key: str) -> Path:
    return Path(cache_dir) / f"contiguity-{key}.npz"


def _read_cache(cache_dir, key: str, n: int) -> sp.csr_array | None:
    if cache_dir is None or not _cache_path(cache_dir, key).is_file():
        return None
    weights = sp.csr_array(sp.load_npz(_cache_path(cache_dir, key)))
    # A file cut short or written for another region set is rebuilt, not trusted.
    return weights if weights.shape == (n, n) else None


def _write_cache(cache_dir, key: str, weights: sp.csr_array) -> None:
    if cache_dir is None:
        return
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so that a reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz")
    os.close(fd)
    sp.save_npz(tmp, weights)
    os.replace(tmp, _cache_path(cache_dir, key))
