"""Build the real-countries example project: read the public files, harmonise to ISO3, write inputs.

The project (``index_only.toml``, ``supervised.toml``) reads three files that this script writes
into a data folder (``data/`` beside it by default; never committed, the sources' terms and sizes
keep the datasets out of the repository):

``observations.parquet``
    forewarn's long observations (``region_id, indicator, period, value, published``) from the
    World Bank WGI and WDI, UNHCR, IDMC, UCDP GED and ACD, the TIP tiers coded by Kelley & Heiss
    (report years 2001-2015) and, after 2015, the CIA World Factbook's Watch List / Tier 3 lists.
``regions.gpkg``
    Natural Earth 1:50m countries, ``parent_id`` = UN sub-region.
``outcome.csv``
    The proxy outcome: 1 in report year Y when a country's TIP tier fell to the Tier 2 Watch List
    or Tier 3 (>= 2.5) from Tier 1 or 2 in Y-1, else 0 (see docs/real-data.md for what it
    measures: a US judgement of government response, not trafficking prevalence).
``crisis_events.csv``
    Crisis onsets from the data: armed-conflict onsets (UCDP/PRIO) and displacement jumps
    (UNHCR refugees and asylum-seekers from the country plus IDMC conflict IDPs); see
    :func:`crisis_onsets`.
``glotip.parquet``, ``outcome_glotip_destination.csv``, ``outcome_glotip_origin.csv``
    When UNODC's GLOTIP file is found: detected trafficking victims as observations, and the
    two real outcome series (victims detected in the country; its citizens detected abroad),
    one row per country-year UNODC has a figure for (a missing year is unknown, not 0). The
    ``current_*.toml`` configs use them.

Usage, from the repository root::

    uv run python examples/countries/build.py --data ../shared/data/real
    uv run python examples/countries/build.py --cache forewarn-cache     # after `forewarn fetch ...`
    forewarn validate --config examples/countries/index_only.toml

Importable too: ``build_project(out, data=...)`` returns a :class:`Built` summary.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.features.sources import (
    SOURCES,
    cached,
    glotip_outcome,
    read_factbook_tip,
    read_glotip,
    read_idmc,
    read_natural_earth,
    read_tip_tiers,
    read_ucdp_acd,
    read_ucdp_ged,
    read_unhcr,
    read_wdi,
    read_wgi,
)

__all__ = ["Built", "DATA_LAYOUT", "FIRST_YEAR", "WATCH_LIST", "WATCH_LIST_FROM", "build_project",
           "locate_files", "read_observations", "tip_downgrades", "crisis_onsets",
           "CONFLICT_QUIET_YEARS", "DISPLACEMENT_FACTOR", "DISPLACEMENT_MIN", "main"]

HERE = Path(__file__).resolve().parent

#: Where each source's files sit in a folder laid out like the project's shared real data.
DATA_LAYOUT = {
    "wgi": ("wgi/WGIData.csv",),
    "wdi": ("worldbank_wdi_population_gdp/wdi_population.csv",
            "worldbank_wdi_population_gdp/wdi_gdp.csv"),
    "unhcr": ("unhcr_refugee_statistics/population.csv",),
    "idmc": ("unhcr_refugee_statistics/idmc.csv",),
    "ucdp_ged": ("ucdp_ged_country_year_events/conflictdata.csv",),
    "ucdp_acd": ("ucdp_prio_acd_peacesciencer/ucdp_acd.csv",),
    "tip_tiers": ("tip_tiers_kelley_heiss/tip_tiers_orig.csv",),
    "natural_earth": ("natural_earth_admin0/ne_50m_admin_0_countries.geojson",),
    "factbook_tip": ("cia_factbook_tip_tier_text/factbook_trafficking_in_persons_2001_2025.csv",),
    "glotip": ("unodc_glotip/data_glotip.xlsx",),
}
#: Sources the project can do without: the Factbook only extends the tiers past 2015; GLOTIP
#: is the outcome of the ``current_*`` configs only.
_OPTIONAL = ("factbook_tip", "glotip")
_REQUIRED = tuple(s for s in DATA_LAYOUT if s not in _OPTIONAL)

_READERS = {
    "wgi": read_wgi, "wdi": read_wdi, "unhcr": read_unhcr, "idmc": read_idmc,
    "ucdp_ged": read_ucdp_ged, "ucdp_acd": read_ucdp_acd, "tip_tiers": read_tip_tiers,
}

#: First year of data kept. The panel starts in 2002; a value is visible only once published,
#: so the years just before it fill the first panel years, and WGI (biennial 1996-2002) starts here.
FIRST_YEAR = 1996
#: Tier value from which a country is on the Watch List or Tier 3. [tier]
WATCH_LIST = 2.5
#: First TIP report with the Tier 2 Watch List. Falls are counted only between reports that both
#: had it: in 2004, 43 countries were put on the new list at once, which is no fall in effort.
WATCH_LIST_FROM = 2004
#: A conflict onset is a year of armed conflict (UCDP/PRIO intensity > 0) after at least this
#: many years without one. [years]
CONFLICT_QUIET_YEARS = 2
#: A displacement jump: the people displaced from a country (refugees and asylum-seekers
#: abroad plus conflict IDPs at home) reach this multiple of the median of the three years
#: before ... [-]
DISPLACEMENT_FACTOR = 2.0
#: ... and at least this many more people than that median. [persons]
DISPLACEMENT_MIN = 50_000


@dataclass(frozen=True)
class Built:
    """What :func:`build_project` wrote, with the counts worth checking.

    Parameters
    ----------
    observations, regions, outcome : pathlib.Path
        The files written.
    n_regions : int
        Countries in the regions file. [-]
    n_observations : int
        Rows of the observations file. [-]
    dropped : dict of str to int
        Observation rows dropped per region id absent from the Natural Earth layer. [rows]
    events_by_year : dict of str to int
        Outcome events (falls to the Watch List or Tier 3) per report year. [countries]
    """

    observations: Path
    regions: Path
    outcome: Path
    n_regions: int
    n_observations: int
    dropped: dict
    events_by_year: dict
    crisis_events: Path | None = None
    onsets: dict | None = None
    glotip: Path | None = None
    glotip_outcomes: dict | None = None

    def summary(self) -> list[str]:
        """A few lines for the command line."""
        events = ", ".join(f"{y}: {n}" for y, n in self.events_by_year.items())
        dropped = ", ".join(f"{r} ({n})" for r, n in self.dropped.items()) or "none"
        lines = [f"regions: {self.n_regions} countries -> {self.regions}",
                 f"observations: {self.n_observations:,} rows -> {self.observations}",
                 f"outcome events by report year: {events} -> {self.outcome}",
                 f"rows dropped for places without a Natural Earth polygon: {dropped}"]
        if self.crisis_events is not None:
            kinds = ", ".join(f"{k} {n}" for k, n in (self.onsets or {}).items())
            lines.append(f"crisis onsets: {kinds} -> {self.crisis_events}")
        if self.glotip_outcomes:
            for series, path in self.glotip_outcomes.items():
                lines.append(f"GLOTIP {series} outcome (detected victims; a missing year is "
                             f"unknown): -> {path}")
        else:
            lines.append("GLOTIP not found: the current_*.toml configs need "
                         "unodc_glotip/data_glotip.xlsx (or `forewarn fetch glotip`).")
        return lines


def locate_files(data=None, cache=None) -> dict[str, tuple[Path, ...]]:
    """The input files of every source, from a data folder or a ``forewarn fetch`` cache.

    Parameters
    ----------
    data : path-like, optional
        A folder laid out as :data:`DATA_LAYOUT` (the project's ``shared/data/real``).
    cache : path-like, optional
        A cache written by ``forewarn fetch wgi wdi unhcr idmc ucdp_ged ucdp_acd tip_tiers
        natural_earth``; used for every source the data folder lacks.

    Returns
    -------
    dict
        Source name -> its files, in the order its reader takes them. ``factbook_tip`` is left
        out when absent (it has no fetcher; the tiers then end in 2015).

    Raises
    ------
    forewarn.errors.InputError
        Neither folder was given, or a required source is in neither (every one is listed).
    """
    if data is None and cache is None:
        raise InputError(Problem("build", "no input folder; pass --data (a folder laid out like "
                                 "shared/data/real) or --cache (a `forewarn fetch` cache)."))
    found, problems = {}, []
    for source, parts in DATA_LAYOUT.items():
        paths = tuple(Path(data).joinpath(p) for p in parts) if data is not None else ()
        if paths and all(p.is_file() for p in paths):
            found[source] = paths
            continue
        if cache is not None and source in SOURCES:
            try:
                found[source] = tuple(cached(source, cache))
                continue
            except InputError as exc:
                if source in _REQUIRED:
                    problems += exc.problems
                continue
        if source in _REQUIRED:
            missing = [str(p) for p in paths if not p.is_file()]
            problems.append(Problem(data, f"source {source!r} not found: missing "
                                    f"{', '.join(missing)}. Download it (docs/real-data.md says "
                                    f"where) or run `forewarn fetch {source}` and pass --cache."))
    if problems:
        raise InputError(problems)
    return found


def read_observations(files: dict, region_ids) -> tuple[pd.DataFrame, dict]:
    """Read every source into one observations table for ``region_ids``.

    Parameters
    ----------
    files : dict
        From :func:`locate_files`.
    region_ids : sequence of str
        The project's regions; rows for other places are dropped and counted.

    Returns
    -------
    observations : pandas.DataFrame
        ``region_id, indicator, period, value, published``, periods from :data:`FIRST_YEAR`,
        ``published`` all NaT, sorted.
    dropped : dict
        Region id -> rows dropped because the regions layer has no polygon for it. [rows]
    """
    parts = {source: read(*files[source]) for source, read in _READERS.items()}
    if "factbook_tip" in files:
        # Kelley & Heiss's complete tiers end with the 2015 report; the Factbook lists only the
        # low tiers, so it is used only for the report years after it, never mixed into them.
        last = int(parts["tip_tiers"]["period"].max())
        low = read_factbook_tip(*files["factbook_tip"], use_date_stamp=True)
        parts["factbook_tip"] = low.loc[low["period"].astype(int) > last]
    obs = pd.concat(parts.values(), ignore_index=True)
    obs = obs.loc[obs["period"].str[:4].astype(int) >= FIRST_YEAR]
    # A fetched file is dated by its download, which would hide every value from a historical
    # forecast; the catalogue's publication lags date them as the publishers release them.
    obs = obs.assign(published=pd.NaT).astype({"published": "datetime64[ns]"})
    known = obs["region_id"].isin(pd.Index(region_ids))
    dropped = obs.loc[~known, "region_id"].value_counts().sort_index().to_dict()
    obs = obs.loc[known].sort_values(["indicator", "region_id", "period"])
    return obs.reset_index(drop=True), {str(k): int(v) for k, v in dropped.items()}


def tip_downgrades(tiers: pd.DataFrame) -> pd.DataFrame:
    """The proxy outcome: falls to the TIP Watch List or Tier 3 from one report to the next.

    Parameters
    ----------
    tiers : pandas.DataFrame
        ``response_tier`` observations (``region_id``, ``period`` = report year, ``value`` 1,
        2, 2.5 or 3 [tier]) with every ranked country in each report year.

    Returns
    -------
    pandas.DataFrame
        ``region_id, period, value``: for each country ranked in report years Y-1 and Y, both
        from :data:`WATCH_LIST_FROM` on, value 1 when its tier is >= 2.5 in Y and < 2.5 in Y-1,
        else 0 [-]. Country-years without both rankings have no row.

    Examples
    --------
    >>> tiers = pd.DataFrame({"region_id": ["A", "A", "A", "B", "B"],
    ...                       "period": ["2004", "2005", "2006", "2004", "2006"],
    ...                       "value": [2.0, 2.5, 3.0, 1.0, 3.0]})
    >>> tip_downgrades(tiers).to_numpy().tolist()
    [['A', '2005', 1], ['A', '2006', 0]]
    """
    years = tiers["period"].astype(int)
    kept = tiers.assign(year=years).loc[years >= WATCH_LIST_FROM]
    wide = kept.pivot(index="region_id", columns="year", values="value")
    wide = wide.reindex(columns=range(WATCH_LIST_FROM, wide.columns.max() + 1))
    previous = wide.shift(1, axis=1)
    event = (wide >= WATCH_LIST) & (previous < WATCH_LIST)
    ranked = wide.notna() & previous.notna()
    long = event.where(ranked).stack().dropna()
    return pd.DataFrame({
        "region_id": long.index.get_level_values("region_id").astype(str),
        "period": long.index.get_level_values("year").astype(str),
        "value": long.to_numpy().astype(int),
    }).reset_index(drop=True)


def crisis_onsets(obs: pd.DataFrame) -> pd.DataFrame:
    """Crisis onsets from the observations: armed-conflict onsets and displacement jumps.

    Parameters
    ----------
    obs : pandas.DataFrame
        Observations with ``conflict_intensity`` (UCDP/PRIO, 0 for state-years without
        conflict), ``refugees_origin``, ``asylum_seekers_origin`` (UNHCR) and ``displaced``
        (IDMC), annual.

    Returns
    -------
    pandas.DataFrame
        ``region_id, start, end, kind, magnitude``:

        * ``conflict``: a year with intensity > 0 after at least :data:`CONFLICT_QUIET_YEARS`
          years at 0 (a country's first years in the data start none). ``start`` is January 1
          of that year: onsets are news as they happen, though UCDP confirms them the next
          June. ``end`` is January 1 of the first year back at 0, empty while it lasts.
          ``magnitude`` is empty (the conflict data give no number of people).
        * ``displacement``: a year in which the people displaced from the country abroad
          (refugees and asylum-seekers) or at home (IDMC conflict IDPs), each taken alone,
          reach :data:`DISPLACEMENT_FACTOR` times the median of the three years before (two of
          them known) and at least :data:`DISPLACEMENT_MIN` more, and the year before was no
          such jump. Dated to June 15
          of the next year, when UNHCR's Global Trends publish the year (so no forecast sees it
          early), ending a year later. ``magnitude`` is the rise [persons].

    Examples
    --------
    >>> years = [str(y) for y in range(2000, 2008)]
    >>> obs = pd.DataFrame({"region_id": "A", "indicator": "conflict_intensity",
    ...                     "period": years, "value": [1, 0, 0, 1, 1, 0, 0, 0]})
    >>> crisis_onsets(obs)[["start", "end", "kind"]].values.tolist()
    [['2003-01-01', '2005-01-01', 'conflict']]
    """
    parts = [_conflict_onsets(obs), _displacement_jumps(obs)]
    events = pd.concat(parts, ignore_index=True)
    return events.sort_values(["start", "region_id", "kind"]).reset_index(drop=True)


def _wide(obs: pd.DataFrame, indicator: str) -> pd.DataFrame:
    rows = obs.loc[obs["indicator"] == indicator]
    wide = rows.assign(year=rows["period"].str[:4].astype(int)).pivot_table(
        index="region_id", columns="year", values="value", aggfunc="sum")
    return wide.reindex(columns=range(int(wide.columns.min()), int(wide.columns.max()) + 1))


def _conflict_onsets(obs: pd.DataFrame) -> pd.DataFrame:
    columns = ["region_id", "start", "end", "kind", "magnitude"]
    if not (obs["indicator"] == "conflict_intensity").any():
        return pd.DataFrame(columns=columns)
    war = _wide(obs, "conflict_intensity") > 0
    known = _wide(obs, "conflict_intensity").notna()
    quiet = pd.concat([(~war.shift(k, axis=1, fill_value=True))
                       & known.shift(k, axis=1, fill_value=False)
                       for k in range(1, CONFLICT_QUIET_YEARS + 1)], axis=1).T.groupby(
        level=0).all().T
    onset = war & quiet
    rows = []
    years = list(war.columns)
    for region, year in onset.stack().loc[lambda v: v].index:
        later = [y for y in years if y > year and not war.at[region, y] and known.at[region, y]]
        rows.append((region, f"{year}-01-01", f"{later[0]}-01-01" if later else "",
                     "conflict", ""))
    return pd.DataFrame(rows, columns=columns)


def _displacement_jumps(obs: pd.DataFrame) -> pd.DataFrame:
    columns = ["region_id", "start", "end", "kind", "magnitude"]
    # Abroad (refugees and asylum-seekers) and at home (IDMC) each against its own history, so
    # that a series starting (IDMC covers many countries only from 2009) is no jump.
    groups = {"abroad": ["refugees_origin", "asylum_seekers_origin"], "home": ["displaced"]}
    rises, jumps = [], []
    for indicators in groups.values():
        rows = obs.loc[obs["indicator"].isin(indicators)]
        if rows.empty:
            continue
        total = _wide(rows.assign(indicator="total"), "total")
        usual = total.T.shift(1).rolling(3, min_periods=2).median().T
        rise = total - usual
        jumps.append((total >= DISPLACEMENT_FACTOR * usual) & (rise >= DISPLACEMENT_MIN))
        rises.append(rise.where(jumps[-1]))
    if not jumps:
        return pd.DataFrame(columns=columns)
    jump = pd.concat(jumps).groupby(level=0).any()
    rise = pd.concat(rises).groupby(level=0).sum(min_count=1).reindex_like(jump)
    first = jump & ~jump.shift(1, axis=1, fill_value=False)
    found = [(region, f"{year + 1}-06-15", f"{year + 2}-06-15", "displacement",
              f"{rise.at[region, year]:.0f}")
             for region, year in first.stack().loc[lambda v: v].index]
    return pd.DataFrame(found, columns=columns)


def build_project(out=HERE / "data", data=None, cache=None) -> Built:
    """Read the public files and write the example's inputs into ``out``.

    Parameters
    ----------
    out : path-like
        Folder to write ``observations.parquet``, ``regions.gpkg`` and ``outcome.csv`` into
        (created; existing files of those names are replaced).
    data, cache : path-like, optional
        Where the public files are (see :func:`locate_files`).

    Returns
    -------
    Built

    Raises
    ------
    forewarn.errors.InputError
        A source is missing or a file does not parse.
    """
    files = locate_files(data, cache)
    regions = read_natural_earth(*files["natural_earth"])
    obs, dropped = read_observations(files, regions.index)
    kelley = read_tip_tiers(*files["tip_tiers"])
    outcome = tip_downgrades(kelley.loc[kelley["region_id"].isin(regions.index)])
    onsets = crisis_onsets(obs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "observations.parquet", out / "regions.gpkg", out / "outcome.csv")
    obs.to_parquet(paths[0], index=False)
    regions.reset_index().to_file(paths[1], driver="GPKG")
    outcome.to_csv(paths[2], index=False)
    onsets.to_csv(out / "crisis_events.csv", index=False)
    glotip, outcomes = None, {}
    if "glotip" in files:
        victims = read_glotip(*files["glotip"])
        victims = victims.loc[victims["region_id"].isin(regions.index)]
        glotip = out / "glotip.parquet"
        # Dated by the catalogue's lag, like every other source here.
        victims[["region_id", "indicator", "period", "value"]].assign(
            published=pd.NaT).astype({"published": "datetime64[ns]"}).to_parquet(
            glotip, index=False)
        for series in ("destination", "origin"):
            outcomes[series] = out / f"outcome_glotip_{series}.csv"
            glotip_outcome(victims, series)[["region_id", "period", "value"]].to_csv(
                outcomes[series], index=False)
    events = outcome.groupby("period")["value"].sum()
    return Built(*paths, n_regions=len(regions), n_observations=len(obs), dropped=dropped,
                 events_by_year={str(k): int(v) for k, v in events.items()},
                 crisis_events=out / "crisis_events.csv",
                 onsets={str(k): int(v) for k, v in onsets["kind"].value_counts().items()},
                 glotip=glotip, glotip_outcomes=outcomes or None)


def main(argv=None) -> int:
    """Command line: ``uv run python examples/countries/build.py --data DIR [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder laid out like shared/data/real")
    parser.add_argument("--cache", type=Path, help="a `forewarn fetch` cache folder")
    parser.add_argument("--out", type=Path, default=HERE / "data",
                        help="where to write the inputs (default: data/ beside this script)")
    args = parser.parse_args(argv)
    try:
        built = build_project(args.out, data=args.data, cache=args.cache)
    except InputError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 2
    for line in built.summary():
        print(line)
    print(f"next: forewarn validate --config {HERE / 'index_only.toml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
