"""Safe publishing: a run is written to a temporary folder and moved into place only when complete.

Layout (DESIGN.md)::

    OUT/runs/<run_id>/   manifest.json, scores.parquet, ...
    OUT/latest           symbolic link to runs/<run_id> of the newest complete run

A run that fails, or a process that is killed at any point, leaves a ``runs/.partial-*`` folder
that is never taken for a run (it has no place under ``runs/<run_id>`` and ``latest`` never points
at it); the next run removes partial folders whose process is gone.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from forewarn.errors import ForewarnError, InputError, Problem
from forewarn.flows._interrupt import Interrupted, interrupted

__all__ = ["RunFolder", "PublishError", "latest_run", "new_run_id", "output_lock"]

MANIFEST = "manifest.json"
_PARTIAL = ".partial-"


class PublishError(ForewarnError):
    """The run could not be written (disk full, I/O error); nothing was published."""


@contextmanager
def output_lock(out_dir, wait: float | None = None, say=None):
    """Hold ``OUT/.lock`` while a run or backtest writes to ``out_dir``.

    A second run on the same folder (a cron run while an analyst runs by hand) waits for the
    first instead of racing it for the folder and its Prefect database; after ``wait`` seconds
    (default ``FOREWARN_LOCK_WAIT_SECONDS``, else one hour) it gives up with a clear message.
    The lock is an OS file lock: it is released when the holder exits, even when killed.

    Raises
    ------
    forewarn.errors.InputError
        When the folder stays locked for longer than ``wait``.
    """
    import fcntl
    import time

    if wait is None:
        wait = float(os.environ.get("FOREWARN_LOCK_WAIT_SECONDS", 3600))
    path = Path(out_dir) / ".lock"
    with open(path, "a+", encoding="utf-8") as fh:
        start, told = time.monotonic(), False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                if time.monotonic() - start >= wait:
                    raise InputError(Problem(out_dir, f"is in use by {holder} (a run or backtest "
                                             f"writing here); waited {wait:.0f} s. Wait for it "
                                             "to finish, or choose another --out.")) from None
                if not told and say is not None:
                    say(f"forewarn: waiting for {holder} to finish with {out_dir} ...")
                    told = True
                time.sleep(0.5)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def new_run_id(as_of) -> str:
    """A sortable, unique run id: UTC time of the run, then the forecast date."""
    now = datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}-{now.microsecond:06d}Z_asof-{as_of:%Y-%m-%d}"


def latest_run(out_dir, name: str = "latest") -> Path | None:
    """The run ``OUT/latest`` (or ``OUT/<name>``) points at, or None when there is none."""
    link = Path(out_dir) / name
    if link.is_symlink() or link.is_dir():
        target = link.resolve()
        if (target / MANIFEST).is_file():
            return target
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_partials(runs: Path) -> None:
    """Remove partial folders left by runs whose process is gone (killed or crashed)."""
    host = socket.gethostname()
    for p in runs.glob(f"{_PARTIAL}*"):
        parts = p.name[len(_PARTIAL):].split("-", 2)
        try:
            p_host, pid = parts[0], int(parts[1])
        except (IndexError, ValueError):
            continue
        if p_host == host and not _alive(pid):
            shutil.rmtree(p, ignore_errors=True)


class RunFolder:
    """Context manager that writes one run and publishes it atomically on success.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> out = tempfile.mkdtemp()
    >>> with RunFolder(out, new_run_id(pd.Timestamp("2025-12-31"))) as run:
    ...     _ = (run.path / "scores.csv").write_text("region_id\\n")
    ...     run.manifest["as_of"] = "2025-12-31"
    >>> latest_run(out) == run.final
    True
    """

    def __init__(self, out_dir, run_id: str, kind: str = "runs", latest: str = "latest"):
        self.out_dir = Path(out_dir)
        self.run_id = run_id
        self.kind, self.latest = kind, latest
        self.manifest: dict = {"run_id": run_id}
        self.final = self.out_dir / kind / run_id
        host = socket.gethostname().replace("-", "_")
        self.path = self.out_dir / kind / f"{_PARTIAL}{host}-{os.getpid()}-{run_id}"

    def __enter__(self) -> RunFolder:
        runs = self.out_dir / self.kind
        try:
            runs.mkdir(parents=True, exist_ok=True)
            _clean_partials(runs)
            self.path.mkdir()
        except (PermissionError, NotADirectoryError, FileExistsError) as exc:
            raise InputError(Problem(self.out_dir, f"cannot write here ({exc.strerror}); choose "
                                     "another output folder with --out or [output] dir."))
        except OSError as exc:
            raise PublishError(f"cannot create the run folder under {runs}: {exc.strerror}. "
                               "Nothing was published.") from None
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            full = _disk_full(self.path)  # before the partial folder is removed
            shutil.rmtree(self.path, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO,
                                                          errno.EROFS, errno.EACCES):
                raise PublishError(f"writing the run failed ({exc.strerror}: {exc.filename}); "
                                   "nothing was published and 'latest' is unchanged. Free some "
                                   "space or choose another --out.") from None
            if full and isinstance(exc, Exception) and not isinstance(exc, ForewarnError):
                # A library that fails on a full disk with an error of its own (matplotlib's
                # PDF writer: "'Stream' object has no attribute 'pos'") is still a full disk.
                raise PublishError(f"writing the run failed: the disk holding {self.out_dir} is "
                                   f"full ({type(exc).__name__} while writing); nothing was "
                                   "published and 'latest' is unchanged. Free some space or "
                                   "choose another --out.") from None
            return False
        if interrupted() is not None:  # Prefect may have swallowed the KeyboardInterrupt
            shutil.rmtree(self.path, ignore_errors=True)
            raise Interrupted(interrupted())
        try:
            self._commit()
        except OSError as exc:
            shutil.rmtree(self.path, ignore_errors=True)
            raise PublishError(f"publishing the run failed ({exc.strerror}); nothing was "
                               "published and 'latest' is unchanged.") from None
        return False

    def _commit(self) -> None:
        # The manifest goes last: a folder without one is never a complete run.
        self.manifest["published_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        tmp = self.path / (MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.manifest, fh, indent=2, sort_keys=True, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / MANIFEST)
        os.rename(self.path, self.final)
        _point_latest(self.out_dir, self.final, self.latest)


def _disk_full(path: Path, below: int = 1 << 20) -> bool:
    """True when the file system holding ``path`` has less than ``below`` bytes free."""
    try:
        return shutil.disk_usage(path if path.exists() else path.parent).free < below
    except OSError:
        return False


def _point_latest(out_dir: Path, target: Path, name: str = "latest") -> None:
    """Atomically repoint ``OUT/<name>`` (a relative symbolic link) at ``target``."""
    link = out_dir / name
    tmp = out_dir / f".latest-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(target, out_dir), tmp)
    os.replace(tmp, link)
