"""UNODC Global Report on Trafficking in Persons (GLOTIP) data: detected victims by country-year.

GLOTIP counts *detected* victims: the numbers rise with a state's effort to identify victims,
its law and its reporting to UNODC, not only with trafficking. Countries report irregularly, so
a country-year without a row is unknown, never zero. Counts below 5 are published as ``"<5"``
and are kept as censored (between 0 and 4), never as missing and never as 5.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.features.sources._codes import KOSOVO, to_iso3
from forewarn.features.sources._common import (
    Fetcher,
    check_file,
    observations,
    require_columns,
    vintage,
    vintage_folder,
)

__all__ = [
    "read_glotip",
    "read_glotip_table",
    "glotip_outcome",
    "fetch_glotip",
    "GLOTIP_URL",
    "GLOTIP_HOMEPAGE",
    "VARIABLE_MAP",
    "CENSORED_BOUNDS",
    "OUTCOME_SERIES",
]

#: UNODC's data portal, where ``data_glotip.xlsx`` is published ("Trafficking in persons").
GLOTIP_HOMEPAGE = "https://dataunodc.un.org/dp-trafficking-persons"
#: A byte-identical copy of UNODC's file (md5 5ef2bcf5471d8113a87aae7312d21177), pinned to a
#: commit so that a download is the same file every time; the portal's own link moves with
#: each edition.
GLOTIP_URL = ("https://raw.githubusercontent.com/ArjunT254/UN-Human-Trafficking-Analysis/"
              "a2559c41a15f28f12f96b4a00baffefc3c409c94/data_glotip.xlsx")

#: (GLOTIP ``Indicator``, ``Dimension``) -> forewarn indicator id. Totals are the victims
#: detected *in* the country (a destination signal); ``by citizenship`` rows, summed over the
#: reporting countries, are the country's citizens detected as victims *abroad* (an origin
#: signal, where crisis-driven trafficking of displaced people shows).
VARIABLE_MAP = {
    ("Detected trafficking victims", "Total"): "victims_detected",
    ("Detected trafficking victims", "by citizenship"): "victims_citizens_abroad",
}
#: The outcome series :func:`glotip_outcome` builds, by name -> indicator id.
OUTCOME_SERIES = {"destination": "victims_detected", "origin": "victims_citizens_abroad"}
#: What a ``"<5"`` cell can hold. [victims]
CENSORED_BOUNDS = (0.0, 4.0)
_CENSORED_AS = {"low": CENSORED_BOUNDS[0], "mid": sum(CENSORED_BOUNDS) / 2,
                "high": CENSORED_BOUNDS[1]}

_COLUMNS = ("Iso3_code", "Country", "Indicator", "Dimension", "Category", "Sex", "Age", "Year",
            "txtVALUE")
_NUMBER = re.compile(r"^\d{1,3}(,\d{3})*$|^\d+$")

# Citizenship categories the reporting countries' own names (the ``Country`` column) do not
# cover: other spellings, former names, languages. Keys are normalised (see _name_key).
# Categories naming a region, "unknown", "other" or several countries map to nothing.
_CITIZENSHIP_ALIASES = {
    "eritrea": "ERI", "eritrean": "ERI", "erithera": "ERI", "somalia": "SOM",
    "cote d'ivoire": "CIV", "costa d'avorio": "CIV", "turkiye": "TUR", "t rkiye": "TUR",
    "the former yugoslav republic of macedonia": "MKD", "macedonian": "MKD",
    "netherlands (kingdom of the)": "NLD", "nederland": "NLD", "united kingdom": "GBR",
    "kosovo": KOSOVO, "kosovo under unscr 1244": KOSOVO,
    "kosovo (under unsc res. 1244)": KOSOVO, "china, taiwan province of china": "TWN",
    "china, hong kong sar": "HKG", "state of palestine": "PSE", "palestine": "PSE",
    "bolivia": "BOL", "lao people's dem. republic": "LAO", "swaziland": "SWZ",
    "dem. rep. of the congo": "COD", "indian": "IND", "ugandan": "UGA", "tanzanian": "TZA",
    "tanzania": "TZA", "brasil": "BRA", "barsil": "BRA", "brasilero": "BRA", "argentino": "ARG",
    "belga": "BEL", "chino": "CHN", "colombiano": "COL", "colombiana": "COL", "columbia": "COL",
    "cubano": "CUB", "haitiano": "HTI", "keniano": "KEN", "paraguayo": "PRY", "peruano": "PER",
    "peruana": "PER", "peru": "PER", "venezolano": "VEN", "vietnam": "VNM", "vietnamese": "VNM",
    "hondurena": "HND", "honduranian": "HND", "salvadorena": "SLV", "el salvador": "SLV",
    "benin rep": "BEN", "niger rep": "NER", "burmese": "MMR", "indonesian": "IDN",
    "kazakhistan": "KAZ", "r.dominicana": "DOM", "dominicana": "DOM", "rep. dominicana": "DOM",
    "republica dominicana": "DOM", "dominican rep": "DOM", "lybia": "LBY", "belicena": "BLZ",
    "belizean": "BLZ", "corea del sur": "KOR", "albanian": "ALB", "97 albanian": "ALB",
    "abania": "ALB", "gambian": "GMB", "georgian": "GEO", "ghanaian": "GHA", "gana": "GHA",
    "spanish": "ESP", "bosnia": "BIH", "bosnian": "BIH", "bosnia erzegovina": "BIH",
    "ucrania": "UKR", "etiopia": "ETH", "ethopia": "ETH", "zambian": "ZMB", "sudafrica": "ZAF",
    "rusia": "RUS", "marruecos": "MAR", "siria": "SYR", "syriah": "SYR", "guatemalan": "GTM",
    "hodruanian": "HND", "bhuatnese": "BTN", "byelorussian": "BLR", "belarussian": "BLR",
    "bielorrusia": "BLR", "moldovan": "MDA", "sierra leonean": "SLE", "cameroonian": "CMR",
    "camerun": "CMR", "kirghiz": "KGZ", "kirguizstan": "KGZ", "madagascarian": "MDG",
    "libanon": "LBN", "panama": "PAN", "hungria": "HUN", "italia": "ITA", "polonia": "POL",
    "republica checa": "CZE", "guinea ecuatorial": "GNQ", "mexico": "MEX",
    # Countries that never report to UNODC themselves, so their names are not in `Country`.
    "russian federation": "RUS", "viet nam": "VNM", "cameroon": "CMR", "ethiopia": "ETH",
    "ethiopie": "ETH", "afghanistan": "AFG", "guinea": "GIN", "guinea conakry": "GIN",
    "sierra leone": "SLE", "iraq": "IRQ", "benin": "BEN", "iran (islamic republic of)": "IRN",
    "cambodia": "KHM", "haiti": "HTI", "republic of korea": "KOR", "turkmenistan": "TKM",
    "lao people's democratic republic": "LAO", "laos": "LAO", "guinea-bissau": "GNB",
    "democratic people's republic of korea": "PRK", "chad": "TCD", "suriname": "SUR",
    "malawi": "MWI", "south sudan": "SSD", "yemen": "YEM", "equatorial guinea": "GNQ",
    "libya": "LBY", "saudi arabia": "SAU", "democratic republic of the congo": "COD",
    "cabo verde": "CPV", "iceland": "ISL", "samoa": "WSM", "seychelles": "SYC",
    "saint vincent and the grenadines": "VCT", "st vincent and the grenadines": "VCT",
    "western sahara": "ESH", "taiwan": "TWN", "taiwanese": "TWN",
    "china, hong kong special administrative region": "HKG",
    "tanzania, united republic of": "TZA", "the ukraine": "UKR", "tunisa": "TUN",
    "angolan": "AGO", "angolans": "AGO", "brazilian": "BRA", "brasilera": "BRA",
    "bresil": "BRA", "b & h": "BIH", "croazia": "HRV", "dominican rebublic": "DOM",
    "filippine": "PHL", "hongrie": "HUN", "indonesie": "IDN", "kazahstan": "KAZ",
    "kazalhstan": "KAZ", "maroc": "MAR", "morrocan": "MAR", "republique de moldavie": "MDA",
    "republique tcheque": "CZE", "roumanie": "ROU", "venezolana": "VEN", "pero": "PER",
    # Mojibake with the accented letter lost ("HONDURE\ufffdA"): the rest of the name.
    "belice a": "BLZ", "hondure a": "HND", "salvadore a": "SLV", "per": "PER", "panam": "PAN",
    "rep blica dominicana": "DOM", "c te d ivoire": "CIV", "c te d'ivoire": "CIV",
}
# Categories that name the reporting country's own citizens.
_OWN_CITIZENS = {"nationals", "ciudadanos de su pa s", "ciudadanos de su pais",
                 "netherlands (own country)"}


def _name_key(names: pd.Series) -> pd.Series:
    """Lower case, accents and mojibake undone where possible, unreadable bytes as spaces."""
    def one(name: str) -> str:
        try:  # UTF-8 read as Latin-1 ("CÃ´te"): undo it
            name = name.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        name = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
        name = "".join(c for c in name if not unicodedata.combining(c))
        name = name.replace("\ufffd", " ").lower()
        return re.sub(r"\s+", " ", name).strip()
    return names.fillna("").astype(str).map(one)


def _parse_values(text: pd.Series, path) -> pd.DataFrame:
    """``lower``, ``upper`` and ``censored`` from GLOTIP's text values ("1,269", "<5")."""
    text = text.astype("string").str.strip()
    censored = (text == "<5").fillna(False).to_numpy(dtype=bool)
    exact = text.where(~censored)
    bad = exact.notna() & ~exact.str.fullmatch(_NUMBER).fillna(False)
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(Problem(path, f"txtVALUE {text.iloc[first]!r} is neither a count "
                                 "(digits, thousands separated by commas) nor '<5'; "
                                 f"{int(bad.sum())} value(s) like it. Is this UNODC's "
                                 "data_glotip.xlsx?", row=int(text.index[first]) + 1,
                                 column="txtVALUE"))
    number = pd.to_numeric(exact.str.replace(",", "", regex=False), errors="coerce")
    number = number.to_numpy(dtype=float)
    return pd.DataFrame({
        "lower": np.where(censored, CENSORED_BOUNDS[0], number),
        "upper": np.where(censored, CENSORED_BOUNDS[1], number),
        "censored": censored,
    }, index=text.index)


def read_glotip_table(path) -> pd.DataFrame:
    """Read UNODC's ``data_glotip.xlsx`` in the publisher's layout, values parsed.

    Parameters
    ----------
    path : path-like
        The workbook as UNODC publishes it: one sheet, header in row 1, columns
        ``Iso3_code, Country, Indicator, Dimension, Category, Sex, Age, Year, txtVALUE`` (others
        are ignored).

    Returns
    -------
    pandas.DataFrame
        One row per publisher row with a country code and a value: ``region_id`` (ISO3),
        ``country``, ``indicator``, ``dimension``, ``category``, ``sex``, ``age``, ``year``
        (int), ``lower`` and ``upper`` [persons or cases] and ``censored`` (bool). A count is
        exact (``lower == upper``); ``"<5"`` is censored: ``lower`` 0, ``upper`` 4.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, is not a workbook, lacks the columns, or holds a value that is
        neither a count nor ``"<5"`` (row and value named).
    """
    path = check_file(path)
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str)
    except (ValueError, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(Problem(path, f"does not read as an Excel workbook: {exc}; download "
                                 f"UNODC's data_glotip.xlsx again from {GLOTIP_HOMEPAGE}.")
                         ) from None
    require_columns(frame, path, _COLUMNS, "UNODC's GLOTIP data (data_glotip.xlsx)")
    values = _parse_values(frame["txtVALUE"], path)
    year = pd.to_numeric(frame["Year"], errors="coerce")
    out = pd.DataFrame({
        "region_id": to_iso3(frame["Iso3_code"].fillna("")),
        "country": frame["Country"], "indicator": frame["Indicator"],
        "dimension": frame["Dimension"], "category": frame["Category"], "sex": frame["Sex"],
        "age": frame["Age"], "year": year}).join(values)
    keep = out["region_id"].notna() & out["year"].notna() & out["lower"].notna()
    out = out.loc[keep].astype({"year": int})
    return out.reset_index(drop=True)


def _citizenship_codes(rows: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """ISO3 of each ``by citizenship`` category of ``rows``, by the reporting countries' names
    in ``table`` and the aliases; NaN for regions, "unknown" and several countries."""
    names = table[["country", "region_id"]].drop_duplicates()
    lookup = dict(zip(_name_key(names["country"]), names["region_id"])) | _CITIZENSHIP_ALIASES
    key = _name_key(rows["category"])
    code = key.map(lookup)
    own = key.isin(_OWN_CITIZENS)
    return code.where(~own, rows["region_id"]).rename("citizenship")


def _summed(rows: pd.DataFrame, by: list[str], censored: str) -> pd.DataFrame:
    """Sum exact counts and censored cells; ``value`` counts a censored cell as ``censored``."""
    sums = rows.assign(cens=rows["censored"].astype(int)).groupby(by, as_index=False).agg(
        lower=("lower", "sum"), upper=("upper", "sum"), censored_cells=("cens", "sum"))
    exact = sums["lower"] - CENSORED_BOUNDS[0] * sums["censored_cells"]
    return sums.assign(value=exact + _CENSORED_AS[censored] * sums["censored_cells"])


def read_glotip(path, *, censored: str = "mid") -> pd.DataFrame:
    """Read detected trafficking victims from UNODC's ``data_glotip.xlsx`` as observations.

    Parameters
    ----------
    path : path-like
        The workbook (see :func:`read_glotip_table`).
    censored : {"mid", "low", "high"}
        The count that stands for a ``"<5"`` cell in ``value``: 2 (the middle of 0-4), 0 or 4.
        ``lower`` and ``upper`` always carry 0 and 4.

    Returns
    -------
    pandas.DataFrame
        Observations (``region_id, indicator, period, value, published``), annual, plus
        ``lower``, ``upper`` [victims] and ``censored_cells`` [-]:

        * ``victims_detected`` -- victims detected in the country (``Dimension`` Total, sex
          and age Total): the destination series, one cell per country-year.
        * ``victims_citizens_abroad`` -- citizens of the country detected as victims in other
          countries: the ``by citizenship`` rows summed over the reporting countries (a
          reporter's own nationals are left out). Each reporter's ``"<5"`` cell adds 0 to
          ``lower``, 4 to ``upper`` and the ``censored`` count to ``value``; ``censored_cells``
          says how many were summed. Categories naming a region, several countries or
          "unknown" count for no country. A country-year has a row when at least one
          reporter listed its citizens that year; reporters that year without such a row
          said nothing (unknown, not zero).

        Rows without a country (Sark) are dropped. ``published`` is the download date of a
        fetched file, else NaT (the catalogue's lag then dates the values).

    Raises
    ------
    forewarn.errors.InputError
        As :func:`read_glotip_table`; an unknown ``censored``.

    Notes
    -----
    These are *detected* victims: they measure detection and reporting as much as trafficking.
    """
    if censored not in _CENSORED_AS:
        raise InputError(Problem("read_glotip", f"'censored' is {censored!r}; use 'mid' (2), "
                                 "'low' (0) or 'high' (4) for a '<5' cell."))
    table = read_glotip_table(path)
    victims = table["indicator"] == "Detected trafficking victims"
    total = table.loc[victims & (table["dimension"] == "Total") & (table["sex"] == "Total")
                      & (table["age"] == "Total")]
    destination = _summed(total, ["region_id", "year"], censored)
    cit = table.loc[victims & (table["dimension"] == "by citizenship")
                    & (table["sex"] == "Total") & (table["age"] == "Total")]
    cit = cit.assign(citizenship=_citizenship_codes(cit, table))
    abroad = cit.loc[cit["citizenship"].notna() & (cit["citizenship"] != cit["region_id"])]
    origin = _summed(abroad.drop(columns="region_id").rename(columns={"citizenship": "region_id"}),
                     ["region_id", "year"], censored)
    parts = []
    for sums, key in ((destination, "Total"), (origin, "by citizenship")):
        parts.append(sums.assign(indicator=VARIABLE_MAP[("Detected trafficking victims", key)],
                                 period=sums["year"].astype(str)))
    long = pd.concat(parts, ignore_index=True)
    obs = observations(long, vintage(path))
    extra = long.set_index(["indicator", "region_id", "period"])[
        ["lower", "upper", "censored_cells"]]
    keys = pd.MultiIndex.from_frame(obs[["indicator", "region_id", "period"]])
    return obs.join(extra.reindex(keys).reset_index(drop=True)).astype(
        {"censored_cells": int})


def glotip_outcome(obs: pd.DataFrame, series: str = "destination") -> pd.DataFrame:
    """One GLOTIP series as a forewarn outcome table (``outcome.csv``).

    Parameters
    ----------
    obs : pandas.DataFrame
        From :func:`read_glotip`.
    series : {"destination", "origin"}
        ``destination``: victims detected in the country; ``origin``: its citizens detected as
        victims abroad.

    Returns
    -------
    pandas.DataFrame
        ``region_id, period, value, lower, upper, censored_cells``; ``period`` the year
        (``"2017"``), ``value`` the count [victims]. Only country-years UNODC has a figure for:
        use ``[inputs] outcome_missing = "unknown"`` so that the others are not read as 0.

    Raises
    ------
    forewarn.errors.InputError
        Unknown ``series``.

    Examples
    --------
    >>> obs = pd.DataFrame({"region_id": ["NGA", "NGA"], "period": ["2017", "2017"],
    ...                     "indicator": ["victims_detected", "victims_citizens_abroad"],
    ...                     "value": [1890.0, 2.0], "lower": [1890.0, 0.0],
    ...                     "upper": [1890.0, 4.0], "censored_cells": [0, 1]})
    >>> glotip_outcome(obs, "origin")[["region_id", "period", "value"]].values.tolist()
    [['NGA', '2017', 2.0]]
    """
    if series not in OUTCOME_SERIES:
        raise InputError(Problem("glotip_outcome", f"'series' is {series!r}; use "
                                 f"{' or '.join(map(repr, OUTCOME_SERIES))}."))
    rows = obs.loc[obs["indicator"] == OUTCOME_SERIES[series]]
    cols = ["region_id", "period", "value", "lower", "upper", "censored_cells"]
    return rows[cols].sort_values(["period", "region_id"]).reset_index(drop=True)


def fetch_glotip(cache_dir, *, url: str = GLOTIP_URL,
                 client: httpx.Client | None = None) -> list[Path]:
    """Download ``data_glotip.xlsx`` into ``cache_dir/glotip/<date>/``.

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder.
    url : str
        Where to download from; by default a pinned byte-identical copy of UNODC's file (the
        portal, :data:`GLOTIP_HOMEPAGE`, has the latest edition to download by hand).
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The workbook, ready for :func:`read_glotip`.

    Raises
    ------
    forewarn.errors.InputError
        The host cannot be reached (after a few tries) or does not answer with a workbook.
    """
    dest = vintage_folder(cache_dir, "glotip") / "data_glotip.xlsx"
    with Fetcher("glotip", "read_glotip", GLOTIP_HOMEPAGE, client) as fetcher:
        return [fetcher.download(url, dest, "zip")]
