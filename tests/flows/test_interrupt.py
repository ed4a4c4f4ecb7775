"""Ctrl-C and SIGTERM: a message, exit 130, nothing published, `latest` intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from forewarn.flows._interrupt import Interrupted, check, guard, interrupted
from forewarn.flows._publish import RunFolder, latest_run, new_run_id
from projects import small_demo


def test_a_signal_is_remembered_after_the_interrupt_is_swallowed():
    # Whatever handler the process had (Python's default; SIG_IGN in a pytest-xdist worker).
    before = signal.getsignal(signal.SIGINT)
    with guard():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs here
        except KeyboardInterrupt:
            pass  # as Prefect's engine does in places
        assert interrupted() == signal.SIGINT
        with pytest.raises(Interrupted, match="interrupted by SIGINT"):
            check()
    # Outside the guard nothing is remembered, a new guard starts clean, and the previous
    # handler is back.
    assert interrupted() is None
    with guard():
        check()
    assert signal.getsignal(signal.SIGINT) is before


def test_an_interrupted_run_folder_publishes_nothing(tmp_path):
    with RunFolder(tmp_path, new_run_id(pd.Timestamp("2025-12-31"))) as first:
        (first.path / "scores.csv").write_text("region_id\n")
    with guard():
        with pytest.raises(Interrupted):
            with RunFolder(tmp_path, new_run_id(pd.Timestamp("2026-01-31"))) as run:
                (run.path / "scores.csv").write_text("region_id\n")
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(1)
                except KeyboardInterrupt:
                    pass
    assert latest_run(tmp_path) == first.final
    assert not run.path.exists() and not run.final.exists()


@pytest.mark.slow
@pytest.mark.parametrize("after", ["load and validate inputs", "train models"])
def test_ctrl_c_exits_130_and_publishes_nothing(tmp_path, after):
    project = small_demo(tmp_path / "demo")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "forewarn", "run", "--config", str(project),
                             "--out", str(out)], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    seen = ""
    deadline = time.monotonic() + 300
    while after not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert after in seen, seen
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, seen + rest
    assert "interrupted (Ctrl-C); nothing was published" in rest
    assert "Traceback" not in rest
    assert not (out / "latest").exists()
    runs = out / "runs"
    assert not runs.exists() or not any(runs.iterdir())


def test_a_full_disk_is_said_whatever_the_library_raises(tmp_path, monkeypatch):
    """matplotlib's PDF writer fails on a full disk with an AttributeError of its own."""
    import shutil as _shutil

    from forewarn.flows import _publish

    with RunFolder(tmp_path, new_run_id(pd.Timestamp("2025-12-31"))) as first:
        (first.path / "scores.csv").write_text("region_id\n")
    usage = _shutil.disk_usage(tmp_path)
    monkeypatch.setattr(_publish.shutil, "disk_usage",
                        lambda p: usage._replace(free=0))
    with pytest.raises(_publish.PublishError, match=r"the disk holding .* is full "
                       r"\(AttributeError while writing\); nothing was published"):
        with RunFolder(tmp_path, new_run_id(pd.Timestamp("2026-01-31"))) as run:
            raise AttributeError("'Stream' object has no attribute 'pos'")
    assert latest_run(tmp_path) == first.final and not run.path.exists()
    monkeypatch.undo()
    with pytest.raises(AttributeError):  # with space left, a bug stays a bug
        with RunFolder(tmp_path, new_run_id(pd.Timestamp("2026-02-28"))):
            raise AttributeError("a real bug")
