"""The project config (TOML): loaded once at the entry point, checked, and passed down."""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forewarn._match import did_you_mean
from forewarn.datasets import DEMO_SEED
from forewarn.errors import InputError, Problem
from forewarn.features import OUTCOME_MISSING, read_toml

__all__ = ["Config", "load_config", "demo_config", "CONFIG_SECTIONS", "DEMO_SECTIONS"]

#: Fields each section accepts, with their types. Sections owned by later stages (features,
#: index, model, backtest, schedules, report) are passed to their own specs, which check them.
_FIELDS = {
    "project": {"name": str, "demo": bool, "frequency": str, "start": str, "seed": int,
                "outcome_label": str, "outcome_short": str},
    "inputs": {"regions": str, "observations": (str, list), "cube": str, "catalogue": str,
               "outcome": str, "outcome_lag_days": int, "outcome_missing": str,
               "crisis_events": str},
    "forecast": {"as_of": (str, object), "horizons": list},
    "output": {"dir": str},
}
_OWNED_ELSEWHERE = ("features", "index", "model", "backtest", "schedules", "report")
CONFIG_SECTIONS = tuple(_FIELDS) + _OWNED_ELSEWHERE


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
        where = str(self.path or "config")
        problems = []
        if self.frequency not in ("monthly", "annual"):
            problems.append(Problem(where, f"[project] 'frequency' is {self.frequency!r}; use "
                                    "'monthly' or 'annual'.", column="frequency"))
        if not self.horizons or any(not isinstance(h, int) or isinstance(h, bool) or h < 1
                                    for h in self.horizons):
            problems.append(Problem(where, f"[forecast] 'horizons' is {list(self.horizons)!r}; "
                                    "give whole numbers of months >= 1, e.g. [6, 12].",
                                    column="horizons"))
        if self.frequency == "annual" and any(h % 12 for h in self.horizons):
            problems.append(Problem(where, f"[forecast] 'horizons' is {list(self.horizons)!r} "
                                    "but the project is annual; give whole years in months, "
                                    "e.g. [12, 24].", column="horizons"))
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            problems.append(Problem(where, f"[project] 'seed' is {self.seed!r}; give a whole "
                                    "number >= 0 (it seeds every random draw).", column="seed"))
        if self.start is not None and not _valid_start(self.start):
            problems.append(Problem(where, f"[project] 'start' is {str(self.start)[:40]!r}; give "
                                    "the first period as YYYY-MM (e.g. '2005-01'), or YYYY for "
                                    "an annual project.", column="start"))
        if self.outcome_missing not in OUTCOME_MISSING:
            problems.append(Problem(where, f"[inputs] 'outcome_missing' is "
                                    f"{self.outcome_missing!r}; use 'zero' (periods without a "
                                    "row were quiet) or 'unknown' (they were not reported).",
                                    column="outcome_missing"))
        if self.outcome_lag_days < 0:
            problems.append(Problem(where, "[inputs] 'outcome_lag_days' must be 0 or more.",
                                    column="outcome_lag_days"))
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


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_START = re.compile(r"(\d{4})(?:-(\d{2}))?")


def _valid_start(value) -> bool:
    """True for 'YYYY' or 'YYYY-MM' with a month from 01 to 12."""
    m = _START.fullmatch(str(value)) if isinstance(value, str) else None
    return bool(m) and (m.group(2) is None or 1 <= int(m.group(2)) <= 12)


#: Unknown fields listed one by one in a section; past this many they are summarised.
_MAX_UNKNOWN = 10


def parse_iso_date(value, where, what: str) -> pd.Timestamp:
    """An ISO date ``YYYY-MM-DD`` (or a TOML date) as a Timestamp; anything else is refused.

    ``01/02/2025`` is 2 January to some readers and 1 February to others, so only ISO dates
    are read. Raises :class:`InputError` naming ``where`` and ``what``.

    Examples
    --------
    >>> parse_iso_date("2025-12-31", "--as-of", "the date")
    Timestamp('2025-12-31 00:00:00')
    """
    import datetime as _dt

    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return pd.Timestamp(value)
    text = str(value).strip()
    shown = text if len(text) <= 40 else text[:37] + "..."
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(text):
        raise InputError(Problem(where, f"{what} is {shown!r}; write an ISO date YYYY-MM-DD "
                                 "(e.g. 2025-12-31): other forms such as 01/02/2025 are "
                                 "ambiguous.", column="as_of"))
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise InputError(Problem(where, f"{what} is {shown!r}, which is not a calendar date; "
                                 "write an ISO date YYYY-MM-DD.", column="as_of")) from None


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
    for section in data:
        if section not in CONFIG_SECTIONS:
            hint = did_you_mean(section, CONFIG_SECTIONS, brackets=True)
            problems.append(Problem(path, f"unknown section [{section}].{hint} Sections: "
                                    f"{', '.join(CONFIG_SECTIONS)}.", column=section))
    values = {}
    for section, allowed in _FIELDS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            problems.append(Problem(path, f"[{section}] must be a table.", column=section))
            continue
        unknown = [k for k in table if k not in allowed]
        for key in unknown[:_MAX_UNKNOWN]:
            hint = did_you_mean(key, allowed)
            problems.append(Problem(path, f"[{section}] names unknown field '{key[:60]}'.{hint} "
                                    f"Fields: {', '.join(allowed)}.", column=key[:60]))
        if len(unknown) > _MAX_UNKNOWN:
            problems.append(Problem(path, f"[{section}] names {len(unknown) - _MAX_UNKNOWN:,} more "
                                    f"unknown fields (of {len(unknown):,}); remove them.",
                                    column=section))
        for key, value in table.items():
            if key not in allowed:
                continue
            elif not isinstance(value, allowed[key]) or (allowed[key] is int
                                                         and isinstance(value, bool)):
                kind = allowed[key].__name__ if isinstance(allowed[key], type) else \
                    " or ".join(t.__name__ for t in allowed[key])
                problems.append(Problem(path, f"[{section}] '{key}' is {value!r}; it must be "
                                        f"a {kind}.", column=key))
            else:
                values[(section, key)] = value
    base = path.parent

    def file(section, key, value=None):
        value = values.get((section, key)) if value is None else value
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

    obs = values.get(("inputs", "observations"), [])
    obs = [obs] if isinstance(obs, str) else obs
    obs_paths = []
    for o in obs:
        if not isinstance(o, str):
            problems.append(Problem(path, f"[inputs] 'observations' holds {o!r}; list file "
                                    "paths as strings.", column="observations"))
            continue
        obs_paths.append(file("inputs", "observations", o))
    as_of = values.get(("forecast", "as_of"))
    if as_of is not None:
        try:
            as_of = parse_iso_date(as_of, path, "[forecast] 'as_of'")
        except InputError as exc:
            problems += exc.problems
            as_of = None
    horizons = values.get(("forecast", "horizons"), [12])
    kwargs = dict(
        name=values.get(("project", "name"), path.parent.name),
        demo=values.get(("project", "demo"), False),
        frequency=values.get(("project", "frequency"), "monthly"),
        start=values.get(("project", "start")),
        seed=values.get(("project", "seed"), DEMO_SEED),
        **{k: values[("project", k)] for k in ("outcome_label", "outcome_short")
           if ("project", k) in values},
        regions=file("inputs", "regions"),
        observations=tuple(p for p in obs_paths if p is not None),
        cube=file("inputs", "cube"),
        catalogue=file("inputs", "catalogue"),
        outcome=file("inputs", "outcome"),
        outcome_lag_days=values.get(("inputs", "outcome_lag_days"), 90),
        outcome_missing=values.get(("inputs", "outcome_missing"), "zero"),
        crisis_events=file("inputs", "crisis_events"),
        as_of=as_of,
        horizons=tuple(horizons),
        output_dir=Path(os.path.normpath(base / values.get(("output", "dir"), "forewarn-out"))),
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
