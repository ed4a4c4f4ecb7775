"""The feature specification and the one call that turns an as-of panel into features."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Annotated

import pandas as pd
import xarray as xr
from pydantic import Field, field_validator

from forewarn._schema import as_tuple, custom_error, fix, reworded, section_dataclass
from forewarn.errors import InputError, Problem
from forewarn.features._catalogue import Catalogue
from forewarn.features._crisis import crisis_context, lazy_crisis_context
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
_NAME_FIELDS = ("indicators", "per_capita", "spatial_lag", "crisis_kinds")
_SIMPLE = r"^[a-z][a-z0-9_]*$"
_NAME = re.compile(_SIMPLE)

#: A window: a whole number of time steps >= 1.
_Windows = tuple[Annotated[int, Field(ge=1)], ...]
#: Names: non-empty strings.
_Names = tuple[Annotated[str, Field(min_length=1)], ...]
_WINDOWS = fix("use a list of whole numbers of time steps >= 1, each once, e.g. [3, 6].")
_NAMES = fix('use a list of names, each once, e.g. ["displaced"].')


def _window_field(default: tuple, doc: str):
    return Field(default, description=f"{doc} [time steps]", json_schema_extra=_WINDOWS)


@section_dataclass("features", unknown_words=("unknown field", "Known fields"))
class FeatureSpec:
    """Which features to build; validated on construction.

    Windows count time steps of the panel (months in a monthly panel, years in an annual one).
    Each field's meaning, default and constraint is in its description (``forewarn config
    --schema``; config ``[features]``). Sequences are tuples (a list given in Python or TOML
    becomes one); a bad value raises :class:`~forewarn.errors.InputError` naming the field.
    """

    indicators: _Names = Field(
        (), description="Catalogue ids to build features from; empty means every catalogue "
        "indicator.", json_schema_extra=_NAMES)
    lags: _Windows = _window_field((3,), "Values this many steps earlier (`<id>__lag<k>`).")
    changes: _Windows = _window_field((6,), "Differences over this many steps "
                                      "(`<id>__change<k>`).")
    growth: _Windows = _window_field((), "Relative changes over this many steps "
                                     "(`<id>__growth<k>`), on the scale before any log.")
    rolling_mean: _Windows = _window_field((12,), "Mean value over this many steps "
                                           "(`<id>__mean<k>`).")
    rolling_max: _Windows = _window_field((), "Highest value over this many steps "
                                          "(`<id>__max<k>`).")
    history: int = Field(
        36, ge=0, description="Compare each value with the median of this many previous steps "
        "(`<id>__rel<k>`), on the scale before any log; 0 leaves it out. [time steps]",
        json_schema_extra=fix("use a whole number >= 0 (0 leaves it out)."))
    carry_forward: int = Field(
        1, ge=0, description="Most periods a value is carried forward (see "
        "`forewarn.features.carry_forward`); 0 never. [periods]",
        json_schema_extra=fix("use a whole number >= 0 (0 never carries a value)."))
    per_capita: _Names = Field(
        (), description="Indicators to express per 100,000 people of their catalogue "
        "denominator (`per_capita_of`, usually population) instead of as counts, whatever the "
        "catalogue's transform; a log scale in the catalogue is kept (`log1p` of the rate). "
        "Counts hide how hard a crisis hits: 50,000 people displaced is a catastrophe in a "
        "region of 200,000 and a ripple in one of 5 million. The feature keeps the indicator's "
        "name.", json_schema_extra=_NAMES)
    spatial_lag: _Names = Field(
        (), description="Features (names as built, e.g. `\"displaced__change6\"` or "
        "`\"crisis_conflict__ongoing\"`) to average over neighbouring regions "
        "(`<name>__splag`).", json_schema_extra=_NAMES)
    crisis_kinds: tuple[Annotated[str, Field(pattern=_SIMPLE)], ...] = Field(
        ("conflict", "disaster"), description="Kinds of crisis event to describe "
        "(`crisis_<kind>__since` and so on); lower-case letters, digits and underscores.",
        json_schema_extra=fix('use a list of simple names (lower-case letters, digits and '
                              'underscores), each once, e.g. ["conflict"].'))
    crisis_cap: int = Field(
        120, ge=1, description="Longest time since a crisis onset reported, also used before "
        "any onset. [time steps]",
        json_schema_extra=fix("use a whole number >= 1 (a time since onset)."))

    @field_validator(*_WINDOW_FIELDS, mode="wrap")
    @classmethod
    def _windows(cls, value, handler, info):
        return _distinct(value, handler, info, _windows_problem, "window")

    @field_validator(*_NAME_FIELDS, mode="wrap")
    @classmethod
    def _names(cls, value, handler, info):
        return _distinct(value, handler, info, _names_problem, "name")

    @classmethod
    def from_config(cls, config: Mapping, source: str = "config [features]") -> FeatureSpec:
        """Build a spec from a config table (TOML arrays become tuples).

        Raises
        ------
        forewarn.errors.InputError
            Listing every unknown field (with the closest known name) and every bad value,
            each located at ``source``.
        """
        if not isinstance(config, Mapping):
            raise InputError(Problem(source, f"must be a table of fields; got "
                                     f"{type(config).__name__}."))
        try:
            return cls(**{str(k): v for k, v in config.items()})
        except InputError as exc:
            raise InputError([Problem(source, p.message, p.row, p.column)
                              for p in exc.problems]) from None

    def to_dict(self) -> dict:
        """The spec as plain JSON-ready values (for the run manifest)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _windows_problem(name: str, windows) -> str:
    if not isinstance(windows, tuple):
        return f"'{name}' is {windows!r}; use a list of whole numbers of time steps, e.g. [3, 6]."
    bad = ", ".join(repr(w) for w in windows if not _is_whole(w) or w < 1)
    return f"'{name}' holds {bad}; every window must be a whole number of time steps >= 1."


def _names_problem(name: str, names) -> str:
    if not isinstance(names, tuple) or not all(isinstance(n, str) and n for n in names):
        example = "conflict" if name == "crisis_kinds" else "displaced"
        return f"'{name}' is {names!r}; use a list of names, e.g. [\"{example}\"]."
    bad = [n for n in names if not _NAME.match(n)]  # only crisis_kinds has a pattern
    which = f"entry {bad[0]!r} is not a simple name" if len(bad) == 1 else \
        f"entries {', '.join(map(repr, bad))} are not simple names"
    return (f"'{name}' {which}; use lower-case letters, digits and underscores, e.g. "
            "'conflict'.")


def _distinct(value, handler, info, problem, what: str) -> tuple:
    """A list field's value as a tuple, checked by its type (worded by ``problem``) and for
    repeats (``what`` names an item: "window", "name")."""
    name = info.field_name
    items = reworded(handler, as_tuple(value), lambda v: problem(name, v))
    if len(set(items)) < len(items):
        raise custom_error(f"'{name}' repeats a {what} ({list(items)}); list each {what} once.")
    return items


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
        if panel.chunksizes:  # dask-backed: each block computed where it is needed
            context = lazy_crisis_context(crisis_events, panel["region"].values,
                                          panel["time"].values, spec.crisis_kinds,
                                          spec.crisis_cap, dict(panel.chunksizes))
        else:
            context = crisis_context(crisis_events, panel["region"].values,
                                     panel["time"].values, spec.crisis_kinds, spec.crisis_cap)
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
