"""Slide-size choropleth maps for meeting rooms: the whole area, each parent region, the change."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import NamedTuple

import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke

from forewarn.features import has_geometry
from forewarn.reports._common import (
    CAVEAT,
    CLASS_COLOURS,
    CONTEXT_COLOUR,
    INDEX,
    NO_SCORE_COLOUR,
    basis_of,
    check_report_data,
    class_legend,
    classify,
    day,
    horizon_text,
    outlines,
    parent_names,
    slug,
    source_line,
    with_article,
)
from forewarn.reports._data import RISK_CLASSES, ReportData

__all__ = ["write_maps"]

log = logging.getLogger(__name__)

#: 16:9 slide at 150 dpi: 2000 x 1125 pixels. [inches]
SLIDE_SIZE = (40 / 3, 7.5)
DPI = 150
FORMATS = ("png", "pdf", "svg")
# Above this many regions a zoomed map drops the region names: they would overlap.
_MAX_LABELS = 40
# Up to this many parents their names are set at full size; beyond, smaller.
_FULL_SIZE_PARENTS = 12
# The source line wraps to at most this many lines; the rest is in the report.
_SOURCE_LINES = 3
_MORE_SOURCES = "\u2026 (all sources in the report)"
_HALO = [withStroke(linewidth=3.5, foreground="white")]
_RC = {"svg.fonttype": "none", "hatch.linewidth": 1.6,
       "font.family": "DejaVu Sans"}


def write_maps(data: ReportData, folder, *, formats=("png", "pdf"), parents: bool = True
               ) -> list[Path]:
    """Write choropleth maps for slides and print: per horizon, the whole area, each parent
    region zoomed in (neighbours in grey), and the change since the previous run.

    Every map carries a title, the forecast date and horizon, a legend stating the class
    breaks, the source line, the caveat, and on demo runs a band across the top and a
    "DEMO DATA" corner stamp beside the title (never over the regions). Classes come from
    :func:`classify` with the run's class breaks. Regions with low data
    reliability are hatched. When there is no previous run, the change map is still written
    and says so in large type, so a slide deck never silently loses a page.

    Titles and legends name the outcome (``data.outcome_short``). Parent names on the
    whole-area maps are placed largest first and never overlap one another; a name that does
    not fit, or would name an area too small to see, is left out and the map says how many.
    Line widths follow the size of the regions on the page (thin for a world of countries),
    and the source line wraps to at most three lines above the caveat.

    Files are named ``risk_<h>m_all``, ``risk_<h>m_<parent id>`` and ``change_<h>m_all``,
    one per format. A parent none of whose regions has a score gets no zoomed map (no empty
    slides); a small far-off island region is left out of its parent's view and named.

    Parameters
    ----------
    data : ReportData
    folder : str or Path
        Created when missing.
    formats : sequence of str, default=("png", "pdf")
        Any of "png" (150 dpi, 2000 x 1125 pixels), "pdf" and "svg" (vector, for print).
    parents : bool, default=True
        Also one zoomed map per parent region; False writes the whole-area and change maps
        only (a grid has hundreds of parent blocks).

    Returns
    -------
    list of Path
        The files written, in order; none when the regions have no geometry (a regions
        table without polygons).

    Raises
    ------
    TypeError, ValueError
        When ``data`` breaks the ReportData contract or a format is unknown.
    """
    check_report_data(data, "write_maps")
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"write_maps: unknown format(s) {bad or formats!r}; choose from "
                         f"{list(FORMATS)}.")
    if not has_geometry(data.regions):
        log.info("the regions have no geometry: no maps written")
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(_RC):
        for stem, fig in _figures(data, parents):
            for fmt in formats:
                path = folder / f"{stem}.{fmt}"
                fig.savefig(path, dpi=DPI, metadata=_metadata(fmt))
                written.append(path)
    log.info("wrote %d map files to %s", len(written), folder)
    return written


def _figures(data: ReportData, zoomed: bool = True):
    """Yield ``(file stem, figure)`` for every map, one at a time (a world of parents makes
    dozens). Call inside ``matplotlib.rc_context(_RC)``."""
    regions = data.regions.to_crs("EPSG:4326")
    parents = parent_names(data)
    basis = basis_of(data)
    for h in data.horizons:
        scores = data.scores[data.scores["horizon"] == h].set_index("region_id")
        scores = scores.reindex(regions.index)
        yield f"risk_{h}m_all", _risk_map(data, regions, scores, h, None, parents, basis)
        for pid in parents if zoomed else ():
            # A parent none of whose regions has a score (Antarctica, the open ocean) would
            # make an empty slide: it gets none.
            if scores.loc[(regions["parent_id"].astype(str) == pid).to_numpy(),
                          basis.column].isna().all():
                log.info("no map for parent region %s: none of its regions has a score", pid)
                continue
            yield (f"risk_{h}m_{slug(pid)}",
                   _risk_map(data, regions, scores, h, pid, parents, basis))
        yield f"change_{h}m_all", _change_map(data, regions, scores, h, parents)


def _metadata(fmt):
    # Dates in the file make identical runs give different bytes.
    return {"png": None, "pdf": {"CreationDate": None}, "svg": {"Date": None}}[fmt]


def _t(text) -> str:
    """Text safe for matplotlib: a ``$`` would otherwise start mathematics."""
    return str(text).replace("$", r"\$")


class _Slide(NamedTuple):
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


def _fit(renderer, text, size, width, **font) -> float:
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


def _frame(data: ReportData, title: str, subtitle: str) -> _Slide:
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
        fig.text(0.5, 0.977, _t(data.demo_label), fontsize=15, weight="bold", color="white",
                 ha="center", va="center")
        top = 0.935
        # A corner stamp beside the title, never over the regions: over the map a translucent
        # red stamp read as risen risk on the change map and hid names.
        stamp = fig.text(0.98, top, "DEMO DATA", fontsize=18, weight="bold", color="#1f2328",
                         ha="right", va="top", bbox={"boxstyle": "square,pad=0.35",
                                                     "facecolor": "#ffd84d",
                                                     "edgecolor": "#1f2328", "linewidth": 2})
        heading -= stamp.get_window_extent(renderer).width + 0.03 * fig.bbox.width
    fig.text(0.02, top, _t(title), fontsize=_fit(renderer, title, 28, heading, weight="bold"),
             weight="bold", va="top")
    fig.text(0.02, top - 0.075, _t(subtitle), fontsize=_fit(renderer, subtitle, 17, heading),
             va="top", color="#333333")
    # The caveat keeps its line at the foot; a source line that wraps grows upwards and lifts
    # the map by as much, so nothing runs off the page or over anything else.
    source = _wrap(renderer, source_line(data), 11, width, _SOURCE_LINES, _MORE_SOURCES)
    foot = fig.text(0.02, 0.075, _t(source[0]), fontsize=11, va="top", color="#333333")
    one_line = foot.get_window_extent(renderer).height
    foot.set_text("\n".join(_t(s) for s in source))
    lift = (foot.get_window_extent(renderer).height - one_line) / fig.bbox.height
    foot.set_y(0.075 + lift)
    fig.text(0.02, 0.035, _t(CAVEAT), fontsize=12, va="top", style="italic", color="#8c1d18")
    bottom = 0.13 + lift
    ax = fig.add_axes((0.02, bottom, 0.62, top - 0.125 - bottom))
    ax.set_axis_off()
    side = fig.add_axes((0.655, bottom, 0.335, top - 0.125 - bottom))
    side.set_axis_off()
    return _Slide(fig, ax, side, renderer, 0.1 + lift)


def _note(slide: _Slide, text: str) -> None:
    """A grey line between the map and the source line."""
    slide.fig.text(0.02, slide.note_y, _t(text), fontsize=11, color="#555555")


def _view(ax, geoms, pad=0.06):
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


def _detail(ax, focus) -> float:
    """How roomy the regions of ``focus`` are on the page: 0 for a world of countries (the
    median one a few points across), 1 for the demo's provinces (25 points or more). Lines
    thin out as regions shrink, or borders would bury the smallest; below
    ``_NO_EDGE_POINTS`` (grid cells) regions get no edge at all (negative detail)."""
    areas = shapely.area(focus.geometry.to_numpy())
    size = np.sqrt(np.median(areas) * _pixel_area(ax)) * 72 / DPI  # [points]
    if size < _NO_EDGE_POINTS:
        return -1.0
    return float(np.clip((size - 5) / 20, 0, 1))


#: Regions smaller than this on the page are drawn without edges (a 65,000-cell grid would
#: otherwise be all outline). [points]
_NO_EDGE_POINTS = 3.0


def _lw(detail, thin, bold) -> float:
    """A line width between ``thin`` (detail 0) and ``bold`` (detail 1); region edges vanish
    for regions too small to outline (detail < 0). [points]"""
    return 0.0 if detail < 0 else thin + (bold - thin) * detail


def _outline_lw(detail, thin, bold) -> float:
    """Parent borders: as :func:`_lw`, but kept (thin) when regions are too small to outline."""
    return _lw(max(detail, 0.0), thin, bold)


def _draw_outlines(ax, lines, width, colour="#111111"):
    """Parent borders."""
    if lines is not None:
        lines.boundary.plot(ax=ax, aspect=None, color=colour, linewidth=width)


def _place(slide: _Slide, labels, taken: list, **style) -> int:
    """Write the labels in order, leaving out one whose text would overlap a label already
    placed or reach past the map; return how many were left out.

    A label that does not fit at its point moves one line up or down, or half its width left
    or right, as long as its centre stays inside the area it names.

    Parameters
    ----------
    slide : _Slide
    labels : iterable of (shapely.Point, str, shapely geometry)
        Centre in map coordinates, text and the area named; first placed first.
    taken : list of matplotlib.transforms.Bbox
        Boxes of labels already placed [pixels]; each label placed is added.
    **style
        Passed to ``Axes.text``.
    """
    ax, frame = slide.ax, slide.ax.bbox
    to_map = ax.transData.inverted()
    left_out = 0
    for pt, text, area in labels:
        label = ax.text(pt.x, pt.y, _t(text), ha="center", va="center", path_effects=_HALO,
                        clip_on=True, **style)
        first = label.get_window_extent(slide.renderer).expanded(1.05, 1.1)
        h, w = first.height, first.width / 2
        for dx, dy in ((0.0, 0.0), (0.0, h), (0.0, -h), (-w, 0.0), (w, 0.0)):
            box = first.translated(dx, dy)
            x, y = to_map.transform((box.x0 + box.width / 2, box.y0 + box.height / 2))
            fits = (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                    and box.y1 <= frame.y1 and not any(box.overlaps(b) for b in taken))
            moved = bool(dx or dy)
            if fits and (not moved or shapely.contains_xy(area, x, y)):
                if moved:
                    label.set_position((x, y))
                taken.append(box)
                break
        else:
            label.remove()
            left_out += 1
    return left_out


def _largest(geom):
    """The largest part of ``geom`` (itself when it has one part)."""
    return max(getattr(geom, "geoms", (geom,)), key=lambda g: g.area)


#: A region whose area is under this share of its parent's lies "far off" when it also lies
#: outside the box of the larger regions widened by _FAR_PAD of its size on each side.
_FAR_SHARE, _FAR_PAD = 0.01, 0.25


def _near_mainland(parts) -> np.ndarray:
    """True for the regions that frame a parent's zoomed map: all but small regions that lie
    far outside the box of the larger ones (an island such as Saint Helena)."""
    # Shares of the parent's area in degrees squared: a ranking of sizes, not areas.
    area = shapely.area(np.asarray(parts, dtype=object))
    big = area >= _FAR_SHARE * area.sum()
    if big.all() or not big.any():
        return np.ones(len(parts), bool)
    x0, y0, x1, y1 = parts[big].total_bounds
    dx, dy = _FAR_PAD * (x1 - x0), _FAR_PAD * (y1 - y0)
    b = parts.bounds
    inside = ((b["maxx"] >= x0 - dx) & (b["minx"] <= x1 + dx) & (b["maxy"] >= y0 - dy)
              & (b["miny"] <= y1 + dy)).to_numpy()
    return big | inside


def _anchor(geom):
    """A point inside the largest part of ``geom``: a name sits on the mainland, not on the
    island that happens to come first."""
    return _largest(geom).representative_point()


def _seen(ax, lines):
    """Each parent's part inside the map view, with its name; parents out of view left out."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    view = shapely.box(x0, y0, x1, y1)
    for key, name, geom in zip(lines.index, lines["name"], lines.geometry):
        seen = geom if view.contains(geom) else geom.intersection(view)
        if not seen.is_empty:
            yield key, name, seen


def _label_parents(slide: _Slide, lines) -> int:
    """Name the parents in bold on a whole-area map, the largest first; return how many names
    were left out: overlapping a larger parent's, reaching past the map, or naming a parent
    smaller on the page than half the height of its letters."""
    if lines is None:
        return 0
    n = len(lines)
    size = 16.0 if n <= _FULL_SIZE_PARENTS else max(9.0, 16.0 * (_FULL_SIZE_PARENTS / n) ** 0.75)
    smallest = (size * DPI / 72 / 2) ** 2  # [pixels^2]
    scale = _pixel_area(slide.ax)
    shown, tiny = [], 0
    for _, name, seen in _seen(slide.ax, lines):
        if seen.area * scale < smallest:
            tiny += 1
        else:
            shown.append((seen.area, _anchor(seen), name, seen))
    shown.sort(key=lambda s: -s[0])
    return tiny + _place(slide, [label for _, *label in shown], [], fontsize=size,
                         weight="bold")


def _risk_map(data, regions, scores, h, pid, parents, basis) -> Figure:
    cls = classify(scores[basis.column], data.class_breaks)
    colours = np.where(cls >= 0, np.asarray(CLASS_COLOURS)[np.maximum(cls, 0)], NO_SCORE_COLOUR)
    inside = (regions["parent_id"].astype(str) == pid).to_numpy() if pid else np.ones(
        len(regions), bool)
    area = parents[pid] if pid else data.project_name
    title = ("Crisis trafficking risk index (0-10)" if basis is INDEX
             else f"Risk of {with_article(data.outcome_short)} within {horizon_text(h)}")
    slide = _frame(data, title, f"{area} \u00b7 forecast origin {day(data.as_of)}")
    ax, focus = slide.ax, regions[inside]
    far, in_view = [], focus
    if pid is None:
        _view(ax, focus)
    else:
        # Each region's largest part: France's Guiana must not pull Western Europe's zoom
        # across the Atlantic; and a small far-off island region (Saint Helena) must not drag
        # Western Africa's map far south: the map names it as outside the view.
        parts = focus.geometry.map(_largest)
        near = _near_mainland(parts)
        _view(ax, parts[near] if near.any() else parts, pad=0.08)
        far = [str(n) for n in focus.loc[~near, "name"]] if "name" in focus.columns else []
        in_view = focus[near] if near.any() else focus
    detail = _detail(ax, focus)
    if not inside.all():
        regions[~inside].plot(ax=ax, aspect=None, color=CONTEXT_COLOUR, edgecolor="#b0b0b0",
                              linewidth=_lw(detail, 0.15, 0.6))
    focus.plot(ax=ax, aspect=None, color=list(colours[inside]), edgecolor="#555555",
               linewidth=_lw(detail, 0.2, 0.7))
    low = inside & scores["low_reliability"].fillna(False).astype(bool).to_numpy()
    if low.any():
        regions[low].plot(ax=ax, aspect=None, facecolor="none", edgecolor="#333333",
                          linewidth=0, hatch="///")
    lines = outlines(data)
    _draw_outlines(ax, lines, _outline_lw(detail, 0.5, 2.2 if pid is None else 1.6))
    if pid is None:
        left_out = _label_parents(slide, lines)
        what = "parent-region name(s) left out where they would overlap or the area is too small"
    else:
        order = scores[basis.column].sort_values(ascending=False, na_position="last").index
        taken = []
        left_out = _label_regions(slide, in_view, order, taken)
        _label_neighbours(slide, lines, pid, taken)
        what = "region name(s) left out where they would overlap (the riskiest are named first)"
    notes = [f"{left_out} {what}."] if left_out else []
    if far:
        notes.append(f"Outside the view (far-off island{'s' if len(far) > 1 else ''}): "
                     f"{', '.join(far[:3])}{' and others' if len(far) > 3 else ''}.")
    if notes:
        _note(slide, " ".join(notes))
    _class_legend(slide.side, data, cls[inside], bool(low.any()), basis)
    return slide.fig


def _label_regions(slide: _Slide, regions, priority, taken) -> int:
    """Name the regions, riskiest first, leaving out a name that would overlap one already
    placed or reach past the map; returns how many were left out."""
    if len(regions) > _MAX_LABELS:
        return len(regions)
    size = 12 if len(regions) <= 15 else 10
    labels = []
    for rid in priority:
        if rid in regions.index:
            geom = regions.at[rid, "geometry"]
            labels.append((_anchor(geom),
                           textwrap.fill(str(regions.at[rid, "name"]), 16), geom))
    return _place(slide, labels, taken, fontsize=size)


def _label_neighbours(slide: _Slide, lines, pid, taken):
    """Names of the neighbouring parents, in grey, on the part of them inside the view, the
    largest first, where they overlap no region name."""
    if lines is None:
        return
    (x0, x1), (y0, y1) = slide.ax.get_xlim(), slide.ax.get_ylim()
    least = 0.02 * (x1 - x0) * (y1 - y0)
    seen = sorted(((s.area, _anchor(s), name, s) for key, name, s in _seen(slide.ax, lines)
                   if str(key) != str(pid) and s.area >= least), key=lambda s: -s[0])
    _place(slide, [label for _, *label in seen], taken, fontsize=14, style="italic",
           color="#666666")


def _class_legend(side, data, cls, any_low, basis):
    counts = np.bincount(cls[cls >= 0], minlength=len(RISK_CLASSES))
    lines = class_legend(data.class_breaks, basis)
    handles = [Patch(facecolor=CLASS_COLOURS[i], edgecolor="#555555",
                     label=f"{lines[i]} ({counts[i]})")
               for i in reversed(range(len(RISK_CLASSES)))]
    if (cls < 0).any():
        handles.append(Patch(facecolor=NO_SCORE_COLOUR, edgecolor="#555555",
                             label=f"no score ({int((cls < 0).sum())})"))
    if any_low:
        handles.append(Patch(facecolor="white", edgecolor="#333333", hatch="///",
                             label="low data reliability"))
    title = ("Risk class: index score\n(regions)" if basis is INDEX else
             textwrap.fill(f"Risk class: chance of {with_article(data.outcome_short)} "
                           "(regions)", 27))
    side.legend(handles=handles, loc="upper left", fontsize=14, title_fontsize=16,
                title=_t(title), frameon=False, alignment="left", handlelength=1.8,
                handleheight=1.3, labelspacing=0.7)


def _change_map(data, regions, scores, h, parents) -> Figure:
    if data.previous_as_of is not None:
        sub = f"{day(data.previous_as_of)} \u2192 {day(data.as_of)}"
    else:
        sub = f"forecast origin {day(data.as_of)}"
    slide = _frame(data, f"Change since the last run: risk within {horizon_text(h)}",
                   f"{data.project_name} \u00b7 {sub}")
    ax, side = slide.ax, slide.side
    _view(ax, regions)
    detail = _detail(ax, regions)
    lines = outlines(data)
    change = scores["change"].to_numpy(dtype=float) * 100
    known = ~np.isnan(change)
    if data.previous_as_of is None or not known.any():
        if data.previous_as_of is None:
            headline, why = "No previous run to compare with", (
                "This is the first run. This map will show how each region's probability "
                "moved once there is a run to compare with.")
        else:
            headline, why = "No change to show", (
                "No region has a probability in both this run and the previous one (an "
                "index-only run has none).")
        regions.plot(ax=ax, aspect=None, color=CONTEXT_COLOUR, edgecolor="#b0b0b0",
                     linewidth=_lw(detail, 0.15, 0.6))
        _draw_outlines(ax, lines, _outline_lw(detail, 0.4, 1.5), colour="#777777")
        ax.text(0.5, 0.5, headline, transform=ax.transAxes, ha="center", va="center",
                fontsize=_fit(slide.renderer, headline, 30, 0.95 * ax.bbox.width,
                              weight="bold"), weight="bold", path_effects=_HALO)
        side.text(0, 1, textwrap.fill(why, 34), fontsize=15, va="top", transform=side.transAxes)
        log.info("change map for %s: %s; the map says so", horizon_text(h), headline.lower())
        return slide.fig
    limit = max(1.0, float(np.ceil(np.nanmax(np.abs(change)))))
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    cmap = matplotlib.colormaps["RdBu_r"]
    colours = [matplotlib.colors.to_hex(cmap(norm(v))) if k else NO_SCORE_COLOUR
               for v, k in zip(change, known)]
    regions.plot(ax=ax, aspect=None, color=colours, edgecolor="#555555",
                 linewidth=_lw(detail, 0.2, 0.7))
    _draw_outlines(ax, lines, _outline_lw(detail, 0.5, 2.2))
    left_out = _label_parents(slide, lines)
    if left_out:
        _note(slide, f"{left_out} parent-region name(s) left out where they would overlap or "
                     "the area is too small.")
    # The heading sits inside the panel: above it, a long subtitle may run across.
    side.text(0.0, 1.0, "Change in probability", fontsize=16, weight="bold", va="top",
              transform=side.transAxes)
    cax = side.inset_axes((0.05, 0.30, 0.12, 0.56))
    bar = slide.fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    bar.ax.tick_params(labelsize=14)
    bar.set_label("percentage points", fontsize=14)
    up, down = int((change > 0.05).sum()), int((change < -0.05).sum())
    note = [f"Red: the chance of {with_article(data.outcome_short)} rose ({up} regions).",
            f"Blue: it fell ({down} regions)."]
    if not known.all():
        note.append("Grey: no score in one of the runs.")
    side.text(0.0, 0.22, _t("\n".join(textwrap.fill(n, 34) for n in note)), fontsize=14,
              va="top", transform=side.transAxes)
    return slide.fig
