"""Small demo projects for the flow tests (imported by name: pyproject puts tests/ on the path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from forewarn.flows import write_demo_project

#: A demo world small enough for end-to-end tests: 40 regions in 4 countries, 2012-2020.
SMALL = dict(n_regions=40, n_countries=4, start_year=2012, end_year=2020)


def small_demo(folder):
    """The demo project on a small world, with light model settings so tests stay quick."""
    path = write_demo_project(folder, **SMALL)
    text = path.read_text().replace("max_iter = 100\nn_bootstrap = 10",
                                    "max_iter = 40\nn_bootstrap = 4")
    assert "n_bootstrap = 4" in text
    path.write_text(text)
    return path


def index_only_demo(folder):
    """The small demo project without its outcome: every stage runs and publishes (the index
    scores), no model is trained. For tests of a run's mechanics (locks, schedules, signals)
    that a model would only slow down."""
    path = small_demo(folder)
    text = path.read_text()
    assert 'outcome = "outcome.csv"\n' in text
    path.write_text(text.replace('outcome = "outcome.csv"\n', ""))
    return path


def forecast_stages(config, progress=None):
    """The forecast flow's plain stages in order in this process, publishing nothing (what its
    tasks call; no Prefect)."""
    from forewarn.flows._run import STAGES, Progress, finish_stages, prepare_stage, validate_stage

    progress = progress or Progress(len(STAGES), quiet=True)
    project, specs = validate_stage(config, progress)
    prepared = prepare_stage(project, specs.features, progress)
    return finish_stages(project, prepared, specs, progress, None)


def backtest_stages(config, out=None, quiet=True):
    """The backtest flow's plain stages in order in this process (what its tasks call; no
    Prefect), published to ``out`` (default the config's output folder)."""
    from forewarn.flows._backtest import (
        backtest_horizon,
        backtest_inputs,
        combine,
        format_summary,
        publish_backtest,
    )
    from forewarn.flows._run import Progress

    progress = Progress(len(config.horizons) + 2, quiet=quiet)
    inputs = backtest_inputs(config, progress)
    run = combine([backtest_horizon(inputs, h, progress) for h in config.horizons], inputs)
    publish_backtest(run, inputs, out or config.output_dir, progress)
    if not quiet:
        print(format_summary(run), flush=True)
    return run


def cli(*args):
    """The command line in this process, as ``forewarn`` would run it: the exit status and
    what it printed (``returncode``, ``stdout``, ``stderr``, as from :func:`forewarn`). Flows
    run on the session's Prefect test server (use the ``prefect_server`` fixture)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout
    from types import SimpleNamespace

    from forewarn.flows.cli import _run

    out, err = io.StringIO(), io.StringIO()
    debug = os.environ.get("FOREWARN_DEBUG")
    os.environ["FOREWARN_DEBUG"] = "1"
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = _run([str(a) for a in args])
    finally:
        if debug is None:
            os.environ.pop("FOREWARN_DEBUG")
        else:
            os.environ["FOREWARN_DEBUG"] = debug
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def forewarn(*args, timeout=600, **kw):
    """The installed command in a fresh process (as a user runs it)."""
    env = {**os.environ, "FOREWARN_DEBUG": "1"}
    return subprocess.run([sys.executable, "-m", "forewarn", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, **kw)


#: The annual country-year project below: 24 countries in 4 world regions, 1990-2015.
COUNTRY_YEARS = dict(n_countries=24, first_year=1990, last_year=2015)

_COUNTRY_CATALOGUE = """
[indicators.gdp_per_capita]
label = "GDP per capita"
unit = "USD"
source = "synthetic"
frequency = "annual"
publication_lag_days = 180
direction = -1
transform = "log"
valid_min = 0

[indicators.conflict_deaths]
label = "Conflict deaths"
unit = "deaths"
source = "synthetic"
frequency = "annual"
publication_lag_days = 90
direction = 1
transform = "log"
valid_min = 0

[indicators.reform]
label = "Reform flag"
unit = "-"
source = "synthetic"
frequency = "annual"
publication_lag_days = 0
direction = 0
valid_min = 0
valid_max = 1
description = "1 from the year a country reformed its courts; no defensible risk direction."
"""


def country_year_project(folder, seed: int = 7, workers: int = 1, extra: str = "") -> Path:
    """An annual country-year project as an analyst brings it: an undirected indicator
    (``reform``, direction 0), a regions table without geometry (``regions.csv``), no
    ``[index]`` section (the default index names indicators it does not have) and a backtest
    over four yearly origins. The outcome is a rare annual event drawn from a stated model
    in which ``reform`` raises the risk. Returns the config path.
    """
    import numpy as np
    import pandas as pd

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n, first, last = (COUNTRY_YEARS[k] for k in ("n_countries", "first_year", "last_year"))
    ids = [f"C{i:02d}" for i in range(n)]
    years = np.arange(first, last + 1)
    pd.DataFrame({"region_id": ids, "name": [f"Country {i}" for i in range(n)],
                  "parent_id": [f"R{i % 4}" for i in range(n)]}).to_csv(
        folder / "regions.csv", index=False)
    wealth = rng.normal(0, 1, n)
    gdp = np.exp(8 + wealth[:, None] + 0.02 * (years - first) + rng.normal(0, 0.1, (n, len(years))))
    conflict = np.where(rng.random((n, len(years))) < 0.25 - 0.08 * wealth[:, None],
                        rng.gamma(2, 200, (n, len(years))), 0.0).round()
    reform_year = rng.integers(first, last + 8, n)
    reform = (years[None, :] >= reform_year[:, None]).astype(float)
    logit = -3.8 + 0.9 * np.log1p(conflict) / 3 - 0.6 * wealth[:, None] + 1.2 * reform
    event = (rng.random((n, len(years))) < 1 / (1 + np.exp(-logit))).astype(int)
    rows, outcome = [], []
    for i, rid in enumerate(ids):
        for j, year in enumerate(years):
            rows += [(rid, "gdp_per_capita", str(year), round(float(gdp[i, j]), 2)),
                     (rid, "conflict_deaths", str(year), float(conflict[i, j])),
                     (rid, "reform", str(year), reform[i, j])]
            outcome.append((rid, str(year), int(event[i, j])))
    pd.DataFrame(rows, columns=["region_id", "indicator", "period", "value"]).to_csv(
        folder / "observations.csv", index=False)
    pd.DataFrame(outcome, columns=["region_id", "period", "value"]).to_csv(
        folder / "outcome.csv", index=False)
    (folder / "catalogue.toml").write_text(_COUNTRY_CATALOGUE, encoding="utf-8")
    (folder / "forewarn.toml").write_text(f"""
[project]
name = "country-years"
frequency = "annual"
start = "{first}"
seed = {seed}
outcome_label = "a rare annual event"
outcome_short = "event"

[inputs]
regions = "regions.csv"
observations = ["observations.csv"]
catalogue = "catalogue.toml"
outcome = "outcome.csv"
outcome_lag_days = 0

[forecast]
as_of = "{last}-12-31"
horizons = [12]

[features]
lags = [1]
changes = []
rolling_mean = []
history = 0
crisis_kinds = []

[model]
kind = "elastic_net"
train_every = 12

[model.elastic_net]
Cs = [0.1, 1.0]
l1_ratios = [0.5]
n_splits = 3
n_bootstrap = 3
tol = 1e-3

[model.additive]
max_iter = 30
n_bootstrap = 3

[backtest]
first_origin = "{last - 5}-12"
last_origin = "{last - 2}-12"
step_months = 12
min_train_months = 96
workers = {workers}
top_k = [3, 6]
{extra}""", encoding="utf-8")
    return folder / "forewarn.toml"
