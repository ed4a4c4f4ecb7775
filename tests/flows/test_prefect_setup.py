"""Prefect set up by the entry points: one home per user, the user's settings winning, nothing
configured on import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from forewarn.flows._prefect import DEFAULT_PREFECT_HOME, configure_prefect, prefect_home


def test_the_home_is_per_user_movable_and_prefects_own_wins(monkeypatch, tmp_path):
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.delenv("FOREWARN_PREFECT_HOME", raising=False)
    assert prefect_home() == DEFAULT_PREFECT_HOME
    assert DEFAULT_PREFECT_HOME.parts[-2:] == (".forewarn", "prefect")
    monkeypatch.setenv("FOREWARN_PREFECT_HOME", str(tmp_path / "fw"))
    assert prefect_home() == tmp_path / "fw"
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "mine"))
    assert prefect_home() == tmp_path / "mine"


def test_configure_prefect_fills_in_only_what_is_unset(monkeypatch, tmp_path):
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.setenv("FOREWARN_PREFECT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    monkeypatch.delenv("PREFECT_SERVER_ANALYTICS_ENABLED", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", raising=False)
    monkeypatch.setenv("DO_NOT_TRACK", "0")
    home = configure_prefect()
    assert home == tmp_path / "home" and home.is_dir()
    assert os.environ["PREFECT_HOME"] == str(home)
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "DEBUG"            # the user's
    assert os.environ["DO_NOT_TRACK"] == "0"                          # the user's
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"  # forewarn's default
    assert os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "90"


@pytest.mark.slow  # a fresh process importing Prefect
def test_importing_the_flows_configures_nothing():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FOREWARN_"))}
    code = ("import os, forewarn.flows._flow, forewarn.flows._api\n"
            "print(os.environ.get('PREFECT_HOME'), os.environ.get('PREFECT_API_URL'))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "None"]


def test_a_run_against_another_api_gets_new_client_services(monkeypatch):
    """Prefect's events worker (it records task runs) is made once per process for the API of
    that time; a run against another API stops it, so that the next one is made for the new
    API (before, a test session's backtest recorded its task runs on an earlier server)."""
    from prefect.events.clients import NullEventsClient
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from forewarn.flows import _api

    monkeypatch.setattr(_api, "_LAST_API", [])
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:1/api"}):
        _api._services_follow_the_api()
        worker = EventsWorker.instance(NullEventsClient)
        _api._services_follow_the_api()  # the same API: kept
        assert EventsWorker.instance(NullEventsClient) is worker
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:2/api"}):
        _api._services_follow_the_api()
        assert worker._stopped
        assert EventsWorker.instance(NullEventsClient) is not worker
