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
    names = feature_names(specs_from_config(cfg)[0], load_project(cfg).catalogue)
    assert {"gov", "displaced", "tier", "crisis_conflict__ongoing"} <= set(names)
