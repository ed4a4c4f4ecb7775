"""Frozen reference bounds: outlier fences and min-max goalposts, fitted once and saved."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from forewarn.errors import InputError, Problem

from ._data import as_dataset

__all__ = ["Bounds", "IndicatorBounds", "fit_bounds", "scale"]

_FORMAT = "forewarn.index.bounds/1"


@dataclass(frozen=True)
class IndicatorBounds:
    """The frozen scaling goalposts of one indicator, in the indicator's own units.

    Parameters
    ----------
    indicator : str
        Indicator id.
    low, high : float
        Values that scale to 0 and 10 (10 and 0 when the direction is -1); values beyond them
        clip. They are the reference minimum and maximum after capping, or the spec's fixed
        bounds.
    cap_low, cap_high : float or None
        The outlier fences fitted on the reference data; None without capping. Kept for the
        record: ``low``/``high`` already lie within them.
    n : int
        Number of reference values fitted on; 0 for fixed bounds.
    """

    indicator: str
    low: float
    high: float
    cap_low: float | None = None
    cap_high: float | None = None
    n: int = 0

    def __post_init__(self):
        ok = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (self.low, self.high))
        if not ok or not self.low < self.high:
            raise InputError(Problem(
                "bounds",
                f"'low' ({self.low}) and 'high' ({self.high}) must be finite numbers with low "
                "below high; refit the bounds with fit_bounds(reference, spec).",
                column=self.indicator,
            ))


@dataclass(frozen=True)
class Bounds(Mapping):
    """Frozen reference bounds for every indicator of an index spec; a read-only mapping.

    Fit once with :func:`fit_bounds` and reuse them, so that scores stay comparable across
    runs and adding or dropping a region never moves another region's score.

    Parameters
    ----------
    spec : str
        Name of the index spec the bounds were fitted for.
    entries : tuple of IndicatorBounds
        One per indicator.
    """

    spec: str
    entries: tuple[IndicatorBounds, ...]

    def __getitem__(self, indicator: str) -> IndicatorBounds:
        for entry in self.entries:
            if entry.indicator == indicator:
                return entry
        raise KeyError(indicator)

    def __iter__(self):
        return (e.indicator for e in self.entries)

    def __len__(self):
        return len(self.entries)

    def to_dict(self) -> dict:
        """The bounds as JSON-ready plain data."""
        return {
            "format": _FORMAT,
            "spec": self.spec,
            "indicators": {e.indicator: {k: v for k, v in asdict(e).items() if k != "indicator"}
                           for e in self.entries},
        }

    def save(self, path) -> Path:
        """Write the bounds to a JSON file and return its path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path) -> Bounds:
        """Read bounds written by :meth:`save`.

        Raises
        ------
        forewarn.errors.InputError
            The file is missing, is not JSON, or is not a forewarn bounds file.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(Problem(path, "file not found; check the path."))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(Problem(
                path, f"is not a JSON file ({exc}); write bounds with Bounds.save(path)."
            )) from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise InputError(Problem(
                path,
                f"is not a forewarn bounds file (its 'format' is not {_FORMAT!r}); write bounds "
                "with Bounds.save(path).",
            ))
        problems, entries = [], []
        for ind, fields_ in (data.get("indicators") or {}).items():
            try:
                entries.append(IndicatorBounds(indicator=ind, **fields_))
            except TypeError as exc:
                problems.append(Problem(path, f"entry is malformed: {exc}.", column=ind))
            except InputError as exc:
                problems += [Problem(path, p.message, column=ind) for p in exc.problems]
        if problems:
            raise InputError(problems)
        return cls(spec=str(data.get("spec", "")), entries=tuple(entries))


def fit_bounds(data, spec) -> Bounds:
    """Fit each indicator's outlier fences and min-max goalposts on reference data.

    For an indicator with fixed ``bounds`` in the spec, those are used as they are. Otherwise
    the fences come from the spec's ``capping`` (Tukey fences ``Q1 - k*IQR, Q3 + k*IQR`` or the
    ``p_low``/``p_high`` percentiles, numpy's linear interpolation) and the goalposts are the
    reference minimum and maximum within the fences, over every region and time in ``data``.

    Parameters
    ----------
    data : xarray.Dataset or pandas.DataFrame or None
        Reference values in the indicators' own units: a Dataset with dims
        ``("region"[, "time"])`` or a DataFrame with one row per region. May be None when every
        indicator has fixed bounds.
    spec : IndexSpec
        The index spec.

    Returns
    -------
    Bounds

    Raises
    ------
    forewarn.errors.InputError
        An indicator has no finite reference value, has infinite values, has a single value
        after capping (nothing to scale between), or has negative values while the spec takes
        its log.
    """
    needs_data = [leaf.id for leaf in spec.leaves if leaf.bounds is None]
    if data is None and needs_data:
        raise InputError(Problem(
            "reference data",
            f"none given, but {', '.join(map(repr, needs_data))} have no fixed 'bounds' in the "
            "index spec; pass reference data to fit them on.",
        ))
    ds = None if data is None else as_dataset(data, spec, "reference data")
    entries, problems = [], []
    for ind in spec.indicators:
        leaf = spec.leaf(ind)
        if leaf.bounds is not None:
            entries.append(IndicatorBounds(ind, float(leaf.bounds[0]), float(leaf.bounds[1])))
            continue
        values = np.asarray(ds[ind].data, dtype=float).ravel()
        try:
            entries.append(_fit_one(leaf, values))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return Bounds(spec=spec.name, entries=tuple(entries))


def _fit_one(leaf, values: np.ndarray) -> IndicatorBounds:
    def problem(message):
        return InputError(Problem("reference data", message, column=leaf.id))

    if np.isinf(values).any():
        raise problem("holds infinite values; replace them with numbers or NaN (missing).")
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise problem("has no values to fit bounds on; give reference data that include it, "
                      "or fixed 'bounds' in the index spec.")
    cap_low = cap_high = None
    if leaf.capping == "iqr":
        q1, q3 = np.quantile(values, [0.25, 0.75])
        cap_low, cap_high = q1 - leaf.fence_k * (q3 - q1), q3 + leaf.fence_k * (q3 - q1)
    elif leaf.capping == "percentile":
        cap_low, cap_high = np.percentile(values, leaf.percentiles)
    low, high = float(values.min()), float(values.max())
    if cap_low is not None:
        cap_low, cap_high = float(cap_low), float(cap_high)
        low, high = max(low, cap_low), min(high, cap_high)
    if leaf.log and low < 0:
        raise problem(f"has values down to {low} but the index spec takes its log (log1p needs "
                      "values >= 0); set log = false or fix the values.")
    if not low < high:
        fix = {
            "none": "give fixed 'bounds' in the index spec or widen the reference data",
            "iqr": "Tukey fences collapse when most values are equal: use capping = 'percentile' "
                   "or 'none', or give fixed 'bounds'",
            "percentile": "raise 'p_high' (or lower 'p_low'), use capping = 'none', or give "
                          "fixed 'bounds'",
        }[leaf.capping]
        after = "" if leaf.capping == "none" else f" after {leaf.capping!r} capping"
        raise problem(
            f"has a single value ({low}){after} in the reference data, so there is nothing to "
            f"scale between; {fix}."
        )
    return IndicatorBounds(leaf.id, low, high, cap_low, cap_high, int(values.size))


def scale(x: xr.DataArray, leaf, bounds: IndicatorBounds) -> xr.DataArray:
    """Scale one indicator to 0-10 against frozen bounds (clip, optional log1p, min-max, direction).

    Parameters
    ----------
    x : xarray.DataArray
        Values in the indicator's own units; NaN stays NaN.
    leaf : Leaf
        The indicator's rule (``log``, ``direction``).
    bounds : IndicatorBounds
        Its frozen goalposts.

    Returns
    -------
    xarray.DataArray
        The scaled values, within [0, 10], 10 being the riskiest. [-]
    """
    f = np.log1p if leaf.log else float
    low, high = f(bounds.low), f(bounds.high)
    clipped = x.clip(bounds.low, bounds.high)
    t = np.log1p(clipped) if leaf.log else clipped
    # t - low <= high - low holds exactly in floating point, so the result never passes 10.
    s = 10.0 * (t - low) / (high - low)
    return 10.0 - s if leaf.direction == -1 else s
