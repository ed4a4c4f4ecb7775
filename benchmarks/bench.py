"""Benchmarks at scale: wall time and peak memory of each stage, each in a fresh process.

    python benchmarks/bench.py [--quick] [--only STEP[,STEP...]] [--out FILE] [--work DIR]

(or ``python -m benchmarks.bench`` from the repository root). A plain script beside the
package, not part of it: the wheel does not ship it. Scaling over Dask workers (the grid flow
with 1 and with N workers, per stage) is ``benchmarks/scaling.py``.

Steps (``--only`` runs the named ones and the steps they need):

``demo``
    The demo world end to end in a cold process: ``forewarn run``, its stage timings read from
    the run's ``manifest.json``.
``grid``
    Generate the grid world (``make_grid_world``) and its crisis events
    (``grid_crisis_events``) and write them to the work folder: the cube the next steps read.
``panel``
    The as-of panel (``build_panel_dense``, ``panel_age_dense``) and the features
    (``build_features``) on dask, chunked over regions, read from and written to disk.
``pandas``
    The reference: the same per-indicator features with plain pandas (``groupby`` on region,
    ``shift``, ``rolling``) on a subset of cells, checked against ``panel``'s output.
``train``
    Fit both model families (``n_bootstrap=0``) on a sample of the grid's training rows.
``explain``
    Exact explanations of every cell at the origin (``forewarn.models.explain``) next to
    ``shap.TreeExplainer`` / ``shap.LinearExplainer`` on the same models.
``flow``
    The demo world through ``forewarn run --dask local``; then the grid world written as a
    project (``forewarn init --grid``: a Zarr cube) and run end to end with
    ``forewarn run --dask local``, its peak the summed memory of the flow and its workers.

Every step runs in its own process; its peak memory is that process's maximum resident set
(``os.wait4``'s resource usage, the per-child form of ``getrusage(RUSAGE_CHILDREN)``), so steps
do not pollute each other. The table is printed and written as CSV and Markdown. ``--quick``
uses a small grid (5,000 cells × 120 months) for a smoke run; targets are judged on the full
grid only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["STEPS", "SIZES", "BenchSize", "main"]


@dataclass(frozen=True)
class BenchSize:
    """One benchmark size: the grid and the samples taken from it.

    Parameters
    ----------
    name : str
        "full" or "quick".
    n_rows, n_cols : int
        Grid shape; cells = n_rows × n_cols. [cells]
    n_months : int
        Length of the grid world, from January 2000. [months]
    train_rows : int
        Training rows sampled for the models. [rows]
    reference_cells : int
        Cells the pandas reference is timed on (its time is scaled to the whole grid). [cells]
    chunk : int
        Regions per dask chunk. [regions]
    """

    name: str
    n_rows: int
    n_cols: int
    n_months: int
    train_rows: int
    reference_cells: int
    chunk: int

    @property
    def cells(self) -> int:
        return self.n_rows * self.n_cols


SIZES = {
    "full": BenchSize("full", 260, 250, 360, 50_000, 6_500, 4096),
    "quick": BenchSize("quick", 100, 50, 120, 5_000, 5_000, 1024),
}

#: Steps in running order, each with the steps whose output it reads.
STEPS = {
    "demo": (),
    "grid": (),
    "panel": ("grid",),
    "pandas": ("grid", "panel"),
    "train": ("grid", "panel"),
    "explain": ("grid", "panel", "train"),
    "flow": (),
}

#: Features of the grid benchmark: every transform that slides along time, plus crisis context
#: and a spatial lag, so each kind of work is measured.
GRID_FEATURES = {"lags": (3,), "changes": (6,), "rolling_mean": (12,), "history": 36,
                 "carry_forward": 2, "spatial_lag": ("displaced",)}
#: The models' columns: each indicator's level and its value against its history, the crisis
#: context, displacement next door and its change (40 with the demo catalogue).
MODEL_SUFFIXES = ("", "__rel36")
MODEL_EXTRA = ("displaced__splag", "displaced__change6")
HORIZON = 12  # [months]
OUTCOME_LAG = 3  # months from the end of a month until its outcome is known [months]
HISTORY = 36  # training rows start once the history window is full [months]
TARGETS = {"panel": (180.0, 8.0), "explain": (2.0, 100.0), "flow": (1200.0, 16.0)}


# --------------------------------------------------------------------------- the parent

def main(argv=None) -> int:
    """Run the benchmark steps, print the table and write it as CSV and Markdown."""
    args = _parser().parse_args(argv)
    if args.step:
        return _child(args)
    size = SIZES["quick" if args.quick else "full"]
    chosen = _plan(args.only)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="forewarn-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows, failed = [], set()
    try:
        for step in chosen:
            broken = [s for s in STEPS[step] if s in failed]
            if broken:
                failed.add(step)
                rows.append(_row(step, "whole step", size, main=True,
                                 note=f"not run: needs {', '.join(broken)}, which failed"))
                continue
            done = _run_step(step, size, work)
            if any(r.get("note", "").startswith("failed") for r in done):
                failed.add(step)
            rows += done
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    _compare(rows, size)
    table = _markdown(rows, size)
    print(table)
    stem = Path(args.out)
    stem = stem.with_suffix("") if stem.suffix in (".csv", ".md") else stem
    stem.parent.mkdir(parents=True, exist_ok=True)
    _write_csv(rows, stem.with_suffix(".csv"))
    stem.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    print(f"\nwrote {stem.with_suffix('.csv')} and {stem.with_suffix('.md')}", file=sys.stderr)
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python benchmarks/bench.py",
                                description="Time and peak memory of forewarn's stages at "
                                            "scale, each step in a fresh process.")
    p.add_argument("--quick", action="store_true",
                   help="small grid (5,000 cells x 120 months), for a smoke run")
    p.add_argument("--only", default="",
                   help=f"comma-separated steps among {', '.join(STEPS)} (with the steps they "
                        "need); default all")
    p.add_argument("--out", default="forewarn-bench",
                   help="results file stem: writes STEM.csv and STEM.md (default ./forewarn-bench)")
    p.add_argument("--work", default=None,
                   help="folder for the grid and the features (kept); default a temporary one")
    for hidden in ("--step", "--size", "--result"):
        p.add_argument(hidden, help=argparse.SUPPRESS)
    return p


def _plan(only: str) -> list[str]:
    names = [n.strip() for n in only.split(",") if n.strip()] or list(STEPS)
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        _parser().error(f"--only names unknown step(s) {', '.join(unknown)}; choose among "
                        f"{', '.join(STEPS)}.")
    wanted = set(names)
    for n in names:
        wanted.update(STEPS[n])
    return [s for s in STEPS if s in wanted]


def _run_step(step: str, size: BenchSize, work: Path) -> list[dict]:
    """Run one step in a fresh process: its rows, with wall time and peak memory added."""
    result = work / f"{step}.result.json"
    result.unlink(missing_ok=True)
    log = work / f"{step}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--size", size.name,
               "--work", str(work), "--result", str(result)]
    print(f"[bench] {step} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env=_quiet_env(work))
        # wait4 reaps this one child and returns its own resource usage (ru_maxrss in KiB on
        # Linux, the maximum over it and the processes it waited for).
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    peak = usage.ru_maxrss / 2**20
    if process.returncode != 0 or not result.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        return [_row(step, "whole step (cold process)", size, wall, peak, main=True,
                     note=f"failed (exit {process.returncode}): {' | '.join(tail)}")]
    rows = json.loads(result.read_text(encoding="utf-8"))
    head = next((r for r in rows if r.get("main")), None)
    if head is None:
        head = {"measure": "whole step (cold process)", "main": True}
        rows.insert(0, head)
    # The main row carries the process's peak memory, and its wall time unless it measured a
    # narrower span itself.
    if not head.get("note", "").startswith("not run"):
        head["peak_gib"] = peak
        if head.get("seconds") is None:
            head["seconds"] = wall
    for row in rows:
        row["step"] = step
        row.setdefault("size", _size_text(size) if step != "demo" else "demo world")
    print(f"[bench] {step}: {wall:.1f} s, peak {peak:.2f} GiB", file=sys.stderr, flush=True)
    return rows


def _quiet_env(work: Path) -> dict:
    env = dict(os.environ)
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    env.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    env.setdefault("DASK_TEMPORARY_DIRECTORY", str(work / "dask"))
    return env


def _row(step, measure, size, seconds=None, peak=None, **extra) -> dict:
    return {"step": step, "measure": measure,
            "size": _size_text(size) if step != "demo" else "demo world",
            "seconds": seconds, "peak_gib": peak, **extra}


def _size_text(size: BenchSize) -> str:
    return f"{size.cells:,} cells x {size.n_months} months"


def _compare(rows: list[dict], size: BenchSize) -> None:
    """Put the pandas reference next to the panel step and judge the targets (full grid only)."""
    whole = next((r for r in rows if r["step"] == "panel" and r.get("main")), None)
    reference = next((r for r in rows if r["step"] == "pandas" and "scaled_seconds" in r), None)
    if whole and reference and not whole.get("note", "").startswith("failed"):
        whole.update(reference="pandas groupby + rolling (features only)",
                     reference_seconds=reference["scaled_seconds"],
                     speedup=reference["scaled_seconds"] / whole["seconds"])
    for row in rows:
        row["target"], row["met"] = _target(row, size)


def _target(row, size) -> tuple[str, str]:
    """The target a row is judged against, and whether it was met ("" when not judged)."""
    grid_flow = row["step"] == "flow" and row["measure"].startswith("grid world")
    if (row["step"] == "panel" and row.get("main")) or grid_flow:
        seconds, gib = TARGETS["flow" if grid_flow else "panel"]
        text = f"< {seconds:.0f} s and < {gib:.0f} GiB"
    elif row["step"] == "explain" and row["measure"].startswith("explain "):
        seconds, speedup = TARGETS["explain"]
        tree = "Tree" in row.get("reference", "")
        text = f"< {seconds:.0f} s" + (f" and >= {speedup:.0f}x" if tree else "")
    else:
        return "", ""
    if row.get("seconds") is None or row.get("note", "").startswith("failed"):
        return text, ""
    if size.name != "full":
        return text, "n/a (quick)"
    if row["step"] in ("panel", "flow"):
        ok = row["seconds"] < seconds and row["peak_gib"] < gib
    else:
        ok = row["seconds"] < seconds and (not tree or row.get("speedup", 0) >= speedup)
    return text, "yes" if ok else "NO"


_COLUMNS = ("step", "measure", "size", "seconds", "peak_gib", "reference", "reference_seconds",
            "speedup", "target", "met", "note")
_HEADERS = ("step", "measure", "size", "time [s]", "peak memory [GiB]", "reference",
            "reference time [s]", "speed-up [x]", "target", "met", "note")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    return str(value).replace("|", "/")


def _markdown(rows, size) -> str:
    lines = [f"forewarn benchmark, {size.name} size - {time.strftime('%Y-%m-%d')} - "
             f"{_machine()}", "",
             "| " + " | ".join(_HEADERS) + " |", "|" + "---|" * len(_HEADERS)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in _COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def _write_csv(rows, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=("date", "machine") + _COLUMNS,
                                extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({"date": time.strftime("%Y-%m-%d"), "machine": _machine(), **r})


def _machine() -> str:
    """CPU count, memory and versions, for the table's heading."""
    total = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kib = int(fh.readline().split()[1])
        total = f", {kib / 2**20:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import dask
    import pandas
    import xarray

    return (f"{os.cpu_count()} CPUs{total}, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, numpy {np.__version__}, pandas "
            f"{pandas.__version__}, xarray {xarray.__version__}, dask {dask.__version__}")


# --------------------------------------------------------------------------- the children

def _child(args) -> int:
    size = SIZES[args.size]
    work = Path(args.work)
    rows = _STEP_FUNCTIONS[args.step](size, work)
    Path(args.result).write_text(json.dumps(rows, default=float), encoding="utf-8")
    return 0


class _Timer:
    """Wall time of a block. [s]"""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def _step_demo(size, work) -> list[dict]:
    return _demo_run(work / "demo-run", [], "forewarn run")


def _forewarn(arguments):
    """Run the command line in a fresh process; raise with its last words when it fails."""
    done = subprocess.run([sys.executable, "-m", "forewarn", *arguments], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"forewarn {' '.join(arguments)} failed (exit {done.returncode}): "
                         f"{done.stderr.strip()[-500:]}")


def _demo_run(out: Path, options: list[str], title: str) -> list[dict]:
    """``forewarn run`` on the demo world: its wall time and its stages from the manifest."""
    with _Timer() as t:
        _forewarn(["run", "--out", str(out), "--quiet", *options])
    rows = [{"measure": f"{title} (cold process)", "seconds": t.seconds, "main": True,
             "size": "demo world"}]
    manifests = sorted(out.glob("runs/*/manifest.json"))
    if manifests:
        timings = json.loads(manifests[-1].read_text(encoding="utf-8")).get("timings", {})
        rows += [{"measure": f"  stage: {name}", "seconds": float(seconds), "size": "demo world"}
                 for name, seconds in _flat_timings(timings)]
    return rows


def _flat_timings(timings, prefix=""):
    """(stage, seconds) pairs from a manifest's timings, nested tables joined with '/'."""
    for name, value in timings.items():
        if isinstance(value, dict):
            yield from _flat_timings(value, f"{prefix}{name}/")
        elif isinstance(value, (int, float)):
            yield f"{prefix}{name}", value


def _step_grid(size, work) -> list[dict]:
    from forewarn.features import grid_crisis_events, make_grid_world

    with _Timer() as t_grid:
        world = make_grid_world(size.n_rows, size.n_cols, size.n_months)
    with _Timer() as t_events:
        events = grid_crisis_events(world.data)
    with _Timer() as t_write:
        cube = work / "cube"
        cube.mkdir(exist_ok=True)
        for name, var in world.data.data_vars.items():
            np.save(cube / f"{name}.npy", var.values)
        events.to_parquet(work / "crisis_events.parquet")
        world.regions.to_parquet(work / "regions.parquet")
        meta = {"regions": world.data["region"].values.tolist(),
                "start": str(world.data["time"].values[0])[:10], "n_months": size.n_months}
        (work / "grid.json").write_text(json.dumps(meta), encoding="utf-8")
    return [{"measure": "grid world, its crisis events, written to disk (cold process)",
             "main": True},
            {"measure": "  make_grid_world", "seconds": t_grid.seconds},
            {"measure": "  grid_crisis_events", "seconds": t_events.seconds,
             "note": f"{len(events):,} events"},
            {"measure": "  write the cube (.npy per variable)", "seconds": t_write.seconds}]


def _grid(size, work, chunk=None, cells=None):
    """The cube (dask, read block by block from the .npy files), catalogue, events, regions."""
    import dask.array as da
    import geopandas as gpd
    import pandas as pd
    import xarray as xr

    from forewarn.features import demo_catalogue

    meta = json.loads((work / "grid.json").read_text(encoding="utf-8"))
    catalogue = demo_catalogue()
    n = len(meta["regions"]) if cells is None else cells
    times = pd.date_range(meta["start"], periods=meta["n_months"], freq="MS")
    data = {}
    for name in list(catalogue) + ["surge"]:
        source = _NpyFile(work / "cube" / f"{name}.npy")
        attrs = catalogue[name].to_attrs() if name in catalogue else {}
        array = (da.from_array(source, chunks=(chunk, -1), asarray=True)[:n] if chunk
                 else source[0:n])
        data[name] = (("region", "time"), array, attrs)
    cube = xr.Dataset(data, coords={"region": meta["regions"][:n], "time": times})
    events = pd.read_parquet(work / "crisis_events.parquet")
    regions = gpd.read_parquet(work / "regions.parquet").iloc[:n]
    return cube, catalogue, events, regions


def _as_of(cube) -> str:
    """The grid's last day: the panel covers every month."""
    import pandas as pd

    last = pd.Timestamp(cube["time"].values[-1])
    return str((last + pd.offsets.MonthEnd(0)).date())


def _step_panel(size, work) -> list[dict]:
    import dask
    import dask.array as da

    from forewarn.features import (FeatureSpec, build_features, build_panel_dense,
                                   panel_age_dense)

    with _Timer() as t_graph:
        cube, catalogue, events, regions = _grid(size, work, chunk=size.chunk)
        as_of = _as_of(cube)
        panel = build_panel_dense(cube, catalogue, as_of)
        age = panel_age_dense(cube, catalogue, as_of)
        features = build_features(panel, catalogue, events, regions,
                                  FeatureSpec(**GRID_FEATURES), age=age)
    with _Timer() as t_compute:
        folder = work / "features"
        folder.mkdir(exist_ok=True)
        names = list(features.data_vars)
        targets = [_NpyFile(folder / f"{n}.npy", features[n].shape, features[n].dtype)
                   for n in names]
        # One graph, chunk by chunk into the files: nothing the size of the grid is held.
        with dask.config.set(scheduler="threads"):
            da.store([features[n].data for n in names], targets, lock=False)
    meta = {n: {"attrs": _json_attrs(features[n].attrs), "dtype": str(features[n].dtype)}
            for n in names}
    (work / "features.json").write_text(json.dumps({"as_of": as_of, "features": meta}),
                                        encoding="utf-8")
    return [{"measure": f"as-of panel + {len(names)} features (dask, {size.chunk} regions a "
                        "chunk), written to disk (cold process)", "main": True,
             "note": f"{len(catalogue)} indicators; crisis context eager"},
            {"measure": "  build the lazy graph (crisis context, contiguity)",
             "seconds": t_graph.seconds},
            {"measure": "  compute + write", "seconds": t_compute.seconds}]


def _json_attrs(attrs) -> dict:
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in attrs.items()
            if isinstance(v, (str, int, float, np.generic))}


def _step_pandas(size, work) -> list[dict]:
    import pandas as pd

    from forewarn.features import FeatureSpec, build_panel_dense, panel_age_dense

    cells = min(size.reference_cells, size.cells)
    cube, catalogue, _, _ = _grid(size, work, cells=cells)
    as_of = _as_of(cube)
    panel = build_panel_dense(cube, catalogue, as_of).to_dataframe()
    age = panel_age_dense(cube, catalogue, as_of).to_dataframe()
    spec = FeatureSpec(**GRID_FEATURES)
    with _Timer() as t:
        reference = _pandas_features(panel, age, catalogue, spec)
    gap = 0.0
    for name, series in reference.items():
        ours = _NpyFile(work / "features" / f"{name}.npy")[0:cells].astype("float64")
        theirs = series.to_numpy(dtype="float64").reshape(ours.shape)
        if not np.array_equal(np.isnan(ours), np.isnan(theirs)):
            raise SystemExit(f"the pandas reference and build_features disagree on which "
                             f"values of {name} are missing")
        scale = np.maximum(np.abs(theirs), 1.0)
        gap = max(gap, float(np.nanmax(np.abs(ours - theirs) / scale, initial=0.0)))
    scaled = t.seconds * size.cells / cells
    return [{"measure": f"pandas reference, {len(reference)} features on {cells:,} cells",
             "main": True, "seconds": t.seconds, "scaled_seconds": scaled,
             "note": f"scaled x{size.cells / cells:.0f} to the grid: {scaled:.0f} s; max "
                     f"relative difference from ours {gap:.1e}"}]


def _pandas_features(panel, age, catalogue, spec) -> dict:
    """The per-indicator features of ``build_features``, written the straightforward pandas way.

    ``panel`` and ``age``: DataFrames indexed by (region, time), one column per indicator.
    """
    from forewarn.features import FLAG_SUFFIX, FREQUENCIES, PER_CAPITA_SCALE

    kept, out = {}, {}
    for ind_id in catalogue:
        ind = catalogue[ind_id]
        lag_months = -(-ind.publication_lag_days // 28)
        overdue = np.floor((age[ind_id] - lag_months) / FREQUENCIES[ind.frequency]).clip(lower=0)
        kept[ind_id] = panel[ind_id].where(~(overdue > spec.carry_forward))
        out[ind_id + FLAG_SUFFIX] = ((overdue >= 1) & (overdue <= spec.carry_forward))
    for ind_id in catalogue:
        ind = catalogue[ind_id]
        raw = kept[ind_id]
        if ind.transform == "per_capita" or ind_id in spec.per_capita:
            population = kept[ind.per_capita_of]
            raw = raw / population.where(population > 0) * PER_CAPITA_SCALE
        base = np.log1p(raw) if ind.transform == "log" else raw
        linear = raw
        by_region = base.groupby(level="region", sort=False)
        out[ind_id] = base
        for k in spec.lags:
            out[f"{ind_id}__lag{k}"] = by_region.shift(k)
        for k in spec.changes:
            out[f"{ind_id}__change{k}"] = base - by_region.shift(k)
        for k in spec.rolling_mean:
            out[f"{ind_id}__mean{k}"] = by_region.rolling(
                k, min_periods=(k + 1) // 2).mean().droplevel(0)
        if spec.history:
            k = spec.history
            earlier = linear.groupby(level="region", sort=False).shift(1)
            usual = earlier.groupby(level="region", sort=False).rolling(
                k, min_periods=(k + 1) // 2).median().droplevel(0)
            out[f"{ind_id}__rel{k}"] = linear / usual.where(usual > 0)
    return out


def _design(work):
    """Model columns, their risk directions, the grid's time steps."""
    import pandas as pd

    meta = json.loads((work / "features.json").read_text(encoding="utf-8"))
    features = meta["features"]
    columns = [n for n in features
               if any(n == ind + s for ind in _indicators(features) for s in MODEL_SUFFIXES)
               or n.startswith("crisis_") or n in MODEL_EXTRA]
    directions = {n: int(features[n]["attrs"].get("direction", 0)) for n in columns}
    grid = json.loads((work / "grid.json").read_text(encoding="utf-8"))
    times = pd.date_range(grid["start"], periods=grid["n_months"], freq="MS")
    return columns, directions, times


def _indicators(features) -> set[str]:
    return {a["attrs"]["indicator"] for a in features.values() if "indicator" in a["attrs"]}


def _read_rows(work, columns, regions, steps, region_ids, times):
    """A DataFrame of the feature values at (regions[i], steps[i]), indexed (region, time)."""
    import pandas as pd

    data = {}
    for name in columns:
        values = _NpyFile(work / "features" / f"{name}.npy")
        data[name] = values[0:values.shape[0]][regions, steps].astype("float64")
    index = pd.MultiIndex.from_arrays([np.asarray(region_ids)[regions], times[steps]],
                                      names=["region", "time"])
    return pd.DataFrame(data, index=index)


def _step_train(size, work) -> list[dict]:
    from forewarn.models import AdditiveBoosting, ElasticNetLogit, make_model_card, save_model

    columns, directions, times = _design(work)
    surge = _NpyFile(work / "cube" / "surge.npy")
    surge = surge[0:surge.shape[0]]
    n_r, n_t = surge.shape
    # The target: a surge in the HORIZON months after t, known once t + HORIZON is OUTCOME_LAG
    # months before the last month (as make_target with rule="event" gives).
    total = np.concatenate([np.zeros((n_r, 1)), np.cumsum(surge, axis=1)], axis=1)
    last = n_t - 1 - OUTCOME_LAG - HORIZON
    rng = np.random.default_rng(0)
    n = min(size.train_rows, n_r * (last - HISTORY + 1))
    cell = rng.choice(n_r * (last - HISTORY + 1), size=n, replace=False)
    regions, steps = np.divmod(cell, last - HISTORY + 1)
    steps = steps + HISTORY
    y = (total[regions, steps + HORIZON + 1] - total[regions, steps + 1] > 0).astype(int)
    region_ids = json.loads((work / "grid.json").read_text(encoding="utf-8"))["regions"]
    X = _read_rows(work, columns, regions, steps, region_ids, times)
    X.to_parquet(work / "X_train.parquet")
    rows = []
    for name, model in (("AdditiveBoosting", AdditiveBoosting(directions, n_bootstrap=0)),
                        ("ElasticNetLogit", ElasticNetLogit(n_bootstrap=0))):
        with _Timer() as t:
            model.fit(X, y)
        save_model(model, work / "models" / name, make_model_card(model, X, y))
        rows.append({"measure": f"  fit {name} (n_bootstrap=0)", "seconds": t.seconds,
                     "note": f"{len(X):,} sampled training rows x {len(columns)} features, "
                             f"{y.mean():.1%} events"})
    return rows


def _step_explain(size, work) -> list[dict]:
    import pandas as pd
    import shap

    from forewarn.models import explain, load_model

    columns, _, times = _design(work)
    region_ids = json.loads((work / "grid.json").read_text(encoding="utf-8"))["regions"]
    n_r, k = len(region_ids), len(columns)
    X = _read_rows(work, columns, np.arange(n_r), np.full(n_r, len(times) - 1), region_ids,
                   times)
    rows = []
    boosted, _ = load_model(work / "models" / "AdditiveBoosting")
    (contributions, _), ours = _best_of(explain, boosted, X)
    values, theirs = _best_of(
        lambda data: shap.TreeExplainer(boosted.estimator_).shap_values(data), X.to_numpy())
    gap = np.abs(contributions.to_numpy() - boosted.calibration_slope_ * values).max()
    rows.append(_explain_row("AdditiveBoosting", "shap.TreeExplainer", n_r, k, ours, theirs,
                             f"max abs difference {gap:.1e} log-odds"))

    linear, _ = load_model(work / "models" / "ElasticNetLogit")
    (contributions, _), ours = _best_of(explain, linear, X)
    pipeline = linear.estimator_
    # shap's base is the mean of its background: the training rows, as the model's is.
    background = pipeline[:-1].transform(pd.read_parquet(work / "X_train.parquet").to_numpy())
    masker = shap.maskers.Independent(background, max_samples=len(background))
    values, theirs = _best_of(
        lambda data: shap.LinearExplainer(pipeline[-1], masker).shap_values(
            pipeline[:-1].transform(data)), X.to_numpy())
    per_feature = values[:, :k].copy()
    per_feature[:, pipeline[0].indicator_.features_] += values[:, k:]
    gap = np.abs(contributions.to_numpy() - linear.calibration_slope_ * per_feature).max()
    rows.append(_explain_row("ElasticNetLogit", "shap.LinearExplainer", n_r, k, ours, theirs,
                             f"max abs difference {gap:.1e} log-odds (shap background: the "
                             f"{len(background):,} training rows)"))
    return rows


def _best_of(function, *args, repeats=3):
    """``function(*args)`` and its fastest wall time over ``repeats`` calls. [s]"""
    best = np.inf
    for _ in range(repeats):
        with _Timer() as t:
            out = function(*args)
        best = min(best, t.seconds)
    return out, best


def _explain_row(model, reference, n_r, k, ours, theirs, note) -> dict:
    return {"measure": f"explain {model}, {n_r:,} x {k}", "seconds": ours,
            "reference": reference, "reference_seconds": theirs, "speedup": theirs / ours,
            "note": f"best of 3 calls each; {note}"}


def _step_flow(size, work) -> list[dict]:
    # The step's own peak (os.wait4: its largest process) covers the grid init as well, so it
    # heads the step; the rows below carry their own measures.
    rows = [{"measure": "whole step (cold process; peak = its largest single process)",
             "main": True}]
    rows += [dict(r, main=False) for r in _demo_run(
        work / "demo-run-dask", ["--dask", "local"],
        "demo world through forewarn run --dask local")]
    project = work / "grid-project"
    if not (project / "forewarn.toml").is_file():
        shutil.rmtree(project, ignore_errors=True)
        with _Timer() as t_init:
            _forewarn(["init", str(project), "--grid", "--rows", str(size.n_rows), "--cols",
                       str(size.n_cols), "--months", str(size.n_months)])
        rows.append({"measure": "  forewarn init --grid (write the grid project: Zarr cube, "
                                "regions, outcome)", "seconds": t_init.seconds,
                     "size": _size_text(size)})
    out = work / "grid-run"
    with _Timer() as t:
        peak = _forewarn_tree_peak(["run", "--config", str(project / "forewarn.toml"), "--out",
                                    str(out), "--dask", "local", "--quiet"])
    rows.append({"measure": "grid world through forewarn run --dask local (cold process)",
                 "seconds": t.seconds, "peak_gib": peak, "size": _size_text(size),
                 "note": "peak = summed resident memory of the flow and its Dask workers, "
                         "sampled every 0.5 s"})
    manifests = sorted(out.glob("runs/*/manifest.json"))
    if manifests:
        timings = json.loads(manifests[-1].read_text(encoding="utf-8")).get("timings", {})
        rows += [{"measure": f"  stage: {name}", "seconds": float(seconds),
                  "size": _size_text(size)} for name, seconds in _flat_timings(timings)]
    return rows


def _forewarn_tree_peak(arguments) -> float:
    """Run the command line in a fresh process; the peak of the summed resident memory of it
    and all its descendants (Dask workers are separate processes). [GiB]"""
    import psutil

    process = subprocess.Popen([sys.executable, "-m", "forewarn", *arguments],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(_rss(p) for p in tree))
        except psutil.Error:
            pass
        time.sleep(0.5)
    err = process.stderr.read().decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"forewarn {' '.join(arguments)} failed (exit {process.returncode}): "
                         f"{err.strip()[-500:]}")
    return peak / 2**30


def _rss(process) -> int:
    import psutil

    try:
        return process.memory_info().rss
    except psutil.Error:  # ended between the listing and the reading
        return 0


_STEP_FUNCTIONS = {"demo": _step_demo, "grid": _step_grid, "panel": _step_panel,
                   "pandas": _step_pandas, "train": _step_train, "explain": _step_explain,
                   "flow": _step_flow}


class _NpyFile:
    """A 2-D ``.npy`` file read or written a block of whole rows at a time.

    Plain ``pread``/``pwrite`` rather than a memory map: pages of a mapped file count in the
    process's resident set, which would charge the whole grid to every step's peak memory.
    dask reads (``from_array``) and writes (``store``) through ``[rows, :]`` keys.
    """

    def __init__(self, path, shape=None, dtype=None):
        self.path = Path(path)
        if shape is not None:
            header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                      "fortran_order": False, "shape": tuple(shape)}
            with open(self.path, "wb") as fh:
                np.lib.format.write_array_header_2_0(fh, header)
                fh.truncate(fh.tell() + int(np.prod(shape)) * np.dtype(dtype).itemsize)
        mapped = np.load(self.path, mmap_mode="r")  # reads the header only
        self.offset, self.shape, self.dtype = mapped.offset, mapped.shape, mapped.dtype
        del mapped
        self.ndim = len(self.shape)
        self._row_bytes = int(np.prod(self.shape[1:])) * self.dtype.itemsize

    def _rows(self, key):
        key = key if isinstance(key, tuple) else (key,)
        first, stop, stride = key[0].indices(self.shape[0])
        if stride != 1:
            raise ValueError(f"{self.path.name}: only contiguous row blocks can be read or "
                             f"written; got a stride of {stride}.")
        return first, stop, key[1:]

    def __getitem__(self, key):
        first, stop, rest = self._rows(key)
        block = np.empty((max(stop - first, 0),) + self.shape[1:], dtype=self.dtype)
        with open(self.path, "rb") as fh:
            fh.seek(self.offset + first * self._row_bytes)
            fh.readinto(memoryview(block).cast("B"))
        return block[(slice(None),) + rest]

    def __setitem__(self, key, value):
        first, _, rest = self._rows(key)
        if any(r != slice(None) and r != slice(0, n) for r, n in zip(rest, self.shape[1:])):
            raise ValueError(f"{self.path.name}: only whole rows can be written.")
        block = np.ascontiguousarray(value, dtype=self.dtype)
        fd = os.open(self.path, os.O_WRONLY)
        try:
            os.pwrite(fd, memoryview(block).cast("B"), self.offset + first * self._row_bytes)
        finally:
            os.close(fd)


if __name__ == "__main__":
    raise SystemExit(main())
