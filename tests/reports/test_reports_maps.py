"""Slide maps: the expected files at slide size, legible classes, the change map's empty case."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest
from matplotlib.image import imread

from forewarn.reports import write_maps
from forewarn.reports._common import class_legend, classify

from .conftest import build_report_data


@pytest.fixture(scope="module")
def one_horizon(small_world):
    return build_report_data(small_world, horizons=(3,))


def test_maps_for_the_area_each_parent_and_the_change(one_horizon, tmp_path):
    files = write_maps(one_horizon, tmp_path / "maps")
    stems = ["risk_3m_all", "risk_3m_XA", "risk_3m_XB", "risk_3m_XC", "change_3m_all"]
    assert [f.name for f in files] == [f"{s}.{e}" for s in stems for e in ("png", "pdf")]
    for f in files:
        assert f.stat().st_size > 20_000, f
        if f.suffix == ".pdf":
            assert f.read_bytes().startswith(b"%PDF")
    image = imread(files[0])
    assert image.shape[:2] == (1125, 2000)  # 16:9 at 150 dpi
    # The demo band across the top is red, and classes are drawn in their colours.
    assert np.allclose(image[10, 1000, :3], (0xb2 / 255, 0x18 / 255, 0x2b / 255), atol=0.02)


def test_first_run_change_map_says_so(small_world, tmp_path, caplog):
    data = build_report_data(small_world, previous=False, horizons=(3,))
    with caplog.at_level(logging.INFO, logger="forewarn.reports._maps"):
        files = write_maps(data, tmp_path, formats=("svg",))
    change = tmp_path / "change_3m_all.svg"
    assert change in files
    assert "This is the first run" in change.read_text(encoding="utf-8")
    assert "no previous run to compare with; the map says so" in caplog.text


def test_map_text_keeps_dollar_signs_literal(one_horizon, tmp_path):
    # Unescaped, matplotlib would set "5 to " as mathematics.
    data = dataclasses.replace(one_horizon, project_name="Costs $5 to $10 more")
    files = write_maps(data, tmp_path, formats=("svg",))
    assert "Costs $5 to $10 more" in (tmp_path / "risk_3m_all.svg").read_text(encoding="utf-8")
    assert len(files) == 5


def test_unknown_format_is_refused(one_horizon, tmp_path):
    with pytest.raises(ValueError, match=r"unknown format\(s\) \['jpg'\]; choose from"):
        write_maps(one_horizon, tmp_path, formats=("png", "jpg"))


def test_classes_start_at_their_break():
    breaks = (0.05, 0.15, 0.30)
    got = classify([0.0, 0.0499, 0.05, 0.1499, 0.15, 0.3, 0.95, np.nan], breaks)
    assert got.tolist() == [0, 0, 1, 1, 2, 3, 3, -1]
    assert class_legend(breaks) == ["low: under 5%", "medium: 5% to under 15%",
                                    "high: 15% to under 30%", "very high: 30% or more"]


def test_regions_without_parents_get_the_area_and_change_maps(one_horizon, tmp_path):
    data = dataclasses.replace(one_horizon, parents=None,
                               regions=one_horizon.regions.assign(parent_id=None),
                               scores=one_horizon.scores.assign(parent_id=None))
    files = write_maps(data, tmp_path, formats=("png",))
    assert [f.name for f in files] == ["risk_3m_all.png", "change_3m_all.png"]
