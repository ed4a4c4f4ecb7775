"""Read and check every input file, collecting all problems with file, row, column and fix."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from forewarn._match import closest, did_you_mean
from forewarn.errors import ForewarnWarning, InputError, Problem
from forewarn.features._catalogue import Catalogue
from forewarn.features._periods import ordinal_to_timestamp, parse_periods, period_end

__all__ = [
    "read_table",
    "to_text",
    "validate_observations",
    "validate_outcome",
    "validate_crisis_events",
    "OBSERVATION_COLUMNS",
    "OUTCOME_COLUMNS",
    "CRISIS_COLUMNS",
]

OBSERVATION_COLUMNS = ("region_id", "indicator", "period", "value")
OUTCOME_COLUMNS = ("region_id", "period", "value")
CRISIS_COLUMNS = ("region_id", "start", "end", "kind", "magnitude")
_TABLE_SUFFIXES = (".csv", ".parquet")
#: At most this many rows are named for one kind of problem; the rest are counted.
MAX_ROWS_PER_PROBLEM = 5


class _Collector:
    """Gathers problems by kind so a problem on 10,000 rows is one readable entry, not 10,000."""

    def __init__(self, path):
        self.path = str(path)
        self.problems: list[Problem] = []

    def add(self, message, row=None, column=None):
        self.problems.append(Problem(self.path, message, row=row, column=column))

    def rows(self, mask, rows, column, message):
        """Add ``message(i)`` for each row where ``mask`` holds, naming at most a few rows."""
        idx = np.flatnonzero(np.asarray(mask))
        for i in idx[:MAX_ROWS_PER_PROBLEM]:
            self.add(message(i), row=int(rows[i]), column=column)
        if len(idx) > MAX_ROWS_PER_PROBLEM:
            self.add(f"... and {len(idx) - MAX_ROWS_PER_PROBLEM} more rows with the same problem "
                     f"in column '{column}'.", column=column)

    def raise_if_any(self):
        if self.problems:
            raise InputError(self.problems)


def to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text forewarn writes to CSV: shortest round-trip floats, ISO dates, ""
    for missing. Reading this text back gives the same values, so an in-memory table and its
    CSV file validate to identical frames."""
    out = {}
    for name, s in frame.items():
        if pd.api.types.is_datetime64_any_dtype(s):
            text = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s):
            text = pd.Series(s.to_numpy().astype(str), index=s.index)
        else:
            text = s.astype(str)
        out[name] = text.where(s.notna(), "")
    return pd.DataFrame(out, index=frame.index)


def read_table(path, required, optional=()) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV or Parquet table as text columns, checking encoding, emptiness and columns.

    Returns the frame (every cell a string, empty cells as "") and, for each data row, the row
    number a person sees: the line number in a CSV file (the header is row 1), the 1-based
    record number in a Parquet file. ``path`` may also be an in-memory DataFrame (named by its
    ``attrs["name"]``), checked exactly as its CSV file would be.

    Raises
    ------
    forewarn.errors.InputError
        Missing file, unknown format, not UTF-8, empty, missing or misspelt columns.
    """
    if isinstance(path, pd.DataFrame):
        return _check_columns(to_text(path).reset_index(drop=True),
                              np.arange(len(path)) + 2, path.attrs.get("name", "<table>"),
                              required, optional)
    path = Path(path)
    col = checked_file(path, _TABLE_SUFFIXES, ".csv (UTF-8) or .parquet",
                       f"a header row with columns {', '.join(required)} and at least one data "
                       "row")
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            col.add(f"is not UTF-8 (byte 0x{raw[exc.start]:02x} at line {line}); re-save it as "
                    "UTF-8 (in Excel: 'CSV UTF-8').", row=line)
            col.raise_if_any()
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            col.add(f"does not parse as CSV: {exc}")
            col.raise_if_any()
        rows = np.arange(len(frame)) + 2
    else:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a broken file
            col.add(f"does not parse as Parquet: {exc}")
            col.raise_if_any()
        frame = frame.astype(object).where(frame.notna(), "").astype(str)
        rows = np.arange(len(frame)) + 1
    return _check_columns(frame, rows, path, required, optional)


def checked_file(path: Path, suffixes, formats: str, content: str) -> _Collector:
    """The problem collector of an input file that exists, has one of ``suffixes`` and is not
    empty; otherwise the first of these problems is raised (``formats`` and ``content`` word
    the fixes: what to use, what the file needs)."""
    col = _Collector(path)
    if not path.is_file():
        col.add("file not found; check the path (relative paths are taken from the config "
                "file's folder).")
    elif path.suffix.lower() not in suffixes:
        col.add(f"unsupported format '{path.suffix}'; use {formats}.")
    elif path.stat().st_size == 0:
        col.add(f"the file is empty; it needs {content}.")
    col.raise_if_any()
    return col


def _check_columns(frame, rows, path, required, optional):
    col = _Collector(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        col.add("has a header but no data rows.")
    missing = [c for c in required if c not in frame.columns]
    extra = [c for c in frame.columns if c not in required and c not in optional]
    for c in missing:
        close = closest(c, extra)
        if close:
            col.add(f"column '{close[0]}' looks like a misspelling of the required column '{c}'; "
                    f"rename it to '{c}'.", column=close[0])
            extra.remove(close[0])
        else:
            found = ", ".join(frame.columns) or "none"
            col.add(f"the required column '{c}' is missing (found: {found}).", column=c)
    col.raise_if_any()
    if extra:
        warnings.warn(f"{path}: columns {', '.join(extra)} are not used by forewarn and are "
                      "ignored.", ForewarnWarning, stacklevel=2)
    frame = frame.apply(lambda s: s.str.strip())
    return frame, rows


def _numbers(frame, column, col, rows, allow_empty=True):
    text = frame[column]
    values = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype="float64")
    bad = (text != "").to_numpy() & ~np.isfinite(values)
    col.rows(bad, rows, column, lambda i: f"{text.iloc[i]!r} is not a number. Use digits with "
             "a '.' decimal point, or an empty cell for a missing value.")
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(values) & (np.abs(values) >= IMPLAUSIBLE)
    col.rows(huge, rows, column, lambda i: f"{values[i]:g} is implausibly large (1e15 or more "
             "in size); check the unit and the decimal point.")
    if not allow_empty:
        empty = (text == "").to_numpy()
        col.rows(empty, rows, column, lambda i: "is empty; a value is required here.")
    return values


#: No count, score or amount forewarn reads comes near this size; a value this large is a typo
#: or a unit error, and would overflow per-capita and log transforms downstream.
IMPLAUSIBLE = 1e15


def _periods(frame, column, col, rows, what="period"):
    parsed = parse_periods(frame[column].to_numpy())
    bad = (parsed["start"] < 0).to_numpy()
    col.rows(bad, rows, column, lambda i: f"{frame[column].iloc[i]!r} is not a {what}. Write "
             "YYYY (a year), YYYY-Qn (a quarter), YYYY-MM (a month) or YYYY-MM-DD (a date).")
    return parsed


def _dates(frame, column, col, rows, allow_empty=True):
    text = frame[column]
    dates = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
    bad = (text != "").to_numpy() & dates.isna().to_numpy()
    col.rows(bad, rows, column, lambda i: f"{text.iloc[i]!r} is not a date. Write YYYY-MM-DD"
             + (", or leave the cell empty." if allow_empty else "."))
    if not allow_empty:
        col.rows((text == "").to_numpy(), rows, column, lambda i: "is empty; a date is required.")
    return pd.DatetimeIndex(dates)


def _known_regions(frame, col, rows, region_ids):
    if region_ids is None:
        return
    known = pd.Index(region_ids)
    ids = frame["region_id"]
    unknown = ~ids.isin(known).to_numpy()
    col.rows(unknown, rows, "region_id", lambda i: (
        f"region {ids.iloc[i]!r} is not in the regions file."
        + _suggest(ids.iloc[i], known) + " Add the region to the regions file or fix the id."))


def _suggest(word, options):
    return did_you_mean(word, options)


def validate_observations(path, catalogue: Catalogue, region_ids=None) -> pd.DataFrame:
    """Read and check an observations file (long CSV or Parquet).

    Columns ``region_id, indicator, period, value[, published]``. An empty ``value`` is a
    missing value and the row is dropped; an empty or absent ``published`` becomes the end of
    the period plus the indicator's publication lag.

    Parameters
    ----------
    path : path-like
        The file.
    catalogue : Catalogue
        Indicators that may appear.
    region_ids : sequence of str, optional
        Known regions; when given, any other id is a problem.

    Returns
    -------
    pandas.DataFrame
        ``region_id, indicator, period, value, published, start, months`` (``start`` is the month
        ordinal of the period's first month, ``months`` its length), exact duplicates removed.

    Raises
    ------
    forewarn.errors.InputError
        Listing every problem found, each with file, row, column, what was found and the fix.
    """
    frame, rows = read_table(path, OBSERVATION_COLUMNS, ("published",))
    col = _Collector(path)
    if "published" not in frame:
        frame["published"] = ""
    _known_regions(frame, col, rows, region_ids)
    ind = frame["indicator"]
    unknown = ~ind.isin(list(catalogue)).to_numpy()
    col.rows(unknown, rows, "indicator", lambda i: (
        f"indicator {ind.iloc[i]!r} is not in the catalogue ({catalogue.path})."
        + _suggest(ind.iloc[i], list(catalogue)) + " Add it to the catalogue or fix the id."))
    parsed = _periods(frame, "period", col, rows)
    today = pd.Timestamp.now()
    future = (parsed["start"] > today.year * 12 + today.month - 1).to_numpy()
    col.rows(future, rows, "period", lambda i: f"{frame['period'].iloc[i]!r} has not begun yet "
             f"(today is {today:%Y-%m-%d}); a value cannot be observed before its period. Fix "
             "the period.")
    values = _numbers(frame, "value", col, rows)
    published = _dates(frame, "published", col, rows)

    known_ind = ~unknown
    freq = ind.map({k: v.frequency for k, v in catalogue.items()}).to_numpy()
    months_of = ind.map({k: v.period_months for k, v in catalogue.items()}).fillna(0).to_numpy()
    form = parsed["form"].to_numpy()
    mismatch = known_ind & (form != "") & (form != "date") & (form != freq)
    col.rows(mismatch, rows, "period", lambda i: (
        f"{frame['period'].iloc[i]!r} is a {form[i]} period but indicator {ind.iloc[i]!r} is "
        f"{freq[i]} in the catalogue; write the period as "
        f"{ {'annual': 'YYYY', 'quarterly': 'YYYY-Qn', 'monthly': 'YYYY-MM'}[freq[i]] }."))
    # A date names the period of the indicator's frequency that contains it.
    start = parsed["start"].to_numpy().copy()
    months = np.where(known_ind, months_of, parsed["months"].to_numpy()).astype(np.int64)
    months = np.where(months == 0, 1, months)
    is_date = form == "date"
    start[is_date] -= start[is_date] % months[is_date]
    ok_period = start >= 0
    end = period_end(np.where(ok_period, start, 0), months)
    lag = ind.map({k: v.publication_lag_days for k, v in catalogue.items()}).fillna(0)
    default_pub = end + pd.to_timedelta(lag.to_numpy(), unit="D")
    pub_given = ~published.isna()
    early = pub_given & ok_period & (published < end)
    col.rows(np.asarray(early), rows, "published", lambda i: (
        f"published {published[i]:%Y-%m-%d} is before the end of its period "
        f"{frame['period'].iloc[i]} ({end[i]:%Y-%m-%d}); a value cannot be published before its "
        "period ends. Fix the date, or leave it empty to use the catalogue's publication lag."))
    lo = ind.map({k: v.valid_min for k, v in catalogue.items()}).fillna(-math.inf).to_numpy()
    hi = ind.map({k: v.valid_max for k, v in catalogue.items()}).fillna(math.inf).to_numpy()
    with np.errstate(invalid="ignore"):
        out = np.isfinite(values) & ((values < lo) | (values > hi))
    col.rows(out, rows, "value", lambda i: (
        f"{values[i]:g} is outside the valid range [{lo[i]:g}, {hi[i]:g}] of indicator "
        f"{ind.iloc[i]!r}; fix the value or the catalogue's valid_min/valid_max."))

    result = pd.DataFrame({
        "region_id": frame["region_id"].to_numpy(),
        "indicator": ind.to_numpy(),
        "period": frame["period"].to_numpy(),
        "value": values,
        "published": published.where(pub_given, default_pub),
        "start": start,
        "months": months,
        "_row": rows,
    })
    _conflicts(result, ["region_id", "indicator", "start", "published"], col,
               "a different value for the same region, indicator, period and publication date "
               "(row {other}); keep one, or give each vintage its own 'published' date.")
    col.raise_if_any()
    result = result.loc[np.isfinite(result["value"])]
    result = result.drop_duplicates(["region_id", "indicator", "start", "published"])
    return result.drop(columns="_row").reset_index(drop=True)


def _conflicts(frame, key, col, template):
    """Report rows that repeat a key with a different value (exact repeats are harmless)."""
    dup = frame.duplicated(key, keep=False)
    if not dup.any():
        return
    sub = frame.loc[dup]
    n_values = sub.groupby(key, sort=False)["value"].transform(
        lambda v: v.fillna(np.inf).nunique())
    clash = sub.loc[n_values > 1]
    first_row = clash.groupby(key, sort=False)["_row"].transform("first").to_numpy()
    is_later = clash["_row"].to_numpy() != first_row
    col.rows(is_later, clash["_row"].to_numpy(), key[0] if len(key) == 1 else "value",
             lambda i: template.format(other=first_row[i]))


def validate_outcome(path, region_ids=None) -> pd.DataFrame:
    """Read and check an outcome file ``region_id, period, value`` (a 0/1 event or a count).

    Returns ``region_id, period (Timestamp of the first month), months, value``.
    Trafficking outcomes measure detection as much as trafficking: see the documentation.
    """
    frame, rows = read_table(path, OUTCOME_COLUMNS)
    col = _Collector(path)
    _known_regions(frame, col, rows, region_ids)
    parsed = _periods(frame, "period", col, rows)
    values = _numbers(frame, "value", col, rows, allow_empty=False)
    with np.errstate(invalid="ignore"):
        neg = values < 0
    col.rows(neg, rows, "value", lambda i: f"{values[i]:g} is negative; an outcome is a count "
             "or a 0/1 event, so it must be 0 or more.")
    ok = parsed["start"].to_numpy() >= 0
    start = ordinal_to_timestamp(np.where(ok, parsed["start"], 0))
    result = pd.DataFrame({"region_id": frame["region_id"].to_numpy(), "period": start,
                           "months": parsed["months"].to_numpy(), "value": values, "_row": rows})
    _conflicts(result.loc[ok], ["region_id", "period"], col,
               "a different value for the same region and period (row {other}); keep one.")
    col.raise_if_any()
    result = result.drop_duplicates(["region_id", "period"])
    return result.drop(columns="_row").reset_index(drop=True)


def validate_crisis_events(path, region_ids=None) -> pd.DataFrame:
    """Read and check a crisis-events file ``region_id, start, end, kind, magnitude``.

    ``end`` may be empty (ongoing); ``magnitude`` may be empty (unknown). [magnitude: people
    affected or displaced, as the file's documentation states]
    """
    frame, rows = read_table(path, ("region_id", "start", "kind"), ("end", "magnitude"))
    for c in ("end", "magnitude"):
        if c not in frame:
            frame[c] = ""
    col = _Collector(path)
    _known_regions(frame, col, rows, region_ids)
    start = _dates(frame, "start", col, rows, allow_empty=False)
    end = _dates(frame, "end", col, rows)
    magnitude = _numbers(frame, "magnitude", col, rows)
    with np.errstate(invalid="ignore"):
        neg = magnitude < 0
    col.rows(neg, rows, "magnitude", lambda i: f"{magnitude[i]:g} is negative; a magnitude "
             "counts people and must be 0 or more.")
    before = np.asarray(~end.isna() & ~start.isna() & (end < start))
    col.rows(before, rows, "end", lambda i: f"end {end[i]:%Y-%m-%d} is before start "
             f"{start[i]:%Y-%m-%d}; swap them or fix the date.")
    kinds = frame["kind"]
    col.rows((kinds == "").to_numpy(), rows, "kind", lambda i: "is empty; name the kind of "
             "crisis (for example 'conflict' or 'disaster').")
    col.raise_if_any()
    return pd.DataFrame({"region_id": frame["region_id"].to_numpy(), "start": start, "end": end,
                         "kind": kinds.str.lower().to_numpy(), "magnitude": magnitude})
