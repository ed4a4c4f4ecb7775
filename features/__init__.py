"""Inputs and features: catalogue, validation, the as-of panel, the demo world, feature building."""

from forewarn.features._build import FeatureSpec, build_features
from forewarn.features._catalogue import (
    FREQUENCIES,
    TRANSFORMS,
    Catalogue,
    Indicator,
    load_catalogue,
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
from forewarn.features._demo import (
    DEMO_LABEL,
    TRUE_EFFECTS,
    DemoWorld,
    GridWorld,
    demo_catalogue,
    detection_rate,
    make_demo_world,
    make_grid_world,
)
from forewarn.features._design import (
    TARGET_RULES,
    Design,
    count_surges,
    design_matrix,
    make_target,
    outcome_events,
)
from forewarn.features._missing import FLAG_SUFFIX, carry_forward, imputed_share
from forewarn.features._panel import build_panel, panel_age, panel_times, resolve_vintages
from forewarn.features._periods import parse_periods
from forewarn.features._spatial import contiguity, spatial_lag
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
from forewarn.features._validate import (
    has_geometry,
    read_regions,
    validate_crisis_events,
    validate_observations,
    validate_outcome,
)

__all__ = [
    "DEMO_LABEL", "FLAG_SUFFIX", "FREQUENCIES", "PER_CAPITA_SCALE", "TARGET_RULES",
    "TRANSFORMS", "TRUE_EFFECTS",
    "Catalogue", "DemoWorld", "Design", "FeatureSpec", "GridWorld", "Indicator",
    "build_features", "build_panel", "build_panel_dense", "carry_forward", "change",
    "contiguity", "count_surges", "crisis_context", "demo_catalogue", "dense_observations",
    "design_matrix", "detection_rate", "grid_crisis_events", "growth", "has_geometry",
    "imputed_share", "lag", "level", "load_catalogue", "log1p", "make_demo_world",
    "make_grid_world", "make_target", "open_cube", "outcome_events", "panel_age",
    "panel_age_dense",
    "panel_times", "parse_periods", "per_capita", "read_regions", "relative_to_history",
    "resolve_vintages", "rolling_max", "rolling_mean", "spatial_lag",
    "validate_crisis_events", "validate_observations", "validate_outcome", "write_cube",
]
