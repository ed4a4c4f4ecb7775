"""Specs of the run stages read from the config's [model] and [schedules] sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from forewarn._match import did_you_mean
from forewarn.errors import InputError, Problem
from forewarn.models import MODEL_KINDS

__all__ = ["ModelSpec", "ScheduleSpec", "IndexChoice", "ReportSpec"]



def _unknown(table, allowed, where):
    """A problem for each key of ``table`` not in ``allowed``, with the likeliest intended name."""
    out = []
    for key in table:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            out.append(Problem(where, f"names unknown field '{key}'.{hint} Fields: "
                               f"{', '.join(allowed)}.", column=key))
    return out


@dataclass(frozen=True)
class ModelSpec:
    """Which model to train and how its output is classed.

    Parameters
    ----------
    kind : {"additive", "elastic_net", "detection_aware"}
        ``additive``: monotone additive boosting (one shape function per feature);
        ``elastic_net``: penalised logistic regression with the penalty chosen on later times;
        ``detection_aware``: the chance of a surge and the chance it is detected as two
        logistic parts, inputs by the catalogue's ``role`` (published probability: the risk
        part).
    additive, elastic_net, detection_aware : dict
        Keyword parameters of each family's estimator (config tables ``[model.additive]``,
        ``[model.elastic_net]`` and ``[model.detection_aware]``; see
        ``forewarn.models.AdditiveBoosting``, ``ElasticNetLogit`` and
        ``DetectionAwareLogit``). All are kept, so a backtest can compare the families.
    target_rule : {"event", "surge"}
        ``event``: an outcome value > 0 is an event; ``surge``: a count above
        ``surge_factor`` times the region's median of the previous ``surge_history_months``
        and at least ``surge_min_excess`` above that median.
    surge_factor : float
        See ``target_rule``. [-]
    surge_min_excess : float
        Least rise above the usual level that counts as a surge, so that counts that jump
        with detection effort (1 -> 3 victims) do not. Default 0 (any rise above the factor).
        [outcome units]
    surge_history_months : int
        Length of the usual level's history; in an annual project whole years are used
        (36 -> 3 years). [months]
    class_breaks : tuple of float
        Probabilities where the classes "medium", "high" and "very high" start. [-]
    drivers : int
        Drivers listed per region and side. [-]
    top_regions : int
        Regions with a card in the report. [-]
    train_every : int
        Keep training rows every this many months, counted back from the origin (1 keeps all);
        consecutive months share most of their target window. [months]
    """

    kind: str = "additive"
    additive: dict = field(default_factory=dict)
    elastic_net: dict = field(default_factory=dict)
    detection_aware: dict = field(default_factory=dict)
    target_rule: str = "event"
    surge_factor: float = 2.0
    surge_min_excess: float = 0.0
    surge_history_months: int = 36
    class_breaks: tuple = (0.05, 0.15, 0.30)
    drivers: int = 3
    top_regions: int = 10
    train_every: int = 1

    def __post_init__(self):
        where = "config [model]"
        problems = []
        if self.kind not in MODEL_KINDS:
            problems.append(Problem(where, f"'kind' is {self.kind!r}; use one of "
                                    f"{', '.join(map(repr, MODEL_KINDS))}.", column="kind"))
        if self.target_rule not in ("event", "surge"):
            problems.append(Problem(where, f"'target_rule' is {self.target_rule!r}; use 'event' "
                                    "or 'surge'.", column="target_rule"))
        if isinstance(self.surge_factor, bool) or \
                not isinstance(self.surge_factor, (int, float)) or not self.surge_factor > 0:
            problems.append(Problem(where, f"'surge_factor' is {self.surge_factor!r}; use a "
                                    "number above 0, e.g. 2 for twice the usual level.",
                                    column="surge_factor"))
        if isinstance(self.surge_min_excess, bool) or \
                not isinstance(self.surge_min_excess, (int, float)) or \
                not self.surge_min_excess >= 0:
            problems.append(Problem(where, f"'surge_min_excess' is {self.surge_min_excess!r}; "
                                    "use a number >= 0 in the outcome's units.",
                                    column="surge_min_excess"))
        b = tuple(self.class_breaks)
        if len(b) != 3 or any(not isinstance(x, (int, float)) for x in b) or \
                not 0 < b[0] < b[1] < b[2] < 1:
            problems.append(Problem(where, f"'class_breaks' is {list(b)!r}; give three "
                                    "increasing probabilities between 0 and 1, e.g. "
                                    "[0.05, 0.15, 0.3].", column="class_breaks"))
        for name in ("drivers", "top_regions", "train_every", "surge_history_months"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                problems.append(Problem(where, f"'{name}' is {v!r}; use a whole number >= 1.",
                                        column=name))
        if problems:
            raise InputError(problems)
        object.__setattr__(self, "class_breaks", b)

    @classmethod
    def from_config(cls, table: dict) -> ModelSpec:
        """Build from the config's ``[model]`` table (``[model.params]`` holds estimator params)."""
        allowed = ("kind", "additive", "elastic_net", "detection_aware", "target_rule",
                   "surge_factor", "surge_min_excess", "surge_history_months",
                   "class_breaks", "drivers", "top_regions", "train_every")
        problems = _unknown(table, allowed, "config [model]")
        for family in MODEL_KINDS:
            if family in table and not isinstance(table[family], dict):
                problems.append(Problem("config [model]", f"'{family}' must be a table "
                                        f"[model.{family}] of estimator parameters.",
                                        column=family))
        if problems:
            raise InputError(problems)
        values = {k: (tuple(v) if k == "class_breaks" else v) for k, v in table.items()}
        for family in MODEL_KINDS:
            # TOML arrays become tuples: the estimators take sequences of candidates.
            values[family] = {k: tuple(v) if isinstance(v, list) else v
                              for k, v in table.get(family, {}).items()}
        return cls(**values)

    def target_kwargs(self, frequency: str = "monthly") -> dict:
        """Keyword arguments of ``make_target`` for this spec's rule in a panel of ``frequency``."""
        step = 12 if frequency == "annual" else 1
        return {"factor": self.surge_factor, "min_excess": self.surge_min_excess,
                "history": max(1, self.surge_history_months // step)}

    @property
    def params(self) -> dict:
        """Parameters of the configured family's estimator."""
        return dict(getattr(self, self.kind))

    def estimator(self, directions: dict, seed: int, horizon: int, step_months: int = 1,
                  roles: dict | None = None):
        """A fresh, unfitted estimator of this spec for ``horizon``.

        The time-ordered folds leave ``horizon`` months out between training and validation,
        so validation targets never overlap the training ones. ``roles`` (feature to "risk",
        "detection" or "both") feed the detection-aware family, whose risk part also takes
        ``directions`` as sign constraints.
        """
        from forewarn.models import AdditiveBoosting, DetectionAwareLogit, ElasticNetLogit

        # The folds count distinct training times, which are train_every months (and at least
        # one time step) apart.
        gap = -(-horizon // max(self.train_every, step_months))
        params = {"random_state": seed, "gap": gap, **self.params}
        try:
            if self.kind == "detection_aware":
                return DetectionAwareLogit(roles=roles, directions=directions, **params)
            if self.kind == "additive":
                return AdditiveBoosting(directions=directions, **params)
            return ElasticNetLogit(**params)
        except TypeError as exc:  # an unknown keyword in [model.<kind>]
            raise InputError(Problem("config [model]", f"[model.{self.kind}] {exc}; see the "
                                     "estimator's documentation for its parameters.",
                                     column=self.kind)) from None


@dataclass(frozen=True)
class IndexChoice:
    """Which index hierarchy to compute: a shipped spec by name, a TOML file or ``"catalogue"``.

    ``"catalogue"`` is the equal-weight mean of the catalogue's directed indicators
    (:func:`forewarn.index.catalogue_spec`). ``given`` says whether the config named the spec;
    when it did not, a default that does not fit the catalogue gives way to the catalogue index.
    """

    spec: str = "demo"
    given: bool = True

    @classmethod
    def from_config(cls, table: dict, base: Path | None) -> IndexChoice:
        problems = _unknown(table, ("spec",), "config [index]")
        if problems:
            raise InputError(problems)
        spec = table.get("spec", "demo")
        if spec not in ("demo", "inform", "catalogue") and base is not None:
            spec = str((base / spec).resolve())
        return cls(spec, "spec" in table)

    def load(self, catalogue=None):
        """The index spec; ``catalogue`` is needed (and used) only for ``"catalogue"``."""
        from forewarn.index import catalogue_spec, demo_spec, inform_spec, load_index_spec

        if self.spec == "demo":
            return demo_spec()
        if self.spec == "inform":
            return inform_spec()
        if self.spec == "catalogue":
            spec = catalogue_spec(catalogue)
            if spec is None:
                raise InputError(Problem("config [index]", "'spec' is 'catalogue' but no "
                                         "indicator in the catalogue has a risk direction (1 or "
                                         "-1); give some a direction or name an index spec.",
                                         column="spec"))
            return spec
        return load_index_spec(self.spec)

    def misfit(self, spec, catalogue) -> str | None:
        """Why ``spec`` cannot be computed from ``catalogue`` (None when it can)."""
        missing = [i for i in spec.indicators if i not in catalogue]
        if missing:
            return (f"uses indicators absent from the catalogue: {', '.join(missing[:8])}"
                    f"{', ...' if len(missing) > 8 else ''}")
        free = [i for i in spec.indicators if catalogue[i].direction == 0]
        if free:
            return f"uses indicators without a risk direction (direction = 0): {', '.join(free)}"
        return None

    def resolve(self, catalogue, fallback: bool | None = None):
        """The index spec to compute for ``catalogue``, and a note when it is not this choice.

        With ``fallback`` (default: when the config named no spec) a spec that does not fit the
        catalogue gives way to the catalogue index, which is None when no indicator has a
        direction; without it, the misfit is an input error.

        Returns
        -------
        spec : IndexSpec or None
        note : str or None
            One line saying why the configured spec was not used.

        Raises
        ------
        forewarn.errors.InputError
            The spec does not fit and ``fallback`` is false.
        """
        from forewarn.index import catalogue_spec

        fallback = not self.given if fallback is None else fallback
        if self.spec == "catalogue" and not fallback:
            return self.load(catalogue), None
        spec = catalogue_spec(catalogue) if self.spec == "catalogue" else self.load()
        why = None if spec is None else self.misfit(spec, catalogue)
        if spec is not None and why is None:
            return spec, None
        if not fallback:
            fix = ("leave them out of the index spec or give them a direction in the catalogue"
                   if "without a risk direction" in why else "add them to the catalogue")
            raise InputError(Problem("config [index]", f"the index spec '{self.spec}' {why}. "
                                     f"{fix[0].upper()}{fix[1:]}, name another [index] spec, or "
                                     "set spec = \"catalogue\" for the equal-weight mean of the "
                                     "catalogue's directed indicators.", column="spec"))
        derived = catalogue_spec(catalogue)
        if derived is None:
            head = f"the index spec '{self.spec}' {why}, and" if why else ""
            return None, (f"{head} no indicator in the catalogue has a risk direction, so no "
                          "index can be derived from it.").strip()
        return derived, (f"the index spec '{self.spec}' {why}; the index is the equal-weight "
                         f"mean of the catalogue's {len(derived.indicators)} directed "
                         "indicators instead.")


@dataclass(frozen=True)
class ScheduleSpec:
    """Cron schedules of the served flows (``forewarn serve``); empty strings disable one.

    Parameters
    ----------
    forecast : str
        Cron of the forecast flow (default: the 5th of each month at 06:00).
    backtest : str
        Cron of the backtest flow (default: quarterly, the 1st at 07:00).
    timezone : str
        Time zone of both schedules.
    """

    forecast: str = "0 6 5 * *"
    backtest: str = "0 7 1 1,4,7,10 *"
    timezone: str = "UTC"

    def __post_init__(self):
        from prefect.client.schemas.schedules import CronSchedule

        problems = []
        for name in ("forecast", "backtest"):
            value = getattr(self, name)
            if not value:
                continue
            try:
                CronSchedule(cron=value, timezone="UTC")
            except ValueError:
                problems.append(Problem("config [schedules]", f"'{name}' is {value!r}, not a "
                                        "cron expression; write five fields, e.g. '0 6 5 * *' "
                                        "(06:00 on the 5th of each month).", column=name))
        try:
            CronSchedule(cron="0 0 * * *", timezone=self.timezone)
        except ValueError:
            problems.append(Problem("config [schedules]", f"'timezone' is {self.timezone!r}; "
                                    "use an IANA name such as 'UTC' or 'Africa/Nairobi'.",
                                    column="timezone"))
        if problems:
            raise InputError(problems)

    @classmethod
    def from_config(cls, table: dict) -> ScheduleSpec:
        problems = _unknown(table, ("forecast", "backtest", "timezone"), "config [schedules]")
        if problems:
            raise InputError(problems)
        return cls(**table)


@dataclass(frozen=True)
class ReportSpec:
    """What a run writes besides its tables (config ``[report]``).

    Parameters
    ----------
    maps : {"all", "overview", "none"}
        ``all``: whole-area, change and one zoomed map per parent region; ``overview``: the
        whole-area and change maps only (for grids of hundreds of parent blocks); ``none``.
    formats : tuple of str
        Map formats: any of "png", "pdf", "svg".
    html : bool
        Write report.html.
    table_rows : int
        Most regions in the report's ranking table per horizon (the riskiest); beyond it the
        report points to scores.csv and keeps drivers only for the listed regions. [regions]
    """

    maps: str = "all"
    formats: tuple = ("png", "pdf")
    html: bool = True
    table_rows: int = 1000

    @classmethod
    def from_config(cls, table: dict) -> ReportSpec:
        from forewarn.reports import MAP_FORMATS as FORMATS

        where = "config [report]"
        problems = _unknown(table, ("maps", "formats", "html", "table_rows"), where)
        maps = table.get("maps", "all")
        if maps not in ("all", "overview", "none"):
            problems.append(Problem(where, f"'maps' is {maps!r}; use 'all', 'overview' or "
                                    "'none'.", column="maps"))
        formats = table.get("formats", ["png", "pdf"])
        if not isinstance(formats, list) or not formats or \
                any(f not in FORMATS for f in formats):
            problems.append(Problem(where, f"'formats' is {formats!r}; list one or more of "
                                    f"{', '.join(map(repr, FORMATS))}.", column="formats"))
        html = table.get("html", True)
        if not isinstance(html, bool):
            problems.append(Problem(where, f"'html' is {html!r}; use true or false.",
                                    column="html"))
        rows = table.get("table_rows", 1000)
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
            problems.append(Problem(where, f"'table_rows' is {rows!r}; use a whole number >= 1.",
                                    column="table_rows"))
        if problems:
            raise InputError(problems)
        return cls(maps, tuple(formats), html, rows)
