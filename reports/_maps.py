"""Slide-size choropleth maps for meeting rooms: the whole area, each parent region, the change."""

from __future__ import annotations

import dataclasses
import logging
import textwrap
from pathlib import Path
from typing import NamedTuple

import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from forewarn.features import has_geometry
from forewarn.models import RISK_CLASSES, classify
from forewarn.reports._common import (
    CLASS_COLOURS,
    CONTEXT_COLOUR,
    INDEX,
    NO_SCORE_COLOUR,
    basis_of,
    check_report_data,
    class_legend,
    day,
    horizon_text,
    outlines,
    parent_names,
    slug,
    with_article,
)
from forewarn.reports._data import ReportData
from forewarn.reports._layout import largest_first, name_size
from forewarn.reports import _slides
from forewarn.reports._slides import (
    DPI,
    HALO,
    RC,
    Slide,
    draw_outlines,
    fit,
    lw,
    on_page,
    outline_lw,
    t,
    view,
    write_labels,
)

__all__ = ["write_maps"]

log = logging.getLogger(__name__)

FORMATS = ("png", "pdf", "svg")
# Above this many regions a zoomed map drops the region names: they would overlap.
_MAX_LABELS = 40


def write_maps(data: ReportData, folder, *, formats=("png", "pdf"), parents: bool = True,
               mapper=None) -> list[Path]:
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
    mapper : callable, optional
        ``mapper(fn, pages, **shared) -> list`` runs the drawing of each map as one unit of
        work, results in the pages' order (``forewarn.flows`` passes its Dask cluster's, so
        the maps are drawn on the workers, which must see ``folder`` at the same path);
        default: one after the other in this process. The files are the same either way.

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
    pages = list(_pages(data, parents))
    if mapper is None:
        context = _context(data)
        done = [_draw_page(page, data, folder, formats, context) for page in pages]
    else:
        done = mapper(_draw_page, pages, data=_for_maps(data), folder=folder, formats=formats)
    written = [path for paths in done for path in paths]
    log.info("wrote %d map files to %s", len(written), folder)
    return written


class MapPage(NamedTuple):
    """One map to draw: its file stem, ``kind`` ("risk" or "change"), horizon [months] and
    parent region (None for the whole area). ``str(page)`` names it as a unit of work."""

    stem: str
    kind: str
    horizon: int
    parent: str | None = None

    def __str__(self) -> str:
        return f"map {self.stem}"


def _pages(data: ReportData, zoomed: bool = True):
    """Yield the :class:`MapPage` of every map, in the order the files are listed."""
    regions = data.regions
    basis = basis_of(data)
    for h in data.horizons:
        scores = data.scores[data.scores["horizon"] == h].set_index("region_id")
        scores = scores.reindex(regions.index)
        yield MapPage(f"risk_{h}m_all", "risk", h)
        for pid in parent_names(data) if zoomed else ():
            # A parent none of whose regions has a score (Antarctica, the open ocean) would
            # make an empty slide: it gets none.
            if scores.loc[(regions["parent_id"].astype(str) == pid).to_numpy(),
                          basis.column].isna().all():
                log.info("no map for parent region %s: none of its regions has a score", pid)
                continue
            yield MapPage(f"risk_{h}m_{slug(pid)}", "risk", h, pid)
        yield MapPage(f"change_{h}m_all", "change", h)


def _context(data: ReportData):
    """What every map of ``data`` draws from: the regions in EPSG:4326, the parents' names
    and the basis of the classes."""
    return data.regions.to_crs("EPSG:4326"), parent_names(data), basis_of(data)


def _figure(data: ReportData, page: MapPage, context) -> Figure:
    """The figure of one map. Call inside ``matplotlib.rc_context(RC)``."""
    regions, parents, basis = context
    scores = data.scores[data.scores["horizon"] == page.horizon].set_index("region_id")
    scores = scores.reindex(regions.index)
    if page.kind == "change":
        return _change_map(data, regions, scores, page.horizon, parents)
    return _risk_map(data, regions, scores, page.horizon, page.parent, parents, basis)


def _draw_page(page: MapPage, data: ReportData, folder: Path, formats, context=None
               ) -> list[Path]:
    """Draw one map and write it in every format: one unit of work. [paths written]"""
    context = context or _context(data)
    written = []
    with matplotlib.rc_context(RC):
        fig = _figure(data, page, context)
        for fmt in formats:
            path = Path(folder) / f"{page.stem}.{fmt}"
            fig.savefig(path, dpi=DPI, metadata=_metadata(fmt))
            written.append(path)
    return written


#: What of a ReportData the maps never read: left out of what is sent to a unit of work.
_NOT_FOR_MAPS = dict(explanations=pd.DataFrame(), features=pd.DataFrame(),
                     drivers=pd.DataFrame(), history=pd.DataFrame(), change=None,
                     backtest=None, calibration=None, shape_functions=None,
                     detection_shape_functions=None, index_hierarchy=None, index_scores=None,
                     data_age=None, scenarios=None, findings=None)


def _for_maps(data: ReportData) -> ReportData:
    """``data`` without the tables maps never read (a grid's explanations are millions of
    rows): what travels to the units that draw them."""
    return dataclasses.replace(data, **_NOT_FOR_MAPS)


def _figures(data: ReportData, zoomed: bool = True):
    """Yield ``(file stem, figure)`` for every map, one at a time (a world of parents makes
    dozens). Call inside ``matplotlib.rc_context(RC)``."""
    context = _context(data)
    for page in _pages(data, zoomed):
        yield page.stem, _figure(data, page, context)




def _metadata(fmt):
    # Dates in the file make identical runs give different bytes.
    return {"png": None, "pdf": {"CreationDate": None}, "svg": {"Date": None}}[fmt]


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


def _largest(geom):
    """The largest part of ``geom`` (itself when it has one part)."""
    return max(getattr(geom, "geoms", (geom,)), key=lambda g: g.area)


def _label_parents(slide: Slide, lines) -> int:
    """Name the parents in bold on a whole-area map, the largest first; return how many names
    were left out: overlapping a larger parent's, reaching past the map, or naming a parent
    smaller on the page than half the height of its letters."""
    if lines is None:
        return 0
    size = name_size(len(lines), 16.0, 9.0)
    parts = on_page(slide, lines.geometry)
    order, tiny = largest_first(parts, (size * DPI / 72 / 2) ** 2)
    return tiny + write_labels(slide, [(str(lines["name"].iloc[i]), parts[i]) for i in order], [],
                               fontsize=size, weight="bold")


def _risk_map(data, regions, scores, h, pid, parents, basis) -> Figure:
    cls = classify(scores[basis.column], data.class_breaks)
    colours = np.where(cls >= 0, np.asarray(CLASS_COLOURS)[np.maximum(cls, 0)], NO_SCORE_COLOUR)
    inside = (regions["parent_id"].astype(str) == pid).to_numpy() if pid else np.ones(
        len(regions), bool)
    area = parents[pid] if pid else data.project_name
    title = ("Crisis trafficking risk index (0-10)" if basis is INDEX
             else f"Risk of {with_article(data.outcome_short)} within {horizon_text(h)}")
    slide = _slides.slide(data, title, f"{area} \u00b7 forecast origin {day(data.as_of)}")
    ax, focus = slide.ax, regions[inside]
    far, in_view = [], focus
    if pid is None:
        view(ax, focus)
    else:
        # Each region's largest part: France's Guiana must not pull Western Europe's zoom
        # across the Atlantic; and a small far-off island region (Saint Helena) must not drag
        # Western Africa's map far south: the map names it as outside the view.
        parts = focus.geometry.map(_largest)
        near = _near_mainland(parts)
        view(ax, parts[near] if near.any() else parts, pad=0.08)
        far = [str(n) for n in focus.loc[~near, "name"]] if "name" in focus.columns else []
        in_view = focus[near] if near.any() else focus
    detail = _slides.detail(ax, focus)
    if not inside.all():
        regions[~inside].plot(ax=ax, aspect=None, color=CONTEXT_COLOUR, edgecolor="#b0b0b0",
                              linewidth=lw(detail, 0.15, 0.6))
    focus.plot(ax=ax, aspect=None, color=list(colours[inside]), edgecolor="#555555",
               linewidth=lw(detail, 0.2, 0.7))
    low = inside & scores["low_reliability"].fillna(False).astype(bool).to_numpy()
    if low.any():
        regions[low].plot(ax=ax, aspect=None, facecolor="none", edgecolor="#333333",
                          linewidth=0, hatch="///")
    lines = outlines(data)
    draw_outlines(ax, lines, outline_lw(detail, 0.5, 2.2 if pid is None else 1.6))
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
        _slides.note(slide, " ".join(notes))
    _class_legend(slide.side, data, cls[inside], bool(low.any()), basis)
    return slide.fig


def _label_regions(slide: Slide, regions, priority, taken) -> int:
    """Name the regions, riskiest first, leaving out a name that would overlap one already
    placed or reach past the map; returns how many were left out."""
    if len(regions) > _MAX_LABELS:
        return len(regions)
    size = 12 if len(regions) <= 15 else 10
    ids = [rid for rid in priority if rid in regions.index]
    parts = on_page(slide, regions.geometry.loc[ids])
    names = [textwrap.fill(str(n), 16) for n in regions["name"].loc[ids]]
    return write_labels(slide, zip(names, parts), taken, fontsize=size)


def _label_neighbours(slide: Slide, lines, pid, taken):
    """Names of the neighbouring parents, in grey, on the part of them inside the view, the
    largest first, where they overlap no region name."""
    if lines is None:
        return
    others = lines[lines.index.astype(str) != str(pid)]
    parts = on_page(slide, others.geometry)
    bbox = slide.ax.bbox
    order, _ = largest_first(parts, 0.02 * bbox.width * bbox.height)
    write_labels(slide, [(str(others["name"].iloc[i]), parts[i]) for i in order], taken,
                 fontsize=14, style="italic", color="#666666")


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
                title=t(title), frameon=False, alignment="left", handlelength=1.8,
                handleheight=1.3, labelspacing=0.7)


def _change_map(data, regions, scores, h, parents) -> Figure:
    if data.previous_as_of is not None:
        sub = f"{day(data.previous_as_of)} \u2192 {day(data.as_of)}"
    else:
        sub = f"forecast origin {day(data.as_of)}"
    slide = _slides.slide(data, f"Change since the last run: risk within {horizon_text(h)}",
                   f"{data.project_name} \u00b7 {sub}")
    ax, side = slide.ax, slide.side
    view(ax, regions)
    detail = _slides.detail(ax, regions)
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
                     linewidth=lw(detail, 0.15, 0.6))
        draw_outlines(ax, lines, outline_lw(detail, 0.4, 1.5), colour="#777777")
        ax.text(0.5, 0.5, headline, transform=ax.transAxes, ha="center", va="center",
                fontsize=fit(slide.renderer, headline, 30, 0.95 * ax.bbox.width,
                              weight="bold"), weight="bold", path_effects=HALO)
        side.text(0, 1, textwrap.fill(why, 34), fontsize=15, va="top", transform=side.transAxes)
        log.info("change map for %s: %s; the map says so", horizon_text(h), headline.lower())
        return slide.fig
    limit = max(1.0, float(np.ceil(np.nanmax(np.abs(change)))))
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    cmap = matplotlib.colormaps["RdBu_r"]
    colours = [matplotlib.colors.to_hex(cmap(norm(v))) if k else NO_SCORE_COLOUR
               for v, k in zip(change, known)]
    regions.plot(ax=ax, aspect=None, color=colours, edgecolor="#555555",
                 linewidth=lw(detail, 0.2, 0.7))
    draw_outlines(ax, lines, outline_lw(detail, 0.5, 2.2))
    left_out = _label_parents(slide, lines)
    if left_out:
        _slides.note(slide, f"{left_out} parent-region name(s) left out where they would "
                            "overlap or the area is too small.")
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
    side.text(0.0, 0.22, t("\n".join(textwrap.fill(n, 34) for n in note)), fontsize=14,
              va="top", transform=side.transAxes)
    return slide.fig
