"""The real-countries example (examples/countries): built from the public files, it validates.

Integration tests on ../shared/data/real, skipped (saying why) when it is not beside the
repository. The project is built once per module into a temporary folder, never into the
repository. Known values were checked in the raw files (see each folder's README there).
"""

from __future__ import annotations

import doctest
import importlib.util
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

import forewarn
from forewarn.errors import InputError
from forewarn.features import FeatureSpec, load_catalogue, read_regions
from forewarn.features._catalogue import read_toml
from forewarn.features.sources import SOURCES
from forewarn.flows._backtest import BacktestSpec
from forewarn.flows._pipeline import compute_index_at_origin, prepare, specs_from_config
from forewarn.flows._specs import IndexChoice, ModelSpec
from forewarn.flows.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "countries"
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
CONFIGS = ("index_only.toml", "supervised.toml")

_skip_without_real = pytest.mark.skipif(
    not REAL.is_dir(), reason=f"real public datasets not found at {REAL}; they live in the "
    "project's shared folder beside the repository (docs/real-data.md says how to get them)")


def needs_real(test):
    """Mark a test as needing ../shared/data/real (slow: it builds the project from the real
    files) and skip it, saying why, when they are absent."""
    return pytest.mark.slow(pytest.mark.real_data(_skip_without_real(test)))


def _load_build():
    spec = importlib.util.spec_from_file_location("countries_build", EXAMPLE / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


build = _load_build()


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory):
    """The example copied into a temporary folder and built there from the real files."""
    if not REAL.is_dir():
        pytest.skip(f"real public datasets not found at {REAL}")
    folder = tmp_path_factory.mktemp("countries")
    for name in (*CONFIGS, "catalogue.toml", "index.toml"):
        shutil.copy(EXAMPLE / name, folder / name)
    built = build.build_project(folder / "data", data=REAL)
    return folder, built


@pytest.fixture(scope="module")
def observations(project_dir):
    return pd.read_parquet(project_dir[1].observations)


# --- the outcome rule, on hand-made tiers (no real data needed) ------------------------------

def test_tip_downgrades_doctest():
    failures, _ = doctest.testmod(build, verbose=False)
    assert failures == 0


def test_tip_downgrades_counts_falls_only_between_reports_with_a_watch_list():
    tiers = pd.DataFrame({
        "region_id": ["A"] * 4 + ["B"] * 3 + ["C"] * 3,
        "period": ["2003", "2004", "2005", "2006", "2004", "2005", "2007", "2004", "2005", "2006"],
        "value": [2.0, 2.5, 2.0, 3.0, 1.0, 2.0, 3.0, 2.5, 3.0, 2.0],
    })
    got = build.tip_downgrades(tiers).set_index(["region_id", "period"])["value"].to_dict()
    # A: 2003->2004 is the Watch List's creation, not counted; 2 -> 3 in 2006 is a fall.
    # B: no 2006 report, so 2007 has no row. C: already low in 2004, 3 in 2005 is no fall.
    assert got == {("A", "2005"): 0, ("A", "2006"): 1, ("B", "2005"): 0, ("C", "2005"): 0,
                   ("C", "2006"): 0}


def test_locate_files_needs_a_folder():
    with pytest.raises(InputError, match="no input folder; pass --data"):
        build.locate_files()


def test_locate_files_lists_every_missing_source(tmp_path):
    with pytest.raises(InputError) as caught:
        build.locate_files(data=tmp_path)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 8  # every source but the optional Factbook
    assert any(m.startswith("source 'wgi' not found: missing ") and
               "run `forewarn fetch wgi` and pass --cache" in m for m in messages)


def test_locate_files_takes_what_the_data_folder_lacks_from_the_cache(tmp_path):
    day = "2026-01-02"
    for name, source in SOURCES.items():
        for file in source.files:
            path = tmp_path / "cache" / name / day / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    wgi = tmp_path / "data" / build.DATA_LAYOUT["wgi"][0]
    wgi.parent.mkdir(parents=True)
    wgi.touch()
    found = build.locate_files(data=tmp_path / "data", cache=tmp_path / "cache")
    assert found["wgi"] == (wgi,)
    assert found["wdi"] == tuple(tmp_path / "cache" / "wdi" / day / f
                                 for f in ("SP.POP.TOTL.json", "NY.GDP.PCAP.CD.json"))
    assert set(found) == set(build.DATA_LAYOUT) - {"factbook_tip"}  # it has no fetcher


def test_build_command_line_says_what_is_missing(tmp_path, capsys):
    assert build.main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "source 'natural_earth' not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", CONFIGS)
def test_config_sections_make_valid_specs(name):
    """Without the built data: every stage's section of the config is accepted by its spec."""
    raw = read_toml(EXAMPLE / name)
    catalogue = load_catalogue(EXAMPLE / "catalogue.toml")
    assert (raw["project"]["frequency"], raw["project"]["start"]) == ("annual", "2002")
    assert raw["forecast"]["horizons"] == [12]
    features = FeatureSpec.from_config(raw["features"])
    assert set(features.indicators) <= set(catalogue) and features.crisis_kinds == ()
    index = IndexChoice.from_config(raw["index"], EXAMPLE).load()
    assert set(index.indicators) <= set(features.indicators)
    if "model" in raw:
        model = ModelSpec.from_config(raw["model"])
        assert model.kind == "elastic_net" and model.params["n_bootstrap"] <= 10
        assert BacktestSpec.from_config(raw["backtest"]).models == ("elastic_net",)
    else:
        assert "outcome" not in raw["inputs"]


# --- the built project ----------------------------------------------------------------------

@needs_real
def test_regions_are_natural_earth_countries(project_dir):
    _, built = project_dir
    regions = read_regions(built.regions)
    assert built.n_regions == len(regions) == 241
    assert regions["parent_id"].nunique() == 24  # UN sub-regions
    assert regions.loc["SYR", "parent_id"] == "Western Asia"
    assert {"FRA", "NOR", "XKX"} <= set(regions.index)  # ISO_A3 "-99" in Natural Earth
    assert str(regions.crs) == "EPSG:4326"


@needs_real
def test_observations_cover_2002_to_2015_for_nearly_every_country(observations, project_dir):
    _, built = project_dir
    assert len(observations) == built.n_observations == 86_101
    assert observations["indicator"].nunique() == 18
    assert observations["period"].min() == "1996"
    assert observations["published"].isna().all()  # dated by the catalogue's lags
    # Places without a Natural Earth 1:50m polygon lose their rows, and say so.
    assert built.dropped == {"GIB": 32, "GLP": 30, "GUF": 183, "MTQ": 147, "REU": 105,
                             "TUV": 302}
    years = observations.loc[observations["period"].between("2002", "2015")]
    per_year = years.loc[years["indicator"] == "state_capacity"].groupby("period").size()
    assert (per_year["2002"], per_year["2015"], len(per_year)) == (184, 207, 14)
    tiers = years.loc[years["indicator"] == "response_tier"].groupby("period").size()
    assert (tiers["2005"], tiers["2015"]) == (141, 186)


@needs_real
def test_syria_is_where_displacement_and_deaths_peak_in_2015(observations):
    def top(indicator, period):
        rows = observations.loc[(observations["indicator"] == indicator)
                                & (observations["period"] == period)]
        return rows.nlargest(1, "value").iloc[0]

    displaced = top("displaced", "2015")
    assert (displaced["region_id"], displaced["value"]) == ("SYR", 6_600_000)
    deaths = top("conflict_deaths", "2015")
    assert (deaths["region_id"], deaths["value"]) == ("SYR", 59_582)


@needs_real
def test_factbook_tiers_only_extend_the_complete_tiers(observations):
    tiers = observations.loc[observations["indicator"] == "response_tier"]
    late = tiers.loc[tiers["period"] > "2015"]
    assert set(late["value"]) <= {2.0, 2.5, 3.0}
    assert sorted(late["period"].unique()) == ["2020", "2022", "2023", "2024", "2025"]
    assert not tiers.duplicated(["region_id", "period"]).any()


@needs_real
def test_outcome_events_by_report_year(project_dir):
    _, built = project_dir
    assert built.events_by_year == {
        "2005": 20, "2006": 18, "2007": 13, "2008": 16, "2009": 17, "2010": 15, "2011": 11,
        "2012": 11, "2013": 18, "2014": 13, "2015": 10}
    outcome = pd.read_csv(built.outcome, dtype={"period": str})
    assert len(outcome) == 1781 and set(outcome["value"]) == {0, 1}
    falls = outcome.loc[outcome["value"] == 1]
    # Thailand fell to the Watch List in 2010 and Tier 3 in 2014 from the list: one fall.
    assert falls.loc[falls["region_id"] == "THA", "period"].tolist() == ["2010"]


@needs_real
@pytest.mark.parametrize("name", CONFIGS)
def test_forewarn_validate_exits_0(project_dir, name, capsys):
    folder, _ = project_dir
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--config", str(folder / name)])
    assert caught.value.code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "all inputs are valid" in out and "regions: 241 (country), 24 parents" in out
    if name == "supervised.toml":
        assert "outcome: 1,781 region-periods, 162 with an event" in out


@needs_real
def test_index_at_the_end_of_2015(project_dir):
    folder, _ = project_dir
    project = forewarn.validate(folder / "index_only.toml")
    specs = specs_from_config(project.config)
    features, index_choice = specs.features, specs.index
    prepared = prepare(project, project.config.as_of, features)
    _, _, result = compute_index_at_origin(project, prepared, index_choice)
    scores = result["index_score"].to_series()
    assert set(scores.nlargest(5).index) >= {"SYR", "SSD", "YEM"}
    assert scores["DNK"] < 2 < 6 < scores["SYR"]
    flagged = result["low_reliability"].to_series()
    assert not flagged[["SYR", "DNK", "UKR", "NGA"]].any()
    assert flagged[["ATA", "GRL", "PRI"]].all()  # territories most sources leave out


# --- the current project: 2005-2025, crisis onsets, the GLOTIP outcome -----------------------

CURRENT = ("current_destination.toml", "current_origin.toml")


def test_crisis_onsets_by_hand():
    years = [str(y) for y in range(2000, 2008)]
    obs = pd.DataFrame({
        "region_id": ["A"] * 8 + ["B"] * 8 + ["B"] * 8,
        "indicator": ["conflict_intensity"] * 8 + ["refugees_origin"] * 8 + ["displaced"] * 8,
        "period": years * 3,
        "value": [1, 0, 0, 1, 1, 0, 0, 0,
                  1000, 1000, 1000, 1000, 90_000, 95_000, 95_000, 95_000,
                  # IDMC starts in 2003 at a high level: no jump without a history.
                  None, None, None, 500_000, 500_000, 600_000, 600_000, 2_000_000]})
    obs = obs.dropna(subset=["value"])
    events = build.crisis_onsets(obs)
    assert events.values.tolist() == [
        # A's first year has no quiet years before it; 2003 follows two at 0.
        ["A", "2003-01-01", "2005-01-01", "conflict", ""],
        # B: refugees abroad jump in 2004 (+89,000), dated to UNHCR's June 2005 release.
        ["B", "2005-06-15", "2006-06-15", "displacement", "89000"],
        # IDPs reach 2 million in 2007, 1.4 million above their 3-year median.
        ["B", "2008-06-15", "2009-06-15", "displacement", "1400000"],
    ]


@pytest.mark.parametrize("name", CURRENT)
def test_current_config_sections_make_valid_specs(name):
    raw = read_toml(EXAMPLE / name)
    catalogue = load_catalogue(EXAMPLE / "catalogue.toml")
    assert (raw["project"]["frequency"], raw["project"]["start"]) == ("annual", "2005")
    assert raw["forecast"]["as_of"] == "2025-12-31"
    assert raw["inputs"]["outcome_missing"] == "unknown"
    assert raw["project"]["demo"] is False
    features = FeatureSpec.from_config(raw["features"])
    assert set(features.indicators) <= set(catalogue)
    assert features.crisis_kinds == ("conflict", "displacement")
    model = ModelSpec.from_config(raw["model"])
    assert (model.target_rule, model.surge_factor, model.surge_min_excess) == ("surge", 2.0, 25)
    assert model.target_kwargs("annual")["history"] == 3
    assert BacktestSpec.from_config(raw["backtest"]).models == ("elastic_net", "additive",
                                                                "detection_aware")
    roles = {k: ind.role for k, ind in catalogue.items() if k in features.indicators}
    assert [k for k, r in roles.items() if r == "detection"] == ["rule_of_law"]
    assert {k for k, r in roles.items() if r == "risk"} == {
        "conflict_intensity", "political_stability", "displaced", "refugees_hosted",
        "refugees_origin", "gdp_per_capita"}
    signs = raw["model"]["detection_aware"]["detection_directions"]
    assert signs == {"state_capacity": 1, "rule_of_law": 1, "response_tier": -1}


@needs_real
def test_glotip_outcomes_and_onsets_are_built(project_dir):
    _, built = project_dir
    assert set(built.glotip_outcomes) == {"destination", "origin"}
    dest = pd.read_csv(built.glotip_outcomes["destination"], dtype={"period": str})
    origin = pd.read_csv(built.glotip_outcomes["origin"], dtype={"period": str})
    assert list(dest.columns) == ["region_id", "period", "value"]
    # Only the country-years UNODC has: nothing filled with 0 (a missing year is unknown).
    assert len(dest) < 1_450 and dest.groupby("period").size()["2021"] < 60
    nga = dest.set_index(["region_id", "period"]).loc[("NGA", "2017"), "value"]
    assert nga == 1890
    assert origin["region_id"].nunique() > 140
    onsets = pd.read_csv(built.crisis_events, dtype=str, keep_default_na=False)
    assert built.onsets == {"conflict": 88, "displacement": 72}
    syria = onsets.loc[onsets["region_id"] == "SYR"]
    assert ["2011-01-01", "conflict"] in syria[["start", "kind"]].values.tolist()
    # Syria's refugees jump in 2012, public in June 2013; Ukraine's in 2022, public 2023.
    assert ["2013-06-15", "displacement"] in syria[["start", "kind"]].values.tolist()
    ukraine = onsets.loc[(onsets["region_id"] == "UKR") & (onsets["kind"] == "displacement")]
    assert "2023-06-15" in set(ukraine["start"])


@needs_real
@pytest.mark.parametrize("name", CURRENT)
def test_current_configs_validate(project_dir, name, capsys):
    folder, _ = project_dir
    shutil.copy(EXAMPLE / name, folder / name)
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--config", str(folder / name)])
    assert caught.value.code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "crisis events: 88 conflict, 72 displacement" in out
    assert "region-periods of counts" in out


# --- forewarn init DIR --example countries ---------------------------------------------------

def test_init_example_refuses_what_it_cannot_do(tmp_path, monkeypatch, capsys):
    from forewarn.flows import _examples

    with pytest.raises(InputError, match=r"unknown example 'cities'; examples: countries"):
        _examples.init_example(tmp_path / "p", "cities")
    monkeypatch.setattr(_examples, "default_data", lambda: None)
    with pytest.raises(SystemExit) as caught:
        main(["init", str(tmp_path / "p"), "--example", "countries"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "no real data for the 'countries' example: pass --data" in err
    assert "Traceback" not in err and not (tmp_path / "p").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match=r"exists and is not empty"):
        _examples.init_example(tmp_path / "full", data=tmp_path)
    with pytest.raises(InputError, match=r"source 'wgi' not found"):
        _examples.init_example(tmp_path / "q", data=tmp_path / "empty")
    assert not (tmp_path / "q").exists()


@pytest.mark.slow  # builds the real project
@needs_real
def test_init_example_countries_writes_a_project_that_validates(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["init", str(tmp_path / "countries"), "--example", "countries", "--data",
              str(REAL)])
    assert caught.value.code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert f"next: forewarn validate --config {tmp_path / 'countries' / 'current_origin.toml'}" \
        in out
    assert ".forewarn-init-" not in out               # paths name the project, not the staging
    names = {p.name for p in (tmp_path / "countries").iterdir()}
    assert {"current_origin.toml", "current_destination.toml", "catalogue.toml", "index.toml",
            "README.md", "data"} <= names
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--config", str(tmp_path / "countries" / "current_origin.toml")])
    assert caught.value.code == 0, capsys.readouterr().err
