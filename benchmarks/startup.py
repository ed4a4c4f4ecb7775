"""Where a demo `forewarn run` spends its time before, between and after forewarn's stages.

    .venv/bin/python benchmarks/startup.py [--home DIR] [--out DIR] [--runs 2] [--same-out]

Runs the embedded demo forecast ``--runs`` times, each in a fresh process as ``forewarn run``
does, against one Prefect home (a new empty one unless ``--home`` is given: the first run is
then the first run ever on the machine, later runs reuse the migrated database), each on a new
output folder (models trained) or, with ``--same-out``, all on one (runs after the first take
their models from its cache, as a second ``forewarn run`` does). Each process
reports, in seconds: importing forewarn's command line and flows (Prefect included), starting
Prefect's temporary server (creating and migrating its SQLite database when new), forewarn's
stages (from the run's timings; publish apart), the flow engine's own time around them, and
process exit (stopping the server); the parent adds the total wall time. A benchmark that
prints figures, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from forewarn.flows._prefect import configure_prefect, start_temporary_server
fresh = not (configure_prefect() / "prefect.db").exists()
server = start_temporary_server()  # as `forewarn run` does first: the server starts aside
import forewarn.flows.cli
from forewarn.flows import _api, _flow  # Prefect and the stages' libraries
t1 = time.perf_counter()
server.ready()
t2 = time.perf_counter()
result = _api.run(None, out=sys.argv[1], quiet=True)
t3 = time.perf_counter()
stages = result.timings
print(json.dumps({"fresh_home": fresh, "import": t1 - t0, "server": t2 - t1,
                  "flow": t3 - t2, "stages": sum(v for k, v in stages.items() if k != "publish"),
                  "publish": stages.get("publish", 0.0), "t_end": time.time()}), flush=True)
"""


def _one(out: Path, env: dict) -> dict:
    start = time.time()
    done = subprocess.run([sys.executable, "-c", _CHILD, str(out)], env=env,
                          capture_output=True, text=True)
    end = time.time()
    if done.returncode != 0:
        raise SystemExit(f"the run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["total"] = end - start
    row["engine"] = row["flow"] - row["stages"] - row["publish"]
    row["exit"] = end - row.pop("t_end")
    row["python"] = row["total"] - row["import"] - row["server"] - row["flow"] - row["exit"]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="Prefect home (default: a new empty one)")
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--same-out", action="store_true",
                        help="every run on one output folder: later runs reuse cached models")
    args = parser.parse_args(argv)
    home = args.home or tempfile.mkdtemp(prefix="forewarn-startup-home-")
    out = Path(args.out or tempfile.mkdtemp(prefix="forewarn-startup-out-"))
    env = {**os.environ, "FOREWARN_PREFECT_HOME": home}
    env.pop("PREFECT_HOME", None)
    env.pop("PREFECT_API_URL", None)
    print(f"Prefect home {home}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
          f"output {out}")
    cols = ("total", "python", "import", "server", "stages", "publish", "engine", "exit")
    print("| run | home | models | " + " | ".join(f"{c} [s]" for c in cols) + " |")
    print("|---|---|---|" + "---|" * len(cols))
    for i in range(args.runs):
        row = _one(out / ("run" if args.same_out else f"run{i}"), env)
        models = "cached" if args.same_out and i else "trained"
        print(f"| {i + 1} | {'new' if row['fresh_home'] else 'reused'} | {models} | "
              + " | ".join(f"{row[c]:.1f}" for c in cols) + " |", flush=True)
    print("\npython: interpreter start; import: forewarn's CLI and flows, Prefect included; "
          "server: waiting, after the imports, for Prefect's server started beside them (its "
          "database created and migrated when new); "
          "stages: forewarn's stages but publish; engine: the flow engine around them; exit: "
          "stopping the server and leaving.")


if __name__ == "__main__":
    main()
