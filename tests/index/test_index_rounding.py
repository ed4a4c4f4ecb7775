"""Half-up rounding matches Excel's ROUND, not Python's half-to-even."""

import doctest
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forewarn.index._rounding as rounding_module
from forewarn.index import round_half_up


@pytest.mark.parametrize(
    ("x", "ndigits", "expected"),
    [
        (2.675, 2, 2.68),   # stored as 2.67499999..., Excel still gives 2.68
        (1.005, 2, 1.01),
        (0.125, 2, 0.13),   # Python's round gives 0.12
        (0.15, 1, 0.2),
        (0.25, 1, 0.3),
        (1.45, 1, 1.5),
        (8.05, 1, 8.1),
        (-2.5, 0, -3.0),    # halves go away from zero
        (-0.25, 1, -0.3),
        (-0.04, 1, 0.0),
        (1234.5, -1, 1230.0),
        (1235.0, -1, 1240.0),
        (0.0, 3, 0.0),
    ],
)
def test_known_values(x, ndigits, expected):
    got = round_half_up(x, ndigits)
    assert got == expected
    assert isinstance(got, float)


def test_no_negative_zero():
    assert str(round_half_up(-0.04, 1)) == "0.0"


def test_arrays_nan_inf_and_huge():
    out = round_half_up(np.array([[0.25, np.nan], [np.inf, -np.inf]]), 1)
    np.testing.assert_array_equal(out, [[0.3, np.nan], [np.inf, -np.inf]])
    assert round_half_up(1e20, 1) == 1e20
    assert round_half_up(123456789012345.6, 0) == 123456789012346.0


def test_ndigits_must_be_int():
    with pytest.raises(TypeError, match=r"'ndigits' must be an int; got 1.0"):
        round_half_up(1.25, 1.0)


@settings(max_examples=200, deadline=None)
@given(
    digits=st.integers(min_value=-10**9, max_value=10**9),
    scale=st.integers(min_value=1, max_value=6),
    ndigits=st.integers(min_value=0, max_value=4),
)
def test_matches_decimal_half_up(digits, scale, ndigits):
    text = str(Decimal(digits).scaleb(-scale))
    expected = float(Decimal(text).quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP))
    assert round_half_up(float(text), ndigits) == expected


def test_doctests():
    assert doctest.testmod(rounding_module).failed == 0
