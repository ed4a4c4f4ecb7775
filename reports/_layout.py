"""Where names go on a map, placed by one rule for the report's SVG map and the slide maps.

Both kinds of map hand this module the areas to name, in page units (SVG units, or pixels of
a slide) with y pointing up, and the box of each name as written at its anchor (estimated for
the SVG, measured by matplotlib for a slide). A name sits on a point inside the largest visible
part of its area; when it would overlap a name already placed or reach past the map, it may
move one line up or down or half its width left or right, as long as its box stays centred
inside the area it names; otherwise it is left out. Callers choose the order (largest area
first for parents, riskiest first for regions) and leave out areas too small to name.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import shapely

from forewarn.reports import _svg
from forewarn.reports._common import horizon_text, outlines

__all__ = ["Label", "anchor", "largest_first", "name_size", "place_labels", "report_map",
           "visible"]

#: Parent names are written at full size up to this many parents, smaller beyond.
FULL_SIZE_PARENTS = 12
#: Parent names on the report's map: their size with up to 12 parents, and the smallest they
#: shrink to when there are more. [SVG units; the map is 1000 wide]
_NAME_SIZE, _NAME_SIZE_MIN = 20.0, 12.0
# Width of a bold letter, as a share of the font size: DejaVu Sans Bold, among the widest
# sans-serif faces, averages up to 0.71 over a name; so an estimated box holds the drawn name.
_LETTER_WIDTH = 0.72


class Label(NamedTuple):
    """A name to place.

    Attributes
    ----------
    area : shapely geometry
        The visible part of what the name names. [page units, y up]
    box : tuple of float
        ``(x0, y0, x1, y1)`` of the written name with its reference point on
        :func:`anchor` of ``area``. [page units, y up]
    """

    area: object
    box: tuple


def visible(geoms, frame) -> np.ndarray:
    """The part of each geometry inside the map's ``frame`` ``(x0, y0, x1, y1)`` (empty when
    none is). [page units]"""
    geoms = np.asarray(list(geoms), dtype=object)
    # Real boundaries can self-intersect; clipping an invalid polygon would fail.
    bad = ~shapely.is_valid(geoms)
    geoms[bad] = shapely.make_valid(geoms[bad])
    view = shapely.box(*frame)
    inside = shapely.contains(view, geoms)
    return np.where(inside, geoms, shapely.intersection(geoms, view))


def anchor(area) -> tuple[float, float]:
    """Where a name is written: a point inside the largest part of ``area`` (a name sits on the
    mainland, not on the island that happens to come first)."""
    part = max(getattr(area, "geoms", (area,)), key=lambda g: g.area)
    pt = part.representative_point()
    return pt.x, pt.y


def largest_first(areas, smallest: float = 0.0) -> tuple[list[int], int]:
    """Positions of the areas to name, largest first (ties keep their order), and how many
    were left out as smaller than ``smallest`` (or empty).

    Parameters
    ----------
    areas : sequence of shapely geometry
        Visible parts of the areas. [page units]
    smallest : float
        Least area worth a name; the convention is half the letters' height squared.
        [page units^2]
    """
    size = shapely.area(np.asarray(list(areas), dtype=object))
    keep = (size >= smallest) & (size > 0)
    order = [int(i) for i in np.argsort(-size, kind="stable") if keep[i]]
    return order, int((~keep).sum())


def name_size(n: int, full: float, smallest: float) -> float:
    """Font size of parent names on a map with ``n`` parents: ``full`` up to
    :data:`FULL_SIZE_PARENTS`, then shrinking with their number down to ``smallest``."""
    if n <= FULL_SIZE_PARENTS:
        return full
    return max(smallest, full * (FULL_SIZE_PARENTS / n) ** 0.75)


def place_labels(labels, frame, taken: list | None = None) -> list:
    """Place the names in order; return each one's shift from its anchor, None if left out.

    A name is written at its anchor when its box reaches past no edge of ``frame`` and overlaps
    no box in ``taken``; otherwise it tries one line up, one line down, half its width left
    and half its width right, taking the first that fits and keeps the box's centre inside
    its area.

    Parameters
    ----------
    labels : iterable of Label
        First placed first.
    frame : tuple of float
        ``(x0, y0, x1, y1)`` of the map. [page units]
    taken : list of tuple, optional
        Boxes of names already written; each placed box is appended. [page units]

    Returns
    -------
    list of (float, float) or None
        Per label, the shift ``(dx, dy)`` of its box from the anchor. [page units]
    """
    taken = [] if taken is None else taken
    fx0, fy0, fx1, fy1 = frame
    out = []
    for area, (x0, y0, x1, y1) in labels:
        h, w = y1 - y0, (x1 - x0) / 2
        placed = None
        for dx, dy in ((0.0, 0.0), (0.0, h), (0.0, -h), (-w, 0.0), (w, 0.0)):
            b = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
            if not (fx0 <= b[0] and b[2] <= fx1 and fy0 <= b[1] and b[3] <= fy1):
                continue
            if any(t[0] < b[2] and b[0] < t[2] and t[1] < b[3] and b[1] < t[3] for t in taken):
                continue
            if (dx or dy) and not shapely.contains_xy(area, (b[0] + b[2]) / 2,
                                                      (b[1] + b[3]) / 2):
                continue
            taken.append(b)
            placed = (dx, dy)
            break
        out.append(placed)
    return out


# --- the report's SVG map -----------------------------------------------------------------

def report_map(data, states: dict, h) -> dict:
    """The report's map (SVG) and how to style it: thin lines where regions are small on it
    (a world of countries), and only the parent names that fit.

    Parameters
    ----------
    data : ReportData
    states : dict
        region_id -> ``(class_index, low_reliability, aria_label)`` for horizon ``h``.
    h : int
        The horizon shown first. [months]
    """
    regions = data.regions.to_crs("EPSG:4326")
    lines = outlines(data)
    frame = _svg.MapFrame(regions.total_bounds)
    areas = shapely.area(frame.project(regions.geometry.to_numpy()))
    # Median region under 12 units across (about 10 pixels on screen): borders would bury it.
    fine = bool(len(areas)) and float(np.sqrt(np.median(areas))) < 12
    # Under 3 units (grid cells) any border is wider than the region: no borders at all.
    tiny = bool(len(areas)) and float(np.sqrt(np.median(areas))) < 3
    size, names = _NAME_SIZE, []
    if lines is not None:
        size = name_size(len(lines), _NAME_SIZE, _NAME_SIZE_MIN)
        names = svg_names(lines, frame, size)
    svg = _svg.map_svg(regions, lines, states, f"Map of risk classes, {horizon_text(h)} ahead",
                       names)
    return {"svg": svg, "fine": fine, "tiny": tiny, "name_size": f"{size:.3g}"}


def svg_names(lines, frame, size: float) -> list:
    """Parent names for the report's map placed by :func:`place_labels`, the largest parents
    first, leaving out a parent smaller on the map than half its letters.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        Parent outlines with ``name`` (EPSG:4326).
    frame : forewarn.reports._svg.MapFrame
        The map's projection.
    size : float
        Font size of the names. [SVG units]

    Returns
    -------
    list of (str, float, float)
        Each name written and where its baseline's centre goes. [SVG units, y down]
    """
    height = frame.height

    def y_up(xy):
        return np.column_stack([xy[:, 0], height - xy[:, 1]])

    parts = visible(shapely.transform(frame.project(lines.geometry.to_numpy()), y_up),
                    (0.0, 0.0, frame.width, height))
    order, _ = largest_first(parts, (size / 2) ** 2)
    labels, points = [], []
    for i in order:
        x, y = anchor(parts[i])
        name = str(lines["name"].iloc[i])
        # The text's baseline is centred on the anchor; 2: the white halo.
        half = _LETTER_WIDTH * size * len(name) / 2 + 2
        labels.append(Label(parts[i], (x - half, y - 0.25 * size - 2, x + half,
                                       y + 0.8 * size + 2)))
        points.append((i, name, x, y))
    shifts = place_labels(labels, (0.0, 0.0, frame.width, height))
    # In the outlines' order: the same names give the same file.
    return [(name, x + shift[0], height - (y + shift[1]))
            for (_, name, x, y), shift in sorted(zip(points, shifts), key=lambda p: p[0][0])
            if shift is not None]
