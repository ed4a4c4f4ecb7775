"""Run a forewarn command in a fresh process and sample the memory of it and its descendants.

``run_sampled`` samples, every 0.5 s, the resident memory of the command's process (the flow),
of its Prefect server and of every other descendant (the Dask workers), and reads the run's
progress lines to know which stage was running at each sample. It reports the peak of the
sum (what the targets are about) and, per stage, the peak of each part: where the memory is.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

__all__ = ["Sampled", "run_sampled", "stage_table"]

_STAGE = re.compile(r"^\[(\d+)/(\d+)\] (.*) \.\.\.$")
ROLES = ("flow", "prefect server", "workers")


@dataclass
class Sampled:
    """What one sampled run measured.

    Attributes
    ----------
    peak : float
        Peak of the summed resident memory of the process and its descendants. [GiB]
    peak_stage : str
        The stage running at that peak.
    stages : dict
        Per stage, the peak of the sum and of each role (flow, Prefect server, workers
        summed). [GiB]
    samples : list of dict
        ``t`` [s], ``stage`` and the resident memory of each role [GiB], every sample.
    lines : list of (float, str)
        The run's progress lines with the seconds since the start they came at.
    """

    peak: float = 0.0
    peak_stage: str = ""
    stages: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)
    lines: list = field(default_factory=list)


def run_sampled(arguments, every: float = 0.5, env=None) -> Sampled:
    """Run ``python -m forewarn ARGUMENTS`` (without ``--quiet``: the stage lines are read) and
    sample its memory; raise SystemExit with the end of its error output when it fails."""
    import psutil

    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "forewarn", *arguments],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    out = Sampled()
    reader = threading.Thread(target=_read_lines, args=(process.stderr, out.lines, start),
                              daemon=True)
    reader.start()
    root = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            parts = dict.fromkeys(ROLES, 0)
            for p in [root, *root.children(recursive=True)]:
                parts[_role(p, root)] += _rss(p)
        except psutil.Error:
            time.sleep(every)
            continue
        t = time.perf_counter() - start
        stage = _stage_at(out.lines)
        sample = {"t": round(t, 1), "stage": stage, **{k: v / 2**30 for k, v in parts.items()}}
        out.samples.append(sample)
        total = sum(parts.values()) / 2**30
        if total > out.peak:
            out.peak, out.peak_stage = total, stage
        row = out.stages.setdefault(stage, {"sum": 0.0, **dict.fromkeys(ROLES, 0.0)})
        row["sum"] = max(row["sum"], total)
        for role in ROLES:
            row[role] = max(row[role], sample[role])
        time.sleep(every)
    reader.join(timeout=10)
    if process.returncode != 0:
        tail = "\n".join(line for _, line in out.lines[-20:])
        raise SystemExit(f"forewarn {' '.join(arguments)} failed (exit {process.returncode}):"
                         f"\n{tail[-1500:]}")
    return out


def _read_lines(stream, lines, start):
    for raw in stream:
        lines.append((time.perf_counter() - start, raw.decode(errors="replace").rstrip()))


def _stage_at(lines) -> str:
    for _, line in reversed(list(lines)):
        m = _STAGE.match(line)
        if m:
            return m.group(3)
    return "start-up"


def _role(process, root) -> str:
    if process.pid == root.pid:
        return "flow"
    try:
        cmd = " ".join(process.cmdline())
    except Exception:  # noqa: BLE001 - ended meanwhile
        return "workers"
    return "prefect server" if ("uvicorn" in cmd or "prefect" in cmd) else "workers"


def _rss(process) -> int:
    import psutil

    try:
        return process.memory_info().rss
    except psutil.Error:  # ended between the listing and the reading
        return 0


def stage_table(sampled: Sampled) -> str:
    """Markdown: per stage, the peak resident memory of the sum and of each part. [GiB]"""
    lines = ["| stage | summed peak [GiB] | flow [GiB] | Prefect server [GiB] | "
             "workers, summed [GiB] |", "|---|---:|---:|---:|---:|"]
    for stage, row in sampled.stages.items():
        lines.append(f"| {stage} | {row['sum']:.2f} | {row['flow']:.2f} | "
                     f"{row['prefect server']:.2f} | {row['workers']:.2f} |")
    return "\n".join(lines)


def write_samples(sampled: Sampled, path) -> None:
    """The samples and progress lines as JSON (for plots, or to look again later)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"samples": sampled.samples, "lines": sampled.lines}, f)
