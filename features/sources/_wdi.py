"""World Bank World Development Indicators (WDI): population and GDP per capita, country-year."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.features.sources._codes import to_iso3
from forewarn.features.sources._common import (
    Fetcher,
    check_file,
    observations,
    read_csv,
    require_columns,
    vintage,
    vintage_folder,
)

__all__ = ["read_wdi", "fetch_wdi", "WDI_API", "WDI_HOMEPAGE", "VARIABLE_MAP"]

#: The World Bank Indicators API (version 2).
WDI_API = "https://api.worldbank.org/v2"
WDI_HOMEPAGE = "https://data.worldbank.org/indicator/SP.POP.TOTL"

POPULATION = "SP.POP.TOTL"
GDP = "NY.GDP.MKTP.CD"
GDP_PER_CAPITA = "NY.GDP.PCAP.CD"

#: WDI series code -> forewarn indicator id. GDP (current US$) is divided by population.
VARIABLE_MAP = {POPULATION: "population", GDP_PER_CAPITA: "gdp_per_capita",
                GDP: "gdp_per_capita"}


def read_wdi(population, gdp=None) -> pd.DataFrame:
    """Read WDI population and, optionally, GDP per capita.

    Each file may be in any of three layouts:

    * the Indicators API's JSON (``[{"lastupdated": ...}, [{"countryiso3code": ..., "date": ...,
      "value": ...}, ...]]``), as :func:`fetch_wdi` saves it;
    * the CSV of data.worldbank.org's "Download CSV" (``API_SP.POP.TOTL_DS2_en_csv_v2.csv``, or
      its zip; four metadata lines, then one column per year);
    * a long CSV ``Country Name, Country Code, Year, Value`` as the Datahub "core" packages
      republish WDI; it names no series, so the first file is taken as population and the
      second as GDP in current US$ (``NY.GDP.MKTP.CD``, the ``gdp`` package).

    Parameters
    ----------
    population : path-like
        Series ``SP.POP.TOTL``, total mid-year population. [persons]
    gdp : path-like, optional
        ``NY.GDP.PCAP.CD`` (GDP per capita, current US$), or ``NY.GDP.MKTP.CD`` (GDP, current
        US$), which is divided by the population: WDI's own definition of GDP per capita.

    Returns
    -------
    pandas.DataFrame
        Observations of ``population`` [persons] and, with ``gdp``, ``gdp_per_capita`` [current
        US$ per person]; annual periods. ``published`` is the API's or CSV's "last updated" date
        when the file has one (the date of the vintage), else the download date of a fetched
        file, else NaT. World Bank aggregates (``WLD``, ``SSF`` ...) are dropped.

    Raises
    ------
    forewarn.errors.InputError
        A file is missing, does not parse, or holds another series than expected.
    """
    pop, pop_series, pop_published = _read_series(population)
    _expect(population, pop_series, (POPULATION,), "population (SP.POP.TOTL)")
    frames = [pop.assign(indicator="population", published=pop_published)]
    if gdp is not None:
        money, series, published = _read_series(gdp)
        series = series or GDP
        _expect(gdp, series, (GDP, GDP_PER_CAPITA), "GDP (NY.GDP.MKTP.CD or NY.GDP.PCAP.CD)")
        if series == GDP:
            money = money.merge(pop, on=["region_id", "period"], suffixes=("", "_pop"))
            money["value"] = money["value"] / money["value_pop"].where(money["value_pop"] > 0)
            published = pd.Series([published, pop_published]).max()
        frames.append(money[["region_id", "period", "value"]].assign(
            indicator="gdp_per_capita", published=published))
    return observations(pd.concat(frames, ignore_index=True))


def _expect(path, series, allowed, what):
    if series is not None and series not in allowed:
        raise InputError(Problem(path, f"holds WDI series {series!r}, not {what}; pass the files "
                                 "as read_wdi(population, gdp)."))


def _read_series(path) -> tuple[pd.DataFrame, str | None, pd.Timestamp]:
    """One WDI series as ``region_id, period, value``, its code (None if the file names none)
    and its publication date (last update, else download date, else NaT)."""
    path = check_file(path)
    with path.open("rb") as handle:
        head = handle.read(200).lstrip(b"\xef\xbb\xbf").lstrip()
    if head[:1] == b"[":
        frame, series, updated = _read_api_json(path)
    elif head.startswith(b'"Data Source"') or head.startswith(b"PK"):
        frame, series, updated = _read_bulk_csv(path)
    else:
        frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        require_columns(frame, path, ["Country Code", "Year", "Value"],
                        "a WDI series (long CSV: Country Name, Country Code, Year, Value)")
        frame = frame.rename(columns={"Country Code": "code", "Year": "period", "Value": "value"})
        series, updated = None, pd.NaT
    frame["region_id"] = to_iso3(frame["code"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame = frame.dropna(subset=["region_id", "value"])
    published = updated if pd.notna(updated) else vintage(path)
    return frame[["region_id", "period", "value"]].reset_index(drop=True), series, published


def _read_api_json(path: Path):
    hint = f"fetch it again or download the CSV from {WDI_HOMEPAGE}."
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(Problem(path, f"does not parse as JSON ({exc}); {hint}")) from None
    if _is_error(document):
        raise InputError(Problem(path, "holds the World Bank API's error answer "
                                 f"{document[0]['message']}; {hint}"))
    try:
        meta, rows = document
        frame = pd.DataFrame({
            "code": [r.get("countryiso3code") for r in rows],
            "period": [str(r["date"]) for r in rows],
            "value": [r["value"] for r in rows],
        })
        codes = {r["indicator"]["id"] for r in rows}
        updated = pd.to_datetime(meta.get("lastupdated"))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InputError(Problem(path, "is not a World Bank Indicators API answer "
                                 f"([metadata, rows]; {exc!r}); {hint}")) from None
    if len(codes) > 1:
        raise InputError(Problem(path, f"holds several series ({', '.join(sorted(codes))}); "
                                 "save one series per file."))
    return frame, codes.pop() if codes else None, updated


def _is_error(document) -> bool:
    return (isinstance(document, list) and len(document) == 1
            and isinstance(document[0], dict) and "message" in document[0])


def _read_bulk_csv(path: Path):
    # Four lines of metadata (two blank), the second with text "Last Updated Date","YYYY-MM-DD".
    frame = read_csv(path, member=lambda name: name.startswith("API_"), skiprows=4, dtype=str,
                     keep_default_na=False, na_values=[""])
    meta = read_csv(path, member=lambda name: name.startswith("API_"), nrows=2, header=None,
                    dtype=str, keep_default_na=False)
    require_columns(frame, path, ["Country Code", "Indicator Code"],
                    "a data.worldbank.org indicator CSV")
    updated = meta.loc[meta[0] == "Last Updated Date", 1]
    codes = frame["Indicator Code"].dropna().unique()
    years = [c for c in frame.columns if str(c).isdigit()]
    long = frame.melt(id_vars=["Country Code"], value_vars=years, var_name="period",
                      value_name="value").rename(columns={"Country Code": "code"})
    return (long, codes[0] if len(codes) == 1 else None,
            pd.to_datetime(updated.iloc[0]) if len(updated) else pd.NaT)


def fetch_wdi(cache_dir, *, base_url: str = WDI_API,
              client: httpx.Client | None = None) -> list[Path]:
    """Download population and GDP per capita (current US$) from the Indicators API.

    Saves ``SP.POP.TOTL.json`` and ``NY.GDP.PCAP.CD.json`` (all pages of each answer joined)
    under ``cache_dir/wdi/<date>/``.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder.
    base_url : str
        The API root.
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        ``[population, gdp]``, in the order :func:`read_wdi` takes them.

    Raises
    ------
    forewarn.errors.InputError
        The host cannot be reached (after a few tries), answers with an error, or with
        something that is not an Indicators API answer.
    """
    folder = vintage_folder(cache_dir, "wdi")
    paths = []
    with Fetcher("wdi", "read_wdi", WDI_HOMEPAGE, client) as fetcher:
        for series in (POPULATION, GDP_PER_CAPITA):
            url = f"{base_url.rstrip('/')}/country/all/indicator/{series}"
            meta, rows, page, pages = {}, [], 1, 1
            while page <= pages:
                answer = fetcher.json(url, params={"format": "json", "per_page": 20000,
                                                   "page": page})
                if _is_error(answer) or not (isinstance(answer, list) and len(answer) == 2):
                    raise fetcher.fail(f"the World Bank API answered {str(answer)[:200]!r} for "
                                        f"{series}; download the CSV by hand from "
                                        f"{WDI_HOMEPAGE} and use read_wdi(path).")
                meta, page_rows = answer
                rows += page_rows or []
                pages, page = int(meta.get("pages", 1)), page + 1
            data = json.dumps([meta, rows]).encode("utf-8")
            paths.append(fetcher.save(data, url, folder / f"{series}.json"))
    return paths
