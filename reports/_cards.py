"""The report's region cards: per region and horizon the score, its drivers, what changed and
why, scenarios, the risk over time, the index's parts and the age of the inputs."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from forewarn.reports import _svg
from forewarn.reports._common import INDEX, day, horizon_text, num, pct, points
from forewarn.reports._feature_labels import label

#: Age above which an input is called old on a region card. [months]
STALE_MONTHS = 12


def card_regions(data, by_h: dict, top_n: int, basis) -> list:
    """Top ``top_n`` of every horizon, then the requested ones, in order of the first horizon."""
    chosen = set()
    for s in by_h.values():
        chosen.update(s.index[s[basis.column].notna()][:top_n])
    chosen.update(r for r in data.detail_regions if r in data.regions.index)
    first = list(next(iter(by_h.values())).index)
    rank = {rid: i for i, rid in enumerate(first)}
    return sorted(chosen, key=lambda r: (rank.get(r, len(rank)), str(r)))


def card(data, rid, anchor, by_h: dict, rows: dict, parents, features, basis) -> dict:
    """One region's card.

    Parameters
    ----------
    by_h : dict
        horizon -> that horizon's scores, indexed by region_id.
    rows : dict
        horizon -> the same rows as the report writes them (:func:`forewarn.reports._view.rows`).
    """
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
            "what": what(data, h, basis), "row": dict(rows[h].loc[rid].to_dict(), id=rid,
                                                      anchor=None),
            "chart": _svg.drivers_svg([(d["label"], d["c"]) for d in up if d["c"] is not None],
                                      [(d["label"], d["c"]) for d in down
                                       if d["c"] is not None]),
            "up": [d["text"] for d in up], "down": [d["text"] for d in down],
            "change": change_text(data, rid, h, r, features, basis),
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


def what(data, h, basis) -> str:
    """What the headline number of a region is, after the number."""
    if basis is INDEX:
        return "on the risk index (0 lowest, 10 highest)"
    return f"chance of {data.outcome} within {horizon_text(h)}"


def _drivers(data, rid, h, row, features):
    """Drivers up and down: the drivers table when it has the region, else the score's text."""
    d = data.drivers
    if len(d) and {"region_id", "horizon", "direction"} <= set(d.columns):
        d = d[(d["region_id"] == rid) & (d["horizon"] == h)]
        if len(d):
            out = []
            for side in ("up", "down"):
                part = d[d["direction"] == side].sort_values("rank")
                out.append([{"label": label(features, f), "c": float(c), "text": str(t)}
                            for f, c, t in zip(part["feature"], part["contribution"],
                                               part["text"])])
            return out[0], out[1]
    split = []
    for col in ("drivers_up", "drivers_down"):
        text = row[col] if isinstance(row[col], str) else ""
        split.append([{"label": t, "c": None, "text": t}
                      for t in (s.strip() for s in text.split(";")) if t])
    return split[0], split[1]


def change_text(data, rid, h, row, features, basis) -> dict:
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
        named = ", ".join(f"{label(features, f)} ({v:+.2f})"
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
        name = horizon_text(h)
        if len(h_all):
            part = h_all[(h_all["region_id"] == rid) & (h_all["horizon"] == h)]
            series[name] = part[["time", "probability"]]
        if rid in scores.index and pd.notna(scores.at[rid, "probability"]):
            r = scores.loc[rid]
            current[name] = (pd.Timestamp(data.as_of), r["probability"], r["lower"], r["upper"])
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
    return [(str(lab if pd.notna(lab) else n), num(row.iloc[0][n]))
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
        "missing": [label(features, i) for i in missing["indicator"]],
        "stale": [f"{label(features, i)} ({m:.0f} months)"
                  for i, m in zip(stale["indicator"], stale["age_months"])],
        "newest": num(a.loc[~a["missing"].astype(bool), "age_months"].min(), "{:.0f}"),
    }
