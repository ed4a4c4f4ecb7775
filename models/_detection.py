"""Detection-aware risk: P(detected surge) = P(surge) x P(detected | surge), fitted jointly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from forewarn.models._calibrated import _is_real
from forewarn.models._detection_columns import _PartColumns
from forewarn.models._detection_likelihood import _bound, _log1mexp, _log_observed, _objective
from forewarn.models._detection_refits import bootstrap_refits
from forewarn.models._splits import TimeOrderedSplit
from forewarn.models._validation import (
    TIME,
    ModelInputError,
    check_param,
    is_int,
    level_values,
    region_codes,
    time_codes,
)

__all__ = ["DetectionAwareLogit", "PARTS"]

#: The parts of a detection-aware model: the chance of a surge and the chance it is detected.
PARTS = ("risk", "detection")
_ROLES = ("risk", "detection", "both")
_SEED_MAX = 2**31 - 1
#: A coefficient this large (log-odds per training SD) means the likelihood has no finite
#: maximum in that direction: one input separates events from non-events.
_SEPARATION = 12.0
#: Detection probabilities at which the fit starts (the best likelihood is kept): the level of
#: detection is identified only through the curvature of its logistic part, so one start can
#: stop in a poorer local maximum.
_STARTS = (0.35, 0.65, 0.9)


class DetectionAwareLogit(_PartColumns, ClassifierMixin, BaseEstimator):
    """Partial-observability logit: the risk of a surge and the chance it is detected, apart.

    Trafficking outcomes are *detected* surges. The model writes the probability of the observed
    event as the product of two logistic parts with their own inputs::

        P(detected surge) = expit(a_r + z_R . b_r) * expit(a_d + z_D . b_d)

    ``z`` are the inputs after median imputation (with a 0/1 missing indicator for each feature
    that had missing training values) and standardisation on the training rows; ``R`` are the
    features whose role is ``"risk"`` or ``"both"``, ``D`` those whose role is ``"detection"``
    or ``"both"``. Both parts are fitted together by penalised maximum likelihood (L-BFGS-B with
    the analytic gradient, an L2 penalty on the standardised coefficients, several starting
    levels of detection, the best likelihood kept), the penalty chosen on later times as for
    :class:`ElasticNetLogit`.

    Identification. Only the product is observed. The parts are told apart by *exclusion
    restrictions*: at least one input that varies in training drives risk only, and at least
    one drives detection only; ``fit`` refuses roles without them. Inputs in both parts are
    then separated by the different shapes the two logistic curves give the product (for
    example detection saturating where state capacity is high), which is weaker evidence: read
    their split between the parts with the bootstrap intervals.

    Parameters
    ----------
    roles : mapping of str to str, sequence of str or None, default=None
        Role of each feature: ``"risk"``, ``"detection"`` or ``"both"``; a mapping from column
        name (needs a DataFrame; unnamed columns are ``"risk"``) or one value per column. None
        makes every feature ``"risk"``, which ``fit`` refuses (no detection part).
    directions : mapping of str to int, sequence of int or None, default=None
        Sign constraint of each feature's coefficient in the risk part (+1: not below 0, -1:
        not above 0, 0: free), as in :class:`AdditiveBoosting`.
    detection_directions : mapping of str to int, sequence of int or None, default=None
        The same for the detection part (+1: a higher value never lowers detection), e.g.
        ``{"state_capacity": 1}``. None leaves the detection part free.
    alphas : sequence of float, default=(1.0, 10.0, 100.0, 1000.0)
        L2 penalties on the standardised coefficients of both parts to try, in units of the
        summed log-likelihood (intercepts are not penalised); the one with the lowest pooled
        log loss of the observed outcome on time-ordered validation folds is refitted on all
        rows. [-]
    n_splits : int, default=3
        Time-ordered folds for choosing the penalty (ignored with a single penalty). [-]
    gap : int, default=0
        Distinct times left out between training and validation in each fold; set it to the
        horizon of the target. [time steps]
    n_bootstrap : int, default=20
        Region-bootstrap refits behind the intervals; 0 for none. [-]
    interval : float, default=0.9
        Central probability level of the intervals. [-]
    max_iter : int, default=500
        Iteration limit of L-BFGS-B per start. [-]
    tol : float, default=1e-8
        Gradient tolerance of L-BFGS-B (``gtol``), on the mean log-likelihood. [-]
    random_state : int, RandomState or None, default=0
        Seed of the bootstrap draws.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``classes_[1]`` is the (detected) event.
    roles_ : ndarray of str
        Role used for each feature.
    risk_columns_, detection_columns_ : ndarray of int
        Columns of the standardised design (features, then missing indicators) in each part.
    preprocess_ : Pipeline
        Median imputation with missing indicators, then standardisation.
    risk_signs_, detection_signs_ : ndarray of int
        Sign constraint of each column of the part (missing indicators are free).
    risk_coef_, detection_coef_ : ndarray
        Coefficients on the part's columns. [log-odds per training SD]
    risk_intercept_, detection_intercept_ : float
        Margins of each part at the training average. [log-odds]
    alpha_ : float
        Selected penalty. [-]
    cv_results_ : dict of ndarray
        ``alpha`` and ``log_loss`` (pooled validation log loss) per candidate; empty with a
        single candidate.
    log_likelihood_ : float
        Log-likelihood of the training rows at the fit (without the penalty). [-]
    n_iter_ : int
        L-BFGS-B iterations of the kept start. [-]
    bootstrap_params_ : ndarray of shape (n_bootstrap, n_params)
        Parameters of each region-bootstrap refit: risk intercept, risk coefficients, detection
        intercept, detection coefficients.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Notes
    -----
    ``predict_proba`` and ``decision_function`` give the *observed* event, the detected surge,
    so the model is scored against the outcome it was fitted on like any classifier.
    :meth:`predict_part` gives each part: ``"risk"`` is what planners prepare for,
    ``"detection"`` how likely a surge there would be seen. There is no Platt scaling: it would
    rescale the product, and the parts would no longer explain it exactly.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(4000, 3))
    >>> p = 1 / (1 + np.exp(-(-1 + X[:, 0]))) / (1 + np.exp(-(0.5 + 1.5 * X[:, 1])))
    >>> y = (rng.random(4000) < p).astype(int)
    >>> model = DetectionAwareLogit(["risk", "detection", "both"], n_bootstrap=0).fit(X, y)
    >>> model.predict_part(X[:2], "risk").shape
    (2,)
    """

    def __init__(self, roles=None, directions=None, detection_directions=None, *,
                 alphas=(1.0, 10.0, 100.0, 1000.0), n_splits=3, gap=0, n_bootstrap=20,
                 interval=0.9, max_iter=500, tol=1e-8, random_state=0):
        self.roles = roles
        self.directions = directions
        self.detection_directions = detection_directions
        self.alphas = alphas
        self.n_splits = n_splits
        self.gap = gap
        self.n_bootstrap = n_bootstrap
        self.interval = interval
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    def fit(self, X, y, time=None):
        """Fit both parts by penalised maximum likelihood, then the bootstrap refits.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_rows, n_features)
            Features; NaN marks a missing value. A DataFrame with index levels ``"region"`` and
            ``"time"`` gives the regions resampled by the bootstrap and the times of the folds.
        y : array-like of shape (n_rows,)
            Observed (detected) outcome with exactly two classes.
        time : array-like of shape (n_rows,), optional
            Time of each row. Defaults to X's index level ``"time"``; without either, rows are
            taken to be in time order.

        Returns
        -------
        self

        Raises
        ------
        ModelInputError
            Bad parameters or roles, a part without inputs, no input exclusive to a part
            (the parts cannot be told apart), or no finite maximum of the likelihood
            (separation).
        """
        owner = f"{type(self).__name__}.fit"
        self._check_params()
        time = level_values(X, TIME) if time is None else time
        regions = region_codes(X)
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        times = time_codes(len(X), time, owner)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ModelInputError(
                owner,
                f"Only binary classification is supported. y has {len(self.classes_)} "
                f"class{'es' if len(self.classes_) != 1 else ''}; a detection-aware model "
                "needs detected events and rows without one.",
            )
        event = (y == self.classes_[1]).astype(np.float64)
        self.roles_ = self._resolve(self.roles, "roles", _ROLES, "risk")
        signs = self._resolve(self.directions, "directions", (-1, 0, 1), 0)
        detection_signs = self._resolve(self.detection_directions, "detection_directions",
                                        (-1, 0, 1), 0)
        self.preprocess_ = Pipeline([
            ("impute", SimpleImputer(strategy="median", add_indicator=True,
                                     keep_empty_features=True)),
            ("scale", StandardScaler()),
        ])
        Z = self.preprocess_.fit_transform(_empty_as_zero(X))
        owner_of = self._column_owner()
        roles = self.roles_[owner_of]
        self.risk_columns_ = np.flatnonzero(np.isin(roles, ("risk", "both")))
        self.detection_columns_ = np.flatnonzero(np.isin(roles, ("detection", "both")))
        self._check_identified(Z, roles, owner_of, owner)
        # A missing indicator is free: its sign says nothing about the feature's direction.
        own = np.arange(len(owner_of)) < self.n_features_in_
        self.risk_signs_ = np.where(own, signs[owner_of], 0)[self.risk_columns_]
        self.detection_signs_ = np.where(own, detection_signs[owner_of],
                                         0)[self.detection_columns_]
        self.alpha_ = self._select(Z, event, times)
        params, self.n_iter_ = self._maximise(Z, event, owner, report=True)
        self._set_params(params)
        self.log_likelihood_ = float(-_objective(params, Z, event, self.risk_columns_,
                                                 self.detection_columns_, 0.0)[0] * len(Z))
        self.bootstrap_params_ = self._bootstrap(Z, event, regions, params)
        return self

    def _select(self, Z, event, times) -> float:
        """The penalty with the lowest pooled validation log loss on time-ordered folds."""
        alphas = [float(a) for a in self.alphas]
        self.cv_results_ = {}
        if len(alphas) == 1:
            return alphas[0]
        folds = [(train, valid) for train, valid in
                 TimeOrderedSplit(self.n_splits, self.gap).split(Z, groups=times)
                 if len(np.unique(event[train])) == 2]
        if not folds:
            raise ModelInputError(
                f"{type(self).__name__}.fit",
                f"none of the {self.n_splits} time-ordered training folds holds both events "
                "and non-events; use fewer folds (n_splits), a longer training period or a "
                "single penalty (alphas=[1.0]).",
            )
        losses = []
        for alpha in alphas:
            log_p, valid_event = [], []
            for train, valid in folds:
                x, _ = self._maximise(Z[train], event[train], None, alpha=alpha)
                if x is None:
                    break
                log_p.append(_log_observed(Z[valid], x, self.risk_columns_,
                                           self.detection_columns_))
                valid_event.append(event[valid])
            if len(log_p) < len(folds):
                losses.append(np.inf)
                continue
            log_p, valid_event = np.concatenate(log_p), np.concatenate(valid_event)
            losses.append(float(-np.mean(valid_event * log_p
                                         + (1 - valid_event) * _log1mexp(log_p))))
        self.cv_results_ = {"alpha": np.array(alphas), "log_loss": np.array(losses)}
        # Ties go to the first candidate in the order given.
        return alphas[int(np.argmin(losses))]

    def _maximise(self, Z, event, owner, start=None, report=False, alpha=None):
        """Best penalised-likelihood parameters over the starts (or from ``start``)."""
        n_r, n_d = len(self.risk_columns_), len(self.detection_columns_)
        bounds = ([(None, None)] + [_bound(s) for s in self.risk_signs_]
                  + [(None, None)] + [_bound(s) for s in self.detection_signs_])
        rate = float(np.clip(event.mean(), 1e-6, 1 - 1e-6))
        if start is not None:
            starts = [start]
        else:
            starts = []
            for d in _STARTS:
                r = min(rate / d, 0.99)
                x0 = np.zeros(2 + n_r + n_d)
                x0[0], x0[1 + n_r] = np.log(r / (1 - r)), np.log(d / (1 - d))
                starts.append(x0)
        penalty = (self.alpha_ if alpha is None else alpha) / len(Z)
        best = None
        for x0 in starts:
            res = minimize(_objective, x0, args=(Z, event, self.risk_columns_,
                                                 self.detection_columns_, penalty),
                           jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxiter": self.max_iter, "gtol": self.tol})
            if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                best = res
        if best is None or not np.all(np.isfinite(best.x)):
            if not report:
                return None, 0
            raise ModelInputError(
                owner, "the likelihood is not finite at any start, so the model cannot be "
                "fitted; check the inputs for extreme values or use larger penalties (alphas).",
            )
        coef = np.abs(np.delete(best.x, [0, 1 + n_r]))
        if report and coef.size and coef.max() > _SEPARATION:
            j = int(np.argmax(coef))
            part, col = (("risk", self.risk_columns_[j]) if j < n_r
                         else ("detection", self.detection_columns_[j - n_r]))
            raise ModelInputError(
                owner, f"the likelihood has no finite maximum: in the {part} part the "
                f"coefficient of {self._column_name(col)!r} grew to {coef[j]:.0f} log-odds per "
                "SD (it separates events from non-events). Use larger penalties (alphas, e.g. "
                "[10, 100]), drop the feature or change its role.",
            )
        return best.x, int(best.nit)

    def _bootstrap(self, Z, event, regions, params):
        """Refit on regions drawn with replacement (a region's rows together), from the fit."""
        if self.n_bootstrap == 0:
            return np.empty((0, len(params)))
        random = check_random_state(self.random_state)
        regions = np.arange(len(Z)) if regions is None else regions
        # Each refit one unit of work (on a cluster when the caller runs units there).
        fitted = bootstrap_refits(self, Z, event, regions, params, random)
        if len(fitted) < self.n_bootstrap:
            raise ModelInputError(
                f"{type(self).__name__}.fit",
                "most bootstrap draws of regions hold a single class, so the intervals cannot "
                "be estimated; add regions with events or set n_bootstrap=0.",
            )
        return np.array(fitted)

    def _set_params(self, params):
        n_r = len(self.risk_columns_)
        self.risk_intercept_ = float(params[0])
        self.risk_coef_ = params[1:1 + n_r].copy()
        self.detection_intercept_ = float(params[1 + n_r])
        self.detection_coef_ = params[2 + n_r:].copy()

    def _params(self):
        return np.concatenate([[self.risk_intercept_], self.risk_coef_,
                               [self.detection_intercept_], self.detection_coef_])

    # ------------------------------------------------------------------ parameters

    def _check_params(self):
        owner = type(self).__name__
        for name in ("roles", "directions", "detection_directions"):
            value = getattr(self, name)
            check_param(owner, name, value,
                        value is None or isinstance(value, (Mapping, Sequence, np.ndarray))
                        and not isinstance(value, str),
                        f"None, a mapping from feature name to {name[:-1]} or a sequence of "
                        f"{name}")
        check_param(owner, "alphas", self.alphas,
                    isinstance(self.alphas, (Sequence, np.ndarray))
                    and not isinstance(self.alphas, str) and len(self.alphas) > 0
                    and all(_is_real(a) and a >= 0 for a in self.alphas),
                    "a non-empty sequence of floats >= 0")
        check_param(owner, "n_splits", self.n_splits, is_int(self.n_splits) and self.n_splits >= 2,
                    "an int >= 2")
        check_param(owner, "gap", self.gap, is_int(self.gap) and self.gap >= 0, "an int >= 0")
        check_param(owner, "n_bootstrap", self.n_bootstrap,
                    is_int(self.n_bootstrap) and (self.n_bootstrap == 0 or self.n_bootstrap >= 2),
                    "0 (no intervals) or an int >= 2")
        check_param(owner, "interval", self.interval,
                    _is_real(self.interval) and 0 < self.interval < 1, "a float in (0, 1)")
        check_param(owner, "max_iter", self.max_iter, is_int(self.max_iter) and self.max_iter >= 1,
                    "an int >= 1")
        check_param(owner, "tol", self.tol, _is_real(self.tol) and self.tol > 0, "a float > 0")
        check_param(owner, "random_state", self.random_state,
                    self.random_state is None or is_int(self.random_state)
                    or isinstance(self.random_state, np.random.RandomState),
                    "None, an int or a numpy RandomState")

    # ------------------------------------------------------------------ prediction

    def _design(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return self.preprocess_.transform(X)

    def margin(self, X, part="risk") -> np.ndarray:
        """Margin of one part for each row: ``"risk"`` or ``"detection"``. [log-odds]"""
        return self._margins(self._design(X), self._params(), _check_part(part))

    def predict_part(self, X, part="risk") -> np.ndarray:
        """Probability of a surge (``"risk"``) or that a surge is detected (``"detection"``),
        or of a detected surge (``"observed"``, the column 1 of :meth:`predict_proba`). [-]"""
        if part == "observed":
            return self.predict_proba(X)[:, 1]
        return expit(self.margin(X, part))

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of the observed (detected) event; not additive in the features (the
        parts are: see :meth:`margin`). [log-odds]"""
        Z = self._design(X)
        log_p = _log_observed(Z, self._params(), self.risk_columns_, self.detection_columns_)
        return log_p - _log1mexp(log_p)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of the observed (detected) event, columns in the order of ``classes_``;
        the product of the two parts. [-]"""
        Z = self._design(X)
        p = np.exp(_log_observed(Z, self._params(), self.risk_columns_, self.detection_columns_))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        """The event class where the observed probability exceeds 0.5, else the other class."""
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]

    def predict_interval(self, X, part="observed") -> tuple[np.ndarray, np.ndarray]:
        """Bootstrap interval of each row's probability for ``part`` ("observed", "risk" or
        "detection"), at level ``interval``, built as for the other families: the fitted margin
        plus the central quantiles of the replicates' deviations from their median.

        Returns
        -------
        lower, upper : ndarray of shape (n_rows,)
            Interval bounds. [-]
        """
        Z = self._design(X)
        if not len(self.bootstrap_params_):
            raise ModelInputError(
                f"{type(self).__name__}.predict_interval",
                "the model was fitted with n_bootstrap=0, so it has no intervals; refit it "
                "with n_bootstrap >= 2 (e.g. 20).",
            )
        if part != "observed":
            _check_part(part)

        def logit(params):
            if part == "observed":
                log_p = _log_observed(Z, params, self.risk_columns_, self.detection_columns_)
                return log_p - _log1mexp(log_p)
            return self._margins(Z, params, part)

        margin = logit(self._params())
        replicates = np.stack([logit(b) for b in self.bootstrap_params_])
        deviation = replicates - np.median(replicates, axis=0)
        tail = (1 - self.interval) / 2
        low, high = np.quantile(deviation, [tail, 1 - tail], axis=0)
        return expit(margin + low), expit(margin + high)

    def _margins(self, Z, params, part) -> np.ndarray:
        n_r = len(self.risk_columns_)
        if part == "risk":
            return params[0] + Z[:, self.risk_columns_] @ params[1:1 + n_r]
        return params[1 + n_r] + Z[:, self.detection_columns_] @ params[2 + n_r:]

    def _explain(self, X, part="risk") -> tuple[np.ndarray, float]:
        """Per-feature contributions to one part's margin and its base value. [log-odds]

        In the standardised space the training mean is 0, so a feature's contribution is its
        coefficient times its standardised value, plus its missing indicator's term; features
        outside the part contribute 0.
        """
        part = _check_part(part)
        Z = self._design(X)
        cols = self.risk_columns_ if part == "risk" else self.detection_columns_
        coef = self.risk_coef_ if part == "risk" else self.detection_coef_
        base = self.risk_intercept_ if part == "risk" else self.detection_intercept_
        out = np.zeros((len(Z), self.n_features_in_))
        np.add.at(out.T, self._column_owner()[cols], (Z[:, cols] * coef).T)
        return out, float(base)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags


def _check_part(part) -> str:
    if part not in PARTS:
        raise ModelInputError(
            "DetectionAwareLogit", f"'part' is {part!r}; use 'risk' or 'detection'."
        )
    return part


def _empty_as_zero(X):
    """A column with no value at all is set to 0 (constant, never weighted)."""
    empty = np.isnan(X).all(axis=0)
    if empty.any():
        X = X.copy()
        X[:, empty] = 0.0
    return X
