"""What the calibrated additive model families share: time-ordered folds, Platt scaling,
region-bootstrap intervals and exact additive contributions, and the fitting helpers behind them."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from forewarn._threads import fit_threads
from forewarn.models._calibration import fit_platt
from forewarn.models._splits import TimeOrderedSplit, region_draws
from forewarn.models._units import unit_map
from forewarn.models._validation import (
    TIME,
    ModelInputError,
    check_param,
    is_int,
    level_values,
    region_codes,
    time_codes,
)

__all__ = ["fit_quietly"]

_SEED_MAX = 2**31 - 1


class _CalibratedAdditive(ClassifierMixin, BaseEstimator):
    """What both model families share: time-ordered folds, Platt scaling in log-odds fitted on
    the later folds only, region-bootstrap intervals and exact additive contributions.

    The published margin is ``a * raw_margin + b``; because the map is affine, every feature's
    contribution is the raw one times ``a`` and the base value is ``a * raw_base + b``, so the
    explanations stay exact after calibration.
    """

    def fit(self, X, y, time=None):
        """Fit the model, its calibration and its bootstrap replicates.

        Fits that stop at ``max_iter`` before converging are counted in ``n_not_converged_``
        and said in one ``ConvergenceWarning`` for the whole procedure, not one per fit.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_rows, n_features)
            Features; NaN marks a missing value. A DataFrame with index levels ``"region"`` and
            ``"time"`` gives the regions resampled by the bootstrap and the times of the folds.
        y : array-like of shape (n_rows,)
            Outcome with exactly two classes; the larger label (1 for 0/1) is the event.
        time : array-like of shape (n_rows,), optional
            Time of each row (any sortable labels). Defaults to X's index level ``"time"``;
            without either, rows are taken to be in time order.

        Returns
        -------
        self
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            self._fit_all(X, y, time)
        slow = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        for w in caught:
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.n_not_converged_ = len(slow)
        if slow:
            warnings.warn(f"{type(self).__name__}: {len(slow)} of its fits (penalty search, final "
                          "fit, bootstrap refits) stopped at max_iter before converging; the "
                          "model is usable, and a larger max_iter (or tol) fits it tighter.",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _fit_all(self, X, y, time):
        owner = type(self).__name__
        self._check_params()
        time = level_values(X, TIME) if time is None else time
        regions = region_codes(X)
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        times = time_codes(len(X), time, f"{owner}.fit")
        if regions is None:
            regions = np.arange(len(X))
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ModelInputError(
                f"{owner}.fit",
                f"Only binary classification is supported. y has {len(self.classes_)} "
                f"class{'es' if len(self.classes_) != 1 else ''} "
                f"({', '.join(map(str, self.classes_[:5]))}); a risk model needs exactly two "
                "(event and no event) in the training rows.",
            )
        event = (y == self.classes_[1]).astype(int)
        random = check_random_state(self.random_state)
        splitter = TimeOrderedSplit(self.n_splits, self.gap)
        folds = _usable_folds(splitter.split(X, groups=times), event)
        if not folds:
            raise ModelInputError(
                f"{owner}.fit",
                f"none of the {self.n_splits} time-ordered training folds holds both events and "
                "non-events; use fewer folds (n_splits) or a longer training period.",
            )
        params, valid_margin, valid_event = self._select(X, event, folds, random)
        calibration = self._platt(valid_margin, valid_event)
        if calibration is None:
            raise ModelInputError(
                f"{owner}.fit",
                "the validation folds hold only one class, so calibration cannot be fitted; "
                "use fewer folds (n_splits), a longer training period or calibrate=False.",
            )
        self.calibration_slope_, self.calibration_intercept_ = calibration
        # The final fit (all rows, not calibrated again) and the bootstrap refits: independent
        # units, their seeds and rows all drawn here in a fixed order.
        final = (np.arange(len(X)), random.randint(_SEED_MAX), None)
        draws = self._bootstrap_draws(event, times, regions, random)
        fitted = unit_map(_refit, [final, *draws], owner=self, params=params, X=X, event=event)
        self.estimator_ = fitted[0][0]
        self.bootstrap_estimators_ = [model for model, _ in fitted[1:]]
        self.bootstrap_calibration_ = np.array([c for _, c in fitted[1:]]).reshape(-1, 2)
        return self

    def _platt(self, valid_margin, valid_event) -> tuple[float, float] | None:
        """Platt map from out-of-fold margins; identity when not calibrating, None when the
        validation rows cannot support it."""
        if not self.calibrate:
            return 1.0, 0.0
        if len(np.unique(valid_event)) < 2:
            return None
        a, b = fit_platt(valid_margin, valid_event)
        return float(a), float(b)

    def _bootstrap_draws(self, event, times, regions, random) -> list:
        """The region-bootstrap draws: ``(rows, seed, folds)`` for each refit.

        A refit repeats the whole procedure but the hyper-parameter search on regions drawn
        with replacement (a region's rows together): time-ordered folds, Platt scaling, final
        fit. Draws whose folds cannot support a fit are drawn again. The draws and their seeds
        are all decided here, in order, before any refit runs; the refits are then independent
        units (:func:`forewarn.models._units.unit_map`)."""
        draws = []
        for rows in region_draws(regions, random, 10 * self.n_bootstrap):
            event_draw = event[rows]
            if len(np.unique(event_draw)) < 2:
                continue
            seed = random.randint(_SEED_MAX)
            folds = _usable_folds(TimeOrderedSplit(self.n_splits, self.gap).split(
                rows, groups=times[rows]), event_draw) if self.calibrate else None
            if self.calibrate and not (folds and len(np.unique(np.concatenate(
                    [event_draw[valid] for _, valid in folds]))) == 2):
                continue  # its folds cannot support a Platt map
            draws.append((rows, seed, folds))
            if len(draws) == self.n_bootstrap:
                break
        if len(draws) < self.n_bootstrap:
            raise ModelInputError(
                f"{type(self).__name__}.fit",
                "most bootstrap draws of regions hold a single class in their time-ordered "
                "folds, so the intervals cannot be estimated; add regions with events, use fewer "
                "folds or set n_bootstrap=0.",
            )
        return draws

    def decision_function(self, X) -> np.ndarray:
        """Calibrated margin of each row. [log-odds]"""
        X = self._validated(X)
        return self.calibration_slope_ * self.estimator_.decision_function(X) + \
            self.calibration_intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, columns in the order of ``classes_``. [-]"""
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        """The event class where the calibrated probability exceeds 0.5, else the other class."""
        margin = self.decision_function(X)
        return self.classes_[(margin > 0).astype(int)]

    def predict_interval(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Bootstrap interval of each row's event probability, at level ``interval``.

        The model is refitted ``n_bootstrap`` times on regions drawn with replacement (all rows
        of a drawn region together), each time with its own time-ordered folds and Platt
        scaling; only the hyper-parameters are held fixed. The interval
        is the fitted margin plus the central quantiles of the replicates' deviations from their
        median, mapped to probabilities; so it always contains the published probability. It
        measures how much the probability depends on which regions were in the training data,
        not the chance of the event itself.

        Returns
        -------
        lower, upper : ndarray of shape (n_rows,)
            Interval bounds. [-]
        """
        X = self._validated(X)
        if not self.bootstrap_estimators_:
            raise ModelInputError(
                f"{type(self).__name__}.predict_interval",
                "the model was fitted with n_bootstrap=0, so it has no intervals; refit it "
                "with n_bootstrap >= 2 (e.g. 50).",
            )
        margin = self.calibration_slope_ * self.estimator_.decision_function(X) + \
            self.calibration_intercept_
        replicates = np.stack([a * est.decision_function(X) + b for est, (a, b)
                               in zip(self.bootstrap_estimators_, self.bootstrap_calibration_)])
        deviation = replicates - np.median(replicates, axis=0)
        tail = (1 - self.interval) / 2
        low, high = np.quantile(deviation, [tail, 1 - tail], axis=0)
        return expit(margin + low), expit(margin + high)

    def _explain(self, X) -> tuple[np.ndarray, float]:
        """Calibrated per-feature contributions [log-odds] and base value [log-odds]."""
        X = self._validated(X)
        raw, raw_base = self._raw_contributions(X)
        a = self.calibration_slope_
        return a * raw, a * raw_base + self.calibration_intercept_

    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)

    def _check_params(self):
        owner = type(self).__name__
        check_param(owner, "n_splits", self.n_splits, is_int(self.n_splits) and self.n_splits >= 2,
                    "an int >= 2")
        check_param(owner, "gap", self.gap, is_int(self.gap) and self.gap >= 0, "an int >= 0")
        check_param(owner, "calibrate", self.calibrate, isinstance(self.calibrate, bool), "a bool")
        check_param(owner, "n_bootstrap", self.n_bootstrap,
                    is_int(self.n_bootstrap) and (self.n_bootstrap == 0 or self.n_bootstrap >= 2),
                    "0 (no intervals) or an int >= 2")
        check_param(owner, "interval", self.interval,
                    _is_real(self.interval) and 0 < self.interval < 1, "a float in (0, 1)")
        check_param(owner, "random_state", self.random_state,
                    self.random_state is None or is_int(self.random_state)
                    or isinstance(self.random_state, np.random.RandomState),
                    "None, an int or a numpy RandomState")
        self._check_own_params(owner)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # Binary by design: a risk score is the probability of one event.
        tags.classifier_tags.multi_class = False
        return tags


def _fit(model, X, event):
    """Fit ``model`` on rows where some column may hold no value at all (an early fold, a
    bootstrap draw): such a column is set to 0 for the fit, so it is constant and never split
    on or weighted, and predictions on full data are unaffected by its later values.
    scikit-learn's histogram binning fails on an all-missing column."""
    empty = np.isnan(X).all(axis=0)
    if empty.any():
        X = X.copy()
        X[:, empty] = 0.0
    with fit_threads(len(X)):
        return model.fit(X, event)


def _usable_folds(folds, event) -> list:
    """The folds whose training rows hold both classes (a model can be fitted on them)."""
    return [(train, valid) for train, valid in folds if len(np.unique(event[train])) == 2]


def _out_of_fold(model, X, event, folds) -> tuple[np.ndarray, np.ndarray]:
    """Raw margins and outcomes on the validation rows of usable folds, pooled (each fold's
    fit one unit of work)."""
    margins = unit_map(_fold_margin, [(model, fold) for fold in folds], X=X, event=event)
    return np.concatenate(margins), np.concatenate([event[valid] for _, valid in folds])


def _fold_margin(unit, X, event) -> np.ndarray:
    """Raw margins on a fold's validation rows of a model fitted on its training rows;
    ``unit`` is ``(model, (train_rows, validation_rows))``."""
    model, (train, valid) = unit
    return _fit(clone(model), X[train], event[train]).decision_function(X[valid])


def _refit(draw, owner, params, X, event):
    """One bootstrap refit: ``(fitted model, (a, b))`` of the Platt map from its own folds.

    ``draw`` is ``(rows, seed, folds)``; ``folds`` (positions within the drawn rows) is None
    when ``owner`` does not calibrate."""
    rows, seed, folds = draw
    event_draw = event[rows]
    model = owner._inner(params, seed)
    calibration = (1.0, 0.0)
    if folds is not None:
        # A fold's rows are taken from X directly (the same values as from the drawn rows):
        # the drawn copy of X is made for the last fit only, never held beside a fold's.
        margins = [_fold_margin((model, (rows[train], rows[valid])), X, event)
                   for train, valid in folds]
        calibration = owner._platt(np.concatenate(margins),
                                   np.concatenate([event_draw[valid] for _, valid in folds]))
    every_row = len(rows) == len(X) and np.array_equal(rows, np.arange(len(X)))
    return _fit(model, X if every_row else X[rows], event_draw), calibration


def _is_real(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _reals(values) -> bool:
    return (isinstance(values, (Sequence, np.ndarray)) and not isinstance(values, str)
            and len(values) > 0 and all(_is_real(v) for v in values))


def fit_quietly(model, X, y):
    """``model.fit(X, y)`` without convergence warnings on the console; returns the model.

    For progress output that a person reads: the flows say how many fits stopped at
    ``max_iter`` (``n_not_converged_``, 0 for families that always converge) in their own
    progress line instead of interleaving scikit-learn's warnings with it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)
