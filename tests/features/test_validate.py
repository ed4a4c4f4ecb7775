"""Every validation message: file, row, column, what was found and the fix; exit 2, no traceback."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from forewarn.errors import ForewarnWarning, InputError
from forewarn.features import load_catalogue
from forewarn.features._regions import read_regions
from forewarn.features._validate import (
    validate_crisis_events,
    validate_observations,
    validate_outcome,
)
from forewarn.flows.cli import main


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def edit_csv(path, fn):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(frame).to_csv(path, index=False)


@pytest.fixture
def catalogue(tiny_project):
    return load_catalogue(tiny_project.parent / "catalogue.toml")


@pytest.fixture
def obs_path(tiny_project):
    return tiny_project.parent / "observations.csv"


def test_valid_project_passes(tiny_project, capsys):
    code, out, err = run_cli(["validate", "--config", str(tiny_project)], capsys)
    assert code == 0, err
    assert "all inputs are valid" in out
    assert "regions: 3" in out


def test_misspelt_column(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.rename(columns={"region_id": "regoin_id"}))
    with pytest.raises(InputError, match=r"observations.csv, column 'regoin_id': column "
                       r"'regoin_id' looks like a misspelling of the required column 'region_id'"):
        validate_observations(obs_path, catalogue)


def test_missing_column_lists_what_was_found(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.drop(columns="value"))
    with pytest.raises(InputError, match=r"required column 'value' is missing \(found: "
                       r"region_id, indicator, period, published\)"):
        validate_observations(obs_path, catalogue)


def test_value_not_a_number(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.assign(value=f["value"].where(f.index != 3, "n/a")))
    with pytest.raises(InputError, match=r"observations.csv, row 5, column 'value': 'n/a' is not "
                       r"a number\. Use digits .* or an empty cell for a missing value"):
        validate_observations(obs_path, catalogue)


def test_period_does_not_parse(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.assign(period=f["period"].where(f.index != 0, "2020/13")))
    with pytest.raises(InputError, match=r"row 2, column 'period': '2020/13' is not a period\. "
                       r"Write YYYY \(a year\), YYYY-Qn"):
        validate_observations(obs_path, catalogue)


def test_period_of_wrong_frequency(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.assign(period=f["period"].where(f.index != 0, "2020")))
    with pytest.raises(InputError, match=r"'2020' is a annual period but indicator 'displaced' "
                       r"is monthly in the catalogue; write the period as YYYY-MM"):
        validate_observations(obs_path, catalogue)


def test_published_before_period_end(obs_path, catalogue):
    def fn(f):
        f.loc[f["indicator"] == "gov", "published"] = "2020-06-30"
        return f
    edit_csv(obs_path, fn)
    with pytest.raises(InputError, match=r"column 'published': published 2020-06-30 is before "
                       r"the end of its period 2020 \(2020-12-31\)"):
        validate_observations(obs_path, catalogue)


def test_unknown_region(obs_path, catalogue, tiny_regions):
    edit_csv(obs_path, lambda f: f.assign(region_id=f["region_id"].where(f.index != 0, "AA-01")))
    with pytest.raises(InputError, match=r"row 2, column 'region_id': region 'AA-01' is not in "
                       r"the regions file\. Did you mean 'AA01'\? Add the region"):
        validate_observations(obs_path, catalogue, tiny_regions.index)


def test_unknown_indicator(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.assign(indicator=f["indicator"].where(f.index != 0,
                                                                          "displacd")))
    with pytest.raises(InputError, match=r"column 'indicator': indicator 'displacd' is not in "
                       r"the catalogue .* Did you mean 'displaced'\?"):
        validate_observations(obs_path, catalogue)


def test_conflicting_duplicate_without_vintage(obs_path, catalogue):
    def fn(f):
        extra = f.iloc[[0]].assign(value="999")
        return pd.concat([f, extra], ignore_index=True)
    edit_csv(obs_path, fn)
    with pytest.raises(InputError, match=r"row 80, column 'value': a different value for the "
                       r"same region, indicator, period and publication date \(row 2\); keep "
                       r"one, or give each vintage its own 'published' date"):
        validate_observations(obs_path, catalogue)


def test_revision_with_its_own_date_is_fine(obs_path, catalogue):
    def fn(f):
        extra = f.iloc[[0]].assign(value="999", published="2020-06-01")
        return pd.concat([f, extra], ignore_index=True)
    edit_csv(obs_path, fn)
    obs = validate_observations(obs_path, catalogue)
    first = obs[(obs.region_id == "AA01") & (obs.indicator == "displaced") &
                (obs.period == "2020-01")]
    assert sorted(first["value"]) == [100.0, 999.0]


def test_exact_duplicate_is_dropped(obs_path, catalogue):
    edit_csv(obs_path, lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    assert len(validate_observations(obs_path, catalogue)) == 78


def test_value_outside_valid_range(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.assign(value=f["value"].where(f.index != 1, "-5")))
    with pytest.raises(InputError, match=r"row 3, column 'value': -5 is outside the valid range "
                       r"\[0, inf\] of indicator 'displaced'"):
        validate_observations(obs_path, catalogue)


def test_many_bad_rows_are_summarised(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.assign(value="x"))
    with pytest.raises(InputError) as exc:
        validate_observations(obs_path, catalogue)
    text = str(exc.value)
    assert "... and 73 more rows with the same problem in column 'value'" in text
    assert len(exc.value.problems) == 6


def test_all_problems_are_listed(obs_path, catalogue):
    def fn(f):
        f.loc[0, "value"] = "abc"
        f.loc[1, "period"] = "soon"
        f.loc[2, "indicator"] = "nope"
        return f
    edit_csv(obs_path, fn)
    with pytest.raises(InputError, match="3 problems found") as exc:
        validate_observations(obs_path, catalogue)
    cols = sorted(p.column for p in exc.value.problems)
    assert cols == ["indicator", "period", "value"]


def test_empty_file(obs_path, catalogue):
    obs_path.write_bytes(b"")
    with pytest.raises(InputError, match=r"observations.csv: the file is empty; it needs a "
                       r"header row"):
        validate_observations(obs_path, catalogue)


def test_header_only(obs_path, catalogue):
    obs_path.write_text("region_id,indicator,period,value\n", encoding="utf-8")
    with pytest.raises(InputError, match="has a header but no data rows"):
        validate_observations(obs_path, catalogue)


def test_not_utf8(obs_path, catalogue):
    obs_path.write_bytes("region_id,indicator,period,value\nAA01,gov,2020,5\nAÖ,gov,2020,5\n"
                         .encode("latin-1"))
    with pytest.raises(InputError, match=r"row 3: is not UTF-8 \(byte 0xd6 at line 3\); re-save "
                       r"it as UTF-8"):
        validate_observations(obs_path, catalogue)


def test_unsupported_format(tmp_path, catalogue):
    p = tmp_path / "obs.xlsx"
    p.write_bytes(b"x")
    with pytest.raises(InputError, match=r"unsupported format '\.xlsx'; use \.csv"):
        validate_observations(p, catalogue)


def test_parquet_is_read_like_csv(obs_path, tmp_path, catalogue):
    frame = pd.read_csv(obs_path, keep_default_na=False, dtype=str)
    pq = tmp_path / "obs.parquet"
    frame.to_parquet(pq)
    pd.testing.assert_frame_equal(validate_observations(pq, catalogue),
                                  validate_observations(obs_path, catalogue))


def test_extra_column_warns(obs_path, catalogue):
    edit_csv(obs_path, lambda f: f.assign(notes="checked"))
    with pytest.warns(ForewarnWarning, match="columns notes are not used by forewarn"):
        validate_observations(obs_path, catalogue)


def test_default_published_is_period_end_plus_lag(obs_path, catalogue):
    obs = validate_observations(obs_path, catalogue)
    row = obs[(obs.indicator == "displaced") & (obs.period == "2020-02")].iloc[0]
    assert row["published"] == pd.Timestamp("2020-03-30")  # 29 Feb + 30 days
    tier = obs[obs.indicator == "tier"].iloc[0]
    assert tier["published"] == pd.Timestamp("2021-06-29")  # 31 Dec + 180 days


# ---------------------------------------------------------------- regions


def test_regions_invalid_geometry(tmp_path, tiny_regions):
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    bad = tiny_regions.copy()
    bad.loc["AA02", "geometry"] = bowtie
    p = tmp_path / "r.gpkg"
    bad.reset_index().to_file(p)
    with pytest.raises(InputError, match=r"r.gpkg, row 2, column 'geometry': region 'AA02' has "
                       r"an invalid geometry \(Self-intersection.*\); repair it"):
        read_regions(p)


def test_regions_duplicate_ids(tmp_path, tiny_regions):
    bad = tiny_regions.reset_index()
    bad.loc[2, "region_id"] = "AA01"
    p = tmp_path / "r.geojson"
    bad.to_file(p)
    with pytest.raises(InputError, match=r"row 3, column 'region_id': region id 'AA01' appears "
                       r"more than once; ids must be unique"):
        read_regions(p)


def test_regions_without_crs(tmp_path, tiny_regions):
    p = tmp_path / "r.parquet"
    tiny_regions.reset_index().set_crs(None, allow_override=True).to_parquet(p)
    with pytest.raises(InputError, match=r"has no coordinate reference system \(CRS\); set one"):
        read_regions(p)


def test_regions_missing_name(tmp_path, tiny_regions):
    p = tmp_path / "r.gpkg"
    tiny_regions.rename(columns={"name": "nmae"}).reset_index().to_file(p)
    with pytest.raises(InputError, match=r"column 'name': the required column 'name' is missing "
                       r".* Column 'nmae' looks like a misspelling"):
        read_regions(p)


def test_regions_are_reprojected_to_4326(tmp_path, tiny_regions):
    p = tmp_path / "r.gpkg"
    tiny_regions.to_crs("EPSG:3857").reset_index().to_file(p)
    out = read_regions(p)
    assert out.crs.to_epsg() == 4326
    assert list(out.index) == ["AA01", "AA02", "BB01"]
    assert out.geometry.iloc[0].equals_exact(tiny_regions.geometry.iloc[0], 1e-9)


def test_regions_empty_file(tmp_path):
    p = tmp_path / "r.gpkg"
    p.write_bytes(b"")
    with pytest.raises(InputError, match="r.gpkg: the file is empty"):
        read_regions(p)


# ---------------------------------------------------------------- outcome and crisis events


def test_outcome_negative_and_duplicate(tmp_path):
    p = tmp_path / "outcome.csv"
    p.write_text("region_id,period,value\nA,2020-01,1\nA,2020-01,0\nB,2020-01,-1\n")
    with pytest.raises(InputError) as exc:
        validate_outcome(p)
    text = str(exc.value)
    assert "row 4, column 'value': -1 is negative" in text
    assert "row 3, column 'value': a different value for the same region and period (row 2)" \
        in text


def test_crisis_end_before_start(tmp_path):
    p = tmp_path / "events.csv"
    p.write_text("region_id,start,end,kind,magnitude\nA,2020-05-01,2020-04-01,conflict,10\n"
                 "A,2020-05-01,,,\n")
    with pytest.raises(InputError) as exc:
        validate_crisis_events(p)
    text = str(exc.value)
    assert "row 2, column 'end': end 2020-04-01 is before start 2020-05-01" in text
    assert "row 3, column 'kind': is empty; name the kind of crisis" in text


def test_crisis_events_parse(tmp_path):
    p = tmp_path / "events.csv"
    p.write_text("region_id,start,end,kind,magnitude\nA,2020-05-01,,Conflict,\n")
    ev = validate_crisis_events(p)
    assert ev["kind"].tolist() == ["conflict"]
    assert ev["end"].isna().all() and ev["magnitude"].isna().all()


# ---------------------------------------------------------------- through the command line


@pytest.mark.parametrize("breakage, expected", [
    (lambda d: (d / "observations.csv").write_bytes(b""), "observations.csv: the file is empty"),
    (lambda d: (d / "catalogue.toml").write_text("[indicators.x\n"), "does not parse as TOML"),
    (lambda d: (d / "forewarn.toml").write_text(
        (d / "forewarn.toml").read_text() + "\n[modle]\n"), r"unknown section \[modle\]"),
    (lambda d: (d / "regions.gpkg").write_bytes(b"not a geopackage"),
     "could not be read as a regions file"),
])
def test_cli_exits_2_without_traceback(tiny_project, capsys, breakage, expected):
    breakage(tiny_project.parent)
    code, out, err = run_cli(["validate", "--config", str(tiny_project)], capsys)
    assert code == 2
    assert "Traceback" not in err + out
    assert "nothing was published" in err
    assert pytest.importorskip("re").search(expected, err), err


def test_cli_lists_problems_from_every_file(tiny_project, capsys):
    d = tiny_project.parent
    (d / "outcome.csv").write_text("region_id,period,value\nZZ99,2020-01,1\n")
    edit_csv(d / "observations.csv", lambda f: f.assign(value=f["value"].where(f.index != 0,
                                                                                "many")))
    code, _, err = run_cli(["validate", "--config", str(tiny_project)], capsys)
    assert code == 2
    assert "2 input problems" in err
    assert "outcome.csv, row 2, column 'region_id': region 'ZZ99'" in err
    assert "observations.csv, row 2, column 'value': 'many' is not a number" in err
