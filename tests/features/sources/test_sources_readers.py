"""Readers on small files in the publishers' layouts: layouts, edge cases and every error."""

import json
import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from forewarn.errors import ForewarnWarning, InputError
from forewarn.features.sources import (
    read_acled,
    read_admin1,
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
from forewarn.features.sources._common import OBSERVATION_COLUMNS


def _series(obs, indicator, region):
    sub = obs.loc[(obs["indicator"] == indicator) & (obs["region_id"] == region)]
    return dict(zip(sub["period"], sub["value"]))


def _check_contract(obs):
    assert tuple(obs.columns) == OBSERVATION_COLUMNS
    assert str(obs["published"].dtype) == "datetime64[ns]"
    assert obs["value"].dtype == "float64"
    assert not obs.duplicated(["region_id", "indicator", "period"]).any()


# --- WGI ------------------------------------------------------------------------------------

def test_wgi_fixture_and_its_zip(fixture_path, tmp_path, zipped):
    csv = fixture_path("wgi", "WGIData.csv")
    obs = read_wgi(csv)
    _check_contract(obs)
    assert set(obs["indicator"]) == {"corruption_control", "state_capacity"}
    assert set(obs["region_id"]) == {"AFG", "XKX"}  # ANT has no ISO code
    assert _series(obs, "state_capacity", "AFG")["1996"] == pytest.approx(-2.17516660690308)
    archive = tmp_path / "WGI_CSV.zip"
    archive.write_bytes(zipped({"WGICountry.csv": b"Country Code\nAFG\n",
                                 "WGIData.csv": csv.read_bytes()}))
    pd.testing.assert_frame_equal(read_wgi(archive), obs)


def test_wgi_newer_code_prefix_and_databank_year_headers(tmp_path):
    path = tmp_path / "wgi.csv"
    path.write_text('Country Name,Country Code,Series Name,Indicator Code,"2021 [YR2021]",'
                    '"2022 [YR2022]"\nSyria,SYR,Rule of Law,GOV_WGI_RL.EST,..,-1.9\n',
                    encoding="utf-8")
    obs = read_wgi(path)
    assert obs[["region_id", "indicator", "period", "value"]].values.tolist() == [
        ["SYR", "rule_of_law", "2022", -1.9]]


def test_wgi_without_estimates_says_what_it_found(tmp_path):
    path = tmp_path / "wgi.csv"
    path.write_text("Country Code,Indicator Code,2020\nAFG,CC.STD.ERR,0.2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no WGI estimate series .* codes found: CC.STD.ERR"):
        read_wgi(path)


def test_wgi_wrong_file_names_missing_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"column 'Country Code' is missing \(found: a, b\)"):
        read_wgi(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found; check the path"):
        read_wgi(tmp_path / "nope.csv")


def test_zip_without_csv(tmp_path, zipped):
    path = tmp_path / "WGI_CSV.zip"
    path.write_bytes(zipped({"readme.txt": b"hello"}))
    with pytest.raises(InputError, match="the zip archive holds no data CSV"):
        read_wgi(path)


# --- WDI ------------------------------------------------------------------------------------

def test_wdi_api_json(fixture_path):
    obs = read_wdi(fixture_path("wdi", "SP.POP.TOTL.json"),
                   fixture_path("wdi", "NY.GDP.PCAP.CD.json"))
    _check_contract(obs)
    assert set(obs["region_id"]) == {"AFG", "SYR", "XKX"}  # World dropped
    assert _series(obs, "gdp_per_capita", "SYR")["2020"] == 530.0
    assert "2023" not in _series(obs, "gdp_per_capita", "SYR")  # null in the API answer
    assert (obs["published"] == pd.Timestamp("2025-07-01")).all()  # the API's lastupdated


def test_wdi_bulk_csv_divides_gdp_by_population(tmp_path, zipped):
    meta = '"Data Source","World Development Indicators",\n\n"Last Updated Date","2025-07-01",\n\n'
    head = '"Country Name","Country Code","Indicator Name","Indicator Code","2019","2020",\n'
    pop = tmp_path / "API_SP.POP.TOTL_DS2_en_csv_v2_1.csv"
    pop.write_text(meta + head + '"Aruba","ABW","Population, total","SP.POP.TOTL","100",'
                   '"200",\n"World","WLD","Population, total","SP.POP.TOTL","9","9",\n')
    gdp = tmp_path / "API_NY.GDP.MKTP.CD_DS2_en_csv_v2_1.zip"
    gdp.write_bytes(zipped({
        "Metadata_Country_API_NY.GDP.MKTP.CD_DS2.csv": b"x\n",
        "API_NY.GDP.MKTP.CD_DS2_en_csv_v2_1.csv": (meta + head + '"Aruba","ABW","GDP",'
                                                   '"NY.GDP.MKTP.CD","1000","",\n').encode()}))
    obs = read_wdi(pop, gdp)
    assert _series(obs, "population", "ABW") == {"2019": 100.0, "2020": 200.0}
    assert _series(obs, "gdp_per_capita", "ABW") == {"2019": 10.0}
    assert (obs["published"] == pd.Timestamp("2025-07-01")).all()


def test_wdi_refuses_swapped_files(fixture_path):
    with pytest.raises(InputError, match=r"holds WDI series 'NY.GDP.PCAP.CD', not population"):
        read_wdi(fixture_path("wdi", "NY.GDP.PCAP.CD.json"))


def test_wdi_api_error_answer(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"message": [{"id": "120", "key": "Invalid value"}]}]))
    with pytest.raises(InputError, match="holds the World Bank API's error answer"):
        read_wdi(path)


def test_wdi_json_that_is_not_an_api_answer(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([1, 2, 3]))
    with pytest.raises(InputError, match=r"is not a World Bank Indicators API answer"):
        read_wdi(path)


# --- UNHCR and IDMC -------------------------------------------------------------------------

def _api_items_to_csv(source, dest):
    pd.DataFrame(json.loads(source.read_text())["items"]).to_csv(dest, index=False)
    return dest


def test_unhcr_sums_by_side(fixture_path, tmp_path):
    path = _api_items_to_csv(fixture_path("unhcr", "population.json"), tmp_path / "p.csv")
    obs = read_unhcr(path)
    _check_contract(obs)
    origin = _series(obs, "refugees_origin", "SYR")["2015"]
    assert origin == 2503549 + 1062690 + 628223 + 244642 + 117635 + 115604
    assert _series(obs, "refugees_hosted", "TUR")["2015"] == 2503549 + 24135
    assert _series(obs, "asylum_seekers_hosted", "TUR")["2015"] == 297 + 94455
    assert _series(obs, "idps_unhcr", "SYR")["2015"] == 6563462
    assert "UNK" not in set(obs["region_id"])


def test_unhcr_own_codes_when_iso_columns_are_absent(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("year,coo,coa,refugees,asylum_seekers,idps\n"
                    "2015,SYR,ARE,10,-,0\n2015,SYR,GFR,5,1,0\n", encoding="utf-8")
    obs = read_unhcr(path)
    assert _series(obs, "refugees_hosted", "EGY") == {"2015": 10.0}  # UNHCR's ARE is Egypt
    assert _series(obs, "refugees_hosted", "DEU") == {"2015": 5.0}
    assert _series(obs, "asylum_seekers_hosted", "EGY") == {}  # "-" is no value


def test_unhcr_without_country_columns(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("year,refugees,asylum_seekers,idps\n2015,1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"has no 'coo_iso' \(or UNHCR's 'coo'\) country"):
        read_unhcr(path)


def test_idmc(fixture_path, tmp_path):
    path = _api_items_to_csv(fixture_path("unhcr", "idmc.json"), tmp_path / "idmc.csv")
    obs = read_idmc(path)
    assert _series(obs, "displaced", "SYR") == {"2012": 3e6, "2013": 6.5e6, "2014": 7.6e6,
                                                "2015": 6.6e6}
    assert set(obs["region_id"]) == {"SYR"}  # Abyei (AB9) has no ISO code


# --- UCDP -----------------------------------------------------------------------------------

def test_ged_official_layout_with_gleditsch_ward_codes(fixture_path):
    obs = read_ucdp_ged(fixture_path("ucdp", "GEDEvent_v25_1.csv"))
    _check_contract(obs)
    assert _series(obs, "conflict_deaths", "AFG")["1999"] == 6 + 2 + 20 + 3 + 2
    assert _series(obs, "conflict_deaths", "SYR")["2015"] == 6 + 4 + 4 + 1
    assert _series(obs, "conflict_deaths", "DNK")["2005"] == 0  # no events: no deaths
    assert "2010" not in _series(obs, "conflict_deaths", "SSD")  # not yet a state
    assert _series(obs, "conflict_deaths", "SSD")["2012"] == 0


def test_ged_without_country_column(tmp_path):
    path = tmp_path / "ged.csv"
    path.write_text("year,best\n2015,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no country column"):
        read_ucdp_ged(path)


def test_acd_official_layout_uses_the_location(fixture_path):
    obs = read_ucdp_acd(fixture_path("ucdp", "UcdpPrioConflict_v25_1.csv"))
    _check_contract(obs)
    assert _series(obs, "armed_conflicts", "SYR")["2015"] == 3
    assert _series(obs, "conflict_intensity", "SYR")["2015"] == 2
    assert _series(obs, "conflict_intensity", "IND")["2012"] == 1
    # The Iraq war is located in Iraq, not in the coalition's countries.
    assert _series(obs, "armed_conflicts", "IRQ")["2003"] == 1
    assert _series(obs, "armed_conflicts", "USA")["2003"] == 0
    assert _series(obs, "armed_conflicts", "ERI")["2000"] == 1
    assert _series(obs, "armed_conflicts", "ETH")["2000"] == 1


def test_acd_without_location_counts_primary_parties(tmp_path):
    path = tmp_path / "acd.csv"
    path.write_text("conflict_id,year,gwno_a,gwno_a_2nd,gwno_b,intensity_level,type_of_conflict\n"
                    "420,2003,2,,645,2,interstate\n299,2003,652,365,,1,II\n"
                    "1,2003,200,,,1,extrasystemic\n", encoding="utf-8")
    obs = read_ucdp_acd(path)
    assert _series(obs, "armed_conflicts", "USA") == {"2003": 1.0}
    assert _series(obs, "armed_conflicts", "IRQ") == {"2003": 1.0}
    assert _series(obs, "armed_conflicts", "SYR") == {"2003": 1.0}
    assert _series(obs, "armed_conflicts", "RUS") == {"2003": 0.0}  # a supporting state
    assert _series(obs, "armed_conflicts", "GBR") == {"2003": 0.0}  # extrasystemic: abroad


def test_acd_wrong_file(tmp_path):
    path = tmp_path / "acd.csv"
    path.write_text("conflict_id,year\n1,2000\n", encoding="utf-8")
    with pytest.raises(InputError, match="column 'gwno_a' is missing"):
        read_ucdp_acd(path)


# --- TIP ------------------------------------------------------------------------------------

def test_tip_tiers_fixture(fixture_path):
    obs = read_tip_tiers(fixture_path("tip", "tip_tiers_orig.csv"))
    _check_contract(obs)
    afg = _series(obs, "response_tier", "AFG")
    assert afg["2002"] == 3 and afg["2013"] == 2.5 and afg["2015"] == 2
    assert "2000" not in afg  # NA: not ranked
    assert _series(obs, "response_tier", "XKX") == {"2013": 2.0, "2014": 2.0, "2015": 2.0}


def test_factbook_text(tmp_path):
    path = tmp_path / "factbook.csv"
    pd.DataFrame({
        "factbook_edition_year": [2023, 2024, 2024, 2025, 2019],
        "iso3": ["DZA", "DZA", "CUW", "MMR", "SYR"],
        "content_raw": [
            "tier rating: Tier 3 - ... (2022)",
            "tier rating: Tier 2 Watch list Algeria ... https://www.state.gov/reports/"
            "2024-trafficking-in-persons-report/algeria/",
            "tier rating: Special Case ... 2024-trafficking-in-persons-report/curacao/",
            "tier rating: Tier 3 Tier 3 ... 2025-trafficking-in-persons-report/burma/",
            "current situation: | tier rating:",
        ]}).to_csv(path, index=False)
    obs = read_factbook_tip(path)
    assert obs[["region_id", "period", "value"]].values.tolist() == [
        ["DZA", "2024", 2.5], ["MMR", "2025", 3.0]]
    stamped = read_factbook_tip(path, use_date_stamp=True)
    assert _series(stamped, "response_tier", "DZA") == {"2022": 3.0, "2024": 2.5}


# --- boundaries -----------------------------------------------------------------------------

def test_natural_earth_fixes_minus_99_codes(fixture_path):
    regions = read_natural_earth(fixture_path("natural_earth", "ne_50m_admin_0_countries.geojson"))
    assert sorted(regions.index) == ["DEU", "FRA", "NOR", "SOL", "SOM", "XKX"]
    assert regions.loc["XKX", "name"] == "Kosovo"
    assert regions.loc["NOR", "parent_id"] == "Northern Europe"
    assert str(regions.crs) == "EPSG:4326"


def test_natural_earth_parent_choice_is_checked(fixture_path):
    path = fixture_path("natural_earth", "ne_50m_admin_0_countries.geojson")
    assert set(read_natural_earth(path, parent="continent")["parent_id"]) == {"Europe", "Africa"}
    with pytest.raises(ValueError, match="The 'parent' parameter of read_natural_earth"):
        read_natural_earth(path, parent="region")


def test_natural_earth_needs_its_attributes(tmp_path):
    path = tmp_path / "x.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)],
                     crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match="lacks the Natural Earth attribute"):
        read_natural_earth(path)


@pytest.fixture
def admin1_file(tmp_path):
    """Two admin-1 regions with P-codes in Web Mercator; the second is a self-crossing bow tie."""
    path = tmp_path / "adm1.geojson"
    gpd.GeoDataFrame(
        {"ADM1_PCODE": ["XY01", "XY02"], "ADM1_EN": ["North", "South"],
         "ADM0_PCODE": ["XY", "XY"]},
        geometry=[shapely.box(0, 0, 1e5, 1e5),
                  shapely.Polygon([(0, -1e5), (1e5, 0), (1e5, -1e5), (0, 0)])],
        crs="EPSG:3857").to_file(path)
    return path


def test_read_admin1(admin1_file):
    with pytest.warns(ForewarnWarning, match=r"1 invalid geometries repaired .* XY02"):
        regions = read_admin1(admin1_file, "ADM1_PCODE", "ADM1_EN", "ADM0_PCODE")
    assert regions.index.tolist() == ["XY01", "XY02"]
    assert regions["parent_id"].tolist() == ["XY", "XY"]
    assert (regions["level"] == "admin1").all() and str(regions.crs) == "EPSG:4326"
    assert regions.geometry.is_valid.all()


def test_read_admin1_names_wrong_columns(admin1_file):
    with pytest.raises(InputError, match=r"the id_column 'PCODE' is not a column \(found: "
                                         r"ADM1_PCODE"):
        read_admin1(admin1_file, "PCODE", "ADM1_EN")


def test_read_admin1_duplicate_ids(tmp_path):
    path = tmp_path / "adm1.gpkg"
    gpd.GeoDataFrame({"pc": ["XY01", "XY01"], "nm": ["a", "b"]},
                     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
                     crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match="region id 'XY01' appears more than once"):
        read_admin1(path, "pc", "nm")


# --- ACLED ----------------------------------------------------------------------------------

def test_acled_monthly_counts(fixture_path):
    obs = read_acled(fixture_path("acled", "acled.csv"))
    _check_contract(obs)
    assert _series(obs, "violent_events", "SDN") == {"2024-01": 2, "2024-02": 0, "2024-03": 1}
    assert _series(obs, "violence_fatalities", "SDN") == {"2024-01": 17, "2024-02": 0,
                                                          "2024-03": 3}
    # Kosovo has no ISO numeric code; it counts from its first event (a protest in February).
    assert _series(obs, "violent_events", "XKX") == {"2024-02": 0, "2024-03": 1}
    published = obs.set_index(["indicator", "region_id", "period"])["published"]
    assert published["violent_events", "SDN", "2024-01"] == pd.Timestamp("2024-02-06")
    assert published["violent_events", "SDN", "2024-03"] == pd.Timestamp("2024-03-31")
    assert pd.isna(published["violent_events", "SDN", "2024-02"])
    assert "2024-04" not in set(obs["period"])  # not over when the last event was uploaded


def test_acled_spelled_dates_and_unknown_codes(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("event_date,event_type,fatalities,iso,country\n"
                    "31 January 2024,Battles,2,729,Sudan\n"
                    "01 February 2024,Battles,0,999,Atlantis\n",
                    encoding="utf-8")
    with pytest.warns(ForewarnWarning, match=r"1 events dropped: .*999 Atlantis"):
        obs = read_acled(path)
    assert _series(obs, "violence_fatalities", "SDN") == {"2024-01": 2}


def test_acled_bad_dates_are_located(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("event_date,event_type,fatalities,iso,country\n"
                    "2024-01-31,Battles,2,729,Sudan\nyesterday,Battles,0,729,Sudan\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3, column 'event_date': event_date 'yesterday' "
                                         r"is not a date"):
        read_acled(path)


def test_no_warnings_from_clean_files(fixture_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_acled(fixture_path("acled", "acled.csv"))
        read_tip_tiers(fixture_path("tip", "tip_tiers_orig.csv"))


# --- files that are not what they claim -----------------------------------------------------

def test_file_that_does_not_parse_as_csv(tmp_path):
    path = tmp_path / "tiers.csv"
    path.write_bytes(b"iso,year,tier\n\xff\xfe\x00garbage\n")
    with pytest.raises(InputError, match="does not parse as the publisher's CSV"):
        read_tip_tiers(path)


def test_broken_api_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[{"page": 1}, [', encoding="utf-8")
    with pytest.raises(InputError, match=r"does not parse as JSON .*; fetch it again"):
        read_wdi(path)


def test_api_json_with_two_series(fixture_path, tmp_path):
    meta, rows = json.loads(fixture_path("wdi", "SP.POP.TOTL.json").read_text())
    rows[0]["indicator"]["id"] = "SP.POP.GROW"
    path = tmp_path / "x.json"
    path.write_text(json.dumps([meta, rows]), encoding="utf-8")
    with pytest.raises(InputError, match=r"holds several series \(SP.POP.GROW, SP.POP.TOTL\)"):
        read_wdi(path)


def test_unreadable_boundaries(tmp_path):
    path = tmp_path / "countries.geojson"
    path.write_text("{not geojson", encoding="utf-8")
    with pytest.raises(InputError, match="could not be read as a vector layer"):
        read_natural_earth(path)
