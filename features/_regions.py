"""Read and check a regions file (polygons, or a plain table without geometry)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from forewarn._match import closest
from forewarn.features._validate import _Collector, checked_file, read_table

__all__ = ["read_regions", "has_geometry", "REGION_COLUMNS"]

REGION_COLUMNS = ("region_id", "name")
_REGION_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".parquet")


def _read_geo(path: Path) -> gpd.GeoDataFrame:
    col = checked_file(path, _REGION_SUFFIXES, "GeoPackage (.gpkg), GeoJSON, Shapefile (.shp) "
                       "or GeoParquet (.parquet)", "one feature per region")
    try:
        if path.suffix.lower() == ".parquet":
            return gpd.read_parquet(path)
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio/pyarrow raise many types for a broken file
        col.add(f"could not be read as a regions file: {exc}")
        col.raise_if_any()


def read_regions(path) -> gpd.GeoDataFrame:
    """Read and check a regions file: a geometry file, or a plain table without geometry.

    A GeoPackage, GeoJSON, Shapefile or GeoParquet file needs columns ``region_id`` and
    ``name`` (``parent_id`` and ``level`` optional), a polygon per region and a CRS. A CSV or
    plain Parquet table (``region_id, name[, parent_id, level]``) has no geometry, for countries
    no boundary file draws (e.g. East Germany, South Vietnam): everything but maps and spatial
    features works with it (see :func:`has_geometry`). The result is in EPSG:4326 (geometry
    empty for a table), indexed by ``region_id``, sorted by id. ``path`` may also be a
    GeoDataFrame, or a plain DataFrame for a table, checked the same way.
    """
    if isinstance(path, gpd.GeoDataFrame):
        gdf, path = path, path.attrs.get("name", "<regions>")
    elif isinstance(path, pd.DataFrame) or _is_plain_table(Path(path)):
        return _regions_table(path)
    else:
        gdf = _read_geo(Path(path))
    col = _Collector(path)
    if gdf.index.name == "region_id" and "region_id" not in gdf.columns:
        gdf = gdf.reset_index()
    rows = np.arange(len(gdf)) + 1
    if len(gdf) == 0:
        col.add("has no regions.")
    for c in REGION_COLUMNS:
        if c not in gdf.columns:
            close = closest(c, gdf.columns)
            hint = f" Column '{close[0]}' looks like a misspelling; rename it." if close else ""
            col.add(f"the required column '{c}' is missing (found: "
                    f"{', '.join(map(str, gdf.columns))}).{hint}", column=c)
    if gdf.crs is None:
        col.add("has no coordinate reference system (CRS); set one when writing it, e.g. "
                "gdf.set_crs('EPSG:4326').to_file(...).")
    col.raise_if_any()
    ids = _checked_ids(gdf["region_id"], col, rows)
    geom = gdf.geometry.values
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    col.rows(missing, rows, "geometry", lambda i: "has no geometry; every region needs a polygon "
             "(or give all regions as a table without geometry: region_id, name, parent_id in "
             "a CSV file).")
    kinds = shapely.get_type_id(geom)
    areal = np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    col.rows(~missing & ~areal, rows, "geometry", lambda i: (
        f"region {ids.iloc[i]!r} is a {geom[i].geom_type}, not "
        "an area; regions are polygons (for places known only as points, give a table without "
        "geometry: region_id, name, parent_id in a CSV file)."))
    col.raise_if_any()
    invalid = ~missing & ~shapely.is_valid(geom)
    col.rows(invalid, rows, "geometry", lambda i: (
        f"region {ids.iloc[i]!r} has an invalid geometry ({shapely.is_valid_reason(geom[i])}); "
        "repair it, e.g. with shapely.make_valid or QGIS 'Fix geometries'."))
    col.raise_if_any()
    return _regions_frame(gdf.assign(region_id=ids)).to_crs("EPSG:4326").sort_index()


def has_geometry(regions) -> bool:
    """True when the regions carry polygons (False for a regions table without geometry)."""
    geom = getattr(regions, "geometry", None)
    return geom is not None and len(regions) > 0 and not shapely.is_missing(
        geom.to_numpy()).all()


def _is_plain_table(path: Path) -> bool:
    """A CSV file, or a Parquet file without GeoParquet metadata."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return True
    if suffix != ".parquet" or not path.is_file():
        return False
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # a broken file: _read_geo reports it
        return False
    return b"geo" not in meta


def _checked_ids(raw: pd.Series, col: _Collector, rows) -> pd.Series:
    ids = raw.astype(str).str.strip()
    col.rows(ids.duplicated(keep="first").to_numpy(), rows, "region_id",
             lambda i: f"region id {ids.iloc[i]!r} appears more than once; ids must be unique.")
    col.rows((ids == "").to_numpy() | raw.isna().to_numpy(), rows, "region_id",
             lambda i: "is empty; every region needs an id.")
    return ids


def _regions_frame(out):
    """The regions contract's columns, indexed by ``region_id`` (``parent_id`` None if missing)."""
    if "parent_id" not in out:
        out["parent_id"] = None
    if "level" not in out:
        out["level"] = "region"
    out["parent_id"] = out["parent_id"].where(out["parent_id"].notna(), None)
    return out[["region_id", "name", "parent_id", "level", "geometry"]].set_index("region_id")


def _regions_table(path) -> gpd.GeoDataFrame:
    """A regions table without geometry (CSV or plain Parquet) in the regions contract."""
    frame, rows = read_table(path, ("region_id", "name"), ("parent_id", "level"))
    name = path.attrs.get("name", "<regions>") if isinstance(path, pd.DataFrame) else path
    col = _Collector(name)
    ids = _checked_ids(frame["region_id"], col, rows)
    col.rows((frame["name"] == "").to_numpy(), rows, "name",
             lambda i: f"region {ids.iloc[i]!r} has no name; give every region a name.")
    col.raise_if_any()
    if "parent_id" in frame:  # an empty cell: no parent
        frame["parent_id"] = frame["parent_id"].where(frame["parent_id"] != "", None)
    if "level" in frame:
        frame["level"] = frame["level"].where(frame["level"] != "", "region")
    gdf = gpd.GeoDataFrame(frame.assign(region_id=ids), geometry=[None] * len(frame),
                           crs="EPSG:4326")
    return _regions_frame(gdf).sort_index()
