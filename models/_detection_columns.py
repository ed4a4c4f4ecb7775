"""The columns of a detection-aware model's design: which feature each column belongs to, the
per-feature roles and directions, and whether the two parts can be told apart."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from forewarn.models._validation import ModelInputError


class _PartColumns:
    """Methods of :class:`forewarn.models._detection.DetectionAwareLogit` that map features to
    the columns of its design (a missing indicator belongs to the feature it flags) and check
    that each part has inputs of its own."""

    def _check_identified(self, Z, roles, owner_of, owner):
        varies = Z.std(axis=0) > 0
        names = self._names()
        for part, own, other in (("risk", "risk", "detection"), ("detection", "detection", "risk")):
            if not np.isin(roles, (own, "both")).any():
                raise ModelInputError(
                    owner, f"the {part} part has no inputs: no feature has role '{own}' or "
                    f"'both'. Give at least one indicator role = \"{own}\" in the catalogue.",
                )
            exclusive = (roles == own) & varies
            if not exclusive.any():
                shared = sorted({names[j] for j in owner_of[np.isin(roles, (own, "both"))]})
                raise ModelInputError(
                    owner, f"the {part} part shares every input with the {other} part "
                    f"({', '.join(shared[:6])}{', ...' if len(shared) > 6 else ''}), so the two "
                    "parts cannot be told apart. Give at least one indicator that varies in the "
                    f"training rows role = \"{own}\" (it drives the {part} part only).",
                )

    def _column_owner(self) -> np.ndarray:
        """The feature each design column belongs to (a missing indicator to the feature it
        flags)."""
        impute = self.preprocess_.named_steps["impute"]
        n = self.n_features_in_
        flagged = impute.indicator_.features_ if impute.indicator_ is not None else []
        return np.concatenate([np.arange(n), np.asarray(flagged, dtype=int)])

    def _column_name(self, col) -> str:
        owner_of = self._column_owner()
        name = self._names()[owner_of[col]]
        return name if col < self.n_features_in_ else f"{name} (missing)"

    def _names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        return [f"x{j}" for j in range(self.n_features_in_)] if names is None else \
            [str(n) for n in names]

    def _resolve(self, value, name, allowed, default) -> np.ndarray:
        """One value per column from a mapping by name, a sequence or None."""
        owner = f"{type(self).__name__}.fit"
        n = self.n_features_in_
        names = getattr(self, "feature_names_in_", None)
        if value is None:
            out = [default] * n
        elif isinstance(value, Mapping):
            if names is None:
                raise ModelInputError(
                    owner, f"'{name}' names features but X has no column names; pass X as a "
                    f"DataFrame or give '{name}' as one value per column.",
                )
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ModelInputError(
                    owner, f"'{name}' names {unknown[:5]} which are not columns of X; fix the "
                    "names.",
                )
            out = [value.get(c, default) for c in names]
        else:
            out = list(value)
            if len(out) != n:
                raise ModelInputError(
                    owner, f"'{name}' has {len(out)} values but X has {n} columns; give one "
                    "per column.",
                )
        bad = [v for v in out if isinstance(v, bool) or v not in allowed]
        if bad:
            raise ModelInputError(
                owner, f"'{name}' holds {bad[0]!r}; use one of {', '.join(map(repr, allowed))}.",
            )
        return np.asarray(out, dtype=str if name == "roles" else int)
