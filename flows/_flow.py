"""The Prefect flows: each task is one call into a tested plain function, in the order of DESIGN.md.

load config ─► validate ─► panel as of the origin ─► features ─► index ─► train ─► score
─► explain ─► publish. Retries only where there is I/O (reading the inputs).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from forewarn.flows._prefect import configure_prefect

__all__ = ["forecast_flow", "backtest_flow", "run_forecast", "run_backtest"]

configure_prefect()

from prefect import flow, task  # noqa: E402  (Prefect reads its settings at import)
from prefect.cache_policies import NO_CACHE  # noqa: E402

from forewarn.flows import _pipeline as pipeline  # noqa: E402
from forewarn.flows import _run  # noqa: E402
from forewarn.flows._api import resolve_config  # noqa: E402
from forewarn.flows._checks import check_inputs  # noqa: E402

# Stage outputs are large in-memory objects; content caching is done where it pays (trained
# models, keyed on input hashes; see forewarn.flows._run), so Prefect's input hashing is off.
_task = dict(cache_policy=NO_CACHE, persist_result=False)


@task(name="load config", **_task)
def load_config_task(config, as_of, out):
    cfg = resolve_config(config)
    changes = {}
    if as_of is not None:
        import pandas as pd

        changes["as_of"] = pd.Timestamp(as_of)
    if out is not None:
        changes["output_dir"] = Path(out)
    if changes:
        import dataclasses

        cfg = dataclasses.replace(cfg, **changes)
    return cfg


def _io_error(task, task_run, state) -> bool:
    """Retry only what may pass on a second try: reading files (I/O), never bad input."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - anything else is not an I/O error
        return False
    return False


@task(name="validate inputs", retries=2, retry_delay_seconds=2, retry_condition_fn=_io_error,
      **_task)
def validate_task(cfg, progress):
    with progress.stage(_run.STAGES[0]) as st:
        specs, project = check_inputs(cfg)
        st.detail = f"{len(project.regions)} regions, {project.inputs_text()}"
        for line in project.notes():
            progress.say(f"      {line}")
    return project, specs


@task(name="panel as of the origin and features", **_task)
def prepare_task(project, feature_spec, cache_dir, progress, dask=None, store=None):
    as_of = project.config.resolved_as_of()
    with progress.stage(_run.STAGES[1]) as st:
        prepared = pipeline.prepare(project, as_of, feature_spec, cache_dir=cache_dir,
                                    chunks=_chunks(project) if dask else None, store=store)
        st.detail = (f"as of {as_of:%Y-%m-%d}: {prepared.panel.sizes['time']} time steps, "
                     f"{len(prepared.features.data_vars)} features")
    return prepared


#: Largest prepared data a Dask run hands back in memory once its store is removed. [bytes]
_KEEP_PREPARED_BYTES = 256 * 2**20


def _detached(prepared):
    """The prepared data, loaded, when small enough to hand back; else None (a grid's is
    gigabytes: the run folder holds what was published)."""
    size = sum(ds.nbytes for ds in (prepared.panel, prepared.age, prepared.features))
    if size > _KEEP_PREPARED_BYTES:
        return None
    import dataclasses

    return dataclasses.replace(prepared, panel=prepared.panel.load(),
                               age=prepared.age.load(), features=prepared.features.load())


def _chunks(project) -> int:
    """Regions per dask chunk: a few chunks per worker, never tiny."""
    return max(64, len(project.regions) // 16)


@task(name="index, models, scores and explanations", **_task)
def model_task(project, prepared, specs, cache_dir, progress):
    feature_spec, model_spec, index_choice = specs
    return _run.finish_stages(project, prepared, feature_spec, model_spec, index_choice,
                              progress, cache_dir)


@task(name="publish", **_task)
def publish_task(result, out_dir, progress):
    return _run.publish_run(result, out_dir, progress)


@flow(name="forewarn-forecast", log_prints=False, validate_parameters=True)
def forecast_flow(config: str | None = None, as_of: str | None = None,
                  out: str | None = None, quiet: bool = True) -> str:
    """Forecast every region and publish a run folder; returns the run folder's path.

    Parameters
    ----------
    config : str, optional
        Project config (TOML); None for the embedded demo world.
    as_of : str, optional
        Forecast date (YYYY-MM-DD); default the config's, else today.
    out : str, optional
        Output folder; default the config's ``[output] dir``.
    quiet : bool
        No progress lines (scheduled runs log through Prefect instead).
    """
    progress = _run.Progress(len(_run.STAGES), quiet=quiet)
    result = _forecast(config, as_of, out, progress)
    return str(result.run_dir)


def _forecast(config, as_of, out, progress, dask=None):
    cfg = load_config_task(config, as_of, out)
    cache_dir = Path(cfg.output_dir) / ".cache"
    project, specs = validate_task(cfg, progress)
    # On Dask the panel and features go through a Zarr store of this run (workers read their
    # chunks from it; nothing grid-sized is pickled between processes); removed at the end.
    store = result = None
    if dask:
        cache_dir.mkdir(parents=True, exist_ok=True)
        store = Path(tempfile.mkdtemp(prefix="prepared-", dir=cache_dir))
    try:
        prepared = prepare_task(project, specs[0], cache_dir, progress, dask,
                                None if store is None else store / "zarr")
        result = model_task(project, prepared, specs, cache_dir, progress)
        publish_task(result, cfg.output_dir, progress)
    finally:
        if store is not None:
            if result is not None:
                result.prepared = _detached(result.prepared)
            shutil.rmtree(store, ignore_errors=True)
    result.timings = dict(progress.timings)
    return result


@flow(name="forewarn-forecast", log_prints=False)
def _forecast_flow_result(config=None, as_of=None, out=None, progress=None, dask=None):
    """The same flow returning the whole result (for the Python API and the CLI)."""
    return _forecast(config, as_of, out, progress, dask)


def run_forecast(config=None, as_of=None, out=None, dask=None, quiet=False):
    """Run the forecast flow and return its :class:`~forewarn.flows._run.RunResult`."""
    progress = _run.Progress(len(_run.STAGES), quiet=quiet)
    if dask:
        from forewarn.flows._dask import dask_flow_options

        options = dask_flow_options(dask)
        return _forecast_flow_result.with_options(**options)(config, as_of, out, progress,
                                                             dask)
    return _forecast_flow_result(config, as_of, out, progress)


@flow(name="forewarn-backtest", log_prints=False)
def backtest_flow(config: str | None = None, out: str | None = None,
                  quiet: bool = True, dask: str | None = None) -> str:
    """Rolling-origin backtest of the configured model against baselines; returns the table's
    path."""
    from forewarn.flows._backtest import run_backtest_plain

    result = run_backtest_plain(resolve_config(config), out, quiet=quiet, dask=dask)
    return str(result.path)


@flow(name="forewarn-backtest", log_prints=False)
def _backtest_flow_result(config=None, out=None, quiet=False, dask=None):
    """The same flow returning the whole result (for the Python API and the CLI)."""
    from forewarn.flows._backtest import run_backtest_plain

    return run_backtest_plain(resolve_config(config), out, quiet=quiet, dask=dask)


def run_backtest(config=None, out=None, quiet=False, dask=None):
    """Run the backtest flow; return its :class:`~forewarn.flows._backtest.BacktestRun`.

    With ``dask`` ("local" or a scheduler address) the origins run on Dask."""
    return _backtest_flow_result(config, out, quiet, dask)
