"""`validate` checks everything `run` checks, and lists every problem in one pass."""

from __future__ import annotations

import pytest

from forewarn.errors import InputError
from forewarn.flows import validate
from forewarn.flows._checks import feature_names


def _add(project, text):
    project.write_text(project.read_text() + text, encoding="utf-8")


def test_validate_lists_config_and_cross_reference_problems_at_once(tiny_project):
    _add(tiny_project, '\n[features]\nspatial_lag = ["displacd"]\n\n[model]\nkind = "additve"\n'
                       '\n[report]\nmaps = "al"\n\n[backtest]\nstep = 3\n')
    with pytest.raises(InputError) as exc:
        validate(tiny_project)
    text = str(exc.value)
    assert "'kind' is 'additve'; use one of 'additive', 'elastic_net'" in text
    assert "'maps' is 'al'; use 'all', 'overview' or 'none'" in text
    assert ("'spatial_lag' names 'displacd', which is not a feature this project builds. Did "
            "you mean 'displaced'?") in text
    assert "names unknown field 'step'" in text
    assert len(exc.value.problems) == 4


def test_file_and_config_problems_come_together(tiny_project):
    _add(tiny_project, '\n[model]\nkind = "forest"\n')
    (tiny_project.parent / "outcome.csv").write_text("region_id,period,value\nAA01,2020-01,x\n")
    with pytest.raises(InputError) as exc:
        validate(tiny_project)
    where = {str(p.file).rsplit("/", 1)[-1] for p in exc.value.problems}
    assert {"config [model]", "outcome.csv"} <= where, where


def test_feature_names_are_what_the_builder_builds(tiny_project):
    from forewarn.flows._config import load_config
    from forewarn.flows._pipeline import specs_from_config
    from forewarn.flows._project import load_project

    cfg = load_config(tiny_project)
    names = feature_names(specs_from_config(cfg).features, load_project(cfg).catalogue)
    assert {"gov", "displaced", "tier", "crisis_conflict__ongoing"} <= set(names)


@pytest.mark.parametrize("written, message", [
    ('"01/02/2025"', r"\[forecast\] 'as_of' is '01/02/2025'; write an ISO date YYYY-MM-DD"),
    ('"2025-13-01"', r"'2025-13-01', which is not a calendar date"),
    ("2025", r"\[forecast\] 'as_of' is '2025'; write an ISO date"),
])
def test_as_of_must_be_an_iso_date(tiny_project, written, message):
    text = tiny_project.read_text().replace('as_of = "2021-12-31"', f"as_of = {written}")
    tiny_project.write_text(text)
    with pytest.raises(InputError, match=message):
        validate(tiny_project)


def test_a_toml_date_is_fine(tiny_project):
    text = tiny_project.read_text().replace('as_of = "2021-12-31"', "as_of = 2021-12-31")
    tiny_project.write_text(text)
    assert validate(tiny_project).config.as_of == __import__("pandas").Timestamp("2021-12-31")


@pytest.mark.parametrize("as_of, message", [
    ("2030-06-30", r"the forecast date 2030-06-30 is \d[\d,]* days after the newest published "
                   r"value \(\d{4}-\d\d-\d\d\): every input would be carried forward"),
    ("1990-01-31", r"the forecast date 1990-01-31 is before any value was published"),
])
def test_as_of_far_from_the_data_is_refused(tiny_project, as_of, message):
    text = tiny_project.read_text().replace('as_of = "2021-12-31"', f'as_of = "{as_of}"')
    tiny_project.write_text(text)
    with pytest.raises(InputError, match=message):
        validate(tiny_project)


def test_the_same_key_in_two_observation_files_with_different_values(tiny_project):
    import pandas as pd

    d = tiny_project.parent
    obs = pd.read_csv(d / "observations.csv", dtype=str, keep_default_na=False)
    other = obs.head(1).copy()
    other["value"] = str(float(other["value"].iloc[0]) + 1)
    other.to_csv(d / "observations_b.csv", index=False)
    obs.head(1).to_csv(d / "observations_c.csv", index=False)  # an exact repeat is harmless
    text = tiny_project.read_text().replace(
        'observations = ["observations.csv"]',
        'observations = ["observations.csv", "observations_c.csv", "observations_b.csv"]')
    tiny_project.write_text(text)
    with pytest.raises(InputError) as exc:
        validate(tiny_project)
    [problem] = exc.value.problems
    assert str(problem.file).endswith("observations_b.csv")
    assert "here and" in str(problem) and "in " + str(d / "observations.csv") in str(problem)
    assert "give each vintage its own 'published' date" in str(problem)
