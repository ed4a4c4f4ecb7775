"""The target (an outcome event or surge in the next months) and the design matrices for a model."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem
from forewarn.features._periods import month_ordinal
from forewarn.features._transforms import _STEP_UNITS, _check_panel, _rolling, _time_step
from forewarn.features._validate import OUTCOME_COLUMNS

__all__ = ["make_target", "design_matrix", "Design", "TARGET_RULES", "OUTCOME_MISSING",
           "outcome_events", "count_surges"]

#: How an outcome month counts as an event: any value above 0, or a surge above the usual level.
TARGET_RULES = ("event", "surge")
#: What a region-step without an outcome row is inside the observed range: 0, or unknown (NaN).
OUTCOME_MISSING = ("zero", "unknown")


class Design(NamedTuple):
    """Training rows and the rows to score, as returned by :func:`design_matrix`."""

    X_train: pd.DataFrame
    y_train: pd.Series
    X_origin: pd.DataFrame


def make_target(outcome: pd.DataFrame, times, horizon: int, rule: str = "event", *,
                regions=None, known_from=None, known_until=None, factor: float = 2.0,
                history: int = 36, missing: str = "zero",
                min_excess: float = 0.0) -> xr.DataArray:
    """Whether an outcome event happens in the ``horizon`` steps after each time step.

    ``y(r, t) = 1`` when the outcome of region ``r`` counts as an event in a step among
    ``t + 1 .. t + horizon``, 0 when none does, NaN when the window reaches past
    ``known_until`` (not yet fully observed) or holds a NaN value and no event.

    The outcome is observed from ``known_from`` to ``known_until``; inside that range a region
    and step with no row counts as 0, since an outcome table may list only what happened, and
    outside it the outcome is unknown. For such an event list pass both, so that the steps
    around the listed events are known to be quiet. For a series reported when reported
    (``missing="unknown"``), a step without a row is unknown everywhere, never 0.

    Parameters
    ----------
    outcome : pandas.DataFrame
        ``region_id, period, value``; ``period`` the first day of a step of ``times`` (month
        start, or year start for an annual project); one row per region and period.
    times : array-like of datetime64
        Time steps to give a target (e.g. the features' ``time`` coordinate).
    horizon : int
        Length of the window after ``t``. [time steps]
    rule : {"event", "surge"}
        ``"event"``: the value is above 0. ``"surge"``: the value is above ``factor`` times the
        median of the region's previous ``history`` steps *and* at least ``min_excess`` above
        that median (NaN while fewer than half of them are known; with a median of 0 and
        ``min_excess`` 0, any value above 0 is a surge).
    regions : sequence of str, optional
        Regions, in order (e.g. the features' ``region`` coordinate); default those of
        ``outcome``, sorted.
    known_from, known_until : str or Timestamp, optional
        First and last steps whose outcome is known; default the first and last periods in
        ``outcome``.
    factor : float
        Surge threshold as a multiple of the usual level. [-]
    history : int
        Length of the usual level's history. [time steps]
    missing : {"zero", "unknown"}
        A region and step without a row inside the observed range: 0, or unknown (NaN, so
        that a window holding it and no event gets no target).
    min_excess : float
        With ``rule="surge"``: the least rise above the usual level that counts, in the
        outcome's units, so that a count jumping from 1 to 3 is no surge. [outcome units]

    Returns
    -------
    xarray.DataArray
        Named ``target``, dims ``("region", "time")``, values 0, 1 or NaN; attrs ``rule``,
        ``horizon``, ``known_from``, ``known_until``, ``factor``, ``history``, ``units``,
        ``phrase``.

    Raises
    ------
    forewarn.errors.InputError
        Bad ``rule``/``horizon``/``factor``/``history``, missing columns, repeated rows, or
        periods that are not steps of ``times``.

    Examples
    --------
    >>> import pandas as pd
    >>> out = pd.DataFrame({"region_id": ["A"], "period": pd.to_datetime(["2020-04-01"]),
    ...                     "value": [3.0]})
    >>> times = pd.date_range("2020-01-01", periods=6, freq="MS")
    >>> y = make_target(out, times, horizon=2, known_from="2020-01-01", known_until="2020-05-01")
    >>> y.values.tolist()
    [[0.0, 1.0, 1.0, nan, nan, nan]]
    """
    problems = []
    if rule not in TARGET_RULES:
        problems.append(f"'rule' is {rule!r}; use 'event' (any value above 0) or 'surge' (a "
                        "value above factor x the usual level).")
    for name, value in (("horizon", horizon), ("history", history)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            problems.append(f"'{name}' is {value!r}; use a whole number of time steps >= 1.")
    if isinstance(min_excess, bool) or not isinstance(min_excess, (int, float)) or \
            not min_excess >= 0:
        problems.append(f"'min_excess' is {min_excess!r}; use a number >= 0 (the least rise "
                        "above the usual level that counts as a surge).")
    if missing not in OUTCOME_MISSING:
        problems.append(f"'missing' is {missing!r}; use 'zero' (no row means quiet) or "
                        "'unknown' (no row means not reported).")
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or not factor > 0:
        problems.append(f"'factor' is {factor!r}; use a number above 0, e.g. 2 for twice the "
                        "usual level.")
    absent = [c for c in OUTCOME_COLUMNS if c not in outcome.columns]
    if absent:
        problems.append(f"the outcome lacks the column(s) {', '.join(absent)} (found: "
                        f"{', '.join(map(str, outcome.columns))}); read it with validate_outcome.")
    if problems:
        raise InputError([Problem("target", p) for p in problems])

    times = pd.DatetimeIndex(np.asarray(times))
    step = _time_step(times)
    region_ids = (np.asarray([str(r) for r in regions]) if regions is not None
                  else np.sort(outcome["region_id"].astype(str).unique()))
    periods = pd.DatetimeIndex(pd.to_datetime(outcome["period"]))
    _check_outcome(outcome, periods, step)
    since = pd.Timestamp(known_from) if known_from is not None else periods.min()
    until = pd.Timestamp(known_until) if known_until is not None else periods.max()
    if pd.isna(since) or pd.isna(until):
        raise InputError(Problem("target", "the outcome is empty; pass known_from and "
                                 "known_until, the first and last steps whose outcome is known."))

    # One dense (region, step) grid from the earliest history needed to the end of the window:
    # 0 where observed (NaN with missing="unknown"), NaN outside the observed range, then the
    # outcome rows scattered in.
    start_step, end_step = month_ordinal([since, until]) // step
    t_steps = month_ordinal(times) // step
    first = min(t_steps[0] - (history if rule == "surge" else 0), start_step)
    n_steps = max(t_steps[-1] + horizon, end_step) - first + 1
    step_no = np.arange(n_steps) + first
    observed = (step_no >= start_step) & (step_no <= end_step)
    fill = 0.0 if missing == "zero" else np.nan
    grid = np.where(observed, fill, np.nan)[None, :].repeat(len(region_ids), axis=0)
    rows = pd.Index(region_ids).get_indexer(outcome["region_id"].astype(str))
    cols = month_ordinal(periods) // step - first
    keep = (rows >= 0) & (cols >= 0) & (cols < n_steps)
    keep[keep] = observed[cols[keep]]
    grid[rows[keep], cols[keep]] = outcome["value"].to_numpy(dtype=float)[keep]

    event = _events(grid, rule, factor, history, min_excess)
    hits = _window_sum(event == 1, t_steps - first, horizon)
    unknown = _window_sum(np.isnan(event), t_steps - first, horizon)
    y = np.where(hits > 0, 1.0, np.where(unknown > 0, np.nan, 0.0))
    y[:, t_steps + horizon > end_step] = np.nan

    unit = _STEP_UNITS[step] + ("s" if horizon > 1 else "")
    excess = f" and at least {min_excess:g} above it" if min_excess else ""
    what = ("an outcome above 0" if rule == "event" else
            f"a surge above {factor:g} x the median of the previous {history} "
            f"{_STEP_UNITS[step]}s{excess}")
    return xr.DataArray(
        y, dims=("region", "time"), coords={"region": region_ids, "time": times}, name="target",
        attrs={"rule": rule, "horizon": int(horizon), "known_from": f"{since:%Y-%m-%d}",
               "known_until": f"{until:%Y-%m-%d}",
               "factor": float(factor), "history": int(history), "missing": missing,
               "min_excess": float(min_excess),
               "units": "-",
               "phrase": f"{what} in the next {horizon} {unit}"},
    )


def _check_outcome(outcome, periods, step) -> None:
    problems = []
    repeated = outcome.assign(period=periods).duplicated(["region_id", "period"])
    if repeated.any():
        row = outcome.loc[repeated].iloc[0]
        problems.append(f"{repeated.sum()} row(s) repeat a region and period (first: "
                        f"{row['region_id']} {pd.Timestamp(row['period']):%Y-%m-%d}); keep one "
                        "row each.")
    if periods.isna().any():
        problems.append(f"{periods.isna().sum()} period(s) are empty; give each row the first "
                        "day of its month (or year).")
    periods = periods[periods.notna()]
    misaligned = (periods.day != 1) | (month_ordinal(periods) % step != 0)
    if misaligned.any():
        problems.append(f"{misaligned.sum()} period(s) are not the first day of a time step "
                        f"(first: {periods[misaligned][0]:%Y-%m-%d}); use month starts for a "
                        "monthly project, year starts for an annual one.")
    if problems:
        raise InputError([Problem("outcome", p) for p in problems])


def _events(grid: np.ndarray, rule: str, factor: float, history: int,
            min_excess: float = 0.0) -> np.ndarray:
    """1 where a step counts as an event, 0 where not, NaN where it cannot be told."""
    if rule == "event":
        above = grid > 0
    else:
        values = xr.DataArray(grid, dims=("region", "time"))
        usual = _rolling(values.shift(time=1), history, "median").values
        with np.errstate(invalid="ignore"):
            above = (grid > factor * usual) & (grid - usual >= min_excess)
        grid = np.where(np.isnan(usual), np.nan, grid)
    return np.where(np.isnan(grid), np.nan, above.astype(float))


def outcome_events(outcome: pd.DataFrame, rule: str = "surge", *, frequency: str = "monthly",
                   factor: float = 2.0, history: int = 36, min_excess: float = 0.0,
                   missing: str = "zero", regions=None) -> xr.DataArray:
    """Which region-periods of an outcome count as events under a rule, period by period.

    The same rule as :func:`make_target` (which asks whether an event falls in the window
    after each step), applied to each period of the outcome's own range.

    Parameters
    ----------
    outcome : pandas.DataFrame
        ``region_id, period, value`` (periods as :func:`make_target` takes them).
    rule, factor, history, min_excess, missing, regions
        As :func:`make_target`; ``history`` in time steps.
    frequency : {"monthly", "annual"}
        Time step of the outcome.

    Returns
    -------
    xarray.DataArray
        ``("region", "time")`` over the outcome's periods: 1 event, 0 none, NaN unknown (no
        row with ``missing="unknown"``, or too little history for the surge rule).

    Examples
    --------
    >>> out = pd.DataFrame({"region_id": ["A"] * 5, "period": pd.to_datetime(
    ...     ["2010-01-01", "2011-01-01", "2012-01-01", "2013-01-01", "2014-01-01"]),
    ...     "value": [10.0, 12.0, 11.0, 40.0, 15.0]})
    >>> outcome_events(out, frequency="annual", history=3, min_excess=20).values.tolist()
    [[nan, nan, 0.0, 1.0, 0.0]]
    """
    if frequency not in ("monthly", "annual"):
        raise InputError(Problem("outcome_events", f"'frequency' is {frequency!r}; use "
                                 "'monthly' or 'annual'."))
    periods = pd.DatetimeIndex(pd.to_datetime(outcome["period"]))
    if periods.empty or periods.isna().all():
        raise InputError(Problem("outcome_events", "the outcome is empty: no periods to count "
                                 "events in."))
    freq = "YS" if frequency == "annual" else "MS"
    times = pd.date_range(periods.min(), periods.max(), freq=freq)
    # The target of the step before a period, with a one-step window, is that period's event.
    before = times.shift(-1)
    y = make_target(outcome, before, 1, rule, regions=regions, known_from=times[0],
                    known_until=times[-1], factor=factor, history=history, missing=missing,
                    min_excess=min_excess)
    return y.assign_coords(time=times).rename("event")


def count_surges(outcome: pd.DataFrame, rules: dict, *, frequency: str = "annual",
                 missing: str = "unknown") -> pd.DataFrame:
    """How many region-periods each surge rule marks, per year: to choose a rule with eyes open.

    Parameters
    ----------
    outcome : pandas.DataFrame
        ``region_id, period, value``.
    rules : dict of str to dict
        Rule name -> keyword arguments of :func:`outcome_events` (``factor``, ``history``,
        ``min_excess``, or ``rule="event"``).
    frequency : {"monthly", "annual"}
        Time step of the outcome.
    missing : {"zero", "unknown"}
        As :func:`make_target`.

    Returns
    -------
    pandas.DataFrame
        Index ``year``; per rule a column with the number of events [region-periods], and
        ``known`` (region-periods that could be told, under the first rule). Monthly outcomes
        are summed by calendar year.

    Examples
    --------
    >>> out = pd.DataFrame({"region_id": ["A"] * 4 + ["B"] * 4,
    ...     "period": pd.to_datetime(["2010-01-01", "2011-01-01", "2012-01-01",
    ...                               "2013-01-01"] * 2),
    ...     "value": [10.0, 10.0, 25.0, 12.0, 1.0, 1.0, 3.0, 1.0]})
    >>> table = count_surges(out, {"x2": {"history": 2},
    ...                            "x2_min10": {"history": 2, "min_excess": 10}})
    >>> table.to_dict("index")
    {2011: {'x2': 0, 'x2_min10': 0, 'known': 2}, 2012: {'x2': 2, 'x2_min10': 1, 'known': 2}, 2013: {'x2': 0, 'x2_min10': 0, 'known': 2}}
    """
    if not rules:
        raise InputError(Problem("count_surges", "no rules given; pass a dict such as "
                                 "{'x2': {'factor': 2, 'min_excess': 10}}."))
    columns, known = {}, None
    for name, kwargs in rules.items():
        events = outcome_events(outcome, **{"rule": "surge", **kwargs},
                                frequency=frequency, missing=missing)
        years = pd.DatetimeIndex(events["time"].values).year
        table = pd.DataFrame(events.values.T, index=years)
        columns[name] = (table == 1).groupby(level=0).sum().sum(axis=1)
        if known is None:
            known = table.notna().groupby(level=0).sum().sum(axis=1)
    out = pd.DataFrame(columns).assign(known=known)
    out.index.name = "year"
    return out.loc[out["known"] > 0].astype(int)


def _window_sum(flags: np.ndarray, cols: np.ndarray, horizon: int) -> np.ndarray:
    """Count of ``flags`` in columns ``c + 1 .. c + horizon`` for each ``c``, by cumulative sums."""
    total = np.concatenate([np.zeros((len(flags), 1)), np.cumsum(flags, axis=1)], axis=1)
    return total[:, cols + horizon + 1] - total[:, cols + 1]


#: Index levels of every design table (training and origin rows).
_ROW_ORDER = ["region", "time"]


def design_matrix(features: xr.Dataset, target: xr.DataArray, origin, horizon: int,
                  outcome_known_until, every: int = 1) -> Design:
    """Training rows and origin rows for a model, with nothing from after the origin.

    A time step ``t`` is a training row when ``t <= origin``, its whole target window is
    observed (``t + horizon <= outcome_known_until``) and its target is not NaN. Missing feature
    values stay NaN: the models take NaN (and the ``__imputed`` flags say what was carried).

    Parameters
    ----------
    features : xarray.Dataset
        From ``build_features``, dims ``("region", "time")``.
    target : xarray.DataArray
        From :func:`make_target`, same regions; its ``horizon`` attr, when present, must equal
        ``horizon``.
    origin : str or Timestamp
        Forecast origin, one of the features' time steps.
    horizon : int
        Target window. [time steps]
    outcome_known_until : str or Timestamp
        Last step whose outcome is known at the origin; not after the origin.
    every : int, default=1
        Keep training rows every this many months, counted back from the origin (1 keeps
        all). Thinned before the table is made, so a grid's full table is never built. [months]

    Returns
    -------
    Design
        ``X_train`` (DataFrame, MultiIndex ``(region, time)``, one column per feature),
        ``y_train`` (Series ``target`` on the same index, 0/1; ``attrs["n_unknown"]`` counts
        the trainable region-steps left out because their target is NaN), ``X_origin`` (one
        row per region at the origin).

    Raises
    ------
    forewarn.errors.InputError
        The origin is not a time step, ``outcome_known_until`` is after it, the horizon does not
        match the target's, or the target covers other regions.
    """
    _check_panel(features, "features")
    origin, known = pd.Timestamp(origin), pd.Timestamp(outcome_known_until)
    times = pd.DatetimeIndex(features["time"].values)
    problems = []
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        problems.append(f"'horizon' is {horizon!r}; use a whole number of time steps >= 1.")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        problems.append(f"'every' is {every!r}; use a whole number of months >= 1.")
    if origin not in times:
        problems.append(f"the origin {origin:%Y-%m-%d} is not a time step of the features "
                        f"({times[0]:%Y-%m-%d} .. {times[-1]:%Y-%m-%d}); choose one of them.")
    if known > origin:
        problems.append(f"outcome_known_until ({known:%Y-%m-%d}) is after the origin "
                        f"({origin:%Y-%m-%d}): at the origin no later outcome is known. Use a "
                        "date on or before the origin.")
    if target.attrs.get("horizon", horizon) != horizon:
        problems.append(f"the target was made for a horizon of {target.attrs['horizon']} steps, "
                        f"not {horizon}; make it again with horizon={horizon}.")
    if not pd.Index(target["region"].values).equals(pd.Index(features["region"].values)):
        problems.append("the target's regions differ from the features'; make it with "
                        "regions=features['region'].values.")
    if problems:
        raise InputError([Problem("design", p) for p in problems])

    step = _time_step(times)
    window_end = month_ordinal(times) // step + horizon
    trainable = (times <= origin) & (window_end <= month_ordinal([known])[0] // step)
    if every > 1:
        trainable &= (int(month_ordinal([origin])[0]) - month_ordinal(times)) % every == 0
    y = target.reindex(time=times).where(xr.DataArray(trainable, dims="time",
                                                      coords={"time": times}))
    series = y.to_series()
    y_train = series.dropna().rename("target")
    # Rows that would train but whose outcome is unknown (reported to the caller).
    y_train.attrs["n_unknown"] = int(series.isna().sum() - (~trainable).sum() * y.sizes["region"])
    table = features.reset_coords(drop=True)
    X_train = table.sel(time=times[trainable]).to_dataframe(_ROW_ORDER).reindex(y_train.index)
    return Design(X_train, y_train, origin_rows(features, origin))



def origin_rows(features: xr.Dataset, origin) -> pd.DataFrame:
    """The rows a model scores at ``origin``: one per region, MultiIndex ``(region, time)``,
    one column per feature (``X_origin`` of :func:`design_matrix`, without its training rows)."""
    return features.reset_coords(drop=True).sel(time=[pd.Timestamp(origin)]).to_dataframe(
        _ROW_ORDER)
