"""The likelihood of a detection-aware model: log P(detected surge) = log P(surge) +
log P(detected | surge), each part logistic, and its penalised mean negative log-likelihood with
the gradient that :class:`forewarn.models._detection.DetectionAwareLogit` maximises."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit


def _bound(sign):
    return (0, None) if sign > 0 else (None, 0) if sign < 0 else (None, None)


def _log1mexp(log_p):
    """log(1 - exp(log_p)) for log_p <= 0, accurate at both ends. [-]"""
    log_p = np.minimum(log_p, -1e-300)
    return np.where(log_p > -0.6931, np.log(-np.expm1(log_p)), np.log1p(-np.exp(log_p)))


def _log_observed(Z, params, risk_cols, detection_cols):
    """log P(detected surge) of each row. [-]"""
    n_r = len(risk_cols)
    eta_r = params[0] + Z[:, risk_cols] @ params[1:1 + n_r]
    eta_d = params[1 + n_r] + Z[:, detection_cols] @ params[2 + n_r:]
    return log_expit(eta_r) + log_expit(eta_d)


def _objective(params, Z, event, risk_cols, detection_cols, penalty):
    """Mean negative log-likelihood plus the L2 penalty, and its gradient."""
    n_r = len(risk_cols)
    Zr, Zd = Z[:, risk_cols], Z[:, detection_cols]
    eta_r = params[0] + Zr @ params[1:1 + n_r]
    eta_d = params[1 + n_r] + Zd @ params[2 + n_r:]
    log_p = log_expit(eta_r) + log_expit(eta_d)
    log_q = _log1mexp(log_p)
    n = len(Z)
    loss = -(event @ log_p + (1 - event) @ log_q) / n
    # d loglik / d eta_part = expit(-eta_part) * (y - p) / (1 - p)
    w = event - (1 - event) * np.exp(log_p - log_q)
    g_r = expit(-eta_r) * w
    g_d = expit(-eta_d) * w
    coef_r, coef_d = params[1:1 + n_r], params[2 + n_r:]
    loss += 0.5 * penalty * (coef_r @ coef_r + coef_d @ coef_d)
    grad = np.concatenate([[-g_r.sum() / n], -(Zr.T @ g_r) / n + penalty * coef_r,
                           [-g_d.sum() / n], -(Zd.T @ g_d) / n + penalty * coef_d])
    return loss, grad
