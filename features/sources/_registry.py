"""The registry of real-data sources that ``forewarn fetch SOURCE ...`` downloads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from forewarn._match import did_you_mean
from forewarn.errors import InputError, Problem
from forewarn.features.sources import (
    _acled,
    _boundaries,
    _glotip,
    _tip,
    _ucdp,
    _unhcr,
    _wdi,
    _wgi,
)

__all__ = ["Source", "SOURCES", "fetch", "cached"]


@dataclass(frozen=True)
class Source:
    """One downloadable source.

    Parameters
    ----------
    name : str
        Registry name, as typed after ``forewarn fetch``.
    fetch : callable
        ``fetch(cache_dir, *, client=None) -> list[Path]``; downloads into
        ``cache_dir/<name>/<date>/``.
    read : callable
        Reads what ``fetch`` returned: ``read(*paths)``. Gives observations, or regions for
        ``kind == "regions"``.
    files : tuple of str
        Names of the files ``fetch`` writes, in the order ``read`` takes them.
    description : str
        What it holds and which indicators it gives.
    licence : str
        Terms of the data.
    homepage : str
        The publisher's page, where the data can also be downloaded by hand.
    kind : {"observations", "regions"}
        What ``read`` returns.
    needs : str
        What the user must set up first (credentials); empty when nothing.
    """

    name: str
    fetch: Callable[..., list[Path]]
    read: Callable[..., object]
    files: tuple[str, ...]
    description: str
    licence: str
    homepage: str
    kind: str = "observations"
    needs: str = ""


#: Every source forewarn can fetch, by name.
SOURCES = {s.name: s for s in (
    Source("wgi", _wgi.fetch_wgi, _wgi.read_wgi, ("WGI_CSV.zip",),
           "World Bank Worldwide Governance Indicators, 1996 on: state_capacity, rule_of_law, "
           "corruption_control, regulatory_quality, voice_accountability, political_stability.",
           "CC BY 4.0 (World Bank)", _wgi.WGI_HOMEPAGE),
    Source("wdi", _wdi.fetch_wdi, _wdi.read_wdi, ("SP.POP.TOTL.json", "NY.GDP.PCAP.CD.json"),
           "World Bank World Development Indicators: population, gdp_per_capita "
           "(current US$).", "CC BY 4.0 (World Bank)", _wdi.WDI_HOMEPAGE),
    Source("unhcr", _unhcr.fetch_unhcr, _unhcr.read_unhcr, ("population.csv",),
           "UNHCR end-year refugees, asylum-seekers and IDPs: refugees_origin, refugees_hosted, "
           "asylum_seekers_origin, asylum_seekers_hosted, idps_unhcr.",
           "CC BY 4.0 (UNHCR Refugee Data Finder)", _unhcr.UNHCR_HOMEPAGE),
    Source("idmc", _unhcr.fetch_idmc, _unhcr.read_idmc, ("idmc.csv",),
           "IDMC people internally displaced by conflict and violence, via UNHCR: displaced.",
           "CC BY 4.0 as redistributed by UNHCR (IDMC data; cite IDMC)", _unhcr.UNHCR_HOMEPAGE),
    Source("ucdp_ged", _ucdp.fetch_ucdp_ged, _ucdp.read_ucdp_ged, ("ged-csv.zip",),
           "UCDP Georeferenced Event Dataset, 1989 on: conflict_deaths (about 150 MB).",
           "CC BY 4.0 (UCDP; cite Sundberg & Melander 2013 and the version)",
           _ucdp.UCDP_HOMEPAGE),
    Source("ucdp_acd", _ucdp.fetch_ucdp_acd, _ucdp.read_ucdp_acd, ("ucdp-prio-acd-csv.zip",),
           "UCDP/PRIO Armed Conflict Dataset, 1946 on: armed_conflicts, conflict_intensity.",
           "CC BY 4.0 (UCDP/PRIO; cite Gleditsch et al. 2002 and Davies et al.)",
           _ucdp.UCDP_HOMEPAGE),
    Source("tip_tiers", _tip.fetch_tip_tiers, _tip.read_tip_tiers, ("tip_tiers_orig.csv",),
           "US TIP Report tiers 2001-2015 as coded by Kelley & Heiss: response_tier (rates "
           "government anti-trafficking effort, not prevalence).",
           "Tiers: US government work, public domain; the coded table has no licence (cite "
           "Heiss & Kelley 2017)", _tip.TIP_HOMEPAGE),
    Source("glotip", _glotip.fetch_glotip, _glotip.read_glotip, ("data_glotip.xlsx",),
           "UNODC Global Report on Trafficking in Persons data, 2003-2021: victims_detected "
           "(in the country) and victims_citizens_abroad (its citizens detected elsewhere). "
           "Detected victims: they measure detection and reporting, not prevalence; '<5' "
           "cells are censored (0-4).",
           "UNODC data portal terms: reuse with attribution (Source: UNODC, Global Report on "
           "Trafficking in Persons; cite the edition)", _glotip.GLOTIP_HOMEPAGE),
    Source("natural_earth", _boundaries.fetch_natural_earth, _boundaries.read_natural_earth,
           ("ne_50m_admin_0_countries.zip",),
           "Natural Earth 1:50m admin-0 countries: the country regions (ISO3 ids).",
           "Public domain (Natural Earth)", _boundaries.NATURAL_EARTH_HOMEPAGE,
           kind="regions"),
    Source("acled", _acled.fetch_acled, _acled.read_acled, ("acled.csv",),
           "ACLED political violence events, last five years: violent_events, "
           "violence_fatalities (monthly).",
           "ACLED terms of use: attribution required, event data not to be redistributed",
           _acled.ACLED_HOMEPAGE,
           needs=f"an ACLED account in {_acled.ACLED_EMAIL_VAR} and {_acled.ACLED_PASSWORD_VAR}"),
)}


def _known(names: Iterable[str]) -> list[str]:
    names = list(names)
    problems = []
    for name in names:
        if name not in SOURCES:
            hint = did_you_mean(name, SOURCES)
            problems.append(Problem("fetch", f"unknown source {name!r}.{hint} Known sources: "
                                    f"{', '.join(SOURCES)}."))
    if not names:
        problems.append(Problem("fetch", f"no source named; choose from {', '.join(SOURCES)}."))
    if problems:
        raise InputError(problems)
    return names


def fetch(names, cache_dir, *, client: httpx.Client | None = None) -> list[Path]:
    """Download the named sources into ``cache_dir`` (what ``forewarn fetch`` runs).

    Parameters
    ----------
    names : str or iterable of str
        Registry names (see :data:`SOURCES`); all are checked before anything is downloaded.
    cache_dir : path-like
        Cache folder; source ``s`` lands in ``cache_dir/s/<YYYY-MM-DD>/`` with a
        ``<file>.source.json`` record (URL, download time, SHA-256) beside each file.
    client : httpx.Client, optional
        HTTP client to use; by default each source makes one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The downloaded files, source by source.

    Raises
    ------
    forewarn.errors.InputError
        An unknown name (all are listed, with the known ones), or a download that failed
        (offline, refused, moved), saying how to get the file by hand.
    """
    names = _known([names] if isinstance(names, str) else names)
    paths = []
    for name in names:
        paths += SOURCES[name].fetch(cache_dir, client=client)
    return paths


def cached(name: str, cache_dir) -> list[Path]:
    """The files of the latest complete download of a source, in the order its reader takes.

    Raises
    ------
    forewarn.errors.InputError
        Unknown source, or no complete download of it under ``cache_dir``.
    """
    source = SOURCES[_known([name])[0]]
    folder = Path(cache_dir) / name
    days = sorted((d for d in folder.glob("????-??-??") if d.is_dir()), reverse=True)
    for day in days:
        paths = [day / f for f in source.files]
        if all(p.is_file() for p in paths):
            return paths
    raise InputError(Problem(folder, f"no complete download of {name!r} here; run "
                             f"`forewarn fetch {name}` or download the data by hand from "
                             f"{source.homepage}."))
