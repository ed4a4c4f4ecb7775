"""The demo world: deterministic, believable, and built on the structure it states."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from forewarn.datasets import DEMO_LABEL, TRUE_EFFECTS, make_demo_world, make_grid_world
from forewarn.datasets._demo import _hump


def test_same_seed_same_world():
    a = make_demo_world(seed=7, n_regions=24, n_countries=3, start_year=2019, end_year=2020)
    b = make_demo_world(seed=7, n_regions=24, n_countries=3, start_year=2019, end_year=2020)
    c = make_demo_world(seed=8, n_regions=24, n_countries=3, start_year=2019, end_year=2020)
    pd.testing.assert_frame_equal(a.observations, b.observations)
    pd.testing.assert_frame_equal(a.outcome, b.outcome)
    pd.testing.assert_frame_equal(a.crisis_events, b.crisis_events)
    assert a.regions.geometry.geom_equals_exact(b.regions.geometry, 0).all()
    assert not a.observations["value"].equals(c.observations["value"])


def test_geography(demo_world):
    r = demo_world.regions
    assert len(r) == 150 and r.index.is_unique
    assert r.crs.to_epsg() == 4326
    assert r.index.str.fullmatch(r"X[A-L]\d{2}").all()
    assert (r.index.str[:2] == r["parent_id"]).all()
    assert r["parent_id"].nunique() == 12
    assert shapely.is_valid(r.geometry.values).all()
    assert r["name"].is_unique
    # The cells tile the island: no overlaps, and every region has a neighbour.
    cells = r.to_crs("EPSG:6933").geometry  # equal-area, so areas mean something
    area = cells.area.sum()
    assert abs(cells.union_all().area - area) < 1e-6 * area
    assert len(demo_world.countries) == 12


def test_indicators_frequency_and_lag(demo_world):
    obs, cat = demo_world.observations, demo_world.catalogue
    assert 12 <= len(cat) <= 20
    assert set(obs["indicator"]) == set(cat)
    freqs = {c.frequency for c in cat.values()}
    assert {"monthly", "annual", "quarterly"} <= freqs
    sc = obs[obs.indicator == "state_capacity"].drop_duplicates(["region_id", "period"])
    years = sc["period"].astype(int)
    # Annual governance scores are published the autumn after the year.
    assert (sc["published"].dt.year == years + 1).all()
    assert (sc["published"].dt.month >= 9).all()
    months = obs[obs.indicator == "displaced"]["period"]
    assert months.min() == "2005-01" and months.max() == "2025-12"


def test_real_world_mess(demo_world):
    obs = demo_world.observations
    key = ["region_id", "indicator", "period"]
    # Revised vintages: the same key with several publication dates and different values.
    revised = obs[obs.duplicated(key, keep=False)]
    assert set(revised["indicator"]) == {"displaced", "state_capacity"}
    assert revised.groupby(key)["value"].nunique().min() == 2
    # Missing values: poverty surveys are sparse, other annual series have gaps.
    n_cells = 150 * 21
    assert (obs.indicator == "poverty").sum() < 0.4 * n_cells
    assert (obs.indicator == "rule_of_law").sum() < n_cells
    # Outliers: a few reporting spikes in conflict deaths.
    deaths = obs[obs.indicator == "conflict_deaths"]["value"]
    assert deaths.max() > 20 * deaths[deaths > 0].median()


def test_values_within_catalogue_ranges(demo_world):
    obs, cat = demo_world.observations, demo_world.catalogue
    lo = obs["indicator"].map({k: v.valid_min for k, v in cat.items()})
    hi = obs["indicator"].map({k: v.valid_max for k, v in cat.items()})
    assert ((obs["value"] >= lo) & (obs["value"] <= hi)).all()


def test_surges_follow_the_stated_model(demo_world):
    truth = demo_world.truth
    surge = demo_world.outcome["value"].to_numpy().reshape(150, -1)
    p = 1 / (1 + np.exp(-truth.hazard_logit))
    # Observed rate matches the true hazard, decile by decile (the generator draws from it).
    order = np.argsort(p.ravel())
    for chunk in np.array_split(order, 5):
        expected = p.ravel()[chunk].mean()
        observed = surge.ravel()[chunk].mean()
        assert abs(observed - expected) < 4 * np.sqrt(expected / len(chunk)) + 1e-3
    # Lower state capacity, more surges.
    cap = truth.drivers["state_capacity"]
    low, high = surge[cap < -0.5].mean(), surge[cap > 0.5].mean()
    assert low > 1.5 * high
    assert TRUE_EFFECTS["state_capacity"] < 0


def test_risk_peaks_months_after_onset(demo_world):
    truth = demo_world.truth
    hump = (truth.hazard_logit - truth.static_logit
            - TRUE_EFFECTS["disaster_onset"] * _hump(truth.months_since_disaster))
    since = truth.months_since_conflict
    by_month = [hump[since == m].mean() for m in range(0, 25)]
    assert int(np.argmax(by_month)) == 6
    assert abs(by_month[0]) < 1e-12 and by_month[24] < by_month[6] / 2


def test_detection_depends_on_state_capacity(demo_world):
    d = demo_world.truth.drivers
    assert np.corrcoef(d["detection"].ravel(), d["state_capacity"].ravel())[0, 1] > 0.95


def test_oracle_probability(demo_world):
    oracle = demo_world.oracle_probability(12)
    assert oracle.shape == (150, 252)
    assert np.isnan(oracle[:, -12:]).all()
    valid = oracle[:, :-12]
    assert np.all((valid > 0) & (valid < 1))
    surge = demo_world.outcome["value"].to_numpy().reshape(150, -1)
    window = np.stack([surge[:, t + 1:t + 13].max(axis=1) for t in range(240)], axis=1)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(window.ravel(), valid.ravel()) > 0.7


def test_true_surge_probability(demo_world):
    """The chance of a surge, recorded or not: the recorded hazard without its detection term,
    over the target's window; never below the chance of a recorded one."""
    from forewarn.datasets import detection_rate
    from forewarn.datasets._demo import _window_probability

    true = demo_world.true_surge_probability(12)
    t = demo_world.truth
    assert true.shape == (150, 252) and np.isnan(true[:, -12:]).all()
    recorded = _window_probability(t.hazard_logit, 12)
    valid = true[:, :-12]
    assert np.all((valid > 0) & (valid < 1)) and np.all(valid >= recorded[:, :-12])
    # By hand for one region and month: months t+1..t+12, without log(detection).
    r, m = 7, 100
    monthly = 1 / (1 + np.exp(-(t.hazard_logit[r, m + 1:m + 13]
                               - np.log(t.drivers["detection"][r, m + 1:m + 13]))))
    assert true[r, m] == pytest.approx(1 - np.prod(1 - monthly), rel=1e-12)
    # The recorded surges are rarer than true ones where detection is weak.
    weak = t.drivers["detection"][:, :-12] < 0.3
    assert (valid[weak] / recorded[:, :-12][weak]).mean() > 2
    np.testing.assert_allclose(detection_rate(50.0), 1 / (1 + np.exp(-0.3)))


def test_demo_catalogue_roles(demo_world):
    roles = {i.id: i.role for i in demo_world.catalogue.values()}
    assert roles["rule_of_law"] == "detection" and roles["state_capacity"] == "both"
    assert roles["displaced"] == "risk" and roles["transit_exposure"] == "risk"


def test_crisis_events(demo_world):
    ev = demo_world.crisis_events
    assert set(ev["kind"]) == {"conflict", "disaster"}
    ended = ev.dropna(subset=["end"])
    assert (ended["end"] > ended["start"]).all()
    assert ev["region_id"].isin(demo_world.regions.index).all()
    # Conflicts start more often where the state is fragile.
    first = demo_world.truth.drivers["state_capacity"][:, 0]
    cap = pd.Series(first, index=demo_world.regions.index)
    hit = cap[cap.index.isin(ev.loc[ev.kind == "conflict", "region_id"])].mean()
    assert hit < cap.mean()


def test_grid_world_small():
    g = make_grid_world(n_rows=12, n_cols=10, n_months=24)
    assert g.data.sizes == {"region": 120, "time": 24}
    assert g.regions.crs.to_epsg() == 4326 and len(g.regions) == 120
    # Queen contiguity from the grid: a corner cell has 3 neighbours, an inner one 8.
    deg = np.asarray(g.adjacency.sum(axis=1)).ravel()
    assert deg[0] == 3 and deg[11] == 8
    assert g.data["state_capacity"].dtype == np.float32
    assert g.data.attrs["demo"] == DEMO_LABEL


def test_bad_world_size():
    with pytest.raises(ValueError, match="at least two regions per country"):
        make_demo_world(n_regions=5, n_countries=3)


def test_grid_world_without_geometry():
    g = make_grid_world(n_rows=4, n_cols=5, n_months=12, geometry=False)
    assert len(g.regions) == 20 and g.regions.crs.to_epsg() == 4326
    assert g.regions.geometry.isna().all()


def test_period_label_of_nothing():
    from forewarn.features._periods import period_label

    assert period_label([], []).tolist() == []


def test_the_worlds_old_home_still_reaches_them():
    import forewarn.datasets
    import forewarn.features

    assert forewarn.features.make_demo_world is forewarn.datasets.make_demo_world
    assert forewarn.features.DEMO_LABEL == forewarn.datasets.DEMO_LABEL
    assert "make_demo_world" not in forewarn.features.__all__
    with pytest.raises(AttributeError, match="has no attribute 'make_demo_wrld'"):
        forewarn.features.make_demo_wrld  # noqa: B018
