"""The config's typed schema: a pydantic model per section, and the reference made from it.

Each section of ``forewarn.toml`` is one model here, or a stage's spec dataclass built with
:func:`forewarn._schema.section_dataclass` (``[features]``: ``forewarn.features.FeatureSpec``;
``[model]``, ``[backtest]``, ``[schedules]``, ``[report]``: ``forewarn.flows._specs``): its
fields, types, defaults and descriptions are the single source the loader checks against,
``forewarn config --schema`` prints and ``docs/config.md`` is generated from. Every field may
carry a ``fix`` (shown in the schema as ``"fix"``): the sentence that tells a user how to mend a
bad value, used in the error message (:func:`forewarn._schema.schema_problems`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema, field_validator

# STRICT and schema_problems are re-exported for the config loader (forewarn.flows._config).
from forewarn._schema import STRICT, custom_error, fix, schema_problems
from forewarn.datasets import DEMO_SEED

__all__ = ["ProjectSection", "InputsSection", "ForecastSection", "OutputSection",
           "IndexSection", "config_schema", "config_reference", "valid_start",
           "iso_date_problem", "STRICT", "schema_problems"]


# ----------------------------------------------------------------------------- the sections

_START = re.compile(r"(\d{4})(?:-(\d{2}))?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def valid_start(value) -> bool:
    """True for 'YYYY' or 'YYYY-MM' with a month from 01 to 12."""
    m = _START.fullmatch(str(value)) if isinstance(value, str) else None
    return bool(m) and (m.group(2) is None or 1 <= int(m.group(2)) <= 12)


def iso_date_problem(value, what: str) -> str | None:
    """Why ``value`` is not an ISO date ``YYYY-MM-DD`` (or a TOML date); None when it is one.

    ``01/02/2025`` is 2 January to some readers and 1 February to others, so only ISO dates
    are read.
    """
    import pandas as pd

    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return None
    text = str(value).strip()
    shown = text if len(text) <= 40 else text[:37] + "..."
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(text):
        return (f"{what} is {shown!r}; write an ISO date YYYY-MM-DD (e.g. 2025-12-31): other "
                "forms such as 01/02/2025 are ambiguous.")
    try:
        pd.Timestamp(text)
    except ValueError:
        return f"{what} is {shown!r}, which is not a calendar date; write an ISO date YYYY-MM-DD."
    return None


class ProjectSection(BaseModel):
    """``[project]``: what the project is and how its time runs."""

    model_config = STRICT

    name: str | None = Field(None, description="Project name, shown in reports. Default: the "
                             "name of the folder that holds the config.")
    demo: bool = Field(False, description="True when the data are the demo world: every "
                       "output is then labelled as demo data. With no [inputs], the embedded "
                       "demo world is generated in memory.")
    frequency: Literal["monthly", "annual"] = Field(
        "monthly", description="Time step of the panel.",
        json_schema_extra=fix("use 'monthly' or 'annual'."))
    start: str | None = Field(None, description="First period of the panel, YYYY-MM (or YYYY "
                              "for an annual project). Default: the first period in the data.",
                              json_schema_extra=fix("give the first period as YYYY-MM (e.g. "
                                                    "'2005-01'), or YYYY for an annual "
                                                    "project."))
    seed: int = Field(DEMO_SEED, ge=0, description="Seed of every random step (models, "
                      "bootstrap).", json_schema_extra=fix("give a whole number >= 0 (it seeds "
                                                           "every random draw)."))
    outcome_label: str = Field("a recorded surge in human trafficking", description="What the "
                               "probability is the chance of, in words (reports use it).")
    outcome_short: str = Field("trafficking surge", description="The same, in two or three "
                               "words (table headers, map legends).")

    @field_validator("start")
    @classmethod
    def _start(cls, value):
        if value is not None and not valid_start(value):
            raise ValueError("not YYYY or YYYY-MM")
        return value


class InputsSection(BaseModel):
    """``[inputs]``: the project's input files, relative to the config file's folder.

    Name none of them (with ``[project] demo = true``) to use the embedded demo world.
    """

    model_config = STRICT

    regions: str | None = Field(None, description="Region boundaries (GeoPackage, GeoJSON, "
                                "Shapefile) or a regions table (CSV): region_id, name, "
                                "parent_id.")
    observations: str | list[str] = Field(
        [], description="Observation files (long CSV or Parquet: region_id, indicator, period, "
        "value, published), read in order.",
        json_schema_extra=fix("list file paths as strings."))
    cube: str | None = Field(None, description="Instead of observations: a Zarr store of dense "
                             "(region, month) arrays, one per catalogue indicator, for grids "
                             "too big for long tables.")
    catalogue: str | None = Field(None, description="The indicator catalogue (TOML).")
    outcome: str | None = Field(None, description="Outcome counts per region and period (CSV). "
                                "Trafficking data measure detection, not incidence.")
    outcome_lag_days: int = Field(90, ge=0, description="Days from the end of a period until "
                                  "its outcome is known. [days]",
                                  json_schema_extra=fix("give 0 or more days."))
    outcome_missing: Literal["zero", "unknown"] = Field(
        "zero", description="What a region-period without an outcome row is, inside the "
        "outcome's years: 'zero' (the file lists events only; every other period was quiet) or "
        "'unknown' (the file lists what was reported, as UNODC's detected victims; such periods "
        "are left out of training and evaluation, never counted as 0).",
        json_schema_extra=fix("use 'zero' (periods without a row were quiet) or 'unknown' (they "
                              "were not reported)."))
    crisis_events: str | None = Field(None, description="Crisis events (CSV: region_id, kind, "
                                      "start, end, magnitude).")


_DATE_SCHEMA = WithJsonSchema({"type": "string", "format": "date"})


class ForecastSection(BaseModel):
    """``[forecast]``: when the forecast is made and how far it looks."""

    model_config = STRICT

    as_of: Annotated[Any, _DATE_SCHEMA] = Field(
        None, description="Forecast date, an ISO date YYYY-MM-DD: only what was published by "
        "then is used. Default: today.")
    horizons: list[int] = Field([12], min_length=1, description="Forecast horizons. [months]",
                                json_schema_extra=fix("give whole numbers of months >= 1, e.g. "
                                                      "[6, 12]."))

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, value):
        if value is not None:
            why = iso_date_problem(value, "'as_of'")
            if why is not None:
                raise custom_error(why)
        return value

    @field_validator("horizons")
    @classmethod
    def _horizons(cls, value):
        if any(h < 1 for h in value):
            raise ValueError("a horizon below 1")
        return value


class OutputSection(BaseModel):
    """``[output]``: where runs are published."""

    model_config = STRICT

    dir: str = Field("forewarn-out", description="Folder of the published runs, relative to "
                     "the config file's folder.")


class IndexSection(BaseModel):
    """``[index]``: which composite index to compute."""

    model_config = STRICT

    spec: str = Field("demo", description="A shipped spec ('demo', 'inform'), 'catalogue' (the "
                      "equal-weight mean of the catalogue's directed indicators) or a TOML file "
                      "relative to the config. When not given, a default that does not fit the "
                      "catalogue gives way to the catalogue index.")


# ---------------------------------------------------------------------------- the reference

def config_schema() -> dict:
    """The JSON schema of a project config file, every section typed (``forewarn config --schema``).

    The stages' sections are described by their specs: ``[features]`` by
    :class:`forewarn.features.FeatureSpec`, ``[model]``, ``[backtest]``, ``[schedules]`` and
    ``[report]`` by the specs in :mod:`forewarn.flows._specs`.
    """
    from pydantic import create_model

    from forewarn.features import FeatureSpec
    from forewarn.flows._config import ConfigFile
    from forewarn.flows._specs import BacktestSpec, ModelSpec, ReportSpec, ScheduleSpec

    typed = {"features": FeatureSpec, "index": IndexSection, "model": ModelSpec,
             "backtest": BacktestSpec, "schedules": ScheduleSpec, "report": ReportSpec}
    full = create_model("ForewarnConfig", __base__=ConfigFile, __doc__=ConfigFile.__doc__,
                        **{name: (kind, Field(default_factory=dict,
                                              description=ConfigFile.model_fields[name]
                                              .description))
                           for name, kind in typed.items()})
    return full.model_json_schema()


def config_reference() -> str:
    """``docs/config.md``: every section and field of the config, generated from the schema."""
    schema = config_schema()
    defs = schema.get("$defs", {})
    lines = ["# The project config (`forewarn.toml`)", "",
             "<!-- Generated by `forewarn config --reference` from the config schema "
             "(forewarn/flows/_schema.py and the specs); do not edit by hand. -->", "",
             "Every section is optional; a field left out takes its default. Relative paths "
             "are taken from the config file's folder. Unknown sections and fields are errors "
             "(with the closest known name). `forewarn config --schema` prints the same as a "
             "JSON schema.", ""]
    for section, prop in schema["properties"].items():
        ref = prop.get("$ref") or next((a["$ref"] for a in prop.get("anyOf", ())
                                        if "$ref" in a), None)
        body = defs[ref.rsplit("/", 1)[-1]] if ref else {}
        summary = " ".join(body.get("description", "").strip().split("\n\n", 1)[0].split())
        summary = re.sub(r"^``\[\w+\]``: ", "", summary or prop.get("description", ""))
        lines += [f"## [{section}]", "", _cell(summary[:1].upper() + summary[1:]), "",
                  "| field | type | default | description |", "|---|---|---|---|"]
        for name, field in body.get("properties", {}).items():
            text = field.get("description", "")
            if field.get("fix"):
                text += f" A bad value: {field['fix']}"
            lines.append(f"| `{name}` | {_type(field, defs)} | {_default(field)} | "
                         f"{_cell(text)} |")
        lines.append("")
    return "\n".join(lines)


def _type(field: dict, defs: dict) -> str:
    if "$ref" in field:
        return "table"
    if "enum" in field:
        return " \\| ".join(f"`{v!r}`" for v in field["enum"])
    if "const" in field:
        return f"`{field['const']!r}`"
    if "anyOf" in field:
        return " or ".join(_type(a, defs) for a in field["anyOf"] if a.get("type") != "null")
    kind = field.get("type")
    if kind == "string" and field.get("format") == "date":
        return "date"
    if kind == "array":
        return f"list of {_type(field.get('items', {}), defs)}"
    return {"string": "str", "integer": "int", "number": "number", "boolean": "bool",
            "object": "table"}.get(kind, "any" if kind is None else str(kind))


def _default(field: dict) -> str:
    if "default" not in field:
        return "`{}`" if field.get("type") == "object" else ""
    value = field["default"]
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, dict) and not value:
        return "`{}`"
    return f"`{value}`".replace("'", '"')


def _cell(text: str) -> str:
    """One Markdown table cell: one line, pipes escaped, reST literals as Markdown code."""
    return " ".join(text.replace("|", "\\|").replace("``", "`").split())
