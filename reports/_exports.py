"""Exports for GIS users and data portals: GeoPackage, GeoJSON and an HXL-tagged CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from forewarn.features import has_geometry
from forewarn.reports._common import check_report_data, parent_names
from forewarn.reports._data import SCORE_COLUMNS, ReportData

__all__ = ["write_exports", "HXL_TAGS", "spreadsheet_safe"]

#: Column of the HXL CSV -> its HXL hashtag (https://hxlstandard.org). The place tags depend on
#: the regions' level and are filled in by :func:`_place_tags`.
HXL_TAGS = {
    "region_id": "#{level}+code",
    "name": "#{level}+name",
    "parent_id": "#{parent}+code",
    "parent_name": "#{parent}+name",
    "origin": "#date+forecast",
    "horizon_months": "#meta+horizon+months",
    "probability": "#indicator+probability",
    "lower": "#indicator+probability+lower",
    "upper": "#indicator+probability+upper",
    "risk_class": "#severity+risk",
    "index_score": "#indicator+index",
    "reliability": "#indicator+reliability",
    "low_reliability": "#meta+reliability+low",
    "change": "#indicator+probability+change",
    "drivers_up": "#description+drivers+up",
    "drivers_down": "#description+drivers+down",
    "note": "#meta+note",
}
# forewarn's region levels -> HXL administrative level tags; any other level is a place (#loc).
_HXL_LEVELS = {"country": "adm0", "admin0": "adm0", "adm0": "adm0", "admin1": "adm1",
               "adm1": "adm1", "admin2": "adm2", "adm2": "adm2", "admin3": "adm3",
               "adm3": "adm3"}
_LAYER = "scores"
_NOTE = ("Statistical signal for preparedness, not a finding about any community; detected "
         "trafficking measures detection as much as trafficking.")


def write_exports(data: ReportData, folder) -> list[Path]:
    """Write the scores with their regions for GIS users and data portals.

    Files (one row per region and horizon, in the scores' order):

    ``regions.gpkg``
        GeoPackage, layer ``scores``: the score columns with each region's polygon
        (EPSG:4326); a ``parents`` layer when parent regions are known.
    ``regions.geojson``
        The same table as GeoJSON (RFC 7946, EPSG:4326, coordinates to 6 decimals).
    ``scores_hxl.csv``
        HDX-style CSV: a header row, then a row of HXL hashtags (``#adm1+code``,
        ``#indicator+probability``...), then the data; no geometry.

    When the regions have no geometry (a regions table), only ``scores_hxl.csv`` is written.

    Every file carries a ``note`` column: the caveat, and on demo runs the demo label first.
    Dates are ISO ``YYYY-MM-DD`` text.

    Parameters
    ----------
    data : ReportData
    folder : str or Path
        Created when missing.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    TypeError, ValueError
        When ``data`` breaks the ReportData contract.
    """
    check_report_data(data, "write_exports")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = _table(data)
    regions = data.regions.to_crs("EPSG:4326")
    hxl = folder / "scores_hxl.csv"
    if not has_geometry(regions):  # a regions table without polygons: nothing for GIS users
        _write_hxl(table, regions, hxl)
        return [hxl]
    geo = gpd.GeoDataFrame(table, geometry=regions.geometry.reindex(table["region_id"]).values,
                           crs="EPSG:4326")
    gpkg = folder / "regions.gpkg"
    gpkg.unlink(missing_ok=True)  # a rerun replaces the file, never appends a second layer
    geo.to_file(gpkg, layer=_LAYER, driver="GPKG")
    if data.parents is not None and len(data.parents):
        parents = data.parents.to_crs("EPSG:4326").reset_index(names="region_id")
        parents.to_file(gpkg, layer="parents", driver="GPKG")
    geojson = folder / "regions.geojson"
    geojson.unlink(missing_ok=True)
    geo.to_file(geojson, driver="GeoJSON", COORDINATE_PRECISION=6, RFC7946="YES")
    _write_hxl(table, regions, hxl)
    return [gpkg, geojson, hxl]


def _table(data: ReportData) -> pd.DataFrame:
    """The score columns, parent names, ISO dates and the note, one row per region and horizon."""
    t = data.scores[list(SCORE_COLUMNS)].copy()
    names = parent_names(data)
    t.insert(3, "parent_name", t["parent_id"].map(lambda p: names.get(str(p), "")
                                                  if pd.notna(p) else ""))
    t["origin"] = pd.to_datetime(t["origin"]).dt.strftime("%Y-%m-%d")
    t["low_reliability"] = t["low_reliability"].astype(bool)
    note = f"{data.demo_label}. {_NOTE}" if data.demo_label else _NOTE
    t["note"] = note
    for col in ("name", "parent_id", "risk_class", "drivers_up", "drivers_down"):
        t[col] = t[col].astype(object).where(t[col].notna(), None)
    return t.reset_index(drop=True)


def _place_tags(regions) -> tuple[str, str]:
    """HXL tags of the regions' level and of their parents' level."""
    levels = {_HXL_LEVELS.get(str(v).lower(), "loc") for v in regions["level"].dropna()}
    level = levels.pop() if len(levels) == 1 else "loc"
    if level.startswith("adm"):
        n = int(level[3:])
        return level, f"adm{n - 1}" if n > 0 else "region"
    return "loc", "adm0"


def _write_hxl(table: pd.DataFrame, regions, path: Path) -> None:
    level, parent = _place_tags(regions)
    out = table.rename(columns={"horizon": "horizon_months"})[list(HXL_TAGS)]
    tags = [HXL_TAGS[c].format(level=level, parent=parent) for c in out.columns]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(out.columns)
        w.writerow(tags)
        for row in out.itertuples(index=False):
            w.writerow([_cell(v) for v in row])


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, float):
        return json.dumps(round(v, 6))
    return _inert(str(v))


#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells cannot run as spreadsheet formulas.

    A region named ``=HYPERLINK("http://...")`` would be run by Excel or LibreOffice when the
    CSV is opened (CSV injection). As OWASP advises, text cells starting with ``= + - @``, a tab
    or a carriage return get a leading apostrophe; numbers, dates and other text are unchanged.

    Examples
    --------
    >>> spreadsheet_safe(pd.DataFrame({"name": ["=1+1", "Lineo"], "p": [-0.5, 0.2]}))
       name    p
    0  '=1+1 -0.5
    1  Lineo  0.2
    """
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: _inert(v) if isinstance(v, str) else v)
    return out
