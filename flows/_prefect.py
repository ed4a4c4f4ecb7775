"""Prefect, set up to run on a fresh machine: a local temporary API, quiet, never on the network."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["configure_prefect", "DEFAULT_PREFECT_HOME"]

#: Where Prefect keeps its state (a SQLite database) when no output folder is given.
DEFAULT_PREFECT_HOME = Path.home() / ".forewarn" / "prefect"

# Each is set only when the user has not set it: a user's own Prefect setup always wins.
_QUIET_OFFLINE = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    # The 20 s default timed out once on a loaded 2-core machine (shared/notes/STACK.md).
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "DASK_LOGGING__DISTRIBUTED": "error",
}


def configure_prefect(home=None, log_level: str = "CRITICAL") -> Path:
    """Point Prefect at a local home and quiet, offline settings; return the home.

    With no ``PREFECT_API_URL`` set, a flow then starts Prefect's temporary local server on its
    own (no setup needed), keeping its database under ``home``: ``OUT/.prefect`` for commands
    given an output folder, else :data:`DEFAULT_PREFECT_HOME`. Must run before Prefect is
    imported to take full effect; later calls only fill in what is unset.

    ``log_level`` is Prefect's console log level unless ``PREFECT_LOGGING_LEVEL`` is set:
    CRITICAL for the command line, whose own progress lines and error messages say what a
    person needs (a bad input is a message, never a traceback); ``serve`` uses WARNING so
    scheduled runs log their failures.
    """
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", log_level)
    if "PREFECT_HOME" not in os.environ:
        os.environ["PREFECT_HOME"] = str(Path(home) if home else DEFAULT_PREFECT_HOME)
    for key, value in _QUIET_OFFLINE.items():
        os.environ.setdefault(key, value)
    path = Path(os.environ["PREFECT_HOME"])
    path.mkdir(parents=True, exist_ok=True)
    return path
