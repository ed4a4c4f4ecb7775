"""Inputs and features: catalogue, validation, the as-of panel, feature building.

The demo and grid worlds, generated inputs to try forewarn on, are in :mod:`forewarn.datasets`.
"""

from forewarn.features._build import FeatureSpec, build_features
from forewarn.features._catalogue import (
    FREQUENCIES,
    TRANSFORMS,
    Catalogue,
    Indicator,
    load_catalogue,
    read_toml,
)
from forewarn.features._crisis import crisis_context
from forewarn.features._dense import (
    build_panel_dense,
    dense_observations,
    grid_crisis_events,
    open_cube,
    panel_age_dense,
    write_cube,
)
from forewarn.features._design import (
    OUTCOME_MISSING,
    TARGET_RULES,
    Design,
    count_surges,
    design_matrix,
    make_target,
    outcome_events,
)
from forewarn.features._missing import FLAG_SUFFIX, carry_forward, imputed_share
from forewarn.features._panel import build_panel, panel_age, panel_times, resolve_vintages
from forewarn.features._periods import (
    month_ordinal,
    ordinal_to_timestamp,
    parse_periods,
    period_end,
    period_label,
)
from forewarn.features._spatial import contiguity, row_standardise, spatial_lag
from forewarn.features._transforms import (
    PER_CAPITA_SCALE,
    change,
    growth,
    lag,
    level,
    log1p,
    per_capita,
    relative_to_history,
    rolling_max,
    rolling_mean,
)
from forewarn.features._regions import has_geometry, read_regions
from forewarn.features._validate import (
    to_text,
    validate_crisis_events,
    validate_observations,
    validate_outcome,
)

__all__ = [
    "FLAG_SUFFIX", "FREQUENCIES", "OUTCOME_MISSING", "PER_CAPITA_SCALE", "TARGET_RULES",
    "TRANSFORMS", "Catalogue", "Design", "FeatureSpec", "Indicator", "build_features",
    "build_panel", "build_panel_dense", "carry_forward", "change", "contiguity", "count_surges",
    "crisis_context", "dense_observations", "design_matrix", "grid_crisis_events", "growth",
    "has_geometry", "imputed_share", "lag", "level", "load_catalogue", "log1p", "make_target",
    "month_ordinal", "open_cube", "ordinal_to_timestamp", "outcome_events", "panel_age",
    "panel_age_dense", "panel_times", "parse_periods", "per_capita", "period_end", "period_label",
    "read_regions", "read_toml", "relative_to_history", "resolve_vintages", "rolling_max",
    "rolling_mean", "row_standardise", "spatial_lag", "to_text", "validate_crisis_events",
    "validate_observations", "validate_outcome", "write_cube",
]

#: Names that moved to :mod:`forewarn.datasets`, still reachable here for code written before.
_MOVED_TO_DATASETS = frozenset({
    "DEMO_LABEL", "DEMO_SEED", "TRUE_EFFECTS", "DemoWorld", "GridWorld", "demo_catalogue",
    "detection_rate", "make_demo_world", "make_grid_world",
})


def __getattr__(name):
    # Looked up lazily: forewarn.datasets is built on this package, so importing it here at
    # import time would be circular.
    if name in _MOVED_TO_DATASETS:
        import forewarn.datasets

        return getattr(forewarn.datasets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
