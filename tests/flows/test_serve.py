"""`forewarn serve` against a real local Prefect API: deployments, schedules, one run to completion."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from forewarn.flows._serve import start_local_server, stop_server
from projects import index_only_demo

# Whole flows in fresh processes: minutes on 2 cores; `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow


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
    project = index_only_demo(tmp_path / "demo")
    with open(project, "a", encoding="utf-8") as fh:
        fh.write('\n[schedules]\nforecast = "0 6 5 * *"\nbacktest = "0 7 1 1,4,7,10 *"\n'
                 'timezone = "Africa/Nairobi"\n')
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(tmp_path / "ph")}
    serve = subprocess.Popen([sys.executable, "-m", "forewarn", "serve", "--config",
                              str(project), "--out", str(out)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deployments = _wait_for_deployments(prefect_api, 2, serve, timeout=180)
        by_name = {d["name"]: d for d in deployments}
        assert set(by_name) == {"forecast", "backtest"}
        forecast = by_name["forecast"]["schedules"][0]["schedule"]
        assert forecast["cron"] == "0 6 5 * *" and forecast["timezone"] == "Africa/Nairobi"
        assert by_name["backtest"]["schedules"][0]["schedule"]["cron"] == "0 7 1 1,4,7,10 *"
        state = _run_and_wait(prefect_api, by_name["forecast"]["id"], timeout=400)
        assert state["type"] == "COMPLETED", state
        assert (out / "latest" / "scores.parquet").is_file()
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
            pytest.fail("forewarn serve did not stop on SIGTERM")
    assert serve.returncode == 0, serve.stdout.read()


# Plain REST calls: Prefect's client in this process may still hold the settings of the
# temporary server an earlier in-process flow started.
def _api(method, url, **kwargs):
    """The JSON answer of one call, retried as Prefect's own client retries it: the session's
    SQLite-backed test server answers 503 (or 429) while the other test worker's runs hold its
    database, which means "try again", not a failure."""
    for attempt in range(8):
        response = httpx.request(method, url, timeout=10, **kwargs)
        if response.status_code not in (429, 502, 503):
            return response.json()
        time.sleep(0.5 * 2 ** attempt)
    return response.json()


def _wait_for_deployments(api, n, serve, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            pytest.fail(f"forewarn serve exited early ({serve.returncode}):\n"
                        f"{serve.stdout.read()}")
        found = _api("POST", f"{api}/deployments/filter", json={})
        if len(found) >= n:
            return found
        time.sleep(1)
    pytest.fail(f"no {n} deployments within {timeout} s")


def _run_and_wait(api, deployment_id, timeout):
    run = _api("POST", f"{api}/deployments/{deployment_id}/create_flow_run", json={})
    assert "id" in run, f"the Prefect API did not create the flow run: {run}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _api("GET", f"{api}/flow_runs/{run['id']}")["state"]
        if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return state
        time.sleep(2)
    pytest.fail(f"the flow run did not finish within {timeout} s")
