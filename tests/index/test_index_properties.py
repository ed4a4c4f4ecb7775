"""Invariants of the index over random hierarchies and data (Hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forewarn.index import AGGREGATIONS, IndexSpec, Leaf, Node, compute_index

SETTINGS = settings(max_examples=40, deadline=None)

# 40 generated index trees each: 3-5 s per property, so they run with the whole suite.
pytestmark = pytest.mark.slow


@st.composite
def specs(draw):
    """root -> 2-3 nodes -> 1-3 indicators each; any aggregations, weights, directions."""
    n_nodes = draw(st.integers(2, 3))

    def weights(n):
        # Up to 1 suits every aggregation ('max' takes weights as multipliers up to 1).
        w = st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=n, max_size=n).filter(any)
        return draw(st.one_of(st.none(), w.map(tuple)))

    nodes, leaves = [], []
    for k in range(n_nodes):
        ids = tuple(f"i{k}{j}" for j in range(draw(st.integers(1, 3))))
        nodes.append(Node(f"n{k}", ids, draw(st.sampled_from(AGGREGATIONS)), weights(len(ids))))
        for i in ids:
            leaves.append(Leaf(i, draw(st.sampled_from([1, -1])), log=draw(st.booleans()),
                               bounds=(0.0, 100.0)))
    root = Node("root", tuple(n.id for n in nodes), draw(st.sampled_from(AGGREGATIONS)),
                weights(n_nodes))
    rounding = draw(st.sampled_from([None, 1]))
    return IndexSpec("random", "root", (root, *nodes), tuple(leaves), rounding=rounding)


values = st.one_of(st.just(np.nan), st.floats(-50.0, 150.0), st.sampled_from([0.0, 100.0]))


@st.composite
def cases(draw):
    spec = draw(specs())
    n = draw(st.integers(1, 6))
    data = {i: draw(st.lists(values, min_size=n, max_size=n)) for i in spec.indicators}
    frame = pd.DataFrame(data, index=[f"R{r}" for r in range(n)])
    return spec, frame


@SETTINGS
@given(cases())
def test_scaled_values_and_scores_stay_in_0_10(case):
    spec, frame = case
    out = compute_index(frame, spec)
    scaled = out[[f"scaled_{i}" for i in spec.indicators]].to_numpy()
    assert np.all((scaled[~np.isnan(scaled)] >= 0) & (scaled[~np.isnan(scaled)] <= 10))
    nodes = out[["index_score", *spec.node_order[1:]]].to_numpy()
    assert np.all((nodes[~np.isnan(nodes)] >= 0) & (nodes[~np.isnan(nodes)] <= 10))
    assert out["reliability"].between(0, 1).all()


@SETTINGS
@given(cases(), st.data())
def test_raising_a_risk_never_lowers_the_score(case, data):
    spec, frame = case
    region = data.draw(st.sampled_from(list(frame.index)))
    indicator = data.draw(st.sampled_from(spec.indicators))
    before = frame.loc[region, indicator]
    if np.isnan(before):
        before = data.draw(st.floats(-50.0, 150.0))
        frame.loc[region, indicator] = before
    step = data.draw(st.floats(0.0, 200.0))
    riskier = frame.copy()
    riskier.loc[region, indicator] = before + step * spec.leaf(indicator).direction
    old = compute_index(frame, spec).loc[region, "index_score"]
    new = compute_index(riskier, spec).loc[region, "index_score"]
    # NaN when only zero-weight parts have data; raising a present value cannot change that.
    assert new >= old - 1e-12 or (np.isnan(old) and np.isnan(new))


@SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_reordering_regions_changes_nothing(case, rnd):
    spec, frame = case
    order = list(frame.index)
    rnd.shuffle(order)
    a = compute_index(frame, spec)
    b = compute_index(frame.loc[order], spec)
    pd.testing.assert_frame_equal(b.loc[list(frame.index)], a)


@SETTINGS
@given(cases())
def test_contributions_sum_to_the_score(case):
    spec, frame = case
    out = compute_index(frame, spec)
    parts = out[[f"contribution_{i}" for i in spec.indicators]]
    total = parts.sum(axis=1, min_count=1)
    np.testing.assert_allclose(total.to_numpy(), out["index_score"].to_numpy(), atol=1e-9, rtol=0)
    assert (parts.fillna(0.0).to_numpy() >= 0).all()
