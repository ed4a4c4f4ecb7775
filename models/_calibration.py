"""Logistic fits of an outcome on one score: Platt scaling and the calibration slope."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["fit_platt", "logistic_1d", "logit"]

_EPS = 1e-12


def logit(p) -> np.ndarray:
    """Log-odds of probabilities, clipped to [1e-12, 1 - 1e-12] so 0 and 1 stay finite.
    [log-odds]"""
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def fit_platt(margin, y) -> tuple[float, float]:
    """Platt scaling in log-odds: ``a, b`` such that ``sigmoid(a * margin + b)`` is calibrated.

    Uses Platt's (1999) smoothed targets, ``(N+ + 1) / (N+ + 2)`` for events and
    ``1 / (N- + 2)`` for non-events, which keep ``a`` finite when the margin separates the
    classes perfectly (small validation folds).

    Parameters
    ----------
    margin : array-like of shape (n,)
        Uncalibrated model output. [log-odds]
    y : array-like of shape (n,)
        Outcomes, 0 or 1, with both present.

    Returns
    -------
    a, b : float
        Slope [-] and intercept [log-odds] of the calibration map.
    """
    y = np.asarray(y, dtype=float)
    n_pos = y.sum()
    target = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (len(y) - n_pos + 2))
    a, b, _ = logistic_1d(margin, target)
    return a, b


def logistic_1d(x, target, max_iter=100, tol=1e-10) -> tuple[float, float, bool]:
    """Maximum-likelihood ``slope, intercept`` of ``P(y = 1) = sigmoid(slope * x + intercept)``.

    Newton's method with step halving; targets may be soft (between 0 and 1).

    Returns
    -------
    slope, intercept : float
    converged : bool
        False when the iterations ran out, as they do when ``x`` separates hard 0/1 targets
        perfectly (the maximum likelihood is then at an infinite slope).
    """
    x = np.asarray(x, dtype=float)
    target = np.asarray(target, dtype=float)
    design = np.column_stack([x, np.ones_like(x)])
    theta = np.zeros(2)

    def loss(t):
        z = design @ t
        # log(1 + e^z) - target * z, written to stay finite for large |z|
        return float(np.sum(np.logaddexp(0.0, z) - target * z))

    current = loss(theta)
    for _ in range(max_iter):
        p = expit(design @ theta)
        grad = design.T @ (p - target)
        hess = (design * (p * (1 - p))[:, None]).T @ design + 1e-12 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        size = 1.0
        while size > 1e-10:
            trial = theta - size * step
            new = loss(trial)
            if new <= current:
                break
            size /= 2
        else:
            return float(theta[0]), float(theta[1]), False
        theta, improvement, current = trial, current - new, new
        if improvement <= tol * max(1.0, abs(current)) and np.max(np.abs(size * step)) < 1e-8:
            return float(theta[0]), float(theta[1]), True
    return float(theta[0]), float(theta[1]), False
