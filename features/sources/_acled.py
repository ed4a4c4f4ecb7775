"""ACLED political violence events, counted per country-month (needs a free ACLED account)."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from forewarn.errors import ForewarnWarning, InputError, Problem
from forewarn.features.sources._codes import ISO_NUMERIC, KOSOVO, to_iso3
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
    "read_acled",
    "fetch_acled",
    "ACLED_API",
    "ACLED_HOMEPAGE",
    "ACLED_EMAIL_VAR",
    "ACLED_PASSWORD_VAR",
    "VARIABLE_MAP",
    "VIOLENT_EVENT_TYPES",
]

ACLED_API = "https://acleddata.com"
ACLED_HOMEPAGE = "https://acleddata.com/data-export-tool/"
#: Environment variables holding the ACLED account's e-mail and password.
ACLED_EMAIL_VAR = "ACLED_EMAIL"
ACLED_PASSWORD_VAR = "ACLED_PASSWORD"

#: ACLED column -> forewarn indicator id, over political violence events in a country-month.
VARIABLE_MAP = {"event_id_cnty": "violent_events", "fatalities": "violence_fatalities"}
#: ACLED event types counted as political violence (protests, riots and strategic
#: developments are not).
VIOLENT_EVENT_TYPES = ("Battles", "Explosions/Remote violence", "Violence against civilians")

_FIELDS = ("event_id_cnty", "event_date", "event_type", "country", "iso", "fatalities",
           "timestamp")
_PAGE = 5000


def read_acled(path) -> pd.DataFrame:
    """Read an ACLED event export and count political violence per country and month.

    Parameters
    ----------
    path : path-like
        ACLED's CSV (Data Export Tool or API), or its zip, with columns ``event_date``
        ("2024-01-31" or "31 January 2024"), ``event_type``, ``fatalities``, ``iso`` (ISO
        3166 *numeric* code) and ``country``; ``timestamp`` (Unix time of the event's last
        upload) is used when present.

    Returns
    -------
    pandas.DataFrame
        Observations, monthly: ``violent_events``, the number of battles, explosions/remote
        violence and violence against civilians [events], and ``violence_fatalities``, the
        deaths ACLED reports for them [deaths]. A country's months from its first event of any
        type to the last complete month of the file without such events are 0; months not
        over when the file was made (download date, else latest upload, else latest event)
        are dropped. ``published`` is the latest upload of the month's events, at the earliest
        the month's end; months without events get the download date of a fetched file, else
        NaT.

    Warns
    -----
    forewarn.errors.ForewarnWarning
        Rows whose ``iso`` is no ISO numeric code were dropped.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, does not parse, lacks the columns, or has unreadable dates.
    """
    frame = read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    require_columns(frame, path, ["event_date", "event_type", "fatalities", "iso", "country"],
                    "an ACLED event export")
    region = to_iso3(frame["iso"], scheme="numeric")
    # Kosovo has no ISO numeric code; ACLED names it.
    region = region.where(region.notna() | (frame["country"] != "Kosovo"), KOSOVO)
    if region.isna().any():
        lost = frame.loc[region.isna(), ["iso", "country"]].drop_duplicates()
        warnings.warn(f"{path}: {int(region.isna().sum())} events dropped: their 'iso' is no ISO "
                      "3166 numeric code (" + ", ".join(f"{i} {c}" for i, c in
                                                         lost.head(5).to_numpy()) + ").",
                      ForewarnWarning, stacklevel=2)
    dates = _event_dates(frame["event_date"], path)
    uploaded = (pd.to_datetime(pd.to_numeric(frame["timestamp"], errors="coerce"), unit="s")
                if "timestamp" in frame else pd.Series(pd.NaT, index=frame.index))
    events = pd.DataFrame({
        "region_id": region,
        "month": dates.dt.to_period("M"),
        "violent": frame["event_type"].str.strip().str.lower().isin(
            [t.lower() for t in VIOLENT_EVENT_TYPES]),
        "fatalities": pd.to_numeric(frame["fatalities"], errors="coerce").fillna(0),
        "uploaded": uploaded,
    }).dropna(subset=["region_id"])
    downloaded = vintage(path)
    known_until = downloaded
    if pd.isna(known_until):
        known_until = uploaded.max() if uploaded.notna().any() else dates.max()
    last_month = (pd.Timestamp(known_until) + pd.Timedelta(days=1)).to_period("M") - 1
    first = events.groupby("region_id")["month"].min()
    grid = pd.DataFrame([(r, m) for r, start in first.items()
                         for m in pd.period_range(start, last_month, freq="M")],
                        columns=["region_id", "month"])
    violent = events.loc[events["violent"]].groupby(["region_id", "month"]).agg(
        violent_events=("violent", "size"), violence_fatalities=("fatalities", "sum"),
        uploaded=("uploaded", "max")).reset_index()
    table = grid.merge(violent, on=["region_id", "month"], how="left")
    # A month's count is complete at the earliest when the month is over.
    month_end = table["month"].dt.end_time.dt.normalize()
    latest = table["uploaded"]
    published = latest.where(latest.isna() | (latest >= month_end), month_end)
    table = table.assign(period=table["month"].dt.strftime("%Y-%m"),
                         published=published.fillna(downloaded))
    long = table.melt(id_vars=["region_id", "period", "published"],
                      value_vars=list(VARIABLE_MAP.values()), var_name="indicator",
                      value_name="value")
    long["value"] = long["value"].fillna(0)
    return observations(long)


def _event_dates(text: pd.Series, path) -> pd.Series:
    """ACLED dates: ISO in API answers, "31 January 2024" in older exports."""
    dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
    spelled = pd.to_datetime(text.where(dates.isna()), format="%d %B %Y", errors="coerce")
    dates = dates.fillna(spelled)
    bad = np.flatnonzero(dates.isna().to_numpy())
    if len(bad):
        raise InputError([Problem(path, f"event_date {text.iloc[i]!r} is not a date; ACLED writes "
                                  "'2024-01-31' or '31 January 2024'.", row=int(i) + 2,
                                  column="event_date") for i in bad[:5]])
    return dates


def fetch_acled(cache_dir, *, countries=None, start=None, end=None, email: str | None = None,
                password: str | None = None, base_url: str = ACLED_API,
                client: httpx.Client | None = None) -> list[Path]:
    """Download ACLED events through ACLED's API into ``cache_dir/acled/<date>/acled.csv``.

    ACLED's data need a (free) account: register at https://acleddata.com/register/ and put the
    account's e-mail and password in the environment variables ``ACLED_EMAIL`` and
    ``ACLED_PASSWORD`` (or pass them). ACLED retired its access keys in 2025: the API now takes
    an OAuth token, which this function requests with those credentials. ACLED's terms of use
    apply to what is downloaded (attribution; no redistribution of the event data).

    Parameters
    ----------
    cache_dir : path-like
        Cache folder; each download day gets its own subfolder.
    countries : sequence of str, optional
        ISO3 codes to download; all countries by default.
    start, end : date-like, optional
        First and last event dates; by default 1 January five years ago, and today.
    email, password : str, optional
        The account's credentials; default: the environment variables above.
    base_url : str
        ACLED's site (the token is at ``/oauth/token``, the events at ``/api/acled/read``).
    client : httpx.Client, optional
        HTTP client to use; by default one with forewarn's timeouts.

    Returns
    -------
    list of pathlib.Path
        The events (only the columns :func:`read_acled` needs), ready for it.

    Raises
    ------
    forewarn.errors.InputError
        No credentials, unknown country codes, the host cannot be reached (after a few tries),
        or ACLED refuses the credentials or the query.
    """
    email = email or os.environ.get(ACLED_EMAIL_VAR)
    password = password or os.environ.get(ACLED_PASSWORD_VAR)
    if not email or not password:
        raise InputError(Problem("acled", f"ACLED data need an account: set the environment "
                                 f"variables {ACLED_EMAIL_VAR} and {ACLED_PASSWORD_VAR} to your "
                                 "ACLED login (register free at https://acleddata.com/register/),"
                                 f" or export the events from {ACLED_HOMEPAGE} and use "
                                 "read_acled(path)."))
    today = dt.date.today()
    start = pd.Timestamp(start or dt.date(today.year - 5, 1, 1)).date()
    end = pd.Timestamp(end or today).date()
    params = {"_format": "json", "fields": "|".join(_FIELDS), "limit": _PAGE,
              "event_date": f"{start.isoformat()}|{end.isoformat()}",
              "event_date_where": "BETWEEN"}
    if countries is not None:
        params["iso"] = "|".join(_numeric_codes(countries))
    base = base_url.rstrip("/")
    url = f"{base}/api/acled/read"
    rows, page = [], 1
    with Fetcher("acled", "read_acled", ACLED_HOMEPAGE, client) as fetcher:
        grant = fetcher.json(f"{base}/oauth/token", method="POST", data={
            "username": email, "password": password, "grant_type": "password",
            "client_id": "acled"})
        token = grant.get("access_token") if isinstance(grant, dict) else None
        if not token:
            raise fetcher.fail("ACLED gave no access token for these credentials; check "
                               f"{ACLED_EMAIL_VAR} and {ACLED_PASSWORD_VAR}.")
        while True:
            answer = fetcher.json(url, params={**params, "page": page},
                                  headers={"Authorization": f"Bearer {token}"})
            if not (isinstance(answer, dict) and answer.get("success", True)
                    and isinstance(answer.get("data"), list)):
                detail = answer.get("error", answer) if isinstance(answer, dict) else answer
                raise fetcher.fail(f"ACLED refused the query: {str(detail)[:300]}")
            rows += answer["data"]
            if len(answer["data"]) < _PAGE:
                break
            page += 1
        table = pd.DataFrame(rows, columns=list(_FIELDS))
        return [fetcher.save(csv_bytes(table), httpx.URL(url, params=params),
                             vintage_folder(cache_dir, "acled") / "acled.csv")]


def _numeric_codes(countries) -> list[str]:
    """ISO3 codes as the ISO numeric codes ACLED filters on."""
    codes = [str(c).strip().upper() for c in countries]
    unknown = [c for c in codes if c not in ISO_NUMERIC]
    if unknown:
        raise InputError(Problem("acled", f"no ISO numeric code for {', '.join(unknown)}, and "
                                 "ACLED filters countries by it; give ISO 3166 alpha-3 codes "
                                 "such as 'SDN' (for Kosovo, fetch all countries)."))
    return [str(ISO_NUMERIC[c]) for c in codes]
