"""Rolling-origin backtests: refit at each origin on what was known then, score what followed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.models._baselines import BaseRate
from forewarn.models._calibrated import fit_quietly
from forewarn.models._metrics import (
    classification_metrics,
    expected_calibration,
    expected_calibration_curve,
    expected_ranking_metrics,
    interval_coverage,
    top_k_capture,
)
from forewarn.models._validation import TIME, ModelInputError, is_int, level_values

__all__ = ["BacktestWindows", "BacktestResult", "rolling_origin_backtest", "score_against_truth"]

_WHERE = "backtest"


@dataclass(frozen=True)
class BacktestWindows:
    """Forecast origins of a rolling-origin backtest and the data each may use.

    At origin *O* (data as known at the end of month *O*) the model trains on rows dated
    ``data_start`` to ``O - horizon_months`` - the last rows whose outcome window has ended -
    and forecasts the ``horizon_months`` months after *O* (its test window). Consecutive test
    windows may touch (``step_months == horizon_months``) but not overlap unless
    ``allow_overlap`` is set, because overlapping windows count one event at several origins
    and the pooled metrics then look more certain than they are.

    Parameters
    ----------
    data_start : str or Timestamp
        First month of data. [month start]
    first_origin, last_origin : str or Timestamp
        First and last forecast origins (the last is kept only if a whole step lands on it).
        [month start]
    step_months : int, default=12
        Months between origins. [months]
    horizon_months : int, default=12
        Months ahead the outcome looks. [months]
    min_train_months : int, default=36
        Fewest months of training rows the first origin must have. [months]
    allow_overlap : bool, default=False
        Accept ``step_months < horizon_months``.

    Raises
    ------
    forewarn.errors.InputError
        Listing every problem: dates that do not parse or are not month starts, origins out of
        order, non-positive steps, overlapping test windows, too little training data.

    Examples
    --------
    >>> w = BacktestWindows("2005-01", "2010-01", "2012-01", step_months=12, horizon_months=12)
    >>> [o.strftime("%Y-%m") for o in w.origins]
    ['2010-01', '2011-01', '2012-01']
    >>> [t.strftime("%Y-%m") for t in w.train_window(w.origins[0])]
    ['2005-01', '2009-01']
    """

    data_start: pd.Timestamp
    first_origin: pd.Timestamp
    last_origin: pd.Timestamp
    step_months: int = 12
    horizon_months: int = 12
    min_train_months: int = 36
    allow_overlap: bool = False

    def __post_init__(self):
        problems = []
        for name in ("data_start", "first_origin", "last_origin"):
            value = getattr(self, name)
            try:
                stamp = pd.Timestamp(value)
            except (TypeError, ValueError):
                stamp = pd.NaT
            if pd.isna(stamp):
                problems.append(Problem(_WHERE, f"'{name}' is {value!r}, not a date; write it as "
                                        "YYYY-MM.", column=name))
            elif stamp != stamp.normalize().replace(day=1):
                problems.append(Problem(_WHERE, f"'{name}' is {stamp.date()}, not the start of a "
                                        f"month; use {stamp.strftime('%Y-%m')}.", column=name))
            object.__setattr__(self, name, stamp)
        for name in ("step_months", "horizon_months", "min_train_months"):
            value = getattr(self, name)
            if not (is_int(value) and value >= 1):
                problems.append(Problem(_WHERE, f"'{name}' is {value!r}; use a whole number of "
                                        "months >= 1.", column=name))
        if not isinstance(self.allow_overlap, bool):
            problems.append(Problem(_WHERE, f"'allow_overlap' is {self.allow_overlap!r}; use "
                                    "true or false.", column="allow_overlap"))
        if problems:
            raise InputError(problems)
        if self.first_origin > self.last_origin:
            problems.append(Problem(_WHERE, f"'first_origin' ({_month(self.first_origin)}) is "
                                    f"after 'last_origin' ({_month(self.last_origin)}); swap them.",
                                    column="first_origin"))
        if self.step_months < self.horizon_months and not self.allow_overlap:
            problems.append(Problem(
                _WHERE, f"'step_months' ({self.step_months}) is shorter than 'horizon_months' "
                f"({self.horizon_months}), so consecutive test windows overlap and one event "
                "is scored at several origins; set step_months >= horizon_months or "
                "allow_overlap = true.", column="step_months"))
        train_start, train_end = self.train_window(self.first_origin)
        months = _months_between(train_start, train_end) + 1
        if months < self.min_train_months:
            problems.append(Problem(
                _WHERE, f"the first origin ({_month(self.first_origin)}) leaves {max(months, 0)} "
                f"month(s) of training rows ({_month(train_start)} to {_month(train_end)}, the "
                f"last whose {self.horizon_months}-month outcome is known) but "
                f"'min_train_months' is {self.min_train_months}; start later or lower "
                "min_train_months.", column="first_origin"))
        if problems:
            raise InputError(problems)

    @property
    def origins(self) -> tuple[pd.Timestamp, ...]:
        """Forecast origins, earliest first. [month start]"""
        count = _months_between(self.first_origin, self.last_origin) // self.step_months + 1
        return tuple(_add_months(self.first_origin, i * self.step_months) for i in range(count))

    def train_window(self, origin) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last month of the training rows at ``origin`` (both included). [month start]"""
        return self.data_start, _add_months(pd.Timestamp(origin), -self.horizon_months)

    def test_window(self, origin) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last month the forecast made at ``origin`` is about (both included).
        [month start]"""
        origin = pd.Timestamp(origin)
        return _add_months(origin, 1), _add_months(origin, self.horizon_months)

    def __iter__(self):
        return iter(self.origins)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """What a rolling-origin backtest measured.

    Parameters
    ----------
    predictions : DataFrame
        One row per test row, origin and forecaster: ``origin``, the test rows' index levels,
        ``model`` (forecaster name), ``y``, ``probability``, ``lower``, ``upper`` (NaN for
        forecasters without intervals), ``risk_probability`` and ``detection_probability``
        (the two parts of a detection-aware model, NaN for the others). [-]
    per_origin : DataFrame
        Tidy metrics: ``origin``, ``model``, ``metric``, ``value``.
    overall : DataFrame
        Tidy metrics over all origins pooled: ``model``, ``metric``, ``value``.
    coverage : DataFrame
        :func:`interval_coverage` bins over all origins pooled, with a ``model`` column.
    """

    predictions: pd.DataFrame
    per_origin: pd.DataFrame
    overall: pd.DataFrame
    coverage: pd.DataFrame

    def table(self, which="overall") -> pd.DataFrame:
        """The ``overall`` or ``per_origin`` metrics, one column per metric."""
        if which not in ("overall", "per_origin"):
            raise ModelInputError(
                "BacktestResult.table", f"'which' is {which!r}; use 'overall' or 'per_origin'."
            )
        tidy = getattr(self, which)
        rows = ["model"] if which == "overall" else ["origin", "model"]
        return tidy.pivot_table(index=rows, columns="metric", values="value", sort=False,
                                dropna=False)


def rolling_origin_backtest(origins, make_data: Callable, model_factory,
                            baselines: Iterable = (BaseRate(),), k=(10, 20, 30),
                            n_bins=10, map_origins: Callable | None = None) -> BacktestResult:
    """Refit and score models at each forecast origin, next to baselines.

    For each origin, ``make_data(origin)`` returns ``(X_train, y_train, X_test, y_test,
    extra)``; it is where the caller rebuilds the panel as known at that origin, so nothing
    from later can leak in. Each model is built afresh by its factory, fitted on the training
    rows and asked for probabilities (and intervals, when it was fitted with bootstrap
    replicates) on the test rows; each baseline forecasts the same rows.

    Parameters
    ----------
    origins : BacktestWindows or iterable of Timestamp
        Forecast origins. With :class:`BacktestWindows` every training row must be dated no
        later than the origin's training window; otherwise earlier than the origin itself.
        Rows are dated by X's index level ``"time"`` (not checked without one).
    make_data : callable
        ``make_data(origin) -> (X_train, y_train, X_test, y_test, extra)``. X are DataFrames
        (features, index levels ``region`` and ``time``), y are 0/1, ``extra`` is None or a
        DataFrame of side columns (e.g. ``last_outcome``, ``index_score``) indexed like the
        train and test rows.
    model_factory : callable or mapping of str to callable
        Returns an unfitted estimator; a mapping compares several (its keys are the names).
        A single callable is named ``"model"``.
    baselines : iterable, default=(BaseRate(),)
        Objects with ``name`` and ``predict(X_train, y_train, X_test, extra)``, e.g.
        :class:`BaseRate`, :class:`Persistence`, :class:`ScoreAlone`.
    k : sequence of int, default=(10, 20, 30)
        Top-k sizes for the event capture metrics ``top<k>_caught`` (events that fell among
        the k highest-scored rows of their origin, summed over origins [rows]) and
        ``top<k>_share`` (the same over all events [-]). [rows]
    n_bins : int, default=10
        Probability bins for interval coverage. [-]
    map_origins : callable, optional
        ``map_origins(fn, origins) -> list`` calls ``fn(origin)`` for every origin and returns
        the results in the origins' order, e.g. in parallel processes (origins are
        independent; see ``forewarn.flows._parallel``). ``fn`` and its results pickle. Default:
        one origin after the other in this process.

    Returns
    -------
    BacktestResult
        Metrics per origin and pooled: those of :func:`classification_metrics`,
        ``top<k>_caught``, ``top<k>_share``, and for models with intervals ``coverage`` (share of covered bins)
        and ``mean_width`` [-].
    """
    windows = origins if isinstance(origins, BacktestWindows) else None
    origins = [pd.Timestamp(o) for o in origins]
    if not origins:
        raise ModelInputError("rolling_origin_backtest", "no forecast origins; give at least one.")
    factories = model_factory if isinstance(model_factory, Mapping) else {"model": model_factory}
    baselines = list(baselines)
    names = list(factories) + [b.name for b in baselines]
    if len(set(names)) != len(names):
        raise ModelInputError(
            "rolling_origin_backtest",
            f"forecaster names repeat ({names}); give each model and baseline its own name.",
        )
    one = partial(_one_origin, make_data=make_data, factories=factories, baselines=baselines,
                  windows=windows)
    frames = (map_origins or _serial)(one, origins)
    predictions = pd.concat(frames, ignore_index=True)
    predictions.attrs = {}
    predictions = predictions[["origin", *[c for c in predictions if c != "origin"]]]
    per_origin = pd.concat(
        [_metrics(group, k, n_bins).assign(origin=origin, model=name)
         for (origin, name), group in predictions.groupby(["origin", "model"], sort=False)],
        ignore_index=True,
    )[["origin", "model", "metric", "value"]]
    overall = pd.concat(
        [_metrics(group, k, n_bins).assign(model=name)
         for name, group in predictions.groupby("model", sort=False)],
        ignore_index=True,
    )[["model", "metric", "value"]]
    coverage = [interval_coverage(g.y, g.probability, g.lower, g.upper, n_bins).assign(model=name)
                for name, g in predictions.groupby("model", sort=False)
                if g["lower"].notna().all()]
    return BacktestResult(
        predictions=predictions,
        per_origin=per_origin,
        overall=overall,
        coverage=pd.concat(coverage, ignore_index=True) if coverage else pd.DataFrame(),
    )


def _serial(fn, origins) -> list:
    return [fn(origin) for origin in origins]


def _one_origin(origin, make_data, factories, baselines, windows) -> pd.DataFrame:
    """Fit, forecast and baseline-forecast one origin: its rows of the predictions table
    (``attrs["train_rows"]`` holds the number of training rows)."""
    X_train, y_train, X_test, y_test, extra = _unpack(make_data(origin), origin)
    _check_no_look_ahead(X_train, origin, windows)
    forecasts = {}
    slow = 0
    for name, factory in factories.items():
        model = fit_quietly(factory(), X_train, y_train)
        slow += getattr(model, "n_not_converged_", 0)
        forecasts[name] = _forecast(model, X_test)
    for baseline in baselines:
        p = baseline.predict(X_train, y_train, X_test, extra)
        forecasts[baseline.name] = (p, *np.full((4, len(p)), np.nan))
    rows = X_test.index.to_frame(index=False)
    frame = pd.concat([rows.assign(origin=origin, model=name, y=np.asarray(y_test, dtype=int),
                                   probability=p, lower=lower, upper=upper,
                                   risk_probability=risk, detection_probability=detection)
                       for name, (p, lower, upper, risk, detection) in forecasts.items()],
                      ignore_index=True)
    frame.attrs.update(getattr(extra, "attrs", {}))  # what make_data says of the origin
    frame.attrs["train_rows"] = len(X_train)
    frame.attrs["not_converged"] = slow
    return frame


def _metrics(group: pd.DataFrame, k, n_bins) -> pd.DataFrame:
    """Tidy metrics of one forecaster's predictions (one origin, or all pooled)."""
    values = classification_metrics(group["y"], group["probability"])
    capture = top_k_capture(group["y"], group["probability"], group["origin"], k)
    for top, part in capture.groupby("k"):
        events = part["events"].sum()
        values[f"top{top}_caught"] = float(part["caught"].sum())
        values[f"top{top}_share"] = part["caught"].sum() / events if events else np.nan
    if group["lower"].notna().all():
        bins = interval_coverage(group["y"], group["probability"], group["lower"],
                                 group["upper"], n_bins)
        values["coverage"] = float(bins["covered"].mean())
        values["mean_width"] = float((group["upper"] - group["lower"]).mean())
    return pd.DataFrame({"metric": list(values), "value": list(values.values())})


def _unpack(data, origin):
    if not (isinstance(data, tuple) and len(data) == 5):
        raise ModelInputError(
            "rolling_origin_backtest",
            f"make_data({_month(origin)}) returned {type(data).__name__}; it must return the "
            "tuple (X_train, y_train, X_test, y_test, extra).",
        )
    X_train, y_train, X_test, y_test, extra = data
    for name, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        if not isinstance(X, pd.DataFrame) or len(X) != len(y) or len(X) == 0:
            raise ModelInputError(
                "rolling_origin_backtest",
                f"make_data({_month(origin)}) returned a {name} set that is not a non-empty "
                f"DataFrame with one outcome per row (X_{name}: {type(X).__name__} of length "
                f"{len(X)}, y_{name}: length {len(y)}).",
            )
    return data


def _forecast(model, X_test) -> tuple[np.ndarray, ...]:
    """Probability of the observed event, its interval (NaN for a model fitted without
    bootstrap replicates) and, for a detection-aware model, its risk and detection parts (else
    NaN)."""
    p = model.predict_proba(X_test)[:, 1]
    nan = np.full(len(p), np.nan)
    two_part = hasattr(model, "predict_part")
    risk = model.predict_part(X_test, "risk") if two_part else nan
    detection = model.predict_part(X_test, "detection") if two_part else nan
    if getattr(model, "bootstrap_estimators_", None) or \
            len(getattr(model, "bootstrap_params_", ())):
        return (p, *model.predict_interval(X_test), risk, detection)
    return p, nan, nan, risk, detection


def _check_no_look_ahead(X_train, origin, windows):
    times = level_values(X_train, TIME)
    if times is None:
        return
    latest = pd.Timestamp(times.max())
    if windows is None:
        ahead, bound = latest >= origin, "the origin itself"
    else:
        limit = windows.train_window(origin)[1]
        ahead = latest > limit
        bound = f"the last month whose outcome is known then ({_month(limit)})"
    if ahead:
        raise ModelInputError(
            "rolling_origin_backtest",
            f"make_data({_month(origin)}) returned training rows dated up to {_month(latest)}, "
            f"later than {bound}: that looks ahead. Train only on rows whose outcome window "
            "ends by the origin.",
        )


def _month(stamp) -> str:
    return pd.Timestamp(stamp).strftime("%Y-%m")


def _add_months(stamp: pd.Timestamp, months: int) -> pd.Timestamp:
    return stamp + pd.DateOffset(months=months)


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def score_against_truth(predictions: pd.DataFrame, n_bins: int = 10):
    """Score each forecaster against a simulated world's true probabilities.

    Each forecaster is scored on its chance of a surge: the risk part of a detection-aware
    model (``risk_probability``), the published probability of the others (the detected
    outcome is all they know). Rows without a true probability are left out.

    Parameters
    ----------
    predictions : DataFrame
        :attr:`BacktestResult.predictions` with ``true_probability`` (of a surge, recorded or
        not) and ``oracle_probability`` (of a *recorded* surge) per row. [-]
    n_bins : int, default=10
        Bins of the calibration curves. [-]

    Returns
    -------
    metrics : DataFrame
        Tidy ``model``, ``metric``, ``value``: ``roc_auc_true``, ``average_precision_true``,
        ``expected_true_events`` [rows], ``calibration_slope_true`` [-] and
        ``calibration_intercept_true`` [log-odds] (expected, :func:`expected_calibration`).
    curves : DataFrame
        :func:`expected_calibration_curve` per forecaster and ``part``: ``"risk"`` (its chance
        of a surge against the true chance) and, for a detection-aware model, ``"detection"``
        (its chance that a surge is recorded against the world's: recorded over true surges in
        the bin, each row weighted by its true chance of a surge).
    """
    rows, curves = [], []
    for name, g in predictions.groupby("model", sort=False):
        g = g[g["true_probability"].notna()]
        if not len(g):
            continue
        q = g["true_probability"].to_numpy(float)
        score = g["risk_probability"].fillna(g["probability"]).to_numpy(float)
        ranking = expected_ranking_metrics(q, score)
        slope, intercept = expected_calibration(q, score)
        rows += [{"model": name, "metric": metric, "value": value} for metric, value in (
            ("roc_auc_true", ranking["roc_auc"]),
            ("average_precision_true", ranking["average_precision"]),
            ("expected_true_events", ranking["expected_events"]),
            ("calibration_slope_true", slope), ("calibration_intercept_true", intercept))]
        curves.append(expected_calibration_curve(q, score, n_bins=n_bins)
                      .assign(model=name, part="risk"))
        detection = g["detection_probability"].to_numpy(float)
        if np.isfinite(detection).all() and (q > 0).all():
            # P(recorded | surge) = P(recorded surge) / P(surge): a recorded surge is a surge.
            seen = np.clip(g["oracle_probability"].to_numpy(float) / q, 0.0, 1.0)
            curves.append(expected_calibration_curve(seen, detection, weight=q, n_bins=n_bins)
                          .assign(model=name, part="detection"))
    columns = ["model", "part", "bin", "n", "weight", "mean_probability", "mean_truth"]
    return (pd.DataFrame(rows, columns=["model", "metric", "value"]),
            pd.concat(curves, ignore_index=True)[columns] if curves
            else pd.DataFrame(columns=columns))
