"""Node aggregation over present children, and the shares that split a node among them."""

from __future__ import annotations

import functools
import operator

import numpy as np
import xarray as xr

# INFORM maps a 0-10 score x to (10 - x) / 10 * 9 + 1, in [1, 10] with 10 for no risk, so
# that the geometric mean never meets a zero; the node maps the mean back to 0-10.
_TOP = 10.0


def _sum(arrays):
    return functools.reduce(operator.add, arrays)


def _weights(xs, weights):
    """Weights of the children present at each point, renormalised to sum to 1, and their sum."""
    raw = [xr.where(x.notnull(), float(w), 0.0) for x, w in zip(xs, weights)]
    total = _sum(raw)
    safe = xr.where(total > 0, total, 1.0)
    return [r / safe for r in raw], total > 0


def _inform_y(x):
    return (_TOP - x) / _TOP * 9.0 + 1.0


def aggregate(kind: str, xs: list[xr.DataArray], weights) -> xr.DataArray:
    """Value of a node from its children's 0-10 values (NaN = missing, left out).

    Parameters
    ----------
    kind : {"arithmetic", "geometric", "inform_geometric", "max"}
        The node's aggregation (see :class:`~forewarn.index.Node`).
    xs : list of xarray.DataArray
        The children's values, all on the same dims. [-]
    weights : sequence of float
        One weight per child.

    Returns
    -------
    xarray.DataArray
        The node's value in [0, 10]; NaN where no child is present (for the means: no child
        with a weight above 0). [-]
    """
    if kind == "max":
        terms = [float(w) * x for x, w in zip(xs, weights)]
        return functools.reduce(np.fmax, terms)
    a, any_present = _weights(xs, weights)
    if kind == "arithmetic":
        value = _sum(ai * x.fillna(0.0) for ai, x in zip(a, xs))
    elif kind == "geometric":
        # Logs only of positive values; a zero child (with weight) zeroes the node.
        zero = functools.reduce(operator.or_, [(x == 0) & (ai > 0) for ai, x in zip(a, xs)])
        log_mean = _sum(ai * np.log(xr.where(x > 0, x, 1.0)) for ai, x in zip(a, xs))
        value = xr.where(zero, 0.0, np.exp(log_mean))
    else:  # inform_geometric
        log_mean = _sum(ai * np.log(_inform_y(x.fillna(0.0))) for ai, x in zip(a, xs))
        value = (_TOP - np.exp(log_mean)) / 9.0 * _TOP
    # exp(log(10)) may come back as 10.000000000000002: keep the node on its 0-10 scale.
    return xr.where(any_present, value.clip(0.0, _TOP), np.nan)


def shares(kind: str, xs: list[xr.DataArray], weights) -> list[xr.DataArray]:
    """Each child's share of its node's value, for the exact decomposition.

    The shares are non-negative, sum to exactly 1 over the present children (0 for a missing
    child) and never fall when the child's own value rises:

    - ``"arithmetic"``: ``a_i x_i / sum(a_j x_j)``, the weighted mean's own terms.
    - ``"inform_geometric"``: ``a_i L_i / sum(a_j L_j)`` with ``L_i = ln(10 / y_i)`` and
      ``y_i = (10 - x_i) / 10 * 9 + 1``. The node equals ``(10 - 10 exp(-D)) / 9 * 10`` with
      ``D = sum(a_i L_i)``, so each child's share is its exact share of ``D``; ``L_i`` is 0
      for a child at 0 and ``ln 10`` for a child at 10.
    - ``"geometric"``: ``a_i x_i / sum(a_j x_j)``, as for the arithmetic mean. Log shares
      ``a_i ln x_i / ln v`` change sign below 1 and blow up as the node nears 1, and Euler's
      split of a geometric mean gives every child its weight whatever its value, so neither
      shows what drives a node on a 0-10 scale; value shares do, and stay exact.
    - ``"max"``: all to the child that attains the maximum (split evenly on a tie).

    When every numerator is 0 (the node is 0), the shares fall back to the renormalised
    weights (even split for ``"max"``); the node's value being 0, contributions are 0 anyway.

    Parameters
    ----------
    kind : str
        The node's aggregation.
    xs : list of xarray.DataArray
        The children's values. [-]
    weights : sequence of float
        One weight per child.

    Returns
    -------
    list of xarray.DataArray
        One share per child, in [0, 1]. [-]
    """
    if kind == "max":
        terms = [float(w) * x for x, w in zip(xs, weights)]
        top = functools.reduce(np.fmax, terms)
        numerators = [xr.where(t == top, 1.0, 0.0) for t in terms]
        fallback = [xr.where(x.notnull(), 1.0, 0.0) for x in xs]
    else:
        a, _ = _weights(xs, weights)
        if kind == "inform_geometric":
            numerators = [ai * np.log(_TOP / _inform_y(x.fillna(0.0))) for ai, x in zip(a, xs)]
        else:
            numerators = [ai * x.fillna(0.0) for ai, x in zip(a, xs)]
        fallback = a
    total = _sum(numerators)
    fallback_total = _sum(fallback)
    use = total > 0
    num = [xr.where(use, n, f) for n, f in zip(numerators, fallback)]
    den = xr.where(use, total, xr.where(fallback_total > 0, fallback_total, 1.0))
    return [n / den for n in num]
