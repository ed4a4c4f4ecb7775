"""Synthetic region-month panels with a known additive truth, and models fitted on them once."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits

from forewarn.models import AdditiveBoosting, ElasticNetLogit
from synthetic_models import DIRECTIONS, make_panel

@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """One OpenMP/BLAS thread: the test machine's cores are shared, and oversubscribed OpenMP
    spin-waits make small boosting fits many times slower."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def panel():
    return make_panel()


@pytest.fixture(scope="session")
def linear_model(panel):
    X, y, _ = panel
    return ElasticNetLogit(n_bootstrap=10).fit(X, y)


@pytest.fixture(scope="session")
def boosted_model(panel):
    X, y, _ = panel
    return AdditiveBoosting(DIRECTIONS, max_iter=60, n_bootstrap=5).fit(X, y)


@pytest.fixture(scope="session", params=["linear", "boosted"])
def fitted(request, linear_model, boosted_model):
    """Each fitted model family in turn."""
    return linear_model if request.param == "linear" else boosted_model
