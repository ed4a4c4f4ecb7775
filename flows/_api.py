"""The Python functions behind every command: notebooks call these, the CLI is a thin shell."""

from __future__ import annotations

from pathlib import Path

from forewarn.flows._config import Config, demo_config, load_config
from forewarn.flows._project import Project, load_project, write_demo_project

__all__ = ["resolve_config", "validate", "init"]


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
    return load_project(resolve_config(config))


def init(directory) -> Path:
    """Write the demo world as an editable project folder; return its config path."""
    return write_demo_project(directory)
