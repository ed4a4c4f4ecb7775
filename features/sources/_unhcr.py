"""UNHCR population statistics (refugees, asylum-seekers, IDPs) and IDMC conflict IDPs, by year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.features.sources._codes import to_iso3
from forewarn.features.sources._common import (
    Fetcher,
    csv_bytes,
    observations,
    read_csv,
    require_columns,
    vintage,
    vintage_folder,
)

__all__ = [
    "read_unhcr",
    "read_idmc",
    "fetch_unhcr",
    "fetch_idmc",
    "UNHCR_API",
    "UNHCR_HOMEPAGE",
    "VARIABLE_MAP",
    "IDMC_VARIABLE_MAP",
]

#: UNHCR's population statistics API (the source of UNHCR's own `refugees` R package).
UNHCR_API = "https://api.unhcr.org/population/v1"
UNHCR_HOMEPAGE = "https://www.unhcr.org/refugee-statistics/download"

#: (UNHCR column, side it is summed by) -> forewarn indicator id. ``coo`` is the country of
#: origin, ``coa`` the country of asylum; IDPs are counted in their own country.
VARIABLE_MAP = {
    ("refugees", "coo"): "refugees_origin",
    ("refugees", "coa"): "refugees_hosted",
    ("asylum_seekers", "coo"): "asylum_seekers_origin",
    ("asylum_seekers", "coa"): "asylum_seekers_hosted",
    ("idps", "coo"): "idps_unhcr",
}
#: IDMC column (as UNHCR redistributes it) -> forewarn indicator id.
IDMC_VARIABLE_MAP = {"total": "displaced"}

# UNHCR writes "-" where a figure is not broken down; "NA" is a country code (Namibia is NAM,
# but UNHCR's own codes must survive reading), so only empty cells and "-" are missing.
_NA = ["", "-"]
_PAGE = 10_000


def read_unhcr(path) -> pd.DataFrame:
    """Read UNHCR's end-year population table (origin x asylum pairs) as country totals.

    Parameters
    ----------
    path : path-like
        CSV with UNHCR's column names: ``year``, ``coo_iso`` and ``coa_iso`` (ISO3 of origin
        and asylum; UNHCR's own ``coo``/``coa`` codes are translated when the ISO columns are
        absent), ``refugees``, ``asylum_seekers``, ``idps`` ... As the ``population`` table of
        UNHCR's `refugees` package, or as :func:`fetch_unhcr` saves the API's answer.

    Returns
    -------
    pandas.DataFrame
        Observations, annual, end-year stocks [persons]: ``refugees_origin`` and
        ``asylum_seekers_origin`` (summed over asylum countries), ``refugees_hosted`` and
        ``asylum_seekers_hosted`` (summed over origins), ``idps_unhcr`` (IDPs of concern to
        UNHCR, in their own country). A country gets a value for a year when it appears on that
        side of the table that year. Unknown origins (``UNK``), stateless (``XXA``) and
        Tibetan (``TIB``) rows count toward no country. ``published`` is the download date of a
        fetched file, else NaT.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse or lacks the columns.
    """
    frame = _read_pairs(path, ["refugees", "asylum_seekers", "idps"], "UNHCR's population table")
    parts = []
    for (column, side), indicator in VARIABLE_MAP.items():
        sums = frame.groupby([side, "year"], as_index=False)[column].sum(min_count=1)
        parts.append(sums.rename(columns={side: "region_id", column: "value"})
                     .assign(indicator=indicator))
    long = pd.concat(parts, ignore_index=True)
    long["period"] = long["year"].astype(str)
    return observations(long, vintage(path))


def read_idmc(path) -> pd.DataFrame:
    """Read IDMC's stock of people internally displaced by conflict and violence.

    Parameters
    ----------
    path : path-like
        CSV with columns ``year``, ``coo_iso`` and ``total``: the ``idmc`` table of UNHCR's
        `refugees` package, or as :func:`fetch_idmc` saves UNHCR's API answer.

    Returns
    -------
    pandas.DataFrame
        Observations of ``displaced``: IDPs due to conflict and violence at year end [persons];
        annual. Countries without a row have no stock reported for that year (usually none);
        the Abyei Area (``AB9``) has no ISO code and is dropped. ``published`` is the download
        date of a fetched file, else NaT.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse or lacks the columns.
    """
    frame = _read_pairs(path, ["total"], "the IDMC table of UNHCR's statistics", ("coo",))
    sums = frame.groupby(["coo", "year"], as_index=False)["total"].sum(min_count=1)
    long = sums.rename(columns={"coo": "region_id", "total": "value"}).assign(
        indicator=IDMC_VARIABLE_MAP["total"], period=sums["year"].astype(str))
    return observations(long, vintage(path))


def _read_pairs(path, values, what, sides=("coo", "coa")) -> pd.DataFrame:
    """The table with ISO3 columns ``coo`` and ``coa`` (from ``*_iso``, else UNHCR's codes)."""
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=_NA)
    require_columns(frame, path, ["year", *values], what)
    codes = {}
    for side in sides:
        if f"{side}_iso" in frame:
            codes[side] = to_iso3(frame[f"{side}_iso"])
        elif side in frame:
            codes[side] = to_iso3(frame[side], scheme="unhcr")
        else:
            raise InputError(Problem(path, f"has no '{side}_iso' (or UNHCR's '{side}') country "
                                     f"column; this does not look like {what}.", column=side))
    out = frame[["year", *values]].assign(**codes)
    for column in values:
        out[column] = pd.to_numeric(out[column], errors="coerce")
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    return out.dropna(subset=["year"])


def fetch_unhcr(cache_dir, *, base_url: str = UNHCR_API, year_from: int = 1951,
                client: httpx.Client | None = None) -> list[Path]:
    """Download UNHCR's population table (all origin x asylum pairs) from its API.

    Saves ``population.csv`` (the API's fields, as in UNHCR's `refugees` package) under
    ``cache_dir/unhcr/<date>/``.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder.
    base_url : str
        The API root.
    year_from : int
        First year to download. [year]
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The table, ready for :func:`read_unhcr`.

    Raises
    ------
    forewarn.errors.InputError
        The host cannot be reached (after a few tries) or answers with an error.
    """
    return [_fetch_dataset("unhcr", "population", "read_unhcr", cache_dir, base_url, year_from,
                           client)]


def fetch_idmc(cache_dir, *, base_url: str = UNHCR_API, year_from: int = 1990,
               client: httpx.Client | None = None) -> list[Path]:
    """Download IDMC's conflict IDP stocks as UNHCR's API redistributes them.

    Saves ``idmc.csv`` under ``cache_dir/idmc/<date>/``; parameters and errors as
    :func:`fetch_unhcr`.

    Returns
    -------
    list of pathlib.Path
        The table, ready for :func:`read_idmc`.
    """
    return [_fetch_dataset("idmc", "idmc", "read_idmc", cache_dir, base_url, year_from, client)]


def _fetch_dataset(name, dataset, reader, cache_dir, base_url, year_from, client) -> Path:
    url = f"{base_url.rstrip('/')}/{dataset}/"
    params = {"yearFrom": year_from, "yearTo": dt.date.today().year, "coo_all": "true",
              "coa_all": "true", "limit": _PAGE}
    items, page, pages = [], 1, 1
    with Fetcher(name, reader, UNHCR_HOMEPAGE, client) as fetcher:
        while page <= pages:
            answer = fetcher.json(url, params={**params, "page": page})
            if not isinstance(answer, dict) or "items" not in answer:
                raise fetcher.fail(f"UNHCR's API answered {str(answer)[:200]!r}, not a page of "
                                   f"items; download the data by hand from {UNHCR_HOMEPAGE} and "
                                   f"use {reader}(path).")
            items += answer["items"]
            pages, page = int(answer.get("maxPages") or 1), page + 1
        # The API's internal numeric ids are not codes anyone joins on (UNHCR drops them too).
        table = pd.DataFrame(items).drop(columns=["coo_id", "coa_id"], errors="ignore")
        folder = vintage_folder(cache_dir, name)
        return fetcher.save(csv_bytes(table), httpx.URL(url, params=params),
                            folder / f"{dataset}.csv")
