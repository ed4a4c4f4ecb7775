"""Transforms of one panel variable into features: lags, changes, rolling statistics, scales.

Every function takes a variable of the panel (attrs from ``Indicator.to_attrs()``) or a feature
made by another function here, and returns a new feature ``DataArray`` with dims
``("region", "time")`` whose attrs say where it came from:

``indicator``
    the catalogue id of the source indicator;
``transform``
    the chain of transforms applied, e.g. ``"per_capita 100k; change 6"``;
``direction``
    +1 when a higher feature value means higher risk, -1 when lower is riskier, 0 when no
    direction is assumed (flags). Every transform here increases with the current value of its
    input, so the catalogue direction is inherited unchanged;
``units``
    units of the feature values;
``phrase``
    plain language for reports, e.g. "change in people displaced over the last 6 months";
``kind``
    ``"value"`` (from an indicator), ``"flag"`` (0/1 companion) or ``"crisis"``;
``lever``, ``dimension``
    carried over from the catalogue, so that scenarios and the index find the indicator.

Windows count time steps of the panel (months in a monthly panel, years in an annual one).
Rolling statistics need at least half of their window observed, otherwise they are NaN.
Everything is vectorised with xarray, so a dask-backed panel stays lazy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem
from forewarn.features._catalogue import FREQUENCIES
from forewarn.features._periods import month_ordinal

__all__ = [
    "level",
    "lag",
    "change",
    "growth",
    "rolling_mean",
    "rolling_max",
    "log1p",
    "per_capita",
    "relative_to_history",
    "PER_CAPITA_SCALE",
]

#: Per-capita features are per this many persons. [persons]
PER_CAPITA_SCALE = 100_000
_DIMS = ("region", "time")
_STEP_UNITS = {1: "month", 3: "quarter", 12: "year"}


def lag(da: xr.DataArray, steps: int) -> xr.DataArray:
    """The value ``steps`` time steps earlier.

    Parameters
    ----------
    da : xarray.DataArray
        Panel variable or feature, dims ``("region", "time")``.
    steps : int
        How far back. [time steps]

    Returns
    -------
    xarray.DataArray
        Named ``<name>__lag<steps>``; NaN for the first ``steps`` time steps.
    """
    unit = _window_unit(da, steps, "steps", "lag")
    return _derive(da.shift(time=steps), da, f"lag{steps}", f"lag {steps}",
                   "{s} " + f"{_span(steps, unit)} earlier")


def change(da: xr.DataArray, steps: int) -> xr.DataArray:
    """Difference between the value now and ``steps`` time steps earlier (in the input's units).

    Parameters
    ----------
    da : xarray.DataArray
        Panel variable or feature, dims ``("region", "time")``.
    steps : int
        Length of the change. [time steps]
    """
    unit = _window_unit(da, steps, "steps", "change")
    return _derive(da - da.shift(time=steps), da, f"change{steps}", f"change {steps}",
                   "change in {s} " + f"over the last {_span(steps, unit)}")


def growth(da: xr.DataArray, steps: int) -> xr.DataArray:
    """Relative change over ``steps`` time steps: ``x(t) / x(t - steps) - 1``.

    NaN where the earlier value is 0 or negative, where growth has no meaning.

    Parameters
    ----------
    da : xarray.DataArray
        Panel variable or feature, dims ``("region", "time")``.
    steps : int
        Length of the change. [time steps]

    Returns
    -------
    xarray.DataArray
        Named ``<name>__growth<steps>``; 0.5 means 50 % higher than ``steps`` earlier. [-]
    """
    unit = _window_unit(da, steps, "steps", "growth")
    earlier = da.shift(time=steps)
    return _derive(da / earlier.where(earlier > 0) - 1, da, f"growth{steps}", f"growth {steps}",
                   "growth of {s} " + f"over the last {_span(steps, unit)}", units="-")


def rolling_mean(da: xr.DataArray, window: int) -> xr.DataArray:
    """Mean over the last ``window`` time steps, the current one included.

    Parameters
    ----------
    da : xarray.DataArray
        Panel variable or feature, dims ``("region", "time")``.
    window : int
        Number of time steps averaged; at least half of them must hold a value. [time steps]
    """
    unit = _window_unit(da, window, "window", "rolling_mean")
    return _derive(_rolling(da, window, "mean"), da, f"mean{window}", f"rolling_mean {window}",
                   "average {s} " + f"over the last {_span(window, unit)}")


def rolling_max(da: xr.DataArray, window: int) -> xr.DataArray:
    """Highest value over the last ``window`` time steps, the current one included.

    Parameters
    ----------
    da : xarray.DataArray
        Panel variable or feature, dims ``("region", "time")``.
    window : int
        Number of time steps; at least half of them must hold a value. [time steps]
    """
    unit = _window_unit(da, window, "window", "rolling_max")
    return _derive(_rolling(da, window, "max"), da, f"max{window}", f"rolling_max {window}",
                   "highest {s} " + f"in the last {_span(window, unit)}")


def level(da: xr.DataArray) -> xr.DataArray:
    """The panel variable itself as a feature: same name and values, feature attrs added."""
    _check_dims(da, "level")
    return _derive(da, da, None, "none", "{s}")


def log1p(da: xr.DataArray) -> xr.DataArray:
    """``log(1 + x)``, for counts and amounts spread over orders of magnitude.

    The catalogue only allows ``transform = "log"`` with ``valid_min >= 0``, so validated inputs
    never hit the undefined range below -1.
    """
    _check_dims(da, "log1p")
    return _derive(np.log1p(da), da, "log", "log1p", "{s} (log scale)",
                   units=f"log(1 + {da.attrs.get('units', '-')})")


def per_capita(da: xr.DataArray, denominator: xr.DataArray) -> xr.DataArray:
    """The value per 100,000 persons of ``denominator`` at the same region and time step.

    Parameters
    ----------
    da : xarray.DataArray
        Count to scale (e.g. people displaced), dims ``("region", "time")``.
    denominator : xarray.DataArray
        Population, same coordinates as ``da``; NaN where it is 0 or below. [persons]

    Returns
    -------
    xarray.DataArray
        Named ``<name>__per100k``. [<units of da> per 100k persons]
    """
    _check_dims(da, "per_capita")
    _check_dims(denominator, "per_capita")
    with xr.set_options(arithmetic_join="exact"):
        try:
            out = da / denominator.where(denominator > 0) * PER_CAPITA_SCALE
        except ValueError:
            raise ValueError(
                f"per_capita needs 'da' ({da.name}) and 'denominator' ({denominator.name}) on the "
                "same regions and time steps; take both from the same panel."
            ) from None
    return _derive(out, da, "per100k", "per_capita 100k", "{s} per 100,000 people",
                   units=f"{da.attrs.get('units', '-')} per 100k persons")


def relative_to_history(da: xr.DataArray, window: int = 36) -> xr.DataArray:
    """The value divided by the region's usual level: the median of the previous ``window`` steps.

    The current step is not part of its own history, so a sudden rise shows at once. NaN where
    fewer than half of the previous ``window`` steps hold a value, or where the median is 0 or
    below (no usual level to compare with).

    Parameters
    ----------
    da : xarray.DataArray
        Panel variable or feature, dims ``("region", "time")``.
    window : int
        Length of the history. [time steps]

    Returns
    -------
    xarray.DataArray
        Named ``<name>__rel<window>``; 2.0 means twice the usual level. [-]
    """
    unit = _window_unit(da, window, "window", "relative_to_history")
    usual = _rolling(da.shift(time=1), window, "median")
    phrase = "{s} relative to its usual level " + f"(median of the previous {_span(window, unit)})"
    return _derive(da / usual.where(usual > 0), da, f"rel{window}", f"relative_to_median {window}",
                   phrase, units="-")


def _rolling(da: xr.DataArray, window: int, how: str) -> xr.DataArray:
    """Rolling ``how`` over the last ``window`` steps; NaN unless half of them hold a value."""
    # bottleneck refuses a window longer than the series; leading NaNs change no result.
    short = max(0, window - da.sizes["time"])
    padded = da.pad(time=(short, 0)) if short else da
    with xr.set_options(use_bottleneck=True):
        rolled = getattr(padded.rolling(time=window, min_periods=(window + 1) // 2), how)()
    return rolled.isel(time=slice(short, None)).assign_coords(time=da["time"])


def _check_dims(da, func: str) -> None:
    if not isinstance(da, xr.DataArray) or da.dims != _DIMS:
        found = da.dims if isinstance(da, xr.DataArray) else type(da).__name__
        raise ValueError(
            f"{func} needs a DataArray with dims {_DIMS}; got {found}. Take a variable of the "
            "panel, e.g. panel['displaced'], or transpose it with .transpose('region', 'time')."
        )


def _span(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _window_unit(da, window, name: str, func: str) -> str:
    """Check ``da`` and its ``window``; the length of one time step in words ("month")."""
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a whole number of time steps >= 1. "
            f"Got {window!r} instead."
        )
    _check_dims(da, func)
    return _STEP_UNITS[_time_step(da["time"])]


def _subject(da: xr.DataArray) -> str:
    """What the input measures, in words: the phrase of a feature, the label of a panel variable."""
    if "phrase" in da.attrs:
        return da.attrs["phrase"]
    label = str(da.attrs.get("long_name", da.name))
    # Lower-case "People displaced" but keep acronyms such as "GDP per capita".
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        label = label[0].lower() + label[1:]
    return label


def _derive(values: xr.DataArray, source: xr.DataArray, suffix: str | None, step: str,
            phrase: str, units: str | None = None) -> xr.DataArray:
    """Name ``values`` after ``source`` and describe it; ``phrase`` has ``{s}`` for the subject.

    A panel variable's attrs carry the catalogue transform still to apply; only a feature's
    (those with a phrase) carry transforms already applied, so only those start the chain.
    """
    before = source.attrs.get("transform", "none") if "phrase" in source.attrs else "none"
    chain = step if before == "none" else f"{before}; {step}"
    # rename shares the variable (and its attrs) with ``values``, which may be the caller's.
    out = values.rename(source.name if suffix is None else f"{source.name}__{suffix}").copy(
        deep=False)
    attrs = source.attrs
    out.attrs = _attrs(
        indicator=attrs.get("indicator", str(source.name)),
        transform=chain,
        direction=attrs.get("direction", 0),
        units=attrs.get("units", "-") if units is None else units,
        phrase=phrase.format(s=_subject(source)),
        kind=attrs.get("kind", "value"),
        lever=attrs.get("lever", 0),
        dimension=attrs.get("dimension", ""),
    )
    return out


def _attrs(*, indicator: str, transform: str, direction: int, units: str, phrase: str,
           kind: str = "value", lever: int = 0, dimension: str = "") -> dict:
    """The attrs every feature carries (see the module docstring), netCDF-safe."""
    return {"indicator": indicator, "transform": transform, "direction": int(direction),
            "units": units, "phrase": phrase, "kind": kind, "lever": int(lever),
            "dimension": dimension}


def _time_step(time) -> int:
    """Length of one time step of a panel's time coordinate. [months]

    Raises
    ------
    forewarn.errors.InputError
        The coordinate is not a regular series of month, quarter or year starts.
    """
    t = pd.DatetimeIndex(np.asarray(time))
    if len(t) < 2:
        return 1  # one step cannot show its length; a month is the common case
    steps = np.unique(np.diff(month_ordinal(t)))
    starts = (t == t.normalize()) & (t.day == 1)
    if len(steps) != 1 or int(steps[0]) not in FREQUENCIES.values() or not starts.all():
        raise InputError(Problem(
            "panel", f"the time coordinate is not a regular series of month or year starts "
            f"(from {t[0]:%Y-%m-%d} to {t[-1]:%Y-%m-%d}, {len(t)} steps); build the panel "
            "with build_panel, which makes one.", column="time"))
    return int(steps[0])


def _check_panel(ds, what: str = "panel") -> None:
    """Check that ``ds`` is a Dataset whose variables all have dims ``("region", "time")``.

    Raises
    ------
    forewarn.errors.InputError
        Naming what was found and how to fix it.
    """
    if not isinstance(ds, xr.Dataset):
        raise InputError(Problem(what, f"must be an xarray.Dataset; got {type(ds).__name__}. "
                                 "Build it with build_panel."))
    bad = {name: v.dims for name, v in ds.data_vars.items() if v.dims != _DIMS}
    if bad or not {"region", "time"} <= set(ds.coords):
        found = ", ".join(f"'{k}' {v}" for k, v in bad.items()) or f"coords {tuple(ds.coords)}"
        raise InputError(Problem(what, f"needs dims {_DIMS} with 'region' and 'time' "
                                 f"coordinates on every variable; found {found}. Transpose with "
                                 ".transpose('region', 'time') or rebuild it with build_panel."))
    _time_step(ds["time"])
