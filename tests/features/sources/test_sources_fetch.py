"""Fetchers against recorded publisher responses (httpx.MockTransport; the network stays off),
the registry, the cache layout, and a fast, clear failure when a host cannot be reached."""

import datetime as dt
import hashlib
import json
import time

import geopandas as gpd
import httpx
import pandas as pd
import pytest

from forewarn.errors import InputError
from forewarn.features.sources import (
    SOURCES,
    cached,
    fetch,
    fetch_acled,
    fetch_ucdp_ged,
    fetch_wdi,
    fetch_wgi,
    read_wgi,
)
from forewarn.features.sources import _acled, _common
from forewarn.features.sources._common import sidecar_path
from tests.features.sources.test_sources_glotip import ROWS as GLOTIP_ROWS
from tests.features.sources.test_sources_glotip import workbook as glotip_workbook

TODAY = pd.Timestamp(dt.datetime.now(dt.UTC).date())


def _paged_json(items, size, wrap):
    """A handler serving ``items`` in pages of ``size`` as the ``page`` parameter asks."""
    pages = max(1, -(-len(items) // size))

    def answer(request):
        page = int(request.url.params.get("page", 1))
        return httpx.Response(200, json=wrap(items[(page - 1) * size: page * size], pages))
    return answer


@pytest.fixture
def publisher_routes(fixture_path, zipped, tmp_path, monkeypatch):
    """Every publisher's endpoint, answering with the recorded files in tests/fixtures."""
    def wdi(name):
        meta, rows = json.loads(fixture_path("wdi", name).read_text())
        return _paged_json(rows, 8, lambda page, n: [{**meta, "pages": n}, page])

    def unhcr(name):
        items = json.loads(fixture_path("unhcr", name).read_text())["items"]
        return _paged_json(items, 4, lambda page, n: {"page": 1, "maxPages": n, "items": page})

    shp = tmp_path / "shp"
    shp.mkdir()
    gpd.read_file(fixture_path("natural_earth", "ne_50m_admin_0_countries.geojson")).to_file(
        shp / "ne_50m_admin_0_countries.shp")
    acled_rows = pd.read_csv(fixture_path("acled", "acled.csv"), dtype=str).to_dict("records")
    monkeypatch.setattr(_acled, "_PAGE", 3)
    monkeypatch.setenv("ACLED_EMAIL", "analyst@example.org")
    monkeypatch.setenv("ACLED_PASSWORD", "secret")
    ucdp = fixture_path("ucdp")
    return {
        "/data/download/WGI_CSV.zip": zipped({
            "WGIData.csv": fixture_path("wgi", "WGIData.csv").read_bytes(),
            "WGICountry.csv": b"Country Code,Short Name\nAFG,Afghanistan\n"}),
        "/v2/country/all/indicator/SP.POP.TOTL": wdi("SP.POP.TOTL.json"),
        "/v2/country/all/indicator/NY.GDP.PCAP.CD": wdi("NY.GDP.PCAP.CD.json"),
        "/population/v1/population/": unhcr("population.json"),
        "/population/v1/idmc/": unhcr("idmc.json"),
        "/downloads/ged/ged251-csv.zip": zipped({
            "GEDEvent_v25_1.csv": (ucdp / "GEDEvent_v25_1.csv").read_bytes()}),
        "/downloads/ucdpprio/ucdp-prio-acd-251-csv.zip": zipped({
            "UcdpPrioConflict_v25_1.csv": (ucdp / "UcdpPrioConflict_v25_1.csv").read_bytes()}),
        "/andrewheiss/From-the-Trenches-Anti-TIP-NGOs-and-US/master/data/tip_tiers_orig.csv":
            fixture_path("tip", "tip_tiers_orig.csv").read_bytes(),
        "/ArjunT254/UN-Human-Trafficking-Analysis/a2559c41a15f28f12f96b4a00baffefc3c409c94/"
        "data_glotip.xlsx": glotip_workbook(GLOTIP_ROWS),
        "/naturalearth/50m/cultural/ne_50m_admin_0_countries.zip": zipped(
            {p.name: p.read_bytes() for p in shp.iterdir()}),
        "/oauth/token": lambda request: httpx.Response(200, json={"access_token": "tok",
                                                                  "expires_in": 86400}),
        "/api/acled/read": _paged_json(acled_rows, 3, lambda page, n: {
            "status": 200, "success": True, "count": len(page), "data": page}),
    }


HOSTS = {"wgi": {"databank.worldbank.org"}, "wdi": {"api.worldbank.org"},
         "unhcr": {"api.unhcr.org"}, "idmc": {"api.unhcr.org"}, "ucdp_ged": {"ucdp.uu.se"},
         "ucdp_acd": {"ucdp.uu.se"}, "tip_tiers": {"raw.githubusercontent.com"},
         "glotip": {"raw.githubusercontent.com"},
         "natural_earth": {"naciscdn.org"}, "acled": {"acleddata.com"}}


@pytest.mark.parametrize("name", list(SOURCES))
def test_every_source_fetches_caches_and_reads_back(name, publisher_routes, recorder, tmp_path):
    rec = recorder(publisher_routes)
    paths = fetch([name], tmp_path / "cache", client=rec.client)
    assert {r.url.host for r in rec.requests} == HOSTS[name]
    assert all(p.parent == tmp_path / "cache" / name / TODAY.date().isoformat() for p in paths)
    assert [p.name for p in paths] == list(SOURCES[name].files)
    assert cached(name, tmp_path / "cache") == paths
    for path in paths:
        record = json.loads(sidecar_path(path).read_text())
        assert record["source"] == name and record["bytes"] == path.stat().st_size
        assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert pd.Timestamp(record["downloaded"]).date() == TODAY.date()
        assert "secret" not in record["url"]
    result = SOURCES[name].read(*paths)
    assert len(result) > 0
    if SOURCES[name].kind == "observations":
        assert result["region_id"].isin(
            ["AFG", "ALB", "SYR", "TUR", "LBN", "JOR", "IRQ", "EGY", "DEU", "IND", "ERI", "ETH",
             "XKX", "SDN"]).any()


def test_download_date_is_the_vintage(publisher_routes, recorder, tmp_path):
    rec = recorder(publisher_routes)
    [path] = fetch_wgi(tmp_path, client=rec.client)
    obs = read_wgi(path)
    assert (obs["published"] == TODAY).all()
    sidecar_path(path).unlink()  # as if downloaded by hand: the catalogue's lag applies
    assert read_wgi(path)["published"].isna().all()


def test_publisher_dates_beat_the_download_date(publisher_routes, recorder, tmp_path):
    rec = recorder(publisher_routes)
    obs = SOURCES["wdi"].read(*fetch_wdi(tmp_path, client=rec.client))
    assert (obs["published"] == pd.Timestamp("2025-07-01")).all()  # the API's lastupdated
    assert len(rec.requests) == 6  # 20 rows in pages of 8, for each of two series


def test_unhcr_query_asks_for_every_pair(publisher_routes, recorder, tmp_path):
    rec = recorder(publisher_routes)
    [path] = fetch(["unhcr"], tmp_path, client=rec.client)
    params = rec.requests[0].url.params
    assert params["coo_all"] == params["coa_all"] == "true" and params["yearFrom"] == "1951"
    assert [r.url.params["page"] for r in rec.requests] == ["1", "2", "3"]
    table = pd.read_csv(path)
    assert len(table) == 9 and "coo_id" not in table  # UNHCR's internal ids are not kept


def test_ucdp_version_picks_the_file(publisher_routes, recorder, tmp_path):
    publisher_routes["/downloads/ged/ged241-csv.zip"] = publisher_routes.pop(
        "/downloads/ged/ged251-csv.zip")
    rec = recorder(publisher_routes)
    fetch_ucdp_ged(tmp_path, version="24.1", client=rec.client)
    assert rec.requests[0].url.path == "/downloads/ged/ged241-csv.zip"


def test_acled_token_filters_and_pages(publisher_routes, recorder, tmp_path):
    rec = recorder(publisher_routes)
    [path] = fetch_acled(tmp_path, countries=["sdn"], start="2024-01-01",
                         end="2024-04-30", client=rec.client)
    token, *reads = rec.requests
    assert token.method == "POST" and b"grant_type=password" in token.content
    assert all(r.headers["Authorization"] == "Bearer tok" for r in reads)
    assert reads[0].url.params["iso"] == "729"
    assert reads[0].url.params["event_date"] == "2024-01-01|2024-04-30"
    assert len(reads) == 3 and len(pd.read_csv(path)) == 7  # 3 + 3 + 1


def test_acled_without_a_token(publisher_routes, recorder, tmp_path):
    publisher_routes["/oauth/token"] = lambda request: httpx.Response(200, json={"error": "x"})
    rec = recorder(publisher_routes)
    with pytest.raises(InputError, match="ACLED gave no access token for these credentials"):
        fetch_acled(tmp_path, client=rec.client)


def test_acled_refused_query(publisher_routes, recorder, tmp_path):
    publisher_routes["/api/acled/read"] = lambda request: httpx.Response(
        200, json={"success": False, "error": {"message": "Access denied for this region"}})
    rec = recorder(publisher_routes)
    with pytest.raises(InputError, match="ACLED refused the query: .*Access denied"):
        fetch_acled(tmp_path, client=rec.client)


def test_acled_without_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("ACLED_EMAIL", raising=False)
    monkeypatch.delenv("ACLED_PASSWORD", raising=False)
    with pytest.raises(InputError, match="set the environment variables ACLED_EMAIL and "
                                         "ACLED_PASSWORD"):
        fetch_acled(tmp_path)


def test_acled_refused_credentials(publisher_routes, recorder, tmp_path):
    publisher_routes["/oauth/token"] = lambda request: httpx.Response(401, json={})
    rec = recorder(publisher_routes)
    with pytest.raises(InputError, match=r"acleddata.com refused access \(401 Unauthorized\)"):
        fetch_acled(tmp_path, client=rec.client)


def test_acled_country_without_numeric_code(monkeypatch, tmp_path):
    monkeypatch.setenv("ACLED_EMAIL", "analyst@example.org")
    monkeypatch.setenv("ACLED_PASSWORD", "secret")
    with pytest.raises(InputError, match="no ISO numeric code for XKX"):
        fetch_acled(tmp_path, countries=["XKX"])


def test_api_answering_html(recorder, tmp_path):
    rec = recorder({"/population/v1/population/": b"<html>maintenance</html>"})
    with pytest.raises(InputError, match=r"unhcr: api.unhcr.org did not answer with JSON "
                                         r"\('<html>maintenance</html>'\.\.\.\)"):
        fetch(["unhcr"], tmp_path, client=rec.client)


def test_api_answering_something_else(recorder, tmp_path):
    rec = recorder({"/population/v1/idmc/": b'{"detail": "bad"}',
                    "/v2/country/all/indicator/SP.POP.TOTL": json.dumps(
                        [{"message": [{"id": "120", "value": "Invalid"}]}]).encode()})
    with pytest.raises(InputError, match=r"UNHCR's API answered .*detail.*, not a page of items"):
        fetch(["idmc"], tmp_path, client=rec.client)
    with pytest.raises(InputError, match=r"the World Bank API answered .*Invalid.* for "
                                         r"SP.POP.TOTL; download the CSV by hand"):
        fetch(["wdi"], tmp_path, client=rec.client)


def test_moved_file(recorder, tmp_path):
    rec = recorder({})
    with pytest.raises(InputError, match=r"wgi: databank.worldbank.org answered 404 Not Found "
                                         r"for .*WGI_CSV.zip; the publisher may have moved"):
        fetch_wgi(tmp_path, client=rec.client)
    assert not list(tmp_path.rglob("*.zip*"))


def test_html_page_is_not_cached_as_data(recorder, tmp_path):
    rec = recorder({"/data/download/WGI_CSV.zip": b"<!DOCTYPE html><html>Sign in</html>"})
    with pytest.raises(InputError, match="the download is not a zip file .* login page"):
        fetch_wgi(tmp_path, client=rec.client)
    assert not list(tmp_path.rglob("WGI_CSV.zip*"))


def test_io_errors_are_tried_again(publisher_routes, recorder, tmp_path, no_backoff):
    calls = []
    good = publisher_routes["/data/download/WGI_CSV.zip"]

    def flaky(request):
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, content=good)
    rec = recorder({"/data/download/WGI_CSV.zip": flaky})
    [path] = fetch_wgi(tmp_path, client=rec.client)
    assert len(calls) == 3 and path.is_file()


@pytest.mark.parametrize("error, calls", [(httpx.ConnectError, 1), (httpx.ReadError, 3)])
def test_connecting_is_not_retried_past_the_deadline(error, calls, tmp_path, no_backoff,
                                                     monkeypatch):
    monkeypatch.setattr(_common, "CONNECT_DEADLINE", -1.0)
    seen = []

    def failing(request):
        seen.append(request)
        raise error("down", request=request)
    client = httpx.Client(transport=httpx.MockTransport(failing))
    with pytest.raises(InputError, match=rf"could not reach databank.worldbank.org: "
                                         rf"{error.__name__}: down"):
        fetch_wgi(tmp_path, client=client)
    assert len(seen) == calls  # a download cut short is tried again; a dead host is not


@pytest.mark.parametrize("name", list(SOURCES))
def test_every_source_fails_clearly_offline(name, recorder, tmp_path, no_backoff, monkeypatch):
    monkeypatch.setenv("ACLED_EMAIL", "analyst@example.org")
    monkeypatch.setenv("ACLED_PASSWORD", "secret")

    def offline(request):
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution",
                                 request=request)
    rec = httpx.Client(transport=httpx.MockTransport(offline))
    with pytest.raises(InputError, match=rf"{name}: could not reach .*; check your connection "
                                         rf"or download the file by hand from https://.* and use "
                                         rf"read_\w+\(path\)\."):
        fetch([name], tmp_path, client=rec)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_unreachable_host_fails_fast(tmp_path):
    """A real connection to a closed port: the error arrives in seconds, not a hang."""
    began = time.monotonic()
    with pytest.raises(InputError, match=r"could not reach 127.0.0.1: ConnectError: .*download "
                                         r"the file by hand from https://www.worldbank.org/.* "
                                         r"and use read_wgi\(path\)"):
        fetch_wgi(tmp_path, url="http://127.0.0.1:9/WGI_CSV.zip")
    assert time.monotonic() - began < 15


def test_unknown_sources_are_all_named_before_any_download(recorder, tmp_path):
    rec = recorder({})
    with pytest.raises(InputError, match=r"(?s)2 problems.*unknown source 'unhcrr'\. Did you "
                                         r"mean 'unhcr'\?.*unknown source 'gdp'.*Known sources: "
                                         r"wgi, wdi"):
        fetch(["wgi", "unhcrr", "gdp"], tmp_path, client=rec.client)
    assert rec.requests == []
    with pytest.raises(InputError, match="no source named; choose from wgi"):
        fetch([], tmp_path)


def test_unreadable_download_record(publisher_routes, recorder, tmp_path):
    rec = recorder(publisher_routes)
    [path] = fetch_wgi(tmp_path, client=rec.client)
    sidecar_path(path).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"WGI_CSV.zip.source.json: is not a readable download "
                                         r"record .*; delete it"):
        read_wgi(path)


def test_cached_without_a_download(tmp_path):
    with pytest.raises(InputError, match=r"no complete download of 'wgi' here; run `forewarn "
                                         r"fetch wgi`"):
        cached("wgi", tmp_path)


def test_registry_entries_are_documented():
    for source in SOURCES.values():
        assert source.description and source.licence and source.homepage.startswith("https://")
        assert source.kind in ("observations", "regions")
    assert "ACLED_PASSWORD" in SOURCES["acled"].needs
    assert "not prevalence" in SOURCES["tip_tiers"].description
