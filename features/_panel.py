"""The as-of panel: what was known about every region, month by month, on a given date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem
from forewarn.features._catalogue import FREQUENCIES, Catalogue
from forewarn.features._periods import month_ordinal, ordinal_to_timestamp, parse_periods

__all__ = ["build_panel", "panel_age", "panel_times", "resolve_vintages"]


def panel_times(start, as_of, frequency="monthly") -> pd.DatetimeIndex:
    """The panel's time axis: month (or year) starts from ``start`` to the step containing ``as_of``.

    Parameters
    ----------
    start : str or Timestamp
        First period of the panel ("2005-01", "2005" or a date).
    as_of : str or Timestamp
        The last step is the one that contains this date.
    frequency : {"monthly", "annual"}
        Length of one time step.
    """
    step = _step_months(frequency)
    first = _first_month(start)
    last = int(month_ordinal([pd.Timestamp(as_of)])[0])
    first -= first % step
    last -= last % step
    if last < first:
        raise InputError(
            Problem("config", f"as_of ({pd.Timestamp(as_of):%Y-%m-%d}) is before the panel start "
                    f"({start}); choose a later as_of or an earlier start.", column="as_of")
        )
    return ordinal_to_timestamp(np.arange(first, last + 1, step))


def resolve_vintages(observations: pd.DataFrame, as_of) -> pd.DataFrame:
    """One row per (region, indicator, period) as known on ``as_of``.

    The value is the latest vintage published on or before ``as_of``; ``first_published`` is the
    date the period was first published, from which it is visible in the panel (a later revision
    replaces the value but does not make the period visible earlier).

    Parameters
    ----------
    observations : pandas.DataFrame
        Validated observations with ``published`` filled in (see ``validate_observations``).
    as_of : str or Timestamp
        Date of knowledge; anything published later is invisible.

    Returns
    -------
    pandas.DataFrame
        ``region_id, indicator, start, months, value, first_published, published``.
    """
    as_of = pd.Timestamp(as_of)
    obs = observations.loc[observations["published"] <= as_of]
    if "start" not in obs:
        parsed = parse_periods(obs["period"].to_numpy())
        obs = obs.assign(start=parsed["start"].to_numpy(), months=parsed["months"].to_numpy())
    key = ["region_id", "indicator", "start"]
    obs = obs.sort_values(key + ["published"], kind="stable")
    first = obs.groupby(key, sort=False, observed=True)["published"].transform("min")
    latest = obs.assign(first_published=first).drop_duplicates(key, keep="last")
    return latest[key + ["months", "value", "first_published", "published"]].reset_index(drop=True)


def _known_period(vintages, catalogue, region_ids, times, step):
    """For each indicator, the start month of the latest period known at each (region, step).

    Returns ``(indicator -> int array (region, time) of month ordinals, -1 when nothing is known;
    indicator -> value lookup)``. Vectorised: a scatter of each period at the step of its first
    publication, then a running maximum along time.
    """
    n_r, n_t = len(region_ids), len(times)
    t0 = int(month_ordinal(times[:1])[0])
    r_index = pd.Index(region_ids)
    ridx = r_index.get_indexer(vintages["region_id"])
    pub_step = (month_ordinal(vintages["first_published"]) - t0) // step
    # Published before the panel starts: visible from the first step.
    pub_step = np.clip(pub_step, 0, None)
    keep = (ridx >= 0) & (pub_step < n_t)
    known, lookup = {}, {}
    for ind_id in catalogue:
        sel = keep & (vintages["indicator"].to_numpy() == ind_id)
        start = vintages["start"].to_numpy()[sel]
        grid = np.full((n_r, n_t), -1, dtype=np.int64)
        np.maximum.at(grid, (ridx[sel], pub_step[sel]), start)
        known[ind_id] = np.maximum.accumulate(grid, axis=1)
        lookup[ind_id] = (ridx[sel], start, vintages["value"].to_numpy()[sel],
                          vintages["months"].to_numpy()[sel])
    return known, lookup


def _gather(known, lookup, n_r, dtype):
    """Values of the known periods: a dense (region, period) table indexed by the running maximum."""
    ridx, start, value, _ = lookup
    out = np.full(known.shape, np.nan, dtype=dtype)
    if len(start) == 0:
        return out
    p0 = start.min()
    table = np.full((n_r, start.max() - p0 + 1), np.nan, dtype=dtype)
    table[ridx, start - p0] = value
    has = known >= 0
    rows = np.broadcast_to(np.arange(n_r)[:, None], known.shape)
    out[has] = table[rows[has], known[has] - p0]
    return out


def build_panel(observations, catalogue: Catalogue, region_ids, as_of, frequency="monthly",
                start=None, dtype="float64") -> xr.Dataset:
    """Build the panel of everything known on ``as_of``, one variable per catalogue indicator.

    The value at ``(region, time)`` is the latest period of the indicator first published by the
    end of that time step, with the value of its latest vintage published on or before ``as_of``.
    So an annual score published in September is carried onto months from September on, never
    onto the months before it was known, and a revision replaces the earlier vintage.

    Parameters
    ----------
    observations : pandas.DataFrame
        Validated observations (``region_id, indicator, period, value, published``) with
        ``published`` filled in (see ``validate_observations``).
    catalogue : Catalogue
        Indicators to include (one variable each, attrs from the catalogue entry).
    region_ids : sequence of str
        Regions, in order; observations of other regions are ignored.
    as_of : str or Timestamp
        Date of knowledge.
    frequency : {"monthly", "annual"}
        Time step of the panel.
    start : str or Timestamp, optional
        First period; default the earliest observed period.
    dtype : str
        Float type of the variables ("float32" halves memory at scale).

    Returns
    -------
    xarray.Dataset
        Dims ``("region", "time")``; attrs ``as_of`` and ``frequency``.

    Examples
    --------
    >>> import pandas as pd
    >>> from forewarn.features import Indicator, Catalogue
    >>> cat = Catalogue((Indicator("gov", "Governance", "-", "demo", "annual", 180, -1),))
    >>> obs = pd.DataFrame({"region_id": ["A"], "indicator": ["gov"], "period": ["2020"],
    ...                     "value": [1.0], "published": pd.to_datetime(["2021-06-29"])})
    >>> p = build_panel(obs, cat, ["A"], "2021-08-15", start="2021-01")
    >>> p["gov"].values.tolist()
    [[nan, nan, nan, nan, nan, 1.0, 1.0, 1.0]]
    """
    step = _step_months(frequency)
    if start is None:
        starts = parse_periods(observations["period"].to_numpy())["start"]
        start = (ordinal_to_timestamp([starts.min()])[0] if len(starts)
                 else pd.Timestamp(as_of))
    times = panel_times(start, as_of, frequency)
    region_ids = [str(r) for r in region_ids]
    vintages = resolve_vintages(observations, as_of)
    known, lookup = _known_period(vintages, catalogue, region_ids, times, step)
    data_vars = {
        ind_id: (("region", "time"), _gather(known[ind_id], lookup[ind_id], len(region_ids), dtype),
                 catalogue[ind_id].to_attrs())
        for ind_id in catalogue
    }
    return xr.Dataset(
        data_vars,
        coords={"region": region_ids, "time": times},
        attrs={"as_of": str(pd.Timestamp(as_of).date()), "frequency": frequency},
    )


def panel_age(observations, catalogue: Catalogue, region_ids, as_of, frequency="monthly",
              start=None) -> xr.Dataset:
    """Age of each panel value: months from the end of its period to the end of the time step.

    Same dims and variables as :func:`build_panel`; NaN where nothing is known. [months]
    """
    panel = build_panel(observations, catalogue, region_ids, as_of, frequency, start)
    step = _step_months(frequency)
    vintages = resolve_vintages(observations, as_of)
    known, lookup = _known_period(vintages, catalogue, panel["region"].values,
                                  pd.DatetimeIndex(panel["time"].values), step)
    t_end = month_ordinal(panel["time"].values) + step  # first month after each step
    out = {}
    for ind_id in catalogue:
        k = known[ind_id]
        months = catalogue[ind_id].period_months
        age = (t_end[None, :] - (k + months)).astype("float64")
        age[k < 0] = np.nan
        out[ind_id] = (("region", "time"), age, {"units": "months", "indicator": ind_id,
                                                 "long_name": f"Age of {catalogue[ind_id].label}"})
    return xr.Dataset(out, coords=panel.coords, attrs=panel.attrs)


def _step_months(frequency):
    if frequency not in ("monthly", "annual"):
        raise InputError(Problem("config", f"'frequency' is {frequency!r}; use 'monthly' or "
                                 "'annual'.", column="frequency"))
    return FREQUENCIES[frequency]


def _first_month(start) -> int:
    if isinstance(start, str):
        parsed = parse_periods([start])
        if parsed["start"].iloc[0] < 0:
            raise InputError(Problem("config", f"'start' is {start!r}, not a period; write "
                                     "YYYY, YYYY-MM or YYYY-MM-DD.", column="start"))
        return int(parsed["start"].iloc[0])
    return int(month_ordinal([pd.Timestamp(start)])[0])
