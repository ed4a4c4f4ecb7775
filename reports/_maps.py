"""Slide-size choropleth maps for meeting rooms: the whole area, each parent region, the change."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke

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
_HALO = [withStroke(linewidth=3.5, foreground="white")]
_RC = {"svg.fonttype": "none", "hatch.linewidth": 1.6,
       "font.family": "DejaVu Sans"}


def write_maps(data: ReportData, folder, *, formats=("png", "pdf")) -> list[Path]:
    """Write choropleth maps for slides and print: per horizon, the whole area, each parent
    region zoomed in (neighbours in grey), and the change since the previous run.

    Every map carries a title, the forecast date and horizon, a legend stating the class
    breaks, the source line, the caveat, and on demo runs a large "DEMO DATA" stamp. Classes
    come from ``mapclassify.UserDefined`` with the run's class breaks. Regions with low data
    reliability are hatched. When there is no previous run, the change map is still written
    and says so in large type, so a slide deck never silently loses a page.

    Files are named ``risk_<h>m_all``, ``risk_<h>m_<parent id>`` and ``change_<h>m_all``,
    one per format.

    Parameters
    ----------
    data : ReportData
    folder : str or Path
        Created when missing.
    formats : sequence of str, default=("png", "pdf")
        Any of "png" (150 dpi, 2000 x 1125 pixels), "pdf" and "svg" (vector, for print).

    Returns
    -------
    list of Path
        The files written, in order.

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
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    regions = data.regions.to_crs("EPSG:4326")
    parents = parent_names(data)
    basis = basis_of(data)
    written = []
    with matplotlib.rc_context(_RC):
        for h in data.horizons:
            scores = data.scores[data.scores["horizon"] == h].set_index("region_id")
            scores = scores.reindex(regions.index)
            figures = [(f"risk_{h}m_all",
                        _risk_map(data, regions, scores, h, None, parents, basis))]
            figures += [(f"risk_{h}m_{slug(pid)}",
                         _risk_map(data, regions, scores, h, pid, parents, basis))
                        for pid in parents]
            figures.append((f"change_{h}m_all", _change_map(data, regions, scores, h, parents)))
            for stem, fig in figures:
                for fmt in formats:
                    path = folder / f"{stem}.{fmt}"
                    fig.savefig(path, dpi=DPI, metadata=_metadata(fmt))
                    written.append(path)
    log.info("wrote %d map files to %s", len(written), folder)
    return written


def _metadata(fmt):
    # Dates in the file make identical runs give different bytes.
    return {"png": None, "pdf": {"CreationDate": None}, "svg": {"Date": None}}[fmt]


def _t(text) -> str:
    """Text safe for matplotlib: a ``$`` would otherwise start mathematics."""
    return str(text).replace("$", r"\$")


def _frame(data: ReportData, title: str, subtitle: str):
    """A 16:9 figure with title, map axes, side panel, source line, caveat and demo stamp."""
    # No canvas yet: geopandas asks the canvas to redraw after every layer, and only savefig
    # (Agg for PNG, the vector backends for PDF/SVG) needs to draw.
    fig = Figure(figsize=SLIDE_SIZE, dpi=DPI, facecolor="white")
    top = 0.955
    if data.demo_label:
        # A band across the top and a stamp across the map: no slide can pass for real data.
        fig.patches.append(matplotlib.patches.Rectangle(
            (0, 0.955), 1, 0.045, transform=fig.transFigure, color="#b2182b", zorder=0))
        fig.text(0.5, 0.977, _t(data.demo_label), fontsize=15, weight="bold", color="white",
                 ha="center", va="center")
        fig.text(0.33, 0.48, "DEMO DATA", fontsize=88, weight="bold", color="#b2182b",
                 alpha=0.2, rotation=15, ha="center", va="center", zorder=20)
        top = 0.935
    fig.text(0.02, top, _t(title), fontsize=28, weight="bold", va="top")
    fig.text(0.02, top - 0.075, _t(subtitle), fontsize=17, va="top", color="#333333")
    ax = fig.add_axes((0.02, 0.13, 0.62, top - 0.255))
    ax.set_axis_off()
    side = fig.add_axes((0.655, 0.13, 0.335, top - 0.255))
    side.set_axis_off()
    foot = textwrap.fill(_t(source_line(data)), 190)
    fig.text(0.02, 0.075, foot, fontsize=11, va="top", color="#333333")
    fig.text(0.02, 0.035, _t(CAVEAT), fontsize=12, va="top", style="italic", color="#8c1d18")
    return fig, ax, side


def _view(ax, geoms, pad=0.06):
    """Frame ``geoms``, widened to the shape of the axes so neighbours fill it as context."""
    minx, miny, maxx, maxy = geoms.total_bounds
    w, h = (maxx - minx) * (1 + 2 * pad), (maxy - miny) * (1 + 2 * pad)
    box = ax.get_position(original=True)
    fig_w, fig_h = ax.figure.get_size_inches()
    want = (box.height * fig_h) / (box.width * fig_w)  # height / width of the axes on paper
    aspect = ax.get_aspect()  # geopandas: y units per x unit, 1 / cos(latitude)
    aspect = 1.0 if aspect == "auto" else float(aspect)
    if h * aspect / w < want:
        h = want * w / aspect
    else:
        w = h * aspect / want
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)


def _draw_outlines(ax, lines, colour="#111111", width=2.2, names=True):
    """Parent borders, and their names in bold on the whole-area maps."""
    if lines is None:
        return
    lines.boundary.plot(ax=ax, color=colour, linewidth=width)
    if names:
        for name, geom in zip(lines["name"], lines.geometry):
            pt = geom.representative_point()
            ax.text(pt.x, pt.y, _t(name), fontsize=16, weight="bold", ha="center",
                    va="center", path_effects=_HALO)


def _risk_map(data, regions, scores, h, pid, parents, basis) -> Figure:
    cls = classify(scores[basis.column], data.class_breaks)
    colours = np.where(cls >= 0, np.asarray(CLASS_COLOURS)[np.maximum(cls, 0)], NO_SCORE_COLOUR)
    inside = (regions["parent_id"].astype(str) == pid).to_numpy() if pid else np.ones(
        len(regions), bool)
    area = parents[pid] if pid else data.project_name
    title = ("Crisis trafficking risk index (0-10)" if basis is INDEX
             else f"Risk of a trafficking surge within {horizon_text(h)}")
    fig, ax, side = _frame(data, title, f"{area} \u00b7 forecast origin {day(data.as_of)}")
    if not inside.all():
        regions[~inside].plot(ax=ax, color=CONTEXT_COLOUR, edgecolor="#b0b0b0", linewidth=0.6)
    regions[inside].plot(ax=ax, color=list(colours[inside]), edgecolor="#555555", linewidth=0.7)
    low = inside & scores["low_reliability"].fillna(False).astype(bool).to_numpy()
    if low.any():
        regions[low].plot(ax=ax, facecolor="none", edgecolor="#333333", linewidth=0,
                          hatch="///")
    lines = outlines(data)
    _draw_outlines(ax, lines, width=2.2 if pid is None else 1.6, names=pid is None)
    if pid is None:
        _view(ax, regions)
    else:
        _view(ax, regions[inside], pad=0.08)
        order = scores[basis.column].sort_values(ascending=False, na_position="last").index
        dropped = _label_regions(ax, regions[inside], order)
        _label_neighbours(ax, lines, pid)
        if dropped:
            fig.text(0.02, 0.1, f"{dropped} region name(s) left out where they would overlap "
                     "(the riskiest are named first).", fontsize=11, color="#555555")
    ax.set_axis_off()
    _class_legend(side, data, cls[inside], bool(low.any()), basis)
    return fig


def _label_regions(ax, regions, priority) -> int:
    """Name the regions, riskiest first, leaving out a name that would overlap one already
    placed; returns how many were left out."""
    if len(regions) > _MAX_LABELS:
        return len(regions)
    size = 12 if len(regions) <= 15 else 10
    renderer = FigureCanvasAgg(ax.figure).get_renderer()
    placed, dropped = [], 0
    for rid in priority:
        if rid not in regions.index:
            continue
        pt = regions.at[rid, "geometry"].representative_point()
        text = ax.text(pt.x, pt.y, textwrap.fill(_t(regions.at[rid, "name"]), 16),
                       fontsize=size, ha="center", va="center", path_effects=_HALO,
                       clip_on=True)
        box = text.get_window_extent(renderer).expanded(1.05, 1.1)
        if any(box.overlaps(other) for other in placed):
            text.remove()
            dropped += 1
        else:
            placed.append(box)
    return dropped


def _label_neighbours(ax, lines, pid):
    """Names of the neighbouring parents, in grey, on the part of them inside the view."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    view = shapely.box(x0, y0, x1, y1)
    for key, name, geom in zip(lines.index, lines["name"], lines.geometry):
        seen = geom.intersection(view)
        if str(key) == str(pid) or seen.is_empty or seen.area < 0.02 * view.area:
            continue
        pt = seen.representative_point()
        ax.text(pt.x, pt.y, _t(name), fontsize=14, style="italic", color="#666666",
                ha="center", va="center", path_effects=_HALO, clip_on=True)


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
    side.legend(handles=handles, loc="upper left", fontsize=14, title_fontsize=16,
                title=("Risk class: index score\n(regions)" if basis is INDEX else
                       "Risk class: chance of a\nrecorded surge (regions)"), frameon=False,
                alignment="left", handlelength=1.8, handleheight=1.3, labelspacing=0.7)


def _change_map(data, regions, scores, h, parents) -> Figure:
    if data.previous_as_of is not None:
        sub = f"{day(data.previous_as_of)} \u2192 {day(data.as_of)}"
    else:
        sub = f"forecast origin {day(data.as_of)}"
    fig, ax, side = _frame(data, f"Change since the last run: risk within {horizon_text(h)}",
                           f"{data.project_name} \u00b7 {sub}")
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
        regions.plot(ax=ax, color=CONTEXT_COLOUR, edgecolor="#b0b0b0", linewidth=0.6)
        _draw_outlines(ax, lines, colour="#777777", width=1.5, names=False)
        _view(ax, regions)
        ax.set_axis_off()
        ax.text(0.5, 0.5, headline, transform=ax.transAxes, fontsize=30, weight="bold",
                ha="center", va="center", path_effects=_HALO)
        side.text(0, 1, textwrap.fill(why, 34), fontsize=15, va="top", transform=side.transAxes)
        log.info("change map for %s: %s; the map says so", horizon_text(h), headline.lower())
        return fig
    limit = max(1.0, float(np.ceil(np.nanmax(np.abs(change)))))
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    cmap = matplotlib.colormaps["RdBu_r"]
    colours = [matplotlib.colors.to_hex(cmap(norm(v))) if k else NO_SCORE_COLOUR
               for v, k in zip(change, known)]
    regions.plot(ax=ax, color=colours, edgecolor="#555555", linewidth=0.7)
    _draw_outlines(ax, lines)
    _view(ax, regions)
    ax.set_axis_off()
    cax = side.inset_axes((0.05, 0.30, 0.12, 0.62))
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    bar.ax.tick_params(labelsize=14)
    bar.set_label("percentage points", fontsize=14)
    side.text(0.0, 1.0, "Change in probability", fontsize=16, weight="bold", va="bottom",
              transform=side.transAxes)
    up, down = int((change > 0.05).sum()), int((change < -0.05).sum())
    note = (f"Red: risk rose ({up} regions).\nBlue: risk fell ({down} regions).\n"
            + ("Grey: no score in one of the runs." if not known.all() else ""))
    side.text(0.0, 0.22, note, fontsize=14, va="top", transform=side.transAxes)
    return fig
