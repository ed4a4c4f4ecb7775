"""Regions without geometry (a regions table): a report without a map, no maps, no GIS files."""

from __future__ import annotations

import dataclasses

import geopandas as gpd

from forewarn.reports import render_report, write_exports, write_maps


def _without_geometry(data):
    regions = gpd.GeoDataFrame(data.regions.drop(columns="geometry"),
                               geometry=[None] * len(data.regions), crs="EPSG:4326")
    return dataclasses.replace(data, regions=regions, parents=None)


def test_report_renders_without_a_map_and_lists_the_regions(report_data):
    data = _without_geometry(report_data)
    html = render_report(data)
    assert "No map: the regions of this project have no geometry" in html
    assert 'id="fw-map"' not in html and 'id="fw-panel"' not in html
    assert '<details class="text-map" open>' in html
    name = str(data.regions["name"].iloc[0])
    assert name in html


def test_no_maps_and_only_the_table_export(report_data, tmp_path):
    data = _without_geometry(report_data)
    assert write_maps(data, tmp_path / "maps") == []
    assert not (tmp_path / "maps").exists()
    assert write_exports(data, tmp_path) == [tmp_path / "scores_hxl.csv"]
    assert not (tmp_path / "regions.gpkg").exists()
