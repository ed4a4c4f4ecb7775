"""The Python functions behind every command: notebooks call these, the CLI is a thin shell."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from forewarn._threads import thread_limits
from forewarn.flows._config import Config, demo_config, load_config, parse_iso_date
from forewarn.flows._publish import output_lock
from forewarn.flows._project import Project, write_demo_project

__all__ = ["resolve_config", "validate", "init", "run", "backtest", "writable_output"]


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def resolve_config(config=None) -> Config:
    """A :class:`Config` from a path, a Config, or None (the embedded demo world)."""
    if config is None:
        return demo_config()
    if isinstance(config, Config):
        return config
    return load_config(config)


def validate(config=None) -> Project:
    """Check every input of a project and publish nothing.

    Parameters
    ----------
    config : path-like, Config or None
        The project config; None for the embedded demo world.

    Returns
    -------
    Project
        The validated inputs.

    Raises
    ------
    forewarn.errors.InputError
        Listing every problem in every file (file, row, column, what was found, the fix).
    """
    from forewarn.flows._checks import check_inputs

    return check_inputs(resolve_config(config))[1]


def init(directory, grid: tuple[int, int, int] | None = None) -> Path:
    """Write the demo world as an editable project folder; return its config path.

    With ``grid = (rows, columns, months)`` write the grid world instead (a Zarr cube).
    """
    if grid is not None:
        from forewarn.flows._project import write_grid_project

        return write_grid_project(directory, *grid)
    return write_demo_project(directory)


def writable_output(out_dir) -> Path:
    """Create the output folder (if needed) and check it takes files, before any work starts.

    Raises
    ------
    forewarn.errors.InputError
        The folder cannot be created or written (a file in the way, no permission, read-only).
    """
    import tempfile

    from forewarn.errors import InputError, Problem

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise InputError(Problem(out_dir, f"cannot write here ({exc.strerror}); choose another "
                                 "output folder with --out or [output] dir.")) from None
    return out_dir


def _prefect():
    """Prefect configured and its API server (when none is configured) starting, from this
    thread, while the run reads its config (see :mod:`forewarn.flows._prefect`)."""
    from forewarn.flows._prefect import configure_prefect, start_temporary_server

    configure_prefect()
    return start_temporary_server()


def _flows(server):
    """The flows module, imported after Prefect is configured, once its server answers."""
    from forewarn.flows import _flow

    if server is not None:
        server.ready()
    _services_follow_the_api()
    return _flow


#: The Prefect API the flows of this process last ran against.
_LAST_API: list = []


def _services_follow_the_api() -> None:
    """Prefect makes its client-side services (the events worker that records task runs, the
    log worker) once per process, for the API configured then. When a run in this process
    uses another API than the one before (a notebook that ran a flow, then pointed
    ``PREFECT_API_URL`` elsewhere; a test session with several servers), they are stopped,
    their queued items sent first, so that Prefect makes new ones for this run's API:
    otherwise its task runs would be recorded on the earlier server, or lost."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if _LAST_API and _LAST_API[0] != url:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker

        for service in (EventsWorker, APILogWorker):
            service.drain_all(timeout=30, at_exit=False)
    _LAST_API[:] = [url]


@contextmanager
def _starting(server):
    """Checks made while the server starts: a failure lets other runs start theirs."""
    try:
        yield
    except BaseException:
        if server is not None:
            server.release()
        raise


def run(config=None, as_of=None, out=None, dask=None, quiet=True):
    """Run the forecast flow (Prefect) and publish a run folder.

    Parameters
    ----------
    config : path-like, Config or None
        The project config; None for the embedded demo world.
    as_of : str, optional
        Forecast date (YYYY-MM-DD); default the config's, else today.
    out : path-like, optional
        Output folder; default the config's ``[output] dir``.
    dask : str, optional
        ``"local"`` or a scheduler address: panel and features on dask, the flow's tasks on
        the cluster (see :mod:`forewarn.flows._dask`).
    quiet : bool
        No progress lines on standard error.

    Returns
    -------
    RunResult
        Scores, explanations, drivers, the run folder (``run_dir``) and its manifest (see
        :class:`forewarn.RunResult`). On Dask, ``prepared`` (panel, ages, features) is handed
        back loaded when under 256 MiB and is None above (a grid's is gigabytes; its working
        store is removed with the run).

    Notes
    -----
    Prefect keeps its state in one home per user, ``~/.forewarn/prefect`` (moved with
    ``FOREWARN_PREFECT_HOME``; a ``PREFECT_HOME`` of your own wins), and runs the flow against
    a temporary local API server unless ``PREFECT_API_URL`` names one.
    """
    server = _prefect()
    with _starting(server):
        cfg = resolve_config(config)
        if as_of is not None:
            as_of = str(parse_iso_date(as_of, "--as-of", "the forecast date").date())
        out_dir = writable_output(out if out is not None else cfg.output_dir)
        flows = _flows(server)
    forecast = flows.forecast_flow
    if dask:
        from forewarn.flows._dask import dask_flow_options

        forecast = forecast.with_options(**dask_flow_options(dask))
    with output_lock(out_dir, say=None if quiet else _say), thread_limits():
        return forecast(cfg, as_of=as_of, out=str(out_dir), quiet=quiet, dask=dask)


def backtest(config=None, out=None, quiet=True, dask=None):
    """Run the rolling-origin backtest flow; return its tables (and where they were written).

    Origins run side by side in worker processes (config ``[backtest] workers``), or with
    ``dask`` ("local" or a scheduler address) on a Dask cluster; the tables are the same.
    Each origin is a task of the flow.

    Returns
    -------
    BacktestRun
        Metrics pooled and per origin, every prediction, coverage, the published folder
        (``path``); see :class:`forewarn.BacktestRun`.
    """
    server = _prefect()
    with _starting(server):
        cfg = resolve_config(config)
        out_dir = writable_output(out if out is not None else cfg.output_dir)
        flows = _flows(server)
    with output_lock(out_dir, say=None if quiet else _say), thread_limits():
        return flows.backtest_flow(cfg, out=str(out_dir), quiet=quiet, dask=dask)
