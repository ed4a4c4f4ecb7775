"""Does a model find what a known world put in? Driver and state-capacity recovery, the oracle.

Used on the demo world, whose generator knows each driver's true term of the surge log-odds
and the true chance of a surge: a backtest reports how closely a model's explanations follow
them. The detected outcome measures detection as much as trafficking, so the capacity check
compares with both the true risk and what a model of *recorded* surges can at best find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

__all__ = ["KnownProbability", "capacity_recovery", "demo_driver_group", "driver_recovery"]


class KnownProbability:
    """A forecaster that reads a probability column of ``extra`` (the demo world's oracle).

    Parameters
    ----------
    column : str
        Column of ``extra`` holding each row's probability. [-]
    name : str
        The forecaster's name in the backtest tables.
    """

    def __init__(self, column: str, name: str):
        self.column, self.name = column, name

    def predict(self, X_train, y_train, X_test, extra=None) -> np.ndarray:
        return extra.loc[X_test.index, self.column].to_numpy(dtype=float)


#: The demo world's true drivers, by the indicator a feature is built from.
_DEMO_DRIVERS = {"state_capacity": "state_capacity", "displaced": "displaced",
                 "detected_trafficking": "prevalence", "transit_exposure": "transit_exposure",
                 "response_tier": "response_tier", "protection_coverage": "protection_coverage"}


def demo_driver_group(feature: str, meta: dict) -> str | None:
    """The demo world's true driver a feature stands for (a key of its truth terms), or None.

    ``meta`` is the feature's row of the feature table (``indicator`` at least)."""
    if feature.startswith("crisis_conflict"):
        return "conflict_onset"
    if feature.startswith("crisis_disaster"):
        return "disaster_onset"
    indicator = meta.get("indicator")
    if feature.endswith("__splag") and indicator == "displaced":
        return "neighbour_displaced"
    return _DEMO_DRIVERS.get(indicator)


def driver_recovery(model, X, features_meta, truth_terms, regions, times,
                    group=demo_driver_group) -> dict:
    """Does the model find the true drivers?

    Spearman correlation, over the drivers both sides know, of the mean absolute contribution
    per driver (the model's, its features summed by ``group``) with the mean absolute
    deviation of each true term over the same rows.

    Parameters
    ----------
    model : fitted estimator
        An additive model :func:`forewarn.models.explain` explains.
    X : pandas.DataFrame
        Rows indexed by ``region`` and ``time``.
    features_meta : dict
        Per feature, its row of the feature table (``indicator``...).
    truth_terms : dict
        Per driver, its true term of the surge log-odds, a (region, time) array. [log-odds]
    regions, times : sequence
        The labels of the arrays' rows and columns.
    group : callable, default demo_driver_group
        ``group(feature, meta) -> driver or None``.

    Returns
    -------
    dict
        ``spearman`` [-], ``drivers`` (sorted names), ``model_mean_abs`` and
        ``true_mean_abs`` per driver. [log-odds]
    """
    from forewarn.models._explain import explain

    contrib, _ = explain(model, X)
    groups = {f: group(f, features_meta.get(f, {})) for f in contrib.columns}
    model_side = {}
    for name in set(groups.values()) - {None}:
        cols = [f for f, g in groups.items() if g == name]
        model_side[name] = float(contrib[cols].sum(axis=1).abs().mean())
    rows_r = pd.Index(regions).get_indexer(X.index.get_level_values("region"))
    rows_t = pd.Index(times).get_indexer(X.index.get_level_values("time"))
    true_side = {}
    for name, arr in truth_terms.items():
        v = arr[rows_r, rows_t]
        true_side[name] = float(np.abs(v - v.mean()).mean())
    names = sorted(set(model_side) & set(true_side))
    rho = spearmanr([model_side[n] for n in names], [true_side[n] for n in names]).statistic
    return {"spearman": float(rho), "drivers": names,
            "model_mean_abs": {n: model_side[n] for n in names},
            "true_mean_abs": {n: true_side[n] for n in names}}


def capacity_recovery(model, X, feature="state_capacity") -> dict:
    """How a model's state-capacity effect compares with the demo world's truth.

    ``effect`` is the contribution at the training 10th percentile of state capacity minus the
    one at the 90th [log-odds]: positive when low capacity raises the score. It is read from
    the risk part of a detection-aware model. ``true_risk`` is the world's effect on the chance
    of a surge over the same range; ``true_recorded`` adds the world's detection term (what a
    model of detected surges can at best find). For a detection-aware model ``detection`` and
    ``true_detection`` are the same for the detection part, high minus low capacity (positive:
    detection rises with capacity). ``held_at_zero`` says a sign constraint holds the effect at
    0 (the data pushed it the other way), so a flat line there is not "no link".
    """
    from forewarn.datasets import TRUE_EFFECTS, detection_rate
    from forewarn.models._detection import DetectionAwareLogit
    from forewarn.models._explain import explain, held_at_zero

    low, high = np.nanpercentile(X[feature].to_numpy(dtype=float), [10, 90])
    rows = pd.DataFrame(np.repeat(X[list(X.columns)].median().to_numpy()[None, :], 2, axis=0),
                        columns=X.columns)
    rows[feature] = [low, high]

    def effect(part=None):
        c, _ = explain(model, rows, part) if part else explain(model, rows)
        return float(c[feature].iloc[0] - c[feature].iloc[1])

    true_risk = -TRUE_EFFECTS["state_capacity"] * (high - low) / 14
    out = {"low": float(low), "high": float(high), "effect": effect("risk" if isinstance(
        model, DetectionAwareLogit) else None), "true_risk": float(true_risk),
        "true_recorded": float(true_risk + np.log(detection_rate(low))
                              - np.log(detection_rate(high)))}
    out["sign_recovered"] = bool(np.sign(out["effect"]) == np.sign(true_risk))
    out["held_at_zero"] = feature in held_at_zero(model)
    if isinstance(model, DetectionAwareLogit):
        out["detection"] = -effect("detection")
        out["true_detection"] = float((high - low) / 12)
    return out
