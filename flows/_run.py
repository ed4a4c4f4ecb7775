"""`forewarn run` as plain functions: the stages in order, the run folder, the manifest."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from forewarn.datasets import DEMO_LABEL
from forewarn.errors import InputError
from forewarn.flows._checks import check_inputs
from forewarn.flows._config import Config
from forewarn.flows._interrupt import check as check_interrupted
from forewarn.flows._pipeline import (
    Forecast,
    Prepared,
    Trained,
    compute_index_at_origin,
    feature_table,
    forecast_scores,
    index_only_scores,
    model_dir,
    prepare,
)
from forewarn.flows._cluster import current_cluster, release_memory
from forewarn.flows._training import (
    PACKAGES,
    cache_key,
    forget_hashes,
    hashes_of,
    package_versions,
    train_cached,
)
from forewarn.flows._project import Project
from forewarn.flows._publish import RunFolder, latest_run, new_run_id
from forewarn.reports import spreadsheet_safe

__all__ = ["RunResult", "Progress", "STAGES", "configured", "validate_stage", "prepare_stage",
           "finish_stages", "publish_run", "add_change", "cache_key", "package_versions",
           "PACKAGES"]

class Progress:
    """Stage-by-stage progress a person can follow: name, counts, time (to standard error)."""

    def __init__(self, stages: int, stream=None, quiet: bool = False):
        self.total = stages
        self.done = 0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def stage(self, name: str):
        return _Stage(self, name)

    def say(self, text: str):
        if not self.quiet:
            print(text, file=self.stream, flush=True)


class _Stage:
    def __init__(self, progress: Progress, name: str):
        self.progress, self.name, self.detail = progress, name, ""

    def __enter__(self):
        check_interrupted()
        self.t0 = time.perf_counter()
        p = self.progress
        p.done += 1
        p.say(f"[{p.done}/{p.total}] {self.name} ...")
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            check_interrupted()
        took = time.perf_counter() - self.t0
        self.progress.timings[self.name] = round(took, 3)
        if exc_type is None:
            detail = f" {self.detail}" if self.detail else ""
            self.progress.say(f"      done in {took:.1f} s.{detail}")
        return False


@dataclass
class RunResult:
    """What a forecast run produced; :func:`forewarn.run` returns it and the CLI writes it.

    Attributes
    ----------
    project : Project
        The validated inputs (config, catalogue, regions, observations, outcome, events).
    prepared : Prepared or None
        The as-of panel, the age of its values and the features at the forecast date. On Dask
        it is handed back loaded when under 256 MiB, else None (the run folder holds what was
        published).
    scores : pandas.DataFrame
        One row per region and horizon (:data:`forewarn.reports.SCORE_COLUMNS`): probability
        and its interval [-], risk class, index score [0-10], reliability [-], margin
        [log-odds], change since the previous run [-] and the top drivers.
    explanations : pandas.DataFrame
        ``region_id, horizon, feature, value, contribution`` [log-odds]; for every region and
        horizon ``base_values[h] + sum(contribution) == margin``. Empty for an index-only run.
    drivers : pandas.DataFrame
        Each region's top drivers up and down (``region_id, horizon, feature, value,
        contribution, direction, text``), in words as the report shows them.
    history : pandas.DataFrame
        The model's probability of every region at past months (``region_id, horizon, time,
        probability``): the risk-over-time chart of the region cards. [-]
    base_values : dict
        Per horizon [months], the model's base value [log-odds].
    index : pandas.DataFrame
        The composite index at the forecast date by region: score [0-10], its nodes,
        reliability [-] and each indicator's contribution.
    index_spec : IndexSpec
        The index hierarchy used.
    bounds : Bounds
        The frozen scaling bounds of the index.
    trained : dict
        Per horizon [months], the trained model and its training and origin rows.
    feature_meta : pandas.DataFrame
        One row per feature: label, indicator, unit, direction.
    run_dir : pathlib.Path or None
        The published run folder (None until published).
    timings : dict
        Seconds per stage. [s]
    manifest : dict
        The run folder's manifest.json.
    detection_explanations : pandas.DataFrame
        A detection-aware model's detection part, explained like ``explanations``.
    detection_base_values : dict
        Per horizon, the detection part's base value [log-odds].
    specs : Specs or None
        The settings every stage used (read from the config once, at validation).
    """

    project: Project
    prepared: Prepared | None
    scores: pd.DataFrame
    explanations: pd.DataFrame
    drivers: pd.DataFrame
    history: pd.DataFrame
    base_values: dict
    index: pd.DataFrame
    index_spec: object
    bounds: object
    trained: dict
    feature_meta: pd.DataFrame
    run_dir: Path | None = None
    timings: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    detection_explanations: pd.DataFrame = field(default_factory=pd.DataFrame)
    detection_base_values: dict = field(default_factory=dict)
    #: ``(unit of work, where it ran)``: a Dask worker's address, or this process.
    ran_on: list = field(default_factory=list)
    specs: object = None

    @property
    def model_spec(self):
        """The [model] settings the run used."""
        return self.specs.model


STAGES = ("load and validate inputs", "as-of panel and features", "composite index",
          "train models", "score and explain", "publish")


def configured(config, as_of=None, out=None) -> Config:
    """The run's config: a path, a Config or None (the demo world), with ``as_of`` (a date)
    and ``out`` (the output folder) given on the command line in place of the config's."""
    import dataclasses

    from forewarn.flows._api import resolve_config

    cfg = resolve_config(config)
    changes = {}
    if as_of is not None:
        changes["as_of"] = pd.Timestamp(as_of)
    if out is not None:
        changes["output_dir"] = Path(out)
    return dataclasses.replace(cfg, **changes) if changes else cfg


def validate_stage(config: Config, progress: Progress):
    """Stage 1: read and check every input; return the project and its
    :class:`~forewarn.flows._specs.Specs`, read from the config once here and passed on to the
    later stages."""
    forget_hashes()  # a new run: its inputs are hashed afresh (once)
    with progress.stage(STAGES[0]) as st:
        specs, project = check_inputs(config)
        st.detail = f"{len(project.regions)} regions, {project.inputs_text()}"
        for line in project.notes():
            progress.say(f"      {line}")
    return project, specs


def prepare_stage(project: Project, feature_spec, progress: Progress, cache_dir=None,
                  chunks: int | None = None, store=None) -> Prepared:
    """Stage 2: the panel as of the forecast date and its features (dask-backed in ``chunks``
    of regions, through the Zarr ``store``, when given)."""
    as_of = project.config.resolved_as_of()
    with progress.stage(STAGES[1]) as st:
        prepared = prepare(project, as_of, feature_spec, cache_dir=cache_dir, chunks=chunks,
                           store=store)
        st.detail = (f"as of {as_of:%Y-%m-%d}: {prepared.panel.sizes['time']} time steps, "
                     f"{len(prepared.features.data_vars)} features")
    return prepared


def finish_stages(project, prepared, specs, progress, cache_dir) -> RunResult:
    """Index, training, scoring and explanation for a prepared origin, with the run's
    :class:`~forewarn.flows._specs.Specs` (from :func:`validate_stage`).

    Training (per horizon) and scoring (per chunk of regions) run as units of work on the
    running flow's Dask cluster when it has one (:mod:`forewarn.flows._cluster`)."""
    feature_spec, model_spec, index_choice = specs.features, specs.model, specs.index
    cluster = current_cluster()
    with progress.stage(STAGES[2]) as st:
        spec, bounds, result = compute_index_at_origin(project, prepared, index_choice,
                                                      say=progress.say)
        index = _index_table(result)
        st.detail = f"index '{spec.name}', {int(index['low_reliability'].sum())} regions " \
                    "flagged for low reliability"
    meta = feature_table(prepared.features, project.catalogue)
    release_memory()  # what the panel, features and index freed: the flow idles while training
    trained: dict[int, Trained] = {}
    forecasts: list[Forecast] = []
    horizons = project.config.horizons
    with progress.stage(STAGES[3]) as st:
        if project.outcome is None:
            st.detail = "no outcome in the config: index only, no model"
        else:
            trained = train_cached(project, prepared, horizons, model_spec, feature_spec,
                                    cache_dir, progress, cluster)
            st.detail = f"{model_spec.kind} model for horizons {list(horizons)} months"
    with progress.stage(STAGES[4]) as st:
        if trained:
            forecasts = [forecast_scores(project, prepared, trained[h], index, model_spec, meta,
                                         cluster=cluster) for h in horizons]
            scores = pd.concat([f.scores for f in forecasts], ignore_index=True)
            explanations = pd.concat([f.explanations for f in forecasts], ignore_index=True)
            drivers = pd.concat([f.drivers for f in forecasts], ignore_index=True)
            history = pd.concat([f.history for f in forecasts], ignore_index=True)
            base_values = {f.horizon: f.base_value for f in forecasts}
        else:
            scores = pd.concat([index_only_scores(project, prepared, index, h) for h in horizons],
                               ignore_index=True)
            explanations = drivers = history = pd.DataFrame()
            base_values = {}
        st.detail = f"{len(scores)} scores"
    release_memory()
    detection = [f.detection_explanations for f in forecasts if len(f.detection_explanations)]
    return RunResult(project, prepared, scores, explanations, drivers, history, base_values,
                     index, spec, bounds, trained, meta, timings=dict(progress.timings),
                     detection_explanations=(pd.concat(detection, ignore_index=True)
                                             if detection else pd.DataFrame()),
                     detection_base_values={f.horizon: f.detection_base_value for f in forecasts
                                            if f.detection_base_value is not None},
                     ran_on=cluster.ran_on + [u for t in trained.values() for u in t.ran_on],
                     specs=specs)


def _index_table(result) -> pd.DataFrame:
    """Index results at the origin as a table by region: score, nodes, reliability, contributions."""
    # Computed once: on a dask-backed panel each variable read below would compute the whole
    # index again (a medium grid's index stage took 11.7 s that way).
    ds = result.compute()
    scalar = [v for v in ds.data_vars if ds[v].dims == ("region",)]
    table = ds[scalar].to_dataframe()
    contrib = ds["contribution"].to_pandas().add_prefix("contribution_")
    out = table.join(contrib)
    out.index = out.index.astype(str)
    out.index.name = "region_id"
    return out.drop(columns=[c for c in ("time",) if c in out])


def _previous(out_dir: Path):
    """Scores of the newest complete run in ``out_dir`` (for the change since last run)."""
    prev = latest_run(out_dir)
    if prev is None or not (prev / "scores.parquet").is_file():
        return None, None
    return prev, pd.read_parquet(prev / "scores.parquet")


def add_change(result: RunResult, out_dir: Path, progress: Progress):
    """Fill ``change`` (probability now minus the previous run's) and its exact decomposition."""
    from forewarn.models import explain_change, load_model

    prev_dir, prev = _previous(out_dir)
    if prev is None:
        return None, None
    scores = result.scores
    merged = scores[["region_id", "horizon"]].merge(
        prev[["region_id", "horizon", "probability"]], on=["region_id", "horizon"], how="left")
    scores["change"] = scores["probability"].to_numpy() - merged["probability"].to_numpy()
    parts = []
    for h, trained in result.trained.items():
        folder = model_dir(prev_dir, h)
        x_path = prev_dir / f"inputs_h{h:02d}.parquet"
        if not (folder / "model.skops").is_file() or not x_path.is_file():
            continue
        try:
            # The same model file as this run's (the model came from the same cache entry):
            # no need to load it again.
            old_model = trained.model if _same_file(folder, trained.saved) \
                else load_model(folder)[0]
            old_X = pd.read_parquet(x_path)
            change = explain_change(old_model, old_X, trained.model, trained.X_origin)
        except InputError as exc:
            progress.say(f"      change since the previous run not decomposed for {h} months: "
                         f"{exc}")
            continue
        parts.append(_change_table(change, h))
    prev_as_of = pd.Timestamp(json.loads((prev_dir / "manifest.json").read_text())["as_of"])
    return (pd.concat(parts, ignore_index=True) if parts else None), prev_as_of


def _same_file(folder: Path, saved: Path | None) -> bool:
    """Whether the model file in ``folder`` is byte for byte the one in ``saved`` (the folder
    this run's model was saved in or loaded from; None: none)."""
    import filecmp

    if saved is None or not (saved / "model.skops").is_file():
        return False
    return filecmp.cmp(folder / "model.skops", saved / "model.skops", shallow=False)


def _change_table(change, horizon) -> pd.DataFrame:
    feats = change.inputs.copy()
    feats.index = feats.index.astype(str)
    long = (feats.rename_axis("region_id").reset_index()
            .melt(id_vars="region_id", var_name="feature", value_name="contribution"))
    long["part"] = "feature"
    model = pd.DataFrame({"region_id": change.model.index.astype(str), "feature": None,
                          "contribution": change.model.to_numpy(), "part": "model"})
    out = pd.concat([long, model], ignore_index=True)
    out.insert(1, "horizon", horizon)
    return out[["region_id", "horizon", "part", "feature", "contribution"]]


def publish_run(result: RunResult, out_dir, progress: Progress | None = None,
                write_reports=True) -> Path:
    """Write the run folder atomically and point ``OUT/latest`` at it; return its path."""
    from forewarn.models import save_model

    progress = progress or Progress(len(STAGES), quiet=True)
    out_dir = Path(out_dir)
    config = result.project.config
    with progress.stage(STAGES[5]) as st:
        change, prev_as_of = add_change(result, out_dir, progress)
        run_id = new_run_id(result.prepared.as_of)
        with RunFolder(out_dir, run_id) as run:
            d = run.path
            scores = result.scores
            scores.to_parquet(d / "scores.parquet", index=False)
            spreadsheet_safe(scores).to_csv(d / "scores.csv", index=False,
                                            date_format="%Y-%m-%d")
            if len(result.explanations):
                result.explanations.to_parquet(d / "explanations.parquet", index=False)
                result.drivers.to_parquet(d / "drivers.parquet", index=False)
                result.history.to_parquet(d / "history.parquet", index=False)
            if len(result.detection_explanations):
                result.detection_explanations.to_parquet(d / "explanations_detection.parquet",
                                                         index=False)
            if change is not None:
                change.to_parquet(d / "change.parquet", index=False)
            result.index.reset_index().to_parquet(d / "index.parquet", index=False)
            result.bounds.save(d / "index_bounds.json")
            for h, trained in result.trained.items():
                save_model(trained.model, model_dir(d, h), trained.model_card(),
                           saved_in=trained.saved)
                trained.X_origin.to_parquet(d / f"inputs_h{h:02d}.parquet")
            if write_reports:
                from forewarn.flows._report import write_run_reports

                # Each map one unit of work: on the flow's Dask workers when it has them.
                cluster = current_cluster()
                write_run_reports(result, d, change, prev_as_of, progress,
                                  mapper=partial(cluster.map, label=str, pooled=True))
                result.ran_on = result.ran_on + cluster.ran_on
            run.manifest.update({
                "as_of": str(result.prepared.as_of.date()),
                "origin": str(result.prepared.origin.date()),
                "horizons": list(config.horizons),
                "seed": config.seed,
                "demo": config.demo,
                "label": DEMO_LABEL if config.demo else None,
                "config": config.describe(),
                "input_hashes": hashes_of(config),
                "versions": package_versions(),
                "base_values": {str(h): v for h, v in result.base_values.items()},
                "detection_base_values": {str(h): v for h, v in
                                          result.detection_base_values.items()},
                "regions": int(len(result.project.regions)),
                "features": list(result.feature_meta.index),
                "previous_run_as_of": str(prev_as_of.date()) if prev_as_of is not None else None,
                "timings": {**result.timings},
            })
        st.detail = f"run {run_id}"
    run.manifest["timings"][STAGES[5]] = progress.timings.get(STAGES[5])
    _rewrite_manifest(run.final, run.manifest)
    result.run_dir = run.final
    result.manifest = run.manifest
    return run.final


def _rewrite_manifest(run_dir: Path, manifest: dict):
    """Add the publish stage's own timing (known only once the folder is in place)."""
    path = run_dir / "manifest.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str), encoding="utf-8")
    tmp.replace(path)
