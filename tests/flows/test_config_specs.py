"""[features] and [backtest] on the typed config schema: wrong types, the reference, the JSON schema."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from forewarn.errors import InputError
from forewarn.features import FeatureSpec
from forewarn.flows._specs import BacktestSpec


def test_backtest_spec_is_one_class_importable_from_the_backtest_too():
    from forewarn.flows import _backtest

    assert _backtest.BacktestSpec is BacktestSpec


@pytest.mark.parametrize("table, column, message", [
    ({"workers": "2"}, "workers",
     "'workers' is '2'; it must be an int. Use a whole number: 0 for one process per available "
     "core, 1 for one origin after the other, or more."),
    ({"allow_overlap": 1}, "allow_overlap",
     "'allow_overlap' is 1; it must be a bool. Use true or false."),
    ({"step_months": 0}, "step_months", "'step_months' is 0; use a whole number of months >= 1."),
    ({"min_train_months": 2.5}, "min_train_months",
     "'min_train_months' is 2.5; it must be an int. Use a whole number of months >= 1."),
    ({"first_origin": 2015}, "first_origin",
     "'first_origin' is 2015; write the month as 'YYYY-MM', e.g. '2015-12'."),
    ({"models": "additive"}, "models",
     "'models' is 'additive'; it must be a list. List any of 'additive', 'elastic_net', "
     "'detection_aware'."),
    ({"models": ["forest", "additive", "tree"]}, "models",
     "'models' names 'forest', 'tree'; use 'additive', 'elastic_net', 'detection_aware' (any "
     "of them)."),
    ({"top_k": []}, "top_k", "'top_k' is []; give a list of whole numbers >= 1, e.g. [30]"),
    ({"top_k": [10, True]}, "top_k", "'top_k' is [10, True]; give a list of whole numbers"),
])
def test_a_bad_backtest_value_names_the_section_the_field_and_the_fix(table, column, message):
    with pytest.raises(InputError) as exc:
        BacktestSpec.from_config(table)
    (problem,) = exc.value.problems
    assert problem.file == "config [backtest]" and problem.column == column
    assert problem.message.startswith(message), problem.message


def test_backtest_spec_reads_toml_arrays_and_dates_and_keeps_top_k_sorted_once():
    spec = BacktestSpec.from_config({"models": ["elastic_net"], "top_k": [30, 10, 30],
                                     "first_origin": dt.date(2015, 12, 1),
                                     "last_origin": "2019-12", "allow_overlap": True})
    assert spec.models == ("elastic_net",) and spec.top_k == (10, 30)
    assert spec.first_origin == dt.date(2015, 12, 1) and spec.allow_overlap is True
    assert BacktestSpec.from_config({}) == BacktestSpec()
    assert BacktestSpec().models == ("additive", "elastic_net")
    assert BacktestSpec().top_k == (10, 20, 30)
    # the manifest records the spec's fields, and only them
    assert spec.__dict__ == dataclasses.asdict(spec)
    with pytest.raises(InputError, match=r"config \[backtest\], column 'workers': 'workers' is "
                                         r"-1"):
        dataclasses.replace(spec, workers=-1)


def test_a_bad_feature_value_from_the_config_names_the_field_and_the_fix():
    with pytest.raises(InputError) as exc:
        FeatureSpec.from_config({"history": "36", "lags": [3, 3], "crisis_kinds": "conflict"})
    problems = {p.column: p for p in exc.value.problems}
    assert set(problems) == {"history", "lags", "crisis_kinds"}
    assert {p.file for p in problems.values()} == {"config [features]"}
    assert problems["history"].message == ("'history' is '36'; it must be an int. Use a whole "
                                           "number >= 0 (0 leaves it out).")
    assert problems["lags"].message == ("'lags' repeats a window ([3, 3]); list each window "
                                        "once.")
    assert problems["crisis_kinds"].message == ("'crisis_kinds' is 'conflict'; use a list of "
                                                "names, e.g. [\"conflict\"].")


def test_validate_lists_bad_types_in_features_and_backtest(tiny_project):
    from forewarn.flows import validate

    tiny_project.write_text(tiny_project.read_text() + '\n[features]\ncarry_forward = 1.5\n'
                            '\n[backtest]\nmodels = ["additive", "gbm"]\nworkers = true\n',
                            encoding="utf-8")
    with pytest.raises(InputError) as exc:
        validate(tiny_project)
    shown = [str(p) for p in exc.value.problems]
    assert ("config [features], column 'carry_forward': 'carry_forward' is 1.5; it must be an "
            "int. Use a whole number >= 0 (0 never carries a value).") in shown
    assert ("config [backtest], column 'models': 'models' names 'gbm'; use 'additive', "
            "'elastic_net', 'detection_aware' (any of them).") in shown
    assert ("config [backtest], column 'workers': 'workers' is True; it must be an int. Use a "
            "whole number: 0 for one process per available core, 1 for one origin after the "
            "other, or more.") in shown
    assert len(shown) == 3, shown


def test_the_schema_types_features_and_backtest_with_descriptions_and_fixes():
    from forewarn.flows._schema import config_schema

    defs = config_schema()["$defs"]
    for name, spec in (("FeatureSpec", FeatureSpec), ("BacktestSpec", BacktestSpec)):
        props = defs[name]["properties"]
        assert list(props) == [f.name for f in dataclasses.fields(spec)]
        assert defs[name]["additionalProperties"] is False
        for field, prop in props.items():
            assert prop.get("description"), f"{name}.{field} has no description"
            assert prop.get("fix"), f"{name}.{field} has no fix"
    features, backtest = defs["FeatureSpec"]["properties"], defs["BacktestSpec"]["properties"]
    assert features["lags"]["items"] == {"minimum": 1, "type": "integer"}
    assert features["crisis_kinds"]["items"]["pattern"] == r"^[a-z][a-z0-9_]*$"
    assert features["history"]["minimum"] == 0 and features["crisis_cap"]["minimum"] == 1
    assert backtest["models"]["items"]["enum"] == ["additive", "elastic_net", "detection_aware"]
    assert backtest["top_k"]["minItems"] == 1 and backtest["top_k"]["items"]["minimum"] == 1
    assert backtest["workers"]["minimum"] == 0


def test_the_reference_describes_every_field_of_features_and_backtest():
    from forewarn.flows._schema import config_reference

    text = config_reference()
    for section, spec in (("features", FeatureSpec), ("backtest", BacktestSpec)):
        block = text.split(f"## [{section}]", 1)[1].split("\n## ", 1)[0]
        rows = {line.split("|")[1].strip(" `"): line for line in block.splitlines()
                if line.startswith("| `")}
        assert list(rows) == [f.name for f in dataclasses.fields(spec)]
        for name, row in rows.items():
            description = row.split(" | ")[-1]
            assert " A bad value: " in description and len(description) > 40, row
    assert ("| `lags` | list of int | `[3]` | Values this many steps earlier (`<id>__lag<k>`). "
            "[time steps] A bad value: use a list of whole numbers of time steps >= 1") in text
    assert ("| `models` | list of `'additive'` \\| `'elastic_net'` \\| `'detection_aware'` | "
            "`[\"additive\", \"elastic_net\"]` |") in text
    assert "| `first_origin` | str or date | none | First forecast origin (YYYY-MM)." in text
