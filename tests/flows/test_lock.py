"""Two runs on one output folder: the second waits for the first, or says who holds it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from forewarn.errors import InputError
from forewarn.flows._publish import latest_run, output_lock
from projects import index_only_demo

_HOLD = ("import sys, time; from forewarn.flows._publish import output_lock\n"
         "with output_lock(sys.argv[1]):\n    print('held', flush=True)\n"
         "    time.sleep(float(sys.argv[2]))\nprint('released', flush=True)\n")


def _holder(out, seconds):
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(out), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_held_folder_is_refused_after_the_wait_naming_the_holder(tmp_path):
    proc = _holder(tmp_path, 30)
    try:
        with pytest.raises(InputError, match=rf"is in use by pid {proc.pid} on .*waited 1 s\. "
                                             "Wait for it to finish, or choose another --out"):
            with output_lock(tmp_path, wait=1):
                pass
    finally:
        proc.kill()
        proc.wait()
    with output_lock(tmp_path, wait=0):  # a killed holder leaves no lock behind
        pass


def test_the_second_waits_for_the_first(tmp_path):
    proc = _holder(tmp_path, 2)
    said = []
    start = time.monotonic()
    with output_lock(tmp_path, wait=60, say=said.append):
        assert proc.stdout.readline().strip() == "released"  # the first had finished
    assert time.monotonic() - start > 0.5
    assert said and said[0].startswith(f"forewarn: waiting for pid {proc.pid}")
    proc.wait()


@pytest.mark.slow
def test_two_runs_on_one_folder_at_once_both_publish(tmp_path):
    project = index_only_demo(tmp_path / "demo")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "forewarn", "run", "--config", str(project), "--out", str(out)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=900) for p in procs]
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err[-3000:]
    assert any("forewarn: waiting for pid" in err for _, err in results)
    runs = [p for p in (out / "runs").iterdir() if not p.name.startswith(".")]
    assert len(runs) == 2 and latest_run(out) in runs


@pytest.mark.slow
def test_two_runs_at_once_share_one_prefect_home(tmp_path):
    """Two runs on different output folders at the same time, one Prefect home (one SQLite
    database, new at the start): the first migrates it, both run their flows, both publish."""
    import os

    project = index_only_demo(tmp_path / "demo")
    env = {**{k: v for k, v in os.environ.items() if k not in ("PREFECT_HOME", "PREFECT_API_URL")},
           "FOREWARN_PREFECT_HOME": str(tmp_path / "home")}
    procs = [subprocess.Popen([sys.executable, "-m", "forewarn", "run", "--config", str(project),
                               "--out", str(tmp_path / f"out{i}"), "--quiet"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    results = [p.communicate(timeout=900) for p in procs]
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err[-3000:]
    assert (tmp_path / "home" / "prefect.db").is_file()
    for i in range(2):
        assert latest_run(tmp_path / f"out{i}") is not None
