"""Tiny composed fixtures: 3 regions x 24 months with an explicit CRS, and a project folder."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from forewarn.flows._prefect import configure_prefect

# Prefect and Dask: quiet and offline in every test process, before anything imports Prefect.
# The command lines the tests start share one Prefect home, created and migrated once per
# session (never the developer's ~/.forewarn/prefect).
if not os.environ.get("PREFECT_HOME"):
    _HOME = tempfile.mkdtemp(prefix="forewarn-test-prefect-")
    atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
    os.environ["FOREWARN_PREFECT_HOME"] = _HOME
configure_prefect()

# pytest-xdist workers share the machine's cores: each worker's OpenMP and BLAS get its share
# (and so do the command lines it starts), so no worker's threads wait on another's cores.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT") and not os.environ.get("FOREWARN_THREADS"):
    from forewarn._threads import usable_cores

    os.environ["FOREWARN_THREADS"] = str(
        max(1, usable_cores() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

REPO = Path(__file__).resolve().parents[1]
SHARED_REAL = REPO.parent / "shared" / "data" / "real"


@pytest.fixture
def tiny_catalogue_text():
    return """
[indicators.gov]
label = "State capacity"
unit = "score 0-100"
source = "test"
frequency = "annual"
publication_lag_days = 180
direction = -1
valid_min = 0
valid_max = 100
dimension = "lack_of_coping"

[indicators.displaced]
label = "People displaced"
unit = "persons"
source = "test"
frequency = "monthly"
publication_lag_days = 30
direction = 1
transform = "log"
valid_min = 0
dimension = "hazard"

[indicators.tier]
label = "Response tier"
unit = "tier"
source = "test"
frequency = "annual"
publication_lag_days = 180
direction = 1
valid_min = 1
valid_max = 3
lever = true
"""


@pytest.fixture
def tiny_regions():
    """Three adjacent unit squares in a row, EPSG:4326."""
    return gpd.GeoDataFrame(
        {"region_id": ["AA01", "AA02", "BB01"], "name": ["North", "Middle", "South"],
         "parent_id": ["AA", "AA", "BB"], "level": "admin1"},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)], crs="EPSG:4326",
    ).set_index("region_id")


@pytest.fixture
def tiny_observations():
    """2 years of monthly displacement and annual governance for three regions."""
    rows = []
    for r, base in (("AA01", 100), ("AA02", 2000), ("BB01", 0)):
        for m in range(24):
            period = f"{2020 + m // 12}-{m % 12 + 1:02d}"
            rows.append((r, "displaced", period, float(base + 10 * m), ""))
        rows.append((r, "gov", "2020", 50.0, "2021-06-30"))
        rows.append((r, "tier", "2020", 2.0, ""))
    return pd.DataFrame(rows, columns=["region_id", "indicator", "period", "value", "published"])


@pytest.fixture
def tiny_project(tmp_path, tiny_catalogue_text, tiny_regions, tiny_observations):
    """A complete project folder; returns the config path. Tests break one file at a time."""
    d = tmp_path / "proj"
    d.mkdir()
    (d / "catalogue.toml").write_text(tiny_catalogue_text, encoding="utf-8")
    tiny_regions.reset_index().to_file(d / "regions.gpkg", driver="GPKG")
    tiny_observations.to_csv(d / "observations.csv", index=False)
    outcome = pd.DataFrame({"region_id": ["AA01", "AA02", "BB01"] * 2,
                            "period": ["2020-01"] * 3 + ["2020-02"] * 3,
                            "value": [0, 1, 0, 0, 0, 1]})
    outcome.to_csv(d / "outcome.csv", index=False)
    events = pd.DataFrame({"region_id": ["AA02"], "start": ["2020-03-15"], "end": [""],
                           "kind": ["conflict"], "magnitude": [5000]})
    events.to_csv(d / "crisis_events.csv", index=False)
    (d / "forewarn.toml").write_text("""
[project]
name = "tiny"
start = "2020-01"

[inputs]
regions = "regions.gpkg"
observations = ["observations.csv"]
catalogue = "catalogue.toml"
outcome = "outcome.csv"
crisis_events = "crisis_events.csv"

[forecast]
as_of = "2021-12-31"
horizons = [6]
""", encoding="utf-8")
    return d / "forewarn.toml"


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test server (temporary database) for every in-process flow of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def demo_world():
    """The full embedded demo world (generated once per test session)."""
    from forewarn.datasets import make_demo_world

    return make_demo_world()


def needs_shared_data():
    """Skip marker for integration tests on the real public datasets in ../shared/data/real."""
    return pytest.mark.skipif(
        not SHARED_REAL.is_dir(),
        reason=f"real public datasets not found at {SHARED_REAL}; they live in the project's "
               "shared folder beside the repository (see README, 'Real data')",
    )


def pytest_collection_modifyitems(config, items):
    """Every test on the real files is slow too: the fast loop (``-m "not slow"``) reads none.

    Modules holding slow tests run first, each kept whole (its module fixtures set up once),
    so that with ``-n 2`` the long tests start early and the short ones even out the end
    instead of one worker finishing a whole flow while the other waits."""
    unmarked = [i.nodeid for i in items
                if i.get_closest_marker("real_data") and not i.get_closest_marker("slow")]
    if unmarked:
        raise pytest.UsageError("tests marked real_data must be marked slow too: "
                                + ", ".join(unmarked[:5]))
    slow = {i.path for i in items if i.get_closest_marker("slow")}
    items.sort(key=lambda i: i.path not in slow)  # stable: the order within stays
