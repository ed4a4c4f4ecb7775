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
    assert "'as_of' is 'last week'; write a date YYYY-MM-DD" in text
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
