"""Every input check of a run in one pass: files, config sections and the names they cross-refer.

``forewarn validate`` and the first stage of ``run`` and ``backtest`` call :func:`check_inputs`,
so validate accepts exactly what a run accepts, and lists every problem at once.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import xarray as xr

from forewarn._match import did_you_mean
from forewarn.errors import InputError, Problem

__all__ = ["check_inputs", "feature_names"]


def feature_names(feature_spec, catalogue, frequency: str = "monthly") -> list[str]:
    """Names of the features the spec builds from the catalogue, spatial lags aside.

    Found by building the features of one empty region over three steps with the real builder,
    so the list can never drift from what a run builds.
    """
    from forewarn.features import build_features

    times = pd.date_range("2000-01-01", periods=3, freq="YS" if frequency == "annual" else "MS")
    panel = xr.Dataset({k: (("region", "time"), np.full((1, 3), np.nan), catalogue[k].to_attrs())
                        for k in catalogue}, coords={"region": ["r"], "time": times})
    events = pd.DataFrame({"region_id": pd.Series(dtype=str),
                           "start": pd.Series(dtype="datetime64[ns]"),
                           "end": pd.Series(dtype="datetime64[ns]"),
                           "kind": pd.Series(dtype=str), "magnitude": pd.Series(dtype=float)})
    spec = dataclasses.replace(feature_spec, spatial_lag=())
    return list(build_features(panel, catalogue, events, None, spec).data_vars)


def _spatial_lag_problems(feature_spec, catalogue, frequency) -> list[Problem]:
    if not feature_spec.spatial_lag:
        return []
    names = feature_names(feature_spec, catalogue, frequency)
    out = []
    for name in feature_spec.spatial_lag:
        if name not in names:
            hint = did_you_mean(name, names)
            out.append(Problem("config [features]", f"'spatial_lag' names {name[:60]!r}, which "
                               f"is not a feature this project builds.{hint} Give an indicator "
                               "id of the catalogue or a crisis feature such as "
                               "'crisis_conflict__ongoing'.", column="spatial_lag"))
    return out


#: How long after the newest published value a forecast date may be. [days]
STALE_AFTER_DAYS = 366


def _as_of_problems(config, observations, backtest: bool) -> list[Problem]:
    """A forecast date before any value is published, or so long after the newest one that
    every input would be carried forward, gives scores that mean nothing: refuse both."""
    if observations is None or not len(observations) or backtest:
        return []
    as_of = config.resolved_as_of()
    first, last = observations["published"].min(), observations["published"].max()
    where = f"the forecast date {as_of:%Y-%m-%d}"
    if as_of < first:
        return [Problem("config [forecast]", f"{where} is before any value was published (the "
                        f"first was published on {first:%Y-%m-%d}); give a later 'as_of' or "
                        "--as-of.", column="as_of")]
    if (as_of - last).days > STALE_AFTER_DAYS:
        return [Problem("config [forecast]", f"{where} is {(as_of - last).days:,} days after the "
                        f"newest published value ({last:%Y-%m-%d}): every input would be carried "
                        "forward and the scores would mean nothing. Give a date up to "
                        f"{last + pd.Timedelta(days=STALE_AFTER_DAYS):%Y-%m-%d}, or add newer "
                        "data.", column="as_of")]
    return []


def _cross_file_problems(config, project, feature_spec, backtest_spec) -> list[Problem]:
    """What each file is right about alone but wrong about with the others."""
    out = []
    cat = project.catalogue
    per_capita = set(feature_spec.per_capita) if feature_spec is not None else set()
    for k in cat:
        denominator = cat[k].per_capita_of
        used = cat[k].transform == "per_capita" or k in per_capita
        if used and denominator and denominator not in cat:
            hint = did_you_mean(denominator, cat)
            out.append(Problem(cat.path or "catalogue", f"indicator {k!r}: 'per_capita_of' names "
                               f"{denominator[:60]!r}, which is not in the catalogue.{hint} Name "
                               "the population indicator.", column="per_capita_of"))
    events = project.crisis_events
    if events is not None and feature_spec is not None and len(events):
        kinds = set(feature_spec.crisis_kinds)
        other = sorted(set(events["kind"].astype(str)) - kinds)
        if other:
            shown = ", ".join(repr(k[:40]) for k in other[:10])
            out.append(Problem(config.crisis_events or "crisis events", f"has crisis kinds "
                               f"{shown} that the project does not describe (config [features] "
                               f"crisis_kinds: {', '.join(sorted(kinds))}); fix the kind, or "
                               "add it to crisis_kinds so the model can use it.", column="kind"))
    if backtest_spec is not None and "backtest" in config.sections and \
            project.outcome is not None:
        from forewarn.flows._backtest import _windows

        for h in config.horizons:
            try:
                _windows(config, backtest_spec, h, project)
            except InputError as exc:
                out += exc.problems
    return out


def check_inputs(config, backtest: bool = False):
    """Check every input file and config section; return ``(specs, project)``.

    ``specs`` is a :class:`~forewarn.flows._specs.Specs`; with ``backtest`` its ``backtest``
    (the ``[backtest]`` section) is read too.

    Raises
    ------
    forewarn.errors.InputError
        Listing every problem found, in files and config alike.
    """
    from forewarn.features import FeatureSpec
    from forewarn.flows._backtest import BacktestSpec
    from forewarn.flows._pipeline import specs_from_config
    from forewarn.flows._project import load_project

    problems, specs, project = [], None, None
    try:
        specs = specs_from_config(config)
    except InputError as exc:
        problems += exc.problems
    try:
        backtest_spec = BacktestSpec.from_config(config.section("backtest"))
    except InputError as exc:
        problems += exc.problems
        backtest_spec = None
    try:
        project = load_project(config)
    except InputError as exc:
        problems += exc.problems
    if project is not None:
        try:
            feature_spec = specs.features if specs else FeatureSpec.from_config(
                config.section("features"))
        except InputError:
            feature_spec = None  # its problems are listed already
        if feature_spec is not None:
            problems += _spatial_lag_problems(feature_spec, project.catalogue, config.frequency)
        problems += _as_of_problems(config, project.observations, backtest)
        problems += _cross_file_problems(config, project, feature_spec, backtest_spec)
    if problems:
        raise InputError(problems)
    return specs._replace(backtest=backtest_spec) if backtest else specs, project
