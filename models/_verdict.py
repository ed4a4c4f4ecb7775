"""Whether a backtested model beats its baselines, said plainly, and how near a ceiling it gets."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

__all__ = ["CEILINGS", "VERDICT_MEASURES", "Verdict", "backtest_verdict"]

#: The measures a verdict rests on: ranking (ROC AUC, average precision) and the quality of
#: the probabilities (Brier score).
VERDICT_MEASURES = ("roc_auc", "average_precision", "brier")
#: Rows of a backtest that are ceilings, not baselines: the demo world's true probability.
CEILINGS = ("oracle",)


class Verdict(NamedTuple):
    """A backtest's verdict on one horizon.

    Attributes
    ----------
    ok : bool
        The model beats every baseline on every verdict measure.
    text : str
        The verdict in sentences, starting in lower case after "At <horizon>, ".
    """

    ok: bool
    text: str


def backtest_verdict(part: pd.DataFrame, model: str, measures) -> Verdict:
    """Say whether ``model`` beats each real baseline on ranking and probability quality, and
    how close it gets to a ceiling (the demo world's oracle), which no model can beat and so is
    never called a baseline it fails to beat.

    Parameters
    ----------
    part : DataFrame
        One horizon of a backtest: a ``model`` column (the model's and baselines' names) and
        one column per measure.
    model : str
        The row of ``part`` that is the model judged.
    measures : iterable of (str, str, bool)
        Column, plain name and whether higher is better, of the measures shown; those in
        :data:`VERDICT_MEASURES` are judged, in this order.

    Returns
    -------
    Verdict
    """
    mine = part[part["model"] == model].iloc[0]
    fails, compared, ceiling = [], 0, []
    for col, name, higher in measures:
        if col not in VERDICT_MEASURES or col not in part.columns or pd.isna(mine[col]):
            continue
        for other, value in zip(part["model"], part[col]):
            if other == model or pd.isna(value):
                continue
            if other in CEILINGS:
                ceiling.append(_to_ceiling(name, mine[col], value, higher))
                continue
            compared += 1
            worse = mine[col] < value if higher else mine[col] > value
            if worse:
                fails.append(f"it does not beat the \u201c{other}\u201d baseline on {name} "
                             f"({mine[col]:.3f} against {value:.3f})")
    close = ("" if not ceiling else
             " The \u201coracle\u201d row is the demo world's true probability: a ceiling that no "
             "model can beat, not a baseline. How close the model gets to it: "
             + "; ".join(ceiling) + ".")
    if not compared:
        return Verdict(False, "there is no baseline to compare the model with." + close)
    if not fails:
        return Verdict(True, "the model beats every baseline on ranking and on the quality of "
                             "its probabilities." + close)
    return Verdict(False, "; ".join(fails) + ". Weigh its scores accordingly: where a baseline "
                   "does as well, the model adds little." + close)


def _to_ceiling(name, value, top, higher) -> str:
    """How the model's value of one measure compares with the ceiling's, in words that hold
    for the two numbers printed beside them."""
    pair = f"{name} {value:.3f} against {top:.3f}"
    if f"{value:.3f}" == f"{top:.3f}":
        return pair + " (level with it at this precision)"
    if (value > top) if higher else (value < top):
        return pair + " (better than it in this sample, by chance)"
    return pair
