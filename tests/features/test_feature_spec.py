"""FeatureSpec as a typed dataclass: what Python callers get (tuples, lists, replace, to_dict)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from forewarn.errors import InputError
from forewarn.features import FeatureSpec

#: The default spec as the run manifest and the model cache key record it; a change here
#: changes every cache key.
DEFAULT_DICT = {"indicators": [], "lags": [3], "changes": [6], "growth": [], "rolling_mean": [12],
                "rolling_max": [], "history": 36, "carry_forward": 1, "per_capita": [],
                "spatial_lag": [], "crisis_kinds": ["conflict", "disaster"], "crisis_cap": 120}


def test_to_dict_is_what_the_cache_key_and_manifest_record():
    assert FeatureSpec().to_dict() == DEFAULT_DICT
    assert json.dumps(FeatureSpec().to_dict()) == json.dumps(DEFAULT_DICT)
    assert list(dataclasses.asdict(FeatureSpec())) == list(DEFAULT_DICT)


def test_a_list_from_python_is_held_as_a_tuple():
    spec = FeatureSpec(lags=[1, 12], crisis_kinds=["conflict"])
    assert spec == FeatureSpec(lags=(1, 12), crisis_kinds=("conflict",))
    assert spec.lags == (1, 12) and hash(spec) == hash(FeatureSpec(lags=(1, 12),
                                                                   crisis_kinds=("conflict",)))
    # what flows._pipeline.prepare does when a project has no crisis events
    rebuilt = FeatureSpec(**{**FeatureSpec().to_dict(), "crisis_kinds": ()})
    assert rebuilt == dataclasses.replace(FeatureSpec(), crisis_kinds=())


def test_replace_checks_again_and_errors_name_the_field():
    with pytest.raises(InputError) as exc:
        dataclasses.replace(FeatureSpec(), crisis_cap=0, rolling_mean=(0, -3))
    problems = {p.column: p for p in exc.value.problems}
    assert {p.file for p in problems.values()} == {"features"}
    assert problems["crisis_cap"].message == ("'crisis_cap' is 0; use a whole number >= 1 (a "
                                              "time since onset).")
    assert problems["rolling_mean"].message == ("'rolling_mean' holds 0, -3; every window must "
                                                "be a whole number of time steps >= 1.")


def test_several_crisis_kinds_that_are_not_simple_names_are_listed_together():
    with pytest.raises(InputError, match=r"'crisis_kinds' entries 'Armed conflict', 'Flood' are "
                                         r"not simple names; use lower-case letters"):
        FeatureSpec(crisis_kinds=("Armed conflict", "Flood", "drought"))


def test_an_unknown_keyword_in_python_reads_like_one_in_the_config():
    with pytest.raises(InputError, match=r"^features, column 'lag': unknown field 'lag'\. Did "
                                         r"you mean 'lags'\? Known fields: indicators, lags, "):
        FeatureSpec(lag=(3,))
