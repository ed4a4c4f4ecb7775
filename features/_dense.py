"""The as-of panel straight from dense (region, month) arrays, for grids too big for long tables.

A grid of 65,000 cells × 360 months × 15 indicators would be a long observations table of
hundreds of millions of rows. Here the same panel is made from a *cube*: an ``xr.Dataset`` with
dims ``("region", "time")`` on consecutive month starts, one variable per catalogue indicator.

The cube's contract
    The value of a period is the cube's value at the period's **first month**: January for a
    year, January/April/July/October for a quarter, the month itself for a month. A cube whose
    annual variables hold the year's value at every month of the year, or only at January (NaN
    elsewhere), gives the same panel. NaN at a period's first month means the period was never
    published. Periods whose first month is not in the cube do not exist.
The publication rule
    Every period is published ``publication_lag_days`` (the catalogue's) after the last day of
    the period: the date :func:`validate_observations` fills in when a source gives none.

Under that contract :func:`build_panel_dense` returns exactly what :func:`build_panel` returns for
the long observations :func:`dense_observations` writes out, and :func:`panel_age_dense` what
:func:`panel_age` returns. Because the lag is the same for every region, which period is known at
each time step is one index per step: the work is a gather along time, the same for every
region, and a running "last published value" along periods. On a dask-backed cube each region
chunk is computed on its own, so memory grows with the chunk, not the grid.
"""

from __future__ import annotations

import bottleneck as bn
import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem
from forewarn.features._catalogue import Catalogue
from forewarn.features._panel import _step_months, panel_times
from forewarn.features._periods import month_ordinal, ordinal_to_timestamp, period_end, period_label

__all__ = ["build_panel_dense", "panel_age_dense", "dense_observations", "grid_crisis_events",
           "open_cube", "write_cube"]


def build_panel_dense(cube: xr.Dataset, catalogue: Catalogue, as_of, frequency="monthly",
                      start=None, dtype=None) -> xr.Dataset:
    """Build the as-of panel from a dense cube of per-period values (see the module docstring).

    Equal to ``build_panel(dense_observations(cube, catalogue), catalogue, cube["region"],
    as_of, frequency, start)``, without making the long table: the value at ``(region, t)`` is
    the latest period with a value published by the end of step ``t`` and on or before
    ``as_of``; NaN while none is.

    Parameters
    ----------
    cube : xarray.Dataset
        Dims ``("region", "time")``, ``time`` consecutive month starts, one variable per
        catalogue indicator holding each period's value at the period's first month; numpy- or
        dask-backed (then the panel is lazy, chunked over regions like the cube, with the time
        axis in one chunk). Other variables are ignored.
    catalogue : Catalogue
        Indicators to include; each one's ``frequency`` and ``publication_lag_days`` say which
        months of the cube are periods and when each was published.
    as_of : str or Timestamp
        Date of knowledge; periods published later are invisible.
    frequency : {"monthly", "annual"}
        Time step of the panel.
    start : str or Timestamp, optional
        First time step of the panel; default the cube's first month.
    dtype : str, optional
        Float type of the panel variables; default each cube variable's (float32 halves the
        memory of a grid).

    Returns
    -------
    xarray.Dataset
        Dims ``("region", "time")``, one variable per catalogue indicator with the catalogue
        entry as attrs; attrs ``as_of`` and ``frequency``.

    Raises
    ------
    forewarn.errors.InputError
        The cube is not a ``("region", "time")`` Dataset on consecutive month starts, or lacks
        a catalogue indicator; bad ``frequency``, ``start`` or ``as_of``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> from forewarn.features import Catalogue, Indicator
    >>> cat = Catalogue((Indicator("gov", "Governance", "-", "demo", "annual", 180, -1),))
    >>> times = pd.date_range("2020-01-01", periods=24, freq="MS")
    >>> cube = xr.Dataset({"gov": (("region", "time"), np.repeat([[1.0, 2.0]], 12, axis=1))},
    ...                   coords={"region": ["A"], "time": times})
    >>> p = build_panel_dense(cube, cat, "2021-08-15", start="2021-01")
    >>> p["gov"].values.tolist()
    [[nan, nan, nan, nan, nan, 1.0, 1.0, 1.0]]
    """
    return _dense(cube, catalogue, as_of, frequency, start, dtype, age=False)


def panel_age_dense(cube: xr.Dataset, catalogue: Catalogue, as_of, frequency="monthly",
                    start=None, dtype=None) -> xr.Dataset:
    """Age of each value of :func:`build_panel_dense`: months from the end of its period to the
    end of the time step, as :func:`panel_age` gives for the equivalent observations.

    Same parameters, dims and variables as :func:`build_panel_dense`; NaN where nothing is
    known. ``dtype`` defaults to each cube variable's float type; ages are whole months, exact
    in float32. [months]
    """
    return _dense(cube, catalogue, as_of, frequency, start, dtype, age=True)


def dense_observations(cube: xr.Dataset, catalogue: Catalogue) -> pd.DataFrame:
    """The long observations a cube stands for: one row per region and period with a value.

    For tests and small cubes: the table has ``regions × periods`` rows.

    Returns
    -------
    pandas.DataFrame
        ``region_id, indicator, period, value, published``, ``published`` the period's last day
        plus the indicator's publication lag, as :func:`validate_observations` fills it in.
    """
    c0 = _check_cube(cube, catalogue)
    regions = np.asarray([str(r) for r in cube["region"].values])
    frames = []
    for ind_id in catalogue:
        ind = catalogue[ind_id]
        start, column = _periods(c0, cube.sizes["time"], ind.period_months)
        values = np.asarray(cube[ind_id].values, dtype="float64")[:, column]
        r, p = np.nonzero(~np.isnan(values))
        if len(p) == 0:
            continue
        months = np.full(len(p), ind.period_months)
        frames.append(pd.DataFrame({
            "region_id": regions[r], "indicator": ind_id,
            "period": period_label(start[p], months), "value": values[r, p],
            "published": period_end(start[p], months)
            + pd.Timedelta(days=ind.publication_lag_days),
        }))
    if not frames:
        return pd.DataFrame({"region_id": pd.Series(dtype=object), "indicator": pd.Series(
            dtype=object), "period": pd.Series(dtype=object), "value": pd.Series(dtype=float),
            "published": pd.Series(dtype="datetime64[ns]")})
    return pd.concat(frames, ignore_index=True)


def grid_crisis_events(data: xr.Dataset, gap: int = 2) -> pd.DataFrame:
    """Crisis events read off a grid world's true monthly arrays (``GridWorld.data``).

    The grid world keeps no event table, so its crises are recovered from what they leave:

    * a **disaster** is a run of months with people affected by disasters (``disaster_affected
      > 0``, which the generator sets exactly while a disaster goes on); its magnitude is the
      people affected in its first month;
    * a **conflict** is a run of months with conflict deaths (``conflict_deaths > 0``), gaps of
      up to ``gap`` months bridged, since a month of conflict can pass without a recorded death
      (about 1 in 12 in the generator); its magnitude is the rise in people displaced in its
      first month.

    ``start`` is the 15th of the first month; ``end`` the 15th of the month after the last one
    (so :func:`crisis_context` counts the run's months as ongoing), NaT when the run reaches the
    last month of ``data``.

    Parameters
    ----------
    data : xarray.Dataset
        Dims ``("region", "time")`` on consecutive month starts, with ``conflict_deaths``,
        ``displaced`` and ``disaster_affected``.
    gap : int
        Longest run of months without conflict deaths inside one conflict. [months]

    Returns
    -------
    pandas.DataFrame
        ``region_id, start, end, kind, magnitude`` sorted by start, region and kind.
        [magnitude: persons]

    Raises
    ------
    forewarn.errors.InputError
        A needed variable is missing, or ``gap`` is not a whole number >= 0.
    """
    needed = ("conflict_deaths", "displaced", "disaster_affected")
    missing = [v for v in needed if v not in data.data_vars]
    if missing:
        raise InputError(Problem("grid data", f"lacks {', '.join(missing)} (found: "
                                 f"{', '.join(map(str, data.data_vars))}); pass GridWorld.data."))
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or gap < 0:
        raise InputError(Problem("grid data", f"'gap' is {gap!r}; use a whole number of months "
                                 ">= 0.", column="gap"))
    t0 = _month_starts(data, "grid data")
    regions = np.asarray([str(r) for r in data["region"].values])
    displaced = np.asarray(data["displaced"].values, dtype="float64")
    rise = np.diff(displaced, axis=1, prepend=0.0).clip(min=0)
    affected = np.asarray(data["disaster_affected"].values, dtype="float64")
    frames = [
        _runs(_bridge(np.asarray(data["conflict_deaths"].values) > 0, gap), rise, "conflict"),
        _runs(affected > 0, affected, "disaster"),
    ]
    runs = pd.concat(frames, ignore_index=True)
    last = runs["last"].to_numpy()
    to_15th = pd.Timedelta(days=14)
    end = ordinal_to_timestamp(t0 + last + 1) + to_15th
    events = pd.DataFrame({
        "region_id": regions[runs["region"].to_numpy()],
        "start": ordinal_to_timestamp(t0 + runs["first"].to_numpy()) + to_15th,
        "end": pd.Series(end).where(last < data.sizes["time"] - 1).to_numpy(),
        "kind": runs["kind"].to_numpy(),
        "magnitude": runs["magnitude"].to_numpy(),
    })
    return events.sort_values(["start", "region_id", "kind"]).reset_index(drop=True)


# --------------------------------------------------------------------------- the cube

def _dense(cube, catalogue, as_of, frequency, start, dtype, age: bool) -> xr.Dataset:
    c0 = _check_cube(cube, catalogue)
    step = _step_months(frequency)
    as_of = pd.Timestamp(as_of)
    times = panel_times(ordinal_to_timestamp([c0])[0] if start is None else start, as_of,
                        frequency)
    t0 = int(month_ordinal(times[:1])[0])
    out = {}
    for ind_id in catalogue:
        ind = catalogue[ind_id]
        source = cube[ind_id]
        # Only the time axis is gathered, so it must be one chunk; regions stay as chunked.
        if source.chunks is not None:
            source = source.chunk({"time": -1})
        kind = np.dtype(dtype or (source.dtype if source.dtype.kind == "f" else "float64"))
        pstart, column, known = _known_periods(ind, c0, cube.sizes["time"], as_of, t0, step,
                                               len(times))
        kwargs = {"column": column, "known": known, "offset": None, "step_end": None,
                  "dtype": kind}
        attrs = ind.to_attrs()
        if age:
            # Age counts from the end of the period (month ordinal of the month after it) to the
            # end of the step.
            kwargs.update(offset=(pstart + ind.period_months).astype("float64"),
                          step_end=(t0 + (np.arange(len(times)) + 1) * step).astype("float64"))
            attrs = {"units": "months", "indicator": ind_id, "long_name": f"Age of {ind.label}"}
        values = xr.apply_ufunc(
            _gather, source, kwargs=kwargs,
            input_core_dims=[["time"]], output_core_dims=[["time"]], exclude_dims={"time"},
            dask="parallelized", output_dtypes=[kind],
            dask_gufunc_kwargs={"output_sizes": {"time": len(times)}},
        )
        out[ind_id] = xr.Variable(("region", "time"), values.data, attrs)
    return xr.Dataset(
        out, coords={"region": [str(r) for r in cube["region"].values], "time": times},
        attrs={"as_of": str(as_of.date()), "frequency": frequency},
    )


def _known_periods(ind, c0, n_months, as_of, t0, step, n_t):
    """Which period of ``ind`` is the latest published at each panel step (the same everywhere).

    Returns ``(start month ordinal of each period published by as_of, its column in the cube,
    index of the latest such period known at each step, -1 before any)``.
    """
    pstart, column = _periods(c0, n_months, ind.period_months)
    published = (period_end(pstart, np.full(len(pstart), ind.period_months))
                 + pd.Timedelta(days=ind.publication_lag_days))
    keep = np.asarray(published <= as_of)
    pstart, column = pstart[keep], column[keep]
    # Floor division keeps periods published before the panel starts at a negative step, so
    # they are known from the first step on; the lag is constant, so steps rise with periods.
    visible = (month_ordinal(published[keep]) - t0) // step
    known = np.searchsorted(visible, np.arange(n_t), side="right") - 1
    return pstart, column, known


def _gather(values, *, column, known, offset, step_end, dtype):
    """Per region block: the value (or the age) of the latest period with a value at each step.

    ``values`` is (regions, cube months). The periods' columns are taken and each missing
    period filled from the latest earlier one with a value (so a missing period leaves the
    previous one showing, as in ``build_panel``); then the period known at each step is read.
    For the age, what is carried forward is the end of the period (``offset``) instead of its
    value.
    """
    out_shape = values.shape[:-1] + known.shape
    if len(column) == 0:
        return np.full(out_shape, np.nan, dtype=dtype)
    period_values = values[..., column]
    if offset is None:
        carried = bn.push(period_values.astype(dtype, copy=False), axis=-1)
    else:
        carried = bn.push(np.where(np.isnan(period_values), np.nan, offset), axis=-1)
    picked = carried[..., known.clip(min=0)]
    if offset is not None:
        picked = step_end - picked
    picked[..., known < 0] = np.nan
    return picked.astype(dtype, copy=False)


def _periods(c0: int, n_months: int, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Start month ordinals of the calendar periods whose first month is in the cube, and the
    cube column of each."""
    first = c0 + (-c0) % months
    start = np.arange(first, c0 + n_months, months, dtype=np.int64)
    return start, start - c0


def write_cube(cube: xr.Dataset, path, chunk_regions: int | None = 4096, compute: bool = True):
    """Write a cube (or any (region, time) Dataset) as a Zarr store, chunked over regions with
    the time axis whole; ``chunk_regions=None`` keeps the Dataset's own region chunks.

    That layout is the one :func:`build_panel_dense` reads: each region chunk is read once.
    With ``compute=False`` the metadata is written and the chunks are returned as a dask
    delayed object to compute (with other writes sharing its inputs, say).
    """
    out = cube.chunk({"time": -1} if chunk_regions is None
                     else {"region": chunk_regions, "time": -1})
    for var in out.variables.values():
        var.encoding = {}
    return out.to_zarr(path, mode="w-", consolidated=True, zarr_format=2, compute=compute)


def open_cube(path, catalogue: Catalogue, region_ids=None, chunk_regions: int | None = None
              ) -> xr.Dataset:
    """Open a Zarr cube lazily and check it against the catalogue and the regions.

    Nothing is loaded but the coordinates; the value checks (each indicator inside its valid
    range) run chunk by chunk. Every problem is listed, with the file, the variable and the first
    offending region and month.

    Parameters
    ----------
    path : path-like
        A Zarr store (a folder) written by :func:`write_cube` or by ``xarray.Dataset.to_zarr``.
    catalogue : Catalogue
    region_ids : sequence of str, optional
        The regions of the project; the cube must hold exactly these (any order: it is put in
        this order).
    chunk_regions : int, optional
        Regions per dask chunk; default the store's own chunks.

    Raises
    ------
    forewarn.errors.InputError
    """
    from pathlib import Path

    path = Path(path)
    try:
        cube = xr.open_zarr(path, chunks={} if chunk_regions is None else
                            {"region": chunk_regions, "time": -1})
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(Problem(path, f"cannot be read as a Zarr store ({exc}); write it with "
                                 "forewarn.features.write_cube or xarray's to_zarr.")) from None
    try:
        _check_cube(cube, catalogue)
    except InputError as exc:
        raise InputError([Problem(path, p.message, column=p.column) for p in exc.problems]
                         ) from None
    problems = []
    regions = pd.Index([str(r) for r in cube["region"].values])
    cube = cube.assign_coords(region=regions.to_numpy(dtype=object))
    if region_ids is not None:
        wanted = pd.Index([str(r) for r in region_ids])
        missing, extra = wanted.difference(regions), regions.difference(wanted)
        if len(missing) or len(extra):
            parts = []
            if len(missing):
                parts.append(f"lacks {len(missing)} region(s) of the regions file (e.g. "
                             f"{', '.join(missing[:3])})")
            if len(extra):
                parts.append(f"holds {len(extra)} region(s) not in the regions file (e.g. "
                             f"{', '.join(extra[:3])})")
            problems.append(Problem(path, f"{' and '.join(parts)}; the cube's 'region' "
                                    "coordinate must list exactly the regions' region_id.",
                                    column="region"))
        elif not regions.equals(wanted):
            cube = cube.sel(region=wanted.to_numpy(dtype=object))
    problems += _range_problems(path, cube, catalogue)
    if problems:
        raise InputError(problems)
    return cube


def _range_problems(path, cube, catalogue) -> list:
    import dask

    lows, highs = {}, {}
    for ind_id in catalogue:
        lows[ind_id] = cube[ind_id].min(skipna=True).data
        highs[ind_id] = cube[ind_id].max(skipna=True).data
    lows, highs = dask.compute(lows, highs)
    problems = []
    for ind_id in catalogue:
        ind = catalogue[ind_id]
        low, high = float(lows[ind_id]), float(highs[ind_id])
        if np.isinf(low) or np.isinf(high) or low < ind.valid_min or high > ind.valid_max:
            bad = ~((cube[ind_id] >= ind.valid_min) & (cube[ind_id] <= ind.valid_max)
                    | cube[ind_id].isnull())
            r, t = np.unravel_index(int(bad.argmax().values), bad.shape)
            value = float(cube[ind_id][r, t].values)
            problems.append(Problem(
                path, f"'{ind_id}' holds {value!r} at region {cube['region'].values[r]}, "
                f"{pd.Timestamp(cube['time'].values[t]):%Y-%m} ({int(bad.sum().values):,} values "
                f"outside the valid range [{ind.valid_min}, {ind.valid_max}] in all); fix the "
                "values or the catalogue's valid_min / valid_max.", column=ind_id))
    return problems


def _check_cube(cube, catalogue) -> int:
    """Check the cube's form; the month ordinal of its first month."""
    if not isinstance(cube, xr.Dataset):
        raise InputError(Problem("cube", f"must be an xarray.Dataset; got {type(cube).__name__}. "
                                 "Build one with a variable per indicator on ('region', "
                                 "'time')."))
    missing = [i for i in catalogue if i not in cube.data_vars]
    if missing:
        raise InputError(Problem("cube", f"has no variable for {', '.join(missing)} (found: "
                                 f"{', '.join(map(str, cube.data_vars))}); add them, or leave "
                                 "them out of the catalogue.", column=missing[0]))
    bad = {i: cube[i].dims for i in catalogue if cube[i].dims != ("region", "time")}
    if bad:
        found = ", ".join(f"'{k}' {v}" for k, v in bad.items())
        raise InputError(Problem("cube", f"needs dims ('region', 'time') on every indicator; "
                                 f"found {found}. Transpose with .transpose('region', 'time')."))
    return _month_starts(cube, "cube")


def _month_starts(data: xr.Dataset, what: str) -> int:
    """Month ordinal of the first step; raises unless ``time`` is consecutive month starts."""
    if "time" not in data.coords or data.sizes.get("time", 0) == 0:
        raise InputError(Problem(what, "has no 'time' coordinate; give it one month start per "
                                 "step.", column="time"))
    t = pd.DatetimeIndex(np.asarray(data["time"].values))
    ordinals = month_ordinal(t)
    starts = (t == t.normalize()) & (t.day == 1)
    if not starts.all() or (np.diff(ordinals) != 1).any():
        raise InputError(Problem(what, f"the time coordinate must be consecutive month starts "
                                 f"(from {t[0]:%Y-%m-%d} to {t[-1]:%Y-%m-%d}, {len(t)} steps "
                                 "found); hold one value per month, e.g. "
                                 "pd.date_range(start, periods=n, freq='MS').", column="time"))
    return int(ordinals[0])


# --------------------------------------------------------------------------- grid crises

def _bridge(on: np.ndarray, gap: int) -> np.ndarray:
    """``on`` with runs of at most ``gap`` off-months between two on-months switched on."""
    if gap == 0:
        return on
    n_t = on.shape[1]
    steps = np.arange(n_t)
    before = np.maximum.accumulate(np.where(on, steps, -n_t - gap - 1), axis=1)
    after = np.minimum.accumulate(np.where(on, steps, 2 * n_t + gap + 1)[:, ::-1], axis=1)[:, ::-1]
    return on | ((after - before - 1 <= gap) & (before >= 0) & (after < n_t))


def _runs(on: np.ndarray, size: np.ndarray, kind: str) -> pd.DataFrame:
    """Region, first and last month of every run of ``on`` along time; ``size`` at its first."""
    edge = np.zeros((on.shape[0], 1), dtype=bool)
    begins = on & ~np.hstack([edge, on[:, :-1]])
    ends = on & ~np.hstack([on[:, 1:], edge])
    # Row-major order lists each region's begins and ends in time order, so they pair up.
    r, first = np.nonzero(begins)
    _, last = np.nonzero(ends)
    return pd.DataFrame({"region": r, "first": first, "last": last, "kind": kind,
                         "magnitude": np.round(size[r, first])})
