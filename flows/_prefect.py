"""Prefect, set up by the entry points: one home per user, quiet, offline, no orphaned server.

Prefect reads its settings when it is first imported, so :func:`configure_prefect` runs in the
entry points (``forewarn.run``, ``forewarn.backtest``, ``forewarn serve``) before anything
imports Prefect; nothing is configured at import time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["configure_prefect", "prefect_home", "start_temporary_server", "TemporaryServer",
           "DEFAULT_PREFECT_HOME", "HOME_VARIABLE"]

#: Where Prefect keeps its state (a SQLite database) unless told otherwise: one per user, so
#: the database is created and migrated once, not once per output folder.
DEFAULT_PREFECT_HOME = Path.home() / ".forewarn" / "prefect"

#: The environment variable that moves forewarn's Prefect home (``PREFECT_HOME`` wins over it).
HOME_VARIABLE = "FOREWARN_PREFECT_HOME"

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


def prefect_home() -> Path:
    """The Prefect home a run uses: ``PREFECT_HOME`` when set (the user's own Prefect), else
    ``FOREWARN_PREFECT_HOME``, else :data:`DEFAULT_PREFECT_HOME` (``~/.forewarn/prefect``)."""
    for name in ("PREFECT_HOME", HOME_VARIABLE):
        if os.environ.get(name):
            return Path(os.environ[name]).expanduser()
    return DEFAULT_PREFECT_HOME


def configure_prefect(log_level: str = "CRITICAL") -> Path:
    """Point Prefect at the user's forewarn home with quiet, offline settings; return the home.

    With no ``PREFECT_API_URL`` set, a flow then runs against Prefect's temporary local server
    (no setup needed), its SQLite database under the home (see :func:`prefect_home`). Several
    runs at once share the database (SQLite locks it). Takes full effect only before Prefect
    is imported; later calls fill in what is unset.

    ``log_level`` is Prefect's console log level unless ``PREFECT_LOGGING_LEVEL`` is set:
    CRITICAL for the command line, whose own progress lines and error messages say what a
    person needs (a bad input is a message, never a traceback); ``serve`` uses WARNING so
    scheduled runs log their failures.
    """
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", log_level)
    home = prefect_home()
    os.environ["PREFECT_HOME"] = str(home)
    for key, value in _QUIET_OFFLINE.items():
        os.environ.setdefault(key, value)
    home.mkdir(parents=True, exist_ok=True)
    return home


# Run in the server's process before it becomes the server: ask the kernel to send SIGTERM
# when the thread that started it dies (with its process, even by SIGKILL, which runs no
# atexit hook), and leave at once when that process is already gone. Survives the exec.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "sys.platform.startswith('linux') and "
    "ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)\n"
    "os.getppid() == int(sys.argv[1]) or os._exit(1)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)

#: The file that lets one run at a time start a server on a home (and migrate its database).
_START_LOCK = "forewarn-server-start.lock"


class TemporaryServer:
    """Prefect's API server for the runs of this process, started by :func:`start_temporary_server`.

    Attributes
    ----------
    url : str
        The API's address (``http://127.0.0.1:PORT/api``), also in ``PREFECT_API_URL``.
    process : subprocess.Popen
        The server's process (``uvicorn`` serving Prefect's app, API only).
    """

    def __init__(self, home: Path):
        import atexit
        import fcntl
        import socket

        self.home = home
        # One start at a time per home: a new database is created and migrated by the first
        # server only; the next one starts when it is up and finds the database current.
        self._lock = open(home / _START_LOCK, "w")  # noqa: SIM115 - released in ready()
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT_SERVER_UI_ENABLED": "false",
               "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        # forewarn's flows use no Prefect blocks: registering their types took about 1 s of a
        # new home's first start (unless you ask for it).
        env.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")
        env.pop("PREFECT_API_URL", None)
        self._healthy = False
        self._log = open(home / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), sys.executable, "-m",
             "uvicorn", "--factory", "prefect.server.api.server:create_app", "--host",
             "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        atexit.register(self.stop)

    def ready(self, timeout: float | None = None) -> TemporaryServer:
        """Wait until the server answers (its database created and migrated when new)."""
        import time
        import urllib.request

        if self._healthy:
            return self
        timeout = timeout or float(os.environ.get(
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        "The ephemeral Prefect API server stopped at start (exit "
                        f"{self.process.returncode}); see {self.home / 'server.log'}.")
                try:
                    with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                        if answer.status == 200:
                            self._healthy = True
                            return self
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("Timed out while attempting to connect to ephemeral "
                                       f"Prefect API server ({timeout:.0f} s); see "
                                       f"{self.home / 'server.log'}.")
                time.sleep(0.1)
        finally:
            self.release()

    def release(self) -> None:
        """Let other processes start their server on this home (the start lock)."""
        if not self._lock.closed:
            self._lock.close()

    def stop(self) -> None:
        """Stop the server (at exit; it holds nothing a finished run needs)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._log.closed:
            self._log.close()
        if os.environ.get("PREFECT_API_URL") == self.url:
            del os.environ["PREFECT_API_URL"]


_SERVER: list[TemporaryServer] = []


def start_temporary_server() -> TemporaryServer | None:
    """Start Prefect's API server for this process's runs, or None when an API is configured
    (``PREFECT_API_URL``, a test harness) or already started; call ``.ready()`` before a flow.

    forewarn starts the server itself rather than leaving it to Prefect: it starts at once,
    beside the imports and checks of the run instead of after them; Prefect's own temporary
    server kept running after a SIGKILLed run, while this one gets the kernel's parent-death
    signal (Linux), so call this from the main thread; it sets ``PREFECT_API_URL`` for the
    flows of this process, and stops at exit.
    """
    if os.environ.get("PREFECT_API_URL"):
        return _SERVER[0] if _SERVER and _SERVER[0].url == os.environ["PREFECT_API_URL"] \
            else None
    if "prefect.settings" in sys.modules:
        from prefect.settings import PREFECT_API_URL

        if PREFECT_API_URL.value():
            return None
    _SERVER[:] = [TemporaryServer(configure_prefect())]
    os.environ["PREFECT_API_URL"] = _SERVER[0].url
    if "prefect.context" in sys.modules:  # Prefect imported before: make it see the server
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()
    return _SERVER[0]
