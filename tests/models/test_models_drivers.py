"""Plain-language drivers from contributions."""

import numpy as np
import pandas as pd
import pytest

from forewarn.models import ModelInputError, describe_value, explain, top_drivers

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


# The catalogue's words: the phrases forewarn.features writes into every feature's attrs.
CATALOGUE_WORDS = [
    ("crisis_conflict__since", {"phrase": "months since the latest conflict began (at most 120)",
                                "units": "months"}, 37.0,
     "37 months since the latest conflict began"),
    ("crisis_conflict__since", {"phrase": "months since the latest conflict began (at most 120)",
                                "units": "months"}, 120.0,
     "no conflict began in the last 10 years"),
    ("crisis_displacement__since", {"phrase": "years since the latest displacement began "
                                              "(at most 10)"}, 2.0,
     "2 years since the latest displacement began"),
    ("crisis_displacement__since", {"phrase": "years since the latest displacement began "
                                              "(at most 10)"}, 10.0,
     "no displacement began in the last 10 years"),
    ("crisis_armed_conflict__since", {"phrase": "months since the latest armed_conflict began "
                                                "(at most 120)"}, 5.0,
     "5 months since the latest armed conflict began"),
    ("crisis_conflict__seen", {"phrase": "a conflict has begun in this region before",
                               "units": "-"}, 1.0, "a conflict has begun in this region before"),
    ("crisis_conflict__ongoing", {"phrase": "a conflict is going on", "units": "-"}, 0.0,
     "not: a conflict is going on"),
    ("transit_exposure__imputed", {"phrase": "transit-route exposure carried forward from an "
                                             "earlier period", "kind": "flag", "units": "-"},
     1.0, "transit-route exposure: no new data, last value carried forward"),
    ("transit_exposure__imputed", {"phrase": "transit-route exposure carried forward from an "
                                             "earlier period", "kind": "flag"}, 0.0,
     "transit-route exposure: up to date"),
    ("displaced__rel36", {"phrase": "people displaced relative to its usual level (median of "
                                    "the previous 36 months)", "units": "-"}, 3.14,
     "people displaced is 3.1× its usual level"),
    ("conflict_deaths__log1p", {"phrase": "conflict deaths (log scale)",
                                "units": "log(1 + deaths)"}, np.log1p(1234.0),
     "conflict deaths is 1,234 deaths"),
    ("corruption_control", {"phrase": "control of corruption", "units": "score 0-100"}, 62.5,
     "control of corruption is 62.5 (score 0-100)"),
    ("population", {"phrase": "population", "units": "persons"}, 576512.0,
     "population is 5.765e+05 persons"),
    ("poverty", {"phrase": "poverty rate", "units": "% of population"}, np.nan,
     "poverty rate: no data"),
    ("conflict_deaths__log1p", {"phrase": "conflict deaths (log scale)"}, np.inf,
     "conflict deaths: no data"),
    ("ratio", {"label": "Some ratio", "units": "-"}, 1.5, "Some ratio is 1.5"),
    ("no_words", {}, 0.25, "no_words is 0.25"),
]


@pytest.mark.parametrize("name, attrs, value, text", CATALOGUE_WORDS)
def test_catalogue_words(name, attrs, value, text):
    assert describe_value(name, attrs, value) == text


def test_drivers_use_the_catalogue_words_with_their_contribution():
    index = pd.Index(["R1"], name="region")
    X = pd.DataFrame({"crisis_conflict__since": [37.0], "poverty": [np.nan]}, index=index)
    contributions = pd.DataFrame({"crisis_conflict__since": [-0.11], "poverty": [0.02]},
                                 index=index)
    meta = {name: attrs for name, attrs, *_ in CATALOGUE_WORDS}
    table = top_drivers(contributions, X, meta, n=1)
    assert table.text.tolist() == ["poverty rate: no data: +0.02 log-odds",
                                   "37 months since the latest conflict began: -0.11 log-odds"]
