"""Crisis context: how long since the latest crisis onset, how big it was, whether it goes on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem
from forewarn.features._periods import month_ordinal
from forewarn.features._transforms import _STEP_UNITS, _attrs, _time_step
from forewarn.features._validate import CRISIS_COLUMNS

__all__ = ["crisis_context", "lazy_crisis_context"]


def crisis_context(crisis_events: pd.DataFrame, region_ids, times, kinds=("conflict", "disaster"),
                   cap: int = 120, magnitude_units: str = "persons") -> xr.Dataset:
    """Crisis features per region and time step, from what was known by the end of each step.

    An onset is known by the end of the step that contains its ``start``. A crisis is ongoing at
    step ``t`` when it started by the end of ``t`` and had not ended by then (``end`` is NaT or
    after the end of ``t``). Crisis events of regions not in ``region_ids`` are ignored.

    Before a region's first known onset of a kind there is no "time since": the time since onset
    is then ``cap`` (the same as an onset ``cap`` steps or more ago, so a model constrained to
    "longer ago is less risky" treats "never" as "long ago"), the magnitude is 0, and the flag
    ``crisis_<kind>__seen`` is 0, so a model can still tell "never" apart.

    Directions (attrs, for monotone constraints): -1 for the time since onset (the risk a crisis
    adds is assumed to fade as it ages), +1 for the other three.

    Parameters
    ----------
    crisis_events : pandas.DataFrame
        ``region_id, start, end, kind, magnitude`` (see ``validate_crisis_events``); ``end`` NaT
        while ongoing, ``magnitude`` NaN when unknown.
    region_ids : sequence of str
        Regions, in panel order.
    times : array-like of datetime64
        The panel's time coordinate (month or year starts).
    kinds : sequence of str
        Kinds of crisis to describe, one group of variables each; other kinds are ignored.
    cap : int
        Longest time since onset reported. [time steps]
    magnitude_units : str
        Units of ``magnitude``, written into the attrs.

    Returns
    -------
    xarray.Dataset
        Dims ``("region", "time")``; for each kind ``k``:

        ``crisis_k__since``
            Steps since the latest onset known, at most ``cap``. [months or years]
        ``crisis_k__seen``
            1 once any onset of that kind is known, else 0. [-]
        ``crisis_k__magnitude``
            Magnitude of the latest onset known (the largest when several start in the same
            step); 0 before any, NaN when unknown. [magnitude_units]
        ``crisis_k__ongoing``
            1 while a crisis of that kind goes on, else 0. [-]

    Raises
    ------
    forewarn.errors.InputError
        A required column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"region_id": ["A"], "start": pd.to_datetime(["2020-03-10"]),
    ...                    "end": pd.to_datetime(["2020-05-20"]), "kind": ["conflict"],
    ...                    "magnitude": [5000.0]})
    >>> times = pd.date_range("2020-01-01", periods=6, freq="MS")
    >>> ctx = crisis_context(ev, ["A"], times, kinds=["conflict"], cap=12)
    >>> ctx["crisis_conflict__since"].values.tolist()
    [[12.0, 12.0, 0.0, 1.0, 2.0, 3.0]]
    >>> ctx["crisis_conflict__ongoing"].values.tolist()
    [[0, 0, 1, 1, 0, 0]]
    """
    missing = [c for c in CRISIS_COLUMNS if c not in crisis_events.columns]
    if missing:
        raise InputError(Problem("crisis events", f"lack the column(s) {', '.join(missing)} "
                                 f"(found: {', '.join(map(str, crisis_events.columns))}); read "
                                 "them with validate_crisis_events."))
    times = pd.DatetimeIndex(np.asarray(times))
    step = _time_step(times)
    unit = _STEP_UNITS[step] + "s"
    region_ids = np.asarray([str(r) for r in region_ids])
    n_r, n_t = len(region_ids), len(times)

    rows = pd.Index(region_ids).get_indexer(crisis_events["region_id"].astype(str))
    events = crisis_events.assign(_r=rows)
    events = events.loc[(events["_r"] >= 0) & events["start"].notna()]
    t0 = int(month_ordinal(times[:1])[0])
    # Step of each start and end relative to the first step; floor division keeps earlier ones
    # negative. An open end lies beyond the panel.
    begin = (month_ordinal(events["start"]) - t0) // step
    ended = events["end"].notna().to_numpy()
    finish = np.full(len(events), n_t, dtype=np.int64)
    finish[ended] = (month_ordinal(events["end"].to_numpy()[ended]) - t0) // step
    events = events.assign(_begin=begin, _finish=finish)

    out = {}
    for kind in kinds:
        of_kind = events.loc[events["kind"] == kind]
        latest, magnitude = _latest_onset(of_kind, n_r, n_t)
        since = np.arange(n_t)[None, :] - latest
        seen = ~np.isnan(latest)
        name = f"crisis_{kind}"
        common = {"indicator": name, "kind": "crisis"}
        # Risk rises after an onset, peaks and fades (the question is *when*): time since onset
        # gets no monotone constraint.
        out[f"{name}__since"] = _var(np.where(seen, np.minimum(since, cap), cap), _attrs(
            transform=f"time_since_onset (cap {cap})", direction=0, units=unit,
            phrase=f"{unit} since the latest {kind} began (at most {cap})", **common))
        out[f"{name}__seen"] = _var(seen.astype(np.int8), _attrs(
            transform="onset_seen", direction=1, units="-",
            phrase=f"a {kind} has begun in this region before", **common))
        out[f"{name}__magnitude"] = _var(np.where(seen, magnitude, 0.0), _attrs(
            transform="magnitude_of_latest_onset", direction=1, units=magnitude_units,
            phrase=f"size of the latest {kind}", **common))
        out[f"{name}__ongoing"] = _var(_ongoing(of_kind, n_r, n_t), _attrs(
            transform="ongoing", direction=1, units="-", phrase=f"a {kind} is going on",
            **common))
    return xr.Dataset(out, coords={"region": region_ids, "time": times})


def lazy_crisis_context(crisis_events: pd.DataFrame, region_ids, times, kinds, cap: int,
                        chunks: dict, magnitude_units: str = "persons") -> xr.Dataset:
    """:func:`crisis_context` as dask arrays chunked like ``chunks`` (``{"region": sizes,
    "time": sizes}``, a panel's ``chunksizes``): each block of regions is computed where the
    block is needed, from the crisis events of its own regions.

    A region's crisis features depend on its own events only, so every block equals those rows
    of the eager result (tested). What a dask graph carries is then the events table, not the
    arrays: on the 65,000-cell grid the eager context went to the cluster as an 812 MiB graph.
    """
    import dask
    import dask.array as da

    ids = np.asarray([str(r) for r in region_ids])
    template = crisis_context(crisis_events.iloc[:0], ids[:1], times, kinds, cap,
                              magnitude_units)
    dtypes = {name: var.dtype for name, var in template.data_vars.items()}
    # Each event's block, from its region's position (-1: a region not in ``ids``), in one hash
    # lookup. ``np.isin`` of the events' ids against each block's ids sorted all the strings
    # again for every block: 100 s of the 65,000-cell grid's features stage.
    position = pd.Index(ids).get_indexer(crisis_events["region_id"].astype(str))
    bounds = np.cumsum(chunks["region"])
    block_of = np.where(position >= 0, np.searchsorted(bounds, position, side="right"), -1)
    blocks, start = [], 0
    for k, size in enumerate(chunks["region"]):
        block = ids[start:start + size]
        start += size
        events = crisis_events.loc[block_of == k]
        values = dask.delayed(_block_values, pure=True)(events, block, times, kinds, cap,
                                                        magnitude_units, dtypes)
        blocks.append((values, size))
    out = {}
    for name, var in template.data_vars.items():
        parts = [da.from_delayed(values[name], shape=(size, len(times)), dtype=dtypes[name])
                 for values, size in blocks]
        data = da.concatenate(parts, axis=0).rechunk({1: tuple(chunks["time"])})
        out[name] = (("region", "time"), data, var.attrs)
    return xr.Dataset(out, coords={"region": ids, "time": template["time"].values})


def _block_values(events, region_ids, times, kinds, cap, magnitude_units, dtypes) -> dict:
    """``{name: array}`` of :func:`crisis_context` for a block of regions."""
    ctx = crisis_context(events, region_ids, times, kinds, cap, magnitude_units)
    return {name: ctx[name].values.astype(dtypes[name], copy=False) for name in dtypes}


def _latest_onset(events: pd.DataFrame, n_r: int, n_t: int) -> tuple[np.ndarray, np.ndarray]:
    """Step and magnitude of the latest onset known at each (region, step); NaN before any.

    Vectorised: each onset is scattered into the step it becomes known (onsets before the panel
    into the first step), then the column of the latest onset is carried along time by a running
    maximum of column indices.
    """
    onsets = events.loc[events["_begin"] < n_t]
    onsets = onsets.assign(_col=onsets["_begin"].clip(lower=0))
    # Within one cell the latest start wins; on a tie, the largest known magnitude.
    onsets = onsets.sort_values(["start", "magnitude"], na_position="first", kind="stable")
    onsets = onsets.drop_duplicates(["_r", "_col"], keep="last")
    step_at = np.full((n_r, n_t), np.nan)
    size_at = np.full((n_r, n_t), np.nan)
    cell = (onsets["_r"].to_numpy(), onsets["_col"].to_numpy())
    step_at[cell] = onsets["_begin"].to_numpy()
    size_at[cell] = onsets["magnitude"].to_numpy(dtype=float)
    column = np.where(~np.isnan(step_at), np.arange(n_t)[None, :], -1)
    column = np.maximum.accumulate(column, axis=1)
    rows = np.arange(n_r)[:, None]
    known = column >= 0
    latest = np.where(known, step_at[rows, column.clip(min=0)], np.nan)
    magnitude = np.where(known, size_at[rows, column.clip(min=0)], np.nan)
    return latest, magnitude


def _ongoing(events: pd.DataFrame, n_r: int, n_t: int) -> np.ndarray:
    """1 where a crisis is ongoing: steps ``begin .. finish - 1``, summed as a difference array."""
    first = events["_begin"].clip(lower=0).to_numpy()
    stop = events["_finish"].clip(upper=n_t).to_numpy()
    keep = first < stop
    r = events["_r"].to_numpy()[keep]
    diff = np.zeros((n_r, n_t + 1), dtype=np.int64)
    np.add.at(diff, (r, first[keep]), 1)
    np.add.at(diff, (r, stop[keep]), -1)
    return (np.cumsum(diff[:, :n_t], axis=1) > 0).astype(np.int8)


def _var(values: np.ndarray, attrs: dict) -> tuple:
    return ("region", "time"), values, attrs
