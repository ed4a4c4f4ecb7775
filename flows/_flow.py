"""The Prefect flows, one per job: each task is one call into a tested plain stage function.

forecast: validate ─► panel as of the origin and features ─► index, models, scores and
explanations ─► publish (the stages of :mod:`forewarn.flows._run`). backtest: validate ─►
every origin of every horizon, each a task (in worker processes or on Dask) ─► publish (the
stages of :mod:`forewarn.flows._backtest`). Retries only where there is I/O (reading inputs).

Importing this module imports Prefect, which reads its settings then: the entry points
(:func:`forewarn.run`, :func:`forewarn.backtest`, ``forewarn serve``) call
:func:`~forewarn.flows._prefect.configure_prefect` first; nothing is configured here.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from forewarn.flows import _backtest, _run
from forewarn.flows._cluster import current_cluster, frozen_heap, warm_pool
from forewarn.flows._pipeline import movable, rows_from

__all__ = ["forecast_flow", "backtest_flow", "origin_task"]

# Stage outputs are large in-memory objects; content caching is done where it pays (trained
# models, keyed on input hashes; see forewarn.flows._run), so Prefect's input hashing is off.
_task = dict(cache_policy=NO_CACHE, persist_result=False)


def _io_error(task, task_run, state) -> bool:
    """Retry only what may pass on a second try: reading files (I/O), never bad input."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - anything else is not an I/O error
        return False
    return False


def _stage(name: str, **options):
    """A task named ``name``, its runs too (the name a person sees in Prefect's UI)."""
    return task(name=name, task_run_name=name, **options)


_reading = dict(retries=2, retry_delay_seconds=2, retry_condition_fn=_io_error, **_task)


@_stage("load and validate inputs", **_reading)
def validate_task(cfg, progress):
    return _run.validate_stage(cfg, progress)


@_stage("panel as of the origin and features", **_task)
def prepare_task(project, feature_spec, progress, cache_dir, chunks, store):
    return _run.prepare_stage(project, feature_spec, progress, cache_dir, chunks, store)


@_stage("index, models, scores and explanations", **_task)
def model_task(project, prepared, specs, progress, cache_dir):
    return _run.finish_stages(project, prepared, specs, progress, cache_dir)


@_stage("publish", **_task)
def publish_task(result, out_dir, progress):
    return _run.publish_run(result, out_dir, progress)


def _detached(prepared):
    """The prepared data, loaded, when small enough to hand back; else None (a grid's is
    gigabytes: the run folder holds what was published)."""
    if not movable(prepared):
        return None
    return dataclasses.replace(prepared, panel=prepared.panel.load(),
                               age=prepared.age.load(), features=prepared.features.load())


def _chunks(project) -> int:
    """Regions per dask chunk: a few chunks per worker, never tiny."""
    return max(64, len(project.regions) // 16)


@flow(name="forewarn-forecast", log_prints=False, persist_result=False)
def forecast_flow(config: Any = None, as_of: str | None = None, out: str | None = None,
                  quiet: bool = True, dask: str | None = None) -> _run.RunResult:
    """Forecast every region and publish a run folder; return the :class:`RunResult`.

    Parameters
    ----------
    config : str, path, Config or None
        Project config (TOML); None for the embedded demo world.
    as_of : str, optional
        Forecast date (YYYY-MM-DD); default the config's, else today.
    out : str, optional
        Output folder; default the config's ``[output] dir``.
    quiet : bool
        No progress lines (scheduled runs log through Prefect instead).
    dask : str, optional
        Set when the flow runs with a ``DaskTaskRunner``: the panel and features are then
        dask-backed and go through a Zarr store of this run (workers read their chunks from
        it; nothing grid-sized is pickled between processes), removed at the end.
    """
    with frozen_heap():
        return _forecast(config, as_of, out, quiet, dask)


def _forecast(config, as_of, out, quiet, dask) -> _run.RunResult:
    progress = _run.Progress(len(_run.STAGES), quiet=quiet)
    cfg = _run.configured(config, as_of, out)
    if not dask:
        warm_pool(current_cluster())
    cache_dir = Path(cfg.output_dir) / ".cache"
    project, specs = validate_task(cfg, progress)
    store = result = None
    if dask:
        cache_dir.mkdir(parents=True, exist_ok=True)
        store = Path(tempfile.mkdtemp(prefix="prepared-", dir=cache_dir))
    try:
        prepared = prepare_task(project, specs.features, progress, cache_dir,
                                _chunks(project) if dask else None,
                                None if store is None else store / "zarr")
        result = model_task(project, prepared, specs, progress, cache_dir)
        publish_task(result, cfg.output_dir, progress)
    finally:
        if store is not None:
            if result is not None:
                result.prepared = _detached(result.prepared)
                # Rows left on the workers are rebuilt from the loaded data, or not at all.
                rows_from(result.trained, project, result.prepared, specs.model)
            shutil.rmtree(store, ignore_errors=True)
    result.timings = dict(progress.timings)
    return result


@_stage("backtest inputs", **_reading)
def backtest_inputs_task(cfg, progress):
    return _backtest.backtest_inputs(cfg, progress)


@task(name="origin", task_run_name="origin {origin:%Y-%m}", **_task)
def origin_task(compute, fn, i, origin):
    """One backtest origin: panel as of its date, training, forecasts (``compute`` runs it in
    a worker process, on Dask, or here)."""
    return compute(fn, i, origin)


@_stage("publish backtest", **_task)
def publish_backtest_task(run, inputs, out_dir, progress):
    return _backtest.publish_backtest(run, inputs, out_dir, progress)


@flow(name="forewarn-backtest", log_prints=False, persist_result=False)
def backtest_flow(config: Any = None, out: str | None = None, quiet: bool = True,
                  dask: str | None = None) -> _backtest.BacktestRun:
    """Rolling-origin backtest of the configured models against baselines; return the
    :class:`BacktestRun` (its ``path`` is the published folder).

    Every origin of every horizon is a task; they run side by side in worker processes
    (``[backtest] workers``), or on Dask with ``dask`` ("local" or a scheduler address).
    """
    with frozen_heap():
        return _backtest_run(config, out, quiet, dask)


def _backtest_run(config, out, quiet, dask) -> _backtest.BacktestRun:
    cfg = _run.configured(config, out=out)
    progress = _run.Progress(len(cfg.horizons) + 2, quiet=quiet)
    inputs = backtest_inputs_task(cfg, progress)
    parts = [_backtest.backtest_horizon(inputs, h, progress, dask, origin_task=origin_task)
             for h in cfg.horizons]
    run = _backtest.combine(parts, inputs)
    publish_backtest_task(run, inputs, cfg.output_dir, progress)
    if not quiet:
        print(_backtest.format_summary(run), flush=True)
    return run
