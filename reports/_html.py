"""The HTML report: one self-contained file (styles, script, map and charts inline) for planners."""

from __future__ import annotations

import json
import math
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

from forewarn.reports import _svg
from forewarn.features import has_geometry
from forewarn.reports._common import (
    CAPACITY_KEY,
    CAVEAT,
    DETECTION,
    DOES_NOT_MEAN,
    INDEX,
    INDEX_MEANS,
    ONSET_KEYS,
    basis_of,
    check_report_data,
    class_legend,
    day,
    horizon_text,
    interval,
    means,
    outlines,
    parent_names,
    pct,
    points,
    scores_for,
    source_line,
    with_article,
)
from forewarn.reports._data import RISK_CLASSES, ReportData
from forewarn.reports._findings import findings_context

__all__ = ["render_report", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"

# Backtest measures shown, in order: column, plain name, what it says ({event}: the outcome with
# its article, "a trafficking surge"), whether higher is better.
_METRICS = (
    ("roc_auc", "ROC AUC", "ranking: chance that a region with {event} scores above one "
     "without (0.5 is a coin toss, 1 is perfect)", True),
    ("average_precision", "Average precision", "how much of the top of the ranking had "
     "{event} (compare with the base rate)", True),
    ("brier", "Brier score", "mean squared error of the probabilities", False),
    ("log_loss", "Log loss", "penalises confident wrong probabilities", False),
    ("calibration_slope", "Calibration slope", "1 means probabilities neither too extreme nor "
     "too timid", None),
    ("top10", "Caught in top 10", "share of the regions with {event} that were among the 10 "
     "highest-scored", True),
    ("top20", "Caught in top 20", "share of the regions with {event} that were among the 20 "
     "highest-scored", True),
    ("coverage", "Interval coverage", "share of probability bins whose observed rate lies in "
     "the interval", None),
)
# The measures a verdict "beats the baselines" rests on (both ranking and probability quality).
_VERDICT = ("roc_auc", "average_precision", "brier")
#: Age above which an input is called old on a region card. [months]
STALE_MONTHS = 12
#: Other features drawn as small multiples before the rest are folded away.
_SHAPES_SHOWN = 12
#: A detection-part curve moving less than this across its range is not drawn. [log-odds]
_FLAT_LOG_ODDS = 0.05
#: Parent names on the report's map: their size with up to 12 parents, and the smallest they
#: shrink to when there are more. [SVG units; the map is 1000 wide]
_NAME_SIZE, _NAME_SIZE_MIN, _FULL_SIZE_PARENTS = 20.0, 12.0, 12
# Width of a bold letter, as a share of the font size: DejaVu Sans Bold, among the widest
# sans-serif faces, averages up to 0.71 over a name; so an estimated box holds the drawn name.
_LETTER_WIDTH = 0.72


def render_report(data: ReportData, *, top_n: int = 10, max_rows: int = 1000) -> str:
    """Render the report as one self-contained HTML document.

    Everything is inline (styles, script, the map, charts, data), so the file opens offline
    and makes no request to any other host. Every data-derived text is escaped; data handed to
    the script is JSON inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
    escaped.

    Parameters
    ----------
    data : ReportData
        What the run produced.
    top_n : int, default=10
        Regions that get a card, per horizon, besides ``data.detail_regions``. [regions]
    max_rows : int, default=1000
        Most regions listed in the ranking table and under each class of the text map, per
        horizon (the riskiest); with more regions the report says so and points to
        ``scores.csv``. Regions beyond it keep their map colour, score and interval, but their
        drivers are left to ``drivers.parquet``, so a grid's report stays a few megabytes per
        10,000 cells. [regions]

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    TypeError, ValueError
        When ``data`` breaks the ReportData contract (the message names what to fix).
    """
    check_report_data(data, "render_report")
    if not (isinstance(top_n, int) and top_n >= 0):
        raise ValueError(f"render_report: 'top_n' must be a whole number >= 0; got {top_n!r}.")
    if not (isinstance(max_rows, int) and max_rows >= 1):
        raise ValueError(f"render_report: 'max_rows' must be a whole number >= 1; got "
                         f"{max_rows!r}.")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["css_string"] = _css_string
    return env.get_template("report.html.j2").render(**_context(data, top_n, max_rows))


def _css_string(text) -> Markup:
    """``text`` as a quoted CSS string safe inside a style element: every character but plain
    letters, digits and a little punctuation written as a 6-digit CSS escape."""
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.;:()-")
    return Markup('"' + "".join(c if c in safe else f"\\{ord(c):06x}" for c in str(text))
                  + '"')


def write_report(data: ReportData, path, *, top_n: int = 10, max_rows: int = 1000) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8), creating its folder; return the path."""
    html = render_report(data, top_n=top_n, max_rows=max_rows)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


# --- view model -------------------------------------------------------------------------------

def _context(data: ReportData, top_n: int, max_rows: int = 1000) -> dict:
    horizons = [int(h) for h in data.horizons]
    basis = basis_of(data)
    by_h = {h: scores_for(data, h, basis) for h in horizons}
    parents = parent_names(data)
    features = _features(data)
    cards = _card_regions(data, by_h, top_n, basis)
    anchors = {rid: f"card-{i}" for i, rid in enumerate(cards)}
    legend = class_legend(data.class_breaks, basis)
    first = by_h[horizons[0]]
    states = {rid: (_class_index(r, basis), bool(r["low_reliability"]),
                    _aria(data, rid, r, horizons[0], basis))
              for rid, r in first.iterrows()}
    low_ids = {rid for s in by_h.values() for rid in s.index[s["low_reliability"].astype(bool)]}
    listed = {h: s.head(max_rows) for h, s in by_h.items()}
    detailed = set(cards).union(*(s.index for s in listed.values()))
    return {
        "data": data,
        "title": f"{data.project_name}: trafficking-risk preparedness report",
        "as_of": day(data.as_of),
        "as_of_iso": f"{pd.Timestamp(data.as_of):%Y-%m-%d}",
        "previous": day(data.previous_as_of) if data.previous_as_of is not None else None,
        "version": _version(),
        "horizons": [{"h": h, "text": horizon_text(h)} for h in horizons],
        "horizon_list": " and ".join(horizon_text(h) for h in horizons),
        "n_regions": len(data.regions),
        "n_low": len(low_ids),
        "index_only": basis is INDEX,
        "means": INDEX_MEANS if basis is INDEX else means(data.outcome),
        "does_not_mean": DOES_NOT_MEAN, "detection": DETECTION,
        "caveat": CAVEAT, "source": source_line(data),
        "legend": legend, "breaks": [basis.edge(b) for b in data.class_breaks],
        "classes": list(RISK_CLASSES),
        "stale_months": STALE_MONTHS,
        "headlines": {h: _headlines(data, by_h[h], parents, anchors, basis) for h in horizons},
        "map": _map(data, states, horizons[0]) if has_geometry(data.regions) else None,
        "legend_svg": _svg.legend_svg(legend),
        "text_map": {h: _text_map(data, by_h[h], basis, max_rows) for h in horizons},
        "parents": parents,
        "tables": {h: _table(data, listed[h], parents, anchors, basis) for h in horizons},
        "table_note": (f"Showing the {max_rows:,} riskiest of {len(first):,} regions per "
                       "horizon; every region is in scores.csv"
                       + (", regions.gpkg and the map." if has_geometry(data.regions) else ".")
                       if len(first) > max_rows else ""),
        "cards": [_card(data, rid, anchors[rid], by_h, parents, features, basis)
                  for rid in cards],
        "method": _method(data, features),
        "findings": findings_context(data),
        "json": _json(data, by_h, parents, anchors, basis,
                      None if len(data.regions) <= max_rows else detailed),
        "css": Markup((_TEMPLATES / "report.css").read_text(encoding="utf-8")),
        "js": Markup((_TEMPLATES / "report.js").read_text(encoding="utf-8")),
    }


def _map(data, states, h) -> dict:
    """The report's map (SVG) and how to style it: thin lines where regions are small on it
    (a world of countries), and only the parent names that fit."""
    regions = data.regions.to_crs("EPSG:4326")
    lines = outlines(data)
    frame = _svg.MapFrame(regions.total_bounds)
    areas = shapely.area(frame.project(regions.geometry.to_numpy()))
    # Median region under 12 units across (about 10 pixels on screen): borders would bury it.
    fine = bool(len(areas)) and float(np.sqrt(np.median(areas))) < 12
    # Under 3 units (grid cells) any border is wider than the region: no borders at all.
    tiny = bool(len(areas)) and float(np.sqrt(np.median(areas))) < 3
    size = _NAME_SIZE
    if lines is not None:
        n = len(lines)
        if n > _FULL_SIZE_PARENTS:
            size = max(_NAME_SIZE_MIN, _NAME_SIZE * (_FULL_SIZE_PARENTS / n) ** 0.75)
        # map_svg writes every name it is given; a name that does not fit is blanked here.
        lines = lines.assign(name=_map_names(lines, frame, size))
    svg = _svg.map_svg(regions, lines, states, f"Map of risk classes, {horizon_text(h)} ahead")
    return {"svg": svg, "fine": fine, "tiny": tiny, "name_size": f"{size:.3g}"}


def _map_names(lines, frame, size) -> list[str]:
    """Parent names for the report's map, "" where none is written: the largest parents are
    named first, and a name is left out when its box would overlap one already written or
    leave the map, or when the parent is smaller on the map than half its letters.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        Parent outlines with ``name`` (EPSG:4326).
    frame : forewarn.reports._svg.MapFrame
        The map's projection.
    size : float
        Font size of the names. [SVG units]
    """
    names = [""] * len(lines)
    drawn = frame.project(lines.geometry.to_numpy())
    order = np.argsort(-shapely.area(drawn), kind="stable")
    boxes = []
    for i in order:
        if shapely.area(drawn[i]) < (size / 2) ** 2:
            continue
        # map_svg sets the text's baseline, centred, on the parent's representative point.
        pt = frame.project(lines.geometry.iloc[i].representative_point())
        name = str(lines["name"].iloc[i])
        half = _LETTER_WIDTH * size * len(name) / 2 + 2  # 2: the white halo
        box = (pt.x - half, pt.y - 0.8 * size - 2, pt.x + half, pt.y + 0.25 * size + 2)
        inside = box[0] >= 0 and box[1] >= 0 and box[2] <= frame.width and box[3] <= frame.height
        if inside and not any(b[0] < box[2] and box[0] < b[2] and b[1] < box[3]
                              and box[1] < b[3] for b in boxes):
            boxes.append(box)
            names[i] = name
    return names


def _version() -> str:
    try:
        return version("forewarn")
    except PackageNotFoundError:
        return "unknown"


def _features(data: ReportData) -> pd.DataFrame:
    """The feature table with a label for every feature name met anywhere in the data."""
    f = data.features.copy()
    if "label" not in f.columns:
        f["label"] = pd.Series(f.index.astype(str), index=f.index)
    f["label"] = f["label"].where(f["label"].notna() & (f["label"].astype(str) != ""),
                                  f.index.to_series().astype(str))
    f["label"] = [_human_label(str(n), str(lab), f) for n, lab in zip(f.index, f["label"])]
    return f


#: Words for the derived features the pipeline names ``<indicator>__<suffix>``.
_SUFFIXES = {"imputed": "{}: value carried forward", "splag": "{} in neighbouring regions",
             "change": "{}: change", "anomaly": "{}: against its own history"}
#: Words for the crisis-context features ``crisis_<kind>__<suffix>``.
_CRISIS = {"since": "Time since the latest {} began", "seen": "{} seen in this region before",
           "magnitude": "Size of the latest {}", "ongoing": "{} going on"}


def _human_label(name: str, label: str, features: pd.DataFrame) -> str:
    """A reader's label for a feature: raw ids (``crisis_conflict__since``) and derived features
    that share their indicator's label (``state_capacity__imputed``) get words of their own."""
    if "__" not in name:
        return label
    base, suffix = name.split("__", 1)
    if base.startswith("crisis_") and suffix in _CRISIS and label in (name, base):
        kind = base[len("crisis_"):].replace("_", " ")
        return _CRISIS[suffix].format(kind).capitalize()
    shared = base in features.index and label == str(features.at[base, "label"])
    if label not in (name, base) and not shared:
        return label
    stem = (str(features.at[base, "label"]) if base in features.index
            and str(features.at[base, "label"]) not in ("", "nan", base)
            else base.replace("_", " ").capitalize())
    words = _SUFFIXES.get(suffix.split("__")[0], "{}: " + suffix.replace("_", " "))
    return words.format(stem)


def _label(features: pd.DataFrame, name) -> str:
    if name in features.index:
        return str(features.at[name, "label"])
    if "__" in str(name):
        return _human_label(str(name), str(name), features)
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def _card_regions(data: ReportData, by_h: dict, top_n: int, basis) -> list:
    """Top ``top_n`` of every horizon, then the requested ones, in order of the first horizon."""
    chosen = set()
    for s in by_h.values():
        chosen.update(s.index[s[basis.column].notna()][:top_n])
    chosen.update(r for r in data.detail_regions if r in data.regions.index)
    first = list(next(iter(by_h.values())).index)
    rank = {rid: i for i, rid in enumerate(first)}
    return sorted(chosen, key=lambda r: (rank.get(r, len(rank)), str(r)))


def _class_index(row, basis) -> int:
    """Index of the row's class in RISK_CLASSES, -1 when it has no score."""
    return RISK_CLASSES.index(row["risk_class"]) if pd.notna(row[basis.column]) else -1


def _what(data, h, basis) -> str:
    """What the headline number of a region is, after the number."""
    if basis is INDEX:
        return "on the risk index (0 lowest, 10 highest)"
    return f"chance of {data.outcome} within {horizon_text(h)}"


def _aria(data, rid, row, h, basis) -> str:
    name = data.regions.at[rid, "name"]
    if pd.isna(row[basis.column]):
        return f"{name}: no score"
    flag = ", low data reliability" if row["low_reliability"] else ""
    when = "" if basis is INDEX else f" within {horizon_text(h)}"
    return f"{name}: {basis.text(row[basis.column])}{when}, {row['risk_class']} risk{flag}"


def _num(v, fmt="{:.1f}") -> str:
    return "n/a" if v is None or pd.isna(v) else fmt.format(float(v))


def _sort(v) -> str:
    """A sort key for the table's script: the number, or empty for missing (sorted last)."""
    return "" if v is None or pd.isna(v) else f"{float(v):.6g}"


def _row(data, rid, r, parents, anchors, basis) -> dict:
    pid = data.regions.at[rid, "parent_id"]
    return {
        "id": rid, "name": str(data.regions.at[rid, "name"]),
        "parent": parents.get(str(pid), "") if pd.notna(pid) else "",
        "parent_id": str(pid) if pd.notna(pid) else "",
        "p": basis.text(r[basis.column]), "p_v": _sort(r[basis.column]),
        "interval": interval(r["lower"], r["upper"]), "lo_v": _sort(r["lower"]),
        "cls": r["risk_class"] if pd.notna(r[basis.column]) else "no score",
        "cls_i": _class_index(r, basis),
        "idx": _num(r["index_score"]), "idx_v": _sort(r["index_score"]),
        "rel": _num(r["reliability"], "{:.2f}"), "rel_v": _sort(r["reliability"]),
        "low": bool(r["low_reliability"]),
        "change": points(r["change"]), "change_v": _sort(r["change"]),
        "anchor": anchors.get(rid),
    }


def _table(data, scores, parents, anchors, basis) -> list:
    return [dict(_row(data, rid, r, parents, anchors, basis), rank=i + 1)
            for i, (rid, r) in enumerate(scores.iterrows())]


def _headlines(data, scores, parents, anchors, basis) -> dict:
    top = [_row(data, rid, r, parents, anchors, basis) for rid, r in scores.head(5).iterrows()]
    rising = scores[scores["change"] > 0].sort_values("change", ascending=False).head(3)
    counts = scores["risk_class"].where(scores[basis.column].notna()).value_counts()
    return {
        "top": top,
        "rising": [_row(data, rid, r, parents, anchors, basis) for rid, r in rising.iterrows()],
        "counts": [(c, int(counts.get(c, 0))) for c in reversed(RISK_CLASSES)],
        "low": int(scores["low_reliability"].astype(bool).sum()),
    }


def _text_map(data, scores, basis, max_rows: int = 1000) -> list:
    """The map as text: regions listed under each class, highest class first (at most
    ``max_rows`` names a class, then how many more)."""
    groups = []

    def capped(names, total):
        return names + ([f"and {total - len(names):,} more"] if total > len(names) else [])

    for c in reversed(RISK_CLASSES):
        s = scores[(scores["risk_class"] == c) & scores[basis.column].notna()]
        groups.append((c, capped([f"{data.regions.at[rid, 'name']} ({basis.text(v)})"
                                  for rid, v in s[basis.column].head(max_rows).items()], len(s))))
    none = scores.index[scores[basis.column].isna()]
    unscored = data.regions.index.difference(scores.index).union(none)
    groups.append(("no score", capped([str(data.regions.at[rid, "name"])
                                       for rid in unscored[:max_rows]], len(unscored))))
    return [g for g in groups if g[1]]


# --- region cards -----------------------------------------------------------------------------

def _card(data, rid, anchor, by_h, parents, features, basis) -> dict:
    pid = data.regions.at[rid, "parent_id"]
    blocks = []
    for h, scores in by_h.items():
        if rid not in scores.index:
            blocks.append({"h": h, "text": horizon_text(h), "scored": False})
            continue
        r = scores.loc[rid]
        up, down = _drivers(data, rid, h, r, features)
        blocks.append({
            "h": h, "text": horizon_text(h), "scored": pd.notna(r[basis.column]),
            "what": _what(data, h, basis), "row": _row(data, rid, r, parents, {}, basis),
            "chart": _svg.drivers_svg([(d["label"], d["c"]) for d in up if d["c"] is not None],
                                      [(d["label"], d["c"]) for d in down
                                       if d["c"] is not None]),
            "up": [d["text"] for d in up], "down": [d["text"] for d in down],
            "change": _change_text(data, rid, h, r, features, basis),
            "scenarios": _scenarios(data, rid, h),
        })
    return {
        "id": rid, "anchor": anchor, "name": str(data.regions.at[rid, "name"]),
        "parent": parents.get(str(pid), "") if pd.notna(pid) else "",
        "blocks": blocks,
        "history": _history(data, rid, by_h),
        "history_key": "; ".join(f"{_svg.LINE_NAMES[i % len(_svg.LINE_NAMES)]} line: "
                                 f"{horizon_text(h)}" for i, h in enumerate(by_h)),
        "index": _index_parts(data, rid),
        "age": _age(data, rid, features),
    }


def _drivers(data, rid, h, row, features):
    """Drivers up and down: the drivers table when it has the region, else the score's text."""
    d = data.drivers
    if len(d) and {"region_id", "horizon", "direction"} <= set(d.columns):
        d = d[(d["region_id"] == rid) & (d["horizon"] == h)]
        if len(d):
            out = []
            for side in ("up", "down"):
                part = d[d["direction"] == side].sort_values("rank")
                out.append([{"label": _label(features, f), "c": float(c), "text": str(t)}
                            for f, c, t in zip(part["feature"], part["contribution"],
                                               part["text"])])
            return out[0], out[1]
    split = []
    for col in ("drivers_up", "drivers_down"):
        text = row[col] if isinstance(row[col], str) else ""
        split.append([{"label": t, "c": None, "text": t}
                      for t in (s.strip() for s in text.split(";")) if t])
    return split[0], split[1]


def _change_text(data, rid, h, row, features, basis) -> dict:
    """What changed since the previous run and why, in sentences."""
    if data.previous_as_of is None:
        return {"lines": ["There is no previous run to compare with."]}
    if basis is INDEX:
        return {"lines": ["This run has no model, so there is no change of probability to "
                          "show."]}
    if pd.isna(row["change"]) or pd.isna(row["probability"]):
        return {"lines": [f"This region had no score in the run of {day(data.previous_as_of)}."]}
    before = row["probability"] - row["change"]
    lines = [f"Since the run of {day(data.previous_as_of)} the probability moved from "
             f"{pct(before)} to {pct(row['probability'])} ({points(row['change'])})."]
    c = data.change
    if c is not None and len(c):
        c = c[(c["region_id"] == rid) & (c["horizon"] == h)]
    if c is not None and len(c):
        feat = c[c["part"] == "feature"]
        model = float(c.loc[c["part"] == "model", "contribution"].sum())
        total = float(feat["contribution"].sum())
        top = feat.reindex(feat["contribution"].abs().sort_values(ascending=False).index).head(3)
        named = ", ".join(f"{_label(features, f)} ({v:+.2f})"
                          for f, v in zip(top["feature"], top["contribution"]) if abs(v) >= 0.005)
        verb = "raised" if total > 0 else "lowered"
        if abs(total) < 0.005:
            # Below the precision shown: "lowered by 0.00" would read as a contradiction.
            text = "New data hardly changed the score (less than 0.01 log-odds)"
            lines.append(text + (f"; the largest moves were {named}." if named else "."))
        else:
            text = f"New data {verb} the score by {abs(total):.2f} log-odds"
            lines.append(text + (f", mostly through {named}." if named else "."))
        if abs(model) >= 0.005:
            verb = "raised" if model > 0 else "lowered"
            lines.append(f"Updating the model {verb} it by {abs(model):.2f} log-odds.")
        else:
            lines.append("The model itself did not change the score.")
    return {"lines": lines}


def _scenarios(data, rid, h) -> list:
    s = data.scenarios
    if s is None or not len(s):
        return []
    s = s[(s["region_id"] == rid) & (s["horizon"] == h)]
    return [{"name": str(r["scenario"]), "before": pct(r["probability_before"]),
             "after": pct(r["probability_after"]),
             "delta": points(r["probability_after"] - r["probability_before"]),
             "text": str(r["text"]) if pd.notna(r["text"]) else ""}
            for _, r in s.iterrows()]


def _history(data, rid, by_h) -> Markup:
    h_all = data.history
    series, current = {}, {}
    for h, scores in by_h.items():
        label = horizon_text(h)
        if len(h_all):
            part = h_all[(h_all["region_id"] == rid) & (h_all["horizon"] == h)]
            series[label] = part[["time", "probability"]]
        if rid in scores.index and pd.notna(scores.at[rid, "probability"]):
            r = scores.loc[rid]
            current[label] = (pd.Timestamp(data.as_of), r["probability"], r["lower"], r["upper"])
    return _svg.history_svg(series, data.class_breaks, current)


def _index_parts(data, rid) -> list:
    """The index's first-level parts for the region, e.g. [("Hazard", "7.1")]."""
    tree, scores = data.index_hierarchy, data.index_scores
    if tree is None or scores is None or not len(scores):
        return []
    row = scores[scores["region_id"] == rid]
    if not len(row):
        return []
    roots = tree[tree["parent"].isna()]["node"]
    nodes = tree[tree["parent"].isin(roots)]
    return [(str(lab if pd.notna(lab) else n), _num(row.iloc[0][n]))
            for n, lab in zip(nodes["node"], nodes["label"]) if n in row.columns]


def _age(data, rid, features) -> dict:
    a = data.data_age
    if a is None or not len(a):
        return {"missing": [], "stale": [], "known": False}
    a = a[a["region_id"] == rid]
    missing = a[a["missing"].astype(bool)]
    stale = a[~a["missing"].astype(bool) & (a["age_months"] > STALE_MONTHS)]
    stale = stale.sort_values("age_months", ascending=False)
    return {
        "known": True,
        "missing": [_label(features, i) for i in missing["indicator"]],
        "stale": [f"{_label(features, i)} ({m:.0f} months)"
                  for i, m in zip(stale["indicator"], stale["age_months"])],
        "newest": _num(a.loc[~a["missing"].astype(bool), "age_months"].min(), "{:.0f}"),
    }


# --- model and method -------------------------------------------------------------------------

def _method(data, features) -> dict:
    return {
        "backtest": _backtest(data),
        "metrics": [(name, meaning.format(event=with_article(data.outcome_short)))
                    for _, name, meaning, _ in _metrics_of(data.backtest)],
        "calibration": _calibration(data),
        "shapes": _shapes(data, features),
        "detection": _detection(data, features),
        "tree": _tree(data.index_hierarchy),
        "sources": _sources(data),
        "card": _model_card(data.model_card, features),
        "limits": [str(x) for x in data.model_card.get("limits", ())],
    }


def _metrics_of(backtest) -> tuple:
    """The measures to show: the fixed ones, then "events in the top k" for each k measured."""
    if backtest is None:
        return _METRICS
    ks = sorted(int(c[3:-7]) for c in backtest.columns
                if c.startswith("top") and c.endswith("_caught") and c[3:-7].isdigit())
    return _METRICS + tuple(
        (f"top{k}_caught", f"Events in top {k}", f"events that fell among the {k} "
         "highest-scored regions of their forecast date, of all events (summed over the "
         "forecast dates)", True) for k in ks)


def _backtest_value(row, col) -> str:
    if col.endswith("_caught") and "events" in row.index and pd.notna(row[col]):
        return f"{row[col]:.0f} of {row['events']:.0f}"
    return _num(row[col], "{:.3f}")


def _backtest(data) -> list:
    b = data.backtest
    if b is None or not len(b):
        return []
    out = []
    cols = [m for m in _metrics_of(b) if m[0] in b.columns]
    for h in sorted(b["horizon"].unique()):
        part = b[b["horizon"] == h].reset_index(drop=True)
        is_model = part["model"] == "model"
        model = part[is_model].iloc[0] if is_model.any() else part.iloc[0]
        rows = [{"name": str(r["model"]) + (" (ceiling)" if r["model"] in _CEILINGS else ""),
                 "is_model": r["model"] == model["model"],
                 "values": [_backtest_value(r, c) for c, *_ in cols]}
                for _, r in part.iterrows()]
        out.append({"h": int(h), "text": horizon_text(h), "columns": [m[1] for m in cols],
                    "rows": rows, "verdict": _verdict(model, part, h)})
    return out


#: Rows of a backtest that are ceilings, not baselines: the demo world's true probability.
_CEILINGS = ("oracle",)


def _verdict(model, part, h) -> dict:
    """Say plainly whether the model beats each real baseline on ranking and probability
    quality, and how close it gets to a ceiling (the demo world's oracle), which no model can
    beat and so is never called a baseline it fails to beat."""
    fails, compared, ceiling = [], 0, []
    for col, name, _, higher in _METRICS:
        if col not in _VERDICT or col not in part.columns or pd.isna(model[col]):
            continue
        for _, r in part.iterrows():
            if r["model"] == model["model"] or pd.isna(r[col]):
                continue
            if r["model"] in _CEILINGS:
                ceiling.append(_to_ceiling(name, model[col], r[col], higher))
                continue
            compared += 1
            worse = model[col] < r[col] if higher else model[col] > r[col]
            if worse:
                fails.append(f"it does not beat the \u201c{r['model']}\u201d baseline on {name} "
                             f"({model[col]:.3f} against {r[col]:.3f})")
    close = ("" if not ceiling else
             " The \u201coracle\u201d row is the demo world's true probability: a ceiling that no "
             "model can beat, not a baseline. How close the model gets to it: "
             + "; ".join(ceiling) + ".")
    if not compared:
        return {"ok": False, "text": f"At {horizon_text(h)}, there is no baseline to compare "
                "the model with." + close}
    if not fails:
        return {"ok": True, "text": f"At {horizon_text(h)}, the model beats every baseline on "
                f"ranking and on the quality of its probabilities." + close}
    return {"ok": False, "text": f"At {horizon_text(h)}, " + "; ".join(fails) + ". Weigh its "
            "scores accordingly: where a baseline does as well, the model adds little." + close}


def _to_ceiling(name, value, top, higher) -> str:
    """How the model's value of one measure compares with the ceiling's, in words that hold
    for the two numbers printed beside them."""
    pair = f"{name} {value:.3f} against {top:.3f}"
    if f"{value:.3f}" == f"{top:.3f}":
        return pair + " (level with it at this precision)"
    if (value > top) if higher else (value < top):
        return pair + " (better than it in this sample, by chance)"
    return pair

def _calibration(data) -> list:
    c = data.calibration
    if c is None or not len(c):
        return []
    return [{"h": int(h), "text": horizon_text(h), "svg": _svg.calibration_svg(part)}
            for h, part in c.groupby("horizon", sort=True)]


def _shapes(data, features) -> dict:
    """Small multiples of the shape functions, the two planners' questions answered first."""
    sf = data.shape_functions
    if sf is None or not len(sf):
        return {"questions": [], "shown": [], "folded": []}
    curves = {f: g for f, g in sf.groupby("feature", sort=False)}

    def indicator(name):
        return str(features.at[name, "indicator"]) if (name in features.index and "indicator"
                                                        in features.columns) else ""

    def spread(name):
        y = curves[name]["contribution"]
        return float(y.max() - y.min()) if y.notna().any() else 0.0

    onset = [f for f in curves if any(k in str(f) for k in ONSET_KEYS)]
    capacity = [f for f in curves if CAPACITY_KEY in str(f) or CAPACITY_KEY in indicator(f)]
    questions = []
    if onset:
        best = max(onset, key=spread)
        mark, answer = _peak(curves[best])
        questions.append(_question("When does risk peak after a conflict begins?", best, answer,
                                   mark, curves, features))
    else:
        questions.append({"q": "When does risk peak after a conflict begins?", "svg": None,
                          "answer": "This model has no feature for the time since a conflict "
                                    "began, so it cannot say.", "title": "", "units": ""})
    if capacity:
        # The level itself, not its carried-forward flag, even when its line is flat; a line a
        # constraint holds flat comes first, so the card says why it is flat.
        levels = [f for f in capacity if not str(f).endswith("__imputed")] or capacity
        held = [f for f in levels if f in data.held_at_zero]
        best = held[0] if held else max(levels, key=spread)
        mark, answer = _enough(curves[best], held=best in data.held_at_zero,
                               two_part=data.detection_shape_functions is not None)
        questions.append(_question("How much state capacity is enough?", best, answer, mark,
                                   curves, features))
    else:
        questions.append({"q": "How much state capacity is enough?", "svg": None,
                          "answer": "This model has no state-capacity feature, so it cannot "
                                    "say.", "title": "", "units": ""})
    # Carried-forward flags are no shape of an input: never highlighted or among the tiles
    # shown, only folded away with the rest (labelled "...: value carried forward").
    flag = [f for f in curves if str(f).endswith("__imputed")]
    highlighted = (set(onset) | set(capacity)) - set(flag)
    rest = sorted(curves, key=spread, reverse=True)
    order = ([f for f in rest if f in highlighted]
             + [f for f in rest if f not in highlighted and f not in flag])
    tiles = [_tile(f, curves[f], features, f in highlighted) for f in order]
    n = _SHAPES_SHOWN + len(highlighted)
    return {"questions": questions, "shown": tiles[:n],
            "folded": tiles[n:] + [_tile(f, curves[f], features, False)
                                   for f in rest if f in flag]}


def _detection(data, features) -> dict | None:
    """The detection part of a detection-aware model: what makes a surge more likely to be
    seen, and the difference from the risk in plain words (None for other models)."""
    sf = data.detection_shape_functions
    if sf is None or not len(sf):
        return None
    curves = {f: g for f, g in sf.groupby("feature", sort=False)}
    spread = {f: float(g["contribution"].max() - g["contribution"].min())
              if g["contribution"].notna().any() else 0.0 for f, g in curves.items()}
    shown = [f for f in sorted(curves, key=spread.get, reverse=True)
             if spread[f] >= _FLAT_LOG_ODDS][:4]
    largest = max(spread.values(), default=0.0)
    return {
        "flat": None if shown else (
            "The detection part is almost flat: across their ranges no input moves the chance "
            f"of detection by more than {largest:.2g} log-odds, so the recorded surges show "
            "little of what drives detection here, and the risk scores are close to a model "
            "of recorded surges."),
        "text": ("This model splits the chance of a recorded surge in two: the chance that a "
                 "surge happens (the scores in this report, what to prepare for) and the chance "
                 "that a surge there would be detected and recorded. Where detection is weak a "
                 "region can carry a high risk and still have few recorded surges; the scores "
                 "table (scores.csv) gives both, as probability and detection_probability."),
        "tiles": [_tile(f, curves[f], features, False) for f in shown],
    }


def _units(features, name) -> str:
    if name in features.index and "units" in features.columns and pd.notna(
            features.at[name, "units"]):
        return str(features.at[name, "units"])
    return ""


def _tile(name, curve, features, highlight) -> dict:
    return {"title": _label(features, name), "name": str(name), "units": _units(features, name),
            "highlight": highlight, "svg": _svg.shape_svg(curve["x"], curve["contribution"])}


def _question(q, name, answer, mark, curves, features) -> dict:
    c = curves[name]
    return {"q": q, "title": _label(features, name), "units": _units(features, name),
            "answer": answer, "svg": _svg.shape_svg(c["x"], c["contribution"], mark, big=True)}


def _clean(curve):
    c = curve.dropna(subset=["x", "contribution"]).sort_values("x")
    return c["x"].to_numpy(dtype=float), c["contribution"].to_numpy(dtype=float)


def _is_line(x, y) -> bool:
    """True when the curve is a straight line (the linear model) to within 0.5% of its range."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return True
    fit = np.polyval(np.polyfit(x, y, 1), x)
    return float(np.max(np.abs(fit - y))) <= 0.005 * float(np.ptp(y))


def _peak(curve):
    """Where the contribution of time since onset is highest, and when it has halved again."""
    x, y = _clean(curve)
    if len(x) < 2 or np.ptp(y) == 0:
        return None, "The model finds no change of risk with the time since a conflict began."
    i = int(np.argmax(y))
    peak, late = float(x[i]), float(y[-1])
    caution = (" This is the pattern the model learnt from past crises, not a rule for any "
               "one crisis.")
    if i == len(x) - 1:
        return (peak, "most risk"), ("In this model risk keeps rising with the time since a "
                                     "conflict began over the whole range seen "
                                     f"(up to {peak:.0f} months)." + caution)
    half = (y[i] + late) / 2
    after = np.nonzero((x > peak) & (y <= half))[0]
    fade = (f" Half of that extra risk is gone about {x[after[0]]:.0f} months after onset."
            if len(after) else "")
    if i == 0:
        return (peak, "peak"), ("Risk is highest right at the onset of a conflict and fades "
                                "as the crisis ages." + fade + caution)
    return (peak, f"peak \u2248 {peak:.0f}"), (
        f"Risk is highest about {peak:.0f} months after a conflict begins, not at the onset: "
        f"preparedness has that long to get in place." + fade + caution)


def _enough(curve, held=False, two_part=False):
    """The state capacity beyond which more capacity lowers the score little.

    ``held``: a sign constraint holds the curve at zero; ``two_part``: the curve is the risk
    part of a detection-aware model. A flat curve never reads as "no link": recorded surges
    measure detection too, and stronger states detect more."""
    x, y = _clean(curve)
    caution = (" This describes the pattern in past data, not a causal threshold.")
    if len(x) < 2 or np.ptp(y) == 0:
        if held:
            return None, (
                "The line is flat because the model's constraint (lower capacity never lowers "
                "risk) met data pulling the other way (recorded surges can rise with capacity "
                "because stronger states detect more). It does not show that capacity has no "
                "link with risk" + ("; even with detection modelled apart, the recorded surges "
                                    "could not separate capacity's effect on risk from its "
                                    "effect on detection." if two_part else ".") + caution)
        return None, ("The model finds no link between state capacity and recorded surges. "
                      "Recorded surges measure detection as much as trafficking, and stronger "
                      "states detect more, so this does not show that capacity has no link "
                      "with the risk itself.")
    if y[-1] > y[0]:
        return None, ("In this model, higher state capacity goes with a higher score (more "
                      "capacity also detects more trafficking)." + caution)
    if _is_line(x, y):
        per10 = 10 * (y[-1] - y[0]) / (x[-1] - x[0])
        return None, ("The model treats the link as a straight line, so there is no point "
                      "where more capacity stops helping: every 10 more points change the "
                      f"score by {per10:+.2f} log-odds." + caution)
    drop = y[0] - y.min()
    reached = np.nonzero(y <= y[0] - 0.9 * drop)[0][0]
    at = float(x[reached])
    # Round to what a planner would quote: whole points on a 0-100 scale, 2 digits otherwise.
    shown = f"{at:.0f}" if np.ptp(x) >= 20 else f"{at:.2g}"
    return (at, f"90% \u2248 {shown}"), (
        f"Most of the protection comes early: by a score of about {shown}, 90% of the drop in "
        "risk that the model links with state capacity is reached; more capacity beyond it "
        "lowers the score little." + caution)


def _tree(tree) -> list:
    """The index hierarchy as nested dicts, roots first."""
    if tree is None or not len(tree):
        return []
    rows = {r["node"]: r for _, r in tree.iterrows()}

    def node(n):
        r = rows[n]
        kids = [k for k in tree.loc[tree["parent"] == n, "node"]]
        weight = r.get("weight")
        return {"label": str(r["label"]) if pd.notna(r.get("label")) else str(n),
                "id": str(n),
                "aggregation": str(r["aggregation"]) if pd.notna(r.get("aggregation")) else "",
                "weight": "" if weight is None or pd.isna(weight) else f"{float(weight):g}",
                "children": [node(k) for k in kids]}

    return [node(n) for n in tree.loc[tree["parent"].isna(), "node"]]


def _sources(data) -> list:
    s = data.sources
    if not len(s):
        return []
    cols = ("source", "licence", "indicators", "latest_period")

    def text(v):
        if isinstance(v, (list, tuple, np.ndarray)):
            return ", ".join(str(x) for x in v)
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    rows = [{c: text(r.get(c)) for c in cols} for _, r in s.iterrows()]
    for row in rows:
        if "latest_period" in s.columns and not row["latest_period"]:
            row["latest_period"] = "no observations (not used)"
    return rows


def _model_card(card: dict, features: pd.DataFrame | None = None) -> list:
    """Model card entries as (key, text or list), limits left for their own list: feature ids
    as their labels, direction maps as sentences, never a Python dict or list as printed."""
    features = pd.DataFrame(columns=["label"]) if features is None else features
    items = []
    for k, v in card.items():
        if k == "limits":
            continue
        key = str(k).replace("_", " ")
        if isinstance(v, dict):
            items.append((key, [f"{str(a).replace('_', ' ')}: {_card_value(a, b, features)}"
                                for a, b in v.items()] or "none recorded"))
        else:
            items.append((key, _card_value(k, v, features)))
    return items


_DIRECTION_WORDS = {1: "higher raises the score", -1: "higher lowers the score",
                    0: "either way (no constraint)"}


def _card_value(key, v, features) -> str:
    """One model-card value in words."""
    if isinstance(v, dict) and "direction" in str(key) and all(
            x in _DIRECTION_WORDS for x in v.values()):
        groups = {d: [_label(features, f) for f, x in v.items() if x == d]
                  for d in _DIRECTION_WORDS}
        return "; ".join(f"{words}: {', '.join(groups[d])}"
                         for d, words in _DIRECTION_WORDS.items() if groups[d]) or "none"
    if isinstance(v, dict):
        return "; ".join(f"{_label(features, a)} {_card_value(a, b, features)}"
                         for a, b in v.items()) or "none"
    if isinstance(v, (list, tuple)):
        named = str(key) == "features"
        return ", ".join(_label(features, x) if named else _card_value(key, x, features)
                         for x in v) or "none"
    if v is None or (isinstance(v, str) and not v):
        return "not recorded"
    return _plain(v)


def _plain(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else "n/a"
    return str(v)


# --- data for the script ----------------------------------------------------------------------

def _json(data, by_h, parents, anchors, basis, detailed=None) -> Markup:
    """Per region and horizon what the map panel shows, as JSON safe inside a script element.

    With ``detailed`` (a set of region ids), the others carry no drivers and no label (the
    script builds it): a grid's report keeps its size."""
    regions = {}
    for rid in data.regions.index:
        pid = data.regions.at[rid, "parent_id"]
        regions[str(rid)] = {"n": str(data.regions.at[rid, "name"]),
                             "p": parents.get(str(pid), "") if pd.notna(pid) else "",
                             "a": anchors.get(rid), "h": {}}
    for h, scores in by_h.items():
        for rid, r in scores.iterrows():
            scored = pd.notna(r[basis.column])
            entry = {
                "p": basis.text(r[basis.column]),
                "i": interval(r["lower"], r["upper"]),
                "c": _class_index(r, basis), "cl": r["risk_class"] if scored else "no score",
                "x": _num(r["index_score"]), "r": _num(r["reliability"], "{:.2f}"),
                "lo": bool(r["low_reliability"]), "d": points(r["change"]),
            }
            if detailed is None or rid in detailed:
                entry.update(up=_split(r["drivers_up"]), dn=_split(r["drivers_down"]),
                             al=_aria(data, rid, r, h, basis))
            regions[str(rid)]["h"][str(h)] = entry
    blob = json.dumps({"horizons": [str(h) for h in by_h],
                       "ht": {str(h): horizon_text(h) for h in by_h},
                       "w": {str(h): _what(data, h, basis) for h in by_h},
                       "io": basis is INDEX, "regions": regions},
                      ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # In a script element the HTML parser only looks for "</script" and "<!--"; escaping
    # every <, > and & keeps any region name from ever becoming markup.
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(blob)


def _split(text) -> list:
    return [t.strip() for t in text.split(";") if t.strip()] if isinstance(text, str) else []
