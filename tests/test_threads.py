"""Thread counts: sized to the cores the process may use, passive OpenMP waiting, same models."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

from forewarn._threads import thread_limits, usable_cores
from forewarn.errors import InputError


def test_usable_cores_follows_the_affinity_and_the_override(monkeypatch):
    monkeypatch.delenv("FOREWARN_THREADS", raising=False)
    assert usable_cores() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("FOREWARN_THREADS", "3")
    assert usable_cores() == 3
    monkeypatch.setenv("FOREWARN_THREADS", "many")
    with pytest.raises(InputError, match=r"FOREWARN_THREADS: is 'many'; give a whole number"):
        usable_cores()


@pytest.mark.slow  # fits models under several thread limits
def test_limits_apply_inside_and_results_do_not_depend_on_them(monkeypatch):
    from forewarn.models import AdditiveBoosting

    monkeypatch.setenv("FOREWARN_THREADS", "1")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3000, 4)), columns=list("abcd"))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(X["a"] - 2)))).astype(int)
    fits = []
    for n in (1, 2):
        with thread_limits(n):
            assert {i["num_threads"] for i in threadpool_info()} == {n}
            m = AdditiveBoosting({c: 1 for c in "abcd"}, max_iter=30, n_bootstrap=2).fit(X, y)
            fits.append(m.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(fits[0], fits[1])
    assert os.environ.get("OMP_WAIT_POLICY") in ("PASSIVE", "passive", "ACTIVE", "active")


@pytest.mark.slow  # two fresh interpreters import scikit-learn
def test_import_asks_for_passive_waiting_or_runs_one_thread_when_openmp_spins():
    """OpenMP reads its wait policy when it loads: forewarn imported first asks for passive
    waiting; imported after scikit-learn loaded a spinning runtime, its work runs one OpenMP
    thread (BLAS keeps every core)."""
    import json
    import subprocess
    import sys

    probe = ("import os, json, threadpoolctl\n"
             "FIRST\n"
             "import forewarn\nfrom forewarn._threads import openmp_spins, thread_limits\n"
             "policy = os.environ.get('OMP_WAIT_POLICY')\n"
             "import sklearn.ensemble\n"
             "with thread_limits(2):\n"
             "    info = {i['user_api']: i['num_threads'] for i in threadpoolctl.threadpool_info()}\n"
             "print(json.dumps([policy, openmp_spins(), info]))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "FOREWARN_THREADS")}
    env["FOREWARN_THREADS"] = "2"
    runs = {}
    for name, first in (("forewarn first", "pass"), ("sklearn first", "import sklearn.ensemble")):
        out = subprocess.run([sys.executable, "-c", probe.replace("FIRST", first)], env=env,
                             capture_output=True, text=True, check=True).stdout
        runs[name] = json.loads(out)
    assert runs["forewarn first"] == ["PASSIVE", False, {"blas": 2, "openmp": 2}]
    assert runs["sklearn first"] == [None, True, {"blas": 2, "openmp": 1}]


def test_by_default_openmp_runs_one_thread_and_blas_every_core(monkeypatch):
    """Boosting fits of a few thousand rows run fastest on one OpenMP thread; FOREWARN_THREADS
    (or an explicit count) gives OpenMP more."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP)

    monkeypatch.delenv("FOREWARN_THREADS", raising=False)
    with thread_limits():
        info = {i["user_api"]: i["num_threads"] for i in threadpool_info()}
    assert info == {"blas": usable_cores(), "openmp": 1}
    monkeypatch.setenv("FOREWARN_THREADS", "2")
    with thread_limits():
        info = {i["user_api"]: i["num_threads"] for i in threadpool_info()}
    assert info == {"blas": 2, "openmp": 2}


@pytest.mark.slow  # a fresh interpreter imports scikit-learn
def test_limits_hold_for_openmp_loaded_inside_them():
    """threadpoolctl limits only the libraries already loaded: the first unit of a process
    imports the estimators inside its limits, and its OpenMP must still run one thread."""
    import subprocess
    import sys

    probe = ("import forewarn\nfrom forewarn._threads import thread_limits\n"
             "import sys\nassert 'sklearn' not in sys.modules\n"
             "with thread_limits():\n"
             "    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads\n"
             "    print(_openmp_effective_n_threads())\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "FOREWARN_THREADS")}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1"


def test_a_large_fit_uses_every_core_of_its_budget(monkeypatch):
    """One OpenMP thread by default, but a fit of LARGE_FIT_ROWS or more rows gets every core
    the block may use (a grid's 6-month model: 316 s on one thread, 183 s on two); outside any
    block, or on a one-core budget (a Dask worker), nothing changes."""
    import sklearn.ensemble  # noqa: F401  (loads OpenMP)

    from forewarn import _threads
    from forewarn._threads import LARGE_FIT_ROWS, fit_threads

    def openmp():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"}

    monkeypatch.delenv("FOREWARN_THREADS", raising=False)
    monkeypatch.setattr(_threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(_threads, "_SPINNING", False)
    with thread_limits():
        assert openmp() == {1}
        with fit_threads(LARGE_FIT_ROWS - 1):
            assert openmp() == {1}
        with fit_threads(LARGE_FIT_ROWS):
            assert openmp() == {2}
        assert openmp() == {1}
    with thread_limits(1), fit_threads(10 * LARGE_FIT_ROWS):
        assert openmp() == {1}
    outside = openmp()
    with fit_threads(10 * LARGE_FIT_ROWS):
        assert openmp() == outside
    monkeypatch.setattr(_threads, "_SPINNING", True)  # a spinning runtime keeps one thread
    with thread_limits(), fit_threads(10 * LARGE_FIT_ROWS):
        assert openmp() == {1}
