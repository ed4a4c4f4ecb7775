"""Change since the last run: a region's change in margin split into inputs and model."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forewarn.models._explain import explain, explained_margin
from forewarn.models._validation import ModelInputError, one_row_per_region

__all__ = ["MarginChange", "explain_change"]


@dataclass(frozen=True, eq=False)
class MarginChange:
    """How each region's margin moved between two runs, split exactly.

    For every region in both runs, ``inputs.sum(axis=1) + model == new_margin - old_margin``.

    Parameters
    ----------
    old_margin, new_margin : Series indexed by region
        Calibrated margin in the old and the new run. [log-odds]
    inputs : DataFrame indexed by region, one column per feature of the new model
        Part of the change due to each feature's new value, measured with the new model.
        [log-odds]
    model : Series indexed by region
        Part due to the model itself: the new model minus the old one, both on the old inputs
        (0 when the model did not change). [log-odds]
    added, dropped : tuple of str
        Regions only in the new run, and only in the old one; they have no change to split.
    """

    old_margin: pd.Series
    new_margin: pd.Series
    inputs: pd.DataFrame
    model: pd.Series
    added: tuple
    dropped: tuple

    @property
    def total(self) -> pd.Series:
        """``new_margin - old_margin`` per region. [log-odds]"""
        return self.new_margin - self.old_margin


def explain_change(old_model, old_X: pd.DataFrame, new_model, new_X: pd.DataFrame) -> MarginChange:
    """Split each region's change in margin between two runs into per-feature and model parts.

    The bridge is the new model evaluated on the old inputs: the model part is
    ``new_model(old_X) - old_model(old_X)`` and, because the new model is additive, the input
    part is ``explain(new_model, new_X) - explain(new_model, old_X)`` feature by feature. The two
    add up to the whole change exactly. Pass the same model twice when only the data changed.

    Parameters
    ----------
    old_model, new_model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
        Fitted on DataFrames (features are matched by name).
    old_X, new_X : DataFrame
        One row per region (indexed by region, or with a ``"region"`` index level), holding the
        columns of the new model, and in ``old_X`` also those of the old model. [feature units]

    Returns
    -------
    MarginChange
    """
    owner = "explain_change"
    old = one_row_per_region(old_X, owner, "old_X")
    new = one_row_per_region(new_X, owner, "new_X")
    features = {}
    for role, model in (("old_model", old_model), ("new_model", new_model)):
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            raise ModelInputError(
                owner,
                f"{role} was fitted without column names, so its features cannot be matched to "
                "the inputs; fit it on a DataFrame.",
            )
        features[role] = list(names)
    for what, frame, roles in (("old_X", old, ("old_model", "new_model")),
                               ("new_X", new, ("new_model",))):
        for role in roles:
            lacking = [f for f in features[role] if f not in frame.columns]
            if lacking:
                raise ModelInputError(
                    owner,
                    f"{what} lacks {len(lacking)} feature(s) of {role}, e.g. {lacking[0]!r}; "
                    f"rebuild {what} with every feature of {role} (the bridge evaluates the new "
                    "model on the old inputs).",
                )
    common = new.index[new.index.isin(old.index)]
    old_in = old.loc[common]
    new_in = new.loc[common, features["new_model"]]
    bridge_in = old_in[features["new_model"]]
    old_margin = pd.Series(explained_margin(old_model, old_in[features["old_model"]]),
                           index=common)
    new_parts, _ = explain(new_model, new_in)
    bridge_parts, _ = explain(new_model, bridge_in)
    bridge_margin = pd.Series(explained_margin(new_model, bridge_in), index=common)
    return MarginChange(
        old_margin=old_margin,
        new_margin=pd.Series(explained_margin(new_model, new_in), index=common),
        inputs=new_parts - bridge_parts,
        model=bridge_margin - old_margin,
        added=tuple(new.index[~new.index.isin(old.index)]),
        dropped=tuple(old.index[~old.index.isin(new.index)]),
    )
