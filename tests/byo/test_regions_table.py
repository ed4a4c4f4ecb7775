"""Regions as a table without geometry: CSV or plain Parquet, checked like any input."""

from __future__ import annotations

import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.features import has_geometry, read_regions

ROWS = {"region_id": ["DDR", "CSK", "YUG"], "name": ["East Germany", "Czechoslovakia",
                                                     "Yugoslavia"],
        "parent_id": ["EUR", "EUR", ""]}


def test_csv_and_parquet_tables_give_the_regions_contract(tmp_path):
    pd.DataFrame(ROWS).to_csv(tmp_path / "regions.csv", index=False)
    pd.DataFrame(ROWS).to_parquet(tmp_path / "regions.parquet")
    for path in (tmp_path / "regions.csv", tmp_path / "regions.parquet"):
        regions = read_regions(path)
        assert list(regions.index) == ["CSK", "DDR", "YUG"]
        assert list(regions.columns) == ["name", "parent_id", "level", "geometry"]
        assert regions.crs == "EPSG:4326" and not has_geometry(regions)
        assert regions.loc["DDR", "parent_id"] == "EUR"
        assert pd.isna(regions.loc["YUG", "parent_id"])  # an empty cell: no parent
        assert (regions["level"] == "region").all()


def test_geoparquet_still_reads_as_geometry(tmp_path, tiny_regions):
    tiny_regions.to_parquet(tmp_path / "regions.parquet")
    assert has_geometry(read_regions(tmp_path / "regions.parquet"))


def test_a_regions_table_names_its_problems(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("region_id,nme\nDDR,East Germany\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'nme' looks like a misspelling of the required "
                       r"column 'name'"):
        read_regions(path)
    path.write_text("region_id,name\nDDR,East Germany\nCSK,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"regions.csv.*row 3.*region 'CSK' has no name; give "
                       r"every region a name"):
        read_regions(path)
