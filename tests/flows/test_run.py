"""`forewarn run` end to end on a small demo world: the run folder, safety, determinism, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from forewarn.reports import SCORE_COLUMNS
from projects import cli, small_demo

# Whole flows, in this process on the session's Prefect test server (in a fresh process only
# where the process boundary is what is tested: SIGKILL); `pytest -m "not slow"` skips them.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


@pytest.fixture(scope="module")
def small_project(tmp_path_factory):
    return small_demo(tmp_path_factory.mktemp("small") / "demo")


@pytest.fixture(scope="module")
def first_run(small_project, tmp_path_factory, prefect_server):
    out = tmp_path_factory.mktemp("out")
    done = cli("run", "--config", small_project, "--out", out)
    assert done.returncode == 0, done.stderr
    return out, done


def test_run_folder_contract(first_run):
    out, done = first_run
    latest = out / "latest"
    assert latest.is_symlink()
    run = latest.resolve()
    assert run.parent == out / "runs"
    names = {p.name for p in run.iterdir()}
    assert {"manifest.json", "scores.parquet", "scores.csv", "explanations.parquet",
            "regions.gpkg", "regions.geojson", "report.html", "maps", "models"} <= names
    manifest = json.loads((run / "manifest.json").read_text())
    for key in ("config", "input_hashes", "versions", "as_of", "seed", "timings"):
        assert manifest[key], key
    assert manifest["as_of"] == "2020-12-31"
    assert set(manifest["timings"]) >= {"train models", "publish"}
    assert manifest["label"].startswith("DEMO DATA")
    assert all(len(h) == 64 for h in manifest["input_hashes"].values())
    # Progress a person can follow, on standard error.
    assert "[4/6] train models" in done.stderr and "DEMO DATA" in done.stdout


def test_scores_contract_and_explanations_add_up(first_run):
    run = (first_run[0] / "latest").resolve()
    scores = pd.read_parquet(run / "scores.parquet")
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert len(scores) == 40 * 2 and set(scores["horizon"]) == {6, 12}
    assert ((scores["lower"] <= scores["probability"]) &
            (scores["probability"] <= scores["upper"])).all()
    np.testing.assert_allclose(1 / (1 + np.exp(-scores["margin"])), scores["probability"])
    manifest = json.loads((run / "manifest.json").read_text())
    expl = pd.read_parquet(run / "explanations.parquet")
    total = expl.groupby(["region_id", "horizon"])["contribution"].sum()
    for h in (6, 12):
        base = manifest["base_values"][str(h)]
        margin = scores[scores.horizon == h].set_index("region_id")["margin"]
        np.testing.assert_allclose(base + total.xs(h, level="horizon").reindex(margin.index),
                                   margin, atol=1e-9)
    gpkg = gpd.read_file(run / "regions.gpkg", layer="scores")  # one row per region and horizon
    assert gpkg["region_id"].nunique() == 40 and len(gpkg) == 80
    assert gpkg.crs.to_epsg() == 4326


def test_bad_input_publishes_nothing(small_project, first_run, tmp_path):
    out = first_run[0]
    before = os.readlink(out / "latest")
    runs_before = sorted((out / "runs").iterdir())
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in small_project.parent.iterdir():
        (broken / f.name).symlink_to(f)
    (broken / "observations.csv").unlink()
    (broken / "observations.csv").write_text("region_id,indicator,period,value\nXA01,x,2020,1\n")
    done = cli("run", "--config", broken / "forewarn.toml", "--out", out)
    assert done.returncode == 2
    assert "indicator 'x' is not in the catalogue" in done.stderr
    assert "Traceback" not in done.stderr
    assert os.readlink(out / "latest") == before
    assert sorted((out / "runs").iterdir()) == runs_before


def test_unwritable_output_is_a_clear_error(small_project, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = cli("run", "--config", small_project, "--out", blocker / "out")
    assert done.returncode == 2
    assert "cannot write here" in done.stderr and "Traceback" not in done.stderr


def test_killed_run_leaves_latest_intact(small_project, first_run, tmp_path):
    """SIGKILL during the last stage: no partial run is taken for complete; the next run works."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(first_run[0], out, symlinks=True)
    before = os.readlink(out / "latest")
    complete_before = sorted(p.name for p in (out / "runs").iterdir())
    proc = subprocess.Popen([sys.executable, "-m", "forewarn", "run", "--config",
                             str(small_project), "--out", str(out)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = ""
    deadline = time.monotonic() + 300
    while "[6/6] publish" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert "[6/6] publish" in seen, seen
    time.sleep(0.5)  # inside the publish stage: the run folder is being written
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert os.readlink(out / "latest") == before
    complete = sorted(p.name for p in (out / "runs").iterdir() if not p.name.startswith("."))
    assert complete == complete_before
    for p in (out / "runs").iterdir():
        if p.name.startswith("."):
            assert not (p / "manifest.json").exists()
    done = cli("run", "--config", small_project, "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert os.readlink(out / "latest") != before
    # The partial folder of the killed process is gone.
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]


def _children(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_a_killed_run_leaves_no_prefect_server_behind(small_project, tmp_path):
    """SIGKILL runs no clean-up in the run's process: its Prefect server must stop anyway."""
    import psutil

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.Popen([sys.executable, "-m", "forewarn", "run", "--config",
                             str(small_project), "--out", str(tmp_path / "out")], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = ""
    deadline = time.monotonic() + 300
    while "[2/6]" not in seen and time.monotonic() < deadline:  # the flow runs: server up
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    assert "[2/6]" in seen, seen
    servers = [p for p in _children(proc.pid) if "uvicorn" in " ".join(p.cmdline())]
    assert len(servers) == 1, [p.cmdline() for p in _children(proc.pid)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    gone, alive = psutil.wait_procs(servers, timeout=60)
    assert not alive, f"Prefect server left running: {[p.pid for p in alive]}"


def test_second_run_reports_change(small_project, first_run, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(first_run[0], out, symlinks=True)
    done = cli("run", "--config", small_project, "--out", out, "--as-of", "2020-09-30",
                    "--quiet")
    assert done.returncode == 0, done.stderr
    run = (out / "latest").resolve()
    scores = pd.read_parquet(run / "scores.parquet")
    assert scores["change"].notna().all()
    change = pd.read_parquet(run / "change.parquet")
    total = change.groupby(["region_id", "horizon"])["contribution"].sum()
    prev = pd.read_parquet((first_run[0] / "latest").resolve() / "scores.parquet")
    delta = (scores.set_index(["region_id", "horizon"])["margin"]
             - prev.set_index(["region_id", "horizon"])["margin"])
    np.testing.assert_allclose(total.reindex(delta.index), delta, atol=1e-9)


def test_explain_and_scenario_commands(first_run, small_project):
    out = first_run[0]
    region = pd.read_parquet((out / "latest").resolve() / "scores.parquet")["region_id"].iloc[0]
    done = cli("explain", region, "--run", out)
    assert done.returncode == 0, done.stderr
    assert "drivers that raise the risk" in done.stdout and "log-odds" in done.stdout
    done = cli("scenario", region, "--set", "response_tier=1", "--run", out,
                    "--config", small_project)
    assert done.returncode == 0, done.stderr
    assert "percentage points" in done.stdout and "response_tier" in done.stdout
    assert done.stdout.startswith("DEMO DATA")
    bad = cli("scenario", region, "--set", "response_tier=7", "--run", out,
                   "--config", small_project)
    assert bad.returncode == 2
    assert "outside its valid range [1, 3]" in bad.stderr


def test_dask_local_with_more_workers_than_horizons_gives_identical_scores(
        small_project, first_run, tmp_path, monkeypatch):
    """A project of tables on a 3-worker LocalCluster, 2 horizons: each horizon's fit sends its
    folds and refits to the cluster from its worker (worker_client), and the scores are the
    single-process run's. (tests/flows/test_cluster.py runs a grid from its cube on 2 workers
    and on an external scheduler.)"""
    from forewarn.flows import run

    monkeypatch.setenv("FOREWARN_THREADS", "3")
    result = run(small_project, out=tmp_path, dask="local", quiet=True)
    single = pd.read_parquet((first_run[0] / "latest").resolve() / "scores.parquet")
    pd.testing.assert_frame_equal(result.scores.reset_index(drop=True), single)
    fits = [p for u, p in result.ran_on if u.startswith("fit unit")]
    # per horizon: the selection folds, then the final fit and the 4 bootstrap refits
    assert len(fits) >= 2 * (1 + 4), result.ran_on
    assert all(p.startswith("tcp://127.0.0.1:") for p in fits)
    assert len(set(fits)) >= 2


def test_swapped_cache_entries_are_not_reused(small_project, first_run, tmp_path):
    """Two self-consistent cached models swapped: each records its own key, so neither stands
    in for the other; both models are trained again from the same inputs and every score is
    the first run's (same inputs, same scores), the change since it aside."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(first_run[0], out, symlinks=True)
    entries = sorted(p for p in (out / ".cache" / "models").iterdir() if p.is_dir())
    assert len(entries) == 2
    a, b = entries
    a.rename(out / "swap")
    b.rename(a)
    (out / "swap").rename(b)
    done = cli("run", "--config", small_project, "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("records the key") == 2
    new = pd.read_parquet((out / "latest").resolve() / "scores.parquet")
    old = pd.read_parquet((first_run[0] / "latest").resolve() / "scores.parquet")
    assert new["change"].notna().all() and old["change"].isna().all()
    pd.testing.assert_frame_equal(new.drop(columns="change"), old.drop(columns="change"))
