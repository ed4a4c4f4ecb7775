"""Small pieces by hand: projection, SVG paths, escaping in charts, wording of numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from forewarn.reports._common import interval, pct, points
from forewarn.reports._svg import MapFrame, drivers_svg, history_svg


def test_frame_keeps_north_up_and_shrinks_longitudes_by_latitude():
    frame = MapFrame((0, 58, 2, 62), width=100, margin=0)
    assert frame.k == pytest.approx(math.cos(math.radians(60)))
    # At 60 degrees, 2 degrees of longitude are as long as 1 of latitude.
    assert frame.height == pytest.approx(100 * 4 / (2 * 0.5))
    north = frame.project(shapely.Point(0, 62))
    south = frame.project(shapely.Point(2, 58))
    assert (north.x, north.y) == pytest.approx((0, 0))
    assert (south.x, south.y) == pytest.approx((100, 400))


def test_path_draws_holes_as_separate_rings():
    ring = shapely.box(0, 0, 10, 10).difference(shapely.box(4, 4, 6, 6))
    d = MapFrame((0, 0, 10, 10), width=100, margin=0).path(ring)
    assert d.count("M") == 2 and d.count("Z") == 2
    assert d.startswith("M") and "nan" not in d


def test_chart_text_is_escaped():
    svg = drivers_svg([("<b>bold</b> & co", 0.5)], [("low", -0.25)])
    assert "<b>" not in svg and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in svg
    assert drivers_svg([], []) == ""
    assert history_svg({}, (0.05, 0.15, 0.3), {}) == ""


def test_numbers_read_plainly():
    assert [pct(v) for v in (0.004, 0.05, 0.0999, 0.123, 1.0)] == ["0.4%", "5.0%", "10%", "12%",
                                                                    "100%"]
    assert pct(np.nan) == "n/a"
    assert interval(0.05, 0.2) == "5.0% to 20%" and interval(np.nan, 0.2) == "not available"
    assert [points(v) for v in (0.031, -0.004, 0.0, np.nan)] == ["+3.1 pp", "\u22120.4 pp",
                                                                  "\u00b10.0 pp", "\u2014"]


def test_driver_labels_wrap_instead_of_being_cut_off():
    label = "Time since the latest conflict began"
    svg = str(drivers_svg([(label, 0.9)], [("Protection services coverage", -0.2)]))
    assert "\u2026" not in svg
    assert ">Time since the latest<" in svg and ">conflict began<" in svg
    assert ">Protection services coverage<" in svg
