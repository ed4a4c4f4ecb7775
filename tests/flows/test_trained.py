"""What a trained horizon keeps of its training rows: the card, the ranges, the rows on demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forewarn.flows._trained import Trained, feature_ranges
from forewarn.models import AdditiveBoosting, make_model_card, shape_functions
from synthetic_models import make_panel


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = make_panel(n_regions=30, n_months=24, seed=1)
    model = AdditiveBoosting({"a": 1}, max_iter=10, n_bootstrap=0, random_state=0).fit(X, y)
    return Trained.fitted(6, model, X, y, X.iloc[:30], X.index[-1][1]), X, y


def test_without_rows_keeps_card_and_ranges_and_rebuilds_the_rows(fitted):
    full, X, y = fitted
    light = Trained.fitted(6, full.model, X, y, full.X_origin, full.known_until).without_rows()
    assert light.rows is None and (light.n_rows, light.n_features) == (len(X), X.shape[1])
    want = make_model_card(full.model, X, y)
    got = light.model_card()
    assert (got.n_rows, got.n_regions, got.event_rate, got.training_start, got.training_end) \
        == (want.n_rows, want.n_regions, want.event_rate, want.training_start,
            want.training_end)
    # The report's shape functions from the ranges are those from the training rows.
    pd.testing.assert_frame_equal(shape_functions(full.model, light.feature_ranges()),
                                  shape_functions(full.model, X))
    light.with_rebuild(lambda: (X, y))
    assert light.X_train is X and light.y_train is y


def test_rows_that_can_no_longer_be_rebuilt_say_how_to_get_them(fitted):
    full, X, y = fitted
    light = Trained.fitted(12, full.model, X, y, full.X_origin, full.known_until).without_rows()
    with pytest.raises(RuntimeError, match=r"12-month model's training rows were left on the "
                                           r"Dask worker .* fit=False"):
        light.X_train


def test_feature_ranges_skip_missing_values_and_leave_empty_columns_nan():
    X = pd.DataFrame({"a": [1.0, np.nan, -2.0], "b": [np.nan] * 3})
    ranges = feature_ranges(X)
    assert list(ranges.index) == ["min", "max"]
    assert ranges.loc["min", "a"] == -2.0 and ranges.loc["max", "a"] == 1.0
    assert ranges["b"].isna().all()


def test_a_cached_model_comes_back_without_building_its_training_rows(tmp_path, monkeypatch):
    """A model reused from the cache reads its card, feature ranges and row counts from the
    cache entry: the training rows are not built (on a grid, 1.9 million rows per horizon)
    unless something asks for them, and everything the flow reads equals the fresh fit's. An
    entry without the summary (written by an older forewarn) builds the rows as before, once;
    a damaged one is trained again."""
    import io

    from forewarn.flows import _pipeline
    from forewarn.flows._cluster import Cluster
    from forewarn.flows._config import load_config
    from forewarn.flows._run import STAGES, Progress, prepare_stage, validate_stage
    from forewarn.flows._training import _SUMMARY_FILE, train_cached
    from projects import small_demo

    config = load_config(small_demo(tmp_path / "demo"))
    stream = io.StringIO()
    progress = Progress(len(STAGES), stream=stream)
    project, specs = validate_stage(config, progress)
    prepared = prepare_stage(project, specs.features, progress)
    h = config.horizons[0]

    def cached():
        return train_cached(project, prepared, [h], specs.model, specs.features,
                            tmp_path / "cache", progress, Cluster())[h]

    built = []
    design = _pipeline.design_matrix
    monkeypatch.setattr(_pipeline, "design_matrix", lambda *a, **k: built.append(1) or
                        design(*a, **k))
    fresh = cached()
    assert len(built) == 1 and fresh.rows is not None
    (entry,) = (tmp_path / "cache" / "models").iterdir()
    assert (entry / _SUMMARY_FILE).is_file()

    again = cached()
    assert "reused from the cache" in stream.getvalue()
    assert len(built) == 1 and again.rows is None  # nothing built
    assert (again.n_rows, again.n_features, again.n_unknown, again.known_until) == \
        (fresh.n_rows, fresh.n_features, fresh.n_unknown, fresh.known_until)
    pd.testing.assert_frame_equal(again.X_origin, fresh.X_origin)
    pd.testing.assert_frame_equal(again.feature_ranges(), fresh.feature_ranges())
    card, want = again.model_card(), fresh.model_card()
    assert (card.features, card.n_rows, card.n_regions, card.event_rate, card.training_start,
            card.training_end) == (want.features, want.n_rows, want.n_regions, want.event_rate,
                                   want.training_start, want.training_end)
    np.testing.assert_array_equal(again.model.predict_proba(again.X_origin),
                                  fresh.model.predict_proba(fresh.X_origin))
    # Asked for, the rows are rebuilt: those the model was fitted on.
    pd.testing.assert_frame_equal(again.X_train, fresh.X_train)
    pd.testing.assert_series_equal(again.y_train, fresh.y_train)
    assert len(built) == 2

    (entry / _SUMMARY_FILE).unlink()  # an entry from before the summary was kept
    older = cached()
    assert len(built) == 3 and older.rows is not None
    pd.testing.assert_frame_equal(older.X_origin, fresh.X_origin)
    assert (entry / _SUMMARY_FILE).is_file()  # written for the next run
    assert cached().rows is None and len(built) == 3

    (entry / _SUMMARY_FILE).write_text('{"n_unknown": "many"}\n', encoding="utf-8")
    retrained = cached()
    assert f"{_SUMMARY_FILE}: is not a training summary as forewarn writes it (it lacks 'min')" \
        in stream.getvalue()
    assert "training again" in stream.getvalue() and retrained.rows is not None
    np.testing.assert_array_equal(retrained.model.predict_proba(retrained.X_origin),
                                  fresh.model.predict_proba(fresh.X_origin))
