"""Flows, config loading and the command line: the entry points over the plain functions."""

import importlib

__all__ = [
    "BacktestRun",
    "Config",
    "Project",
    "RunResult",
    "backtest",
    "run",
    "demo_config",
    "init",
    "input_hashes",
    "load_config",
    "load_project",
    "resolve_config",
    "risk_since_onset",
    "driver_importance",
    "lever_effects",
    "skill_summary",
    "findings",
    "validate",
    "write_demo_project",
]

_HOME = {
    "RunResult": "_run", "BacktestRun": "_backtest",
    "backtest": "_api", "init": "_api", "resolve_config": "_api", "run": "_api",
    "validate": "_api", "Config": "_config", "demo_config": "_config", "load_config": "_config",
    "Project": "_project", "input_hashes": "_project", "load_project": "_project",
    "write_demo_project": "_project", "risk_since_onset": "_findings",
    "driver_importance": "_findings", "lever_effects": "_findings", "skill_summary": "_findings",
    "findings": "_findings",
}


def __getattr__(name):
    # Imported on first use: `forewarn --help` must not load pandas, xarray and geopandas.
    if name in _HOME:
        return getattr(importlib.import_module(f"forewarn.flows.{_HOME[name]}"), name)
    raise AttributeError(f"module 'forewarn.flows' has no attribute {name!r}")
