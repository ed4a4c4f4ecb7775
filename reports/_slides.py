"""The slide a map is drawn on: a 16:9 figure with title, map, side panel, source line, caveat
and demo stamp; text fitted to its width; line widths and names that suit the regions' size."""

from __future__ import annotations

from typing import NamedTuple

import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patheffects import withStroke

from forewarn.reports._common import CAVEAT, source_line
from forewarn.reports._layout import Label, anchor, place_labels, visible

#: 16:9 slide at 150 dpi: 2000 x 1125 pixels. [inches]
SLIDE_SIZE = (40 / 3, 7.5)
DPI = 150
# The source line wraps to at most this many lines; the rest is in the report.
_SOURCE_LINES = 3
_MORE_SOURCES = "\u2026 (all sources in the report)"
HALO = [withStroke(linewidth=3.5, foreground="white")]
#: Matplotlib settings every map is drawn with.
RC = {"svg.fonttype": "none", "hatch.linewidth": 1.6, "font.family": "DejaVu Sans"}
#: Regions smaller than this on the page are drawn without edges (a 65,000-cell grid would
#: otherwise be all outline). [points]
_NO_EDGE_POINTS = 3.0


def t(text) -> str:
    """Text safe for matplotlib: a ``$`` would otherwise start mathematics."""
    return str(text).replace("$", r"\$")


class Slide(NamedTuple):
    """One map figure and what its parts need to lay text out."""

    fig: Figure
    ax: matplotlib.axes.Axes  # the map
    side: matplotlib.axes.Axes  # legend panel
    renderer: RendererAgg  # measures text
    note_y: float  # where a note under the map goes [figure fraction]


def _renderer(fig) -> RendererAgg:
    """A renderer to measure text with. The figure gets no canvas: geopandas asks the canvas to
    redraw after every layer, and only savefig (Agg for PNG, the vector backends for PDF/SVG)
    needs to draw."""
    return RendererAgg(int(fig.bbox.width), int(fig.bbox.height), fig.dpi)


def _width(renderer, text, size, **font) -> float:
    """Width of one line of ``text`` at ``size`` [points]. [pixels]"""
    prop = FontProperties(size=size, **font)
    return renderer.get_text_width_height_descent(str(text), prop, ismath=False)[0]


def fit(renderer, text, size, width, **font) -> float:
    """The font size [points] at which ``text`` fits ``width`` [pixels]: ``size``, or smaller,
    down to 60% of it (a longer text runs on rather than become unreadable)."""
    smallest = 0.6 * size
    w = _width(renderer, text, size, **font)
    # Hinted glyphs do not scale exactly with the size: shrink until the text really fits.
    while w > width and size > smallest:
        size = max(smallest, min(0.98 * size, size * width / w))
        w = _width(renderer, text, size, **font)
    return size


def _wrap(renderer, text, size, width, max_lines, more) -> list[str]:
    """``text`` broken into lines no wider than ``width`` [pixels] at ``size`` [points]; when it
    needs more than ``max_lines``, the last line shown ends with ``more``."""
    lines = []
    for word in str(text).split():
        if lines and _width(renderer, f"{lines[-1]} {word}", size) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1].split()
    while last and _width(renderer, " ".join(last) + more, size) > width:
        last.pop()
    return lines[:max_lines - 1] + [" ".join(last) + more]


def slide(data, title: str, subtitle: str) -> Slide:
    """A 16:9 figure with title, map axes, side panel, source line, caveat and demo stamp."""
    fig = Figure(figsize=SLIDE_SIZE, dpi=DPI, facecolor="white")
    renderer = _renderer(fig)
    width = 0.96 * fig.bbox.width  # between the 2% margins
    heading = width  # the title's and subtitle's width, less the demo stamp's
    top = 0.955
    if data.demo_label:
        # A band across the top and a corner stamp: no slide can pass for real data.
        fig.patches.append(matplotlib.patches.Rectangle(
            (0, 0.955), 1, 0.045, transform=fig.transFigure, color="#b2182b", zorder=0))
        fig.text(0.5, 0.977, t(data.demo_label), fontsize=15, weight="bold", color="white",
                 ha="center", va="center")
        top = 0.935
        # A corner stamp beside the title, never over the regions: over the map a translucent
        # red stamp read as risen risk on the change map and hid names.
        stamp = fig.text(0.98, top, "DEMO DATA", fontsize=18, weight="bold", color="#1f2328",
                         ha="right", va="top", bbox={"boxstyle": "square,pad=0.35",
                                                     "facecolor": "#ffd84d",
                                                     "edgecolor": "#1f2328", "linewidth": 2})
        heading -= stamp.get_window_extent(renderer).width + 0.03 * fig.bbox.width
    fig.text(0.02, top, t(title), fontsize=fit(renderer, title, 28, heading, weight="bold"),
             weight="bold", va="top")
    fig.text(0.02, top - 0.075, t(subtitle), fontsize=fit(renderer, subtitle, 17, heading),
             va="top", color="#333333")
    # The caveat keeps its line at the foot; a source line that wraps grows upwards and lifts
    # the map by as much, so nothing runs off the page or over anything else.
    source = _wrap(renderer, source_line(data), 11, width, _SOURCE_LINES, _MORE_SOURCES)
    foot = fig.text(0.02, 0.075, t(source[0]), fontsize=11, va="top", color="#333333")
    one_line = foot.get_window_extent(renderer).height
    foot.set_text("\n".join(t(s) for s in source))
    lift = (foot.get_window_extent(renderer).height - one_line) / fig.bbox.height
    foot.set_y(0.075 + lift)
    fig.text(0.02, 0.035, t(CAVEAT), fontsize=12, va="top", style="italic", color="#8c1d18")
    bottom = 0.13 + lift
    ax = fig.add_axes((0.02, bottom, 0.62, top - 0.125 - bottom))
    ax.set_axis_off()
    side = fig.add_axes((0.655, bottom, 0.335, top - 0.125 - bottom))
    side.set_axis_off()
    return Slide(fig, ax, side, renderer, 0.1 + lift)


def note(s: Slide, text: str) -> None:
    """A grey line between the map and the source line."""
    s.fig.text(0.02, s.note_y, t(text), fontsize=11, color="#555555")


def view(ax, geoms, pad=0.06):
    """Frame ``geoms``, widened to the shape of the axes so neighbours fill it as context.

    Sets the aspect as geopandas does for longitude/latitude (1 / cos of the middle latitude of
    ``geoms``), so layers are then drawn with ``aspect=None`` and the frame is known before
    any line width or label is chosen.
    """
    minx, miny, maxx, maxy = geoms.total_bounds
    aspect = 1 / np.cos(np.radians((miny + maxy) / 2))  # y units per x unit
    ax.set_aspect(aspect)
    w, h = (maxx - minx) * (1 + 2 * pad), (maxy - miny) * (1 + 2 * pad)
    box = ax.get_position(original=True)
    fig_w, fig_h = ax.figure.get_size_inches()
    want = (box.height * fig_h) / (box.width * fig_w)  # height / width of the axes on paper
    if h * aspect / w < want:
        h = want * w / aspect
    else:
        w = h * aspect / want
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.apply_aspect()


def _pixel_area(ax) -> float:
    """Pixels on the page per square unit of the map's coordinates. [pixels / degree^2]"""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return ax.bbox.width * ax.bbox.height / ((x1 - x0) * (y1 - y0))


def detail(ax, focus) -> float:
    """How roomy the regions of ``focus`` are on the page: 0 for a world of countries (the
    median one a few points across), 1 for the demo's provinces (25 points or more). Lines
    thin out as regions shrink, or borders would bury the smallest; below
    ``_NO_EDGE_POINTS`` (grid cells) regions get no edge at all (negative detail)."""
    areas = shapely.area(focus.geometry.to_numpy())
    size = np.sqrt(np.median(areas) * _pixel_area(ax)) * 72 / DPI  # [points]
    if size < _NO_EDGE_POINTS:
        return -1.0
    return float(np.clip((size - 5) / 20, 0, 1))


def lw(detail, thin, bold) -> float:
    """A line width between ``thin`` (detail 0) and ``bold`` (detail 1); region edges vanish
    for regions too small to outline (detail < 0). [points]"""
    return 0.0 if detail < 0 else thin + (bold - thin) * detail


def outline_lw(detail, thin, bold) -> float:
    """Parent borders: as :func:`lw`, but kept (thin) when regions are too small to outline."""
    return lw(max(detail, 0.0), thin, bold)


def draw_outlines(ax, lines, width, colour="#111111"):
    """Parent borders."""
    if lines is not None:
        lines.boundary.plot(ax=ax, aspect=None, color=colour, linewidth=width)


def on_page(s: Slide, geoms) -> np.ndarray:
    """The part of each geometry (map coordinates) inside the map, in pixels of the page."""
    to_page = s.ax.transData.transform
    return visible(shapely.transform(np.asarray(list(geoms), dtype=object), to_page),
                   s.ax.bbox.extents)


def write_labels(s: Slide, items, taken: list, **style) -> int:
    """Write names on the map where :func:`forewarn.reports._layout.place_labels` finds room;
    return how many were left out.

    Parameters
    ----------
    s : Slide
    items : iterable of (str, shapely geometry)
        Text and the visible part of the area it names (:func:`on_page`), first placed first.
    taken : list of tuple
        Boxes of names already written [pixels]; each one placed is added.
    **style
        Passed to ``Axes.text``.
    """
    to_map = s.ax.transData.inverted().transform
    texts, labels = [], []
    for text, area in items:
        if area.is_empty:
            texts.append(None)
            continue
        at = anchor(area)
        x, y = to_map(at)
        label = s.ax.text(x, y, t(text), ha="center", va="center", path_effects=HALO,
                          clip_on=True, **style)
        box = label.get_window_extent(s.renderer).expanded(1.05, 1.1)
        texts.append((label, at))
        labels.append(Label(area, tuple(box.extents)))
    shifts = iter(place_labels(labels, s.ax.bbox.extents, taken))
    left_out = 0
    for entry in texts:
        shift = next(shifts) if entry is not None else None
        if shift is None:
            left_out += 1
            if entry is not None:
                entry[0].remove()
        elif shift != (0.0, 0.0):
            entry[0].set_position(to_map((entry[1][0] + shift[0], entry[1][1] + shift[1])))
    return left_out
