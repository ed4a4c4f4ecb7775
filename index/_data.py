"""Bring index inputs (an xarray Dataset or a pandas DataFrame) to one checked form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem

_DIMS = ("region", "time")


def as_dataset(data, spec, where: str = "data") -> xr.Dataset:
    """The spec's indicators from ``data`` as a float Dataset with dims ``("region"[, "time"])``.

    Parameters
    ----------
    data : xarray.Dataset or pandas.DataFrame
        A Dataset with dim ``"region"`` (and optionally ``"time"``), one variable per indicator;
        or a DataFrame with one row per region (index, or a ``region_id`` column) and one
        column per indicator.
    spec : IndexSpec
        Names the indicators needed and their directions.
    where : str
        What ``data`` is called in error messages ("data", "reference data", "age").

    Returns
    -------
    xarray.Dataset
        One float variable per indicator, in the spec's order, without the input's attrs.

    Raises
    ------
    TypeError
        ``data`` is neither a Dataset nor a DataFrame.
    forewarn.errors.InputError
        Indicators are missing, values are not numbers, dims are not ``region``/``time``,
        region ids repeat, or a variable's ``direction`` attribute contradicts the spec.
    """
    if isinstance(data, pd.DataFrame):
        return _from_frame(data, spec, where)
    if isinstance(data, xr.Dataset):
        return _from_dataset(data, spec, where)
    raise TypeError(
        f"{where} must be an xarray.Dataset (dims region[, time]) or a pandas.DataFrame "
        f"(one row per region); got {type(data).__name__}."
    )


def _missing(names, available, where, kind):
    missing = [i for i in names if i not in available]
    if missing:
        raise InputError(Problem(
            where,
            f"lacks the {kind} {', '.join(map(repr, missing))} that the index spec uses; add "
            f"them (all-missing if there are no data: they are then left out of the index and "
            f"lower the reliability).",
        ))


def _from_frame(df: pd.DataFrame, spec, where) -> xr.Dataset:
    if "region_id" in df.columns:
        df = df.set_index("region_id")
    _missing(spec.indicators, df.columns, where, "column(s)")
    regions = df.index.astype(str)
    dupes = regions[regions.duplicated()].unique().tolist()
    if dupes:
        raise InputError(Problem(
            where,
            f"region ids repeat: {', '.join(map(repr, dupes[:5]))}; give one row per region.",
        ))
    problems, arrays = [], {}
    for ind in spec.indicators:
        raw = df[ind]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            problems.append(Problem(
                where,
                f"{raw.iloc[pos]!r} (region {regions[pos]!r}) is not a number; use a number, "
                "or an empty cell / NaN for a missing value.",
                row=pos + 1,
                column=ind,
            ))
            continue
        arrays[ind] = ("region", values.to_numpy(dtype=float))
    if problems:
        raise InputError(problems)
    return xr.Dataset(arrays, coords={"region": np.asarray(regions, dtype=object)})


def _from_dataset(ds: xr.Dataset, spec, where) -> xr.Dataset:
    _missing(spec.indicators, ds.data_vars, where, "variable(s)")
    problems = []
    for ind in spec.indicators:
        var = ds[ind]
        if "region" not in var.dims or not set(var.dims) <= set(_DIMS):
            problems.append(Problem(
                where,
                f"has dims {var.dims}; use ('region',) or ('region', 'time').",
                column=ind,
            ))
        elif not (np.issubdtype(var.dtype, np.number) or np.issubdtype(var.dtype, np.bool_)):
            problems.append(Problem(
                where, f"has dtype {var.dtype}; store the values as numbers.", column=ind
            ))
        direction = var.attrs.get("direction")
        expected = spec.leaf(ind).direction
        if direction == 0:
            problems.append(Problem(
                where,
                "has no risk direction (direction = 0 in the catalogue), so it cannot enter the "
                "index, which adds indicators up in the direction of risk; remove it from the "
                "index spec, or give it direction 1 or -1 in the catalogue if one way is riskier.",
                column=ind,
            ))
        elif direction is not None and direction != expected:
            problems.append(Problem(
                where,
                f"its attrs say direction = {direction} but the index spec says {expected}; "
                "make the catalogue and the index spec agree on which way is riskier.",
                column=ind,
            ))
    if problems:
        raise InputError(problems)
    # The catalogue attrs describe raw values; dropped so they do not leak onto 0-10 scores.
    out = ds[list(spec.indicators)].astype(float).drop_attrs()
    order = tuple(d for d in _DIMS if d in out.dims)
    return out.transpose(*order)
