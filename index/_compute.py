"""Compute the index for every region (and time) at once, with reliability and contributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from forewarn.errors import InputError, Problem

from ._aggregate import aggregate, shares
from ._bounds import Bounds, fit_bounds, scale
from ._data import as_dataset
from ._rounding import round_half_up

__all__ = ["compute_index", "decompose"]

_SCORE_ATTRS = {"units": "-", "valid_min": 0.0, "valid_max": 10.0}


def compute_index(data, spec, bounds=None, *, age=None):
    """Score every region (and time) with a composite index, and explain each score exactly.

    Each indicator is scaled to 0-10 against the frozen ``bounds`` (values beyond them clip to
    0 or 10), then each node aggregates its present children (a missing child is left out for
    that region and time only, the other weights renormalised), bottom-up to the root. With
    ``spec.rounding`` set, every node is rounded half up before the next level uses it.

    Contributions split each region's score exactly over its indicators, top-down: the root's
    value is shared among its children, each child's part among its own children, and so on
    down to the indicators. A node's shares are non-negative and sum to 1 over its present
    children: ``a_i x_i / sum(a_j x_j)`` for arithmetic and geometric nodes (``a`` the
    renormalised weights, ``x`` the children's values); for INFORM's rescaled geometric mean,
    each child's share of the log-space sum ``D = sum(a_i ln(10 / y_i))``,
    ``y_i = (10 - x_i) / 10 * 9 + 1``, of which the node is an exact function; for ``"max"``,
    all to the child attaining the maximum. When a node is 0 the shares fall back to the
    weights (its parts are 0 either way). The contributions of a region therefore sum to its
    score to rounding error (about 1e-15), also through rounded nodes, and a higher indicator
    never gets a smaller share of its parent. A missing indicator's contribution is NaN. (Log
    shares ``a_i ln x_i / ln v`` are not used for geometric nodes: on a 0-10 scale they turn
    negative for children below 1 and blow up as the node nears 1.)

    Everything is computed with array operations over all regions and times at once; a
    dask-backed Dataset stays lazy and gives the same numbers.

    Parameters
    ----------
    data : xarray.Dataset or pandas.DataFrame
        Indicator values in their own units: a Dataset with dims ``("region"[, "time"])`` and one
        variable per indicator, or a DataFrame with one row per region (index, or a
        ``region_id`` column) and one column per indicator.
    spec : IndexSpec
        The index spec.
    bounds : Bounds or None
        Frozen bounds from :func:`fit_bounds`. May be None only when every indicator has fixed
        bounds in the spec.
    age : xarray.Dataset or pandas.DataFrame or None
        Age of each value, shaped like ``data``. [months] When given, reliability also falls
        with the age of the region's newest data point (see :class:`ReliabilityRule`).

    Returns
    -------
    xarray.Dataset or pandas.DataFrame
        A Dataset for Dataset input, with dims ``("region"[, "time"])`` and variables
        ``index_score`` (the root), one per other node (named by node id), ``reliability``,
        ``missing_share``, ``data_age`` (when ``age`` is given), ``low_reliability``, and, with an
        extra dim ``indicator``, ``scaled`` (each indicator on 0-10) and ``contribution``. All
        scores are 0-10, 10 the riskiest. [-]
        A DataFrame for DataFrame input, one row per region, with the same columns and
        ``scaled_<indicator>`` and ``contribution_<indicator>`` columns.

    Raises
    ------
    forewarn.errors.InputError
        Indicators are missing or not numeric, ``bounds`` lack an indicator or do not suit the
        spec, or ``age`` does not match ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> from forewarn.index import IndexSpec, Leaf, Node, compute_index
    >>> spec = IndexSpec("toy", "risk", (Node("risk", ("a", "b")),),
    ...                  (Leaf("a", 1, bounds=(0, 100)), Leaf("b", -1, bounds=(0, 1))))
    >>> out = compute_index(pd.DataFrame({"a": [50.0, 100.0], "b": [0.5, None]},
    ...                                  index=["R1", "R2"]), spec)
    >>> out[["index_score", "reliability", "contribution_a"]]
               index_score  reliability  contribution_a
    region_id
    R1                 5.0          1.0             2.5
    R2                10.0          0.5            10.0
    """
    frame = isinstance(data, pd.DataFrame)
    ds = as_dataset(data, spec)
    bounds = _check_bounds(spec, bounds)
    scaled = {i: scale(ds[i], spec.leaf(i), bounds[i]) for i in spec.indicators}
    values = dict(scaled)
    # Reversed depth-first order visits every node after all of its descendants.
    for node_id in reversed(spec.node_order):
        node = spec.node(node_id)
        xs = [values[c] for c in node.children]
        v = aggregate(node.aggregation, xs, node.child_weights)
        if spec.rounding is not None:
            v = _round(v, spec.rounding)
        values[node_id] = v
    contrib = _contributions(spec, values)

    out = xr.Dataset(coords=ds.coords)
    out["index_score"] = values[spec.root].assign_attrs(
        long_name=spec.node(spec.root).label or spec.root, **_SCORE_ATTRS
    )
    for node_id in spec.node_order[1:]:
        node = spec.node(node_id)
        out[node_id] = values[node_id].assign_attrs(
            long_name=node.label or node_id,
            aggregation=node.aggregation,
            children=", ".join(node.children),
            **_SCORE_ATTRS,
        )
    for name, var in _reliability(spec, ds, age).items():
        out[name] = var
    # A plain numpy string coordinate: pandas 3's string dtype would not survive netCDF.
    indicator = xr.DataArray(np.array(spec.indicators), dims="indicator", name="indicator")
    out["scaled"] = _stack(scaled, spec, indicator).assign_attrs(
        long_name="Indicator scaled to 0-10 against frozen bounds", **_SCORE_ATTRS
    )
    out["contribution"] = _stack(contrib, spec, indicator).assign_attrs(
        long_name="Indicator's contribution to index_score (sums to it over indicators)",
        units="-",
    )
    out.attrs.update(
        index_spec=spec.name,
        bounds_spec=bounds.spec,
        rounding=-1 if spec.rounding is None else spec.rounding,
        low_reliability_below=spec.reliability.low_below,
    )
    return _to_frame(out, spec) if frame else out


def _check_bounds(spec, bounds) -> Bounds:
    if bounds is None:
        if all(leaf.bounds is not None for leaf in spec.leaves):
            return fit_bounds(None, spec)
        raise InputError(Problem(
            "bounds",
            "none given; fit them once on reference data with fit_bounds(reference, spec) and "
            "pass them (or load saved ones with Bounds.load(path)), so that scores stay "
            "comparable across runs.",
        ))
    if not isinstance(bounds, Bounds):
        raise TypeError(f"bounds must be a forewarn.index.Bounds; got {type(bounds).__name__}.")
    missing = [i for i in spec.indicators if i not in bounds]
    problems = []
    if missing:
        problems.append(Problem(
            "bounds",
            f"lack {', '.join(map(repr, missing))} (fitted for spec {bounds.spec!r}); refit them "
            "with fit_bounds(reference, spec) for this spec.",
        ))
    for i in spec.indicators:
        if i in bounds and spec.leaf(i).log and bounds[i].low < 0:
            problems.append(Problem(
                "bounds",
                f"'low' is {bounds[i].low} but the index spec takes the log of this indicator "
                "(log1p needs values >= 0); refit the bounds with fit_bounds(reference, spec).",
                column=i,
            ))
    if problems:
        raise InputError(problems)
    return bounds


def _round(v: xr.DataArray, ndigits: int) -> xr.DataArray:
    return xr.apply_ufunc(
        round_half_up, v, kwargs={"ndigits": ndigits}, dask="parallelized",
        output_dtypes=[float], keep_attrs=True,
    )


def _contributions(spec, values) -> dict:
    """Top-down split of the score: each child receives its share of its parent's part."""
    part = {spec.root: values[spec.root]}
    for node_id in spec.node_order:
        node = spec.node(node_id)
        xs = [values[c] for c in node.children]
        for c, s in zip(node.children, shares(node.aggregation, xs, node.child_weights)):
            part[c] = part[node_id] * s
    return {i: part[i].where(values[i].notnull()) for i in spec.indicators}


def _reliability(spec, ds, age) -> dict:
    """Reliability graded over every indicator the score uses, as INFORM's is: each indicator
    counts 1 when present and current, less as its value ages (carried forward from an old
    survey), 0 when missing; the region's reliability is the mean over the indicators."""
    rule = spec.reliability
    present = [ds[i].notnull() for i in spec.indicators]
    n_present = sum(p.astype(float) for p in present)
    missing_share = 1.0 - n_present / len(spec.indicators)
    out = {}
    quality = [p.astype(float) for p in present]
    if age is not None:
        ages = as_dataset(age, spec, "age")
        try:
            ages, _ = xr.align(ages, ds, join="exact")
        except ValueError:
            raise InputError(Problem(
                "age",
                "does not cover the same regions (and times) as the data; give one age per "
                "value, shaped like the data.",
            )) from None
        span = rule.age_zero_months - rule.age_full_months
        quality = []
        for i, p in zip(spec.indicators, present):
            # A present value of unknown age counts as stale: flagged rather than trusted.
            fresh = (1.0 - (ages[i] - rule.age_full_months) / span).clip(0.0, 1.0).fillna(0.0)
            quality.append(fresh.where(p, 0.0))
        stacked = xr.concat([ages[i].where(p) for i, p in zip(spec.indicators, present)],
                            dim="indicator")
        out["data_age"] = stacked.max("indicator", skipna=True).assign_attrs(
            long_name="Age of the oldest data point used", units="months"
        )
    reliability = sum(quality) / len(spec.indicators)
    out["reliability"] = reliability.assign_attrs(
        long_name="Reliability (1 = complete and current data)", units="-",
        valid_min=0.0, valid_max=1.0,
    )
    out["missing_share"] = missing_share.assign_attrs(
        long_name="Share of the index's indicators missing", units="-"
    )
    out["low_reliability"] = (reliability < rule.low_below).assign_attrs(
        long_name=f"Reliability below {rule.low_below}", units="-"
    )
    # Dataset order: reliability first, its parts after, the flag last.
    order = ["reliability", "missing_share", "data_age", "low_reliability"]
    return {k: out[k] for k in order if k in out}


def _stack(arrays: dict, spec, indicator: xr.DataArray) -> xr.DataArray:
    stacked = xr.concat([arrays[i] for i in spec.indicators], dim=indicator)
    return stacked.transpose(..., "indicator")


def _to_frame(out: xr.Dataset, spec) -> pd.DataFrame:
    columns = {}
    for name, var in out.data_vars.items():
        if "indicator" in var.dims:
            for i in spec.indicators:
                columns[f"{name}_{i}"] = var.sel(indicator=i).to_numpy()
        else:
            columns[name] = var.to_numpy()
    frame = pd.DataFrame(columns, index=pd.Index(out["region"].to_numpy(), name="region_id"))
    frame.attrs.update(out.attrs)
    return frame


def decompose(result, spec, depth: int = 1):
    """Contributions to each region's score, summed to the nodes ``depth`` levels below the root.

    ``depth=1`` gives the contribution of each dimension, ``depth=2`` of each category, and so
    on; an indicator shallower than ``depth`` counts as itself. The parts of a region sum to its
    score (see :func:`compute_index` for how the split is made).

    Parameters
    ----------
    result : xarray.Dataset or pandas.DataFrame
        The output of :func:`compute_index`.
    spec : IndexSpec
        The spec the result was computed with.
    depth : int
        Level below the root, 1 or more.

    Returns
    -------
    xarray.DataArray or pandas.DataFrame
        Contributions with a ``node`` dim (ids in hierarchy order) after the region (and time)
        dims; or a DataFrame with one row per region and one column per node. NaN where every
        indicator under a node is missing. [-]

    Raises
    ------
    ValueError
        ``depth`` is not a whole number of at least 1.
    forewarn.errors.InputError
        ``result`` holds no contributions for the spec's indicators.
    """
    if not isinstance(depth, (int, np.integer)) or isinstance(depth, bool) or depth < 1:
        raise ValueError(
            f"The 'depth' parameter of decompose must be an int >= 1 (1 = dimensions). "
            f"Got {depth!r} instead."
        )
    groups: dict[str, list[str]] = {}
    for i in spec.indicators:
        path = spec.path(i)
        groups.setdefault(path[min(depth, len(path) - 1)], []).append(i)
    if isinstance(result, pd.DataFrame):
        cols = {i: f"contribution_{i}" for i in spec.indicators}
        _need(spec, [i for i, c in cols.items() if c not in result.columns])
        return pd.DataFrame(
            {g: result[[cols[i] for i in members]].sum(axis=1, min_count=1)
             for g, members in groups.items()},
            index=result.index,
        )
    contribution = result.get("contribution")
    have = [] if contribution is None else list(contribution["indicator"].to_numpy())
    _need(spec, [i for i in spec.indicators if i not in have])
    parts = [contribution.sel(indicator=members).sum("indicator", min_count=1)
             for members in groups.values()]
    node = xr.DataArray(np.array(list(groups)), dims="node", name="node")
    return xr.concat(parts, dim=node).transpose(..., "node").rename("contribution")


def _need(spec, missing):
    if missing:
        raise InputError(Problem(
            "result",
            f"holds no contributions for {', '.join(map(repr, missing))}; pass the output of "
            f"compute_index(data, spec, bounds) for index spec {spec.name!r}.",
        ))
