"""Plain-language drivers: the features that push each region's score up and down most."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forewarn.models._validation import ModelInputError

__all__ = ["top_drivers"]


def top_drivers(contributions: pd.DataFrame, X: pd.DataFrame, meta=None, n=3) -> pd.DataFrame:
    """The ``n`` largest contributions up and down for each row, with a sentence each.

    A sentence reads ``"<what> : <contribution> log-odds"``, for example
    ``"displacement in the last 6 months is 3.1× its usual level: +0.80 log-odds"``. ``<what>``
    comes from the feature's ``phrase`` (a ``str.format`` template with ``{value}``, e.g.
    ``"displacement in the last 6 months is {value:.1f}× its usual level"``); without one it is
    ``"<label> is <value> <unit>"``; a missing value reads ``"<label>: no data"``.

    Parameters
    ----------
    contributions : DataFrame, shape (n_rows, n_features)
        Output of :func:`explain`. [log-odds]
    X : DataFrame
        The explained rows (same index), holding at least the contribution columns.
        [feature units]
    meta : mapping of str to mapping, optional
        Per feature: ``phrase``, ``label`` (or ``long_name``) and ``unit`` (or ``units``) -
        for instance ``{name: ds[name].attrs for name in ds}`` of a feature dataset.
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
    label = attrs.get("label", attrs.get("long_name", name))
    unit = attrs.get("unit", attrs.get("units", ""))
    phrase = attrs.get("phrase")
    if phrase is not None:
        try:
            phrase.format(value=1.0)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ModelInputError(
                "top_drivers",
                f"the phrase of feature {name!r} ({phrase!r}) does not format ({exc!r}); write it "
                "with {value} as the only field, e.g. 'displacement is {value:.1f}× its usual "
                "level'.",
            ) from None
    suffix = f" {unit}" if unit and unit != "-" else ""

    def sentence(value, contribution):
        if np.isnan(value):
            what = f"{label}: no data"
        elif phrase is not None:
            what = phrase.format(value=value)
        else:
            what = f"{label} is {value:.3g}{suffix}"
        return f"{what}: {contribution:+.2f} log-odds"

    return sentence
