"""The forecast as plain functions, one per stage of the flow in DESIGN.md; Prefect only wraps them.

project ─► panel (as of) ─► features ─┬─► index
                                      └─► model per horizon ─► scores ─► explanations
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import expit

from forewarn.errors import InputError, Problem
from forewarn.features import (
    FeatureSpec,
    build_features,
    build_panel,
    build_panel_dense,
    design_matrix,
    make_target,
    month_ordinal,
    ordinal_to_timestamp,
    panel_age,
    panel_age_dense,
    write_cube,
)
from forewarn.flows._cluster import Cluster, current_cluster, fit_units_on
from forewarn.flows._project import Project
from forewarn.flows._specs import IndexChoice, ModelSpec, ReportSpec, Specs
from forewarn.flows._trained import Trained
from forewarn.index import INDEX_CLASS_BREAKS

__all__ = [
    "Prepared",
    "Forecast",
    "prepare",
    "compute_index_at_origin",
    "outcome_known_until",
    "train",
    "train_horizons",
    "forecast_scores",
    "risk_class",
    "feature_table",
    "specs_from_config",
    "origin_of",
    "horizon_steps",
    "feature_roles",
    "published_probability",
]


def origin_of(as_of, frequency="monthly") -> pd.Timestamp:
    """The time step that holds ``as_of``: the forecast origin label (month or year start)."""
    m = int(month_ordinal([pd.Timestamp(as_of)])[0])
    step = 12 if frequency == "annual" else 1
    return ordinal_to_timestamp([m - m % step])[0]


def specs_from_config(config) -> Specs:
    """The feature, model, index and report specs of a config (defaults for sections it
    lacks); every problem of the four sections is raised at once."""
    problems = []
    specs = []
    base = config.path.parent if config.path is not None else None
    for build in (lambda: FeatureSpec.from_config(config.section("features")),
                  lambda: ModelSpec.from_config(config.section("model")),
                  lambda: IndexChoice.from_config(config.section("index"), base),
                  lambda: ReportSpec.from_config(config.section("report"))):
        try:
            specs.append(build())
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return Specs(*specs)


@dataclass
class Prepared:
    """Everything known at one origin: the as-of panel, its age, the features."""

    as_of: pd.Timestamp
    origin: pd.Timestamp
    panel: xr.Dataset
    age: xr.Dataset
    features: xr.Dataset


def prepare(project: Project, as_of, feature_spec: FeatureSpec, cache_dir=None,
            chunks: int | None = None, store=None) -> Prepared:
    """Build the panel as of ``as_of`` and the features from it (nothing later is visible).

    With ``chunks``, the panel is dask-backed (that many regions per chunk) and the features are
    computed on the running flow's Dask cluster (else dask's default scheduler): the results
    are identical. They are then loaded into
    memory, or, with ``store`` (a folder that does not exist yet), written there as Zarr chunk
    by chunk and reopened lazily, so nothing the size of a grid is held in one process or sent
    between Dask workers.
    """
    config = project.config
    as_of = pd.Timestamp(as_of)
    ids = project.regions.index
    kwargs = dict(frequency=config.frequency, start=config.start)
    if project.cube is not None:
        cube = project.cube
        if chunks:
            cube = cube.chunk({"region": chunks, "time": -1})
        panel = build_panel_dense(cube, project.catalogue, as_of, **kwargs)
        age = panel_age_dense(cube, project.catalogue, as_of, **kwargs)
    else:
        panel = build_panel(project.observations, project.catalogue, ids, as_of, **kwargs)
        age = panel_age(project.observations, project.catalogue, ids, as_of, **kwargs)
        if chunks:
            panel, age = panel.chunk({"region": chunks}), age.chunk({"region": chunks})
    events = project.crisis_events
    spec = feature_spec
    if events is None and spec.crisis_kinds:
        spec = FeatureSpec(**{**spec.to_dict(), "crisis_kinds": (), "spatial_lag": tuple(
            s for s in spec.spatial_lag if not s.startswith("crisis_"))})
    features = build_features(panel, project.catalogue, events, project.regions, spec, age=age,
                              cache_dir=cache_dir)
    # In a flow on Dask, the chunks are computed (and written) by the cluster's workers.
    with current_cluster().as_current():
        if store is not None:
            panel, age, features = _through_zarr({"panel": panel, "age": age,
                                                  "features": features}, Path(store))
        elif chunks or project.cube is not None:
            panel, age, features = panel.compute(), age.compute(), features.compute()
    return Prepared(as_of, origin_of(as_of, config.frequency), panel, age, features)


def _through_zarr(datasets: dict, store: Path) -> list[xr.Dataset]:
    """Write each Dataset to the Zarr store ``store / name`` chunk by chunk, all in one dask
    computation (the features are made from the panel and the ages: written one after the
    other, those were computed twice); reopen each lazily with the same attrs."""
    import dask

    # The graph carries the crisis events (each block's own) and the regions' contiguity, once
    # each: 24 MiB on the 65,000-cell grid with its 212,000 events. distributed warns on the
    # console from 10 MB that data might be embedded by mistake; here they are meant to be.
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "256MB"}):
        dask.compute(*[write_cube(ds, store / name, chunk_regions=None, compute=False)
                       for name, ds in datasets.items()])
    return [_reopened(ds, store / name) for name, ds in datasets.items()]


def _reopened(ds: xr.Dataset, path: Path) -> xr.Dataset:
    """The Zarr store at ``path``, written from ``ds``, opened lazily with ``ds``'s attrs."""
    lazy = xr.open_zarr(path, consolidated=True, decode_timedelta=False)
    # The store lists variables alphabetically and may change the time unit: restore both, so
    # the feature columns (and the models fitted on them) are exactly the in-memory ones.
    lazy = lazy[list(ds.data_vars)].assign_coords(region=ds["region"].values,
                                                  time=ds["time"].values)
    lazy.attrs = dict(ds.attrs)
    for name in ds.data_vars:
        lazy[name].attrs = dict(ds[name].attrs)
    return lazy


def outcome_known_until(project: Project, as_of) -> pd.Timestamp:
    """Last time step whose outcome is known on ``as_of`` (its end plus the outcome lag)."""
    config = project.config
    step = 12 if config.frequency == "annual" else 1
    known = pd.Timestamp(as_of) - pd.Timedelta(days=config.outcome_lag_days)
    m = int(month_ordinal([known])[0])
    # A step counts once it has ended by `known`.
    last_complete = m - m % step - (0 if _is_step_end(known, step) else step)
    return ordinal_to_timestamp([last_complete])[0]


def known_at_origin(project: Project, prepared: Prepared) -> pd.Timestamp:
    """Last time step whose outcome a model at ``prepared``'s origin may learn from: known by
    its as-of date (:func:`outcome_known_until`) and not after the origin."""
    return min(outcome_known_until(project, prepared.as_of), prepared.origin)


def _is_step_end(day, step):
    nxt = day + pd.Timedelta(days=1)
    return nxt.day == 1 and (step == 1 or nxt.month == 1)


def compute_index_at_origin(project: Project, prepared: Prepared, index_choice: IndexChoice,
                            say=None):
    """The composite index for every region at the origin, with frozen bounds and reliability.

    Bounds are fitted on the whole as-of panel (every region and month up to the origin), so
    one region's value never moves another's score at this origin. When the config names no
    index spec and the default does not fit the catalogue, the index is the catalogue's
    (:func:`forewarn.index.catalogue_spec`) and ``say`` is given one line saying so.
    """
    from forewarn.index import compute_index, fit_bounds

    spec, note = index_choice.resolve(project.catalogue)
    if spec is None:
        raise InputError(Problem("index", f"{note} A run needs an index: give at least one "
                                 "indicator direction 1 or -1 in the catalogue, or name an "
                                 "[index] spec."))
    if note and say is not None:
        say(f"      note: {note}")
    needed = list(spec.indicators)
    data = prepared.panel[needed]
    bounds = fit_bounds(data, spec)
    at_origin = data.sel(time=prepared.origin)
    age = prepared.age[needed].sel(time=prepared.origin)
    result = compute_index(at_origin, spec, bounds, age=age)
    return spec, bounds, result


def feature_table(features: xr.Dataset, catalogue) -> pd.DataFrame:
    """One row per feature: label, phrase, indicator, units, direction, lever (for reports)."""
    rows = {}
    for name, var in features.data_vars.items():
        a = var.attrs
        ind = a.get("indicator")
        label = catalogue[ind].label if ind in catalogue else a.get("long_name", name)
        rows[name] = {
            "label": a.get("long_name", label), "phrase": a.get("phrase", ""),
            "indicator": ind, "units": a.get("units", ""),
            "direction": int(a.get("direction", 0)), "lever": bool(a.get("lever", 0)),
            "transform": a.get("transform", ""), "kind": a.get("kind", "value"),
            "role": catalogue[ind].role if ind in catalogue else "risk",
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def feature_roles(features: xr.Dataset, catalogue) -> dict:
    """Role of every feature in a detection-aware model: its indicator's catalogue ``role``
    (features of crisis events, which have no catalogue entry, drive risk)."""
    return {name: catalogue[ind].role if (ind := var.attrs.get("indicator")) in catalogue
            else "risk" for name, var in features.data_vars.items()}


def train(project: Project, prepared: Prepared, horizon: int, model_spec: ModelSpec,
          seed: int, fit: bool = True) -> Trained:
    """Fit the configured model on every row whose target was fully observed at the origin.

    With ``fit=False`` only the design (training rows, origin rows) is built and ``model`` is
    None: the caller brings a model fitted on the same design (from the cache).
    """
    if project.outcome is None:
        raise InputError(Problem("config", "no [inputs] outcome: a model needs an outcome to "
                                 "learn from. The index is computed without one."))
    known = known_at_origin(project, prepared)
    steps = horizon_steps(horizon, project.config.frequency)
    target = make_target(project.outcome, prepared.features["time"].values, steps,
                         model_spec.target_rule, regions=prepared.features["region"].values,
                         known_until=known, missing=project.config.outcome_missing,
                         **model_spec.target_kwargs(project.config.frequency))
    design = design_matrix(prepared.features, target, prepared.origin, steps, known,
                           every=model_spec.train_every)
    n_unknown = design.y_train.attrs.get("n_unknown", 0)
    X_train, y = design.X_train, design.y_train.astype(int)
    if y.nunique() < 2:
        what = ("no rows" if len(y) == 0 else
                f"only {'events' if y.iloc[0] else 'non-events'} ({len(y)} rows)")
        raise InputError(Problem("outcome", f"the training rows for a {horizon}-month horizon "
                                 f"hold {what} up to {known:%Y-%m}; a model needs both events "
                                 "and non-events. Use more history or another target rule."))
    model = None
    if fit:
        directions = {name: int(prepared.features[name].attrs.get("direction", 0))
                      for name in X_train.columns}
        from forewarn.models import fit_quietly

        model = fit_quietly(model_spec.estimator(
            directions, seed, horizon, step_months=12 if project.config.frequency == "annual"
            else 1, roles={name: role for name, role in feature_roles(
                prepared.features, project.catalogue).items() if name in X_train.columns}),
            X_train, y)
    return Trained.fitted(horizon, model, X_train, y, design.X_origin, known, n_unknown)


def train_horizons(project: Project, prepared: Prepared, horizons, model_spec: ModelSpec,
                   cluster: Cluster | None = None) -> dict[int, Trained]:
    """:func:`train` for every horizon, each horizon one unit of work on ``cluster``.

    When the cluster has more workers than there are horizons, each fit spreads its own units
    (folds, final fit, bootstrap refits; :mod:`forewarn.models._units`) over the workers too.
    Every unit's seed is fixed before it runs, so the models are those of a plain run. A unit
    on a worker hands back its model without the training rows (:meth:`Trained.without_rows`);
    they are rebuilt from ``prepared`` if asked for.
    """
    cluster = cluster or Cluster()
    horizons = list(horizons)
    on_workers = cluster.client is not None
    fitted = cluster.map(_train_unit, horizons, label=lambda h: f"train {h}-month model",
                         pooled=movable(prepared), project=project, prepared=prepared,
                         model_spec=model_spec,
                         fan_out=on_workers and cluster.workers > len(horizons),
                         keep_rows=not on_workers)
    trained = dict(zip(horizons, fitted))
    rows_from(trained, project, prepared, model_spec)
    return trained


#: Prepared data up to this size travel to a pool process with each horizon's unit when a
#: run has no Dask cluster (see :meth:`Cluster.map`); larger ones (a grid's) are trained in
#: the flow's process, never copied. [bytes]
POOLED_BYTES = 256 * 2**20


def movable(prepared: Prepared) -> bool:
    """Whether ``prepared`` is small enough to copy between processes (:data:`POOLED_BYTES`)."""
    return sum(ds.nbytes for ds in (prepared.panel, prepared.age, prepared.features)) \
        <= POOLED_BYTES


def rows_from(trained: dict, project: Project, prepared: Prepared | None, model_spec) -> None:
    """Let every model in ``trained`` that holds no training rows rebuild them from
    ``prepared`` when asked (None: they can no longer be rebuilt)."""
    for h, t in trained.items():
        if t.rows is None:
            t.with_rebuild(None if prepared is None else
                           partial(_training_rows, project, prepared, h, model_spec))


def _training_rows(project, prepared, horizon, model_spec):
    """A horizon's training rows again, exactly those it was fitted on (no fit)."""
    trained = train(project, prepared, horizon, model_spec, project.config.seed, fit=False)
    return trained.rows


def _train_unit(horizon, project, prepared, model_spec, fan_out=False,
                keep_rows=True) -> Trained:
    """One horizon's model; with ``fan_out`` (on a Dask worker) its fit's units go to the
    cluster through the worker's client, which leaves the worker's thread to them meanwhile.
    Without ``keep_rows`` the training rows stay here: only the model, its card and the
    features' ranges go back."""
    if not fan_out:
        trained = train(project, prepared, horizon, model_spec, project.config.seed)
    else:
        from distributed import worker_client

        with worker_client() as client:
            cluster = Cluster(client)
            with fit_units_on(cluster):
                trained = train(project, prepared, horizon, model_spec, project.config.seed)
        trained.ran_on = cluster.ran_on
    return trained if keep_rows else trained.without_rows()


def horizon_steps(horizon_months: int, frequency: str) -> int:
    """A horizon in time steps of the panel (months, or years for an annual project)."""
    step = 12 if frequency == "annual" else 1
    return max(1, horizon_months // step)


def risk_class(probability, breaks) -> np.ndarray:
    """Class of each probability: "low", "medium", "high" or "very high" (NaN stays None)."""
    from forewarn.models import class_names

    return class_names(probability, breaks)


@dataclass
class Forecast:
    """Scores, explanations and drivers of one horizon at one origin."""

    horizon: int
    scores: pd.DataFrame
    explanations: pd.DataFrame
    base_value: float
    drivers: pd.DataFrame
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The detection part of a detection-aware model (empty / None for the other families).
    detection_explanations: pd.DataFrame = field(default_factory=pd.DataFrame)
    detection_base_value: float | None = None


def _is_two_part(model) -> bool:
    from forewarn.models import DetectionAwareLogit

    return isinstance(model, DetectionAwareLogit)


def published_probability(model, X) -> np.ndarray:
    """The probability a run publishes: the model's event probability, or for a
    detection-aware model its risk part (the chance of a surge, detected or not). [-]"""
    if _is_two_part(model):
        return model.predict_part(X, "risk")
    return model.predict_proba(X)[:, 1]


def _long_explanations(contributions, X, horizon) -> pd.DataFrame:
    long = contributions.reset_index(level="time", drop=True)
    explanations = (long.rename_axis("region_id").reset_index()
                    .melt(id_vars="region_id", var_name="feature", value_name="contribution"))
    values = (X.reset_index(level="time", drop=True).rename_axis("region_id").reset_index()
              .melt(id_vars="region_id", var_name="feature", value_name="value"))
    explanations = explanations.merge(values, on=["region_id", "feature"], how="left")
    explanations.insert(1, "horizon", horizon)
    return explanations[["region_id", "horizon", "feature", "value", "contribution"]]


def forecast_scores(project: Project, prepared: Prepared, trained: Trained, index: pd.DataFrame,
                    model_spec: ModelSpec, feature_meta: pd.DataFrame,
                    history_months: int = 60, cluster: Cluster | None = None) -> Forecast:
    """Score every region at the origin: probability, interval, class, drivers, explanations.

    ``index`` holds ``index_score, reliability, low_reliability`` by region (from the index).
    For a detection-aware model ``probability``, its interval, ``margin``, the drivers and the
    explanations are those of the risk part (the chance of a surge, what planners prepare for);
    ``detection_probability`` (the chance a surge there is detected, with its interval) and
    ``observed_probability`` (their product, the chance of a detected surge: what the outcome
    records) are added, and the detection part is explained in ``detection_explanations``.

    With a ``cluster``, the regions are scored and explained in chunks, one unit of work each
    (two per worker); every region's numbers are computed alone, so the tables are the same.
    """
    cluster = cluster or Cluster()
    model, X = trained.model, trained.X_origin
    n_chunks = min(len(X), 2 * cluster.workers) if cluster.client is not None else 1
    edges = np.linspace(0, len(X), max(1, n_chunks) + 1).astype(int)
    chunks = cluster.map(_score_chunk, [X.iloc[a:b] for a, b in zip(edges[:-1], edges[1:])],
                         label=lambda x: f"score {trained.horizon}-month, regions "
                                         f"{_region(x, 0)} to {_region(x, -1)}",
                         model=model, prepared=prepared, meta=feature_meta.to_dict("index"),
                         n_drivers=model_spec.drivers, history_months=history_months)
    part = {key: [c[key] for c in chunks] for key in chunks[0]}
    margin, lower, upper = (np.concatenate(part[k]) for k in ("margin", "lower", "upper"))
    contributions = pd.concat(part["contributions"])
    probability = expit(margin)
    regions = X.index.get_level_values("region")
    drivers = pd.concat(part["drivers"], ignore_index=True).assign(horizon=trained.horizon)
    joined = {side: drivers[drivers["direction"] == side].groupby("region_id")["text"]
              .agg("; ".join) for side in ("up", "down")}
    info = project.regions.reindex(regions)
    idx = index.reindex(regions)
    scores = pd.DataFrame({
        "region_id": np.asarray(regions, dtype=object),
        "name": info["name"].to_numpy(dtype=object),
        "parent_id": info["parent_id"].to_numpy(dtype=object),
        "origin": prepared.origin,
        "horizon": trained.horizon,
        "probability": probability,
        "lower": lower,
        "upper": upper,
        "risk_class": risk_class(probability, model_spec.class_breaks),
        "index_score": idx["index_score"].to_numpy(dtype=float),
        "reliability": idx["reliability"].to_numpy(dtype=float),
        "low_reliability": idx["low_reliability"].to_numpy(dtype=bool),
        "margin": margin,
        "change": np.nan,
        "drivers_up": joined["up"].reindex(regions).fillna("").to_numpy(dtype=object),
        "drivers_down": joined["down"].reindex(regions).fillna("").to_numpy(dtype=object),
    })
    explanations = _long_explanations(contributions, X, trained.horizon)
    history = pd.concat(part["history"], ignore_index=True).assign(horizon=trained.horizon)
    history = history[["region_id", "horizon", "time", "probability"]]
    forecast = Forecast(trained.horizon, scores, explanations, part["base"][0], drivers, history)
    if _is_two_part(model):
        for key in ("detection_probability", "detection_lower", "detection_upper",
                    "observed_probability"):
            scores[key] = np.concatenate(part[key])
        forecast.detection_explanations = _long_explanations(
            pd.concat(part["detection"]), X, trained.horizon)
        forecast.detection_base_value = part["detection_base"][0]
    return forecast


def _region(X, i) -> str:
    return str(X.index.get_level_values("region")[i])


def _score_chunk(X, model, prepared, meta, n_drivers, history_months) -> dict:
    """The per-region numbers of one chunk of regions (rows of ``X``): margin, interval,
    contributions, drivers, the probability over recent months (and the detection part)."""
    from forewarn.models import explain, explained_margin, top_drivers

    two_part = _is_two_part(model)
    lower, upper = model.predict_interval(X, "risk") if two_part else model.predict_interval(X)
    contributions, base = explain(model, X)
    drivers = top_drivers(contributions, X, meta, n=n_drivers)
    drivers = drivers.rename(columns={"side": "direction"}).rename(columns={"region": "region_id"})
    out = {"margin": explained_margin(model, X), "lower": lower, "upper": upper,
           "contributions": contributions, "base": base,
           "drivers": drivers.drop(columns=[c for c in ("time",) if c in drivers]),
           "history": _history(prepared, model, X, history_months)}
    if two_part:
        out["detection"], out["detection_base"] = explain(model, X, "detection")
        out["detection_lower"], out["detection_upper"] = model.predict_interval(X, "detection")
        out["detection_probability"] = model.predict_part(X, "detection")
        out["observed_probability"] = model.predict_part(X, "observed")
    return out


def _history(prepared, model, X, months) -> pd.DataFrame:
    """The model's probabilities at past months of the regions of ``X`` (for the risk-over-time
    chart on region cards); ``horizon`` is added by the caller."""
    times = pd.DatetimeIndex(prepared.features["time"].values)
    recent = times[times <= prepared.origin][-months:]
    regions = X.index.get_level_values("region")
    features = prepared.features[list(X.columns)]
    if len(regions) < features.sizes["region"]:
        features = features.sel(region=np.asarray(regions))
    table = (features.sel(time=recent).reset_coords(drop=True)
             .to_dataframe(["region", "time"]))[list(X.columns)]
    p = published_probability(model, table)
    return pd.DataFrame({"region_id": table.index.get_level_values("region"),
                         "time": table.index.get_level_values("time"), "probability": p})


def index_only_scores(project: Project, prepared: Prepared, index: pd.DataFrame,
                      horizon: int) -> pd.DataFrame:
    """Scores when no model can be trained (no outcome): the index and its classes only."""
    regions = project.regions.index
    idx = index.reindex(regions)
    score = idx["index_score"].to_numpy(dtype=float)
    classes = risk_class(score, INDEX_CLASS_BREAKS)
    nan = np.full(len(regions), np.nan)
    return pd.DataFrame({
        "region_id": np.asarray(regions, dtype=object),
        "name": project.regions["name"].to_numpy(dtype=object),
        "parent_id": project.regions["parent_id"].to_numpy(dtype=object),
        "origin": prepared.origin, "horizon": horizon,
        "probability": nan, "lower": nan, "upper": nan, "risk_class": classes,
        "index_score": score, "reliability": idx["reliability"].to_numpy(dtype=float),
        "low_reliability": idx["low_reliability"].to_numpy(dtype=bool), "margin": nan,
        "change": nan, "drivers_up": "", "drivers_down": "",
    })


def model_dir(run_dir: Path, horizon: int) -> Path:
    """Where a run keeps the model of one horizon."""
    return Path(run_dir) / "models" / f"h{horizon:02d}"
