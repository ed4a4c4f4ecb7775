"""Typed specs whose errors are forewarn Problems: pydantic's checks, forewarn's wording.

Every config section and stage spec (``[features]`` in ``forewarn.features``, the run's sections
in ``forewarn.flows``) is a pydantic model or a frozen pydantic dataclass made with
:func:`section_dataclass`; a field carries its description and, through :func:`fix`, the
sentence telling a user how to mend a bad value. :func:`schema_problems` turns pydantic's
errors into :class:`~forewarn.errors.Problem` objects naming the file or section, the field
(as ``column``), the value found and the fix. Lives at the top of the package so that every
stage can use it without importing a later one.
"""

from __future__ import annotations

from pydantic import ConfigDict, ValidationError
from pydantic import dataclasses as pydantic_dataclasses
from pydantic_core import PydanticCustomError

from forewarn._match import did_you_mean
from forewarn.errors import InputError, Problem

__all__ = ["STRICT", "MAX_UNKNOWN", "UNKNOWN_WORDS", "fix", "custom_error", "reworded",
           "as_tuple", "shown", "schema_problems", "section_dataclass"]

#: Unknown fields listed one by one in a section; past this many they are summarised.
MAX_UNKNOWN = 10

#: Every section model: unknown fields are errors, and values are taken as TOML gives them
#: (no "5" read as 5, no true read as 1).
STRICT = ConfigDict(extra="forbid", strict=True)

#: How an unknown field is reported: "<verb> '<key>'. Did you mean ...? <list>: <fields>."
UNKNOWN_WORDS = ("names unknown field", "Fields")

#: pydantic's type-error kinds, as the message names them.
_KINDS = {"string_type": "a str", "int_type": "an int", "bool_type": "a bool",
          "float_type": "a number", "list_type": "a list", "tuple_type": "a list",
          "dict_type": "a table", "model_type": "a table", "dataclass_type": "a table",
          "model_attributes_type": "a table", "dataclass_exact_type": "a table"}
_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")


def fix(text: str) -> dict:
    """A field's ``json_schema_extra``: the sentence telling a user how to mend a bad value."""
    return {"fix": text}


def custom_error(message: str) -> PydanticCustomError:
    """An error whose message (after the section) is ``message`` exactly, raised in a validator."""
    return PydanticCustomError("forewarn", "{message}", {"message": message})


def reworded(handler, value, message):
    """The body of a ``mode="wrap"`` field validator: ``handler(value)``, any error reworded.

    The field keeps its declared type and constraints (and so its JSON schema); only the
    message changes. ``message`` is the text, or a function of ``value`` returning it (None
    keeps pydantic's error, worded by :func:`schema_problems`).
    """
    try:
        return handler(value)
    except ValidationError:
        text = message(value) if callable(message) else message
        if text is None:
            raise
        raise custom_error(text) from None


def as_tuple(value):
    """A list as the tuple a frozen spec holds (a TOML array arrives as a list); else unchanged."""
    return tuple(value) if isinstance(value, list) else value


def shown(value) -> str:
    """A bad value as the user wrote it (a TOML array is a list, whatever the spec made of it)."""
    text = repr(list(value) if isinstance(value, tuple) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fields(model) -> dict:
    return getattr(model, "model_fields", None) or getattr(model, "__pydantic_fields__", {})


def schema_problems(exc: ValidationError, file, model, data, section: str | None = None,
                    sections: dict | None = None,
                    unknown_words: tuple[str, str] = UNKNOWN_WORDS) -> list[Problem]:
    """Turn pydantic's errors for ``data`` checked against ``model`` into forewarn Problems.

    Parameters
    ----------
    exc : pydantic.ValidationError
    file : str or Path
        Where the problems are: the config file, or ``"config [model]"`` for a spec section.
    model : type
        The model ``data`` was checked against (a section, or the whole file).
    data : dict
        The raw table that was checked.
    section : str or None
        With a section name, messages start with ``[section]`` (``file`` is then the config
        file); None for a spec section whose ``file`` already names it.
    sections : dict or None
        When ``model`` is the whole file: section name -> section model, so errors inside a
        section are worded as that section's.
    unknown_words : (str, str)
        How an unknown field is reported, and what the list of known fields is called.

    Returns
    -------
    list of Problem
        One per bad field (``column`` names it), unknown fields with the likeliest intended
        name, unknown sections, and a summary past :data:`MAX_UNKNOWN` unknown fields. A value
        of the wrong type reads "'<field>' is <value>; it must be <kind>." followed by the
        field's fix.
    """
    problems: list[Problem] = []
    unknown: dict[tuple, list[str]] = {}
    done: set[tuple] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        where_model, where_data, where_section, rest = model, data, section, loc
        if sections is not None and loc and loc[0] in sections:
            where_model, where_section = sections[loc[0]], loc[0]
            where_data = data.get(loc[0], {}) if isinstance(data, dict) else {}
            rest = loc[1:]
        prefix = f"[{where_section}] " if where_section else ""
        if err["type"] in _UNKNOWN:
            if sections is not None and len(loc) == 1 and loc[0] not in sections:
                name = str(loc[0])
                problems.append(Problem(file, f"unknown section [{name[:60]}]."
                                        f"{did_you_mean(name, sections, brackets=True)} "
                                        f"Sections: {', '.join(sections)}.", column=name[:60]))
            else:
                unknown.setdefault((where_section, prefix, where_model), []).append(str(rest[-1]))
            continue
        if not rest:  # the section itself is not a table
            problems.append(Problem(file, f"{prefix.strip() or 'the section'} must be a table.",
                                    column=where_section))
            continue
        key = str(rest[0])
        if (where_section, key) in done:
            continue  # one problem per field (a list with several bad items)
        done.add((where_section, key))
        value = where_data.get(key, err.get("input")) if isinstance(where_data, dict) \
            else err.get("input")
        info = _fields(where_model).get(key)
        mend = ((info.json_schema_extra or {}) if info is not None else {}).get("fix")
        if err["type"] == "forewarn":
            text = err["ctx"]["message"]
        elif len(rest) == 1 and err["type"] in _KINDS:
            text = f"'{key}' is {shown(value)}; it must be {_KINDS[err['type']]}."
            if mend:
                text += f" {mend[0].upper()}{mend[1:]}"
        elif mend:
            text = f"'{key}' is {shown(value)}; {mend}"
        else:
            text = f"'{key}' is {shown(value)}; {err['msg'][0].lower()}{err['msg'][1:]}."
        problems.append(Problem(file, prefix + text, column=key))
    verb, listed_as = unknown_words
    for (_, prefix, where_model), keys in unknown.items():
        allowed = list(_fields(where_model))
        for key in keys[:MAX_UNKNOWN]:
            problems.append(Problem(file, f"{prefix}{verb} '{key[:60]}'."
                                    f"{did_you_mean(key, allowed)} {listed_as}: "
                                    f"{', '.join(allowed)}.", column=key[:60]))
        if len(keys) > MAX_UNKNOWN:
            what = prefix.strip() or "the section"
            problems.append(Problem(file, f"{what} names {len(keys) - MAX_UNKNOWN:,} more "
                                    f"unknown fields (of {len(keys):,}); remove them.",
                                    column=prefix.strip("[] ") or None))
    return problems


def section_dataclass(where: str, unknown_words: tuple[str, str] = UNKNOWN_WORDS):
    """Decorator: a frozen pydantic dataclass for a spec section whose errors are InputErrors.

    The class keeps everything a dataclass offers (``dataclasses.replace``, ``asdict``,
    equality, hashing) and is checked against its field types and constraints whenever one is
    made; a bad value raises :class:`~forewarn.errors.InputError` naming ``where`` (e.g.
    ``"config [model]"``), the field and the fix, every bad field at once.
    """
    def wrap(cls):
        cls = pydantic_dataclasses.dataclass(frozen=True, config=STRICT)(cls)
        init = cls.__init__

        def __init__(self, *args, **kwargs):
            try:
                init(self, *args, **kwargs)
            except ValidationError as exc:
                raise InputError(schema_problems(exc, where, cls, kwargs,
                                                 unknown_words=unknown_words)) from None

        __init__.__doc__ = init.__doc__
        cls.__init__ = __init__
        return cls
    return wrap
