"""Flows, config loading and the command line: the entry points over the plain functions."""

from forewarn.flows._api import backtest, init, resolve_config, run, validate
from forewarn.flows._config import Config, demo_config, load_config
from forewarn.flows._findings import risk_since_onset
from forewarn.flows._project import Project, input_hashes, load_project, write_demo_project

__all__ = [
    "Config",
    "Project",
    "backtest",
    "run",
    "demo_config",
    "init",
    "input_hashes",
    "load_config",
    "load_project",
    "resolve_config",
    "risk_since_onset",
    "validate",
    "write_demo_project",
]
