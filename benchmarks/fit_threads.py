"""One additive boosting fit on 1 and on 2 OpenMP threads, by training rows: where threads pay.

    .venv/bin/python benchmarks/fit_threads.py [--rows 5000,20000,...] [--features 39]

Fits scikit-learn's HistGradientBoostingClassifier as forewarn's AdditiveBoosting does (one
feature per tree, monotone constraints on a few features, 100 trees of at most 8 leaves, no
early stopping) on synthetic rows with missing values, best of ``--repeat`` fits per thread
count, and prints the times and the speed-up. ``forewarn._threads.LARGE_FIT_ROWS`` (from where
a fit uses every core of its budget) is chosen from this table. A benchmark that prints
figures, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", default="5000,20000,50000,100000,200000,500000")
    p.add_argument("--features", type=int, default=39)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as forewarn asks, before OpenMP loads
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    n_max = max(int(r) for r in args.rows.split(","))
    k = args.features
    X_all = rng.normal(size=(n_max, k))
    X_all[rng.random((n_max, k)) < 0.05] = np.nan
    y_all = (np.nan_to_num(X_all[:, :5]).sum(1) + rng.normal(size=n_max) > 2.5).astype(int)
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {k} features, 100 trees")
    print("| rows | 1 thread [s] | 2 threads [s] | speed-up |")
    print("|---:|---:|---:|---:|")
    for n in (int(r) for r in args.rows.split(",")):
        X, y = X_all[:n], y_all[:n]
        best = {}
        for threads in (1, 2):
            times = []
            for _ in range(args.repeat):
                model = HistGradientBoostingClassifier(
                    max_iter=100, max_leaf_nodes=8, interaction_cst="no_interactions",
                    monotonic_cst=[1] * 5 + [0] * (k - 5), early_stopping=False,
                    random_state=0)
                with threadpool_limits(limits={"openmp": threads}):
                    t0 = time.perf_counter()
                    model.fit(X, y)
                    times.append(time.perf_counter() - t0)
            best[threads] = min(times)
        print(f"| {n:,} | {best[1]:.2f} | {best[2]:.2f} | {best[1] / best[2]:.2f}x |",
              flush=True)


if __name__ == "__main__":
    main()
