"""Scores of probabilistic forecasts: ranking, accuracy, calibration, top-k capture, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from forewarn.models._calibration import logistic_1d, logit
from forewarn.models._validation import ModelInputError, is_int

__all__ = [
    "calibration_slope_intercept",
    "classification_metrics",
    "expected_ranking_metrics",
    "expected_calibration",
    "expected_calibration_curve",
    "top_k_capture",
    "interval_coverage",
]


def calibration_slope_intercept(y, probability) -> tuple[float, float]:
    """Slope and intercept of the logistic regression of the outcome on ``logit(probability)``.

    A calibrated forecast has slope 1 and intercept 0; a slope below 1 means the probabilities
    are too extreme (over-fitting), above 1 too timid. Both are estimated together.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcomes, 0 or 1.
    probability : array-like of shape (n,)
        Forecast probabilities; clipped to [1e-12, 1 - 1e-12]. [-]

    Returns
    -------
    slope : float
        [-]; NaN when y holds one class or the probabilities separate the classes perfectly
        (the maximum likelihood is then infinite).
    intercept : float
        [log-odds]; NaN in the same cases.
    """
    y, p = _check_pair(y, probability, "calibration_slope_intercept")
    if len(np.unique(y)) < 2:
        return np.nan, np.nan
    slope, intercept, converged = logistic_1d(logit(p), y)
    return (slope, intercept) if converged else (np.nan, np.nan)


def classification_metrics(y, probability) -> dict[str, float]:
    """The standard scores of one set of probability forecasts.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcomes, 0 or 1.
    probability : array-like of shape (n,)
        Forecast probabilities. [-]

    Returns
    -------
    dict
        ``n`` [rows], ``events`` [rows], ``base_rate`` [-], ``roc_auc`` [-],
        ``average_precision`` [-], ``brier`` [-], ``log_loss`` [nats], ``calibration_slope``
        [-] and ``calibration_intercept`` [log-odds]. The ranking scores and the calibration
        fit are NaN when y holds a single class.
    """
    y, p = _check_pair(y, probability, "classification_metrics")
    both = len(np.unique(y)) == 2
    slope, intercept = calibration_slope_intercept(y, p)
    return {
        "n": float(len(y)),
        "events": float(y.sum()),
        "base_rate": float(y.mean()),
        "roc_auc": float(roc_auc_score(y, p)) if both else np.nan,
        "average_precision": float(average_precision_score(y, p)) if both else np.nan,
        "brier": float(brier_score_loss(y, p, labels=[0, 1])),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
    }


def expected_ranking_metrics(event_probability, probability) -> dict[str, float]:
    """ROC-AUC and average precision against outcomes known only as probabilities.

    Where the true outcome is not observed but its probability is (a simulated world's true
    surges), each row counts as an event with weight ``q`` and as a non-event with weight
    ``1 - q``: the scores are those of the expected confusion counts, i.e. what the usual
    scores approach when many outcomes are drawn with these probabilities.

    Parameters
    ----------
    event_probability : array-like of shape (n,)
        True probability of the event in each row, ``q``. [-]
    probability : array-like of shape (n,)
        Forecast probabilities (or any score: only their order counts). [-]

    Returns
    -------
    dict
        ``expected_events`` (sum of q) [rows], ``roc_auc`` [-] and ``average_precision`` [-].
    """
    q, p = _check_soft_pair(event_probability, probability, "expected_ranking_metrics",
                            score=True)
    y = np.repeat([1, 0], len(q))
    weight = np.concatenate([q, 1 - q])
    score = np.concatenate([p, p])
    return {"expected_events": float(q.sum()),
            "roc_auc": float(roc_auc_score(y, score, sample_weight=weight)),
            "average_precision": float(average_precision_score(y, score, sample_weight=weight))}


def expected_calibration(event_probability, probability) -> tuple[float, float]:
    """Calibration slope and intercept against outcomes known only as probabilities.

    The logistic regression of the true probability ``q`` (a soft target) on
    ``logit(probability)``: what :func:`calibration_slope_intercept` approaches over many draws
    of outcomes with these probabilities. Slope 1 and intercept 0 are ideal.

    Parameters
    ----------
    event_probability : array-like of shape (n,)
        True probability of the event in each row, ``q``. [-]
    probability : array-like of shape (n,)
        Forecast probabilities; clipped to [1e-12, 1 - 1e-12]. [-]

    Returns
    -------
    slope : float
        [-]; NaN when the fit does not converge.
    intercept : float
        [log-odds]; NaN in the same case.
    """
    q, p = _check_soft_pair(event_probability, probability, "expected_calibration")
    slope, intercept, converged = logistic_1d(logit(p), q)
    return (slope, intercept) if converged else (np.nan, np.nan)


def expected_calibration_curve(truth, probability, weight=None, n_bins=10) -> pd.DataFrame:
    """Mean forecast against the mean true probability, in bins of equal size by forecast.

    Parameters
    ----------
    truth : array-like of shape (n,)
        True probability of what is forecast, per row. [-]
    probability : array-like of shape (n,)
        Forecast probabilities. [-]
    weight : array-like of shape (n,), optional
        Row weights (default 1). A part forecast *given* an event (a detection-aware model's
        chance that a surge is recorded) is weighted by the chance of that event, so a bin's
        truth is ``sum(P(recorded surge)) / sum(P(surge))``. [-]
    n_bins : int, default=10
        Number of bins (fewer when there are fewer rows). [-]

    Returns
    -------
    DataFrame
        Columns ``bin``, ``n`` [rows], ``weight`` (summed) [-], ``mean_probability`` and
        ``mean_truth`` (weighted means) [-].
    """
    owner = "expected_calibration_curve"
    q, p = _check_soft_pair(truth, probability, owner)
    w = np.ones_like(p) if weight is None else np.asarray(weight, dtype=float)
    if w.shape != p.shape or np.isnan(w).any() or (w < 0).any() or w.sum() <= 0:
        raise ModelInputError(
            owner, "weight must hold one non-negative number per row, not all zero; pass the "
            "chance of the event each row's forecast is conditional on, or no weight.",
        )
    if not (is_int(n_bins) and n_bins >= 1):
        raise ModelInputError(owner, f"'n_bins' must be an int >= 1; got {n_bins!r}.")
    bins = pd.qcut(pd.Series(p).rank(method="first"), q=min(n_bins, len(p)), labels=False)
    frame = pd.DataFrame({"bin": bins, "w": w, "wp": w * p, "wq": w * q})
    table = frame.groupby("bin").agg(n=("w", "size"), weight=("w", "sum"), wp=("wp", "sum"),
                                     wq=("wq", "sum")).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["mean_probability"] = table.pop("wp") / table["weight"]
        table["mean_truth"] = table.pop("wq") / table["weight"]
    return table


def _check_soft_pair(event_probability, probability, owner,
                     score=False) -> tuple[np.ndarray, np.ndarray]:
    """True probabilities and forecasts (any score where ``score``) as two same-length 1-d
    float arrays without missing values."""
    q = np.asarray(event_probability, dtype=float)
    p = np.asarray(probability, dtype=float)
    if q.ndim != 1 or q.shape != p.shape or not len(q):
        raise ModelInputError(
            owner, f"event_probability has shape {q.shape} and probability {p.shape}; pass two "
            "non-empty 1-d arrays of the same length.",
        )
    if np.isnan(q).any() or np.isnan(p).any() or ((q < 0) | (q > 1)).any() or \
            (not score and ((p < 0) | (p > 1)).any()):
        what = "event_probability" if score else "event_probability and probability"
        raise ModelInputError(
            owner, f"{what} must hold probabilities in [0, 1] and both arrays no missing "
            "value; drop rows whose true probability is not known.",
        )
    return q, p


def top_k_capture(y, score, origin=None, k=(10, 20, 30)) -> pd.DataFrame:
    """Share of events that fall in the ``k`` highest-scored rows, per forecast origin.

    Rows tied at the cut-off share the remaining places: each contributes its event in
    proportion (the expected count under a random tie-break), so a constant score catches
    ``k / n`` of the events, as chance would.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcomes, 0 or 1.
    score : array-like of shape (n,)
        Any score where higher means riskier (probability, index). [any]
    origin : array-like of shape (n,), optional
        Forecast origin of each row; rows of one origin are ranked together (one row per region
        and origin). None ranks all rows together.
    k : sequence of int, default=(10, 20, 30)
        Numbers of top rows. [rows]

    Returns
    -------
    DataFrame
        Columns ``origin``, ``k`` [rows], ``events`` [rows], ``caught`` [rows, may be
        fractional after ties] and ``share`` (caught / events; NaN with no events) [-].
    """
    owner = "top_k_capture"
    y, s = _check_pair(y, score, owner, probability=False)
    if not (len(k) > 0 and all(is_int(v) and v >= 1 for v in k)):
        raise ModelInputError(owner, f"'k' must be a non-empty sequence of ints >= 1; got {k!r}.")
    origin = np.zeros(len(y)) if origin is None else np.asarray(origin)
    if origin.shape != y.shape:
        raise ModelInputError(
            owner, f"'origin' has {origin.size} values but y has {len(y)}; give one per row."
        )
    rows = []
    for when in pd.unique(origin):
        at = origin == when
        ys, ss = y[at], s[at]
        ranked = np.sort(ss)[::-1]
        for top in k:
            places = min(top, len(ss))
            cut = ranked[places - 1]
            above, tied = ss > cut, ss == cut
            caught = ys[above].sum() + (places - above.sum()) * ys[tied].mean()
            events = ys.sum()
            rows.append((when, top, float(events), float(caught),
                         caught / events if events else np.nan))
    return pd.DataFrame(rows, columns=["origin", "k", "events", "caught", "share"])


def interval_coverage(y, probability, lower, upper, n_bins=10) -> pd.DataFrame:
    """Do the probability intervals hold the observed event rate? One row per probability bin.

    A single 0/1 outcome cannot fall inside a probability interval, so rows are grouped into
    ``n_bins`` bins of equal size by forecast probability, and a bin is covered when its observed
    event rate lies within its mean interval. Binomial noise in small bins pulls coverage below
    the nominal level: read it together with ``n``.

    Parameters
    ----------
    y : array-like of shape (n,)
        Outcomes, 0 or 1.
    probability, lower, upper : array-like of shape (n,)
        Forecast probability and its interval. [-]
    n_bins : int, default=10
        Number of bins (fewer when probabilities repeat). [-]

    Returns
    -------
    DataFrame
        Columns ``bin``, ``n`` [rows], ``events`` [rows], ``observed_rate``,
        ``mean_probability``, ``mean_lower``, ``mean_upper`` [-] and ``covered`` (bool). The
        share of covered bins is ``covered.mean()``.
    """
    owner = "interval_coverage"
    y, p = _check_pair(y, probability, owner)
    _, lo = _check_pair(y, lower, owner)
    _, hi = _check_pair(y, upper, owner)
    if not (is_int(n_bins) and n_bins >= 1):
        raise ModelInputError(owner, f"'n_bins' must be an int >= 1; got {n_bins!r}.")
    if np.any(lo > hi):
        raise ModelInputError(
            owner, f"{int(np.sum(lo > hi))} interval(s) have lower > upper; pass (lower, upper)."
        )
    bins = pd.qcut(pd.Series(p).rank(method="first"), q=min(n_bins, len(p)), labels=False)
    table = pd.DataFrame({"bin": bins, "y": y, "p": p, "lo": lo, "hi": hi}).groupby("bin").agg(
        n=("y", "size"), events=("y", "sum"), observed_rate=("y", "mean"),
        mean_probability=("p", "mean"), mean_lower=("lo", "mean"), mean_upper=("hi", "mean"),
    ).reset_index()
    table["covered"] = table["observed_rate"].between(table["mean_lower"], table["mean_upper"])
    return table


def _check_pair(y, values, owner, probability=True) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes as 0/1 ints and the values as floats, checked for length, NaN and range."""
    y = np.asarray(y)
    v = np.asarray(values, dtype=float)
    what = "probability" if probability else "score"
    if y.ndim != 1 or v.shape != y.shape:
        raise ModelInputError(
            owner, f"y has shape {y.shape} and the {what} {v.shape}; pass two 1-d arrays of the "
            "same length.",
        )
    if len(y) == 0:
        raise ModelInputError(owner, "no rows to score; pass at least one forecast.")
    if pd.isna(y).any() or not np.isin(y, (0, 1)).all():
        raise ModelInputError(
            owner, "y must hold only 0 (no event) and 1 (event); drop rows whose outcome is not "
            "known yet.",
        )
    if np.isnan(v).any():
        raise ModelInputError(
            owner, f"the {what} has {int(np.isnan(v).sum())} missing value(s); score every row."
        )
    if probability and ((v < 0) | (v > 1)).any():
        raise ModelInputError(owner, f"a {what} lies outside [0, 1]; pass probabilities.")
    return y.astype(int), v
