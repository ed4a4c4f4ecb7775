"""The project config (TOML): loaded once at the entry point, checked, and passed down."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from forewarn.datasets import DEMO_SEED
from forewarn.errors import InputError, Problem
from forewarn.features import read_toml
from forewarn.flows._schema import (
    STRICT,
    ForecastSection,
    InputsSection,
    OutputSection,
    ProjectSection,
    iso_date_problem,
    schema_problems,
)

__all__ = ["Config", "load_config", "demo_config", "ConfigFile", "CONFIG_SECTIONS",
           "DEMO_SECTIONS"]


class ConfigFile(BaseModel):
    """A project config file (``forewarn.toml``), section by section.

    The sections [project], [inputs], [forecast] and [output] are checked when the file is
    loaded; the stages' own sections (features, index, model, backtest, schedules, report) are
    kept as tables here and checked by their specs (``forewarn config --schema`` shows them
    all).
    """

    model_config = STRICT

    project: ProjectSection = Field(default_factory=ProjectSection)
    inputs: InputsSection = Field(default_factory=InputsSection)
    forecast: ForecastSection = Field(default_factory=ForecastSection)
    output: OutputSection = Field(default_factory=OutputSection)
    features: dict = Field({}, description="Which features to build "
                           "(forewarn.features.FeatureSpec).")
    index: dict = Field({}, description="Which composite index to compute.")
    model: dict = Field({}, description="Which model to train and how its output is classed.")
    backtest: dict = Field({}, description="Which origins and models a backtest covers.")
    schedules: dict = Field({}, description="Cron schedules of `forewarn serve`.")
    report: dict = Field({}, description="What a run writes besides its tables.")


#: Sections checked when the config is loaded, by name.
_LOADED = {"project": ProjectSection, "inputs": InputsSection, "forecast": ForecastSection,
           "output": OutputSection}
_OWNED_ELSEWHERE = tuple(k for k in ConfigFile.model_fields if k not in _LOADED)
CONFIG_SECTIONS = tuple(ConfigFile.model_fields)


@dataclass(frozen=True)
class Config:
    """A checked project configuration; paths are absolute.

    Parameters
    ----------
    name : str
        Project name, shown in reports.
    demo : bool
        True when the data are the demo world: every output is then labelled as demo data.
    frequency : {"monthly", "annual"}
        Time step of the panel.
    start : str
        First period of the panel ("2005-01").
    seed : int
        Seed of every random step (models, bootstrap).
    outcome_label, outcome_short : str
        What the probability is the chance of, in words, long and short (reports use them).
    regions, catalogue, outcome, crisis_events : Path or None
        Input files; all None for the embedded demo world.
    observations : tuple of Path
        Observation files (CSV or Parquet), read in order.
    cube : Path or None
        Instead of observation files: a Zarr store of dense (region, month) arrays, one per
        catalogue indicator, for grids too big for long tables (see
        ``forewarn.features.build_panel_dense`` for its contract).
    outcome_lag_days : int
        Days from the end of a month until its outcome is known. [days]
    outcome_missing : {"zero", "unknown"}
        What a region-period without an outcome row is, inside the outcome's years: ``zero``
        (the file lists events only; every other period was quiet) or ``unknown`` (the file
        lists what was reported, as UNODC's detected victims; such periods are left out of
        training and evaluation, never counted as 0).
    as_of : Timestamp or None
        Forecast origin date; None means today.
    horizons : tuple of int
        Forecast horizons. [months]
    output_dir : Path
        Where runs are published.
    sections : dict
        Raw tables of the sections checked by later stages (features, index, model, ...).
    path : Path or None
        The config file; None for the embedded demo.
    """

    name: str = "forewarn project"
    demo: bool = False
    frequency: str = "monthly"
    start: str | None = None
    seed: int = DEMO_SEED
    outcome_label: str = "a recorded surge in human trafficking"
    outcome_short: str = "trafficking surge"
    regions: Path | None = None
    observations: tuple[Path, ...] = ()
    cube: Path | None = None
    catalogue: Path | None = None
    outcome: Path | None = None
    outcome_lag_days: int = 90
    outcome_missing: str = "zero"
    crisis_events: Path | None = None
    as_of: pd.Timestamp | None = None
    horizons: tuple[int, ...] = (12,)
    output_dir: Path = Path("forewarn-out")
    sections: dict = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self):
        # Each field's own checks are the schema's (forewarn.flows._schema); here only what
        # spans fields.
        where = str(self.path or "config")
        problems = []
        if self.frequency == "annual" and any(h % 12 for h in self.horizons):
            problems.append(Problem(where, f"[forecast] 'horizons' is {list(self.horizons)!r} "
                                    "but the project is annual; give whole years in months, "
                                    "e.g. [12, 24].", column="horizons"))
        if not self.embedded and (self.regions is None or self.catalogue is None
                                  or not (self.observations or self.cube)):
            problems.append(Problem(where, "[inputs] needs 'regions', 'observations' (or "
                                    "'cube') and 'catalogue' (or set [project] demo = true and "
                                    "name no inputs to use the embedded demo world)."))
        if self.observations and self.cube is not None:
            problems.append(Problem(where, "[inputs] names both 'observations' and 'cube'; "
                                    "give one of them (long tables or one dense cube).",
                                    column="cube"))
        if problems:
            raise InputError(problems)

    @property
    def embedded(self) -> bool:
        """True when the inputs are the embedded demo world, generated in memory."""
        return (self.demo and self.regions is None and not self.observations
                and self.cube is None)

    def resolved_as_of(self) -> pd.Timestamp:
        """The forecast date: the configured one, or today (UTC) when none is set."""
        if self.as_of is not None:
            return self.as_of
        return pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()

    def section(self, name: str) -> dict:
        """The raw table of a section checked by a later stage ({} when absent)."""
        return dict(self.sections.get(name, {}))

    def describe(self) -> dict:
        """The config as plain JSON-able values (for the run manifest)."""
        return {
            "name": self.name, "demo": self.demo, "frequency": self.frequency,
            "start": self.start, "seed": self.seed, "outcome_label": self.outcome_label,
            "outcome_short": self.outcome_short,
            "regions": _s(self.regions), "observations": [str(p) for p in self.observations],
            "cube": _s(self.cube),
            "catalogue": _s(self.catalogue), "outcome": _s(self.outcome),
            "outcome_lag_days": self.outcome_lag_days,
            "outcome_missing": self.outcome_missing, "crisis_events": _s(self.crisis_events),
            "as_of": str(self.resolved_as_of().date()), "horizons": list(self.horizons),
            "output_dir": str(self.output_dir), "sections": self.sections,
            "path": _s(self.path),
        }


def _s(p):
    return None if p is None else str(p)


#: The demo world's choices for the stages configured in their own sections. Lean on purpose:
#: levels, displacement per head of population (own and next door) and the crisis context;
#: training rows every third month (consecutive months share their target window).
DEMO_SECTIONS = {
    "features": {"lags": [], "changes": [], "rolling_mean": [], "history": 0,
                 "carry_forward": 2, "per_capita": ["displaced", "refugees_hosted"],
                 "spatial_lag": ["displaced"], "crisis_kinds": ["conflict", "disaster"]},
    "model": {"kind": "additive", "train_every": 3, "class_breaks": [0.1, 0.2, 0.4],
              "additive": {"max_iter": 100, "n_bootstrap": 10},
              "elastic_net": {"Cs": [0.01, 0.1, 1.0], "l1_ratios": [0.5], "n_bootstrap": 10,
                              "max_iter": 300, "tol": 1e-3},
              # The domain claim, set before any fit: capacity and a better response
              # tier (lower number) never lower detection.
              "detection_aware": {"n_bootstrap": 10,
                                  "detection_directions": {"state_capacity": 1,
                                                           "response_tier": -1}}},
    "index": {"spec": "demo"},
    "backtest": {"first_origin": "2015-12", "last_origin": "2023-12", "step_months": 12,
                 "models": ["additive", "elastic_net", "detection_aware"]},
}


def parse_iso_date(value, where, what: str) -> pd.Timestamp:
    """An ISO date ``YYYY-MM-DD`` (or a TOML date) as a Timestamp; anything else is refused.

    ``01/02/2025`` is 2 January to some readers and 1 February to others, so only ISO dates
    are read. Raises :class:`InputError` naming ``where`` and ``what``.

    Examples
    --------
    >>> parse_iso_date("2025-12-31", "--as-of", "the date")
    Timestamp('2025-12-31 00:00:00')
    """
    why = iso_date_problem(value, what)
    if why is not None:
        raise InputError(Problem(where, why, column="as_of"))
    return pd.Timestamp(value if not isinstance(value, str) else value.strip())


def demo_config(output_dir="forewarn-out", as_of=None) -> Config:
    """The embedded demo world's config: generated inputs, forecast at the end of 2025."""
    return Config(name="forewarn demo world", demo=True, start="2005-01",
                  as_of=pd.Timestamp(as_of or "2025-12-31"), horizons=(6, 12),
                  outcome_lag_days=90, output_dir=Path(output_dir),
                  sections=copy.deepcopy(DEMO_SECTIONS))


def load_config(path) -> Config:
    """Read and check a project config file (TOML).

    Relative paths in it are taken from the config file's folder. Every problem is listed
    (unknown sections or fields, wrong types, unparsable dates, missing input files).

    Raises
    ------
    forewarn.errors.InputError
    """
    # Not resolve(): a config reached through a symbolic link reads the files beside the link.
    path = Path(os.path.abspath(path))
    data = read_toml(path)
    problems: list[Problem] = []
    try:
        ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems += schema_problems(exc, path, ConfigFile, data, sections=_sections())
    # Each loaded section again on its own, so a good section's paths are checked even when
    # another section is bad.
    checked = {}
    for name, model in _LOADED.items():
        try:
            checked[name] = model.model_validate(data.get(name, {}))
        except ValidationError:
            checked[name] = None
    base = path.parent

    def file(section, key, value):
        if value is None:
            return None
        p = Path(os.path.normpath(base / value))
        if os.path.commonpath([p, base]) != str(base):
            problems.append(Problem(path, f"[{section}] '{key}' names {str(value)[:80]!r}, which "
                                    f"is outside the project folder ({base}); keep a project's "
                                    "inputs inside the folder that holds its config (a symbolic "
                                    "link placed there is fine).", column=key))
            return None
        if not p.exists():
            problems.append(Problem(path, f"[{section}] '{key}' names {value!r}, which does not "
                                    f"exist ({p}); fix the path (relative to the config file).",
                                    column=key))
        return p

    if any(s is None for s in checked.values()):
        raise InputError(problems)
    project, inputs = checked["project"], checked["inputs"]
    forecast, output = checked["forecast"], checked["output"]
    obs = [inputs.observations] if isinstance(inputs.observations, str) else inputs.observations
    obs_paths = [file("inputs", "observations", o) for o in obs]
    paths = {k: file("inputs", k, getattr(inputs, k))
             for k in ("regions", "cube", "catalogue", "outcome", "crisis_events")}
    kwargs = dict(
        name=project.name if project.name is not None else path.parent.name,
        **project.model_dump(include={"demo", "frequency", "start", "seed", "outcome_label",
                                      "outcome_short"}),
        observations=tuple(p for p in obs_paths if p is not None),
        **paths,
        outcome_lag_days=inputs.outcome_lag_days,
        outcome_missing=inputs.outcome_missing,
        as_of=None if forecast.as_of is None else parse_iso_date(forecast.as_of, path, "as_of"),
        horizons=tuple(forecast.horizons),
        output_dir=Path(os.path.normpath(base / output.dir)),
        sections={k: data[k] for k in _OWNED_ELSEWHERE if k in data},
        path=path,
    )
    try:
        config = Config(**kwargs)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    return config


def _sections() -> dict:
    """Section name -> the model that checks it (the stages' sections are plain tables here)."""
    return {name: _LOADED.get(name, ConfigFile) for name in CONFIG_SECTIONS}
