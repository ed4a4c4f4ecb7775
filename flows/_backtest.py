"""`forewarn backtest`: rolling origins, each rebuilt as of its date, against honest baselines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.features import make_target, month_ordinal, ordinal_to_timestamp
from forewarn.flows._backtest_text import format_summary, summary_line
from forewarn.flows._config import Config
from forewarn.flows._parallel import OriginRunner
from forewarn.flows._pipeline import (
    horizon_steps,
    prepare,
    train,
)
from forewarn.flows._project import Project, demo_world, input_hashes
from forewarn.flows._publish import RunFolder, new_run_id
from forewarn.flows._run import Progress, package_versions
# BacktestSpec is defined with the other specs; imported from here too.
from forewarn.flows._specs import BacktestSpec, ModelSpec

__all__ = ["BacktestSpec", "BacktestRun", "BacktestInputs", "backtest_inputs", "backtest_horizon",
           "combine", "publish_backtest", "format_summary"]


@dataclass
class BacktestRun:
    """A finished backtest: its tables and where they were written.

    :func:`forewarn.backtest` returns it; ``forewarn backtest`` writes it to
    ``OUT/backtests/<id>/`` (``OUT/latest-backtest`` points at the newest).

    Attributes
    ----------
    overall : pandas.DataFrame
        One row per horizon and model or baseline, all origins pooled: ROC-AUC,
        average precision, Brier, log loss, calibration slope and intercept, interval
        coverage, events and the events among each period's top k regions (count and
        share); on the demo world also the ranking of *true* surges (``roc_auc_true``...).
    per_origin : pandas.DataFrame
        The same measures per origin (long: ``model, metric, value, origin, horizon``).
    predictions : pandas.DataFrame
        Every forecast scored: ``model, region, time, origin, probability, y`` (the detected
        outcome, 0/1), the risk part of a detection-aware model and, on the demo world,
        ``true_probability``. [-]
    coverage : pandas.DataFrame
        Interval coverage of the models' forecasts per origin. [-]
    recovery : dict
        Demo world only, per horizon [months]: how closely the model's drivers follow the
        generator's (:func:`forewarn.models.driver_recovery`) and its state-capacity effect
        (:func:`forewarn.models.capacity_recovery`).
    path : pathlib.Path or None
        The published folder (None until published).
    left_out : pandas.DataFrame or None
        Per horizon and origin: region-periods left out of training (``train_unknown``)
        and of scoring (``test_unknown``, of ``test_rows`` scored) because their outcome is
        unknown.
    notes : tuple of str
        Lines said once when the backtest started (what was skipped or derived, and why).
    calibration_true : pandas.DataFrame or None
        Demo world only: calibration curves against the world's truth per horizon, model and
        ``part`` — ``"risk"`` (the chance of a surge against the true chance) and, for a
        detection-aware model, ``"detection"`` (the chance a surge is recorded against the
        world's) — :func:`forewarn.models.score_against_truth`. None on real data.

    Detected trafficking measures detection as much as trafficking: every measure here
    scores forecasts of *recorded* surges, the demo world's ``*_true`` measures aside.
    """

    overall: pd.DataFrame
    per_origin: pd.DataFrame
    predictions: pd.DataFrame
    coverage: pd.DataFrame
    recovery: dict
    path: Path | None = None
    left_out: pd.DataFrame | None = None
    notes: tuple = ()
    calibration_true: pd.DataFrame | None = None


def _end_of_month(stamp: pd.Timestamp) -> pd.Timestamp:
    return stamp + pd.offsets.MonthEnd(0)


def _windows(config: Config, spec: BacktestSpec, horizon: int, project: Project):
    from forewarn.models import BacktestWindows

    obs_start, obs_end = project.month_range()
    last = spec.last_origin or ordinal_to_timestamp([obs_end - horizon])[0].strftime("%Y-%m")
    first = spec.first_origin or (pd.Timestamp(last) - pd.DateOffset(years=6)).strftime("%Y-%m")
    start = config.start or ordinal_to_timestamp(
        [obs_start])[0].strftime("%Y-%m")
    return BacktestWindows(pd.Timestamp(start), pd.Timestamp(first), pd.Timestamp(last),
                           step_months=spec.step_months, horizon_months=horizon,
                           min_train_months=spec.min_train_months,
                           allow_overlap=spec.allow_overlap)


def _directions(project, feature_spec, origin) -> dict:
    """Risk direction of every feature (monotone constraints), from the features' attrs."""
    features = prepare(project, _end_of_month(origin), feature_spec).features
    return {name: int(var.attrs.get("direction", 0)) for name, var in features.data_vars.items()}


def _roles(project, feature_spec, origin) -> dict:
    """Role of every feature in a detection-aware model, from the catalogue."""
    from forewarn.flows._pipeline import feature_roles

    features = prepare(project, _end_of_month(origin), feature_spec).features
    return feature_roles(features, project.catalogue)


def _world_series(project, horizon, which: str):
    """One of the demo generator's true probabilities for each region and month, or None for
    real data (whose truth nobody knows): ``"oracle"``, of a *recorded* surge in the window
    after each month; ``"true"``, of a surge, recorded or not."""
    if not project.config.embedded:
        return None
    world = demo_world(project.config.seed)
    p = (world.oracle_probability(horizon) if which == "oracle"
         else world.true_surge_probability(horizon))
    index = pd.MultiIndex.from_product([world.regions.index, world.times],
                                       names=["region", "time"])
    return pd.Series(p.ravel(), index=index)


def _true_metrics(predictions: pd.DataFrame, true_p: pd.Series, oracle: pd.Series):
    """Predictions with ``true_probability`` and ``oracle_probability``; each forecaster scored
    against true surges, and the calibration curves of each part
    (:func:`forewarn.models.score_against_truth`)."""
    from forewarn.models import score_against_truth

    keys = pd.MultiIndex.from_arrays([predictions["region"], predictions["time"]])
    predictions = predictions.assign(true_probability=true_p.reindex(keys).to_numpy(),
                                     oracle_probability=oracle.reindex(keys).to_numpy())
    metrics, curves = score_against_truth(predictions)
    return predictions, metrics, curves


def _realised(project: Project, times, regions, horizon, model_spec) -> pd.Series:
    """What actually happened after each origin, from the final outcome (never seen in training)."""
    target = make_target(project.outcome, times,
                         horizon_steps(horizon, project.config.frequency), model_spec.target_rule,
                         regions=regions, missing=project.config.outcome_missing,
                         **model_spec.target_kwargs(project.config.frequency))
    return target.to_series()


def _make_data(project, feature_spec, model_spec, index_spec, horizon, oracle):
    """``make_data(origin)``: everything as known at the end of the origin month, plus the truth
    of the test window for scoring. ``left_out`` (a list) receives, per origin, the
    region-periods left out of training and of scoring because their outcome is unknown."""

    def make(origin):
        as_of = _end_of_month(pd.Timestamp(origin))
        prepared = prepare(project, as_of, feature_spec)
        trained = train(project, prepared, horizon, model_spec, project.config.seed, fit=False)
        times = prepared.features["time"].values
        regions = prepared.features["region"].values
        truth = _realised(project, times, regions, horizon, model_spec)
        X_test = trained.X_origin
        y_test = truth.reindex(X_test.index)
        keep = y_test.notna().to_numpy()
        X_test, y_test = X_test[keep], y_test[keep].astype(int)
        extra = _extra(project, prepared, trained, index_spec, horizon, model_spec, oracle)
        # Carried to the main process with the origin's predictions (see _describe).
        extra.attrs["left_out"] = {"origin": pd.Timestamp(origin), "horizon": horizon,
                                   "train_unknown": trained.n_unknown,
                                   "test_unknown": int((~keep).sum()),
                                   "test_rows": int(keep.sum())}
        return trained.X_train, trained.y_train, X_test, y_test, extra

    return make


def _extra(project, prepared, trained, index_spec, horizon, model_spec, oracle):
    """Side columns for the baselines: last observed outcome, index score (without an index
    spec, NaN: that baseline is then not run), oracle."""
    known = trained.known_until
    times = pd.DatetimeIndex(prepared.features["time"].values)
    past = make_target(project.outcome, times, horizon_steps(horizon, project.config.frequency),
                       model_spec.target_rule,
                       regions=prepared.features["region"].values, known_until=known,
                       missing=project.config.outcome_missing,
                       **model_spec.target_kwargs(project.config.frequency))
    # The last outcome window known at time t ends at min(t, known): its target sits one
    # horizon earlier (in months, which is right for monthly and annual steps alike).
    rows = trained.X_train.index.append(trained.X_origin.index)
    t = month_ordinal(rows.get_level_values("time"))
    last_end = np.minimum(t, int(month_ordinal([known])[0])) - horizon
    lookup = past.to_series()
    lookup.index = lookup.index.set_names(["region", "time"])
    keys = pd.MultiIndex.from_arrays([rows.get_level_values("region"),
                                      ordinal_to_timestamp(last_end)])
    extra = pd.DataFrame({"last_outcome": lookup.reindex(keys).to_numpy(),
                          "index_score": _index_scores(prepared, index_spec, rows)}, index=rows)
    if oracle is not None:
        extra["oracle"] = oracle.reindex(rows).to_numpy()
    return extra[~extra.index.duplicated()]


def _index_scores(prepared, index_spec, rows) -> np.ndarray:
    """The composite index of every row (bounds fitted on the as-of panel); NaN without a spec."""
    from forewarn.index import compute_index, fit_bounds

    if index_spec is None:
        return np.full(len(rows), np.nan)
    data = prepared.panel[list(index_spec.indicators)]
    index = compute_index(data, index_spec, fit_bounds(data, index_spec))["index_score"]
    index = index.to_series()
    index.index = index.index.set_names(["region", "time"])
    return index.reindex(rows).to_numpy()


@dataclass(frozen=True)
class BacktestInputs:
    """A backtest's validated inputs and specs (read from the config once, at validation)."""

    project: Project
    feature_spec: object
    model_spec: ModelSpec
    index_spec: object
    spec: BacktestSpec
    notes: tuple = ()


def backtest_inputs(config: Config, progress: Progress) -> BacktestInputs:
    """Stage 1 of a backtest: read and check every input, the [backtest] section included."""
    from forewarn.flows._checks import check_inputs

    with progress.stage("load and validate inputs") as st:
        specs, project = check_inputs(config, backtest=True)
        feature_spec, model_spec, index_choice, spec = (specs.features, specs.model, specs.index,
                                                        specs.backtest)
        if project.outcome is None:
            raise InputError(Problem(str(config.path or "config"), "a backtest needs an "
                                     "outcome; name one in [inputs] outcome."))
        index_spec, note = index_choice.resolve(project.catalogue, fallback=True)
        notes = [*project.notes()]
        if note:
            notes.append(f"note: {note}" + ("" if index_spec else " The 'index alone' "
                                            "baseline is left out."))
        for line in notes:
            progress.say(f"      {line}")
        st.detail = f"{len(project.regions)} regions"
    return BacktestInputs(project, feature_spec, model_spec, index_spec, spec, tuple(notes))


def backtest_horizon(inputs: BacktestInputs, h: int, progress: Progress, dask=None,
                     origin_task=None) -> dict:
    """One horizon of a backtest: every origin rebuilt as of its date, trained and scored
    against the baselines; returns this horizon's tables (see :func:`combine`).

    For each origin the panel is rebuilt as of the end of that month (vintages respected),
    models train on targets fully observed by then, and forecasts are scored on what happened
    next. Baselines: base rate, persistence (last observed outcome), the composite index alone;
    on the demo world also the generator's true probabilities (the oracle). Origins run side
    by side in worker processes (``[backtest] workers``), or on Dask with ``dask`` ("local" or
    a scheduler address), with the same tables as one after the other; ``origin_task`` (a
    Prefect task) wraps each origin.
    """
    from forewarn.models import (
        BaseRate,
        KnownProbability,
        Persistence,
        ScoreAlone,
        rolling_origin_backtest,
    )

    project, spec, model_spec = inputs.project, inputs.spec, inputs.model_spec
    config = project.config
    left_out = []
    windows = _windows(config, spec, h, project)
    runner = OriginRunner(spec.workers, dask, say=progress.say, describe=partial(
        _describe, horizon=h, left_out=left_out), task=origin_task)
    n = len(windows.origins)
    out = {"horizon": h, "left_out": left_out}
    with progress.stage(f"{h}-month horizon: {n} origins {windows.origins[0]:%Y-%m} to "
                        f"{windows.origins[-1]:%Y-%m}, {runner.where(n)}") as st:
        oracle = _world_series(project, h, "oracle")
        baselines = [BaseRate(), Persistence()] + ([ScoreAlone()] if inputs.index_spec else [])
        if oracle is not None:
            baselines.append(KnownProbability("oracle", "oracle"))
        directions = _directions(project, inputs.feature_spec, windows.origins[0])
        roles = (_roles(project, inputs.feature_spec, windows.origins[0])
                 if "detection_aware" in spec.models else None)
        factories = {kind: _factory(ModelSpec(**{**model_spec.__dict__, "kind": kind}),
                                    directions, config.seed, h,
                                    12 if config.frequency == "annual" else 1, roles)
                     for kind in spec.models}
        make = _make_data(project, inputs.feature_spec, model_spec, inputs.index_spec, h,
                          oracle)
        result = rolling_origin_backtest(windows, make, factories, baselines,
                                         k=spec.top_k, map_origins=runner)
        true_p = _world_series(project, h, "true")
        found, out["overall"] = result.predictions, [result.overall.assign(horizon=h)]
        if true_p is not None:
            found, true_metrics, curves = _true_metrics(found, true_p, oracle)
            out["overall"].insert(0, true_metrics.assign(horizon=h))
            out["calibration_true"] = curves.assign(horizon=h)
        out["per_origin"] = result.per_origin.assign(horizon=h)
        out["predictions"] = found.assign(horizon=h)
        out["coverage"] = result.coverage.assign(horizon=h)
        if oracle is not None:
            out["recovery"] = _recovery_at_last_origin(project, inputs.feature_spec, model_spec,
                                                       windows, h, spec.models)
        st.detail = summary_line(result.overall)
    return out


def combine(parts: list[dict], inputs: BacktestInputs) -> BacktestRun:
    """The horizons' tables (:func:`backtest_horizon`) as one :class:`BacktestRun`."""
    def cat(name):
        return pd.concat([p[name] for p in parts], ignore_index=True)

    return BacktestRun(_wide(pd.concat([t for p in parts for t in p["overall"]])),
                       cat("per_origin"), cat("predictions"), cat("coverage"),
                       {p["horizon"]: p["recovery"] for p in parts if "recovery" in p},
                       left_out=pd.DataFrame([r for p in parts for r in p["left_out"]],
                                             columns=_LEFT_OUT_COLUMNS),
                       notes=inputs.notes,
                       calibration_true=(pd.concat([p["calibration_true"] for p in parts],
                                                   ignore_index=True)
                                         if all("calibration_true" in p for p in parts)
                                         else None))


def publish_backtest(run: BacktestRun, inputs: BacktestInputs, out_dir,
                     progress: Progress) -> Path:
    """The last stage: write the tables to ``OUT/backtests/<id>`` and point
    ``OUT/latest-backtest`` at it; set and return ``run.path``."""
    with progress.stage("publish") as st:
        run.path = _publish(run, inputs.project.config, out_dir, inputs.feature_spec,
                            inputs.model_spec, inputs.spec)
        st.detail = str(run.path)
    return run.path


def _describe(frame: pd.DataFrame, horizon: int, left_out: list | None = None) -> str:
    """One finished origin in a few words: training rows, events in its test window and the
    region-periods left out for an unknown outcome (recorded in ``left_out``)."""
    first = frame[frame["model"] == frame["model"].iloc[0]]
    text = (f"{frame.attrs.get('train_rows', 0):,} training rows, {int(first['y'].sum())} "
            f"events in the next {horizon} months")
    slow = frame.attrs.get("not_converged", 0)
    if slow:
        text += f"; {slow} fits stopped at max_iter"
    gone = frame.attrs.get("left_out")
    if gone is not None and left_out is not None:
        left_out.append(gone)
        if gone["train_unknown"] or gone["test_unknown"]:
            text += (f"; outcome unknown, left out: {gone['train_unknown']:,} training, "
                     f"{gone['test_unknown']:,} test rows")
    return text


def _factory(spec: ModelSpec, directions: dict, seed: int, horizon: int, step_months: int,
             roles: dict | None = None):
    def make():
        return spec.estimator(directions, seed, horizon, step_months, roles=roles)
    return make


def _recovery_at_last_origin(project, feature_spec, model_spec, windows, horizon,
                             families=()):
    from forewarn.flows._pipeline import feature_table
    from forewarn.models import capacity_recovery, driver_recovery

    origin = windows.origins[-1]
    prepared = prepare(project, _end_of_month(origin), feature_spec)
    trained = train(project, prepared, horizon, model_spec, project.config.seed)
    world = demo_world(project.config.seed)
    meta = feature_table(prepared.features, project.catalogue).to_dict("index")
    out = driver_recovery(trained.model, trained.X_train, meta, world.truth.terms,
                          world.regions.index, world.times)
    models = {model_spec.kind: trained.model}
    for kind in families:
        if kind not in models:
            models[kind] = train(project, prepared, horizon,
                                 ModelSpec(**{**model_spec.__dict__, "kind": kind}),
                                 project.config.seed).model
    if "state_capacity" in trained.X_train:
        out["state_capacity"] = {kind: capacity_recovery(model, trained.X_train)
                                 for kind, model in models.items()}
    return out


def _wide(tidy: pd.DataFrame) -> pd.DataFrame:
    wide = tidy.pivot_table(index=["horizon", "model"], columns="metric", values="value",
                            sort=False).reset_index()
    wide.columns.name = None
    return wide


_LEFT_OUT_COLUMNS = ["origin", "horizon", "train_unknown", "test_unknown", "test_rows"]


def _left_out_totals(left_out: pd.DataFrame | None) -> dict:
    """Per horizon: region-periods left out of training and scoring (unknown outcome)."""
    if left_out is None or left_out.empty:
        return {}
    sums = left_out.groupby("horizon")[["train_unknown", "test_unknown", "test_rows"]].sum()
    return {str(h): {k: int(v) for k, v in row.items()} for h, row in sums.iterrows()}


def _publish(run: BacktestRun, config: Config, out_dir, feature_spec, model_spec, spec) -> Path:
    out_dir = Path(out_dir)
    as_of = run.per_origin["origin"].max()
    with RunFolder(out_dir, new_run_id(as_of), kind="backtests",
                   latest="latest-backtest") as folder:
        d = folder.path
        run.overall.to_csv(d / "metrics.csv", index=False)
        run.overall.to_parquet(d / "metrics.parquet", index=False)
        run.per_origin.to_parquet(d / "metrics_per_origin.parquet", index=False)
        run.per_origin.to_csv(d / "metrics_per_origin.csv", index=False, date_format="%Y-%m")
        run.predictions.to_parquet(d / "predictions.parquet", index=False)
        run.coverage.to_parquet(d / "coverage.parquet", index=False)
        if run.calibration_true is not None:
            run.calibration_true.to_csv(d / "calibration_true.csv", index=False)
        if run.left_out is not None:
            run.left_out.to_csv(d / "left_out.csv", index=False, date_format="%Y-%m")
        folder.manifest.update({
            "kind": "backtest", "config": config.describe(),
            "input_hashes": input_hashes(config), "versions": package_versions(),
            "features": feature_spec.to_dict(), "model": model_spec.__dict__,
            "backtest": spec.__dict__,
            "outcome_missing": config.outcome_missing,
            "outcome_unknown_left_out": _left_out_totals(run.left_out),
            "driver_recovery": {str(k): v for k, v in
                                                           run.recovery.items()},
            "as_of": str(pd.Timestamp(as_of).date()),
            "notes": list(run.notes),
        })
        (d / "summary.txt").write_text(format_summary(run) + "\n", encoding="utf-8")
        (d / "driver_recovery.json").write_text(json.dumps(
            {str(k): v for k, v in run.recovery.items()}, indent=2), encoding="utf-8")
    return folder.final
