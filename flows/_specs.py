"""Specs of the run stages read from the config's [model], [index], [backtest], [schedules] and
[report] (``[features]`` is :class:`forewarn.features.FeatureSpec`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

from pydantic import Field, ValidationError, field_validator

from forewarn._schema import (
    as_tuple,
    custom_error,
    fix,
    reworded,
    schema_problems,
    section_dataclass,
    shown,
)
from forewarn.errors import InputError, Problem
from forewarn.flows._schema import IndexSection
from forewarn.models import MODEL_KINDS
from forewarn.reports import MAP_FORMATS

__all__ = ["ModelSpec", "ScheduleSpec", "IndexChoice", "BacktestSpec", "ReportSpec", "Specs"]

_WHOLE = fix("use a whole number >= 1.")
_MONTHS = fix("use a whole number of months >= 1.")


@section_dataclass("config [model]")
class ModelSpec:
    """Which model to train and how its output is classed (config ``[model]``).

    Each field's meaning, default and constraint is in its description (``forewarn config
    --schema``); a bad value raises :class:`~forewarn.errors.InputError`.
    """

    kind: Literal[MODEL_KINDS] = Field(
        "additive", description="'additive': monotone additive boosting (one shape function "
        "per feature); 'elastic_net': penalised logistic regression with the penalty chosen on "
        "later times; 'detection_aware': the chance of a surge and the chance it is detected "
        "as two logistic parts, inputs by the catalogue's role (published probability: the "
        "risk part).",
        json_schema_extra=fix(f"use one of {', '.join(map(repr, MODEL_KINDS))}."))
    additive: dict = Field(default_factory=dict, description="Keyword parameters of "
                           "forewarn.models.AdditiveBoosting (table [model.additive]).")
    elastic_net: dict = Field(default_factory=dict, description="Keyword parameters of "
                              "forewarn.models.ElasticNetLogit (table [model.elastic_net]).")
    detection_aware: dict = Field(default_factory=dict, description="Keyword parameters of "
                                  "forewarn.models.DetectionAwareLogit (table "
                                  "[model.detection_aware]). All three families' tables are "
                                  "kept, so a backtest can compare them.")
    target_rule: Literal["event", "surge"] = Field(
        "event", description="'event': an outcome value > 0 is an event; 'surge': a count "
        "above surge_factor times the region's median of the previous surge_history_months "
        "and at least surge_min_excess above that median.",
        json_schema_extra=fix("use 'event' or 'surge'."))
    surge_factor: float = Field(2.0, gt=0, description="See target_rule. [-]",
                                json_schema_extra=fix("use a number above 0, e.g. 2 for twice "
                                                      "the usual level."))
    surge_min_excess: float = Field(
        0.0, ge=0, description="Least rise above the usual level that counts as a surge, so "
        "that counts that jump with detection effort (1 -> 3 victims) do not; 0: any rise "
        "above the factor. [outcome units]",
        json_schema_extra=fix("use a number >= 0 in the outcome's units."))
    surge_history_months: int = Field(36, ge=1, description="Length of the usual level's "
                                      "history; in an annual project whole years are used "
                                      "(36 -> 3 years). [months]", json_schema_extra=_WHOLE)
    class_breaks: tuple[float, ...] = Field(
        (0.05, 0.15, 0.30), description="Probabilities where the classes 'medium', 'high' and "
        "'very high' start. [-]",
        json_schema_extra=fix("give three increasing probabilities between 0 and 1, e.g. "
                              "[0.05, 0.15, 0.3]."))
    drivers: int = Field(3, ge=1, description="Drivers listed per region and side. [-]",
                         json_schema_extra=_WHOLE)
    top_regions: int = Field(10, ge=1, description="Regions with a card in the report. [-]",
                             json_schema_extra=_WHOLE)
    train_every: int = Field(1, ge=1, description="Keep training rows every this many months, "
                             "counted back from the origin (1 keeps all); consecutive months "
                             "share most of their target window. [months]",
                             json_schema_extra=_WHOLE)

    @field_validator("class_breaks")
    @classmethod
    def _class_breaks(cls, b):
        if len(b) != 3 or not 0 < b[0] < b[1] < b[2] < 1:
            raise ValueError("not three increasing probabilities")
        return b

    @classmethod
    def from_config(cls, table: dict) -> ModelSpec:
        """Build from the config's ``[model]`` table (``[model.<kind>]`` holds estimator params)."""
        values = {k: as_tuple(v) if k == "class_breaks" else v for k, v in table.items()}
        for family in MODEL_KINDS:
            if isinstance(values.get(family), dict):
                # TOML arrays become tuples: the estimators take sequences of candidates.
                values[family] = {k: as_tuple(v) for k, v in values[family].items()}
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
        try:
            spec = IndexSection.model_validate(table).spec
        except ValidationError as exc:
            raise InputError(schema_problems(exc, "config [index]", IndexSection, table)) from None
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


_ORIGIN = fix("write the month as 'YYYY-MM', e.g. '2015-12'.")
_TOP_K = fix("give a list of whole numbers >= 1, e.g. [30] (events among the 30 riskiest "
             "regions of each period).")


@section_dataclass("config [backtest]")
class BacktestSpec:
    """Which origins and models a backtest covers (config ``[backtest]``).

    Each field's meaning, default and constraint is in its description (``forewarn config
    --schema``); a bad value raises :class:`~forewarn.errors.InputError`. Whether the origins
    fit the data and the horizon is checked when the windows are laid out
    (:class:`forewarn.models.BacktestWindows`).
    """

    first_origin: str | dt.date | None = Field(
        None, description="First forecast origin (YYYY-MM). Default: six years before the "
        "last origin.", json_schema_extra=_ORIGIN)
    last_origin: str | dt.date | None = Field(
        None, description="Last forecast origin (YYYY-MM). Default: the last month whose "
        "outcome window the data cover.", json_schema_extra=_ORIGIN)
    step_months: int = Field(12, ge=1, description="Months between origins; at least the "
                             "horizon unless `allow_overlap`. [months]", json_schema_extra=_MONTHS)
    min_train_months: int = Field(36, ge=1, description="Fewest months of training rows at the "
                                  "first origin. [months]", json_schema_extra=_MONTHS)
    models: tuple[Literal[MODEL_KINDS], ...] = Field(
        ("additive", "elastic_net"), description="Model families to compare, each with the "
        "[model] settings: 'additive' and 'elastic_net' by default, 'detection_aware' when "
        "named (it needs catalogue roles).",
        json_schema_extra=fix(f"list any of {', '.join(map(repr, MODEL_KINDS))}."))
    allow_overlap: bool = Field(False, description="Accept origins closer than the horizon "
                                "(events then count at several origins).",
                                json_schema_extra=fix("use true or false."))
    top_k: tuple[Annotated[int, Field(ge=1)], ...] = Field(
        (10, 20, 30), min_length=1, description="Sizes k of the \"events in each period's top "
        "k\" measures: how many events fell among the k regions ranked riskiest at their "
        "origin; kept sorted, each once. [regions]", json_schema_extra=_TOP_K)
    workers: int = Field(
        0, ge=0, description="Origins run at once, each in its own process (0: as many as the "
        "cores this process may use, at most one per origin; 1: one after the other). Results "
        "are identical either way. With `--dask` the origins run on the Dask cluster instead. "
        "[-]", json_schema_extra=fix("use a whole number: 0 for one process per available "
                                     "core, 1 for one origin after the other, or more."))

    @field_validator("models", mode="wrap")
    @classmethod
    def _models(cls, value, handler):
        value = as_tuple(value)

        def named(models):
            if not isinstance(models, tuple):
                return None  # not a list: pydantic's "it must be a list" and the fix
            bad = [m for m in models if m not in MODEL_KINDS]
            return (f"'models' names {', '.join(map(repr, bad))}; use "
                    f"{', '.join(map(repr, MODEL_KINDS))} (any of them).")

        return reworded(handler, value, named)

    @field_validator("top_k", mode="wrap")
    @classmethod
    def _top_k(cls, value, handler):
        value = as_tuple(value)
        top_k = reworded(handler, value, f"'top_k' is {shown(value)}; {_TOP_K['fix']}")
        return tuple(sorted(set(top_k)))

    @classmethod
    def from_config(cls, table: dict) -> BacktestSpec:
        """Build from the config's ``[backtest]`` table (TOML arrays become tuples)."""
        return cls(**table)


@section_dataclass("config [schedules]")
class ScheduleSpec:
    """Cron schedules of the served flows (config ``[schedules]``, ``forewarn serve``)."""

    forecast: str = Field("0 6 5 * *", description="Cron of the forecast flow (default: the "
                          "5th of each month at 06:00); an empty string disables it.")
    backtest: str = Field("0 7 1 1,4,7,10 *", description="Cron of the backtest flow "
                          "(default: quarterly, the 1st at 07:00); an empty string disables "
                          "it.")
    timezone: str = Field("UTC", description="Time zone of both schedules (an IANA name).",
                          json_schema_extra=fix("use an IANA name such as 'UTC' or "
                                                "'Africa/Nairobi'."))

    @field_validator("forecast", "backtest")
    @classmethod
    def _cron(cls, value, info):
        from prefect.client.schemas.schedules import CronSchedule

        if value:
            try:
                CronSchedule(cron=value, timezone="UTC")
            except ValueError:
                raise custom_error(f"'{info.field_name}' is {value!r}, not a cron expression; "
                                   "write five fields, e.g. '0 6 5 * *' (06:00 on the 5th of "
                                   "each month).") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value):
        from prefect.client.schemas.schedules import CronSchedule

        CronSchedule(cron="0 0 * * *", timezone=value)  # a ValueError names a bad zone
        return value

    @classmethod
    def from_config(cls, table: dict) -> ScheduleSpec:
        return cls(**table)


@section_dataclass("config [report]")
class ReportSpec:
    """What a run writes besides its tables (config ``[report]``)."""

    maps: Literal["all", "overview", "none"] = Field(
        "all", description="'all': whole-area, change and one zoomed map per parent region; "
        "'overview': the whole-area and change maps only (for grids of hundreds of parent "
        "blocks); 'none'.", json_schema_extra=fix("use 'all', 'overview' or 'none'."))
    formats: tuple[Literal[MAP_FORMATS], ...] = Field(
        ("png", "pdf"), min_length=1, description="Map formats.",
        json_schema_extra=fix(f"list one or more of {', '.join(map(repr, MAP_FORMATS))}."))
    html: bool = Field(True, description="Write report.html.")
    table_rows: int = Field(1000, ge=1, description="Most regions in the report's ranking "
                            "table per horizon (the riskiest); beyond it the report points to "
                            "scores.csv and keeps drivers only for the listed regions. "
                            "[regions]", json_schema_extra=_WHOLE)

    @classmethod
    def from_config(cls, table: dict) -> ReportSpec:
        return cls(**{k: as_tuple(v) if k == "formats" else v for k, v in table.items()})


class Specs(NamedTuple):
    """Every stage's settings, read from the config once (when the inputs are validated) and
    passed on to the stages that use them; no later stage reads the raw config again.

    Attributes
    ----------
    features : forewarn.features.FeatureSpec
        ``[features]``.
    model : ModelSpec
        ``[model]``.
    index : IndexChoice
        ``[index]``.
    report : ReportSpec
        ``[report]``.
    backtest : BacktestSpec or None
        ``[backtest]``, read only for a backtest.
    """

    features: object
    model: ModelSpec
    index: IndexChoice
    report: ReportSpec
    backtest: object = None
