"""Tiny synthetic panels for the feature tests: 3 regions x 24 months, composed by the tests.

Imported by name: pyproject puts tests/ on pytest's path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.features._catalogue import Catalogue, Indicator

REGIONS = ["AA01", "AA02", "BB01"]
TIMES = pd.date_range("2020-01-01", periods=24, freq="MS")

CATALOGUE = Catalogue((
    Indicator("displaced", "People displaced", "persons", "test", "monthly", 30, 1,
              transform="per_capita", valid_min=0, dimension="hazard/displacement"),
    Indicator("population", "Population", "persons", "test", "annual", 180, 1, valid_min=0),
    Indicator("gov", "Government effectiveness", "score 0-100", "test", "annual", 180, -1,
              transform="log", valid_min=0, valid_max=100, lever=True,
              dimension="vulnerability/state_capacity"),
))


def series(values, name="x", times=TIMES, regions=REGIONS, **attrs) -> xr.DataArray:
    """A (region, time) DataArray from a 2-D array, or one row repeated for every region."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = np.tile(values, (len(regions), 1))
    attrs = {"indicator": name, "direction": 1, "units": "persons", "long_name": "People moved",
             **attrs}
    return xr.DataArray(values, dims=("region", "time"), name=name,
                        coords={"region": regions, "time": times}, attrs=attrs)


def make_panel() -> xr.Dataset:
    """Displacement ramps (one with a 3-month gap), annual population and governance."""
    month = np.arange(24, dtype=float)
    displaced = np.stack([100 + 10 * month, 2000 + 50 * month, np.where(month % 6 == 0, 30, 0)])
    displaced[0, 10:13] = np.nan
    population = np.repeat([[1e6], [2e6], [5e5]], 24, axis=1)
    gov = np.repeat([[60.0], [20.0], [45.0]], 24, axis=1)
    gov[:, 12:] += 5
    return xr.Dataset(
        {name: (("region", "time"), data, CATALOGUE[name].to_attrs())
         for name, data in (("displaced", displaced), ("population", population), ("gov", gov))},
        coords={"region": REGIONS, "time": TIMES},
        attrs={"as_of": "2021-12-31", "frequency": "monthly"},
    )


def crisis_events() -> pd.DataFrame:
    return pd.DataFrame({
        "region_id": ["AA02", "AA02", "BB01"],
        "start": pd.to_datetime(["2020-03-15", "2021-02-01", "2019-11-20"]),
        "end": pd.to_datetime([None, None, "2020-04-10"]),
        "kind": ["conflict", "conflict", "disaster"],
        "magnitude": [5000.0, 800.0, 120.0],
    })
