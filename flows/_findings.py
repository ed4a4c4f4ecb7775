"""What a fitted model says to the questions field experts ask: *when* after a crisis onset risk
rises and falls (:func:`risk_since_onset`), *which* conditions matter most
(:func:`driver_importance`), what *preparedness* changes (:func:`lever_effects`), and whether any
of it forecasts out of sample (:func:`skill_summary`). :func:`findings` gathers them for a run's
report. Every number describes the fitted model, which learned from *detected* cases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forewarn.errors import InputError, Problem

__all__ = ["risk_since_onset", "driver_importance", "lever_effects", "skill_summary",
           "findings", "BASELINES"]

#: Backtest forecasters that are baselines, not models (models/_baselines.py).
BASELINES = ("base_rate", "persistence", "index_alone")


def risk_since_onset(model, X: pd.DataFrame, kind: str, steps=range(0, 11)) -> pd.DataFrame:
    """Mean predicted risk if every row's latest ``kind`` onset were ``s`` steps ago.

    Each row of ``X`` keeps its other features; ``crisis_<kind>__since`` is set to each ``s`` and
    ``crisis_<kind>__seen`` to 1 (a partial-dependence curve). A last row, ``since`` NaN, sets
    ``__seen`` to 0 and ``__since`` to the cap: no onset ever.

    Parameters
    ----------
    model : fitted forewarn estimator
        With ``predict_proba`` and ``predict_interval`` (bootstrap refits).
    X : pandas.DataFrame
        Feature rows, e.g. the training rows or the origin rows of a run.
    kind : str
        Crisis kind, as in ``[features] crisis_kinds``.
    steps : iterable of int
        Steps since the onset to evaluate. [time steps]

    Returns
    -------
    pandas.DataFrame
        ``since`` (steps, NaN for "never"), ``probability`` (mean over the rows) and ``lower``,
        ``upper`` (means of the rows' bootstrap interval bounds) [-]. It describes the model,
        which learned from detected victims: detection, not prevalence, and no cause.

    Raises
    ------
    forewarn.errors.InputError
        ``X`` has no ``crisis_<kind>__since`` column.
    """
    since, seen = f"crisis_{kind}__since", f"crisis_{kind}__seen"
    if since not in X.columns:
        raise InputError(Problem("risk_since_onset", f"no column {since!r} in the features; "
                                 f"is {kind!r} in [features] crisis_kinds? Crisis columns: "
                                 f"{', '.join(c for c in X.columns if c.startswith('crisis_'))}"
                                 "."))
    cap = float(np.nanmax(X[since])) if X[since].notna().any() else max(steps)
    rows = []
    for s in [*steps, None]:
        Xs = X.copy()
        Xs[since] = cap if s is None else float(s)
        if seen in Xs:
            Xs[seen] = 0 if s is None else 1
        p = model.predict_proba(Xs)[:, 1]
        low, high = model.predict_interval(Xs)
        rows.append((np.nan if s is None else float(s), float(p.mean()), float(low.mean()), float(high.mean())))
    return pd.DataFrame(rows, columns=["since", "probability", "lower", "upper"])


def _quantiles(values: np.ndarray, interval: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - interval) / 2
    if values.shape[0] == 0:
        nan = np.full(values.shape[1:], np.nan)
        return nan, nan
    low, high = np.quantile(values, [tail, 1 - tail], axis=0)
    return low, high


def driver_importance(model, X: pd.DataFrame, groups=None, interval: float = 0.9) -> pd.DataFrame:
    """Global importance of each driver: the mean absolute contribution over the rows.

    A driver's contribution is the sum of the exact contributions of its features (a value, its
    change, its missing flag), so the importance is in log-odds of the row's margin. The interval
    is the central ``interval`` of the same statistic computed by each bootstrap refit
    (:func:`forewarn.models.bootstrap_explanations`); a model without refits gets NaN bounds.

    Parameters
    ----------
    model : fitted forewarn estimator
    X : pandas.DataFrame
        Rows to average over, e.g. the training rows.
    groups : mapping of str to str, optional
        Feature -> driver (e.g. the feature's indicator); a feature not in it is its own driver.
    interval : float
        Share of the refits inside the interval. [-]

    Returns
    -------
    pandas.DataFrame
        ``driver, importance, lower, upper`` [log-odds], ``share`` (of the summed importance)
        [-], ``mean_contribution`` [log-odds] and ``features`` (how many), largest first.
    """
    from forewarn.models import bootstrap_explanations, explain
    from forewarn.models import ModelInputError

    groups = dict(groups or {})

    def per_driver(contributions: pd.DataFrame) -> pd.DataFrame:
        keys = [groups.get(c) or c for c in contributions.columns]
        return contributions.T.groupby(keys, sort=False).sum().T

    point = per_driver(explain(model, X)[0])
    try:
        reps = np.stack([per_driver(c)[point.columns].abs().mean().to_numpy()
                         for c, _ in bootstrap_explanations(model, X)])
    except ModelInputError:
        reps = np.empty((0, point.shape[1]))
    low, high = _quantiles(reps, interval)
    importance = point.abs().mean()
    counts = pd.Series([groups.get(c) or c for c in X.columns]).value_counts()
    out = pd.DataFrame({"driver": point.columns, "importance": importance.to_numpy(),
                        "lower": low, "upper": high,
                        "share": (importance / importance.sum()).to_numpy()
                        if importance.sum() > 0 else 0.0,
                        "mean_contribution": point.mean().to_numpy(),
                        "features": [int(counts.get(d, 0)) for d in point.columns]})
    return out.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def lever_effects(model, before: pd.DataFrame, after: dict, interval: float = 0.9
                  ) -> pd.DataFrame:
    """The change in mean probability when a policy lever is set, averaged over the rows.

    Parameters
    ----------
    model : fitted forewarn estimator
    before : pandas.DataFrame
        Feature rows as they are (e.g. every region at the forecast origin).
    after : dict
        Lever name -> the same rows' features with the lever changed (same index and columns).
    interval : float
        Share of the bootstrap refits inside the interval. [-]

    Returns
    -------
    pandas.DataFrame
        ``lever, probability_before, probability_after, effect, lower, upper``: mean
        probabilities and their difference (after - before) [-], the interval of the difference
        over the refits (NaN without refits) [-], and ``changed`` (rows whose margin moved).
    """
    from scipy.special import expit

    from forewarn.models import bootstrap_explanations, explained_margin
    from forewarn.models import ModelInputError

    def replicate_p(X):
        try:
            return np.stack([expit(b + c.to_numpy().sum(axis=1))
                             for c, b in bootstrap_explanations(model, X)])
        except ModelInputError:
            return np.empty((0, len(X)))

    p0 = expit(explained_margin(model, before))
    r0 = replicate_p(before)
    rows = []
    for lever, X in after.items():
        if not X.index.equals(before.index) or list(X.columns) != list(before.columns):
            raise InputError(Problem("lever_effects", f"the features for lever {lever!r} do not "
                                     "have the rows and columns of 'before'; build both from "
                                     "the same regions and model features."))
        p1 = expit(explained_margin(model, X))
        r1 = replicate_p(X)
        low, high = _quantiles((r1 - r0).mean(axis=1)[:, None], interval) if len(r0) else (
            [np.nan], [np.nan])
        rows.append({"lever": lever, "probability_before": float(p0.mean()),
                     "probability_after": float(p1.mean()), "effect": float((p1 - p0).mean()),
                     "lower": float(np.ravel(low)[0]), "upper": float(np.ravel(high)[0]),
                     "changed": int((np.abs(p1 - p0) > 1e-12).sum())})
    return pd.DataFrame(rows, columns=["lever", "probability_before", "probability_after",
                                       "effect", "lower", "upper", "changed"])


def skill_summary(metrics: pd.DataFrame | None, kind: str) -> dict:
    """Whether the published model forecast better than the baselines in the latest backtest.

    Parameters
    ----------
    metrics : pandas.DataFrame or None
        The backtest's overall metrics (``model, horizon, roc_auc, average_precision, ...``), as
        read from ``OUT/latest-backtest``; None when no backtest was run.
    kind : str
        The published model's name in the table (e.g. ``"elastic_net"``).

    Returns
    -------
    dict
        ``ran`` (bool); when it ran and the model is in the table, per horizon (``rows``, a
        list): the model's ``roc_auc`` and ``average_precision``, the best baseline by each and
        its value, and ``skill``: True only when the model beats chance (ROC-AUC > 0.5) *and*
        every baseline on both measures.
    """
    if metrics is None or not len(metrics):
        return {"ran": False, "rows": []}
    rows = []
    for h, table in metrics.groupby("horizon", sort=True):
        mine = table[table["model"] == kind]
        base = table[table["model"].isin(BASELINES)]
        if not len(mine):
            continue
        m = mine.iloc[0]
        row = {"horizon": int(h), "model": kind, "roc_auc": float(m["roc_auc"]),
               "average_precision": float(m["average_precision"])}
        beats = row["roc_auc"] > 0.5
        for col in ("roc_auc", "average_precision"):
            ok = base.dropna(subset=[col])
            if len(ok):
                best = ok.loc[ok[col].idxmax()]
                row[f"best_{col}"] = (str(best["model"]), float(best[col]))
                beats = beats and row[col] > float(best[col])
            else:
                row[f"best_{col}"] = None
        row["skill"] = bool(beats)
        rows.append(row)
    return {"ran": True, "rows": rows}


def _lever_features(result, lever: str, value: float, known) -> pd.DataFrame:
    """The origin rows' features with ``lever`` set to ``value`` at the origin in the regions
    ``known`` (features derived from it, such as its change, recomputed)."""
    from forewarn.features import build_features

    project, prepared = result.project, result.prepared
    feature_spec = result.specs.features
    panel = prepared.panel.copy(deep=True)
    now = panel[lever].sel(time=prepared.origin)
    # Only where the model sees the lever at the origin (not missing, not too old to carry
    # forward): a region without a value keeps none (a policy changes, not the data's cover).
    keep = now.isnull() | ~now["region"].isin(list(known))
    panel[lever].loc[{"time": prepared.origin}] = now.where(keep, value)
    features = build_features(panel, project.catalogue, project.crisis_events, project.regions,
                              feature_spec, age=prepared.age)
    row = features.sel(time=[prepared.origin]).reset_coords(drop=True)
    table = row.to_dataframe(["region", "time"]).reset_index(level="time", drop=True)
    return table


def findings(result, metrics: pd.DataFrame | None, kind: str) -> dict | None:
    """What the data say, for a run's report: the four answers from its longest-horizon model.

    Parameters
    ----------
    result : forewarn.flows.RunResult
        A run with a trained model (None is returned for an index-only run).
    metrics : pandas.DataFrame or None
        The latest backtest's overall metrics (None: no backtest was run).
    kind : str
        The published model's name.

    Returns
    -------
    dict or None
        ``horizon`` [months], ``kind``, ``n_train`` [rows], ``step_unit`` (of the time since
        an onset: "years" or "months"), ``train_years`` (first, last),
        ``n_bootstrap``, ``since_onset`` (one frame per crisis kind, as
        :func:`risk_since_onset`, with ``kind``), ``importance`` (:func:`driver_importance` by
        indicator, with ``label``), ``levers`` (:func:`lever_effects`, each lever set to its
        least risky valid value where it is known at the origin, with ``label``, ``value``,
        ``unit``, ``known`` (regions with a value)) and ``skill``
        (:func:`skill_summary`).
    """
    if not result.trained:
        return None
    h = max(result.trained)
    trained = result.trained[h]
    model, X = trained.model, trained.X_train
    meta = result.feature_meta
    catalogue = result.project.catalogue
    feature_spec_kinds = [c[len("crisis_"):-len("__since")] for c in X.columns
                          if c.startswith("crisis_") and c.endswith("__since")]
    cap = int(result.specs.features.crisis_cap)
    steps = range(0, cap + 1, max(1, cap // 12))
    curves = [risk_since_onset(model, X, k, steps=steps).assign(kind=k)
              for k in feature_spec_kinds]
    groups = {}
    if "indicator" in meta:
        groups = {f: i for f, i in meta["indicator"].items() if isinstance(i, str) and i}
    for c in X.columns:  # crisis features: one driver per kind
        if c.startswith("crisis_") and "__" in c:
            groups[c] = c.split("__")[0]
    importance = driver_importance(model, X, groups)

    def label_of(driver):
        if driver in catalogue:
            return catalogue[driver].label
        if driver.startswith("crisis_"):
            return f"{driver[len('crisis_'):]} crisis onset (timing, size, ongoing)"
        if driver in meta.index and "label" in meta:
            return str(meta.at[driver, "label"])
        return driver

    importance["label"] = [label_of(d) for d in importance["driver"]]
    columns = list(X.columns)
    before = trained.X_origin[columns]
    levers, after = [], {}
    for lever in catalogue.levers:
        if lever not in result.prepared.panel:
            continue
        ind = catalogue[lever]
        value = float(ind.valid_min if ind.direction >= 0 else ind.valid_max)
        regions = before.index.get_level_values("region")
        known = (regions[before[lever].notna().to_numpy()] if lever in before
                 else regions)
        changed = _lever_features(result, lever, value, known)
        after[lever] = changed.reindex(before.index.get_level_values("region"))[columns].set_axis(
            before.index)
        levers.append({"lever": lever, "label": ind.label, "value": value, "unit": ind.unit,
                       "known": len(known)})
    effects = lever_effects(model, before, after)
    effects = effects.merge(pd.DataFrame(levers, columns=["lever", "label", "value", "unit",
                                                          "known"]),
                            on="lever", how="left")
    times = X.index.get_level_values("time") if "time" in X.index.names else None
    return {
        "horizon": int(h), "kind": kind, "n_train": int(len(X)),
        "step_unit": "years" if result.project.config.frequency == "annual" else "months",
        "train_years": (int(times.min().year), int(times.max().year)) if times is not None
        else None,
        "n_bootstrap": int(len(getattr(model, "bootstrap_estimators_",
                                       getattr(model, "bootstrap_params_", [])))),
        "n_regions": int(len(before)),
        "since_onset": pd.concat(curves, ignore_index=True) if curves else None,
        "importance": importance,
        "levers": effects,
        "skill": skill_summary(metrics, kind),
    }
