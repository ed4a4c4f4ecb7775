""""What the data say" on the current real-countries project (../shared/data/real): the
findings of the fitted origin model and their section in the report. Skipped, saying why,
when the shared folder is absent."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "countries"
REAL = REPO.parent / "shared" / "data" / "real"

pytestmark = [
    pytest.mark.real_data, pytest.mark.slow,
    pytest.mark.skipif(not REAL.is_dir(), reason=f"real public datasets not found at {REAL}; "
                       "they live in the project's shared folder beside the repository "
                       "(docs/real-data.md says how to get them)"),
]


@pytest.fixture(scope="module")
def countries(tmp_path_factory):
    """The current real-countries project folder, its data built once from the real files."""
    spec = importlib.util.spec_from_file_location("countries_build_f", EXAMPLE / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build
    spec.loader.exec_module(build)
    folder = tmp_path_factory.mktemp("countries_findings")
    for name in ("current_origin.toml", "catalogue.toml", "index.toml"):
        shutil.copy(EXAMPLE / name, folder / name)
    build.build_project(folder / "data", data=REAL)
    return folder


@pytest.fixture(scope="module")
def origin_run(countries):
    """The current origin project run (no publishing)."""
    from forewarn.flows import load_config
    from projects import forecast_stages

    return forecast_stages(load_config(countries / "current_origin.toml"))


def test_findings_of_the_real_origin_model(origin_run):
    from forewarn.flows import findings

    f = findings(origin_run, None, "elastic_net")
    assert f["horizon"] == 12 and f["n_train"] == 1287 and f["n_bootstrap"] == 10
    assert set(f["since_onset"]["kind"]) == {"conflict", "displacement"}
    curve = f["since_onset"]
    assert len(curve) == 2 * 12                                  # 0..10 years and "never"
    assert (curve["lower"] <= curve["probability"] + 1e-12).all()
    assert (curve["probability"] <= curve["upper"] + 1e-12).all()
    imp = f["importance"]
    assert imp["importance"].is_monotonic_decreasing
    assert {"response_tier", "crisis_conflict", "crisis_displacement"} <= set(imp["driver"])
    assert imp["share"].sum() == pytest.approx(1.0)
    lev = f["levers"].set_index("lever")
    assert list(lev.index) == ["response_tier"] and lev.at["response_tier", "value"] == 1
    assert lev.at["response_tier", "lower"] <= lev.at["response_tier", "upper"]
    # only where the tier is known at the end of 2025 (the Factbook's low tiers): 76 countries
    assert lev.at["response_tier", "known"] == 76
    assert 0 < lev.at["response_tier", "changed"] <= 76
    assert f["skill"] == {"ran": False, "rows": []}


def test_the_real_report_has_the_section_with_its_plots(origin_run):
    from forewarn.flows._report import report_data
    from forewarn.reports import render_report

    data = report_data(origin_run)
    assert data.findings is not None and data.demo_label is None
    html = render_report(data)
    section = re.search(r'<section id="findings".*?</section>', html, re.S).group(0)
    assert "What the data say</h2>" in section and "DEMO" not in section
    assert "No backtest was run for this project" in section   # none in the temporary folder
    assert section.count("<svg") == 4
    assert "TIP Report tier (anti-trafficking response)" in section
    assert "What these data cannot tell" in section


def test_the_detection_aware_model_runs_on_the_real_outcome(countries, tmp_path):
    """The real origin project with `kind = "detection_aware"`: both parts published, the
    observed chance their product, the report's detection card present (docs/real-data.md).
    Three bootstrap refits instead of ten: what is checked here is structure, not intervals."""
    import numpy as np
    import pandas as pd

    import forewarn

    text = (countries / "current_origin.toml").read_text()
    aware = '[model.detection_aware]     # risk x detection (roles in catalogue.toml); used by ' \
            'the backtest\n'
    refits = "n_splits = 2\nn_bootstrap = 10\n"
    assert 'kind = "elastic_net"' in text and aware + refits in text
    text = text.replace('kind = "elastic_net"', 'kind = "detection_aware"', 1)
    config = countries / "detection_aware.toml"
    # No map files either (the report's own map stays): 30 s of drawing this test never reads.
    config.write_text(text.replace(aware + refits, aware + "n_splits = 2\nn_bootstrap = 3\n")
                      + '\n[report]\nmaps = "none"\n')
    result = forewarn.run(config, out=tmp_path / "out")
    scores = pd.read_parquet(result.run_dir / "scores.parquet")
    assert len(scores) == 241
    np.testing.assert_allclose(scores["observed_probability"],
                               scores["probability"] * scores["detection_probability"],
                               rtol=1e-9)
    assert (scores["detection_probability"] < 1).all()
    risk = pd.read_parquet(result.run_dir / "explanations.parquet")
    detection = pd.read_parquet(result.run_dir / "explanations_detection.parquet")

    def base(frame):
        return frame["feature"].str.split("__").str[0]

    # Each part uses only the inputs its role gives it: rule of law (detection only) adds
    # nothing to risk; conflict and displacement (risk only) add nothing to detection.
    assert (risk.loc[base(risk) == "rule_of_law", "contribution"] == 0).all()
    risk_only = base(detection).isin(["conflict_intensity", "displaced", "refugees_origin"])
    assert risk_only.any() and (detection.loc[risk_only, "contribution"] == 0).all()
    assert (risk.loc[base(risk) == "conflict_intensity", "contribution"] != 0).any()
    assert "What drives detection" in (result.run_dir / "report.html").read_text()
