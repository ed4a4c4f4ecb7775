"""Plain-language drivers: the features that push each region's score up and down most."""

from __future__ import annotations

from collections.abc import Mapping

import re

import numpy as np
import pandas as pd

from forewarn.models._validation import ModelInputError

__all__ = ["describe_value", "top_drivers"]


def top_drivers(contributions: pd.DataFrame, X: pd.DataFrame, meta=None, n=3) -> pd.DataFrame:
    """The ``n`` largest contributions up and down for each row, with a sentence each.

    A sentence reads ``"<what>: <contribution> log-odds"``, for example
    ``"displacement in the last 6 months is 3.1× its usual level: +0.80 log-odds"`` or
    ``"37 months since the latest conflict began: -0.11 log-odds"``; ``<what>`` is
    :func:`describe_value` of the feature's metadata (its ``phrase``, a ``str.format`` template
    with ``{value}`` or the catalogue's plain words, ``label``, ``units`` and ``kind``).

    Parameters
    ----------
    contributions : DataFrame, shape (n_rows, n_features)
        Output of :func:`explain`. [log-odds]
    X : DataFrame
        The explained rows (same index), holding at least the contribution columns.
        [feature units]
    meta : mapping of str to mapping, optional
        Per feature: ``phrase``, ``label`` (or ``long_name``), ``unit`` (or ``units``) and
        ``kind`` - for instance ``{name: ds[name].attrs for name in ds}`` of a feature dataset,
        or ``feature_table(...).to_dict("index")``.
    n : int, default=3
        Drivers per side and row. [-]

    Returns
    -------
    DataFrame
        One row per driver: X's index levels as columns, then ``side`` ("up" raises the score,
        "down" lowers it), ``rank`` (1 is the strongest), ``feature``, ``value``,
        ``contribution`` [log-odds] and ``text``. Only strictly positive (up) and strictly
        negative (down) contributions are listed.
    """
    if not (isinstance(n, int) and n >= 1):
        raise ModelInputError("top_drivers", f"'n' must be an int >= 1; got {n!r}.")
    missing = [c for c in contributions.columns if c not in X.columns]
    if missing:
        raise ModelInputError(
            "top_drivers",
            f"X lacks the columns {missing[:5]} that have contributions; pass the explained rows.",
        )
    if not contributions.index.equals(X.index):
        raise ModelInputError(
            "top_drivers",
            "contributions and X have different row indexes; pass the rows that were explained, "
            "in the same order.",
        )
    meta = {} if meta is None else meta
    if not isinstance(meta, Mapping):
        raise ModelInputError(
            "top_drivers",
            f"'meta' is a {type(meta).__name__}; pass a mapping from feature name to its attrs "
            "(for a DataFrame indexed by feature: df.to_dict('index')).",
        )
    describe = {name: _describer(name, meta.get(name, {})) for name in contributions.columns}
    names = np.asarray(contributions.columns)
    c = contributions.to_numpy(dtype=float)
    x = X[list(contributions.columns)].to_numpy(dtype=float)
    k = min(n, c.shape[1])
    rows = np.arange(len(c))[:, None]
    parts = []
    for side, order in (("up", np.argsort(-c, axis=1, kind="stable")),
                        ("down", np.argsort(c, axis=1, kind="stable"))):
        cols = order[:, :k]
        chosen = c[rows, cols]
        keep = chosen > 0 if side == "up" else chosen < 0
        row_at, rank_at = np.nonzero(keep)
        parts.append(pd.DataFrame({
            "_row": row_at, "side": side, "rank": rank_at + 1,
            "feature": names[cols[keep]], "value": x[rows, cols][keep],
            "contribution": chosen[keep],
        }))
    out = pd.concat(parts, ignore_index=True).sort_values(["_row", "side", "rank"],
                                                          ascending=[True, False, True])
    out["text"] = [describe[f](v, ct) for f, v, ct in
                   zip(out["feature"], out["value"], out["contribution"])]
    index = contributions.index.to_frame(index=False).iloc[out["_row"].to_numpy()]
    levels = list(contributions.index.names)
    unnamed = ["row"] if len(levels) == 1 else [f"level_{i}" for i in range(len(levels))]
    index.columns = [name if name is not None else fallback
                     for name, fallback in zip(levels, unnamed)]
    return pd.concat([index.reset_index(drop=True),
                      out.drop(columns="_row").reset_index(drop=True)], axis=1)


def _describer(name: str, attrs: Mapping):
    """A function ``(value, contribution) -> sentence`` for one feature; checks its phrase once."""
    phrase = attrs.get("phrase") or ""
    if "{" in phrase:
        try:
            phrase.format(value=1.0)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ModelInputError(
                "top_drivers",
                f"the phrase of feature {name!r} ({phrase!r}) does not format ({exc!r}); write it "
                "with {value} as the only field, e.g. 'displacement is {value:.1f}× its usual "
                "level'.",
            ) from None

    def sentence(value, contribution):
        return f"{describe_value(name, attrs, value)}: {contribution:+.2f} log-odds"

    return sentence


def describe_value(name: str, attrs: Mapping, value: float) -> str:
    """What one feature's value means, in words a planner reads.

    The one wording of a driver (the drivers table, the scores' ``drivers_up`` / ``drivers_down``
    and the report's region cards all show it). It reads the feature's catalogue metadata, as
    ``forewarn.features`` writes it into every feature's attrs:

    - a ``phrase`` with a ``{value}`` field is a template: ``"displacement is {value:.1f}× its
      usual level"``;
    - otherwise the phrase names what is measured and the kind of feature says how: a carried-
      forward flag (``kind="flag"`` or ``<name>__imputed``) reads "no new data, last value
      carried forward"; an onset seen / ongoing (``__seen``, ``__ongoing``) the phrase or
      "not: <phrase>"; time since onset (``__since``) "37 months since the latest conflict
      began", or "no conflict began in the last 10 years" at its cap (``at most <cap>`` in the
      phrase, in the panel's step); a ratio to the usual level "<what> is 3.1× its usual
      level"; a ``log(1 + <unit>)`` value back in its own unit; any other "<phrase> is <value>
      <units>" (units naming a scale, such as "score 0-100", in brackets);
    - without a phrase the ``label`` (or ``long_name``) names the feature, else its name;
    - a missing value reads "<what>: no data".

    Parameters
    ----------
    name : str
        Feature name, e.g. ``"crisis_conflict__since"``.
    attrs : mapping
        The feature's ``phrase``, ``label`` (or ``long_name``), ``units`` (or ``unit``) and
        ``kind``: a feature variable's attrs, or a row of ``forewarn.flows.feature_table``.
    value : float
        The feature's value. [feature units]

    Returns
    -------
    str

    Examples
    --------
    >>> describe_value("crisis_conflict__since",
    ...                {"phrase": "months since the latest conflict began (at most 120)"}, 37.0)
    '37 months since the latest conflict began'
    >>> describe_value("state_capacity", {"label": "State capacity", "units": "score 0-100"}, 62.5)
    'State capacity is 62.5 (score 0-100)'
    """
    phrase = attrs.get("phrase") or ""
    template = "{" in phrase
    units = attrs.get("unit", attrs.get("units", ""))
    units = units if isinstance(units, str) else ""
    subject = (phrase.replace(" (log scale)", "") if phrase and not template
               else str(attrs.get("label", attrs.get("long_name", name))))
    if value is None or not np.isfinite(value):
        return f"{subject}: no data"
    if template:
        return phrase.format(value=value)
    if attrs.get("kind") == "flag" or name.endswith("__imputed"):
        what = subject.replace(" carried forward from an earlier period", "")
        return (f"{what}: no new data, last value carried forward" if value >= 0.5
                else f"{what}: up to date")
    if name.endswith(("__seen", "__ongoing")):
        return subject if value >= 0.5 else "not: " + subject
    if name.endswith("__since"):
        return _since(name, phrase, value)
    if "relative to its usual level" in phrase:
        return f"{phrase.split(' relative to')[0]} is {value:.1f}× its usual level"
    if units.startswith("log(1 + "):
        return f"{subject} is {np.expm1(value):,.0f} {units[len('log(1 + '):-1]}"
    # Units naming a scale ("score 0-100", "tier 1-3") read best in brackets; "-" is no unit.
    unit_text = (f" ({units})" if re.search(r"\d", units)
                 else f" {units}" if units and units != "-" else "")
    return f"{subject} is {value:,.4g}{unit_text}"


def _since(name: str, phrase: str, value: float) -> str:
    """Time since the latest onset, in the panel's step (the phrase starts "months since" or
    "years since"); at its cap ("at most <cap>" in the phrase) no onset in that time."""
    base = name.split("__")[0]
    kind = (base[len("crisis_"):] if base.startswith("crisis_") else base).replace("_", " ")
    unit = "years" if phrase.startswith("years") else "months"
    cap = re.search(r"at most (\d+)", phrase)
    if cap and value >= float(cap.group(1)):
        years = int(cap.group(1)) // (1 if unit == "years" else 12)
        return f"no {kind} began in the last {years} years"
    return f"{value:.0f} {unit} since the latest {kind} began"
