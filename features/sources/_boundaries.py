"""Region boundaries: Natural Earth countries, and any admin-1 layer with P-codes."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import httpx
import shapely

from forewarn.errors import ForewarnWarning, InputError, Problem
from forewarn.features._regions import read_regions
from forewarn.features.sources._codes import to_iso3
from forewarn.features.sources._common import Fetcher, check_file, vintage_folder

__all__ = [
    "read_natural_earth",
    "read_admin1",
    "fetch_natural_earth",
    "NATURAL_EARTH_URL",
    "NATURAL_EARTH_HOMEPAGE",
    "VARIABLE_MAP",
]

#: Natural Earth's CDN; ``{scale}`` is "10m", "50m" or "110m".
NATURAL_EARTH_URL = ("https://naciscdn.org/naturalearth/{scale}/cultural/"
                     "ne_{scale}_admin_0_countries.zip")
NATURAL_EARTH_HOMEPAGE = ("https://www.naturalearthdata.com/downloads/"
                          "50m-cultural-vectors/50m-admin-0-countries-2/")

#: Natural Earth attribute -> regions column. ``ADM0_A3`` stands in where ``ISO_A3`` is "-99".
VARIABLE_MAP = {"ISO_A3": "region_id", "NAME_LONG": "name", "SUBREGION": "parent_id",
                "CONTINENT": "parent_id"}
_PARENTS = {"subregion": "SUBREGION", "continent": "CONTINENT"}


def _read_layer(path) -> gpd.GeoDataFrame:
    path = check_file(path)
    try:
        if path.suffix.lower() == ".parquet":
            return gpd.read_parquet(path)
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio and pyarrow raise many types for a file they cannot open
        raise InputError(Problem(path, f"could not be read as a vector layer: {exc}")) from None


def read_natural_earth(path, *, parent: str = "subregion") -> gpd.GeoDataFrame:
    """Read Natural Earth admin-0 countries as forewarn regions.

    Parameters
    ----------
    path : path-like
        ``ne_50m_admin_0_countries`` (or 10m/110m) as shapefile zip, shapefile or GeoJSON,
        with Natural Earth's attributes (``ISO_A3``, ``ADM0_A3``, ``NAME_LONG``, ``SUBREGION``,
        ``CONTINENT``; any case).
    parent : {"subregion", "continent"}
        What ``parent_id`` holds: the UN sub-region ("Western Asia") or the continent.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id`` (ISO3; Kosovo "XKX"), columns ``name``, ``parent_id``,
        ``level`` ("country"), ``geometry``; EPSG:4326. Where ``ISO_A3`` is "-99", Natural
        Earth's ``ADM0_A3`` is used: France (FRA), Norway (NOR) and Kosovo (KOS, made XKX) get
        their codes; N. Cyprus (CYN), Somaliland (SOL), Siachen Glacier (KAS), Ashmore and
        Cartier Is. (ATC) and Indian Ocean Ter. (IOA) keep Natural Earth codes, which no
        statistical source uses, so they stay without data. The few invalid polygons Natural
        Earth ships (Sudan at 1:110m) are repaired with :func:`shapely.make_valid`.

    Raises
    ------
    ValueError
        ``parent`` is not one of the above.
    forewarn.errors.InputError
        The file is missing, unreadable, lacks the attributes, or has invalid geometries.
    """
    if parent not in _PARENTS:
        raise ValueError(f"The 'parent' parameter of read_natural_earth must be one of "
                         f"{tuple(_PARENTS)}. Got {parent!r} instead.")
    layer = _read_layer(path)
    layer.columns = [c if c == layer.geometry.name else str(c).upper() for c in layer.columns]
    needed = ["ISO_A3", "ADM0_A3", _PARENTS[parent]]
    missing = [c for c in needed if c not in layer.columns]
    if missing:
        raise InputError(Problem(path, f"lacks the Natural Earth attribute(s) {', '.join(missing)} "
                                 f"(found: {', '.join(map(str, layer.columns[:20]))}); download "
                                 f"admin-0 countries from {NATURAL_EARTH_HOMEPAGE}."))
    code = layer["ISO_A3"].where(layer["ISO_A3"].astype(str).str.strip() != "-99",
                                 layer["ADM0_A3"])
    name = layer["NAME_LONG"] if "NAME_LONG" in layer else layer["NAME"]
    regions = gpd.GeoDataFrame({
        "region_id": to_iso3(code).fillna(code.astype(str).str.strip()),
        "name": name,
        "parent_id": layer[_PARENTS[parent]],
        "level": "country",
    }, geometry=layer.geometry.values, crs=layer.crs)
    regions.attrs["name"] = str(path)
    return read_regions(_repaired(regions, path, warn=False))


def read_admin1(path, id_column: str, name_column: str,
                parent_column: str | None = None) -> gpd.GeoDataFrame:
    """Read any admin-1 boundary layer with P-codes (e.g. OCHA's COD-AB) as forewarn regions.

    Parameters
    ----------
    path : path-like
        GeoPackage, GeoJSON, shapefile (or its zip) or GeoParquet with a CRS.
    id_column : str
        Column with the unique region id, e.g. ``ADM1_PCODE``.
    name_column : str
        Column with the region name, e.g. ``ADM1_EN``.
    parent_column : str, optional
        Column with the parent id, e.g. ``ADM0_PCODE`` or an ISO3 column.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``region_id``, columns ``name``, ``parent_id``, ``level`` ("admin1"),
        ``geometry``; reprojected to EPSG:4326, sorted by id.

    Warns
    -----
    forewarn.errors.ForewarnWarning
        Invalid geometries were repaired with :func:`shapely.make_valid`.

    Raises
    ------
    forewarn.errors.InputError
        Missing file or column, no CRS, duplicate or empty ids, missing or invalid geometries.
    """
    layer = _read_layer(path)
    wanted = {"id_column": id_column, "name_column": name_column,
              "parent_column": parent_column}
    problems = [Problem(path, f"the {arg} {column!r} is not a column (found: "
                        f"{', '.join(map(str, layer.columns))}).", column=column)
                for arg, column in wanted.items() if column is not None
                and column not in layer.columns]
    if problems:
        raise InputError(problems)
    regions = gpd.GeoDataFrame({
        "region_id": layer[id_column].astype("string").str.strip(),
        "name": layer[name_column],
        "parent_id": layer[parent_column] if parent_column else None,
        "level": "admin1",
    }, geometry=layer.geometry.values, crs=layer.crs)
    regions.attrs["name"] = str(path)
    return read_regions(_repaired(regions, path, warn=True))


def _repaired(regions: gpd.GeoDataFrame, path, warn: bool) -> gpd.GeoDataFrame:
    """Invalid polygons made valid (self-intersections are common in published boundaries)."""
    geom = regions.geometry.values
    bad = ~shapely.is_missing(geom) & ~shapely.is_valid(geom)
    if not bad.any():
        return regions
    if warn:
        ids = ", ".join(map(str, regions.loc[bad, "region_id"][:5]))
        warnings.warn(f"{path}: {int(bad.sum())} invalid geometries repaired with "
                      f"shapely.make_valid (regions {ids}); check them on a map.",
                      ForewarnWarning, stacklevel=3)
    fixed = regions.copy()
    fixed.loc[bad, fixed.geometry.name] = shapely.make_valid(geom[bad], method="structure",
                                                             keep_collapsed=False)
    return fixed


def fetch_natural_earth(cache_dir, *, scale: str = "50m", url: str | None = None,
                        client: httpx.Client | None = None) -> list[Path]:
    """Download Natural Earth admin-0 countries (a zipped shapefile) into the cache.

    Saves ``ne_<scale>_admin_0_countries.zip`` under ``cache_dir/natural_earth/<date>/``.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder.
    scale : {"50m", "10m", "110m"}
        Natural Earth scale; 50m keeps small island states, which 110m drops.
    url : str, optional
        Where to download from; by default Natural Earth's CDN for ``scale``.
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The archive, ready for :func:`read_natural_earth`.

    Raises
    ------
    forewarn.errors.InputError
        The host cannot be reached (after a few tries) or answers with an error.
    """
    dest = vintage_folder(cache_dir, "natural_earth") / f"ne_{scale}_admin_0_countries.zip"
    url = url or NATURAL_EARTH_URL.format(scale=scale)
    with Fetcher("natural_earth", "read_natural_earth", NATURAL_EARTH_HOMEPAGE,
                 client) as fetcher:
        return [fetcher.download(url, dest, "zip")]
