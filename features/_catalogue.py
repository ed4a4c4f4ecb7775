"""The indicator catalogue: what each indicator means, how it is published and how it scores."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from forewarn._match import unknown_fields
from forewarn.errors import InputError, Problem

__all__ = ["Indicator", "Catalogue", "load_catalogue", "FREQUENCIES", "TRANSFORMS", "ROLES"]

#: Accepted frequencies and the number of months in one period of each.
FREQUENCIES = {"monthly": 1, "quarterly": 3, "annual": 12}
#: Longest publication lag accepted: no publisher takes longer, and a longer one overflows
#: date arithmetic. [days]
MAX_LAG_DAYS = 3650
#: Accepted transforms before scaling or modelling.
TRANSFORMS = ("none", "log", "per_capita")
#: Accepted roles in a detection-aware model: what the indicator drives.
ROLES = ("risk", "detection", "both")


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry.

    Parameters
    ----------
    id : str
        Identifier used in observation files (``indicator`` column) and as the panel variable name.
    label : str
        Human label, used in reports ("People displaced").
    unit : str
        Unit of the published value ("persons", "deaths", "score 0-100", "-").
    source : str
        Publisher of the data.
    frequency : {"monthly", "quarterly", "annual"}
        How often a value is published; one value per period.
    publication_lag_days : int
        Days from the end of a period until its value is published, used when an observation
        gives no ``published`` date. [days]
    direction : {1, -1, 0}
        +1 when a higher value means higher risk, -1 when lower is riskier, 0 when neither
        way is defensibly riskier (a region dummy, a time trend, a reform or coverage flag):
        models then learn its effect unconstrained, and it cannot enter a composite index.
    transform : {"none", "log", "per_capita"}
        Transform applied before scaling and modelling.
    valid_min, valid_max : float
        Valid range; values outside it are input errors. ``-inf``/``inf`` when unbounded.
    dimension : str
        Where the indicator sits in the index hierarchy (e.g. ``"vulnerability/state_capacity"``).
    lever : bool
        True when policy can move the indicator; only levers are offered in policy scenarios.
    licence : str
        Licence of the source data.
    description : str
        One or two sentences for the report, including caveats (e.g. detection vs incidence).
    per_capita_of : str
        Denominator indicator for ``transform = "per_capita"``.
    role : {"risk", "detection", "both"}
        What the indicator drives in a detection-aware model (``[model] kind =
        "detection_aware"``): the chance of a surge (``risk``), the chance a surge is detected
        (``detection``) or both. Other model families ignore it.
    """

    id: str
    label: str
    unit: str
    source: str
    frequency: str
    publication_lag_days: int
    direction: int
    transform: str = "none"
    valid_min: float = -math.inf
    valid_max: float = math.inf
    dimension: str = ""
    lever: bool = False
    licence: str = ""
    description: str = ""
    per_capita_of: str = "population"
    role: str = "risk"

    def __post_init__(self):
        problems = _check_entry(self)
        if problems:
            raise InputError([Problem("catalogue", p, column=self.id) for p in problems])

    @property
    def period_months(self) -> int:
        """Length of one period. [months]"""
        return FREQUENCIES[self.frequency]

    def to_attrs(self) -> dict:
        """The entry as netCDF-safe attributes (for panel and feature variables)."""
        attrs = {f.name: getattr(self, f.name) for f in fields(self)}
        attrs["indicator"] = attrs.pop("id")
        attrs["lever"] = int(self.lever)
        attrs["units"] = self.unit
        attrs["long_name"] = self.label
        return attrs


_REQUIRED = ("label", "unit", "source", "frequency", "publication_lag_days", "direction")
_FIELDS = {f.name for f in fields(Indicator)} - {"id"}


def _check_entry(ind: Indicator) -> list[str]:
    out = []
    if ind.frequency not in FREQUENCIES:
        out.append(
            f"'frequency' is {ind.frequency!r}; use one of {', '.join(map(repr, FREQUENCIES))}."
        )
    if ind.direction not in (1, -1, 0):
        out.append(
            f"'direction' is {ind.direction!r}; use 1 (higher is riskier), -1 (lower is riskier) "
            "or 0 (no risk direction: the models learn its effect freely, the index leaves it out)."
        )
    if ind.transform not in TRANSFORMS:
        out.append(f"'transform' is {ind.transform!r}; use one of {', '.join(map(repr, TRANSFORMS))}.")
    if not isinstance(ind.publication_lag_days, int) or isinstance(ind.publication_lag_days,
                                                                    bool) \
            or not 0 <= ind.publication_lag_days <= MAX_LAG_DAYS:
        out.append(
            f"'publication_lag_days' is {ind.publication_lag_days!r}; use a whole number of days "
            f"from 0 to {MAX_LAG_DAYS} (ten years)."
        )
    if not ind.valid_min <= ind.valid_max:
        out.append(f"'valid_min' ({ind.valid_min}) is above 'valid_max' ({ind.valid_max}).")
    if ind.role not in ROLES:
        out.append(f"'role' is {ind.role!r}; use 'risk' (drives the chance of a surge), "
                   "'detection' (drives the chance a surge is detected) or 'both'.")
    if ind.transform == "log" and ind.valid_min < 0:
        out.append("'transform' is 'log' but 'valid_min' is below 0; set valid_min = 0.")
    return out


@dataclass(frozen=True)
class Catalogue(Mapping):
    """All indicator entries, by id, in declaration order. Behaves as a read-only mapping."""

    entries: tuple[Indicator, ...] = field(default_factory=tuple)
    path: str = "catalogue"

    def __getitem__(self, key: str) -> Indicator:
        for ind in self.entries:
            if ind.id == key:
                return ind
        raise KeyError(key)

    def __iter__(self):
        return (ind.id for ind in self.entries)

    def __len__(self):
        return len(self.entries)

    @property
    def levers(self) -> list[str]:
        """Ids of the indicators policy can move."""
        return [ind.id for ind in self.entries if ind.lever]


def load_catalogue(path) -> Catalogue:
    """Read and check an indicator catalogue (TOML, one ``[indicators.<id>]`` table each).

    Every problem is collected before raising, so one call lists all there is to fix.

    Raises
    ------
    forewarn.errors.InputError
        The file is missing, is not UTF-8, does not parse, names unknown fields, lacks required
        fields or holds invalid values.
    """
    path = Path(path)
    data = read_toml(path)
    tables = data.get("indicators")
    problems = [
        Problem(path, f"unknown top-level table '{k}'; only [indicators.<id>] tables are allowed.")
        for k in data
        if k != "indicators"
    ]
    if not isinstance(tables, dict) or not tables:
        problems.append(
            Problem(path, "no indicators declared; add one [indicators.<id>] table per indicator.")
        )
        raise InputError(problems)
    entries = []
    for ind_id, table in tables.items():
        where = f"[indicators.{ind_id}]"
        if not isinstance(table, dict):
            problems.append(Problem(path, f"{where} must be a table of fields.", column=ind_id))
            continue
        unknown = unknown_fields(sorted(table), sorted(_FIELDS), path,
                                 f"{where} names unknown field")
        problems += unknown
        missing = [k for k in _REQUIRED if k not in table]
        for k in missing:
            problems.append(Problem(path, f"{where} lacks the required field '{k}'.", column=k))
        if unknown or missing:
            continue
        kwargs = {k: v for k, v in table.items()}
        for k in ("valid_min", "valid_max"):
            if k in kwargs and not isinstance(kwargs[k], (int, float)):
                problems.append(Problem(path, f"{where} '{k}' must be a number.", column=k))
                kwargs.pop(k)
            elif k in kwargs:
                kwargs[k] = float(kwargs[k])
        try:
            entries.append(Indicator(id=ind_id, **kwargs))
        except InputError as exc:
            problems += [Problem(path, f"{where} {p.message}", column=p.column) for p in exc.problems]
        except TypeError as exc:  # wrong type for a field
            problems.append(Problem(path, f"{where} {exc}"))
    if problems:
        raise InputError(problems)
    return Catalogue(tuple(entries), str(path))


def read_toml(path) -> dict:
    """Read a UTF-8 TOML file, turning every failure into an :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(path, "file not found; check the path (relative paths are "
                                 "taken from the config file's folder)."))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(path, f"is not UTF-8 (byte {exc.start}); save it as UTF-8.")) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(path, f"does not parse as TOML: {exc}.")) from None
    except RecursionError:
        raise InputError(Problem(path, "holds arrays or tables nested too deeply to read; a "
                                 "forewarn file needs at most a few levels.")) from None

