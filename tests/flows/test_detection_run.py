"""`forewarn run` with `[model] kind = "detection_aware"` on a small demo world: both parts
published and explained exactly, the report's detection card, and bad roles refused."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from forewarn.reports import SCORE_COLUMNS
from projects import cli, small_demo

# Whole flows, in this process on the session's Prefect test server: `pytest -m "not slow"`
# skips them.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]

_EXTRA = ["detection_probability", "detection_lower", "detection_upper", "observed_probability"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = small_demo(tmp_path_factory.mktemp("two_part") / "demo")
    text = path.read_text()
    assert 'kind = "additive"' in text
    path.write_text(text.replace('kind = "additive"', 'kind = "detection_aware"', 1))
    return path


@pytest.fixture(scope="module")
def run(project, tmp_path_factory, prefect_server):
    out = tmp_path_factory.mktemp("out")
    done = cli("run", "--config", project, "--out", out)
    assert done.returncode == 0, done.stderr
    return (out / "latest").resolve()


def test_scores_carry_both_parts(run):
    scores = pd.read_parquet(run / "scores.parquet")
    assert list(scores.columns) == [*SCORE_COLUMNS, *_EXTRA]
    np.testing.assert_allclose(expit(scores["margin"]), scores["probability"])
    np.testing.assert_allclose(scores["observed_probability"],
                               scores["probability"] * scores["detection_probability"],
                               rtol=1e-9)
    for part in ("", "detection_"):
        p = scores[f"{part}probability"]
        assert ((scores[f"{part}lower"] <= p) & (p <= scores[f"{part}upper"])).all()
    # The published risk is never below the chance of a recorded surge.
    assert (scores["probability"] >= scores["observed_probability"]).all()


def test_each_part_is_explained_exactly(run):
    scores = pd.read_parquet(run / "scores.parquet").set_index(["region_id", "horizon"])
    manifest = json.loads((run / "manifest.json").read_text())
    for table, base_key, margin in (
            ("explanations.parquet", "base_values", scores["margin"]),
            ("explanations_detection.parquet", "detection_base_values",
             pd.Series(logit(scores["detection_probability"]), index=scores.index))):
        expl = pd.read_parquet(run / table)
        assert list(expl.columns) == ["region_id", "horizon", "feature", "value",
                                      "contribution"]
        total = expl.groupby(["region_id", "horizon"])["contribution"].sum()
        base = pd.Series({(r, h): manifest[base_key][str(h)] for r, h in margin.index})
        np.testing.assert_allclose((base + total.reindex(margin.index)).to_numpy(),
                                   margin.to_numpy(), atol=1e-9)
    detection = pd.read_parquet(run / "explanations_detection.parquet")
    # Displacement drives risk only: it never moves detection.
    assert (detection.loc[detection["feature"] == "displaced", "contribution"] == 0).all()


def test_report_and_commands_speak_of_both_parts(run, project):
    html = (run / "report.html").read_text()
    assert "What drives detection" in html
    # The published probability is the risk part: the surge itself, not its record.
    assert "Probability of a surge in human trafficking, detected or not within" in html
    assert "the chance that a surge happens (the scores in this report, what to prepare for)" \
        in html
    card = re.search(r"How much state capacity is enough\?</h4>\s*<p>(.*?)</p>", html, re.S)
    assert card and "finds no link between state capacity and risk" not in card.group(1)
    region = pd.read_parquet(run / "scores.parquet")["region_id"].iloc[0]
    done = cli("explain", region, "--run", run)
    assert done.returncode == 0, done.stderr
    assert "chance of a surge, detected or not" in done.stdout
    assert "a surge there would be detected with probability" in done.stdout
    done = cli("scenario", region, "--set", "response_tier=1", "--run", run,
                    "--config", project)
    assert done.returncode == 0, done.stderr
    assert "percentage points" in done.stdout


def test_catalogue_without_detection_roles_publishes_nothing(project, tmp_path):
    folder = tmp_path / "no_roles"
    folder.mkdir()
    for f in project.parent.iterdir():
        if f.name != "catalogue.toml":
            (folder / f.name).symlink_to(f)
    catalogue = (project.parent / "catalogue.toml").read_text()
    assert 'role = "detection"' in catalogue
    (folder / "catalogue.toml").write_text(re.sub(r'role = "\w+"\n', "", catalogue))
    out = tmp_path / "out"
    done = cli("run", "--config", folder / "forewarn.toml", "--out", out)
    assert done.returncode == 2
    assert "the detection part has no inputs" in done.stderr
    assert 'Give at least one indicator role = "detection" in the catalogue' in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "latest").exists()
