"""Demo backtest, origins one after the other and side by side: wall time and identical tables.

    .venv/bin/python benchmarks/backtest_parallel.py [--workers 1,0] [--dask local] [--out DIR]

Runs the embedded demo world's backtest (9 yearly origins x 2 horizons x 2 model families)
once per ``--workers`` value (1: serial; 0: one process per usable core) and, with ``--dask``,
once on Dask; prints the wall time of each and checks that every table equals the first run's.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

import forewarn
from forewarn.flows._config import demo_config
from forewarn.flows._parallel import usable_cores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,0")
    parser.add_argument("--dask", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="forewarn-bt-"))
    plans = [(int(w), None) for w in args.workers.split(",")]
    if args.dask:
        plans.append((1, args.dask))
    print(f"{platform.node()}: {usable_cores()} usable cores, load {_load()}")
    first, rows = None, []
    for workers, dask in plans:
        config = demo_config(out / f"w{workers}-{dask or 'proc'}")
        sections = copy.deepcopy(config.sections)
        sections["backtest"]["workers"] = workers
        config = dataclasses.replace(config, sections=sections)
        t0 = time.perf_counter()
        run = forewarn.backtest(config, quiet=False, dask=dask)  # the flow, as users run it
        took = time.perf_counter() - t0
        same = "reference"
        if first is None:
            first = run
        else:
            for name in ("overall", "per_origin", "predictions", "coverage"):
                pd.testing.assert_frame_equal(getattr(first, name), getattr(run, name))
            same = "identical"
        rows.append((workers, dask, took, same))
        print(f"workers={workers} dask={dask}: {took:.1f} s, tables {same}; load {_load()}",
              flush=True)
    print("\n| how | wall time [s] | tables |\n|---|---|---|")
    for workers, dask, took, same in rows:
        how = f"Dask {dask}" if dask else ("serial" if workers == 1 else
                                          f"workers = {workers or usable_cores()} processes")
        print(f"| {how} | {took:.1f} | {same} |")


def _load() -> str:
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


if __name__ == "__main__":
    main()
