"""`forewarn serve`: the flows as Prefect deployments on cron schedules, with a local server if needed.

Prefect's temporary server does not fire cron schedules, so with no ``PREFECT_API_URL`` set,
``serve`` starts a real Prefect server on 127.0.0.1 (UI included), supervises it, and stops it
on exit. With ``PREFECT_API_URL`` set it serves against that server and starts nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from forewarn.errors import ForewarnError, InputError, Problem

__all__ = ["serve", "start_local_server", "deployments_for"]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def start_local_server(port: int, home: Path, timeout: float = 120.0) -> subprocess.Popen:
    """Start ``prefect server start`` on 127.0.0.1:``port`` and wait until it is healthy."""
    if not _port_free(port):
        raise InputError(Problem("--port", f"port {port} on 127.0.0.1 is in use; choose another "
                                 "with --port, or point PREFECT_API_URL at the server already "
                                 "running there.", column="port"))
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "server.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}/api/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ForewarnError(f"the local Prefect server stopped at start (exit "
                                f"{proc.returncode}); see {home / 'server.log'}.")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise ForewarnError(f"the local Prefect server did not answer within {timeout:.0f} s; see "
                        f"{home / 'server.log'}.")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def deployments_for(cfg, out_dir: Path):
    """The forecast and backtest deployments of a config, with its [schedules]."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.deployments.runner import EntrypointType

    from forewarn.flows._flow import backtest_flow, forecast_flow
    from forewarn.flows._specs import ScheduleSpec

    schedules = ScheduleSpec.from_config(cfg.section("schedules"))
    params = {"config": str(cfg.path) if cfg.path else None, "out": str(out_dir)}
    out = []
    for flow, name, cron in ((forecast_flow, "forecast", schedules.forecast),
                             (backtest_flow, "backtest", schedules.backtest)):
        if not cron:
            continue
        out.append(flow.to_deployment(
            name=name, schedule=CronSchedule(cron=cron, timezone=schedules.timezone),
            parameters=params, tags=["forewarn"], entrypoint_type=EntrypointType.MODULE_PATH,
            description=f"forewarn {name} of {cfg.name} ({cron}, {schedules.timezone})"))
    return out


def serve(config=None, out=None, port: int = 4200) -> None:
    """Serve the flows on their schedules until Ctrl-C or SIGTERM (see the module docstring)."""
    from forewarn.flows._api import resolve_config, writable_output
    from forewarn.flows._prefect import configure_prefect

    cfg = resolve_config(config)
    out_dir = writable_output(out if out is not None else cfg.output_dir)
    home = configure_prefect(log_level="WARNING")
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        print(f"forewarn serve: starting a local Prefect server on 127.0.0.1:{port} ...",
              file=sys.stderr, flush=True)
        server = start_local_server(port, home / "server")
        os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
        print(f"  Prefect UI: http://127.0.0.1:{port}  (API http://127.0.0.1:{port}/api)",
              file=sys.stderr, flush=True)

    def _stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        import prefect

        deployments = deployments_for(cfg, out_dir)
        for d in deployments:
            print(f"  serving {d.flow_name}/{d.name}: {d.description}", file=sys.stderr,
                  flush=True)
        print("  Ctrl-C to stop.", file=sys.stderr, flush=True)
        prefect.serve(*deployments, print_starting_message=False)
    except KeyboardInterrupt:
        print("forewarn serve: stopping (schedules paused).", file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            stop_server(server)
