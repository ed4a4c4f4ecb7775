"""Crisis context: hand-computed cases, the sentinel before any onset, and a slow reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.errors import InputError
from forewarn.features._crisis import crisis_context

TIMES = pd.date_range("2020-01-01", periods=8, freq="MS")
NAN = np.nan


def events(*rows):
    frame = pd.DataFrame(rows, columns=["region_id", "start", "end", "kind", "magnitude"])
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame


def test_onset_end_and_magnitude_by_hand():
    ev = events(("A", "2020-03-10", "2020-05-20", "conflict", 5000.0))
    ctx = crisis_context(ev, ["A", "B"], TIMES, kinds=["conflict"], cap=12)
    np.testing.assert_array_equal(ctx["crisis_conflict__since"].values,
                                  [[12, 12, 0, 1, 2, 3, 4, 5], [12] * 8])
    np.testing.assert_array_equal(ctx["crisis_conflict__seen"].values,
                                  [[0, 0, 1, 1, 1, 1, 1, 1], [0] * 8])
    np.testing.assert_array_equal(ctx["crisis_conflict__magnitude"].values,
                                  [[0, 0, 5000, 5000, 5000, 5000, 5000, 5000], [0] * 8])
    # Ongoing at the end of March and April; it ended during May.
    np.testing.assert_array_equal(ctx["crisis_conflict__ongoing"].values,
                                  [[0, 0, 1, 1, 0, 0, 0, 0], [0] * 8])


def test_end_on_a_month_start_ends_the_previous_month():
    ev = events(("A", "2020-01-05", "2020-03-01", "conflict", 1.0))
    ctx = crisis_context(ev, ["A"], TIMES, kinds=["conflict"])
    np.testing.assert_array_equal(ctx["crisis_conflict__ongoing"].values[0],
                                  [1, 1, 0, 0, 0, 0, 0, 0])


def test_onset_before_the_panel_counts_from_its_month_and_is_capped():
    ev = events(("A", "2019-10-01", None, "disaster", 7.0),
                ("B", "2010-01-01", "2019-01-01", "disaster", 3.0))
    ctx = crisis_context(ev, ["A", "B"], TIMES, kinds=["disaster"], cap=6)
    np.testing.assert_array_equal(ctx["crisis_disaster__since"].values,
                                  [[3, 4, 5, 6, 6, 6, 6, 6], [6] * 8])
    assert ctx["crisis_disaster__seen"].values.all()
    np.testing.assert_array_equal(ctx["crisis_disaster__ongoing"].values, [[1] * 8, [0] * 8])
    np.testing.assert_array_equal(ctx["crisis_disaster__magnitude"].values[:, 0], [7.0, 3.0])


def test_latest_onset_wins_and_largest_magnitude_breaks_a_tie():
    ev = events(("A", "2020-02-01", None, "conflict", 10.0),
                ("A", "2020-05-03", "2020-05-04", "conflict", 1.0),
                ("A", "2020-05-20", "2020-05-25", "conflict", 30.0),
                ("A", "2020-05-20", "2020-05-25", "conflict", 20.0),
                ("A", "2020-07-01", None, "conflict", NAN))
    ctx = crisis_context(ev, ["A"], TIMES, kinds=["conflict"])
    np.testing.assert_array_equal(ctx["crisis_conflict__since"].values[0],
                                  [120, 0, 1, 2, 0, 1, 0, 1])
    np.testing.assert_array_equal(ctx["crisis_conflict__magnitude"].values[0],
                                  [0, 10, 10, 10, 30, 30, NAN, NAN])
    # Overlapping crises: the first goes on throughout.
    np.testing.assert_array_equal(ctx["crisis_conflict__ongoing"].values[0],
                                  [0, 1, 1, 1, 1, 1, 1, 1])


def test_other_kinds_regions_and_future_onsets_are_ignored():
    ev = events(("A", "2020-02-01", None, "flood", 1.0),
                ("Z", "2020-02-01", None, "conflict", 1.0),
                ("A", "2024-01-01", None, "conflict", 1.0))
    ctx = crisis_context(ev, ["A"], TIMES, kinds=["conflict"])
    assert not ctx["crisis_conflict__seen"].values.any()
    assert not ctx["crisis_conflict__ongoing"].values.any()
    assert set(ctx.data_vars) == {f"crisis_conflict__{s}"
                                  for s in ("since", "seen", "magnitude", "ongoing")}


def test_annual_steps_count_years():
    years = pd.date_range("2010-01-01", periods=5, freq="YS")
    ev = events(("A", "2011-06-01", "2012-06-30", "conflict", 1.0))
    ctx = crisis_context(ev, ["A"], years, kinds=["conflict"], cap=10)
    np.testing.assert_array_equal(ctx["crisis_conflict__since"].values[0], [10, 0, 1, 2, 3])
    np.testing.assert_array_equal(ctx["crisis_conflict__ongoing"].values[0], [0, 1, 0, 0, 0])
    assert ctx["crisis_conflict__since"].attrs["units"] == "years"


def test_attrs_carry_direction_units_and_phrase():
    ctx = crisis_context(events(), ["A"], TIMES, kinds=["conflict"], magnitude_units="deaths")
    since = ctx["crisis_conflict__since"].attrs
    # Risk rises after an onset, peaks, then fades: not monotone, so no constraint.
    assert since["direction"] == 0 and since["units"] == "months"
    assert since["phrase"] == "months since the latest conflict began (at most 120)"
    assert ctx["crisis_conflict__magnitude"].attrs["units"] == "deaths"
    assert {v.attrs["kind"] for v in ctx.data_vars.values()} == {"crisis"}
    assert {v.attrs["indicator"] for v in ctx.data_vars.values()} == {"crisis_conflict"}


def test_missing_column_is_named():
    with pytest.raises(InputError, match=r"lack the column\(s\) magnitude \(found: region_id, "
                                         r"start, end, kind\)"):
        crisis_context(events().drop(columns="magnitude"), ["A"], TIMES)


def _reference(ev, regions, times, kind, cap):
    """Month by month, region by region: slow and obviously right."""
    n_r, n_t = len(regions), len(times)
    since = np.full((n_r, n_t), float(cap))
    magnitude = np.zeros((n_r, n_t))
    ongoing = np.zeros((n_r, n_t), dtype=int)
    for i, r in enumerate(regions):
        mine = ev[(ev["region_id"] == r) & (ev["kind"] == kind)]
        for j, t in enumerate(times):
            step_end = t + pd.offsets.MonthBegin(1)
            known = mine[mine["start"] < step_end]
            if len(known):
                latest = known.sort_values(["start", "magnitude"], na_position="first").iloc[-1]
                months = (t.year - latest["start"].year) * 12 + t.month - latest["start"].month
                since[i, j] = min(months, cap)
                magnitude[i, j] = latest["magnitude"]
            going = known[known["end"].isna() | (known["end"] >= step_end)]
            ongoing[i, j] = int(len(going) > 0)
    return since, magnitude, ongoing


_day = st.integers(min_value=0, max_value=700)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), _day,
                          st.one_of(st.none(), st.integers(min_value=0, max_value=300)),
                          st.sampled_from(["conflict", "disaster"]),
                          st.integers(min_value=0, max_value=9)), max_size=8))
def test_matches_a_slow_reference(rows):
    origin = pd.Timestamp("2019-01-01")
    ev = events(*[(r, origin + pd.Timedelta(days=d),
                   None if length is None else origin + pd.Timedelta(days=d + length), k,
                   float(m)) for r, d, length, k, m in rows])
    times = pd.date_range("2019-07-01", periods=14, freq="MS")
    ctx = crisis_context(ev, ["A", "B", "C"], times, kinds=["conflict"], cap=9)
    since, magnitude, ongoing = _reference(ev, ["A", "B", "C"], times, "conflict", 9)
    np.testing.assert_array_equal(ctx["crisis_conflict__since"].values, since)
    np.testing.assert_array_equal(ctx["crisis_conflict__magnitude"].values, magnitude)
    np.testing.assert_array_equal(ctx["crisis_conflict__ongoing"].values, ongoing)


def test_the_lazy_context_equals_the_eager_one_block_by_block():
    """On a dask-backed panel each block of regions is computed from its own regions' events:
    the same values, dtypes and attrs as the whole context at once, and no array in the graph."""
    from forewarn.features._crisis import lazy_crisis_context

    ev = events(("A", "2019-11-10", None, "conflict", 5000.0),
                ("C", "2020-03-10", "2020-05-20", "conflict", NAN),
                ("C", "2020-04-02", None, "disaster", 10.0),
                ("E", "2020-06-30", "2020-07-01", "disaster", 3.0),
                ("Z", "2020-02-01", None, "conflict", 1.0))  # not a region of the panel
    regions = ["A", "B", "C", "D", "E"]
    kinds = ["conflict", "disaster"]
    eager = crisis_context(ev, regions, TIMES, kinds=kinds, cap=6)
    lazy = lazy_crisis_context(ev, regions, TIMES, kinds, 6,
                               {"region": (2, 2, 1), "time": (5, 3)})
    assert set(lazy.data_vars) == set(eager.data_vars)
    for name, var in lazy.data_vars.items():
        assert var.chunks == ((2, 2, 1), (5, 3)), name
        assert var.dtype == eager[name].dtype and var.attrs == eager[name].attrs, name
    assert lazy.compute().identical(eager)


def test_the_lazy_contexts_graph_carries_the_events_not_the_arrays():
    import pickle

    from forewarn.features._crisis import lazy_crisis_context

    regions = [f"R{i:03d}" for i in range(400)]
    times = pd.date_range("2010-01-01", periods=120, freq="MS")
    ev = events(*[(r, "2012-05-01", None, "conflict", 10.0) for r in regions[::7]])
    chunks = {"region": (100,) * 4, "time": (120,)}
    lazy = lazy_crisis_context(ev, regions, times, ["conflict"], 24, chunks)
    eager = crisis_context(ev, regions, times, kinds=["conflict"], cap=24).chunk(
        {"region": 100})

    def graph_bytes(ds):
        return len(pickle.dumps(dict(ds.__dask_graph__())))

    arrays = sum(var.nbytes for var in eager.data_vars.values())  # 4 x 400 x 120 values
    assert graph_bytes(eager) > arrays  # what went to the cluster before
    assert graph_bytes(lazy) < arrays / 20
    assert lazy.compute().identical(eager.compute())
