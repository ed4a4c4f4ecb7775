"""Tiny composed fixtures for the index tests: a hand-checkable spec and a demo-shaped panel."""

import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forewarn.index import IndexSpec, Leaf, Node, demo_spec

REGIONS = ["R1", "R2", "R3"]


@pytest.fixture
def toy_spec():
    """risk = arithmetic(hazard, coping); hazard = inform_geometric(a, b); coping = c (lower riskier)."""
    return IndexSpec(
        name="toy",
        root="risk",
        nodes=(
            Node("risk", ("hazard", "c"), "arithmetic", weights=(3, 1)),
            Node("hazard", ("a", "b"), "inform_geometric"),
        ),
        leaves=(
            Leaf("a", 1, bounds=(0, 100)),
            Leaf("b", 1, log=True, bounds=(0, 999)),
            Leaf("c", -1, bounds=(0, 1)),
        ),
    )


@pytest.fixture
def toy_frame():
    """Three regions; R3 lacks indicator b."""
    return pd.DataFrame(
        {"a": [0.0, 50.0, 100.0], "b": [0.0, 99.0, np.nan], "c": [1.0, 0.5, 0.0]},
        index=pd.Index(REGIONS, name="region_id"),
    )


def demo_panel(n_regions=3, n_months=24, seed=0, missing=0.1):
    """A demo-shaped panel: every demo indicator, month-start times, some values missing."""
    rng = np.random.default_rng(seed)
    shape = (n_regions, n_months)
    counts = lambda scale: np.floor(rng.exponential(scale, shape) * (rng.random(shape) < 0.4))
    values = {
        "conflict_deaths": counts(50),
        "disaster_affected": counts(5000),
        "displaced": counts(20000),
        "refugees_hosted": counts(8000),
        "poverty": rng.uniform(2, 60, shape),
        "unemployment": rng.uniform(2, 30, shape),
        "protection_coverage": rng.uniform(0, 100, shape),
        "transit_exposure": rng.uniform(0, 1, shape),
        "detected_trafficking": counts(30),
        "state_capacity": rng.uniform(0, 100, shape),
        "rule_of_law": rng.uniform(0, 100, shape),
        "corruption_control": rng.uniform(0, 100, shape),
        "response_tier": rng.choice([1.0, 2.0, 2.5, 3.0], shape),
        "health_access": rng.uniform(20, 100, shape),
    }
    coords = {
        "region": [f"R{i + 1}" for i in range(n_regions)],
        "time": pd.date_range("2020-01-01", periods=n_months, freq="MS"),
    }
    ds = xr.Dataset({k: (("region", "time"), v) for k, v in values.items()}, coords=coords)
    for k in values:
        ds[k] = ds[k].where(rng.random(shape) >= missing)
    for k in demo_spec().indicators:
        ds[k].attrs["direction"] = demo_spec().leaf(k).direction
    return ds


@pytest.fixture
def panel():
    return demo_panel()


@pytest.fixture
def make_panel():
    """The demo-shaped panel builder, for tests that need another size or seed."""
    return demo_panel


@pytest.fixture
def write_spec(tmp_path):
    """Write a TOML spec (dedented) to a file and return its path."""

    def write(text, name="spec.toml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
