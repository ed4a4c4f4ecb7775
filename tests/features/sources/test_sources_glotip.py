"""UNODC GLOTIP reader: text values parsed, '<5' kept censored, the two outcome series.

Unit tests run on small workbooks written here in UNODC's layout; the real-file tests (marked
``real_data``) check the sanity values of ../shared/data/real/unodc_glotip/README.md and skip,
saying why, when the shared data are not beside the repository.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.features.sources import glotip_outcome, read_glotip, read_glotip_table, to_iso3
from forewarn.features.sources._glotip import CENSORED_BOUNDS

COLUMNS = ["Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category",
           "Sex", "Age", "Year", "Unit of measurement", "txtVALUE", "Source"]
VICTIMS = "Detected trafficking victims"


def row(iso, country, year, value, dimension="Total", category="Total", sex="Total",
        age="Total", indicator=VICTIMS):
    return [iso, country, "Europe", "Western Europe", indicator, dimension, category, sex, age,
            str(year), "Counts", value, "GLOTIP"]


def workbook(rows, columns=COLUMNS) -> bytes:
    """The bytes of an .xlsx with UNODC's single sheet and header."""
    buffer = io.BytesIO()
    pd.DataFrame(rows, columns=columns).to_excel(buffer, sheet_name="data_glotip_1", index=False)
    return buffer.getvalue()


def write(tmp_path, rows, columns=COLUMNS):
    path = tmp_path / "data_glotip.xlsx"
    path.write_bytes(workbook(rows, columns))
    return path


ROWS = [
    row("DEU", "Germany", 2015, "1,269"),
    row("DEU", "Germany", 2016, "<5"),
    row("DEU", "Germany", 2016, "40", sex="Female"),           # not a total: ignored
    row("DEU", "Germany", 2016, "7", indicator="Persons convicted"),
    row("ITA", "Italy", 2016, "12"),
    row("SAM", None, 2017, "2,702"),                            # an aggregate code: no country
    # Citizenship: Syrians detected in Germany and Italy; Germans at home; a region; mojibake.
    row("DEU", "Germany", 2016, "30", "by citizenship", "Syrian Arab Republic"),
    row("ITA", "Italy", 2016, "<5", "by citizenship", "Syrian Arab Republic"),
    row("DEU", "Germany", 2016, "900", "by citizenship", "Nationals"),
    row("ITA", "Italy", 2016, "8", "by citizenship", "Italy"),
    row("DEU", "Germany", 2016, "50", "by citizenship", "M49 Region: Africa"),
    row("DEU", "Germany", 2016, "<5", "by citizenship", "CÃ´te d'Ivoire"),
    row("ITA", "Italy", 2016, "3", "by citizenship", "Germany"),
    row("SYR", "Syrian Arab Republic", 2016, "5", "Total"),
]


def _one(obs, indicator, region, period):
    hit = obs.loc[(obs["indicator"] == indicator) & (obs["region_id"] == region)
                  & (obs["period"] == period)]
    assert len(hit) == 1, f"{indicator} {region} {period}: {len(hit)} rows"
    return hit.iloc[0]


def test_table_parses_thousands_and_keeps_censored_cells(tmp_path):
    table = read_glotip_table(write(tmp_path, ROWS))
    assert len(table) == len(ROWS) - 1                          # SAM names no country
    big = table.loc[(table["region_id"] == "DEU") & (table["year"] == 2015)].iloc[0]
    assert (big["lower"], big["upper"], big["censored"]) == (1269.0, 1269.0, False)
    small = table.loc[(table["region_id"] == "DEU") & (table["year"] == 2016)
                      & (table["sex"] == "Total") & (table["dimension"] == "Total")
                      & (table["indicator"] == VICTIMS)].iloc[0]
    assert (small["lower"], small["upper"], small["censored"]) == (0.0, 4.0, True)
    assert table[["lower", "upper"]].notna().all().all()


@pytest.mark.parametrize("censored, expected", [("mid", 2.0), ("low", 0.0), ("high", 4.0)])
def test_destination_series_counts_a_censored_cell_inside_0_to_4(tmp_path, censored, expected):
    obs = read_glotip(write(tmp_path, ROWS), censored=censored)
    assert _one(obs, "victims_detected", "DEU", "2015")["value"] == 1269.0
    cell = _one(obs, "victims_detected", "DEU", "2016")
    assert cell["value"] == expected and cell["value"] != 5
    assert (cell["lower"], cell["upper"], cell["censored_cells"]) == (0.0, 4.0, 1)
    # Only totals: the Female row and the convictions do not count.
    assert set(obs.loc[obs["indicator"] == "victims_detected", "region_id"]) == {
        "DEU", "ITA", "SYR"}


def test_origin_series_sums_reporters_and_bounds_the_censored_cells(tmp_path):
    obs = read_glotip(write(tmp_path, ROWS))
    syr = _one(obs, "victims_citizens_abroad", "SYR", "2016")
    # 30 exact in Germany + one '<5' in Italy: between 30 and 34, counted as 32.
    assert (syr["lower"], syr["upper"], syr["value"], syr["censored_cells"]) == (
        30.0, 30.0 + CENSORED_BOUNDS[1], 32.0, 1)
    # Nationals and a reporter's own name are its citizens at home, not abroad.
    deu = _one(obs, "victims_citizens_abroad", "DEU", "2016")
    assert (deu["value"], deu["censored_cells"]) == (3.0, 0)
    assert "ITA" not in set(obs.loc[obs["indicator"] == "victims_citizens_abroad",
                                    "region_id"])
    # UTF-8 read as Latin-1 is undone; a region counts for no country.
    assert _one(obs, "victims_citizens_abroad", "CIV", "2016")["censored_cells"] == 1
    assert set(obs.loc[obs["indicator"] == "victims_citizens_abroad", "region_id"]) == {
        "SYR", "DEU", "CIV"}
    assert obs["published"].isna().all()
    assert np.isfinite(obs[["value", "lower", "upper"]].to_numpy()).all()


def test_outcome_tables(tmp_path):
    obs = read_glotip(write(tmp_path, ROWS))
    dest = glotip_outcome(obs, "destination")
    assert list(dest.columns) == ["region_id", "period", "value", "lower", "upper",
                                  "censored_cells"]
    assert dest[["region_id", "period"]].values.tolist() == [
        ["DEU", "2015"], ["DEU", "2016"], ["ITA", "2016"], ["SYR", "2016"]]
    assert glotip_outcome(obs, "origin")["region_id"].tolist() == ["CIV", "DEU", "SYR"]
    with pytest.raises(InputError, match=r"'series' is 'transit'; use 'destination' or "
                                         r"'origin'"):
        glotip_outcome(obs, "transit")


def test_a_value_that_is_no_count_is_named(tmp_path):
    rows = [*ROWS[:3], row("FRA", "France", 2016, "about 40")]
    with pytest.raises(InputError, match=r"data_glotip.xlsx, row 4, column 'txtVALUE': txtVALUE "
                                         r"'about 40' is neither a count .* nor '<5'; 1 value"):
        read_glotip(write(tmp_path, rows))


def test_missing_columns_are_named(tmp_path):
    columns = [c if c != "txtVALUE" else "VALUE" for c in COLUMNS]
    with pytest.raises(InputError, match=r"the column 'txtVALUE' is missing .*this does not "
                                         r"look like UNODC's GLOTIP data"):
        read_glotip(write(tmp_path, ROWS, columns))


def test_not_a_workbook(tmp_path):
    path = tmp_path / "data_glotip.xlsx"
    path.write_text("Iso3_code,Year\nDEU,2016\n")
    with pytest.raises(InputError, match=r"does not read as an Excel workbook: .*download "
                                         r"UNODC's data_glotip.xlsx again"):
        read_glotip(path)
    with pytest.raises(InputError, match=r"file not found"):
        read_glotip(tmp_path / "absent.xlsx")


def test_unknown_censored_rule(tmp_path):
    with pytest.raises(InputError, match=r"'censored' is 'five'; use 'mid' \(2\), 'low' \(0\) "
                                         r"or 'high' \(4\)"):
        read_glotip(write(tmp_path, ROWS), censored="five")


# --- the real file ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_glotip():
    from tests.features.sources.conftest import REAL

    path = REAL / "unodc_glotip" / "data_glotip.xlsx"
    if not path.is_file():
        pytest.skip(f"real data file {path} not found: the public datasets live in the "
                    "project's shared folder beside the repository")
    return path


@pytest.mark.slow  # reads the 10 MB workbook
@pytest.mark.real_data
def test_real_file_sanity_values(real_glotip):
    raw = pd.read_excel(real_glotip, dtype=str)
    assert len(raw) == 46_556
    assert (raw["txtVALUE"] == "<5").sum() == 23_076
    table = read_glotip_table(real_glotip)
    country = to_iso3(raw["Iso3_code"].fillna("")).notna()
    assert len(table) == int(country.sum())
    # Every '<5' of a country is kept, censored in 0-4: none lost, none read as 5.
    assert int(table["censored"].sum()) == int(((raw["txtVALUE"] == "<5") & country).sum())
    censored = table.loc[table["censored"]]
    assert (censored["lower"] == 0).all() and (censored["upper"] == 4).all()
    obs = read_glotip(real_glotip)
    dest = glotip_outcome(obs, "destination")
    # README: 1,450 country-years, 167 codes; 12 of them on MCN, SAF, SAM (no country).
    assert len(dest) == 1_450 - 12 and dest["region_id"].nunique() == 167 - 3
    per_year = dest.groupby("period").size()
    assert per_year[["2007", "2010", "2014", "2017", "2020", "2021"]].tolist() == [
        59, 93, 106, 139 - 3, 128 - 3, 55]
    for region, year, value in [("NGA", "2017", 1890), ("NGA", "2021", 1470),
                                ("UKR", "2018", 1192), ("UKR", "2020", 1680),
                                ("DEU", "2007", 689)]:
        assert _one(obs, "victims_detected", region, year)["value"] == value
    cit = table.loc[(table["indicator"] == VICTIMS) & (table["dimension"] == "by citizenship")]
    assert len(cit) == 7_110 and cit["region_id"].nunique() == 140
    assert cit["category"].nunique() == 345
    origin = glotip_outcome(obs, "origin").set_index(["region_id", "period"])
    # Syrian citizens detected as victims abroad rise after 2015.
    syria = origin.loc["SYR", "value"]
    assert syria.loc[["2016", "2020", "2021"]].min() > 2 * syria.loc[
        [str(y) for y in range(2007, 2015)]].max()
    assert (origin["lower"] <= origin["value"]).all()
    assert (origin["value"] <= origin["upper"]).all()
    assert (origin["upper"] - origin["lower"] == 4 * origin["censored_cells"]).all()


@pytest.mark.slow  # reads the 10 MB workbook
@pytest.mark.real_data
def test_real_file_validates_as_observations(real_glotip, tmp_path):
    from pathlib import Path

    from forewarn.features import load_catalogue
    from forewarn.features._validate import validate_observations

    catalogue = load_catalogue(Path(__file__).resolve().parents[3] / "examples" / "countries"
                               / "catalogue.toml")
    obs = read_glotip(real_glotip)
    path = tmp_path / "observations.parquet"
    obs[["region_id", "indicator", "period", "value", "published"]].to_parquet(path)
    assert len(validate_observations(path, catalogue)) == len(obs)
