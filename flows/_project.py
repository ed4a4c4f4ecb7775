"""A project's inputs, read and checked together: what `forewarn validate` and every flow start from."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import hashlib
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from forewarn.datasets import DEMO_LABEL, make_demo_world
from forewarn.errors import InputError, Problem
from forewarn.features import (
    Catalogue,
    has_geometry,
    load_catalogue,
    month_ordinal,
    open_cube,
    read_regions,
    to_text,
    validate_crisis_events,
    validate_observations,
    validate_outcome,
)
from forewarn.flows._config import DEMO_SECTIONS, Config, demo_config

__all__ = ["Project", "load_project", "write_demo_project", "write_grid_project", "input_hashes"]


@dataclass(frozen=True)
class Project:
    """Every input of a project, validated and in forewarn's contracts."""

    config: Config
    catalogue: Catalogue
    regions: gpd.GeoDataFrame
    observations: pd.DataFrame
    outcome: pd.DataFrame | None
    crisis_events: pd.DataFrame | None
    #: Dense (region, month) arrays from a Zarr store, lazily opened; then ``observations`` is
    #: None and the panel comes from ``build_panel_dense``.
    cube: object = None

    @property
    def label(self) -> str | None:
        """The demo label every output carries, or None for real data."""
        return DEMO_LABEL if self.config.demo else None

    @property
    def geometry_note(self) -> str | None:
        """The one line saying what is skipped when the regions have no geometry (else None)."""
        if has_geometry(self.regions):
            return None
        return ("note: the regions have no geometry (a table without polygons), so there are no "
                "maps, no spatial features and no regions.gpkg/GeoJSON; everything else runs.")

    def notes(self) -> list[str]:
        """Lines every flow says once after loading: what is skipped, and the demo label."""
        return [n for n in (self.geometry_note, self.label) if n]

    def inputs_text(self) -> str:
        """What the indicator inputs are, in a few words (for progress lines)."""
        if self.observations is None:
            return (f"a cube of {self.cube.sizes['region']:,} regions x "
                    f"{self.cube.sizes['time']} months")
        return f"{len(self.observations):,} observations"

    def month_range(self) -> tuple[int, int]:
        """Month ordinals of the first and last period start in the inputs."""
        if self.observations is None:
            m = month_ordinal(pd.DatetimeIndex(self.cube["time"].values[[0, -1]]))
            return int(m[0]), int(m[1])
        return int(self.observations["start"].min()), int(self.observations["start"].max())

    def summary(self) -> list[str]:
        """A few lines saying what was read, for the command line."""
        obs = self.observations
        lines = [
            f"regions: {len(self.regions)} ({self.regions['level'].iloc[0]}), "
            f"{self.regions['parent_id'].nunique()} parents",
        ]
        if obs is None:
            times = pd.DatetimeIndex(self.cube["time"].values)
            lines += [f"indicators: {len(self.catalogue)} in the catalogue, all in the cube",
                      f"cube: {self.cube.sizes['region']:,} regions x {len(times)} months, "
                      f"{times[0]:%Y-%m} to {times[-1]:%Y-%m}"]
        else:
            seen = set(obs["indicator"].unique())
            never = [k for k in self.catalogue if k not in seen]
            note = (f"; NO DATA for {', '.join(never[:10])}{' ...' if len(never) > 10 else ''}"
                    " (these play no part: add their data or remove them from the catalogue)"
                    if never else "")
            lines += [
                f"indicators: {len(self.catalogue)} in the catalogue, "
                f"{len(seen)} observed{note}",
                f"observations: {len(obs):,} values, periods {obs['period'].min()} to "
                f"{obs['period'].max()}, published up to {obs['published'].max():%Y-%m-%d}",
            ]
        if self.outcome is not None:
            values = self.outcome["value"]
            if values.isin([0, 1]).all():
                lines.append(f"outcome: {len(self.outcome):,} region-periods, "
                             f"{int((values > 0).sum()):,} with an event")
            else:
                lines.append(f"outcome: {len(self.outcome):,} region-periods of counts "
                             f"(median {values.median():,.0f}, max {values.max():,.0f}); "
                             "[model] target_rule says what counts as an event")
        if self.crisis_events is not None:
            kinds = self.crisis_events["kind"].value_counts().to_dict()
            lines.append("crisis events: " + ", ".join(f"{v} {k}" for k, v in kinds.items()))
        if self.geometry_note:
            lines.append(self.geometry_note)
        if self.config.demo:
            lines.append(DEMO_LABEL)
        return lines


@functools.lru_cache(maxsize=2)
def demo_world(seed: int):
    """The embedded demo world of ``seed``, generated once per process and shared by the
    stages that need it (inputs, the backtest's true probabilities); never modify it."""
    return make_demo_world(seed=seed)


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
        world = demo_world(config.seed)
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
    if regions is not None and not has_geometry(regions):
        problems += _needs_geometry(config)
    ids = None if regions is None else regions.index
    observations = cube = None
    if catalogue is not None and config.cube is not None and ids is not None:
        cube = attempt(open_cube, config.cube, catalogue, ids)
    elif catalogue is not None and sources["observations"]:
        parts = [attempt(validate_observations, src, catalogue, ids)
                 for src in sources["observations"]]
        if all(p is not None for p in parts):
            problems.extend(_conflicts_between_files(parts, sources["observations"]))
            observations = pd.concat(parts, ignore_index=True)
    outcome = (attempt(validate_outcome, sources["outcome"], ids)
               if sources["outcome"] is not None else None)
    events = (attempt(validate_crisis_events, sources["crisis_events"], ids)
              if sources["crisis_events"] is not None else None)
    if problems:
        raise InputError(problems)
    return Project(config, catalogue, regions, observations, outcome, events, cube)


def _conflicts_between_files(parts, sources, limit: int = 20) -> list[Problem]:
    """The same region, indicator, period and publication date in two observation files with
    different values: file order must never decide which value a run uses."""
    if len(parts) < 2:
        return []
    key = ["region_id", "indicator", "start", "published"]
    names = [str(s) if isinstance(s, (str, Path)) else getattr(s, "name", str(s))
             for s in sources]
    tagged = pd.concat([p.assign(_file=i) for i, p in enumerate(parts)], ignore_index=True)
    values = tagged.groupby(key, sort=False)["value"].transform("nunique")
    clash = tagged.loc[values > 1].sort_values([*key, "_file"])
    out = []
    for _, group in clash.groupby(key, sort=False):
        first, other = group.iloc[0], group.iloc[-1]
        if first["_file"] == other["_file"]:
            continue  # within one file: that file's own check reports it
        out.append(Problem(names[other["_file"]], (
            f"region {other['region_id']!r}, indicator {other['indicator']!r}, period "
            f"{other['period']} published {pd.Timestamp(other['published']):%Y-%m-%d} has value "
            f"{other['value']:g} here and {first['value']:g} in {names[first['_file']]}; keep "
            "one, or give each vintage its own 'published' date."), column="value"))
    if len(out) > limit:
        out = out[:limit] + [Problem(names[-1], f"... and {len(out) - limit} more keys with "
                                     "different values in two observation files.")]
    return out


def _needs_geometry(config: Config) -> list[Problem]:
    """What the config asks for that needs region polygons, for a regions table without them."""
    where = str(config.path or "config")
    source = Path(config.regions).name if config.regions is not None else "the regions"
    out = []
    splag = config.section("features").get("spatial_lag")
    if splag:
        out.append(Problem(where, f"[features] 'spatial_lag' is {splag!r} but {source} has no "
                           "geometry, so no region has neighbours; set spatial_lag = [] or give "
                           "a regions file with polygons (GeoPackage, GeoJSON, Shapefile or "
                           "GeoParquet).", column="spatial_lag"))
    maps = config.section("report").get("maps")
    if maps in ("all", "overview"):
        out.append(Problem(where, f"[report] 'maps' is {maps!r} but {source} has no geometry, "
                           "so there is nothing to draw; set maps = \"none\" (the report then "
                           "lists regions without a map) or give a regions file with polygons.",
                           column="maps"))
    return out


def input_hashes(config: Config) -> dict[str, str]:
    """SHA-256 of every input file (for the run manifest); the demo world is named by its seed."""
    if config.embedded:
        return {"demo_world": f"seed {config.seed}"}
    files = [config.path, config.regions, config.catalogue, config.outcome,
             config.crisis_events, *config.observations, config.cube]
    out = {}
    for f in files:
        if f is None:
            continue
        f = Path(f)
        if f.is_file():
            out[str(f)] = _sha256([f])
        elif f.is_dir():  # a Zarr store: every file, by relative path and content
            out[str(f)] = _sha256(sorted(p for p in f.rglob("*") if p.is_file()), root=f)
    return out


def _sha256(files, root=None) -> str:
    """SHA-256 of the files' contents in order; with ``root``, each preceded by its path."""
    h = hashlib.sha256()
    for f in files:
        if root is not None:
            h.update(f.relative_to(root).as_posix().encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


_README = """# forewarn project: {name}

{label}

This folder is a complete forewarn project, written by `forewarn init`. Edit or replace each file
with your own data, then check it with `forewarn validate --config forewarn.toml`.

| file | what it holds | format |
|---|---|---|
| `forewarn.toml` | the project config: which files, time step, forecast date, horizons, output folder | TOML |
| `catalogue.toml` | one `[indicators.<id>]` table per indicator: label, unit, source, licence, frequency, publication lag, direction (+1 higher is riskier, -1 lower is riskier, 0 no direction: models learn it freely, the index leaves it out), transform, valid range, index dimension, whether policy can move it (`lever`) | TOML |
| `regions.gpkg` | one polygon per region: `region_id` (P-code style), `name`, `parent_id` (the country), `level`; EPSG:4326. A CSV table `region_id, name, parent_id` without geometry works too (no maps or spatial features then) | GeoPackage |
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


def _empty_target(directory) -> Path:
    """``directory`` as a Path, refused when it exists and holds anything."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise InputError(Problem(directory, "exists and is not empty; choose a new folder so "
                                 "nothing of yours is overwritten."))
    return directory


@contextlib.contextmanager
def _staged(directory: Path):
    """A temporary folder beside ``directory``, moved into its place when the block succeeds;
    removed otherwise, so a failure leaves nothing half-written."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".forewarn-init-", dir=directory.parent))
    try:
        yield tmp
        if directory.exists():
            directory.rmdir()
        tmp.rename(directory)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


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
    directory = _empty_target(directory)
    config = demo_config()
    seed = config.seed if seed is None else seed
    world = make_demo_world(seed=seed, **world)
    first, last = world.times[0].year, world.times[-1].year
    if (first, last) != (2005, 2025):
        config = dataclasses.replace(
            config, start=f"{first}-01", as_of=pd.Timestamp(f"{last}-12-31"),
            sections={**config.sections, "backtest": {
                "first_origin": f"{last - 3}-12", "last_origin": f"{last - 1}-12",
                "step_months": 12, "min_train_months": 24,
                "models": config.sections["backtest"]["models"]}})
    with _staged(directory) as tmp:
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
    return directory / "forewarn.toml"


#: The grid world's choices: as the demo's, scaled for 65,000 cells (training rows once a
#: year, three bootstrap refits; whole-area maps only, PNG).
GRID_SECTIONS = {
    "features": DEMO_SECTIONS["features"],
    "model": {"kind": "additive", "train_every": 12, "class_breaks": [0.1, 0.2, 0.4],
              "additive": {"max_iter": 100, "n_bootstrap": 3}},
    "index": {"spec": "demo"},
    "report": {"maps": "overview", "formats": ["png"]},
}


def write_grid_project(directory, n_rows: int = 260, n_cols: int = 250, n_months: int = 360,
                       seed: int | None = None) -> Path:
    """Write the grid world (default 65,000 cells × 360 months) as a project folder.

    The indicators go into a Zarr cube (``cube.zarr``, see ``forewarn.features.open_cube``),
    not long tables; the outcome lists the recorded surges only (every other month of the
    known range is quiet). Cells are ``n_rows × n_cols`` squares of half a degree, in 20 × 20
    blocks as parents. Written to a temporary folder and moved into place.

    Raises
    ------
    forewarn.errors.InputError
        When ``directory`` exists and is not empty.
    """
    from forewarn.datasets import make_grid_world
    from forewarn.features import grid_crisis_events, write_cube

    directory = _empty_target(directory)
    seed = demo_config().seed if seed is None else seed
    world = make_grid_world(n_rows=n_rows, n_cols=n_cols, n_months=n_months, seed=seed)
    times = pd.DatetimeIndex(world.data["time"].values)
    surge = world.data["surge"].values
    r, t = np.nonzero(surge)
    outcome = pd.DataFrame({"region_id": world.data["region"].values[r],
                            "period": times[t].strftime("%Y-%m"), "value": 1})
    # The first and last months bound the known range even where no cell had a surge.
    ends = pd.DataFrame({"region_id": world.data["region"].values[0],
                         "period": times[[0, -1]].strftime("%Y-%m"),
                         "value": surge[0, [0, -1]].astype(int)})
    outcome = pd.concat([ends, outcome]).drop_duplicates(["region_id", "period"])
    outcome = outcome.sort_values(["period", "region_id"], kind="stable")
    events = grid_crisis_events(world.data)
    sections = copy.deepcopy(GRID_SECTIONS)
    last = times[-1] + pd.offsets.MonthEnd(0)
    with _staged(directory) as tmp:
        world.regions.reset_index().to_file(tmp / "regions.gpkg", driver="GPKG")
        write_cube(world.data[list(world.catalogue)], tmp / "cube.zarr")
        outcome.to_csv(tmp / "outcome.csv", index=False)
        to_text(events).to_csv(tmp / "crisis_events.csv", index=False)
        (tmp / "catalogue.toml").write_text(_catalogue_toml(world.catalogue), encoding="utf-8")
        (tmp / "forewarn.toml").write_text(f"""# forewarn grid-world project: {n_rows} x {n_cols} cells x {n_months} months (fictional).
# Run it on Dask:  forewarn run --config forewarn.toml --dask local

[project]
name = "forewarn grid world"
demo = true
frequency = "monthly"
start = "{times[0]:%Y-%m}"
seed = {seed}

[inputs]
regions = "regions.gpkg"
cube = "cube.zarr"          # dense (region, month) arrays, one per catalogue indicator
catalogue = "catalogue.toml"
outcome = "outcome.csv"     # recorded surges only; other months in its range are quiet
outcome_lag_days = 90
crisis_events = "crisis_events.csv"

[forecast]
as_of = "{last:%Y-%m-%d}"
horizons = [6, 12]

[output]
dir = "forewarn-out"

""" + "\n\n".join(_toml_table(k, v) for k, v in sections.items()) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(
            f"# forewarn grid world\n\n{DEMO_LABEL}\n\nA {n_rows} x {n_cols} grid of half-degree "
            f"cells, {n_months} months, written by `forewarn init --grid` for scale work. The "
            "indicators are in `cube.zarr` (Zarr, one (region, month) array per catalogue "
            "indicator; a period's value sits at its first month). Run it with\n\n"
            "    forewarn run --config forewarn.toml --dask local\n", encoding="utf-8")
    return directory / "forewarn.toml"
