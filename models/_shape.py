"""What a shape function says: where risk peaks after an onset, how much capacity is enough.

A shape function (:func:`forewarn.models.shape_functions`) is one feature's contribution to
the log-odds over its range. Planners ask two questions of them; the readings here answer in
sentences, with the cautions the data call for (recorded surges measure detection too, and a
pattern learnt from past crises is no rule for the next one). Reports draw the curves and show
these readings; they interpret nothing themselves.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["FLAT_LOG_ODDS", "ShapeReading", "peak_after_onset", "capacity_enough",
           "shape_range", "detection_shapes", "band_reading"]

#: A curve moving less than this across its range reads as flat. [log-odds]
FLAT_LOG_ODDS = 0.05


class ShapeReading(NamedTuple):
    """A shape function's answer to a planner's question.

    Attributes
    ----------
    mark : tuple of (float, str) or None
        Where to mark the curve and the mark's words, e.g. ``(8.0, "peak ≈ 8")``; None when
        no point stands out. [feature units, -]
    text : str
        The answer in sentences.
    """

    mark: tuple[float, str] | None
    text: str


def _clean(curve: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The curve's points with a value (the missing-value row dropped), by increasing x."""
    c = curve.dropna(subset=["x", "contribution"]).sort_values("x")
    return c["x"].to_numpy(dtype=float), c["contribution"].to_numpy(dtype=float)


def shape_range(curve: pd.DataFrame) -> float:
    """How far a curve moves: its largest minus its smallest contribution (0 without any).
    [log-odds]"""
    y = curve["contribution"]
    return float(y.max() - y.min()) if y.notna().any() else 0.0


def detection_shapes(curves: dict, most: int = 4) -> tuple[list, str | None]:
    """Which curves of a detection-aware model's detection part are worth drawing, and when
    none is, the sentence that says what a flat detection part means.

    Parameters
    ----------
    curves : dict of str to DataFrame
        Feature name -> its detection-part shape function (``x``, ``contribution``).
    most : int, default=4
        Curves drawn at most.

    Returns
    -------
    shown : list of str
        The ``most`` curves that move most, largest range first, leaving out those moving
        less than :data:`FLAT_LOG_ODDS`.
    flat : str or None
        The reading when no curve is shown, else None.
    """
    spread = {f: shape_range(c) for f, c in curves.items()}
    shown = [f for f in sorted(curves, key=spread.get, reverse=True)
             if spread[f] >= FLAT_LOG_ODDS][:most]
    largest = max(spread.values(), default=0.0)
    return shown, None if shown else (
        "The detection part is almost flat: across their ranges no input moves the chance of "
        f"detection by more than {largest:.2g} log-odds, so the recorded surges show little of "
        "what drives detection here, and the risk scores are close to a model of recorded "
        "surges.")


def _is_line(x, y) -> bool:
    """True when the curve is a straight line (the linear model) to within 0.5% of its range."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return True
    fit = np.polyval(np.polyfit(x, y, 1), x)
    return float(np.max(np.abs(fit - y))) <= 0.005 * float(np.ptp(y))


def peak_after_onset(curve: pd.DataFrame) -> ShapeReading:
    """Where the contribution of time since a conflict's onset is highest, and when half of
    that extra risk has gone again.

    Parameters
    ----------
    curve : DataFrame
        ``x`` (time since onset) [months] and ``contribution`` [log-odds].

    Returns
    -------
    ShapeReading
        Marked at the peak, unless the curve is flat.
    """
    x, y = _clean(curve)
    if len(x) < 2 or np.ptp(y) == 0:
        return ShapeReading(None, "The model finds no change of risk with the time since a "
                                  "conflict began.")
    i = int(np.argmax(y))
    peak, late = float(x[i]), float(y[-1])
    caution = (" This is the pattern the model learnt from past crises, not a rule for any "
               "one crisis.")
    if i == len(x) - 1:
        return ShapeReading((peak, "most risk"), (
            "In this model risk keeps rising with the time since a conflict began over the "
            f"whole range seen (up to {peak:.0f} months)." + caution))
    half = (y[i] + late) / 2
    after = np.nonzero((x > peak) & (y <= half))[0]
    fade = (f" Half of that extra risk is gone about {x[after[0]]:.0f} months after onset."
            if len(after) else "")
    if i == 0:
        return ShapeReading((peak, "peak"), ("Risk is highest right at the onset of a conflict "
                                             "and fades as the crisis ages." + fade + caution))
    return ShapeReading((peak, f"peak \u2248 {peak:.0f}"), (
        f"Risk is highest about {peak:.0f} months after a conflict begins, not at the onset: "
        f"preparedness has that long to get in place." + fade + caution))


def capacity_enough(curve: pd.DataFrame, held: bool = False,
                    two_part: bool = False) -> ShapeReading:
    """The state capacity beyond which more capacity lowers the score little.

    A flat curve never reads as "no link": recorded surges measure detection too, and stronger
    states detect more.

    Parameters
    ----------
    curve : DataFrame
        ``x`` (state capacity) [feature units] and ``contribution`` [log-odds].
    held : bool, default=False
        A sign constraint holds the curve at zero (:func:`forewarn.models.held_at_zero`).
    two_part : bool, default=False
        The curve is the risk part of a detection-aware model.

    Returns
    -------
    ShapeReading
        Marked where 90% of the drop in risk is reached, when the curve falls and bends.
    """
    x, y = _clean(curve)
    caution = " This describes the pattern in past data, not a causal threshold."
    if len(x) < 2 or np.ptp(y) == 0:
        if held:
            return ShapeReading(None, (
                "The line is flat because the model's constraint (lower capacity never lowers "
                "risk) met data pulling the other way (recorded surges can rise with capacity "
                "because stronger states detect more). It does not show that capacity has no "
                "link with risk" + ("; even with detection modelled apart, the recorded surges "
                                    "could not separate capacity's effect on risk from its "
                                    "effect on detection." if two_part else ".") + caution))
        return ShapeReading(None, (
            "The model finds no link between state capacity and recorded surges. Recorded "
            "surges measure detection as much as trafficking, and stronger states detect more, "
            "so this does not show that capacity has no link with the risk itself."))
    if y[-1] > y[0]:
        return ShapeReading(None, ("In this model, higher state capacity goes with a higher "
                                   "score (more capacity also detects more trafficking)."
                                   + caution))
    if _is_line(x, y):
        per10 = 10 * (y[-1] - y[0]) / (x[-1] - x[0])
        return ShapeReading(None, (
            "The model treats the link as a straight line, so there is no point where more "
            "capacity stops helping: every 10 more points change the score by "
            f"{per10:+.2f} log-odds." + caution))
    drop = y[0] - y.min()
    reached = np.nonzero(y <= y[0] - 0.9 * drop)[0][0]
    at = float(x[reached])
    # Round to what a planner would quote: whole points on a 0-100 scale, 2 digits otherwise.
    shown = f"{at:.0f}" if np.ptp(x) >= 20 else f"{at:.2g}"
    return ShapeReading((at, f"90% \u2248 {shown}"), (
        f"Most of the protection comes early: by a score of about {shown}, 90% of the drop in "
        "risk that the model links with state capacity is reached; more capacity beyond it "
        "lowers the score little." + caution))


def band_reading(lower, upper) -> str:
    """What a curve's bootstrap band says about its shape: when one level lies inside the band
    at every step (the largest lower end is at most the smallest upper end), a flat line fits
    the data as well as the curve.

    Parameters
    ----------
    lower, upper : array-like of float
        The band's ends at each step of the curve. [same units as the curve]

    Returns
    -------
    str
        One sentence.
    """
    if pd.Series(lower, dtype=float).max() <= pd.Series(upper, dtype=float).min():
        return "The bands overlap at every step: the data show no time profile."
    return "The band is narrower than the change along the curve."
