"""Plain-language drivers from contributions."""

import numpy as np
import pandas as pd
import pytest

from forewarn.models import ModelInputError, explain, top_drivers

META = {
    "a": {"phrase": "displacement in the last 6 months is {value:.1f}× its usual level"},
    "b": {"label": "State capacity", "unit": "score"},
    "c": {"long_name": "Conflict deaths", "units": "-"},
}


def _frames():
    index = pd.MultiIndex.from_tuples([("R1", pd.Timestamp("2020-01-01")),
                                       ("R2", pd.Timestamp("2020-01-01"))], names=["region", "time"])
    X = pd.DataFrame({"a": [3.1, 1.0], "b": [20.0, np.nan], "c": [5.0, 0.0], "n1": [0.1, 0.2]},
                     index=index)
    contributions = pd.DataFrame({"a": [0.8, -0.1], "b": [0.3, 0.2], "c": [-0.5, 0.0],
                                  "n1": [0.0, -0.4]}, index=index)
    return contributions, X


def test_drivers_read_as_sentences():
    contributions, X = _frames()
    table = top_drivers(contributions, X, META, n=2)
    r1 = table[table.region == "R1"]
    assert list(r1.side) == ["up", "up", "down"]
    assert list(r1.feature) == ["a", "b", "c"]
    assert r1.text.tolist() == [
        "displacement in the last 6 months is 3.1× its usual level: +0.80 log-odds",
        "State capacity is 20 score: +0.30 log-odds",
        "Conflict deaths is 5: -0.50 log-odds",
    ]
    r2 = table[table.region == "R2"]
    assert r2.text.tolist() == [
        "State capacity: no data: +0.20 log-odds",
        "n1 is 0.2: -0.40 log-odds",
        "displacement in the last 6 months is 1.0× its usual level: -0.10 log-odds",
    ]
    assert list(table.columns) == ["region", "time", "side", "rank", "feature", "value",
                                   "contribution", "text"]
    assert r2["rank"].tolist() == [1, 1, 2]


def test_drivers_for_explained_model_rows(linear_model, panel):
    X, _, _ = panel
    rows = X.xs(pd.Timestamp("2017-12-01"), level="time", drop_level=False)
    contributions, _ = explain(linear_model, rows)
    table = top_drivers(contributions, rows, n=1)
    assert set(table.side) <= {"up", "down"}
    assert table.groupby(["region", "side"]).size().max() == 1
    strongest = contributions.abs().idxmax(axis=1)
    picked = table.loc[table.contribution.abs().groupby(table.region).idxmax()]
    assert (picked.set_index("region").feature == strongest.droplevel("time")).all()


def test_unnamed_index_becomes_a_row_column():
    contributions, X = _frames()
    table = top_drivers(contributions.reset_index(drop=True), X.reset_index(drop=True), n=1)
    assert table.columns[0] == "row" and set(table.row) == {0, 1}


@pytest.mark.parametrize("change, message", [
    (lambda c, X: (c, X.drop(columns="a")), r"X lacks the columns \['a'\] that have contributions"),
    (lambda c, X: (c, X.iloc[::-1]), "contributions and X have different row indexes"),
])
def test_mismatched_inputs(change, message):
    contributions, X = change(*_frames())
    with pytest.raises(ModelInputError, match=message):
        top_drivers(contributions, X)


def test_bad_meta_and_n():
    contributions, X = _frames()
    with pytest.raises(ModelInputError, match="the phrase of feature 'a' .'{level}'. does not format"):
        top_drivers(contributions, X, {"a": {"phrase": "{level}"}})
    with pytest.raises(ModelInputError, match="'meta' is a list; pass a mapping"):
        top_drivers(contributions, X, [1])
    with pytest.raises(ModelInputError, match="'n' must be an int >= 1; got 0"):
        top_drivers(contributions, X, n=0)
