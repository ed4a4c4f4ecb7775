"""The report's view model: from a ReportData to what the template and the script show.

Everything is computed column by column over every region and horizon (no loop over rows):
a grid of tens of thousands of cells keeps its report to seconds.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

from forewarn.features import has_geometry
from forewarn.models import RISK_CLASSES
from forewarn.reports import _svg
from forewarn.reports._cards import STALE_MONTHS, card, card_regions, what
from forewarn.reports._common import (
    CAVEAT,
    DETECTION,
    DOES_NOT_MEAN,
    INDEX,
    INDEX_MEANS,
    basis_of,
    class_legend,
    day,
    horizon_text,
    interval,
    means,
    num,
    parent_names,
    points,
    scores_for,
    sort_key,
    source_line,
)
from forewarn.reports._data import ReportData
from forewarn.reports._feature_labels import feature_table
from forewarn.reports._findings import findings_context
from forewarn.reports._layout import report_map
from forewarn.reports._method import method_context

__all__ = ["report_context", "rows", "script_data"]


def report_context(data: ReportData, top_n: int, max_rows: int = 1000) -> dict:
    """What the report's template shows (``script_data``: the data for its script, a dict).

    Parameters
    ----------
    data : ReportData
    top_n : int
        Regions that get a card, per horizon, besides ``data.detail_regions``. [regions]
    max_rows : int
        Most regions listed per horizon in the table and under each class. [regions]
    """
    horizons = [int(h) for h in data.horizons]
    basis = basis_of(data)
    by_h = {h: scores_for(data, h, basis) for h in horizons}
    parents = parent_names(data)
    features = feature_table(data.features)
    cards = card_regions(data, by_h, top_n, basis)
    anchors = {rid: f"card-{i}" for i, rid in enumerate(cards)}
    legend = class_legend(data.class_breaks, basis)
    table = {h: rows(data, h, s, parents, anchors, basis) for h, s in by_h.items()}
    first = table[horizons[0]]
    states = dict(zip(first.index, zip(first["cls_i"], first["low"], first["aria"])))
    low_ids = {rid for s in by_h.values() for rid in s.index[s["low_reliability"].astype(bool)]}
    listed = {h: t.head(max_rows) for h, t in table.items()}
    detailed = set(cards).union(*(t.index for t in listed.values()))
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
        "headlines": {h: _headlines(by_h[h], table[h], basis) for h in horizons},
        "map": report_map(data, states, horizons[0]) if has_geometry(data.regions) else None,
        "legend_svg": _svg.legend_svg(legend),
        "text_map": {h: _text_map(data, by_h[h], basis, max_rows) for h in horizons},
        "parents": parents,
        "tables": {h: [dict(r, rank=i + 1) for i, r in enumerate(_records(t))]
                   for h, t in listed.items()},
        "table_note": (f"Showing the {max_rows:,} riskiest of {len(first):,} regions per "
                       "horizon; every region is in scores.csv"
                       + (", regions.gpkg and the map." if has_geometry(data.regions) else ".")
                       if len(first) > max_rows else ""),
        "cards": [card(data, rid, anchors[rid], by_h, table, parents, features, basis)
                  for rid in cards],
        "method": method_context(data, features),
        "findings": findings_context(data),
        "script_data": script_data(data, by_h, table, parents, anchors, basis,
                                   None if len(data.regions) <= max_rows else detailed),
    }


def _version() -> str:
    try:
        return version("forewarn")
    except PackageNotFoundError:
        return "unknown"


#: The columns of :func:`rows` that the template's tables and headlines read.
_ROW = ("id", "name", "parent", "parent_id", "p", "p_v", "interval", "lo_v", "cls", "cls_i",
        "idx", "idx_v", "rel", "rel_v", "low", "change", "change_v", "anchor")


def rows(data: ReportData, h, scores: pd.DataFrame, parents: dict, anchors: dict,
         basis) -> pd.DataFrame:
    """The scores of one horizon as the report writes them, one row per region (same order).

    Parameters
    ----------
    scores : DataFrame
        One horizon's scores indexed by region_id (:func:`scores_for`).
    parents : dict
        Parent id -> name.
    anchors : dict
        Region id -> the anchor of its card.

    Returns
    -------
    DataFrame
        Indexed like ``scores``: texts and sort keys (``p``/``p_v``, ``interval``/``lo_v``,
        ``idx``/``idx_v``, ``rel``/``rel_v``, ``change``/``change_v``), the class (``cls``,
        ``cls_i``: -1 without a score), ``low``, names, ``anchor`` and the map's ``aria``
        label.
    """
    ids = scores.index
    regions = data.regions.reindex(ids)
    value = scores[basis.column]
    scored = value.notna().to_numpy()
    pid = regions["parent_id"]
    has_pid = pid.notna().to_numpy()
    cls = np.where(scored, scores["risk_class"].to_numpy(dtype=object), "no score")
    code = {c: i for i, c in enumerate(RISK_CLASSES)}
    low = scores["low_reliability"].to_numpy().astype(bool)
    p = [basis.text(v) for v in value.to_numpy()]
    # aria labels read the region's name as it is (a number stays a number).
    when = "" if basis is INDEX else f" within {horizon_text(h)}"
    aria = [f"{n}: {t}{when}, {c} risk{', low data reliability' if lo else ''}" if s
            else f"{n}: no score"
            for n, t, c, lo, s in zip(regions["name"], p, cls, low, scored)]
    return pd.DataFrame({
        "id": ids,
        "name": regions["name"].astype(str).to_numpy(dtype=object),
        "parent": [parents.get(str(x), "") if k else "" for x, k in zip(pid, has_pid)],
        "parent_id": [str(x) if k else "" for x, k in zip(pid, has_pid)],
        "p": p, "p_v": _keys(value),
        "interval": [interval(a, b) for a, b in zip(scores["lower"].to_numpy(),
                                                    scores["upper"].to_numpy())],
        "lo_v": _keys(scores["lower"]),
        "cls": cls,
        "cls_i": np.where(scored, [code.get(c, -1) for c in cls], -1),
        "idx": [num(v) for v in scores["index_score"].to_numpy()],
        "idx_v": _keys(scores["index_score"]),
        "rel": [num(v, "{:.2f}") for v in scores["reliability"].to_numpy()],
        "rel_v": _keys(scores["reliability"]),
        "low": low,
        "change": [points(v) for v in scores["change"].to_numpy()],
        "change_v": _keys(scores["change"]),
        "anchor": [anchors.get(r) for r in ids],
        "aria": aria,
        "up": [_split(t) for t in scores["drivers_up"].to_numpy()],
        "dn": [_split(t) for t in scores["drivers_down"].to_numpy()],
    }, index=ids, dtype=object)  # object: None stays None (no anchor), never NaN


def _keys(values: pd.Series) -> list:
    return [sort_key(v) for v in values.to_numpy()]


def _split(text) -> list:
    return [t.strip() for t in text.split(";") if t.strip()] if isinstance(text, str) else []


def _records(table: pd.DataFrame) -> list[dict]:
    """The rows of :func:`rows` as the template reads them."""
    return table[list(_ROW)].to_dict("records")


def _headlines(scores, table, basis) -> dict:
    rising = scores[scores["change"] > 0].sort_values("change", ascending=False).head(3)
    counts = scores["risk_class"].where(scores[basis.column].notna()).value_counts()
    return {
        "top": _records(table.head(5)),
        "rising": _records(table.loc[rising.index]),
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


def script_data(data, by_h, table, parents, anchors, basis, detailed=None) -> dict:
    """Per region and horizon what the map panel shows (the script's data, as a dict).

    With ``detailed`` (a set of region ids), the others carry no drivers and no label (the
    script builds it): a grid's report keeps its size.
    """
    names = data.regions["name"].astype(str)
    pid = data.regions["parent_id"]
    regions = {str(rid): {"n": n, "p": parents.get(str(p), "") if pd.notna(p) else "",
                          "a": anchors.get(rid), "h": {}}
               for rid, n, p in zip(data.regions.index, names, pid)}
    for h, t in table.items():
        keep = (np.ones(len(t), bool) if detailed is None
                else np.asarray([rid in detailed for rid in t.index], bool))
        for rid, *cols in zip(t.index, t["p"], t["interval"], t["cls_i"], t["cls"], t["idx"],
                              t["rel"], t["low"], t["change"], t["up"], t["dn"], t["aria"],
                              keep):
            p, i, c, cl, x, r, lo, d, up, dn, al, full = cols
            entry = {"p": p, "i": i, "c": int(c), "cl": cl, "x": x, "r": r, "lo": bool(lo),
                     "d": d}
            if full:
                entry.update(up=up, dn=dn, al=al)
            regions[str(rid)]["h"][str(h)] = entry
    return {"horizons": [str(h) for h in by_h],
            "ht": {str(h): horizon_text(h) for h in by_h},
            "w": {str(h): what(data, h, basis) for h in by_h},
            "io": basis is INDEX, "regions": regions}
