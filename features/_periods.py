"""Period strings ("2015", "2015-Q1", "2015-03", "2015-03-31") as month ordinals, vectorised."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["parse_periods", "month_ordinal", "ordinal_to_timestamp", "period_end", "period_label"]

# One pattern per accepted form; a full date names the period that contains it.
_PATTERN = (
    r"^\s*(?P<year>\d{4})"
    r"(?:-(?:(?:Q(?P<quarter>[1-4]))|(?P<month>0[1-9]|1[0-2])(?:-(?P<day>\d{2}))?))?\s*$"
)


def parse_periods(periods) -> pd.DataFrame:
    """Parse period strings into their first month and length, without a Python loop.

    Parameters
    ----------
    periods : array-like of str
        ``"2015"`` (a year), ``"2015-Q1"`` (a quarter), ``"2015-03"`` (a month) or
        ``"2015-03-31"`` (a date: the month that contains it).

    Returns
    -------
    pandas.DataFrame
        Columns ``start`` (month ordinal ``year * 12 + month - 1`` of the first month, -1 where the
        text does not parse), ``months`` (length of the period [months]; 0 where it does not
        parse) and ``form`` ("annual", "quarterly", "monthly", "date" or "" when unparsed).

    Examples
    --------
    >>> parse_periods(["2015", "2015-Q2", "2015-03"])[["start", "months"]].values.tolist()
    [[24180, 12], [24183, 3], [24182, 1]]
    """
    s = pd.Series(np.asarray(periods, dtype=object)).astype("string")
    parts = s.str.extract(_PATTERN)
    year = pd.to_numeric(parts["year"], errors="coerce")
    quarter = pd.to_numeric(parts["quarter"], errors="coerce")
    month = pd.to_numeric(parts["month"], errors="coerce")
    day = pd.to_numeric(parts["day"], errors="coerce")
    form = np.select(
        [day.notna(), month.notna(), quarter.notna(), year.notna()],
        ["date", "monthly", "quarterly", "annual"],
        default="",
    )
    first_month = np.select(
        [month.notna(), quarter.notna()], [month - 1, (quarter - 1) * 3], default=0
    )
    start = np.where(year.notna(), year.fillna(0) * 12 + first_month, -1).astype(np.int64)
    months = np.select([form == "annual", form == "quarterly", form != ""], [12, 3, 1], default=0)
    # A date must exist in the calendar: "2015-02-30" does not parse.
    if day.notna().any():
        dates = pd.to_datetime(s.where(day.notna()), format="%Y-%m-%d", errors="coerce")
        bad = day.notna().to_numpy() & dates.isna().to_numpy()
        start[bad], months[bad] = -1, 0
        form = np.where(bad, "", form)
    return pd.DataFrame({"start": start, "months": months.astype(np.int64), "form": form})


def month_ordinal(dates) -> np.ndarray:
    """Month ordinal (``year * 12 + month - 1``) of each date. [months]"""
    d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    return (d.year.to_numpy() * 12 + d.month.to_numpy() - 1).astype(np.int64)


def ordinal_to_timestamp(ordinals) -> pd.DatetimeIndex:
    """First day of each month ordinal."""
    o = np.asarray(ordinals, dtype=np.int64)
    return pd.to_datetime(
        pd.DataFrame({"year": o // 12, "month": o % 12 + 1, "day": 1})
    ).pipe(pd.DatetimeIndex)


def period_end(start, months) -> pd.DatetimeIndex:
    """Last day of the period that starts at month ordinal ``start`` and lasts ``months``."""
    nxt = ordinal_to_timestamp(np.asarray(start) + np.asarray(months))
    return nxt - pd.Timedelta(days=1)


def period_label(start, months) -> np.ndarray:
    """Canonical text of periods: "2015", "2015-Q2" or "2015-03"."""
    start = np.asarray(start, dtype=np.int64)
    months = np.asarray(months, dtype=np.int64)
    if start.size == 0:
        return np.array([], dtype=str)
    year = (start // 12).astype(str)
    m = start % 12 + 1
    monthly = np.char.add(np.char.add(year, "-"), np.char.zfill(m.astype(str), 2))
    quarterly = np.char.add(np.char.add(year, "-Q"), ((m - 1) // 3 + 1).astype(str))
    return np.where(months == 12, year, np.where(months == 3, quarterly, monthly))
