"""Country-code harmonisation: every provider's code to ISO3, Kosovo as XKX."""

import pandas as pd
import pytest

from forewarn.features.sources import ISO3, KOSOVO, gw_state_years, to_iso3
from forewarn.features.sources._codes import GW_STATES, ISO_NUMERIC


def test_iso3_is_the_iso_list_plus_kosovo():
    assert len(ISO3) == 250
    assert {"AFG", "SSD", "PSE", "TWN", KOSOVO} <= ISO3
    assert KOSOVO == "XKX"


@pytest.mark.parametrize("code", ["XKX", "KOS", "KSV", "xkx", " kos "])
def test_every_kosovo_spelling_is_xkx(code):
    assert to_iso3([code]).tolist() == ["XKX"]


def test_kosovo_iso2():
    assert to_iso3(["XK", "fr"], scheme="iso2").tolist() == ["XKX", "FRA"]


def test_lower_case_gapminder_codes():
    assert to_iso3(["afg", "syr", "usa"]).tolist() == ["AFG", "SYR", "USA"]


def test_aggregates_and_placeholders_name_no_country():
    out = to_iso3(["WLD", "SSF", "UNK", "-99", "", None, "ANT"])
    assert out.isna().all()


def test_withdrawn_world_bank_codes():
    assert to_iso3(["ROM", "ZAR", "TMP", "WBG"]).tolist() == ["ROU", "COD", "TLS", "PSE"]


def test_unhcr_codes_are_not_read_as_iso():
    # ARE is Egypt, AUS Austria, CHI China in UNHCR's own codes; SYR is the same in both.
    got = to_iso3(["ARE", "AUS", "CHI", "GFR", "SYR"], scheme="unhcr").tolist()
    assert got == ["EGY", "AUT", "CHN", "DEU", "SYR"]


def test_numeric_codes_in_any_spelling():
    assert to_iso3([4, "004", 4.0, "729"], scheme="numeric").tolist() == ["AFG"] * 3 + ["SDN"]
    assert to_iso3([4.5, "x", None], scheme="numeric").isna().all()
    assert ISO_NUMERIC["SDN"] == 729 and KOSOVO not in ISO_NUMERIC


def test_gleditsch_ward_codes():
    got = to_iso3([652, 260, 345, 340, 678, 347, 816, "700"], scheme="gw").tolist()
    assert got == ["SYR", "DEU", "SRB", "SRB", "YEM", "XKX", "VNM", "AFG"]
    # States without a successor code today (GDR, South Yemen) and non-states (972) map to none.
    assert to_iso3([265, 680, 972], scheme="gw").isna().all()


def test_series_index_is_kept():
    s = pd.Series(["afg", "WLD"], index=[10, 20])
    assert to_iso3(s).index.tolist() == [10, 20]


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="The 'scheme' parameter of to_iso3 must be one of"):
        to_iso3(["AFG"], scheme="fips")


def test_gw_state_years_follow_state_lifetimes():
    years = gw_state_years(2010, 2012)
    ssd = years.loc[years["region_id"] == "SSD", "year"].tolist()
    assert ssd == [2011, 2012]
    srb = years.loc[years["region_id"] == "SRB", "year"].tolist()
    assert srb == [2010, 2011, 2012]  # Serbia once, though two GW codes lead to it
    assert not years.duplicated().any()
    assert len(GW_STATES) == 196
