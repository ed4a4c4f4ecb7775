"""World Bank Worldwide Governance Indicators (WGI): the six governance estimates, country-year."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.features.sources._codes import to_iso3
from forewarn.features.sources._common import (
    Fetcher,
    observations,
    read_csv,
    require_columns,
    vintage,
    vintage_folder,
)

__all__ = ["read_wgi", "fetch_wgi", "WGI_URL", "WGI_HOMEPAGE", "VARIABLE_MAP"]

#: The World Bank DataBank bulk download (a zip with the data CSV and metadata tables).
WGI_URL = "https://databank.worldbank.org/data/download/WGI_CSV.zip"
WGI_HOMEPAGE = "https://www.worldbank.org/en/publication/worldwide-governance-indicators"

#: WGI series code (the estimate, in standard-normal units) -> forewarn indicator id.
VARIABLE_MAP = {
    "GE.EST": "state_capacity",
    "RL.EST": "rule_of_law",
    "CC.EST": "corruption_control",
    "RQ.EST": "regulatory_quality",
    "VA.EST": "voice_accountability",
    "PV.EST": "political_stability",
}

# DataBank names year columns "2022" (bulk files) or "2022 [YR2022]" (custom exports).
_YEAR = re.compile(r"^(\d{4})(?: \[YR\d{4}\])?$")


def read_wgi(path) -> pd.DataFrame:
    """Read the WGI estimates from the World Bank's DataBank CSV (wide, one column per year).

    Parameters
    ----------
    path : path-like
        ``WGIData.csv`` (or ``WGICSV.csv``), or the ``WGI_CSV.zip`` archive that holds it, with
        columns ``Country Code``, ``Indicator Code`` and one column per year. Codes may carry the
        ``GOV_WGI_`` prefix of newer releases.

    Returns
    -------
    pandas.DataFrame
        Observations (``region_id, indicator, period, value, published``) of ``state_capacity``
        (GE), ``rule_of_law`` (RL), ``corruption_control`` (CC), ``regulatory_quality`` (RQ),
        ``voice_accountability`` (VA) and ``political_stability`` (PV): the estimate, in units of
        a standard normal across countries (about -2.5 weak to 2.5 strong). [-]
        Annual periods; ``published`` is the download date of a fetched file, else NaT. Rows of
        economies without an ISO code (``ANT``, Netherlands Antilles) are dropped.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse, lacks the columns, or holds no estimate series.
    """
    frame = read_csv(path, member=lambda name: not re.search(r"country|series|foot", name, re.I),
                     dtype=str, keep_default_na=False, na_values=["", ".."])
    require_columns(frame, path, ["Country Code", "Indicator Code"],
                    "the World Bank DataBank WGI export")
    years = {c: m.group(1) for c in frame.columns if (m := _YEAR.match(str(c).strip()))}
    codes = frame["Indicator Code"].str.strip().str.removeprefix("GOV_WGI_")
    wanted = frame.loc[codes.isin(list(VARIABLE_MAP)), ["Country Code", *years]]
    if wanted.empty or not years:
        found = ", ".join(sorted(codes.dropna().unique())[:12])
        raise InputError(Problem(path, "no WGI estimate series (GE.EST, RL.EST, CC.EST, RQ.EST, "
                                 f"VA.EST, PV.EST) by year found; codes found: {found}. Download "
                                 f"the full WGI dataset from {WGI_HOMEPAGE}."))
    long = wanted.assign(indicator=codes.map(VARIABLE_MAP)).melt(
        id_vars=["Country Code", "indicator"], var_name="column", value_name="value")
    long["period"] = long["column"].map(years)
    long["region_id"] = to_iso3(long["Country Code"])
    return observations(long, vintage(path))


def fetch_wgi(cache_dir, *, url: str = WGI_URL, client: httpx.Client | None = None) -> list[Path]:
    """Download the WGI bulk archive into ``cache_dir/wgi/<date>/WGI_CSV.zip``.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder, so earlier vintages stay.
    url : str
        Where to download from (the World Bank's bulk file by default).
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The archive, ready for :func:`read_wgi`.

    Raises
    ------
    forewarn.errors.InputError
        The host cannot be reached (after a few tries) or answers with an error.
    """
    dest = vintage_folder(cache_dir, "wgi") / "WGI_CSV.zip"
    with Fetcher("wgi", "read_wgi", WGI_HOMEPAGE, client) as fetcher:
        return [fetcher.download(url, dest, "zip")]
