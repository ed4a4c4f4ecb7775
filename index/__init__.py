"""A transparent composite risk index in the INFORM tradition: no outcome data needed.

Declare a hierarchy (dimensions, categories, components, indicators) in TOML, fit frozen
scaling bounds once, then score every region and time, with reliability and an exact
decomposition of each score into indicator contributions::

    spec = demo_spec()
    bounds = fit_bounds(reference_panel, spec)
    result = compute_index(panel, spec, bounds)
    dimensions = decompose(result, spec, depth=1)
"""

from ._bounds import Bounds, IndicatorBounds, fit_bounds
from ._compute import compute_index, decompose
from ._rounding import round_half_up
from ._spec import (
    AGGREGATIONS,
    CAPPINGS,
    INDEX_CLASS_BREAKS,
    IndexSpec,
    Leaf,
    Node,
    ReliabilityRule,
)
from ._spec_files import catalogue_spec, demo_spec, inform_spec, load_index_spec

__all__ = [
    "AGGREGATIONS",
    "CAPPINGS",
    "INDEX_CLASS_BREAKS",
    "Bounds",
    "IndexSpec",
    "IndicatorBounds",
    "Leaf",
    "Node",
    "ReliabilityRule",
    "catalogue_spec",
    "compute_index",
    "decompose",
    "demo_spec",
    "fit_bounds",
    "inform_spec",
    "load_index_spec",
    "round_half_up",
]
