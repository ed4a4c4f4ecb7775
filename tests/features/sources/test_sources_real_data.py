"""Every reader on the real public file in ../shared/data/real: row counts and known values.

The known values were checked in the raw files (see each folder's README there). Each test is
skipped, saying why, when the shared data are not beside the repository.
"""

from pathlib import Path

import pytest

from forewarn.features import load_catalogue
from forewarn.features._validate import validate_observations
from forewarn.features.sources import (
    read_factbook_tip,
    read_idmc,
    read_natural_earth,
    read_tip_tiers,
    read_ucdp_acd,
    read_ucdp_ged,
    read_unhcr,
    read_wdi,
    read_wgi,
)

pytestmark = [pytest.mark.real_data, pytest.mark.slow]  # reads the real files

CATALOGUE = Path(__file__).resolve().parents[3] / "examples" / "countries" / "catalogue.toml"


def _value(obs, indicator, region, period):
    hit = obs.loc[(obs["indicator"] == indicator) & (obs["region_id"] == region)
                  & (obs["period"] == period), "value"]
    assert len(hit) == 1, f"{indicator} {region} {period}: {len(hit)} rows"
    return hit.iloc[0]


def _validates(obs, tmp_path):
    """The observations pass forewarn's own input validation against the example catalogue."""
    path = tmp_path / "observations.parquet"
    obs.to_parquet(path)
    checked = validate_observations(path, load_catalogue(CATALOGUE))
    assert len(checked) == len(obs)


def test_wgi(real, tmp_path):
    obs = read_wgi(real("wgi", "WGIData.csv"))
    assert len(obs) == 29_645
    assert obs["region_id"].nunique() == 213  # 214 economies less the Netherlands Antilles
    assert obs.groupby("indicator").size().to_dict() == {
        "corruption_control": 4920, "political_stability": 4956, "regulatory_quality": 4898,
        "rule_of_law": 5010, "state_capacity": 4896, "voice_accountability": 4965}
    assert _value(obs, "corruption_control", "AFG", "1996") == pytest.approx(-1.29170477)
    assert _value(obs, "political_stability", "SYR", "2015") == pytest.approx(-2.965, abs=1e-3)
    assert _value(obs, "corruption_control", "DNK", "2022") == pytest.approx(2.403, abs=1e-3)
    assert "XKX" in set(obs["region_id"])
    assert not {"1997", "1999", "2001"} & set(obs["period"])  # biennial before 2002
    assert obs["published"].isna().all()
    _validates(obs, tmp_path)


def test_wdi_from_datahub_files(real, tmp_path):
    folder = ("worldbank_wdi_population_gdp",)
    obs = read_wdi(real(*folder, "wdi_population.csv"), real(*folder, "wdi_gdp.csv"))
    assert obs.groupby("indicator").size().to_dict() == {"gdp_per_capita": 11_129,
                                                        "population": 14_010}
    assert obs["region_id"].nunique() == 216  # 265 codes less World Bank aggregates
    assert not {"WLD", "SSF", "EUU"} & set(obs["region_id"])
    assert _value(obs, "gdp_per_capita", "USA", "2023") == pytest.approx(81_236, abs=1)
    assert _value(obs, "gdp_per_capita", "SYR", "2010") == pytest.approx(2_731, abs=1)
    assert _value(obs, "gdp_per_capita", "AFG", "2020") == pytest.approx(511, abs=1)
    assert _value(obs, "population", "XKX", "2020") == 1_790_151
    _validates(obs, tmp_path)


def test_unhcr(real, tmp_path):
    obs = read_unhcr(real("unhcr_refugee_statistics", "population.csv"))
    assert obs.groupby("indicator").size().to_dict() == {
        "asylum_seekers_hosted": 7732, "asylum_seekers_origin": 7490, "idps_unhcr": 7490,
        "refugees_hosted": 7732, "refugees_origin": 7490}
    assert _value(obs, "refugees_origin", "SYR", "2015") == 4_873_236
    assert _value(obs, "refugees_origin", "SYR", "2011") == 19_931
    assert _value(obs, "refugees_origin", "UKR", "2022") == 5_684_177
    assert _value(obs, "idps_unhcr", "SYR", "2015") == 6_563_462
    assert _value(obs, "refugees_hosted", "TUR", "2015") == 2_541_348
    assert not {"UNK", "XXA", "TIB"} & set(obs["region_id"])
    _validates(obs, tmp_path)


def test_idmc(real, tmp_path):
    obs = read_idmc(real("unhcr_refugee_statistics", "idmc.csv"))
    assert len(obs) == 900 and obs["region_id"].nunique() == 82  # Abyei and unknown dropped
    assert _value(obs, "displaced", "SYR", "2014") == 7_600_000
    assert _value(obs, "displaced", "SYR", "2015") == 6_600_000
    _validates(obs, tmp_path)


def test_ucdp_ged(real, tmp_path):
    obs = read_ucdp_ged(real("ucdp_ged_country_year_events", "conflictdata.csv"))
    # 186 countries x 20 years in the file, plus the state-years of the GW system it lacks.
    assert len(obs) == 3911 and obs["region_id"].nunique() == 196
    assert _value(obs, "conflict_deaths", "SYR", "2011") == 4_347
    assert _value(obs, "conflict_deaths", "SYR", "2015") == 59_582
    assert _value(obs, "conflict_deaths", "UKR", "2014") == 4_528
    assert _value(obs, "conflict_deaths", "DNK", "2010") == 0
    _validates(obs, tmp_path)


def test_ucdp_acd(real, tmp_path):
    obs = read_ucdp_acd(real("ucdp_prio_acd_peacesciencer", "ucdp_acd.csv"))
    assert obs.groupby("indicator").size().to_dict() == {"armed_conflicts": 12_330,
                                                        "conflict_intensity": 12_330}
    assert (obs["period"].min(), obs["period"].max()) == ("1946", "2024")
    intensity = {y: _value(obs, "conflict_intensity", "SYR", y)
                 for y in ("2010", "2011", "2021", "2024")}
    assert intensity == {"2010": 0, "2011": 2, "2021": 1, "2024": 2}
    assert _value(obs, "armed_conflicts", "SYR", "2015") == 3
    _validates(obs, tmp_path)


def test_tip_tiers(real, tmp_path):
    obs = read_tip_tiers(real("tip_tiers_kelley_heiss", "tip_tiers_orig.csv"))
    assert len(obs) == 2251 and obs["region_id"].nunique() == 186
    counts = obs.loc[obs["period"] == "2015"].groupby("value").size().to_dict()
    assert counts == {1.0: 30, 2.0: 89, 2.5: 44, 3.0: 23}  # the 2015 report
    tier3 = set(obs.loc[(obs["period"] == "2015") & (obs["value"] == 3), "region_id"])
    assert {"SYR", "RUS", "THA", "PRK", "ERI"} <= tier3
    assert _value(obs, "response_tier", "XKX", "2015") == 2  # "KOS" in the file
    assert obs.loc[obs["period"] == "2001", "value"].value_counts().to_dict() == {
        2.0: 47, 3.0: 21, 1.0: 11}
    _validates(obs, tmp_path)


def test_factbook_tip(real, tmp_path):
    path = real("cia_factbook_tip_tier_text", "factbook_trafficking_in_persons_2001_2025.csv")
    obs = read_factbook_tip(path)
    assert obs.groupby(["period", "value"]).size().to_dict() == {
        ("2024", 2.5): 32, ("2024", 3.0): 21, ("2025", 2.5): 25, ("2025", 3.0): 20}
    assert _value(obs, "response_tier", "DZA", "2024") == 2.5
    stamped = read_factbook_tip(path, use_date_stamp=True)
    assert len(stamped) == 542 and {"2015", "2020", "2022", "2023"} <= set(stamped["period"])
    _validates(stamped, tmp_path)


def test_natural_earth_50m(real):
    regions = read_natural_earth(real("natural_earth_admin0", "ne_50m_admin_0_countries.geojson"))
    assert len(regions) == 241 and regions.index.is_unique
    assert str(regions.crs) == "EPSG:4326"
    assert {"FRA", "NOR", "XKX", "SSD", "PSE"} <= set(regions.index)
    assert regions.loc["FRA", "parent_id"] == "Western Europe"
    assert regions.loc["SSD", "name"] == "South Sudan"
    assert (regions["level"] == "country").all()
    assert regions.geometry.is_valid.all()


def test_natural_earth_110m_is_repaired(real):
    # Natural Earth's 1:110m Sudan polygon intersects itself.
    regions = read_natural_earth(real("natural_earth_admin0",
                                      "ne_110m_admin_0_countries.geojson"), parent="continent")
    assert len(regions) == 177 and regions.geometry.is_valid.all()
    assert regions.loc["SDN", "parent_id"] == "Africa"
