"""Generated worlds to try forewarn on, like ``sklearn.datasets`` or ``xarray.tutorial``.

Both worlds are fictional (they sit in the South Atlantic, where there is no land; countries use
the user-assigned ISO codes XA-XL) and follow a stated model of trafficking risk whose true
effects (``TRUE_EFFECTS``) and true probabilities are known, so tests and backtests can check
that forewarn recovers them. What the worlds publish is *detected* trafficking: detection rises
with state capacity, as in real data. Every output made from them carries ``DEMO_LABEL``.

* :func:`make_demo_world`: 150 regions × 21 years of monthly and annual indicators, as the long
  tables a real project reads (regions, observations, outcome, crisis events, catalogue);
  ``forewarn init --demo`` writes it out as a project.
* :func:`make_grid_world`: the same model on a square grid (default 65,000 cells × 360 months)
  as dense (region, time) arrays, for work at scale.

Examples
--------
>>> from forewarn.datasets import make_demo_world
>>> world = make_demo_world(n_regions=30, n_countries=3, start_year=2018, end_year=2020)
>>> len(world.regions), world.observations.columns[:3].tolist()
(30, ['region_id', 'indicator', 'period'])
"""

from forewarn.datasets._demo import (
    DEMO_LABEL,
    DEMO_SEED,
    ONSET_PEAK_MONTHS,
    TRUE_EFFECTS,
    DemoWorld,
    demo_catalogue,
    detection_rate,
    make_demo_world,
)
from forewarn.datasets._grid import GridWorld, make_grid_world

__all__ = [
    "DEMO_LABEL",
    "DEMO_SEED",
    "ONSET_PEAK_MONTHS",
    "TRUE_EFFECTS",
    "DemoWorld",
    "GridWorld",
    "demo_catalogue",
    "detection_rate",
    "make_demo_world",
    "make_grid_world",
]
