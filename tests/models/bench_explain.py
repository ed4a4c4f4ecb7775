"""Measure exact explanations against shap on a grid-cell-sized matrix (run by hand, not by pytest).

    .venv/bin/python tests/models/bench_explain.py [n_rows] [n_features]

Fits both model families once on synthetic data (additive truth, 5% missing values), then times
:func:`forewarn.models.explain` and the matching shap explainer on the same rows and prints the
largest difference between them.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
import shap

from forewarn.models import AdditiveBoosting, ElasticNetLogit, explain


def _data(n_rows: int, n_features: int, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, n_features)),
                     columns=[f"f{j:02d}" for j in range(n_features)])
    X = X.mask(rng.random(X.shape) < 0.05)
    margin = -2 + X.iloc[:, :5].fillna(0).to_numpy() @ np.array([1.0, -0.8, 0.6, 0.4, -0.3])
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-margin))).astype(int)
    return X, y


def _timed(function, *args):
    start = time.perf_counter()
    out = function(*args)
    return out, time.perf_counter() - start


def main(n_rows=65_000, n_features=40):
    X, y = _data(n_rows, n_features)
    print(f"{n_rows} rows x {n_features} features, {int(X.isna().to_numpy().sum())} missing")

    boosted, seconds = _timed(AdditiveBoosting(max_iter=200, n_bootstrap=0).fit, X, y)
    print(f"AdditiveBoosting fit: {seconds:.1f} s")
    (ours, _), t_ours = _timed(explain, boosted, X)
    values, t_shap = _timed(shap.TreeExplainer(boosted.estimator_).shap_values, X.to_numpy())
    gap = np.abs(ours.to_numpy() - boosted.calibration_slope_ * values).max()
    print(f"  explain: {t_ours:.3f} s   shap.TreeExplainer: {t_shap:.1f} s   "
          f"speed-up {t_shap / t_ours:.0f}x   max |difference| {gap:.1e} log-odds")

    linear, seconds = _timed(ElasticNetLogit(n_bootstrap=0).fit, X, y)
    print(f"ElasticNetLogit fit: {seconds:.1f} s")
    (ours, _), t_ours = _timed(explain, linear, X)
    pipeline = linear.estimator_
    Z = pipeline[:-1].transform(X.to_numpy())
    explainer = shap.LinearExplainer(pipeline[-1], shap.maskers.Independent(Z, max_samples=len(Z)))
    values, t_shap = _timed(explainer.shap_values, Z)
    per_feature = values[:, :n_features].copy()
    per_feature[:, pipeline[0].indicator_.features_] += values[:, n_features:]
    gap = np.abs(ours.to_numpy() - linear.calibration_slope_ * per_feature).max()
    print(f"  explain: {t_ours:.3f} s   shap.LinearExplainer: {t_shap:.3f} s   "
          f"max |difference| {gap:.1e} log-odds")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
