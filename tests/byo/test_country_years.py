"""Your own country-year data, end to end: an annual project with an undirected indicator, a
regions table without geometry, no index spec that fits, and a backtest over several origins
(``projects.country_year_project``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.features import has_geometry
from forewarn.flows._backtest import BacktestSpec
from forewarn.flows._config import load_config
from forewarn.flows._project import load_project
from forewarn.flows._run import Progress, STAGES, publish_run
from forewarn.models import explain
from projects import backtest_stages, country_year_project, forecast_stages


@pytest.fixture(scope="module")
def backtests(tmp_path_factory):
    """The fixture's backtest one origin after the other and with two worker processes."""
    out = {}
    for workers in (1, 2):
        folder = tmp_path_factory.mktemp(f"cy{workers}")
        config = load_config(country_year_project(folder, workers=workers))
        out[workers] = backtest_stages(config, out=config.output_dir, quiet=True)
    return out


def test_validate_accepts_a_regions_table_and_says_once_what_is_skipped(tmp_path):
    project = load_project(load_config(country_year_project(tmp_path)))
    assert not has_geometry(project.regions)
    assert list(project.regions.columns) == ["name", "parent_id", "level", "geometry"]
    assert project.regions.loc["C05", "parent_id"] == "R1"
    notes = [line for line in project.summary() if "geometry" in line]
    assert notes == ["note: the regions have no geometry (a table without polygons), so there "
                     "are no maps, no spatial features and no regions.gpkg/GeoJSON; everything "
                     "else runs."]


def test_spatial_lag_or_maps_without_geometry_are_refused_at_validation(tmp_path):
    path = country_year_project(tmp_path, extra='\n[report]\nmaps = "all"\n')
    path.write_text(path.read_text().replace(
        "crisis_kinds = []", 'crisis_kinds = []\nspatial_lag = ["conflict_deaths"]'))
    with pytest.raises(InputError) as exc:
        load_project(load_config(path))
    text = str(exc.value)
    assert "[features] 'spatial_lag' is ['conflict_deaths'] but regions.csv has no geometry, " \
        "so no region has neighbours; set spatial_lag = [] or give a regions file with " \
        "polygons" in text
    assert "[report] 'maps' is 'all' but regions.csv has no geometry, so there is nothing to " \
        "draw; set maps = \"none\"" in text


def test_a_regions_table_is_checked_like_any_table(tmp_path):
    path = country_year_project(tmp_path)
    regions = tmp_path / "regions.csv"
    regions.write_text(regions.read_text() + "C01,,R9\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"regions.csv.*row 26.*region id 'C01' appears more "
                       r"than once"):
        load_project(load_config(path))


@pytest.mark.slow  # a whole forecast
def test_run_without_geometry_or_index_spec_publishes_a_report_without_a_map(tmp_path, capsys):
    config = load_config(country_year_project(tmp_path))
    progress = Progress(len(STAGES))
    result = forecast_stages(config, progress=progress)
    assert result.index_spec.name == "catalogue"
    assert result.index_spec.indicators == ("gdp_per_capita", "conflict_deaths")
    err = capsys.readouterr().err
    assert err.count("note: the regions have no geometry") == 1
    assert "note: the index spec 'demo' uses indicators absent from the catalogue" in err
    # The undirected indicator is in the model, and the drivers add up exactly.
    trained = result.trained[12]
    assert any(c.startswith("reform") for c in trained.X_origin.columns)
    contributions, base = explain(trained.model, trained.X_origin)
    np.testing.assert_allclose(base + contributions.sum(axis=1),
                               trained.model.decision_function(trained.X_origin), atol=1e-9)
    run = publish_run(result, config.output_dir)
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "No map: the regions of this project have no geometry" in html
    assert 'id="fw-map"' not in html and "Country 3" in html
    assert not (run / "regions.gpkg").exists() and not (run / "regions.geojson").exists()
    assert (run / "scores_hxl.csv").is_file()
    assert not list((run / "maps").glob("*")) if (run / "maps").exists() else True
    scores = pd.read_parquet(run / "scores.parquet")
    assert scores["index_score"].between(0, 10).all() and len(scores) == 24


@pytest.mark.slow  # two whole backtests
def test_parallel_origins_give_the_serial_tables(backtests):
    serial, parallel = backtests[1], backtests[2]
    for name in ("overall", "per_origin", "predictions", "coverage"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name))
    assert serial.per_origin["origin"].nunique() == 4


@pytest.mark.slow  # whole backtests
def test_backtest_derives_the_index_baseline_and_counts_events_in_the_top_k(backtests):
    run = backtests[1]
    overall = run.overall.set_index("model")
    assert {"additive", "elastic_net", "base_rate", "persistence", "index_alone"} == \
        set(overall.index)
    for k in (3, 6):
        caught = run.per_origin.query(f"metric == 'top{k}_caught'")
        assert (caught["value"] <= k).all()
        pooled = caught.groupby("model")["value"].sum()
        np.testing.assert_allclose(overall.loc[pooled.index, f"top{k}_caught"], pooled)
        np.testing.assert_allclose(overall[f"top{k}_share"],
                                   overall[f"top{k}_caught"] / overall["events"])
    # A constant forecast catches k / n of the events, as chance would.
    assert overall.loc["base_rate", "top6_caught"] == pytest.approx(
        overall.loc["base_rate", "events"] * 6 / 24)
    assert len(run.notes) == 2
    assert run.notes[0].startswith("note: the regions have no geometry")
    assert run.notes[1].startswith("note: the index spec 'demo' uses indicators absent")
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["notes"] == list(run.notes)
    assert manifest["backtest"]["top_k"] == [3, 6]
    summary = (run.path / "summary.txt").read_text()
    assert "in top 3" in summary and "top 6 %" in summary
    assert "top3_caught" in pd.read_csv(run.path / "metrics.csv").columns


@pytest.mark.slow  # whole backtests
def test_backtest_without_any_directed_indicator_skips_the_index_baseline(tmp_path, capsys):
    path = country_year_project(tmp_path)
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(catalogue.read_text().replace("direction = -1", "direction = 0")
                         .replace("direction = 1", "direction = 0"))
    config = load_config(path)
    run = backtest_stages(config, out=config.output_dir, quiet=False)
    assert "index_alone" not in set(run.overall["model"])
    assert {"base_rate", "persistence"} <= set(run.overall["model"])
    err = capsys.readouterr().err
    assert "note: the index spec 'demo' uses indicators absent from the catalogue: " in err
    assert ", and no indicator in the catalogue has a risk direction, so no index can be " \
        "derived from it. The 'index alone' baseline is left out." in err
    assert err.count("about") >= 1 and "origin 2013-12 done (4/4)" in err


@pytest.mark.slow  # whole backtests
def test_report_shows_events_in_the_top_k_with_the_baselines(backtests):
    run = backtests[2]
    config = load_config(run.path.parents[2] / "forewarn.toml")
    result = forecast_stages(config)
    html = (publish_run(result, config.output_dir) / "report.html").read_text(encoding="utf-8")
    assert "Events in top 3" in html and "Events in top 6" in html
    overall = run.overall.set_index("model")
    caught = overall.loc["index_alone", "top3_caught"]
    assert f"{caught:.0f} of {overall.loc['index_alone', 'events']:.0f}" in html
    assert "index_alone" in html


@pytest.mark.parametrize("table, message", [
    ({"top_k": [0]}, r"'top_k' is \[0\]; give a list of whole numbers >= 1, e.g. \[30\]"),
    ({"top_k": 30}, r"'top_k' is 30; give a list"),
    ({"workers": -1}, r"'workers' is -1; use a whole number: 0 for one process per available "
                      r"core, 1 for one origin after the other"),
])
def test_backtest_settings_are_checked(table, message):
    with pytest.raises(InputError, match=message):
        BacktestSpec.from_config(table)
