"""Synthetic region-month rows with a known additive truth, for the model tests and the tests
that fit models elsewhere (on Dask workers, in a trained horizon).

Imported by name: pyproject puts tests/ on pytest's path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: True log-odds: a raises risk, b lowers it, c raises it with saturation; n1, n2 are noise.
INFORMATIVE = ("a", "b", "c")
NOISE = ("n1", "n2")
DIRECTIONS = {"a": 1, "b": -1, "c": 1}


def true_margin(X: pd.DataFrame) -> pd.Series:
    """The log-odds the synthetic outcome is drawn from; a missing b counts as its mean, 0."""
    return -1.0 + 1.2 * X["a"] - 0.9 * X["b"].fillna(0.0) + 0.8 * np.tanh(2 * X["c"])


def make_panel(n_regions=40, n_months=36, seed=0, missing=0.05, start="2015-01-01"):
    """Features X (index region, time), a 0/1 outcome y and the true event probability."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [[f"R{i:03d}" for i in range(n_regions)], pd.date_range(start, periods=n_months, freq="MS")],
        names=["region", "time"],
    )
    X = pd.DataFrame(rng.normal(size=(len(index), 5)), index=index, columns=[*INFORMATIVE, *NOISE])
    X.loc[rng.random(len(X)) < missing, "b"] = np.nan
    p = 1 / (1 + np.exp(-true_margin(X)))
    y = pd.Series((rng.random(len(X)) < p).astype(int), index=index, name="event")
    return X, y, p
