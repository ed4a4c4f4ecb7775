"""Scenarios: change some inputs, re-score with the same model and explain the difference."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

import pandas as pd
from scipy.special import expit

from forewarn.models._explain import explain, explained_margin
from forewarn.models._validation import ModelInputError

__all__ = ["Scenario", "run_scenario"]


@dataclass(frozen=True, eq=False)
class Scenario:
    """A scenario's features, margins and the exact per-feature split of the difference.

    For every row, ``contributions.sum(axis=1) == margin_after - margin_before``.

    Parameters
    ----------
    before, after : DataFrame
        Model features built from the inputs as given and as changed. [feature units]
    contributions : DataFrame
        Change of each feature's contribution. [log-odds]
    margin_before, margin_after : Series
        Calibrated margins. [log-odds]
    """

    before: pd.DataFrame
    after: pd.DataFrame
    contributions: pd.DataFrame
    margin_before: pd.Series
    margin_after: pd.Series

    @property
    def probability_before(self) -> pd.Series:
        """Event probability with the inputs as given. [-]"""
        return pd.Series(expit(self.margin_before), index=self.margin_before.index)

    @property
    def probability_after(self) -> pd.Series:
        """Event probability with the changed inputs. [-]"""
        return pd.Series(expit(self.margin_after), index=self.margin_after.index)


def run_scenario(model, inputs: pd.DataFrame, changes: Mapping, make_features=None) -> Scenario:
    """Re-score rows with some inputs changed and split the change in margin per feature.

    Parameters
    ----------
    model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
        A fitted model (the detection-aware one is re-scored on its risk part).
    inputs : DataFrame
        Raw inputs, one row per region (one row is enough). [input units]
    changes : mapping of str to float or Series
        New values by input column: a number sets every row, a Series (indexed like
        ``inputs``) sets row by row - e.g. ``{"displaced": 250_000}``. [input units]
    make_features : callable, optional
        Turns a frame of raw inputs into the model's features, keeping the rows (for instance
        recomputing "displacement relative to its usual level" from "displaced"). None means
        the inputs are the features.

    Returns
    -------
    Scenario
    """
    owner = "run_scenario"
    if not isinstance(inputs, pd.DataFrame):
        raise ModelInputError(owner, f"'inputs' is a {type(inputs).__name__}; pass a DataFrame.")
    if not isinstance(changes, Mapping) or not changes:
        raise ModelInputError(
            owner, "'changes' must be a non-empty mapping from input column to new value, e.g. "
            "{'displaced': 250000}.",
        )
    unknown = [k for k in changes if k not in inputs.columns]
    if unknown:
        raise ModelInputError(
            owner, f"'changes' names {unknown[0]!r}, which is not an input column; use one of "
            f"{list(inputs.columns)[:10]}.",
        )
    for key, value in changes.items():
        numeric = (isinstance(value, Real) and not isinstance(value, bool)) or (
            isinstance(value, pd.Series) and pd.api.types.is_numeric_dtype(value))
        if not numeric:
            raise ModelInputError(
                owner, f"the new value of {key!r} is {value!r}; give a number or a numeric Series.",
            )
    changed = inputs.assign(**changes)
    build = make_features if make_features is not None else (lambda frame: frame)
    before, after = build(inputs), build(changed)
    for name, frame in (("before", before), ("after", after)):
        if not isinstance(frame, pd.DataFrame) or not frame.index.equals(inputs.index):
            raise ModelInputError(
                owner, f"make_features returned {type(frame).__name__} for the {name} inputs "
                "without the rows of 'inputs'; it must return a DataFrame with the same index.",
            )
    parts_before, _ = explain(model, before)
    parts_after, _ = explain(model, after)
    return Scenario(
        before=before,
        after=after,
        contributions=parts_after - parts_before,
        margin_before=pd.Series(explained_margin(model, before), index=inputs.index),
        margin_after=pd.Series(explained_margin(model, after), index=inputs.index),
    )
