"""A fitted model for one horizon, and what of its training rows the flow keeps.

The flow needs little of a horizon's training rows once the model is fitted: the model card
(window, row and region counts, event rate) and each feature's observed range (the report's
shape functions). A training unit on a Dask worker therefore hands back a :class:`Trained`
without its rows (:meth:`Trained.without_rows`): on the grid world they are 1.9 million rows
× 39 features per horizon, about 0.6 GB each that would otherwise be pickled on the worker,
sent, and held in the flow process until the run ends. Whoever still asks for the rows
(``X_train``, ``y_train``: the findings of a real-data run, a backtest) gets them rebuilt
from the run's prepared data, which give exactly the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["Trained", "feature_ranges"]


@dataclass
class Trained:
    """A fitted model for one horizon and what it was fitted on.

    ``X_train`` and ``y_train`` are the training rows (``region, time`` index); a Trained
    handed back from a Dask worker holds them no more and rebuilds them when asked, as long as
    the run's prepared data are there (see :meth:`with_rebuild`).
    """

    horizon: int
    model: object
    X_origin: pd.DataFrame
    known_until: pd.Timestamp
    #: Region-periods up to the origin, with a fully observed window, left out of training
    #: because their outcome is unknown (no row with ``outcome_missing = "unknown"``, or too
    #: little history for the surge rule). [rows]
    n_unknown: int = 0
    #: ``(unit, where it ran)`` for the units of its fit sent to a cluster (empty otherwise).
    ran_on: list = field(default_factory=list)
    #: Training rows and columns. [rows], [features]
    n_rows: int = 0
    n_features: int = 0
    rows: tuple | None = field(default=None, repr=False)
    card: object = field(default=None, repr=False)
    ranges: pd.DataFrame | None = field(default=None, repr=False)
    rebuild: object = field(default=None, repr=False, compare=False)
    #: A folder where :func:`forewarn.models.save_model` wrote this very model (its cache
    #: entry): publishing copies that file instead of serialising the model again.
    saved: Path | None = field(default=None, repr=False, compare=False)

    @classmethod
    def fitted(cls, horizon, model, X_train, y_train, X_origin, known_until, n_unknown=0):
        """A Trained that holds its training rows."""
        return cls(horizon, model, X_origin, known_until, n_unknown,
                   n_rows=len(X_train), n_features=X_train.shape[1], rows=(X_train, y_train))

    @property
    def X_train(self) -> pd.DataFrame:
        """The training rows' features (rebuilt when this Trained no longer holds them)."""
        return self._rows()[0]

    @property
    def y_train(self) -> pd.Series:
        """The training rows' outcomes, 0 or 1."""
        return self._rows()[1]

    def _rows(self):
        if self.rows is None:
            if self.rebuild is None:
                raise RuntimeError(
                    f"the {self.horizon}-month model's training rows were left on the Dask "
                    "worker that trained it, and the run's prepared data are gone; rebuild "
                    "them with forewarn.flows.train(project, prepared, horizon, model_spec, "
                    "seed, fit=False).")
            self.rows = self.rebuild()
        return self.rows

    def model_card(self):
        """The model card (:func:`forewarn.models.make_model_card`), made once."""
        if self.card is None:
            from forewarn.models import make_model_card

            self.card = make_model_card(self.model, self.X_train, self.y_train)
        return self.card

    def feature_ranges(self) -> pd.DataFrame:
        """Each feature's smallest and largest training value (rows ``min`` and ``max``; NaN
        for a feature never observed): all :func:`forewarn.models.shape_functions` reads of
        the training rows."""
        if self.ranges is None:
            self.ranges = feature_ranges(self.X_train)
        return self.ranges

    def without_rows(self) -> Trained:
        """This Trained with its model card and feature ranges but not its training rows:
        what a training unit sends back to the flow."""
        self.model_card()
        self.feature_ranges()
        self.rows = None
        return self

    def with_rebuild(self, rebuild) -> Trained:
        """Rebuild the training rows, when asked, with ``rebuild() -> (X_train, y_train)``
        (None: they cannot be rebuilt any more)."""
        self.rebuild = rebuild
        return self


def feature_ranges(X: pd.DataFrame) -> pd.DataFrame:
    """Rows ``min`` and ``max`` of each column of X, NaN skipped (NaN for an empty column)."""
    return pd.DataFrame([X.min(skipna=True), X.max(skipna=True)], index=["min", "max"])
