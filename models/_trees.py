"""Read an additive histogram-gradient-boosting model as one step function per feature."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from forewarn._threads import usable_cores
from forewarn.models._validation import ModelInputError

__all__ = ["ShapeTables", "shape_tables"]


@dataclass(frozen=True)
class ShapeTables:
    """The exact additive form of a boosted model without interactions.

    ``raw margin = base + sum_j g_j(x_j)`` where ``g_j`` is a step function: on the interval
    ``(thresholds[j][i - 1], thresholds[j][i]]`` it takes ``values[j][i]`` (the last value holds
    above the last threshold) and it takes ``missing[j]`` where ``x_j`` is NaN. Each tree's part is
    its leaf value minus the cover-weighted mean of its leaves, as in
    :class:`shap.TreeExplainer`, so ``g_j`` is centred on the training data.

    Parameters
    ----------
    base : float
        Baseline prediction plus every tree's cover-weighted mean. [log-odds]
    thresholds : tuple of ndarray
        Sorted split thresholds per feature (empty for a feature no tree uses). [feature units]
    values : tuple of ndarray
        ``len(thresholds[j]) + 1`` step values per feature. [log-odds]
    missing : ndarray of shape (n_features,)
        Value of ``g_j`` for a missing ``x_j``. [log-odds]
    """

    base: float
    thresholds: tuple
    values: tuple
    missing: np.ndarray

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """``g_j(x_j)`` for every row and feature of a float array, one binary search per
        feature; large arrays split their features over threads (numpy's search releases the
        GIL; every column is computed alone, so the result does not depend on the threads).
        [log-odds]"""
        out = np.empty(X.shape, dtype=float)
        features = range(X.shape[1])
        n_threads = min(usable_cores(), 8, X.shape[1])
        if X.shape[0] < _THREADED_ROWS or n_threads < 2:
            self._fill(X, out, features)
            return out
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(lambda part: self._fill(X, out, part),
                          [features[i::n_threads] for i in range(n_threads)]))
        return out

    def _fill(self, X, out, features) -> None:
        for j in features:
            # numpy sorts NaN after +inf: with +inf appended to the cuts, every number (+inf
            # included) finds its interval as before and NaN lands one past it, on the value
            # for a missing x_j - one pass, no separate NaN mask.
            index = np.searchsorted(np.append(self.thresholds[j], np.inf), X[:, j], side="left")
            out[:, j] = np.append(self.values[j], self.missing[j])[index]


#: Rows from which :meth:`ShapeTables.contributions` uses threads. [rows]
_THREADED_ROWS = 20_000


def shape_tables(model, n_features: int) -> ShapeTables:
    """Step functions of a fitted binary :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.

    Raises
    ------
    ModelInputError
        A tree splits on more than one feature (the model was not fitted with
        ``interaction_cst="no_interactions"``) or on a categorical feature.
    """
    base = float(np.ravel(model._baseline_prediction)[0])
    trees = [[] for _ in range(n_features)]
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        split = nodes["is_leaf"] == 0
        leaf = ~split
        if not split.any():
            base += float(nodes["value"][0])
            continue
        features = np.unique(nodes["feature_idx"][split])
        if len(features) != 1 or nodes["is_categorical"][split].any():
            raise ModelInputError(
                "shape_tables",
                "a tree of the boosted model splits on several features or on a categorical "
                "one, so the model is not additive; fit it with interaction_cst='no_interactions' "
                "and numeric features only (AdditiveBoosting does both).",
            )
        mean = float(np.average(nodes["value"][leaf], weights=nodes["count"][leaf]))
        base += mean
        trees[int(features[0])].append((nodes, mean))
    thresholds, values, missing = [], [], np.zeros(n_features)
    for j, feature_trees in enumerate(trees):
        cuts = np.unique(np.concatenate(
            [nodes["num_threshold"][nodes["is_leaf"] == 0] for nodes, _ in feature_trees]
            or [np.empty(0)]
        ))
        # Interval i is (cuts[i-1], cuts[i]]: cuts[i] itself lies in it, +inf in the last one.
        points = np.append(cuts, [np.inf, np.nan])
        steps = np.zeros(len(points))
        for nodes, mean in feature_trees:
            steps += _leaf_values(nodes, points) - mean
        thresholds.append(cuts)
        values.append(steps[:-1])
        missing[j] = steps[-1]
    return ShapeTables(base, tuple(thresholds), tuple(values), missing)


def _leaf_values(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Leaf value reached by each point, following scikit-learn's rule (NaN by the learned side)."""
    node = np.zeros(len(x), dtype=np.intp)
    while True:
        at_leaf = nodes["is_leaf"][node].astype(bool)
        if at_leaf.all():
            return nodes["value"][node]
        go_left = np.where(np.isnan(x), nodes["missing_go_to_left"][node].astype(bool),
                           x <= nodes["num_threshold"][node])
        child = np.where(go_left, nodes["left"][node], nodes["right"][node])
        node = np.where(at_leaf, node, child)
