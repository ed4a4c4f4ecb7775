"""The report's "What the data say" section: renders ``ReportData.findings`` (computed by
``forewarn.flows.findings``) as plain sentences and small inline SVG plots; computes nothing.

Every text from data goes through :func:`markupsafe.escape` (the plots) or the template's
autoescaping (the sentences).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from forewarn.models import band_reading
from forewarn.reports._common import DETECTION, horizon_text
from forewarn.reports._svg import _f, _ticks

__all__ = ["findings_context", "since_onset_svg", "importance_svg", "levers_svg"]

_LINE = "#b2182b"
_BAND = "#f4a582"
_BAR = "#4d4d4d"
_GRID = "#d0d0d0"
_INK = "#222222"
_NAMES = {"base_rate": "base rate", "persistence": "persistence", "index_alone": "index alone",
          "elastic_net": "elastic net", "additive": "additive boosting",
          "detection_aware": "detection-aware model"}

#: How many drivers the importance plot shows (the table in the findings has them all).
TOP_DRIVERS = 12


def _p1(v: float) -> str:
    """A probability in percent with one decimal (the findings' differences are small)."""
    return f"{100 * v:.1f}%"


def _tick_pct(v: float) -> str:
    return f"{round(100 * v, 2):g}%"


def _pp(v: float) -> str:
    """A probability difference in percentage points, signed."""
    return f"{100 * v:+.1f} pp"


def since_onset_svg(curve: pd.DataFrame, title: str, unit: str = "years") -> Markup:
    """Mean probability over steps since an onset: a line, its bootstrap band, and "never".

    Parameters
    ----------
    curve : DataFrame
        ``since`` [time steps] (NaN: no onset ever), ``probability``, ``lower``, ``upper`` [-].
    title : str
        Accessible name of the plot.
    unit : str
        What a time step is ("years", "months"), for the axis.
    """
    steps = curve[curve["since"].notna()].sort_values("since")
    never = curve[curve["since"].isna()]
    if len(steps) < 2:
        return Markup("")
    width, height, left, right, upper, lower = 420, 190, 48, 62, 10, 34
    pw, ph = width - left - right, height - upper - lower
    values = np.concatenate([curve[c].to_numpy(float) for c in ("probability", "lower", "upper")])
    values = values[~np.isnan(values)]
    y0, y1 = max(0.0, float(values.min()) * 0.9), float(values.max()) * 1.05
    ticks = _ticks(y0, y1, 4)
    y0, y1 = min([y0, *ticks]), max([y1, *ticks])
    x0, x1 = float(steps["since"].min()), float(steps["since"].max())

    def sx(v):
        return left + pw * (v - x0) / (x1 - x0)

    def sy(v):
        return upper + ph * (1 - (v - y0) / (y1 - y0))

    out = [f'<svg class="chart findings" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}">']
    for v in ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_f(sy(v))}" y2="{_f(sy(v))}" '
                   f'stroke="{_GRID}"/><text x="{left - 4}" y="{_f(sy(v) + 4)}" '
                   f'text-anchor="end" class="axis">{_tick_pct(v)}</text>')
    for v in _ticks(x0, x1, 5):
        out.append(f'<text x="{_f(sx(v))}" y="{height - 18}" text-anchor="middle" '
                   f'class="axis">{v:g}</text>')
    out.append(f'<text x="{_f(left + pw / 2)}" y="{height - 3}" text-anchor="middle" '
               f'class="axis">time since the onset [{escape(unit)}]</text>')
    band = ([f"{_f(sx(s))},{_f(sy(u))}" for s, u in zip(steps["since"], steps["upper"])]
            + [f"{_f(sx(s))},{_f(sy(lo))}" for s, lo in
               zip(steps["since"][::-1], steps["lower"][::-1])])
    out.append(f'<polygon points="{" ".join(band)}" fill="{_BAND}" fill-opacity="0.45"/>')
    pts = " ".join(f"{_f(sx(s))},{_f(sy(p))}" for s, p in zip(steps["since"],
                                                               steps["probability"]))
    out.append(f'<polyline points="{pts}" fill="none" stroke="{_LINE}" stroke-width="2.5"/>')
    for s, p, lo, hi in steps[["since", "probability", "lower", "upper"]].itertuples(
            index=False):
        out.append(f'<circle cx="{_f(sx(s))}" cy="{_f(sy(p))}" r="2.5" fill="{_LINE}"><title>'
                   f'{s:g} {escape(unit)} after: {_p1(p)} ({_p1(lo)}\u2013{_p1(hi)})'
                   '</title></circle>')
    if len(never):
        r = never.iloc[0]
        cx = left + pw + 30
        out.append(f'<line x1="{cx}" x2="{cx}" y1="{_f(sy(r["lower"]))}" '
                   f'y2="{_f(sy(r["upper"]))}" stroke="{_BAR}" stroke-width="2"/>'
                   f'<circle cx="{cx}" cy="{_f(sy(r["probability"]))}" r="4" fill="{_BAR}">'
                   f'<title>no onset ever: {_p1(r["probability"])} ({_p1(r["lower"])}\u2013'
                   f'{_p1(r["upper"])})</title></circle><text x="{cx}" y="{height - 18}" '
                   'text-anchor="middle" class="axis">never</text>')
    out.append("</svg>")
    return Markup("".join(out))


def importance_svg(table: pd.DataFrame, title: str) -> Markup:
    """Horizontal bars of each driver's importance with its refit interval as a whisker.

    Parameters
    ----------
    table : DataFrame
        ``label``, ``importance``, ``lower``, ``upper`` [log-odds], largest first.
    title : str
        Accessible name of the plot.
    """
    if not len(table):
        return Markup("")
    width, label_w, row, top = 560, 250, 22, 8
    height = top + row * len(table) + 34
    top_value = float(np.nanmax(table[["importance", "upper"]].to_numpy(float)))
    top_value = top_value if top_value > 0 else 1.0
    ticks = _ticks(0, top_value, 4)
    top_value = max(top_value, ticks[-1])
    pw = width - label_w - 20

    def sx(v):
        return label_w + pw * v / top_value

    out = [f'<svg class="chart findings bars" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}">']
    for v in ticks:
        out.append(f'<line x1="{_f(sx(v))}" x2="{_f(sx(v))}" y1="{top}" '
                   f'y2="{top + row * len(table)}" stroke="{_GRID}"/><text x="{_f(sx(v))}" '
                   f'y="{height - 18}" text-anchor="middle" class="axis">{v:g}</text>')
    out.append(f'<text x="{_f(label_w + pw / 2)}" y="{height - 3}" text-anchor="middle" '
               'class="axis">mean |contribution| [log-odds]</text>')
    for i, r in enumerate(table.itertuples(index=False)):
        y = top + row * i
        label = str(r.label)
        short = label if len(label) <= 32 else label[:31] + "\u2026"
        bounds = "" if pd.isna(r.lower) else f" (refits {r.lower:.2f}\u2013{r.upper:.2f})"
        out.append(f'<g><title>{escape(label)}: {r.importance:.2f} log-odds{bounds}</title>'
                   f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(short)}'
                   f'</text><rect x="{label_w}" y="{y + 4}" '
                   f'width="{_f(max(sx(r.importance) - label_w, 1))}" height="{row - 8}" '
                   f'fill="{_BAR}"/>')
        if not pd.isna(r.lower):
            out.append(f'<line x1="{_f(sx(r.lower))}" x2="{_f(sx(r.upper))}" y1="{y + 11}" '
                       f'y2="{y + 11}" stroke="{_LINE}" stroke-width="2"/>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def levers_svg(table: pd.DataFrame, title: str) -> Markup:
    """Each lever's effect on the mean probability: a dot, its refit interval, a zero line.

    Parameters
    ----------
    table : DataFrame
        ``label``, ``effect``, ``lower``, ``upper`` [-] (differences of probabilities).
    title : str
        Accessible name of the plot.
    """
    if not len(table):
        return Markup("")
    width, label_w, row, top = 560, 250, 26, 8
    height = top + row * len(table) + 34
    vals = table[["effect", "lower", "upper"]].to_numpy(float)
    vals = vals[~np.isnan(vals)]
    span = max(float(np.abs(vals).max()) if len(vals) else 0.0, 0.005) * 1.15
    ticks = _ticks(-span, span, 4)
    lo, hi = min([-span, *ticks]), max([span, *ticks])
    pw = width - label_w - 20

    def sx(v):
        return label_w + pw * (v - lo) / (hi - lo)

    out = [f'<svg class="chart findings bars" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(title)}">']
    for v in ticks:
        out.append(f'<line x1="{_f(sx(v))}" x2="{_f(sx(v))}" y1="{top}" '
                   f'y2="{top + row * len(table)}" stroke="{_INK if v == 0 else _GRID}"/>'
                   f'<text x="{_f(sx(v))}" y="{height - 18}" text-anchor="middle" '
                   f'class="axis">{100 * v:+.1f}</text>')
    out.append(f'<text x="{_f(label_w + pw / 2)}" y="{height - 3}" text-anchor="middle" '
               'class="axis">change in mean probability [percentage points]</text>')
    for i, r in enumerate(table.itertuples(index=False)):
        y = top + row * i + row / 2
        label = str(r.label)
        short = label if len(label) <= 32 else label[:31] + "\u2026"
        out.append(f'<g><title>{escape(label)}: {_pp(r.effect)}</title><text '
                   f'x="{label_w - 6}" y="{_f(y + 4)}" text-anchor="end">{escape(short)}</text>')
        if not pd.isna(r.lower):
            out.append(f'<line x1="{_f(sx(r.lower))}" x2="{_f(sx(r.upper))}" y1="{_f(y)}" '
                       f'y2="{_f(y)}" stroke="{_LINE}" stroke-width="2"/>')
        out.append(f'<circle cx="{_f(sx(r.effect))}" cy="{_f(y)}" r="5" fill="{_BAR}"/></g>')
    out.append("</svg>")
    return Markup("".join(out))


def _skill(f: dict) -> dict:
    """The verdict at the top of the section, from the latest backtest's numbers."""
    s = f["skill"]
    name = _NAMES.get(f["kind"], f["kind"])
    if not s["ran"]:
        return {"ok": False, "text": "No backtest was run for this project, so there is no "
                "evidence that this model forecasts anything out of sample. Read what follows as "
                "a description of the training years only, and run forewarn backtest."}
    if not s["rows"]:
        return {"ok": False, "text": f"The latest backtest did not test the published model "
                f"({name}), so there is no evidence that it forecasts out of sample."}
    parts, ok = [], True
    for r in s["rows"]:
        best = r.get("best_roc_auc")
        best_ap = r.get("best_average_precision")
        text = (f"at {horizon_text(r['horizon'])}, the {name} ranked surges with a ROC-AUC of "
                f"{r['roc_auc']:.2f} (0.5 is chance) and an average precision of "
                f"{r['average_precision']:.3f}")
        if best:
            text += (f"; the best baseline, {_NAMES.get(best[0], best[0])}, reached "
                     f"{best[1]:.2f}")
        if best_ap and best and best_ap[0] == best[0]:
            text += f" and {best_ap[1]:.3f}"
        elif best_ap:
            text += (f"; the best by average precision, {_NAMES.get(best_ap[0], best_ap[0])}, "
                     f"{best_ap[1]:.3f}")
        parts.append(text)
        ok = ok and r["skill"]
    if ok:
        return {"ok": True, "text": "In the latest backtest " + "; ".join(parts) + ": the model "
                "beat chance and every baseline. The answers below still describe associations "
                "in the training years, not causes."}
    return {"ok": False, "text": "This model showed no out-of-sample skill: in the latest "
            "backtest " + "; ".join(parts) + ". What follows describes what the model learned "
            "from the training years; none of it is shown to hold in the next year."}


def findings_context(data) -> dict | None:
    """What the template's findings partial shows, or None when the run has no findings."""
    f = getattr(data, "findings", None)
    if not f:
        return None
    years = f.get("train_years")
    when = f"{years[0]}\u2013{years[1]}" if years else "the training period"
    boot = f.get("n_bootstrap", 0)
    band = (f"the middle 90 % of {boot} region-bootstrap refits" if boot
            else "no band (the model was fitted without bootstrap refits)")
    onset = []
    unit = f.get("step_unit", "years")
    curves = f.get("since_onset")
    if curves is not None and len(curves):
        for kind, c in curves.groupby("kind", sort=False):
            steps = c[c["since"].notna()].sort_values("since")
            never = c[c["since"].isna()]
            first, last = steps.iloc[0], steps.iloc[-1]
            text = (f"After a {kind} onset the model's mean probability is "
                    f"{_p1(first.probability)} "
                    f"({_p1(first.lower)}\u2013{_p1(first.upper)}) in the onset year and "
                    f"{_p1(last.probability)} ({_p1(last.lower)}\u2013{_p1(last.upper)}) after "
                    f"{last.since:g} {unit}")
            if len(never):
                text += f"; with no onset ever, {_p1(never.iloc[0]['probability'])}"
            text += "."
            text += " " + band_reading(steps["lower"], steps["upper"])
            onset.append({"kind": kind, "text": text,
                          "svg": since_onset_svg(c, f"Mean probability over {unit} since a "
                                                    f"{kind} onset, with its bootstrap band",
                                                 unit)})
    imp = f.get("importance")
    importance = None
    if imp is not None and len(imp):
        top = imp.head(TOP_DRIVERS)
        lead = top.iloc[0]
        bounds = ("" if pd.isna(lead["lower"])
                  else f" (refits {lead['lower']:.2f}\u2013{lead['upper']:.2f})")
        zero = int((imp["importance"] < 1e-9).sum())
        importance = {
            "svg": importance_svg(top, "Global importance of each driver, with refit intervals"),
            "text": (f"The largest driver is {lead['label']}: on average it moves a row's log-odds "
                     f"by {lead['importance']:.2f}{bounds}, {100 * lead['share']:.0f} % of the sum "
                     f"over {len(imp)} drivers."
                     + (f" {zero} drivers were left at zero by the penalty." if zero else "")),
            "rows": [{"label": r["label"], "importance": f"{r['importance']:.2f}",
                      "interval": ("" if pd.isna(r["lower"])
                                   else f"{r['lower']:.2f}\u2013{r['upper']:.2f}"),
                      "share": f"{100 * r['share']:.0f} %"}
                     for _, r in top.iterrows()],
        }
    lev = f.get("levers")
    levers = None
    if lev is not None and len(lev):
        rows = []
        for _, r in lev.iterrows():
            interval = ("" if pd.isna(r["lower"])
                        else f" (refits {_pp(r['lower'])} to {_pp(r['upper'])})")
            where = (f"in the {int(r['known'])} regions where it is known at the forecast date"
                     if "known" in r and pd.notna(r["known"]) else "where it is known")
            rows.append(f"Setting {r['label']} to {r['value']:g} ({r['unit']}) {where} changes "
                        f"the mean probability over all {f.get('n_regions', '')} regions "
                        f"from {_p1(r['probability_before'])} to {_p1(r['probability_after'])}: "
                        f"{_pp(r['effect'])}{interval}; {int(r['changed'])} regions' scores move.")
        levers = {"svg": levers_svg(lev, "Effect of each policy lever on the mean probability"),
                  "rows": rows}
    return {
        "demo": bool(data.demo_label),
        "verdict": _skill(f),
        "model": (f"{_NAMES.get(f['kind'], f['kind'])}, {horizon_text(f['horizon'])} ahead, "
                  f"fitted on {f['n_train']:,} region-periods ({when})"),
        "band": band,
        "onset": onset,
        "importance": importance,
        "levers": levers,
        "detection": DETECTION,
    }
