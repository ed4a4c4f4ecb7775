"""The grid world: the demo world's model on a square grid of cells, as dense arrays, for scale.

Same structural model and catalogue as :func:`~forewarn.datasets.make_demo_world`, but the
regions are 0.5-degree squares in the South Atlantic and the true monthly values come as
(region, time) arrays with no long tables, so forewarn's dense path can be exercised at
65,000 cells × 360 months. Every output made from it carries ``DEMO_LABEL``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from forewarn.datasets._demo import DEMO_LABEL, DEMO_SEED, _simulate, demo_catalogue
from forewarn.features import Catalogue, ordinal_to_timestamp, row_standardise

__all__ = ["GridWorld", "make_grid_world"]


@dataclass(frozen=True)
class GridWorld:
    """A square-cell world for scale work: dense true monthly arrays, no long tables.

    ``data`` holds one (region, time) variable per catalogue indicator (the true monthly value)
    and ``surge`` (0/1); ``regions`` the cell squares (built with vectorised shapely, no loop).
    """

    regions: gpd.GeoDataFrame
    data: "xr.Dataset"  # noqa: F821 - imported lazily to keep the import light
    catalogue: Catalogue
    adjacency: sp.csr_matrix


def make_grid_world(n_rows: int = 260, n_cols: int = 250, n_months: int = 360,
                    seed: int = DEMO_SEED, cell_degrees: float = 0.5, dtype="float32",
                    geometry: bool = True) -> GridWorld:
    """Generate a grid world (default 260 × 250 = 65,000 cells × 360 months) with the same model.

    Neighbours come from the grid (queen contiguity by index arithmetic), cells from
    ``shapely.box`` on arrays, so there is no per-cell Python work.
    """
    import xarray as xr

    rng = np.random.default_rng(seed)
    n = n_rows * n_cols
    rows, cols = np.divmod(np.arange(n), n_cols)
    pairs = []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            rr, cc = rows + dr, cols + dc
            ok = (rr >= 0) & (rr < n_rows) & (cc >= 0) & (cc < n_cols)
            pairs.append((np.flatnonzero(ok), (rr * n_cols + cc)[ok]))
    left = np.concatenate([p[0] for p in pairs])
    right = np.concatenate([p[1] for p in pairs])
    adjacency = sp.csr_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    block = (rows // 20) * ((n_cols + 19) // 20) + cols // 20     # parent: 20 × 20 blocks
    country = pd.factorize(block)[0]
    edge = np.minimum.reduce([rows, cols, n_rows - 1 - rows, n_cols - 1 - cols])
    exposure = np.clip(1 - edge / 25, 0, 1)
    sim = _simulate(rng, n_months, country, exposure, row_standardise(adjacency), dtype=dtype)
    ids = np.char.add("G", np.char.zfill(np.arange(n).astype(str), 6))
    x0, y0 = -40.0, -60.0
    if geometry:
        geom = shapely.box(x0 + cols * cell_degrees, y0 + rows * cell_degrees,
                           x0 + (cols + 1) * cell_degrees, y0 + (rows + 1) * cell_degrees)
    else:  # no shapes, only the ids (benchmarks that never draw or join)
        geom = gpd.GeoSeries([None] * n, crs="EPSG:4326")
    regions = gpd.GeoDataFrame({"region_id": ids, "name": ids,
                                "parent_id": np.char.add("B", block.astype(str)),
                                "level": "cell"}, geometry=geom, crs="EPSG:4326"
                               ).set_index("region_id")
    catalogue = demo_catalogue()
    times = ordinal_to_timestamp(2000 * 12 + np.arange(n_months))
    data = xr.Dataset(
        {k: (("region", "time"), sim[k], catalogue[k].to_attrs())
         for k in catalogue if k != "detected_trafficking"}
        | {"detected_trafficking": (("region", "time"),
                                    (sim["incidence"] * sim["_detect"] * 0.6).astype(dtype),
                                    catalogue["detected_trafficking"].to_attrs()),
           "surge": (("region", "time"), sim["surge"].astype("int8"))},
        coords={"region": ids, "time": times}, attrs={"demo": DEMO_LABEL})
    return GridWorld(regions, data, catalogue, adjacency)
