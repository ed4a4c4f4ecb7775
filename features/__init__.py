"""Inputs and features: catalogue, validation, the as-of panel, the demo world, feature building."""

from forewarn.features._catalogue import (
    FREQUENCIES,
    TRANSFORMS,
    Catalogue,
    Indicator,
    load_catalogue,
)
from forewarn.features._panel import build_panel, panel_age, panel_times, resolve_vintages
from forewarn.features._periods import parse_periods

__all__ = [
    "FREQUENCIES",
    "TRANSFORMS",
    "Catalogue",
    "Indicator",
    "load_catalogue",
    "build_panel",
    "panel_age",
    "panel_times",
    "resolve_vintages",
    "parse_periods",
]
