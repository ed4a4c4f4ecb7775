"""risk_since_onset: the model's risk over the steps since a crisis onset, with a band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.flows import risk_since_onset
from forewarn.models import ElasticNetLogit


def test_risk_falls_with_time_since_onset_as_the_data_say():
    rng = np.random.default_rng(0)
    n_regions, n_years = 60, 12
    since = rng.integers(0, 11, size=(n_regions, n_years)).astype(float)
    X = pd.DataFrame({"crisis_conflict__since": since.ravel(),
                      "crisis_conflict__seen": 1.0,
                      "noise": rng.normal(size=since.size)},
                     index=pd.MultiIndex.from_product(
                         [[f"R{i}" for i in range(n_regions)],
                          pd.date_range("2005-01-01", periods=n_years, freq="YS")],
                         names=["region", "time"]))
    y = pd.Series(rng.random(len(X)) < 1 / (1 + np.exp(-(1.0 - 0.5 * X.iloc[:, 0]))),
                  index=X.index).astype(int)
    model = ElasticNetLogit(Cs=(1.0,), l1_ratios=(0.5,), n_splits=2, n_bootstrap=4,
                            random_state=0).fit(X, y)
    curve = risk_since_onset(model, X, "conflict", steps=range(0, 11, 2))
    assert curve["since"].tolist()[:-1] == [0, 2, 4, 6, 8, 10]
    assert np.isnan(curve["since"].iloc[-1])                   # never an onset
    p = curve["probability"].to_numpy()[:-1]
    assert (np.diff(p) < 0).all()                              # learned: risk fades
    assert (curve["lower"] <= curve["probability"] + 1e-12).all()
    assert (curve["probability"] <= curve["upper"] + 1e-12).all()
    with pytest.raises(InputError, match=r"no column 'crisis_flood__since' in the features; is "
                                         r"'flood' in \[features\] crisis_kinds"):
        risk_since_onset(model, X, "flood")
