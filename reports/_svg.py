"""Inline SVG for the HTML report: the region map and small charts, drawn from plain numbers.

Every text that comes from data goes through :func:`markupsafe.escape`, and the result is
returned as :class:`markupsafe.Markup` so the templates (autoescaped) insert it as it is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup, escape
from matplotlib.ticker import MaxNLocator

from forewarn.reports._common import CLASS_COLOURS, pct

#: Width of the map's drawing space; the browser scales it to the page. [SVG units]
MAP_WIDTH = 1000
# A vertex closer than this to the simplified line is dropped: below a pixel at full width,
# so the map looks the same and real admin-1 coastlines stay a few kB each. [SVG units]
_SIMPLIFY = 0.6

_UP = "#b2182b"
_DOWN = "#2166ac"
_INK = "#222222"
_GRID = "#d0d0d0"
_HORIZON_STYLES = ("", "6 4", "2 3", "8 3 2 3")
#: How each horizon's line in :func:`history_svg` looks, in words, in the same order.
LINE_NAMES = ("solid", "dashed", "dotted", "dash-dot")


def _f(v: float) -> str:
    """A coordinate with one decimal and no trailing zeros (short files)."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _attrs(**kw) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"'
                   for k, v in kw.items() if v is not None)


class MapFrame:
    """Lon/lat to SVG units: equirectangular, longitudes shrunk by cos(mean latitude).

    Parameters
    ----------
    bounds : tuple of float
        ``minx, miny, maxx, maxy`` of what the map shows. [degrees]
    width : float
        Width of the drawing. [SVG units]
    margin : float
        Empty border. [SVG units]
    """

    def __init__(self, bounds, width=MAP_WIDTH, margin=8.0):
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        self.k = math.cos(math.radians((miny + maxy) / 2))
        span_x = max((maxx - minx) * self.k, 1e-9)
        span_y = max(maxy - miny, 1e-9)
        self.scale = (width - 2 * margin) / span_x
        self.minx, self.maxy, self.margin = minx, maxy, margin
        self.width = width
        self.height = span_y * self.scale + 2 * margin

    def project(self, geom):
        """The geometry in SVG units, simplified below a pixel."""
        def fn(xy):
            return np.column_stack([
                (xy[:, 0] - self.minx) * self.k * self.scale + self.margin,
                (self.maxy - xy[:, 1]) * self.scale + self.margin,
            ])
        return shapely.simplify(shapely.transform(geom, fn), _SIMPLIFY, preserve_topology=True)

    def path(self, geom) -> str:
        """SVG path data of a (multi)polygon: one ``M...Z`` per ring (holes by even-odd)."""
        return self.paths(np.asarray([geom], dtype=object))[0]

    def paths(self, geoms) -> list[str]:
        """:meth:`path` of each geometry, projected all at once."""
        return [_path_data(g) for g in self.project(np.asarray(geoms, dtype=object))]


def _path_data(g) -> str:
    parts = []
    for poly in getattr(g, "geoms", [g]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:-1]
            pts = " ".join(f"{_f(x)} {_f(y)}" for x, y in xy)
            parts.append(f"M{pts}Z")
    return "".join(parts)


def map_svg(regions, outlines, states: dict, title: str, names=()) -> Markup:
    """The region map: one focusable path per region, parent outlines and parent names on top.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Indexed by region_id, EPSG:4326 (or any lon/lat CRS).
    outlines : geopandas.GeoDataFrame or None
        Parent regions, indexed by id, with ``geometry``.
    states : dict
        region_id -> ``(class_index, low_reliability, aria_label)`` for the horizon shown first;
        a class index of -1 means "no score".
    title : str
        Accessible name of the map.
    names : sequence of (str, float, float)
        Parent names and where the centre of each one's baseline goes
        (``forewarn.reports._layout.svg_names``). [SVG units]
    """
    frame = MapFrame(regions.total_bounds)
    out = [f'<svg class="map" id="fw-map" viewBox="0 0 {MAP_WIDTH} {_f(frame.height)}" '
           f'role="group" aria-label="{escape(title)}">']
    out.append("<defs>")
    for i, colour in enumerate(CLASS_COLOURS):
        out.append(_hatch(f"fw-h{i}", colour))
    out.append(_hatch("fw-hn", "#d9d9d9"))
    out.append("</defs><g class=\"regions\">")
    paths = frame.paths(regions.geometry.to_numpy())
    for rid, name, d in zip(regions.index, regions["name"], paths):
        cls, low, label = states.get(rid, (-1, False, f"{name}: no score"))
        css = f"rg c{cls if cls >= 0 else 'n'}{' low' if low else ''}"
        out.append(f'<path{_attrs(class_=css, data_id=rid, tabindex="0", role="button")}'
                   f'{_attrs(aria_label=label)} d="{d}"/>')
    out.append("</g>")
    if outlines is not None and len(outlines):
        out.append('<g class="outlines" aria-hidden="true">')
        out += [f'<path d="{d}"/>' for d in frame.paths(outlines.geometry.to_numpy())]
        out.append('</g><g class="outline-names" aria-hidden="true">')
        out += [f'<text x="{_f(x)}" y="{_f(y)}">{escape(name)}</text>' for name, x, y in names]
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def _hatch(pid: str, colour: str) -> str:
    """A class colour with diagonal lines: a region whose score has low data reliability."""
    return (f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="7" height="7" '
            f'patternTransform="rotate(45)"><rect width="7" height="7" fill="{colour}"/>'
            f'<line x1="0" y1="0" x2="0" y2="7" stroke="#333" stroke-width="2"/></pattern>')


def legend_svg(labels) -> Markup:
    """Swatches of the risk classes (highest first), no score and the low-reliability hatch."""
    rows = [(f"fill:{c}", t) for c, t in reversed(list(zip(CLASS_COLOURS, labels)))]
    rows += [("fill:#d9d9d9", "no score"), ("fill:url(#fw-lg-h)", "low data reliability")]
    h = 24 * len(rows) + 4
    out = [f'<svg class="legend" viewBox="0 0 260 {h}" width="260" height="{h}" '
           'role="img" aria-label="Map legend">', "<defs>",
           _hatch("fw-lg-h", "#ffffff"), "</defs>"]
    for i, (style, text) in enumerate(rows):
        y = 4 + 24 * i
        out.append(f'<rect x="2" y="{y}" width="26" height="18" style="{style}" '
                   f'stroke="#555"/><text x="36" y="{y + 14}">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    t = MaxNLocator(nbins=n).tick_values(lo, hi)
    return [float(v) for v in t if lo - 1e-12 <= v <= hi + 1e-12]


def _num(v: float) -> str:
    return f"{v:g}" if abs(v) >= 0.01 or v == 0 else f"{v:.1e}"


def drivers_svg(up, down) -> Markup:
    """Diverging bars of the drivers of one score: up (raise it) to the right, down to the left.

    Parameters
    ----------
    up, down : list of tuple
        ``(label, contribution)``, strongest first. [log-odds]
    """
    items = [(lab, c, _UP) for lab, c in up] + [(lab, c, _DOWN) for lab, c in down]
    if not items:
        return Markup("")
    width, label_w = 480, 215
    lines = {label: _wrap(label, 28) for label, _, _ in items}
    row = 36 if any(len(v) > 1 for v in lines.values()) else 24
    top = 22
    height = top + row * len(items) + 6
    mid = label_w + (width - label_w) / 2
    half = (width - label_w) / 2 - 46
    scale = half / max(abs(c) for _, c, _ in items)
    out = [f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
           'aria-label="Drivers of this score: bars to the right raise it, bars to the left '
           'lower it">',
           f'<text x="{_f(mid - 6)}" y="14" text-anchor="end" class="axis">\u2190 lowers risk'
           f'</text><text x="{_f(mid + 6)}" y="14" class="axis">raises risk \u2192</text>']
    for i, (label, c, colour) in enumerate(items):
        y = top + row * i
        w = abs(c) * scale
        x = mid if c >= 0 else mid - w
        first = y + row / 2 + 5 - 7 * (len(lines[label]) - 1)
        text = "".join(f'<tspan x="{label_w - 8}" y="{_f(first + 14 * k)}">{escape(part)}</tspan>'
                       for k, part in enumerate(lines[label]))
        value_x = mid + w + 4 if c >= 0 else mid - w - 4
        anchor = "start" if c >= 0 else "end"
        out.append(f'<g><title>{escape(label)}: {c:+.2f} log-odds</title>'
                   f'<text text-anchor="end">{text}</text>'
                   f'<rect x="{_f(x)}" y="{_f(y + row / 2 - 8)}" width="{_f(max(w, 1))}" '
                   f'height="16" fill="{colour}"/><text x="{_f(value_x)}" '
                   f'y="{_f(y + row / 2 + 5)}" '
                   f'text-anchor="{anchor}" class="val">{c:+.2f}</text></g>')
    out.append(f'<line x1="{_f(mid)}" x2="{_f(mid)}" y1="{top - 2}" y2="{height - 4}" '
               f'stroke="{_INK}"/></svg>')
    return Markup("".join(out))


def _wrap(text: str, width: int) -> list[str]:
    """``text`` on at most two lines of about ``width`` characters (words kept whole; an
    ellipsis only where two lines cannot hold it)."""
    words, out = str(text).split(), [""]
    for word in words:
        if out[-1] and len(out[-1]) + 1 + len(word) > width:
            out.append("")
        out[-1] = f"{out[-1]} {word}".strip()
    if len(out) > 2:
        out = [out[0], " ".join(out[1:])]
    return [p if len(p) <= width else p[:width - 1] + "\u2026" for p in out]


def _time_ticks(t0: pd.Timestamp, t1: pd.Timestamp) -> list[pd.Timestamp]:
    years = pd.date_range(f"{t0.year}-01-01", t1, freq="YS")
    years = years[years >= t0]
    if len(years) >= 2:
        step = max(1, math.ceil(len(years) / 6))
        return list(years[::step])
    return list(pd.date_range(t0, t1, freq="QS")) or [t0]


def history_svg(series: dict, breaks, current: dict) -> Markup:
    """The region's risk over time, one line per horizon, on the class bands.

    Parameters
    ----------
    series : dict
        Label (e.g. ``"3 months"``) -> DataFrame with ``time`` and ``probability``.
    breaks : sequence of float
        Class breaks, drawn as shaded bands. [-]
    current : dict
        Label -> ``(origin, probability, lower, upper)`` marked at the forecast origin.
    """
    frames = [s for s in series.values() if len(s)]
    if not frames and not current:
        return Markup("")
    times = [t for s in frames for t in s["time"]] + [c[0] for c in current.values()]
    t0, t1 = pd.Timestamp(min(times)), pd.Timestamp(max(times))
    if t0 == t1:
        t0 = t0 - pd.DateOffset(months=1)
    values = [p for s in frames for p in s["probability"]]
    values += [v for c in current.values() for v in c[1:] if pd.notna(v)]
    top = max([v for v in values if pd.notna(v)] + [breaks[0]]) * 1.1
    ticks = _ticks(0, top)
    top = max(top, ticks[-1])
    width, height, left, right, upper, lower = 560, 200, 46, 12, 10, 26
    pw, ph = width - left - right, height - upper - lower
    span = (t1 - t0).total_seconds()

    def x(t):
        return left + pw * (pd.Timestamp(t) - t0).total_seconds() / span

    def y(p):
        return upper + ph * (1 - p / top)

    out = [f'<svg class="chart line" viewBox="0 0 {width} {height}" role="img" '
           'aria-label="Risk over time">']
    edges = [0.0, *breaks, top]
    for i in range(len(CLASS_COLOURS)):
        lo, hi = edges[i], min(edges[i + 1], top)
        if lo < top:
            out.append(f'<rect x="{left}" y="{_f(y(hi))}" width="{pw}" '
                       f'height="{_f(y(lo) - y(hi))}" fill="{CLASS_COLOURS[i]}" opacity="0.45"/>')
    for v in ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_f(y(v))}" y2="{_f(y(v))}" '
                   f'stroke="{_GRID}"/><text x="{left - 4}" y="{_f(y(v) + 4)}" '
                   f'text-anchor="end" class="axis">{pct(v)}</text>')
    for t in _time_ticks(t0, t1):
        label = f"{t:%Y}" if t.month == 1 else f"{t:%b %Y}"
        out.append(f'<text x="{_f(x(t))}" y="{height - 8}" text-anchor="middle" '
                   f'class="axis">{label}</text>')
    for i, (label, s) in enumerate(series.items()):
        if not len(s):
            continue
        s = s.sort_values("time")
        pts = " ".join(f"{_f(x(t))},{_f(y(p))}" for t, p in zip(s["time"], s["probability"])
                       if pd.notna(p))
        dash = _HORIZON_STYLES[i % len(_HORIZON_STYLES)]
        out.append(f'<polyline points="{pts}" fill="none" stroke="{_INK}" stroke-width="2"'
                   f'{_attrs(stroke_dasharray=dash or None)}><title>{escape(label)}</title>'
                   '</polyline>')
    for label, (origin, p, lo, hi) in current.items():
        if pd.isna(p):
            continue
        cx = x(origin)
        if pd.notna(lo) and pd.notna(hi):
            out.append(f'<line x1="{_f(cx)}" x2="{_f(cx)}" y1="{_f(y(lo))}" y2="{_f(y(hi))}" '
                       f'stroke="{_INK}" stroke-width="2"/>')
        out.append(f'<circle cx="{_f(cx)}" cy="{_f(y(p))}" r="4" fill="{_INK}"><title>'
                   f'{escape(label)}: {pct(p)} now</title></circle>')
    out.append("</svg>")
    return Markup("".join(out))


def calibration_svg(points: pd.DataFrame) -> Markup:
    """Reliability diagram: observed share against predicted probability, dots sized by count.

    Parameters
    ----------
    points : DataFrame
        ``predicted``, ``observed`` [-] and ``n`` [rows].
    """
    pts = points.dropna(subset=["predicted", "observed"])
    if not len(pts):
        return Markup("")
    size, pad = 300, 44
    top = max(float(pts[["predicted", "observed"]].to_numpy().max()) * 1.05, 0.05)
    ticks = _ticks(0, top)
    top = max(top, ticks[-1])
    inner = size - pad - 10

    def sx(v):
        return pad + inner * v / top

    def sy(v):
        return 10 + inner * (1 - v / top)

    out = [f'<svg class="chart calib" viewBox="0 0 {size} {size}" role="img" '
           'aria-label="Calibration: observed share against predicted probability">']
    for v in ticks:
        out.append(f'<line x1="{pad}" x2="{pad + inner}" y1="{_f(sy(v))}" y2="{_f(sy(v))}" '
                   f'stroke="{_GRID}"/><text x="{pad - 4}" y="{_f(sy(v) + 4)}" '
                   f'text-anchor="end" class="axis">{pct(v)}</text>'
                   f'<text x="{_f(sx(v))}" y="{size - 20}" text-anchor="middle" '
                   f'class="axis">{pct(v)}</text>')
    out.append(f'<line x1="{_f(sx(0))}" y1="{_f(sy(0))}" x2="{_f(sx(top))}" y2="{_f(sy(top))}" '
               f'stroke="#888" stroke-dasharray="5 4"/>')
    n = pts["n"].astype(float) if "n" in pts.columns else pd.Series(1.0, index=pts.index)
    nmax = max(float(n.max()), 1.0)
    for (_, r), k in zip(pts.iterrows(), n):
        rad = 3 + 7 * math.sqrt(k / nmax)
        out.append(f'<circle cx="{_f(sx(r["predicted"]))}" cy="{_f(sy(r["observed"]))}" '
                   f'r="{_f(rad)}" fill="{_UP}" fill-opacity="0.7"><title>predicted '
                   f'{pct(r["predicted"])}, observed {pct(r["observed"])}, {int(k)} rows'
                   '</title></circle>')
    out.append(f'<text x="{_f(pad + inner / 2)}" y="{size - 4}" text-anchor="middle" '
               f'class="axis">predicted</text><text x="12" y="{_f(10 + inner / 2)}" '
               f'text-anchor="middle" class="axis" transform="rotate(-90 12 '
               f'{_f(10 + inner / 2)})">observed</text></svg>')
    return Markup("".join(out))


def shape_svg(x, y, mark=None, big=False) -> Markup:
    """One feature's contribution over its range (a small multiple of the global driver view).

    Parameters
    ----------
    x, y : array-like of float
        Feature values [feature units] and contributions [log-odds], NaN x left out.
    mark : tuple or None
        ``(x, text)``: a vertical marker with a note (the peak, the "enough" point).
    big : bool
        Draw at twice the size (the highlighted questions).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[ok], y[ok]
    if len(x) < 2:
        return Markup("")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    width, height = (520, 240) if big else (260, 150)
    left, right, upper, lower = 42, 10, 8, 22
    pw, ph = width - left - right, height - upper - lower
    x0, x1 = float(x[0]), float(x[-1])
    if x1 == x0:
        x1 = x0 + 1
    y0, y1 = min(float(y.min()), 0.0), max(float(y.max()), 0.0)
    if y1 == y0:
        y1 = y0 + 1

    def sx(v):
        return left + pw * (v - x0) / (x1 - x0)

    def sy(v):
        return upper + ph * (1 - (v - y0) / (y1 - y0))

    out = [f'<svg class="chart shape" viewBox="0 0 {width} {height}" role="img" '
           'aria-label="Contribution to the score across the feature\'s range">']
    for v in _ticks(y0, y1, 3):
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_f(sy(v))}" y2="{_f(sy(v))}" '
                   f'stroke="{_INK if v == 0 else _GRID}"/><text x="{left - 4}" '
                   f'y="{_f(sy(v) + 4)}" text-anchor="end" class="axis">{v:+g}</text>')
    for v in _ticks(x0, x1, 4):
        out.append(f'<text x="{_f(sx(v))}" y="{height - 6}" text-anchor="middle" '
                   f'class="axis">{_num(v)}</text>')
    pts = " ".join(f"{_f(sx(a))},{_f(sy(b))}" for a, b in zip(x, y))
    out.append(f'<polyline points="{pts}" fill="none" stroke="{_UP}" stroke-width="2.5"/>')
    if mark is not None:
        mx, text = mark
        px = sx(float(mx))
        anchor = "start" if px < left + pw * 0.6 else "end"
        tx = px + 5 if anchor == "start" else px - 5
        out.append(f'<line x1="{_f(px)}" x2="{_f(px)}" y1="{upper}" y2="{upper + ph}" '
                   f'stroke="{_DOWN}" stroke-dasharray="4 3" stroke-width="1.5"/>'
                   f'<text x="{_f(tx)}" y="{upper + 14}" text-anchor="{anchor}" '
                   f'class="mark">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
