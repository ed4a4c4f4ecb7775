"""The project config: unknown sections and fields, types, paths, and the embedded default."""

from __future__ import annotations

import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.flows._config import demo_config, load_config


def write(tmp_path, text):
    p = tmp_path / "forewarn.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_tiny_config_loads(tiny_project):
    c = load_config(tiny_project)
    assert c.regions == tiny_project.parent / "regions.gpkg"
    assert c.observations == (tiny_project.parent / "observations.csv",)
    assert c.as_of == pd.Timestamp("2021-12-31")
    assert c.horizons == (6,)
    assert c.output_dir == tiny_project.parent / "forewarn-out"
    assert not c.demo and not c.embedded


def test_unknown_field_with_suggestion(tiny_project):
    text = tiny_project.read_text().replace("horizons = [6]", "horizon = [6]")
    tiny_project.write_text(text)
    with pytest.raises(InputError, match=r"forewarn.toml, column 'horizon': \[forecast\] names "
                       r"unknown field 'horizon'\. Did you mean 'horizons'\?"):
        load_config(tiny_project)


def test_wrong_type(tiny_project):
    tiny_project.write_text(tiny_project.read_text().replace('start = "2020-01"', "start = 2020"))
    with pytest.raises(InputError, match=r"\[project\] 'start' is 2020; it must be a str"):
        load_config(tiny_project)


def test_missing_input_file(tiny_project):
    (tiny_project.parent / "outcome.csv").unlink()
    with pytest.raises(InputError, match=r"\[inputs\] 'outcome' names 'outcome.csv', which does "
                       r"not exist"):
        load_config(tiny_project)


def test_bad_date_and_horizon(tmp_path, tiny_project):
    text = tiny_project.read_text().replace('as_of = "2021-12-31"', 'as_of = "last week"')
    text = text.replace("horizons = [6]", "horizons = [0]")
    tiny_project.write_text(text)
    with pytest.raises(InputError) as exc:
        load_config(tiny_project)
    text = str(exc.value)
    assert "'as_of' is 'last week'; write an ISO date YYYY-MM-DD" in text
    assert "'horizons' is [0]; give whole numbers of months >= 1" in text


def test_toml_syntax_error(tmp_path):
    p = write(tmp_path, "[project\nname = 1\n")
    with pytest.raises(InputError, match=r"does not parse as TOML: .*line 1"):
        load_config(p)


def test_missing_inputs(tmp_path):
    p = write(tmp_path, "[project]\nname = 'x'\n")
    with pytest.raises(InputError, match=r"\[inputs\] needs 'regions', 'observations' \(or "
                       r"'cube'\) and 'catalogue'"):
        load_config(p)


def test_demo_config_without_files_is_embedded(tmp_path):
    p = write(tmp_path, "[project]\ndemo = true\n")
    c = load_config(p)
    assert c.embedded
    assert demo_config().embedded
    assert demo_config().as_of == pd.Timestamp("2025-12-31")


def test_sections_of_later_stages_are_kept(tmp_path):
    p = write(tmp_path, "[project]\ndemo = true\n[model]\nkind = 'additive'\n")
    assert load_config(p).section("model") == {"kind": "additive"}


def test_catalogue_unknown_field_and_bad_value(tmp_path):
    from forewarn.features import load_catalogue

    p = tmp_path / "c.toml"
    p.write_text("""
[indicators.a]
label = "A"
unit = "-"
source = "s"
frequency = "weekly"
publication_lag_days = 10
direction = 2
valid_minimum = 0
""")
    with pytest.raises(InputError) as exc:
        load_catalogue(p)
    assert "[indicators.a] names unknown field 'valid_minimum'. Did you mean 'valid_min'?" \
        in str(exc.value)
    p.write_text(p.read_text().replace("valid_minimum = 0\n", ""))
    with pytest.raises(InputError) as exc:
        load_catalogue(p)
    text = str(exc.value)
    assert "'frequency' is 'weekly'; use one of 'monthly', 'quarterly', 'annual'" in text
    assert "'direction' is 2; use 1 (higher is riskier), -1 (lower is riskier) or 0 (no risk " \
        "direction" in text


def test_catalogue_role(tmp_path):
    from forewarn.features import load_catalogue

    p = tmp_path / "c.toml"
    entry = ("[indicators.a]\nlabel = 'A'\nunit = '-'\nsource = 'S'\nfrequency = 'annual'\n"
             "publication_lag_days = 10\ndirection = -1\n")
    p.write_text(entry)
    assert load_catalogue(p)["a"].role == "risk"  # the default
    p.write_text(entry + "role = 'detection'\n")
    assert load_catalogue(p)["a"].role == "detection"
    p.write_text(entry + "role = 'detect'\n")
    with pytest.raises(InputError, match=r"\[indicators.a\] 'role' is 'detect'; use 'risk' "
                       r"\(drives the chance of a surge\), 'detection' \(drives the chance a "
                       r"surge is detected\) or 'both'"):
        load_catalogue(p)


def test_catalogue_missing_required_and_empty(tmp_path):
    from forewarn.features import load_catalogue

    p = tmp_path / "c.toml"
    p.write_text("[indicators.a]\nlabel = 'A'\n")
    with pytest.raises(InputError, match=r"\[indicators.a\] lacks the required field 'unit'"):
        load_catalogue(p)
    p.write_text("title = 'x'\n")
    with pytest.raises(InputError, match="no indicators declared"):
        load_catalogue(p)


def test_catalogue_not_utf8(tmp_path):
    from forewarn.features import load_catalogue

    p = tmp_path / "c.toml"
    p.write_bytes("[indicators.a]\nlabel = 'Ö'\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"is not UTF-8 \(byte 24\); save it as UTF-8"):
        load_catalogue(p)


def test_outcome_missing(tiny_project):
    assert load_config(tiny_project).outcome_missing == "zero"        # the default
    text = tiny_project.read_text().replace('outcome = "outcome.csv"',
                                            'outcome = "outcome.csv"\noutcome_missing = "unknown"')
    tiny_project.write_text(text)
    config = load_config(tiny_project)
    assert config.outcome_missing == "unknown"
    assert config.describe()["outcome_missing"] == "unknown"
    tiny_project.write_text(text.replace('"unknown"', '"absent"'))
    with pytest.raises(InputError, match=r"column 'outcome_missing': \[inputs\] 'outcome_missing' "
                                         r"is 'absent'; use 'zero' \(periods without a row were "
                                         r"quiet\) or 'unknown'"):
        load_config(tiny_project)


def test_surge_settings_of_the_model_spec():
    from forewarn.flows._specs import ModelSpec

    spec = ModelSpec.from_config({"target_rule": "surge", "surge_factor": 2,
                                  "surge_min_excess": 25, "surge_history_months": 36})
    assert spec.target_kwargs("annual") == {"factor": 2, "min_excess": 25, "history": 3}
    assert spec.target_kwargs("monthly")["history"] == 36
    assert ModelSpec().target_kwargs() == {"factor": 2.0, "min_excess": 0.0, "history": 36}
    with pytest.raises(InputError, match=r"'surge_min_excess' is -5; use a number >= 0"):
        ModelSpec.from_config({"surge_min_excess": -5})
    with pytest.raises(InputError, match=r"'surge_factor' is 0; use a number above 0"):
        ModelSpec.from_config({"surge_factor": 0})
    with pytest.raises(InputError, match=r"'surge_history_months' is 0; use a whole number"):
        ModelSpec.from_config({"surge_history_months": 0})


def test_detection_aware_model_spec():
    from forewarn.flows._specs import ModelSpec
    from forewarn.models import DetectionAwareLogit

    spec = ModelSpec.from_config({"kind": "detection_aware", "detection_aware": {
        "alphas": [1.0, 10.0], "detection_directions": {"state_capacity": 1}}})
    model = spec.estimator({"state_capacity": -1}, 3, 12, roles={"state_capacity": "both"})
    assert isinstance(model, DetectionAwareLogit)
    assert model.alphas == (1.0, 10.0) and model.gap == 12 and model.random_state == 3
    assert model.roles == {"state_capacity": "both"}
    assert model.directions == {"state_capacity": -1}
    assert model.detection_directions == {"state_capacity": 1}
    bad = ModelSpec.from_config({"kind": "detection_aware", "detection_aware": {"alpha": 1}})
    with pytest.raises(InputError, match=r"\[model.detection_aware\] .*unexpected keyword "
                       "argument 'alpha'"):
        bad.estimator({}, 0, 12)
    with pytest.raises(InputError, match="'kind' is 'detection'; use one of 'additive', "
                       "'elastic_net', 'detection_aware'"):
        ModelSpec(kind="detection")


# ------------------------------------------------------------------ the schema and its errors

def test_unknown_section_and_section_not_a_table(tmp_path):
    p = write(tmp_path, "[project]\ndemo = true\n[modle]\nkind = 'additive'\n")
    with pytest.raises(InputError, match=r"column 'modle': unknown section \[modle\]\. Did you "
                       r"mean \[model\]\? Sections: project, inputs, forecast, output, features"):
        load_config(p)
    p = write(tmp_path, "project = 5\n")
    with pytest.raises(InputError, match=r"column 'project': \[project\] must be a table\."):
        load_config(p)


def test_values_are_taken_as_toml_gives_them(tmp_path):
    # strict: no "5" read as 5, no true read as 1
    p = write(tmp_path, '[project]\ndemo = true\nseed = "5"\n[forecast]\nhorizons = [true]\n')
    with pytest.raises(InputError) as exc:
        load_config(p)
    text = str(exc.value)
    assert "[project] 'seed' is '5'; it must be an int." in text
    assert "[forecast] 'horizons' is [True]; give whole numbers of months >= 1, e.g. [6, 12]." \
        in text
    assert len(exc.value.problems) == 2


def test_a_flood_of_unknown_fields_is_summarised(tmp_path):
    p = write(tmp_path, "[project]\ndemo = true\n" + "".join(f"k{i} = 1\n" for i in range(25)))
    with pytest.raises(InputError) as exc:
        load_config(p)
    assert len(exc.value.problems) == 11
    assert str(exc.value.problems[-1]).endswith("[project] names 15 more unknown fields (of "
                                                "25); remove them.")


def test_spec_sections_errors_name_the_section_and_the_fix():
    import dataclasses

    from forewarn.flows._specs import IndexChoice, ModelSpec, ReportSpec, ScheduleSpec

    with pytest.raises(InputError) as exc:
        ReportSpec.from_config({"maps": "al", "formats": ["png", "gif"], "htm": True})
    text = str(exc.value)
    assert "config [report], column 'maps': 'maps' is 'al'; use 'all', 'overview' or " \
        "'none'." in text
    assert "'formats' is ['png', 'gif']; list one or more of 'png', 'pdf', 'svg'." in text
    assert "names unknown field 'htm'. Did you mean 'html'? Fields: maps, formats, html, " \
        "table_rows." in text
    with pytest.raises(InputError, match=r"'formats' is 'png'; it must be a list\."):
        ReportSpec.from_config({"formats": "png"})
    with pytest.raises(InputError, match=r"config \[schedules\], column 'forecast': 'forecast' "
                       r"is 'daily', not a cron expression; write five fields"):
        ScheduleSpec.from_config({"forecast": "daily"})
    with pytest.raises(InputError, match=r"'timezone' is 'Mars/Base'; use an IANA name"):
        ScheduleSpec(timezone="Mars/Base")
    with pytest.raises(InputError, match=r"config \[index\], column 'spce': names unknown field "
                       r"'spce'\. Did you mean 'spec'\?"):
        IndexChoice.from_config({"spce": "demo"}, None)
    with pytest.raises(InputError, match=r"'class_breaks' is \[0\.5, 0\.2, 0\.4\]; give three "
                       r"increasing probabilities"):
        ModelSpec.from_config({"class_breaks": [0.5, 0.2, 0.4]})
    with pytest.raises(InputError, match=r"'additive' is 5; it must be a table\."):
        ModelSpec.from_config({"additive": 5})
    # a spec stays a checked dataclass: replace() checks again
    with pytest.raises(InputError, match=r"'drivers' is 0; use a whole number >= 1\."):
        dataclasses.replace(ModelSpec(), drivers=0)
    assert dataclasses.asdict(ModelSpec())["class_breaks"] == (0.05, 0.15, 0.3)


def test_the_schema_covers_every_section_with_the_defaults_in_use():
    from forewarn.features import FeatureSpec
    from forewarn.flows._config import CONFIG_SECTIONS, Config
    from forewarn.flows._schema import config_schema
    from forewarn.flows._specs import ModelSpec, ReportSpec

    schema = config_schema()
    assert tuple(schema["properties"]) == CONFIG_SECTIONS
    assert schema["additionalProperties"] is False
    defs = schema["$defs"]
    project = defs["ProjectSection"]
    assert project["additionalProperties"] is False
    assert project["properties"]["seed"]["default"] == Config.seed
    assert project["properties"]["frequency"]["enum"] == ["monthly", "annual"]
    assert defs["ForecastSection"]["properties"]["horizons"]["default"] == list(Config.horizons)
    model = defs["ModelSpec"]["properties"]
    assert model["class_breaks"]["default"] == list(ModelSpec().class_breaks)
    assert model["kind"]["fix"].startswith("use one of 'additive'")
    assert defs["ReportSpec"]["properties"]["table_rows"]["default"] == ReportSpec().table_rows
    assert defs["FeatureSpec"]["properties"]["crisis_cap"]["default"] == FeatureSpec().crisis_cap


def test_the_config_reference_in_docs_is_up_to_date():
    from pathlib import Path

    from forewarn.flows._schema import config_reference

    doc = Path(__file__).resolve().parents[2] / "docs" / "config.md"
    assert doc.read_text(encoding="utf-8") == config_reference() + "\n", \
        "docs/config.md is stale: regenerate it with `forewarn config --reference > docs/config.md`"


def test_config_command_prints_schema_reference_and_the_checked_config(capsys, tiny_project):
    import json

    from forewarn.flows.cli import _run

    assert _run(["config", "--schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "ForewarnConfig"
    assert _run(["config", "--reference"]) == 0
    assert "| `horizons` | list of int | `[12]` |" in capsys.readouterr().out
    assert _run(["config", "--config", str(tiny_project)]) == 0
    assert json.loads(capsys.readouterr().out)["horizons"] == [6]
    assert _run(["config", "--schema", "--reference"]) == 2
    assert "give --schema or --reference, not both" in capsys.readouterr().err
