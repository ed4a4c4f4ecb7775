"""The feature specification and the one call that turns an as-of panel into features."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

import pandas as pd
import xarray as xr

from forewarn._match import unknown_fields
from forewarn.errors import InputError, Problem
from forewarn.features._catalogue import Catalogue
from forewarn.features._crisis import crisis_context
from forewarn.features._missing import FLAG_SUFFIX, carry_forward
from forewarn.features._spatial import contiguity, spatial_lag
from forewarn.features._transforms import (
    _check_panel,
    change,
    growth,
    lag,
    level,
    log1p,
    per_capita,
    rolling_max,
    rolling_mean,
    relative_to_history,
)

__all__ = ["FeatureSpec", "build_features"]

_WINDOW_FIELDS = ("lags", "changes", "growth", "rolling_mean", "rolling_max")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features to build; validated on construction.

    Windows count time steps of the panel (months in a monthly panel, years in an annual one).

    Parameters
    ----------
    indicators : tuple of str
        Catalogue ids to build features from; empty means every catalogue indicator.
    lags : tuple of int
        Values this many steps earlier (``<id>__lag<k>``). [time steps]
    changes : tuple of int
        Differences over this many steps (``<id>__change<k>``). [time steps]
    growth : tuple of int
        Relative changes over this many steps (``<id>__growth<k>``), on the scale before any log.
        [time steps]
    rolling_mean, rolling_max : tuple of int
        Mean / highest value over this many steps (``<id>__mean<k>``, ``<id>__max<k>``).
        [time steps]
    history : int
        Compare each value with the median of this many previous steps (``<id>__rel<k>``), on the
        scale before any log; 0 leaves it out. [time steps]
    carry_forward : int
        Most periods a value is carried forward (see ``carry_forward``); 0 never. [periods]
    per_capita : tuple of str
        Indicators to express per 100,000 people of their catalogue denominator
        (``per_capita_of``, usually population) instead of as counts, whatever the catalogue's
        transform; a log scale in the catalogue is kept (``log1p`` of the rate). Counts hide how
        hard a crisis hits: 50,000 people displaced is a catastrophe in a region of 200,000 and
        a ripple in one of 5 million. The feature keeps the indicator's name.
    spatial_lag : tuple of str
        Features (names as built, e.g. ``"displaced__change6"`` or
        ``"crisis_conflict__ongoing"``) to average over neighbouring regions (``<name>__splag``).
    crisis_kinds : tuple of str
        Kinds of crisis event to describe (``crisis_<kind>__since`` and so on); lower-case
        letters, digits and underscores.
    crisis_cap : int
        Longest time since a crisis onset reported, also used before any onset. [time steps]
    """

    indicators: tuple[str, ...] = ()
    lags: tuple[int, ...] = (3,)
    changes: tuple[int, ...] = (6,)
    growth: tuple[int, ...] = ()
    rolling_mean: tuple[int, ...] = (12,)
    rolling_max: tuple[int, ...] = ()
    history: int = 36
    carry_forward: int = 1
    per_capita: tuple[str, ...] = ()
    spatial_lag: tuple[str, ...] = ()
    crisis_kinds: tuple[str, ...] = ("conflict", "disaster")
    crisis_cap: int = 120

    def __post_init__(self):
        problems = []
        for name in _WINDOW_FIELDS:
            problems += _check_windows(name, getattr(self, name))
        for name, low, meaning in (("history", 0, "0 leaves it out"),
                                   ("carry_forward", 0, "0 never carries a value"),
                                   ("crisis_cap", 1, "a time since onset")):
            value = getattr(self, name)
            if not _is_whole(value) or value < low:
                problems.append(f"'{name}' is {value!r}; use a whole number >= {low} "
                                f"({meaning}).")
        for name in ("indicators", "per_capita", "spatial_lag", "crisis_kinds"):
            problems += _check_names(name, getattr(self, name))
        problems += [f"'crisis_kinds' entry {k!r} is not a simple name; use lower-case letters, "
                     "digits and underscores, e.g. 'conflict'." for k in self.crisis_kinds
                     if isinstance(k, str) and not _NAME.match(k)]
        if problems:
            raise InputError([Problem("features", p) for p in problems])

    @classmethod
    def from_config(cls, config: Mapping, source: str = "config [features]") -> FeatureSpec:
        """Build a spec from a config table, turning lists into tuples.

        Raises
        ------
        forewarn.errors.InputError
            Listing every unknown field (with the closest known name) and every bad value.
        """
        if not isinstance(config, Mapping):
            raise InputError(Problem(source, f"must be a table of fields; got "
                                     f"{type(config).__name__}."))
        known = [f.name for f in fields(cls)]
        problems = unknown_fields(config, known, source, "unknown field", "Known fields")
        values = {k: tuple(v) if isinstance(v, list) else v
                  for k, v in config.items() if k in known}
        try:
            spec = cls(**values)
        except InputError as exc:
            problems += [Problem(source, p.message) for p in exc.problems]
        if problems:
            raise InputError(problems)
        return spec

    def to_dict(self) -> dict:
        """The spec as plain JSON-ready values (for the run manifest)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_windows(name: str, windows) -> list[str]:
    if not isinstance(windows, tuple):
        return [f"'{name}' is {windows!r}; use a list of whole numbers of time steps, e.g. [3, 6]."]
    bad = [w for w in windows if not _is_whole(w) or w < 1]
    out = [f"'{name}' holds {w!r}; every window must be a whole number of time steps >= 1."
           for w in bad]
    if len(set(windows)) < len(windows):
        out.append(f"'{name}' repeats a window ({list(windows)}); list each window once.")
    return out


def _check_names(name: str, names) -> list[str]:
    if not isinstance(names, tuple) or not all(isinstance(n, str) and n for n in names):
        return [f"'{name}' is {names!r}; use a list of names, e.g. [\"displaced\"]."]
    if len(set(names)) < len(names):
        return [f"'{name}' repeats a name ({list(names)}); list each name once."]
    return []


def build_features(panel: xr.Dataset, catalogue: Catalogue, crisis_events: pd.DataFrame | None,
                   regions, spec: FeatureSpec, *, age: xr.Dataset | None = None,
                   cache_dir=None) -> xr.Dataset:
    """Assemble the features of every region and time step from an as-of panel.

    Per indicator, in this order: the value on the catalogue's scale (``<id>``: the level, its
    ``log1p`` or its value per 100,000 persons), lags, changes, growth, rolling means and maxima,
    the value relative to its history, and the flag ``<id>__imputed``; then the crisis context;
    then the spatial lags. Growth and the comparison with history are ratios, so they use the
    value before any log; everything else uses the catalogue's scale.

    Missing values stay NaN (the models handle NaN; every carried value is flagged). No value at
    ``(region, t)`` depends on anything after the end of step ``t``: the panel is as of each step,
    windows look back only, and crisis onsets count from the step they start in.

    Parameters
    ----------
    panel : xarray.Dataset
        As-of panel, dims ``("region", "time")``, one variable per indicator; numpy- or
        dask-backed (the result is then lazy too, chunked like the panel).
    catalogue : Catalogue
        Declares each indicator's transform, direction and per-capita denominator.
    crisis_events : pandas.DataFrame or None
        ``region_id, start, end, kind, magnitude``; None only when ``spec.crisis_kinds`` is empty.
    regions : geopandas.GeoDataFrame or None
        Regions indexed by ``region_id``; None only when ``spec.spatial_lag`` is empty.
    spec : FeatureSpec
        What to build.
    age : xarray.Dataset, optional
        Age of the panel values (``panel_age``); with it, values overdue for more than
        ``spec.carry_forward`` periods are dropped and overdue ones flagged. Without it, only gaps
        in the panel are filled and flagged.
    cache_dir : path-like, optional
        Folder for the contiguity cache.

    Returns
    -------
    xarray.Dataset
        Dims ``("region", "time")``; each variable's attrs name its indicator, transform,
        direction, units and phrase (see ``forewarn.features._transforms``). The Dataset's attrs
        keep the panel's and add ``feature_spec`` (JSON).

    Raises
    ------
    forewarn.errors.InputError
        The panel is malformed; an indicator, denominator or spatial-lag name is unknown; crisis
        events or regions are needed but not given.
    """
    _check_panel(panel)
    _check_inputs(spec, crisis_events, regions)
    indicators = list(spec.indicators) or list(catalogue)
    _check_per_capita(spec, indicators)
    denominators = {catalogue[i].per_capita_of: i for i in indicators
                    if i in catalogue and (catalogue[i].transform == "per_capita"
                                           or i in spec.per_capita)}
    used = list(dict.fromkeys(indicators + list(denominators)))
    _check_known(used, denominators, catalogue, panel)
    # A shallow copy: new attrs, same data, so the caller's panel is left as it was.
    values = panel[used].copy()
    for name in used:
        values[name].attrs = catalogue[name].to_attrs()
    filled = carry_forward(values, spec.carry_forward, age)

    out = {}
    for ind_id in indicators:
        out.update(_indicator_features(ind_id, catalogue, filled, spec))
        out[ind_id + FLAG_SUFFIX] = filled[ind_id + FLAG_SUFFIX]
    if spec.crisis_kinds:
        context = crisis_context(crisis_events, panel["region"].values, panel["time"].values,
                                 spec.crisis_kinds, spec.crisis_cap)
        if panel.chunksizes:
            context = context.chunk(dict(panel.chunksizes))
        out.update(context.data_vars)
    if spec.spatial_lag:
        out.update(_spatial_lags(out, regions, spec, panel, cache_dir))
    features = xr.Dataset(out, coords={"region": panel["region"], "time": panel["time"]})
    features.attrs = {**panel.attrs, "feature_spec": json.dumps(spec.to_dict())}
    return features


def _check_inputs(spec, crisis_events, regions) -> None:
    problems = []
    if spec.crisis_kinds and crisis_events is None:
        problems.append(Problem("features", "crisis features are asked for (crisis_kinds = "
                                f"{list(spec.crisis_kinds)}) but no crisis events were given; "
                                "pass them, or set crisis_kinds = []."))
    if spec.spatial_lag and regions is None:
        problems.append(Problem("features", "spatial lags are asked for (spatial_lag = "
                                f"{list(spec.spatial_lag)}) but no regions were given; pass "
                                "the regions, or set spatial_lag = []."))
    if problems:
        raise InputError(problems)


def _check_per_capita(spec, indicators) -> None:
    unknown = [n for n in spec.per_capita if n not in indicators]
    if unknown:
        raise InputError(Problem("features", f"'per_capita' names {', '.join(unknown)}, which "
                                 f"the spec does not build; choose among the indicators: "
                                 f"{', '.join(indicators)}.", column="per_capita"))


def _check_known(used, denominators, catalogue, panel) -> None:
    problems = []
    for name in used:
        if name not in catalogue:
            role = (f"the per-capita denominator of '{denominators[name]}'"
                    if name in denominators else "listed in 'indicators'")
            problems.append(Problem("features", f"indicator '{name}' ({role}) is not in the "
                                    f"catalogue (known: {', '.join(catalogue)}); add it to the "
                                    "catalogue or drop it.", column="indicators"))
        elif name not in panel.data_vars:
            problems.append(Problem("panel", f"has no variable '{name}' (found: "
                                    f"{', '.join(map(str, panel.data_vars))}); build the panel "
                                    "with a catalogue that declares it.", column=name))
    if problems:
        raise InputError(problems)


def _indicator_features(ind_id, catalogue, filled, spec) -> dict:
    ind = catalogue[ind_id]
    raw = level(filled[ind_id])
    if ind.transform == "per_capita" or ind_id in spec.per_capita:
        raw = per_capita(raw, level(filled[ind.per_capita_of])).rename(ind_id)
    base = log1p(raw).rename(ind_id) if ind.transform == "log" else raw
    # Ratios (growth, comparison with history) make sense only before a log.
    linear = raw
    made = [base]
    made += [lag(base, k) for k in spec.lags]
    made += [change(base, k) for k in spec.changes]
    made += [growth(linear, k) for k in spec.growth]
    made += [rolling_mean(base, k) for k in spec.rolling_mean]
    made += [rolling_max(base, k) for k in spec.rolling_max]
    if spec.history:
        made.append(relative_to_history(linear, spec.history))
    return {da.name: da for da in made}


def _spatial_lags(features, regions, spec, panel, cache_dir) -> dict:
    unknown = [n for n in spec.spatial_lag if n not in features]
    if unknown:
        raise InputError(Problem("features", f"'spatial_lag' names {', '.join(unknown)}, which "
                                 f"the spec does not build; choose among: "
                                 f"{', '.join(features)}.", column="spatial_lag"))
    weights = contiguity(regions, panel["region"].values, cache_dir)
    lagged = [spatial_lag(features[n], weights) for n in spec.spatial_lag]
    return {da.name: da for da in lagged}
