"""A scenario rebuilds features over the region and its neighbours only: the same row as a
rebuild over every region, for a fraction of the work."""

from __future__ import annotations

import pandas as pd

from forewarn.features import build_features
from forewarn.flows._api import resolve_config
from forewarn.flows._pipeline import prepare, specs_from_config
from forewarn.flows._project import load_project
from forewarn.flows._scenario import _near
from projects import small_demo


def test_features_over_the_neighbourhood_equal_those_over_every_region(tmp_path):
    cfg = resolve_config(small_demo(tmp_path / "demo"))
    feature_spec = specs_from_config(cfg).features
    assert feature_spec.spatial_lag  # the demo lags displacement over neighbours
    project = load_project(cfg)
    prepared = prepare(project, cfg.resolved_as_of(), feature_spec)
    region = str(prepared.panel["region"].values[5])
    near = _near(project, prepared, region, feature_spec)
    assert region in near and 1 < len(near) < len(prepared.panel["region"])
    events = project.crisis_events
    sub = build_features(prepared.panel.sel(region=near), project.catalogue,
                         events.loc[events["region_id"].isin(near)],
                         project.regions.loc[near], feature_spec,
                         age=prepared.age.sel(region=near))
    origin = prepared.origin
    got = sub.sel(region=[region], time=[origin]).to_dataframe(["region", "time"])
    want = prepared.features.sel(region=[region], time=[origin]).to_dataframe(
        ["region", "time"])
    pd.testing.assert_frame_equal(got[want.columns], want)
