"""Missing data made explicit: carry values forward a limited time and flag every carried value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem
from forewarn.features._catalogue import FREQUENCIES
from forewarn.features._transforms import _attrs, _check_panel, _subject

__all__ = ["carry_forward", "imputed_share", "FLAG_SUFFIX"]

#: A variable ``x`` has its imputation flag in ``x + FLAG_SUFFIX``.
FLAG_SUFFIX = "__imputed"
# A month has at least 28 days, so a value published d days after the end of its period shows in
# the panel at most ceil(d / 28) months after that period: any older and it is overdue.
_MIN_MONTH_DAYS = 28


def carry_forward(panel: xr.Dataset, limit: int, age: xr.Dataset | None = None) -> xr.Dataset:
    """Carry each value forward at most ``limit`` periods, flagging every carried value.

    Two kinds of panel, two meanings of "carried":

    * With ``age`` (from ``panel_age``), for an as-of panel from ``build_panel``, which already
      repeats the latest known period of each indicator until a newer one is published: a value
      is carried once it is overdue, i.e. older than its publication lag allows
      (``publication_lag_days`` in the variable's attrs, rounded up to months of 28 days, so up
      to a month of slack); it is flagged while overdue by 1 to ``limit`` periods of the
      indicator (``frequency`` in the attrs), and set to NaN beyond.
    * Without ``age``, for a panel with gaps: a NaN after a value is filled from the last value
      for at most ``limit`` time steps of the panel, and flagged.

    Parameters
    ----------
    panel : xarray.Dataset
        Dims ``("region", "time")``, one variable per indicator.
    limit : int
        Most periods a value is carried (0: never). [periods of the indicator with ``age``;
        time steps of the panel without]
    age : xarray.Dataset, optional
        Age of each panel value, same variables and coordinates as ``panel``. [months]

    Returns
    -------
    xarray.Dataset
        Every variable of ``panel`` (carried values kept up to the limit, NaN after it) and, for
        each, ``<name>__imputed``: 1 where the value is carried, else 0 (int8, attrs
        ``kind = "flag"``). A value missing altogether is NaN with flag 0: it is missing, not
        imputed.

    Raises
    ------
    forewarn.errors.InputError
        ``limit`` is negative; ``age`` lacks a variable of ``panel`` or has other coordinates;
        a variable lacks the catalogue attrs.
    """
    _check_panel(panel)
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0:
        raise InputError(Problem("features", f"'carry_forward' is {limit!r}; use a whole number "
                                 "of periods >= 0 (0 never carries a value forward).",
                                 column="carry_forward"))
    if age is not None:
        missing = [name for name in panel.data_vars if name not in age.data_vars]
        same_axes = all(age.indexes[d].equals(panel.indexes[d]) for d in ("region", "time"))
        if missing or not same_axes:
            what = (f"holds no age for {', '.join(missing)}" if missing
                    else "has other regions or time steps than the panel")
            raise InputError(Problem("age", f"{what}; compute it with panel_age from the same "
                                     "observations, regions, as_of and start as the panel."))
    out = {}
    for name, values in panel.data_vars.items():
        if age is None:
            kept = values.ffill("time", limit=limit) if limit else values
            carried = values.isnull() & kept.notnull()
        else:
            overdue = _overdue_periods(values, age[name])
            kept = values.where(~(overdue > limit))
            carried = (overdue >= 1) & (overdue <= limit)
        out[name] = kept
        out[name + FLAG_SUFFIX] = _flag(carried, values, limit)
    return xr.Dataset(out, coords=panel.coords, attrs=panel.attrs)


def _overdue_periods(values: xr.DataArray, age: xr.DataArray) -> xr.DataArray:
    """Whole periods of the indicator by which each value is older than expected (NaN: no value)."""
    try:
        period = FREQUENCIES[values.attrs["frequency"]]
        lag_months = -(-int(values.attrs["publication_lag_days"]) // _MIN_MONTH_DAYS)
    except KeyError:
        raise InputError(Problem("panel", f"variable '{values.name}' lacks the catalogue attrs "
                                 "'frequency' and 'publication_lag_days' needed to tell carried "
                                 "values; build the panel with build_panel.",
                                 column=str(values.name))) from None
    return np.floor((age - lag_months) / period).clip(min=0)


def _flag(carried: xr.DataArray, values: xr.DataArray, limit: int) -> xr.DataArray:
    flag = carried.astype(np.int8)
    flag.attrs = _attrs(
        indicator=values.attrs.get("indicator", str(values.name)),
        transform=f"carried_forward {limit}",
        direction=0,
        units="-",
        phrase=f"{_subject(values)} carried forward from an earlier period",
        kind="flag",
        dimension=values.attrs.get("dimension", ""),
    )
    return flag


def imputed_share(features: xr.Dataset, time=None) -> pd.Series:
    """Share of the values present that are carried forward, per region.

    For the reliability score: a region whose figures are mostly carried from earlier periods is
    scored on old news.

    Parameters
    ----------
    features : xarray.Dataset
        Output of :func:`carry_forward` or ``build_features``: variables ``x`` with flags
        ``x__imputed``.
    time : str or Timestamp, optional
        One time step (e.g. the forecast origin); default all time steps.

    Returns
    -------
    pandas.Series
        Indexed by ``region_id``, named ``imputed_share``; NaN for a region with no value at all.
        [-]

    Raises
    ------
    forewarn.errors.InputError
        ``features`` holds no flags, or ``time`` is not one of its time steps.
    """
    names = [n for n in features.data_vars if n + FLAG_SUFFIX in features.data_vars]
    if not names:
        raise InputError(Problem("features", f"holds no '<name>{FLAG_SUFFIX}' flags; make them "
                                 "with carry_forward or build_features."))
    if time is not None:
        stamp = pd.Timestamp(time)
        if stamp not in pd.DatetimeIndex(features["time"].values):
            raise InputError(Problem("features", f"has no time step {stamp:%Y-%m-%d}; choose "
                                     "one of its 'time' coordinates (month or year starts).",
                                     column="time"))
        features = features.sel(time=[stamp])
    flagged = sum(features[n + FLAG_SUFFIX].sum("time") for n in names)
    present = sum(features[n].notnull().sum("time") for n in names)
    share = (flagged / present.where(present > 0)).rename("imputed_share")
    series = share.to_series()
    series.index.name = "region_id"
    return series
