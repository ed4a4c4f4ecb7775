"""The grid flow on 1 and on N Dask workers: time per stage, speed-up, peak memory.

    python benchmarks/scaling.py [--rows 260 --cols 250 --months 360] [--workers 1,2]
                                 [--work DIR] [--out FILE]

Writes the grid world as a project once (``forewarn init --grid``), then runs
``forewarn run --dask local`` on it in a cold process for each worker count (a LocalCluster of
that many single-threaded worker processes: ``FOREWARN_THREADS`` is set to it), and prints one
table: every stage's time with each worker count, the speed-up against the first count, the
whole run's wall time and the peak of the summed resident memory of the flow process and its
workers (sampled every 0.5 s). It checks that every run published the same scores and
explanations as the first, and prints the machine's load average before and after each run:
on a shared machine the figures move with it. Per run it then prints the peak memory of the
flow, its Prefect server and its workers in each stage, and the run's progress lines with
the second each came at (where the time goes); ``--out FILE`` also writes every sample to
``FILE.N-workers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sampled import run_sampled, stage_table, write_samples  # noqa: E402  (beside this one)
from bench import _forewarn  # noqa: E402  (the script beside this one)

STAGES = ("load and validate inputs", "as-of panel and features", "composite index",
          "train models", "score and explain", "publish")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    work = Path(args.work or tempfile.mkdtemp(prefix="forewarn-scaling-"))
    project = work / f"grid-{args.rows}x{args.cols}x{args.months}"
    if not (project / "forewarn.toml").is_file():
        print(f"[scaling] writing the grid world to {project} ...", file=sys.stderr, flush=True)
        _forewarn(["init", str(project), "--grid", "--rows", str(args.rows), "--cols",
                   str(args.cols), "--months", str(args.months)])
    runs = {}
    for n in counts:
        out = work / f"run-{n}-workers"
        load_before = os.getloadavg()
        os.environ["FOREWARN_THREADS"] = str(n)  # read by the child: n workers on Dask
        start = time.perf_counter()
        sampled = run_sampled(["run", "--config", str(project / "forewarn.toml"), "--out",
                               str(out), "--dask", "local"])
        wall, peak = time.perf_counter() - start, sampled.peak
        run_dir = sorted(out.glob("runs/*/manifest.json"))[-1].parent
        timings = json.loads((run_dir / "manifest.json").read_text())["timings"]
        runs[n] = {"wall": wall, "peak": peak, "timings": timings, "dir": run_dir,
                   "load": (load_before, os.getloadavg()), "sampled": sampled}
        print(f"[scaling] {n} worker(s): {wall:.1f} s, peak {peak:.2f} GiB during "
              f"'{sampled.peak_stage}'", file=sys.stderr, flush=True)
        if args.out:
            write_samples(sampled, Path(args.out).with_suffix(f".{n}-workers.json"))
    same = _same_tables(runs)
    table = _table(runs, counts, args, same)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n", encoding="utf-8")
    return 0 if all(same.values()) else 1


def _parser():
    p = argparse.ArgumentParser(prog="python benchmarks/scaling.py", description=__doc__.split(
        "\n\n")[0])
    p.add_argument("--rows", type=int, default=260)
    p.add_argument("--cols", type=int, default=250)
    p.add_argument("--months", type=int, default=360)
    p.add_argument("--workers", default=f"1,{len(os.sched_getaffinity(0))}",
                   help="comma-separated worker counts (default 1 and every usable core)")
    p.add_argument("--work", help="folder for the project and the runs (kept)")
    p.add_argument("--out", help="also write the table (Markdown) to this file")
    return p


def _same_tables(runs) -> dict:
    """Whether each run published the first run's scores and explanations, exactly."""
    first = next(iter(runs.values()))["dir"]
    same = {}
    for n, run in runs.items():
        same[n] = all(pd.read_parquet(run["dir"] / name).equals(pd.read_parquet(first / name))
                      for name in ("scores.parquet", "explanations.parquet"))
    return same


def _table(runs, counts, args, same) -> str:
    base = counts[0]
    head = " | ".join(f"{n} worker{'s' if n > 1 else ''} [s]" for n in counts)
    lines = [f"grid {args.rows} x {args.cols} cells x {args.months} months, "
             f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs", "",
             f"| stage | {head} | speed-up {base} -> {counts[-1]} |",
             "|---|" + "---:|" * (len(counts) + 1)]
    for stage in STAGES:
        cells = [runs[n]["timings"].get(stage) for n in counts]
        speed = (f"{cells[0] / cells[-1]:.2f}x" if cells[0] and cells[-1] else "")
        lines.append(f"| {stage} | " + " | ".join(f"{c:.1f}" if c is not None else ""
                                                   for c in cells) + f" | {speed} |")
    walls = [runs[n]["wall"] for n in counts]
    lines.append("| **whole run, cold process (wall)** | " + " | ".join(
        f"**{w:.1f}**" for w in walls) + f" | **{walls[0] / walls[-1]:.2f}x** |")
    lines.append("| peak memory, flow + workers summed [GiB] | " + " | ".join(
        f"{runs[n]['peak']:.2f}" for n in counts) + " | |")
    lines.append("| load average (1 min) before -> after | " + " | ".join(
        f"{runs[n]['load'][0][0]:.1f} -> {runs[n]['load'][1][0]:.1f}" for n in counts) + " | |")
    lines.append("| scores and explanations equal to the first run's | " + " | ".join(
        "yes" if same[n] else "NO" for n in counts) + " | |")
    for n in counts:
        sampled = runs[n]["sampled"]
        lines += ["", f"Peak resident memory by stage, {n} worker(s) (the summed peak came "
                      f"during '{sampled.peak_stage}'):", "", stage_table(sampled), "",
                  f"Progress lines, {n} worker(s) (seconds since the process started):", "",
                  "```", *(f"{t:7.1f}  {line}" for t, line in sampled.lines), "```"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
