"""US Trafficking in Persons (TIP) Report tiers by country and report year.

TIP tiers rate a government's *efforts* against trafficking (and so its detection and response),
not how much trafficking there is: a country with much trafficking and a vigorous response can be
Tier 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from forewarn.features.sources._codes import to_iso3
from forewarn.features.sources._common import (
    Fetcher,
    observations,
    read_csv,
    require_columns,
    vintage,
    vintage_folder,
)

__all__ = [
    "read_tip_tiers",
    "read_factbook_tip",
    "fetch_tip_tiers",
    "TIP_TIERS_URL",
    "TIP_HOMEPAGE",
    "VARIABLE_MAP",
    "TIER_VALUES",
]

#: Kelley & Heiss's country-year tier table (report years 2001-2015), in its GitHub repository.
TIP_TIERS_URL = ("https://raw.githubusercontent.com/andrewheiss/"
                 "From-the-Trenches-Anti-TIP-NGOs-and-US/master/data/tip_tiers_orig.csv")
TIP_HOMEPAGE = "https://www.state.gov/trafficking-in-persons-report/"

#: Provider column -> forewarn indicator id.
VARIABLE_MAP = {"tier": "response_tier"}
#: Tier label (lower case, spaces collapsed) -> value; the Watch List sits between 2 and 3.
TIER_VALUES = {"tier 1": 1.0, "tier 2": 2.0, "watchlist": 2.5, "tier 2 watch list": 2.5,
               "tier 3": 3.0}

_FACTBOOK_TIER = re.compile(r"tier rating:\s*(tier 2 watch list|tier 3|tier 2|tier 1)", re.I)
_REPORT_LINK = re.compile(r"(\d{4})-trafficking-in-persons-report")
_DATE_STAMP = re.compile(r"\((\d{4})\)\s*$")


def _tier_value(labels: pd.Series) -> pd.Series:
    key = labels.astype(str).str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    return key.map(TIER_VALUES)


def read_tip_tiers(path) -> pd.DataFrame:
    """Read TIP tiers from Kelley & Heiss's country-year table (``tip_tiers_orig.csv``).

    Parameters
    ----------
    path : path-like
        CSV with columns ``iso`` (ISO3), ``year`` (the TIP *report* year) and ``tier``
        ("Tier 1", "Tier 2", "Watchlist", "Tier 3"; padding spaces allowed; NA when a country
        was not ranked or was a special case).

    Returns
    -------
    pandas.DataFrame
        Observations of ``response_tier``: 1, 2, 2.5 (Tier 2 Watch List) or 3 [-]; period = the
        report year. The report appears around June and rates efforts from April of the year
        before to March, so a value is dated to the end of its report year (conservative by
        about six months). Unranked country-years are dropped. ``published`` is the download
        date of a fetched file, else NaT.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse or lacks the columns.
    """
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=["", "NA"])
    require_columns(frame, path, ["iso", "year", "tier"], "a TIP tier table (iso, year, tier)")
    long = pd.DataFrame({"region_id": to_iso3(frame["iso"]),
                         "indicator": VARIABLE_MAP["tier"],
                         "period": frame["year"].str.strip(),
                         "value": _tier_value(frame["tier"])})
    return observations(long, vintage(path))


def read_factbook_tip(path, *, use_date_stamp: bool = False) -> pd.DataFrame:
    """Read Tier 2 Watch List and Tier 3 placements from CIA World Factbook text.

    The Factbook's "Trafficking in persons" entry exists only for countries on the Watch List
    or Tier 3, so this source says nothing about Tier 1 and Tier 2 countries: a country without
    a row is *not* known to be Tier 1 or 2. Use it to extend :func:`read_tip_tiers` past 2015.

    Parameters
    ----------
    path : path-like
        CSV with the Factbook text per country and edition: columns ``iso3`` and
        ``content_raw`` (the text, with "tier rating: ..."), and ``factbook_edition_year``.
    use_date_stamp : bool
        The report year is taken from the report link in the text (editions 2024 on). When
        True, a text without a link also counts for the year of its closing "(YYYY)" date stamp
        (editions 2008-2023). That stamp dates the information, not always the report: it
        agreed with Kelley & Heiss's report-year tiers in 97 % of 567 overlapping country-years;
        the rest were one report off.

    Returns
    -------
    pandas.DataFrame
        Observations of ``response_tier``: 2.5 (Tier 2 Watch List) or 3 [-], rarely 2; period =
        the report year. Where editions repeat a report year the latest edition wins. Texts
        without a tier (empty 2018-2020 editions, "Special Case") are dropped. ``published`` is
        the download date of a fetched file, else NaT.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse or lacks the columns.
    """
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    require_columns(frame, path, ["iso3", "content_raw", "factbook_edition_year"],
                    "Factbook 'Trafficking in persons' text")
    text = frame["content_raw"].fillna("")
    year = text.str.extract(_REPORT_LINK, expand=False)
    if use_date_stamp:
        year = year.fillna(text.str.extract(_DATE_STAMP, expand=False))
    long = pd.DataFrame({"region_id": to_iso3(frame["iso3"]),
                         "indicator": VARIABLE_MAP["tier"],
                         "period": year,
                         "value": _tier_value(text.str.extract(_FACTBOOK_TIER, expand=False)),
                         "edition": pd.to_numeric(frame["factbook_edition_year"],
                                                  errors="coerce")})
    long = long.dropna(subset=["period"]).sort_values("edition", kind="stable")
    long = long.drop_duplicates(["region_id", "period"], keep="last")
    long = long.loc[np.isfinite(long["value"])]
    return observations(long.drop(columns="edition"), vintage(path))


def fetch_tip_tiers(cache_dir, *, url: str = TIP_TIERS_URL,
                    client: httpx.Client | None = None) -> list[Path]:
    """Download Kelley & Heiss's TIP tier table into ``cache_dir/tip_tiers/<date>/``.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder.
    url : str
        Where to download from.
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The table, ready for :func:`read_tip_tiers`.

    Raises
    ------
    forewarn.errors.InputError
        The host cannot be reached (after a few tries) or answers with an error.
    """
    dest = vintage_folder(cache_dir, "tip_tiers") / "tip_tiers_orig.csv"
    with Fetcher("tip_tiers", "read_tip_tiers", url, client) as fetcher:
        return [fetcher.download(url, dest, "csv")]
