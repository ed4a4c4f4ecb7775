"""`forewarn serve` against a real local Prefect API: deployments, schedules, one run to completion."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from forewarn.flows._serve import start_local_server, stop_server
from projects import small_demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory):
    """A real Prefect server on 127.0.0.1 (the kind that fires cron schedules)."""
    port = free_port()
    server = start_local_server(port, tmp_path_factory.mktemp("prefect-server"))
    yield f"http://127.0.0.1:{port}/api"
    stop_server(server)


def test_serve_registers_schedules_and_runs(prefect_api, tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", prefect_api)
    project = small_demo(tmp_path / "demo")
    with open(project, "a", encoding="utf-8") as fh:
        fh.write('\n[schedules]\nforecast = "0 6 5 * *"\nbacktest = "0 7 1 1,4,7,10 *"\n'
                 'timezone = "Africa/Nairobi"\n')
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(tmp_path / "ph")}
    serve = subprocess.Popen([sys.executable, "-m", "forewarn", "serve", "--config",
                              str(project), "--out", str(out)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deployments = asyncio.run(_wait_for_deployments(prefect_api, 2, serve, timeout=180))
        by_name = {d.name: d for d in deployments}
        assert set(by_name) == {"forecast", "backtest"}
        forecast = by_name["forecast"].schedules[0].schedule
        assert forecast.cron == "0 6 5 * *" and forecast.timezone == "Africa/Nairobi"
        assert by_name["backtest"].schedules[0].schedule.cron == "0 7 1 1,4,7,10 *"
        state = asyncio.run(_run_and_wait(prefect_api, "forewarn-forecast/forecast",
                                          timeout=400))
        assert state.is_completed(), state
        assert (out / "latest" / "scores.parquet").is_file()
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
            pytest.fail("forewarn serve did not stop on SIGTERM")
    assert serve.returncode == 0, serve.stdout.read()


async def _client(api):
    from prefect.client.orchestration import get_client

    assert os.environ["PREFECT_API_URL"] == api

    return get_client()


async def _wait_for_deployments(api, n, serve, timeout):
    async with await _client(api) as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if serve.poll() is not None:
                pytest.fail(f"forewarn serve exited early ({serve.returncode}):\n"
                            f"{serve.stdout.read()}")
            found = await client.read_deployments()
            if len(found) >= n:
                return found
            await asyncio.sleep(1)
    pytest.fail(f"no {n} deployments within {timeout} s")


async def _run_and_wait(api, name, timeout):
    async with await _client(api) as client:
        deployment = await client.read_deployment_by_name(name)
        run = await client.create_flow_run_from_deployment(deployment.id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state.is_final():
                return run.state
            await asyncio.sleep(2)
    pytest.fail(f"the flow run did not finish within {timeout} s")
