"""A project's inputs, read and checked together: what `forewarn validate` and every flow start from."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from forewarn.errors import InputError
from forewarn.features._catalogue import Catalogue, load_catalogue
from forewarn.features._demo import DEMO_LABEL, make_demo_world
from forewarn.features._validate import (
    read_regions,
    to_text,
    validate_crisis_events,
    validate_observations,
    validate_outcome,
)
from forewarn.flows._config import Config, demo_config

__all__ = ["Project", "load_project", "write_demo_project", "input_hashes"]


@dataclass(frozen=True)
class Project:
    """Every input of a project, validated and in forewarn's contracts."""

    config: Config
    catalogue: Catalogue
    regions: gpd.GeoDataFrame
    observations: pd.DataFrame
    outcome: pd.DataFrame | None
    crisis_events: pd.DataFrame | None

    @property
    def label(self) -> str | None:
        """The demo label every output carries, or None for real data."""
        return DEMO_LABEL if self.config.demo else None

    def summary(self) -> list[str]:
        """A few lines saying what was read, for the command line."""
        obs = self.observations
        lines = [
            f"regions: {len(self.regions)} ({self.regions['level'].iloc[0]}), "
            f"{self.regions['parent_id'].nunique()} parents",
            f"indicators: {len(self.catalogue)} in the catalogue, {obs['indicator'].nunique()} "
            "observed",
            f"observations: {len(obs):,} values, periods {obs['period'].min()} to "
            f"{obs['period'].max()}, published up to {obs['published'].max():%Y-%m-%d}",
        ]
        if self.outcome is not None:
            lines.append(f"outcome: {len(self.outcome):,} region-periods, "
                         f"{int((self.outcome['value'] > 0).sum()):,} with an event")
        if self.crisis_events is not None:
            kinds = self.crisis_events["kind"].value_counts().to_dict()
            lines.append("crisis events: " + ", ".join(f"{v} {k}" for k, v in kinds.items()))
        if self.config.demo:
            lines.append(DEMO_LABEL)
        return lines


def _named(frame, name):
    frame = frame.copy()
    frame.attrs["name"] = name
    return frame


def load_project(config: Config | None = None) -> Project:
    """Read and check every input named by ``config`` (the embedded demo world when None).

    All files are checked before anything is raised, so one call lists every problem in every
    file.

    Raises
    ------
    forewarn.errors.InputError
    """
    config = config or demo_config()
    if config.embedded:
        world = make_demo_world(seed=config.seed)
        catalogue = world.catalogue
        sources = {
            "regions": _named(world.regions, "<demo regions>"),
            "observations": [_named(world.observations, "<demo observations>")],
            "outcome": _named(world.outcome, "<demo outcome>"),
            "crisis_events": _named(world.crisis_events, "<demo crisis events>"),
        }
    else:
        catalogue = None
        sources = {"regions": config.regions, "observations": list(config.observations),
                   "outcome": config.outcome, "crisis_events": config.crisis_events}
    problems = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    if catalogue is None:
        catalogue = attempt(load_catalogue, config.catalogue)
    regions = attempt(read_regions, sources["regions"])
    ids = None if regions is None else regions.index
    observations = None
    if catalogue is not None:
        parts = [attempt(validate_observations, src, catalogue, ids)
                 for src in sources["observations"]]
        if all(p is not None for p in parts):
            observations = pd.concat(parts, ignore_index=True)
    outcome = (attempt(validate_outcome, sources["outcome"], ids)
               if sources["outcome"] is not None else None)
    events = (attempt(validate_crisis_events, sources["crisis_events"], ids)
              if sources["crisis_events"] is not None else None)
    if problems:
        raise InputError(problems)
    return Project(config, catalogue, regions, observations, outcome, events)


def input_hashes(config: Config) -> dict[str, str]:
    """SHA-256 of every input file (for the run manifest); the demo world is named by its seed."""
    if config.embedded:
        return {"demo_world": f"seed {config.seed}"}
    files = [config.path, config.regions, config.catalogue, config.outcome,
             config.crisis_events, *config.observations]
    out = {}
    for f in files:
        if f is not None and Path(f).is_file():
            h = hashlib.sha256()
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            out[str(f)] = h.hexdigest()
    return out


_README = """# forewarn project: {name}

{label}

This folder is a complete forewarn project, written by `forewarn init`. Edit or replace each file
with your own data, then check it with `forewarn validate --config forewarn.toml`.

| file | what it holds | format |
|---|---|---|
| `forewarn.toml` | the project config: which files, time step, forecast date, horizons, output folder | TOML |
| `catalogue.toml` | one `[indicators.<id>]` table per indicator: label, unit, source, licence, frequency, publication lag, direction (+1 higher is riskier, -1 lower is riskier), transform, valid range, index dimension, whether policy can move it (`lever`) | TOML |
| `regions.gpkg` | one polygon per region: `region_id` (P-code style), `name`, `parent_id` (the country), `level`; EPSG:4326 | GeoPackage |
| `observations.csv` | long table `region_id, indicator, period, value, published`: one value per region, indicator and period (`2015`, `2015-Q1` or `2015-03`); `published` is the date it became public (empty: period end + the catalogue's lag); the same key may appear with several `published` dates (revisions) | CSV, UTF-8 |
| `outcome.csv` | `region_id, period, value`: 1 when a trafficking surge was recorded in the month, else 0 | CSV, UTF-8 |
| `crisis_events.csv` | `region_id, start, end, kind, magnitude`: crisis onsets (empty `end` = ongoing; magnitude = people affected) | CSV, UTF-8 |

Trafficking outcomes and detected-victim counts measure **detection** as much as trafficking: a
state that looks harder finds more victims. forewarn's scores describe conditions that raise risk,
never a finding about any community.
"""


def _toml_value(v) -> str:
    """One value as TOML (the types forewarn's config and catalogue use)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "inf" if v == math.inf else "-inf" if v == -math.inf else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_table(name: str, table: dict) -> str:
    """A TOML table, its nested tables after it (``[name.sub]``)."""
    lines = [f"[{name}]"]
    nested = []
    for key, v in table.items():
        if isinstance(v, dict):
            nested.append(_toml_table(f"{name}.{key}", v))
        else:
            lines.append(f"{key} = {_toml_value(v)}")
    return "\n".join(lines) + "".join("\n\n" + t for t in nested)


def _catalogue_toml(catalogue: Catalogue) -> str:
    blocks = []
    for ind in catalogue.values():
        table = {k: v for k, v in ind.__dict__.items()
                 if k != "id" and not (k in ("valid_min", "valid_max") and math.isinf(v))
                 and not (k in ("description", "licence") and not v)}
        blocks.append(_toml_table(f"indicators.{ind.id}", table))
    return "# Indicator catalogue of the forewarn demo world (fictional).\n\n" + \
        "\n\n".join(blocks) + "\n"


def write_demo_project(directory, seed: int | None = None, **world) -> Path:
    """Write the demo world as an editable project folder; return the config path.

    The folder holds the config, catalogue, regions GeoPackage, observations, outcome and
    crisis-events CSVs and a README on each file. ``forewarn --config DIR/forewarn.toml`` then
    gives the same results as the embedded default. Written to a temporary folder and moved into
    place, so a failure leaves nothing half-written. ``world`` passes ``n_regions``,
    ``n_countries``, ``start_year`` and ``end_year`` to ``make_demo_world`` (smaller worlds for
    tests and tutorials); the config's dates follow them.

    Raises
    ------
    forewarn.errors.InputError
        When ``directory`` exists and is not empty.
    """
    from forewarn.errors import Problem

    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise InputError(Problem(directory, "exists and is not empty; choose a new folder so "
                                 "nothing of yours is overwritten."))
    config = demo_config()
    seed = config.seed if seed is None else seed
    world = make_demo_world(seed=seed, **world)
    first, last = world.times[0].year, world.times[-1].year
    if (first, last) != (2005, 2025):
        config = dataclasses.replace(
            config, start=f"{first}-01", as_of=pd.Timestamp(f"{last}-12-31"),
            sections={**config.sections, "backtest": {
                "first_origin": f"{last - 3}-12", "last_origin": f"{last - 1}-12",
                "step_months": 12, "min_train_months": 24}})
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".forewarn-init-", dir=directory.parent))
    try:
        world.regions.reset_index().to_file(tmp / "regions.gpkg", driver="GPKG")
        to_text(world.observations).to_csv(tmp / "observations.csv", index=False)
        to_text(world.outcome).to_csv(tmp / "outcome.csv", index=False)
        to_text(world.crisis_events).to_csv(tmp / "crisis_events.csv", index=False)
        (tmp / "catalogue.toml").write_text(_catalogue_toml(world.catalogue), encoding="utf-8")
        (tmp / "forewarn.toml").write_text(f"""# forewarn project config. Paths are relative to this file.

[project]
name = "forewarn demo world"
demo = true                 # the data are fictional: every output says DEMO DATA
frequency = "monthly"       # time step of the panel: "monthly" or "annual"
start = "{config.start}"
seed = {seed}

[inputs]
regions = "regions.gpkg"
observations = ["observations.csv"]
catalogue = "catalogue.toml"
outcome = "outcome.csv"
outcome_lag_days = {config.outcome_lag_days}     # a month's outcome is known this many days after it ends
crisis_events = "crisis_events.csv"

[forecast]
as_of = "{config.as_of:%Y-%m-%d}"       # forecast origin; remove to forecast as of today
horizons = {list(config.horizons)}         # months ahead

[output]
dir = "forewarn-out"

""" + "\n\n".join(_toml_table(k, v) for k, v in config.sections.items()) + "\n",
            encoding="utf-8")
        (tmp / "README.md").write_text(_README.format(name="forewarn demo world",
                                                      label=DEMO_LABEL), encoding="utf-8")
        if directory.exists():
            directory.rmdir()
        tmp.rename(directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return directory / "forewarn.toml"
