"""UCDP conflict data: deaths from the events (GED), conflict-years from the UCDP/PRIO ACD."""

from __future__ import annotations

from pathlib import Path

import httpx
import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.features.sources._codes import gw_state_years, to_iso3
from forewarn.features.sources._common import (
    Fetcher,
    observations,
    read_csv,
    require_columns,
    vintage,
    vintage_folder,
)

__all__ = [
    "read_ucdp_ged",
    "read_ucdp_acd",
    "fetch_ucdp_ged",
    "fetch_ucdp_acd",
    "UCDP_VERSION",
    "GED_URL",
    "ACD_URL",
    "UCDP_HOMEPAGE",
    "GED_VARIABLE_MAP",
    "ACD_VARIABLE_MAP",
]

#: The UCDP release fetched by default (one a year, in June).
UCDP_VERSION = "25.1"
#: Download address templates; ``{v}`` is the version without its dot ("251").
GED_URL = "https://ucdp.uu.se/downloads/ged/ged{v}-csv.zip"
ACD_URL = "https://ucdp.uu.se/downloads/ucdpprio/ucdp-prio-acd-{v}-csv.zip"
UCDP_HOMEPAGE = "https://ucdp.uu.se/downloads/"

#: GED column -> forewarn indicator id (summed over the country-year's events).
GED_VARIABLE_MAP = {"best": "conflict_deaths"}
#: ACD column -> forewarn indicator id: distinct conflicts, and the highest intensity level.
ACD_VARIABLE_MAP = {"conflict_id": "armed_conflicts", "intensity_level": "conflict_intensity"}

# The ACD codes conflict types 1-4; peacesciencer's copy spells them out ("II" for 4).
_CONFLICT_TYPES = {"1": "extrasystemic", "2": "interstate", "3": "intrastate",
                   "4": "internationalized", "extrasystemic": "extrasystemic",
                   "interstate": "interstate", "intrastate": "intrastate",
                   "ii": "internationalized", "internationalized intrastate": "internationalized"}


def read_ucdp_ged(path) -> pd.DataFrame:
    """Read deaths in organised violence per country-year from UCDP's event dataset (GED).

    Parameters
    ----------
    path : path-like
        The GED CSV (``GEDEvent_v25_1.csv``) or UCDP's ``ged251-csv.zip`` holding it, with
        ``year``, ``best`` and the country as ``country_id`` (Gleditsch-Ward number, UCDP's own
        files) or ``ISO`` (ISO3, as some country-year extracts carry it).

    Returns
    -------
    pandas.DataFrame
        Observations of ``conflict_deaths``: UCDP's best estimate of deaths in state-based,
        non-state and one-sided violence [deaths]; annual. GED covers the whole state system,
        so every country-year from the first to the last year of the file without an event is
        0 (from the year the state exists). ``published`` is the download date of a fetched
        file, else NaT.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse or lacks the columns.
    """
    keep = {"country_id", "ISO", "year", "best"}
    frame = read_csv(path, usecols=lambda c: c in keep)
    require_columns(frame, path, ["year", "best"], "UCDP GED events")
    if "country_id" in frame:
        region = to_iso3(frame["country_id"], scheme="gw")
    elif "ISO" in frame:
        region = to_iso3(frame["ISO"])
    else:
        raise InputError(Problem(path, "has no country column ('country_id', UCDP's "
                                 "Gleditsch-Ward number, or 'ISO'); this does not look like "
                                 "UCDP GED events."))
    events = pd.DataFrame({"region_id": region,
                           "year": pd.to_numeric(frame["year"], errors="coerce"),
                           # Rows without a count pad event-free country-years: no deaths.
                           "value": pd.to_numeric(frame["best"], errors="coerce").fillna(0)})
    events = events.dropna(subset=["region_id", "year"]).astype({"year": int})
    sums = events.groupby(["region_id", "year"], as_index=False)["value"].sum()
    long = _zero_filled(sums, ["value"]).assign(indicator=GED_VARIABLE_MAP["best"])
    return observations(long, vintage(path))


def read_ucdp_acd(path) -> pd.DataFrame:
    """Read active armed conflicts per country-year from the UCDP/PRIO Armed Conflict Dataset.

    A conflict counts for the countries it is fought in: ``gwno_loc`` when the file has it
    (UCDP's own files). Without it (peacesciencer's copy), intrastate and internationalised
    conflicts count for the government side ``gwno_a`` (they are fought on its territory),
    interstate conflicts for both primary parties, and extrasystemic (colonial) ones for none.

    Parameters
    ----------
    path : path-like
        ``UcdpPrioConflict_v25_1.csv`` or UCDP's ``ucdp-prio-acd-251-csv.zip`` holding it, or
        peacesciencer's ``ucdp_acd`` table (one row per conflict, year and party combination).

    Returns
    -------
    pandas.DataFrame
        Observations, annual: ``armed_conflicts``, the number of distinct conflicts with at
        least 25 battle deaths in the year [conflicts], and ``conflict_intensity``, the highest
        intensity among them (0 none, 1 minor: 25-999 battle deaths, 2 war: 1,000 or more) [-].
        Every state-year of the Gleditsch-Ward system in the file's years without a conflict is
        0. ``published`` is the download date of a fetched file, else NaT.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse or lacks the columns.
    """
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    require_columns(frame, path, ["conflict_id", "year", "gwno_a", "intensity_level",
                                  "type_of_conflict"], "the UCDP/PRIO Armed Conflict Dataset")
    kind = frame["type_of_conflict"].str.strip().str.lower().map(_CONFLICT_TYPES)
    if "gwno_loc" in frame:
        located = frame["gwno_loc"]
    else:
        side_b = frame["gwno_b"] if "gwno_b" in frame else pd.Series(pd.NA, index=frame.index)
        located = frame["gwno_a"].where(kind.isin(["intrastate", "internationalized"]))
        both = kind == "interstate"
        located = located.where(~both, frame["gwno_a"].str.cat(side_b, sep=",", na_rep=""))
    year = pd.to_numeric(frame["year"], errors="coerce")
    rows = pd.DataFrame({"conflict_id": frame["conflict_id"], "year": year,
                         "intensity": pd.to_numeric(frame["intensity_level"], errors="coerce"),
                         "gw": located.str.split(",")}).explode("gw")
    rows["region_id"] = to_iso3(rows["gw"].str.strip(), scheme="gw")
    rows = rows.dropna(subset=["region_id", "year"]).astype({"year": int})
    per = rows.groupby(["region_id", "year"], as_index=False).agg(
        armed_conflicts=("conflict_id", "nunique"), conflict_intensity=("intensity", "max"))
    filled = _zero_filled(per, list(ACD_VARIABLE_MAP.values()),
                          years=(int(year.min()), int(year.max())))
    long = filled.melt(id_vars=["region_id", "period"], var_name="indicator",
                       value_name="value")
    return observations(long, vintage(path))


def _zero_filled(frame: pd.DataFrame, columns: list[str], years=None) -> pd.DataFrame:
    """Add a 0 row for every state-year of the system that the frame lacks; years as periods.

    ``years`` (first, last) defaults to the frame's own range.
    """
    first, last = years or (int(frame["year"].min()), int(frame["year"].max()))
    grid = gw_state_years(first, last)
    out = grid.merge(frame, on=["region_id", "year"], how="outer")
    out[columns] = out[columns].fillna(0)
    return out.assign(period=out["year"].astype(str)).drop(columns="year")


def fetch_ucdp_ged(cache_dir, *, version: str = UCDP_VERSION, url: str | None = None,
                   client: httpx.Client | None = None) -> list[Path]:
    """Download UCDP's GED events (a zipped CSV, about 150 MB) into ``cache_dir/ucdp_ged/<date>/``.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder.
    version : str
        UCDP release, e.g. "25.1" (1989-2024).
    url : str, optional
        Where to download from; by default UCDP's address for ``version``.
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The archive, ready for :func:`read_ucdp_ged`.

    Raises
    ------
    forewarn.errors.InputError
        The host cannot be reached (after a few tries) or answers with an error.
    """
    dest = vintage_folder(cache_dir, "ucdp_ged") / "ged-csv.zip"
    url = url or GED_URL.format(v=version.replace(".", ""))
    with Fetcher("ucdp_ged", "read_ucdp_ged", UCDP_HOMEPAGE, client) as fetcher:
        return [fetcher.download(url, dest, "zip")]


def fetch_ucdp_acd(cache_dir, *, version: str = UCDP_VERSION, url: str | None = None,
                   client: httpx.Client | None = None) -> list[Path]:
    """Download the UCDP/PRIO Armed Conflict Dataset into ``cache_dir/ucdp_acd/<date>/``.

    Parameters and errors as :func:`fetch_ucdp_ged`.

    Returns
    -------
    list of pathlib.Path
        The archive, ready for :func:`read_ucdp_acd`.
    """
    dest = vintage_folder(cache_dir, "ucdp_acd") / "ucdp-prio-acd-csv.zip"
    url = url or ACD_URL.format(v=version.replace(".", ""))
    with Fetcher("ucdp_acd", "read_ucdp_acd", UCDP_HOMEPAGE, client) as fetcher:
        return [fetcher.download(url, dest, "zip")]
