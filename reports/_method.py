"""The report's method section: backtest against baselines, calibration, shape functions,
the detection part, the index tree, sources and the model card, ready for the template."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forewarn.models import (
    CEILINGS,
    backtest_verdict,
    capacity_enough,
    detection_shapes,
    peak_after_onset,
    shape_range,
)
from forewarn.reports import _svg
from forewarn.reports._common import CAPACITY_KEY, ONSET_KEYS, horizon_text, num, with_article
from forewarn.reports._feature_labels import label, units

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
#: Other features drawn as small multiples before the rest are folded away.
_SHAPES_SHOWN = 12


def method_context(data, features) -> dict:
    """The method section: what the template's method part shows."""
    return {
        "backtest": _backtest(data),
        "metrics": [(name, meaning.format(event=with_article(data.outcome_short)))
                    for _, name, meaning, _ in _metrics_of(data.backtest)],
        "calibration": _calibration(data),
        "shapes": _shapes(data, features),
        "detection": _detection(data, features),
        "tree": _tree(data.index_hierarchy),
        "sources": _sources(data),
        "card": model_card_items(data.model_card, features),
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
    return num(row[col], "{:.3f}")


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
        rows = [{"name": str(r["model"]) + (" (ceiling)" if r["model"] in CEILINGS else ""),
                 "is_model": r["model"] == model["model"],
                 "values": [_backtest_value(r, c) for c, *_ in cols]}
                for _, r in part.iterrows()]
        verdict = backtest_verdict(part, model["model"],
                                   [(c, name, higher) for c, name, _, higher in _METRICS])
        out.append({"h": int(h), "text": horizon_text(h), "columns": [m[1] for m in cols],
                    "rows": rows, "verdict": {"ok": verdict.ok, "text": f"At {horizon_text(h)}, "
                                              + verdict.text}})
    return out


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
        return shape_range(curves[name])

    onset = [f for f in curves if any(k in str(f) for k in ONSET_KEYS)]
    capacity = [f for f in curves if CAPACITY_KEY in str(f) or CAPACITY_KEY in indicator(f)]
    questions = []
    if onset:
        best = max(onset, key=spread)
        questions.append(_question("When does risk peak after a conflict begins?", best,
                                   peak_after_onset(curves[best]), curves, features))
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
        reading = capacity_enough(curves[best], held=best in data.held_at_zero,
                                  two_part=data.detection_shape_functions is not None)
        questions.append(_question("How much state capacity is enough?", best, reading,
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
    shown, flat = detection_shapes(curves)
    return {
        "flat": flat,
        "text": ("This model splits the chance of a recorded surge in two: the chance that a "
                 "surge happens (the scores in this report, what to prepare for) and the chance "
                 "that a surge there would be detected and recorded. Where detection is weak a "
                 "region can carry a high risk and still have few recorded surges; the scores "
                 "table (scores.csv) gives both, as probability and detection_probability."),
        "tiles": [_tile(f, curves[f], features, False) for f in shown],
    }


def _tile(name, curve, features, highlight) -> dict:
    return {"title": label(features, name), "name": str(name), "units": units(features, name),
            "highlight": highlight, "svg": _svg.shape_svg(curve["x"], curve["contribution"])}


def _question(q, name, reading, curves, features) -> dict:
    c = curves[name]
    return {"q": q, "title": label(features, name), "units": units(features, name),
            "answer": reading.text,
            "svg": _svg.shape_svg(c["x"], c["contribution"], reading.mark, big=True)}


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


def model_card_items(card: dict, features: pd.DataFrame | None = None) -> list:
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
        groups = {d: [label(features, f) for f, x in v.items() if x == d]
                  for d in _DIRECTION_WORDS}
        return "; ".join(f"{words}: {', '.join(groups[d])}"
                         for d, words in _DIRECTION_WORDS.items() if groups[d]) or "none"
    if isinstance(v, dict):
        return "; ".join(f"{label(features, a)} {_card_value(a, b, features)}"
                         for a, b in v.items()) or "none"
    if isinstance(v, (list, tuple)):
        named = str(key) == "features"
        return ", ".join(label(features, x) if named else _card_value(key, x, features)
                         for x in v) or "none"
    if v is None or (isinstance(v, str) and not v):
        return "not recorded"
    return _plain(v)


def _plain(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else "n/a"
    return str(v)
