"""The detection-aware model's bootstrap refits as units of work: the same parameters wherever
and in whatever order they run, and a failed refit replaced by the next draw's as before."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from forewarn.models import DetectionAwareLogit
from forewarn.models import _detection_refits
from forewarn.models._splits import region_draws
from forewarn.models._validation import region_codes
from forewarn.models._units import units_on

from .test_models_detection import ROLES, simulate


@pytest.fixture(scope="module")
def data():
    X, y, _, _ = simulate(n_regions=120, n_months=24, seed=3)
    return X, y


def _make():
    return DetectionAwareLogit(ROLES, alphas=(1.0,), n_bootstrap=5, random_state=7)


def test_refits_run_as_units_and_give_the_same_parameters(data):
    X, y = data
    plain = _make().fit(X, y)
    calls = []

    def backwards(fn, items, **shared):  # another order, as a cluster's workers may run them
        calls.append(len(items))
        return [fn(item, **shared) for item in items[::-1]][::-1]

    with units_on(backwards):
        spread = _make().fit(X, y)
    np.testing.assert_array_equal(spread.bootstrap_params_, plain.bootstrap_params_)
    assert calls == [5]  # the five refits, one unit each, sent together


def test_a_failed_refit_is_replaced_by_the_next_draws(data, monkeypatch):
    """Refits that find no finite likelihood (here: about every other draw, by its rows) are
    replaced by later draws in the draws' order, as fitting them one by one does."""
    X, y = data
    real = _detection_refits._refit

    def fails(rows):
        return zlib.crc32(rows[:50].tobytes()) % 2 == 0

    monkeypatch.setattr(_detection_refits, "_refit", lambda rows, **kw: None if fails(rows)
                        else real(rows, **kw))
    got = _make().fit(X, y)
    # What a loop fitting the draws one after the other keeps.
    reference = _make().set_params(n_bootstrap=0).fit(X, y)
    start = reference._params()
    Z = reference._design(X)
    event = y.to_numpy().astype(np.float64)
    regions = region_codes(X)
    random = np.random.RandomState(7)
    want, skipped = [], 0
    for rows in region_draws(regions, random, 50):
        if len(np.unique(event[rows])) < 2:
            continue
        if fails(rows):
            skipped += 1
            continue
        want.append(reference._maximise(Z[rows], event[rows], None, start=start)[0])
        if len(want) == 5:
            break
    assert skipped > 0  # the failures were exercised
    np.testing.assert_allclose(got.bootstrap_params_, np.array(want), rtol=0, atol=0)
