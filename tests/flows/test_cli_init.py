"""`forewarn init` writes an editable project that validates and equals the embedded default."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import xarray as xr

from forewarn.features import build_panel
from forewarn.flows._api import init, validate
from forewarn.flows.cli import main


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("init") / "demo"
    init(d)
    return d


def test_init_writes_every_file(demo_dir):
    names = sorted(p.name for p in demo_dir.iterdir())
    assert names == ["README.md", "catalogue.toml", "crisis_events.csv", "forewarn.toml",
                     "observations.csv", "outcome.csv", "regions.gpkg"]
    readme = (demo_dir / "README.md").read_text()
    assert "DEMO DATA" in readme and "detection" in readme


@pytest.mark.slow  # validates two whole demo projects
def test_init_project_equals_embedded_default(demo_dir):
    embedded = validate()
    from_files = validate(demo_dir / "forewarn.toml")
    assert from_files.config.demo
    pd.testing.assert_frame_equal(embedded.observations, from_files.observations)
    pd.testing.assert_frame_equal(embedded.outcome, from_files.outcome)
    pd.testing.assert_frame_equal(embedded.crisis_events, from_files.crisis_events)
    assert list(embedded.catalogue.values()) == list(from_files.catalogue.values())
    a = build_panel(embedded.observations, embedded.catalogue, embedded.regions.index,
                    embedded.config.as_of)
    b = build_panel(from_files.observations, from_files.catalogue, from_files.regions.index,
                    from_files.config.as_of)
    xr.testing.assert_identical(a, b)


def test_init_refuses_a_non_empty_folder(demo_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["init", str(demo_dir)])
    assert exc.value.code == 2
    assert "exists and is not empty" in capsys.readouterr().err


@pytest.mark.slow  # a fresh process on the full demo
def test_console_script_validates_the_demo(demo_dir):
    """The installed command, in a fresh process: exit 0 on the init folder."""
    out = subprocess.run([sys.executable, "-m", "forewarn", "validate", "--config",
                          str(demo_dir / "forewarn.toml")], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "all inputs are valid" in out.stdout and "DEMO DATA" in out.stdout


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--no-such-option"])
    assert exc.value.code == 2
    assert "No such option" in capsys.readouterr().err


def test_internal_error_exits_1_without_traceback(monkeypatch, capsys):
    import forewarn.flows._api as api

    monkeypatch.setattr(api, "validate", lambda config=None: 1 / 0)
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    err = capsys.readouterr().err
    assert exc.value.code == 1
    assert "internal error: ZeroDivisionError" in err and "Traceback" not in err
