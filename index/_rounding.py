"""Half-up rounding as spreadsheets do it, so that published INFORM numbers can be reproduced."""

from __future__ import annotations

import numpy as np

__all__ = ["round_half_up"]

# Excel rounds the decimal number it displays (15 significant digits), not the binary double:
# 2.675 is stored as 2.67499999999999982236431605997495353221893310546875 yet ROUND(2.675, 2)
# gives 2.68. Snapping to 15 significant digits first removes that representation error.
_SIGNIFICANT_DIGITS = 15


def round_half_up(x, ndigits=0):
    """Round half away from zero to ``ndigits`` decimals, as Excel's ``ROUND`` does.

    NumPy and Python round half to even (``round(0.125, 2) == 0.12``) and act on the binary
    double (``round(2.675, 2) == 2.67``); INFORM's spreadsheets give 0.13 and 2.68. This function
    first snaps ``x * 10**ndigits`` to 15 significant digits (the precision Excel works in), then
    rounds halves away from zero.

    Parameters
    ----------
    x : float or array_like
        Values to round; NaN and infinities pass through unchanged.
    ndigits : int
        Number of decimals to keep (may be negative: -1 rounds to tens).

    Returns
    -------
    float or numpy.ndarray
        The rounded values, same shape as ``x``; a float for a scalar input.

    Examples
    --------
    >>> round_half_up(2.675, 2)
    2.68
    >>> round_half_up([0.25, -0.25, 1.45], 1)
    array([ 0.3, -0.3,  1.5])
    """
    if not isinstance(ndigits, (int, np.integer)) or isinstance(ndigits, bool):
        raise TypeError(f"round_half_up: 'ndigits' must be an int; got {ndigits!r}.")
    arr = np.asarray(x, dtype=float)
    factor = 10.0 ** int(ndigits)
    with np.errstate(over="ignore"):  # a huge value overflows to inf and is left as it is
        scaled = np.abs(arr) * factor
    # From 15 integer digits on (and for NaN and infinities) there are no decimals left to round.
    roundable = scaled < 10.0**_SIGNIFICANT_DIGITS
    # Below 1e-300 nothing needs snapping (it rounds to 0) and 10**exponent would underflow.
    positive = np.where(roundable & (scaled > 1e-300), scaled, 1.0)
    # Snap with an exact power of ten as the divisor: multiplying by an inexact 1e-11 turned
    # 1931.5 into 1931.4999999999998 (found by the property test).
    exponent = (_SIGNIFICANT_DIGITS - 1) - np.floor(np.log10(positive))
    inverse = 10.0 ** np.minimum(exponent, 300)
    with np.errstate(over="ignore", invalid="ignore"):
        snapped = np.round(np.where(roundable, scaled, 0.0) * inverse) / inverse
    magnitude = np.where(roundable, np.floor(snapped + 0.5) / factor, np.abs(arr))
    # Adding 0.0 turns the -0.0 that copysign leaves for small negatives into 0.0.
    out = np.copysign(magnitude, arr) + 0.0
    if np.ndim(x) == 0:
        return float(out)
    return out
