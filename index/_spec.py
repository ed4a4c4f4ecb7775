"""The index specification: hierarchy, aggregation and scaling rules, checked on construction."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from forewarn.errors import InputError, Problem
from forewarn._match import did_you_mean
from forewarn.index._spec_tree import RESERVED, check_tree

__all__ = [
    "AGGREGATIONS",
    "INDEX_CLASS_BREAKS",
    "CAPPINGS",
    "IndexSpec",
    "Leaf",
    "Node",
    "ReliabilityRule",
]

#: INFORM's risk classes on the index's 0-10 scale: where "medium", "high" and "very high"
#: start (used to class regions when no model can be trained). [-]
INDEX_CLASS_BREAKS = (3.5, 5.0, 6.5)

#: Aggregations a node may use; see :class:`Node`.
AGGREGATIONS = ("arithmetic", "geometric", "inform_geometric", "max")
#: Outlier capping rules an indicator may use; see :class:`Leaf`.
CAPPINGS = ("none", "iqr", "percentile")

_DEFAULT_IQR_K = 1.5
_DEFAULT_P_LOW = 1.0
_DEFAULT_P_HIGH = 99.0


def _raise_if(problems: list[tuple[str, str | None]], source: str = "index spec") -> None:
    """Raise every (message, field) problem found at once."""
    if problems:
        raise InputError([Problem(source, m, column=c) for m, c in problems])


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@dataclass(frozen=True)
class Node:
    """One aggregating node of the hierarchy (a dimension, category or component).

    Parameters
    ----------
    id : str
        Identifier; also the name of the node's variable in the output.
    children : tuple of str
        Ids of the child nodes or indicators, in display order.
    aggregation : {"arithmetic", "geometric", "inform_geometric", "max"}
        How the children's 0-10 values combine, over the children present for a region (a missing
        child is left out and the weights of the others renormalised):

        - ``"arithmetic"``: weighted mean.
        - ``"geometric"``: weighted geometric mean, ``prod(x_i ** a_i)``; 0 when any child is 0.
        - ``"inform_geometric"``: INFORM's rescaled geometric mean,
          ``(10 - prod(((10 - x_i) / 10 * 9 + 1) ** a_i)) / 9 * 10``, which maps each child to
          [1, 10] before the geometric mean so that one zero child does not zero the node.
        - ``"max"``: ``max(w_i * x_i)``; here the weights are multipliers from 0 to 1 and are
          not renormalised (INFORM's human hazard is ``max(0.7 * projected, 1.0 * current)``).
    weights : tuple of float or None
        One non-negative weight per child (at least one above 0); None for equal weights.
        Only ratios matter, except for ``"max"``.
    label : str
        Human label for reports.
    """

    id: str
    children: tuple[str, ...]
    aggregation: str = "arithmetic"
    weights: tuple[float, ...] | None = None
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "children", tuple(self.children))
        if self.weights is not None:
            object.__setattr__(self, "weights", tuple(self.weights))
        _raise_if(_check_node(self))

    @property
    def child_weights(self) -> tuple[float, ...]:
        """The weights, one per child (1.0 each when none were given)."""
        return self.weights if self.weights is not None else (1.0,) * len(self.children)


def _check_node(node: Node) -> list[tuple[str, str]]:
    where = f"[nodes.{node.id}]"
    out = []
    if node.aggregation not in AGGREGATIONS:
        hint = did_you_mean(node.aggregation, AGGREGATIONS)
        out.append((
            f"{where} 'aggregation' is {node.aggregation!r}; use one of "
            f"{', '.join(map(repr, AGGREGATIONS))}.{hint}",
            "aggregation",
        ))
    if not node.children or not all(isinstance(c, str) and c for c in node.children):
        out.append((f"{where} 'children' must be a non-empty list of ids (strings).", "children"))
    dupes = sorted({c for c in node.children if node.children.count(c) > 1})
    for c in dupes:
        out.append((f"{where} lists child '{c}' more than once; list it once.", "children"))
    if node.weights is not None:
        w = node.weights
        if len(w) != len(node.children):
            out.append((
                f"{where} has {len(w)} weights for {len(node.children)} children; give one "
                "weight per child, in the order of 'children'.",
                "weights",
            ))
        if not all(_is_number(x) and math.isfinite(x) for x in w):
            out.append((f"{where} 'weights' must all be finite numbers; got {list(w)}.", "weights"))
        elif any(x < 0 for x in w):
            out.append((
                f"{where} 'weights' {list(w)} include a negative weight; weights must be >= 0.",
                "weights",
            ))
        elif not any(x > 0 for x in w):
            out.append((f"{where} 'weights' are all 0; give at least one weight above 0.", "weights"))
        elif node.aggregation == "max" and any(x > 1 for x in w):
            out.append((
                f"{where} 'weights' {list(w)} go above 1; for 'max' the weights multiply the "
                "children, so keep them from 0 to 1 to stay on the 0-10 scale.",
                "weights",
            ))
    return out


@dataclass(frozen=True)
class Leaf:
    """One indicator at the bottom of the hierarchy, with the rule that scales it to 0-10.

    Scaling, in order: cap outliers (``capping``), take ``log1p`` (``log``), min-max scale to
    0-10 against frozen reference bounds (see :func:`fit_bounds`), flip when ``direction`` is -1.
    Values beyond the frozen bounds clip to 0 or 10.

    Parameters
    ----------
    id : str
        Indicator id (catalogue id, panel variable name, DataFrame column).
    direction : {1, -1}
        +1 when a higher value means higher risk, -1 when lower is riskier.
    log : bool
        Take ``log1p`` after capping, for counts and other skewed, non-negative indicators.
    capping : {"none", "iqr", "percentile"}
        Outlier fences fitted on the reference data: ``"iqr"`` caps at
        ``[Q1 - iqr_k * IQR, Q3 + iqr_k * IQR]``; ``"percentile"`` at the ``p_low`` and
        ``p_high`` percentiles.
    iqr_k : float or None
        Multiple of the interquartile range for ``"iqr"`` (default 1.5). [-]
    p_low, p_high : float or None
        Percentiles for ``"percentile"`` (defaults 1 and 99). [%]
    bounds : tuple of (float, float) or None
        Fixed goalposts ``(low, high)`` in the indicator's own units, used instead of fitting on
        data (for example ``(0, 10)`` for an input that is already a 0-10 score).
    label : str
        Human label for reports.
    """

    id: str
    direction: int
    log: bool = False
    capping: str = "none"
    iqr_k: float | None = None
    p_low: float | None = None
    p_high: float | None = None
    bounds: tuple[float, float] | None = None
    label: str = ""

    def __post_init__(self):
        if self.bounds is not None:
            object.__setattr__(self, "bounds", tuple(self.bounds))
        _raise_if(_check_leaf(self))

    @property
    def fence_k(self) -> float:
        """Multiple of the interquartile range used by ``"iqr"`` capping. [-]"""
        return _DEFAULT_IQR_K if self.iqr_k is None else float(self.iqr_k)

    @property
    def percentiles(self) -> tuple[float, float]:
        """Percentiles used by ``"percentile"`` capping. [%]"""
        low = _DEFAULT_P_LOW if self.p_low is None else float(self.p_low)
        high = _DEFAULT_P_HIGH if self.p_high is None else float(self.p_high)
        return low, high


def _check_leaf(leaf: Leaf) -> list[tuple[str, str]]:
    where = f"[indicators.{leaf.id}]"
    out = []
    if leaf.direction == 0 and not isinstance(leaf.direction, bool):
        out.append((
            f"{where} 'direction' is 0: an indicator without a risk direction cannot enter an "
            "index, which adds indicators up in the direction of risk; leave it out of the "
            "index (models still use it) or give it 1 (higher is riskier) or -1 (lower is "
            "riskier).",
            "direction",
        ))
    elif leaf.direction not in (1, -1) or isinstance(leaf.direction, bool):
        out.append((
            f"{where} 'direction' is {leaf.direction!r}; use 1 (higher is riskier) or -1 "
            "(lower is riskier).",
            "direction",
        ))
    if not isinstance(leaf.log, bool):
        out.append((f"{where} 'log' is {leaf.log!r}; use true or false.", "log"))
    if leaf.capping in CAPPINGS:
        out += _check_capping(leaf, where)
    else:
        # Its parameters cannot be judged against an unknown capping, so they are not checked.
        out.append((
            f"{where} 'capping' is {leaf.capping!r}; use one of {', '.join(map(repr, CAPPINGS))}.",
            "capping",
        ))
    if leaf.bounds is not None:
        b = leaf.bounds
        if len(b) != 2 or not all(_is_number(x) and math.isfinite(x) for x in b):
            out.append((
                f"{where} 'bounds' is {list(b)}; give two finite numbers [low, high].",
                "bounds",
            ))
        elif not b[0] < b[1]:
            out.append((f"{where} 'bounds' {list(b)}: low must be below high.", "bounds"))
        elif leaf.log and b[0] < 0:
            out.append((
                f"{where} 'bounds' {list(b)} start below 0 but 'log' is true (log1p needs "
                "values >= 0); raise the low bound to 0 or set log = false.",
                "bounds",
            ))
        if leaf.capping in CAPPINGS and leaf.capping != "none":
            out.append((
                f"{where} has fixed 'bounds' and capping = {leaf.capping!r}; capping is fitted on "
                "data and fixed bounds are not, so use one or the other.",
                "capping",
            ))
    return out


def _check_capping(leaf: Leaf, where: str) -> list[tuple[str, str]]:
    out = []
    if leaf.iqr_k is not None:
        if leaf.capping != "iqr":
            out.append((f"{where} 'iqr_k' only applies with capping = 'iqr'; remove it.", "iqr_k"))
        elif not (_is_number(leaf.iqr_k) and 0 < leaf.iqr_k < math.inf):
            out.append((f"{where} 'iqr_k' is {leaf.iqr_k!r}; use a number above 0.", "iqr_k"))
    percentiles_ok = True
    for name in ("p_low", "p_high"):
        value = getattr(leaf, name)
        if value is None:
            continue
        if leaf.capping != "percentile":
            out.append((
                f"{where} '{name}' only applies with capping = 'percentile'; remove it.",
                name,
            ))
        elif not (_is_number(value) and 0 <= value <= 100):
            out.append((f"{where} '{name}' is {value!r}; use a percentile from 0 to 100.", name))
            percentiles_ok = False
    if leaf.capping == "percentile" and percentiles_ok:
        low, high = leaf.percentiles
        if not low < high:
            out.append((
                f"{where} 'p_low' ({low}) must be below 'p_high' ({high}).",
                "p_low",
            ))
    return out


@dataclass(frozen=True)
class ReliabilityRule:
    """How reliability is scored from missing and old data.

    ``reliability`` is the mean over the spec's indicators of each one's quality for the
    region: 0 when missing; else 1 while its value is at most ``age_full_months`` old, falling
    linearly to 0 at ``age_zero_months`` (a value carried forward from an old survey counts for
    less), and 1 when no ages are given. Every input the score uses counts, as in INFORM's
    reliability. A region is flagged ``low_reliability`` when its reliability is below
    ``low_below``.

    Parameters
    ----------
    low_below : float
        Flag threshold, 0-1. The default 0.7 flags a region that misses more than 30 % of the
        indicators (or whose data are as stale as that): beyond it, whole categories of the
        hierarchy tend to rest on a single indicator. [-]
    age_full_months : float
        Age of a value up to which it loses no reliability. [months]
    age_zero_months : float
        Age of a value at which it adds no reliability. [months]
    """

    low_below: float = 0.7
    age_full_months: float = 24.0
    age_zero_months: float = 72.0

    def __post_init__(self):
        out = []
        if not (_is_number(self.low_below) and 0 <= self.low_below <= 1):
            out.append(f"'low_below' is {self.low_below!r}; use a number from 0 to 1.")
        ages = (self.age_full_months, self.age_zero_months)
        if not all(_is_number(a) and 0 <= a < math.inf for a in ages):
            out.append(f"'age_full_months' and 'age_zero_months' must be numbers >= 0; got {ages}.")
        elif not self.age_full_months < self.age_zero_months:
            out.append(
                f"'age_full_months' ({self.age_full_months}) must be below 'age_zero_months' "
                f"({self.age_zero_months})."
            )
        _raise_if([(f"[reliability] {m}", None) for m in out])


@dataclass(frozen=True)
class IndexSpec:
    """A composite index: a hierarchy of nodes over scaled indicators.

    Checked on construction: every child is a declared node or indicator, the hierarchy is a
    tree under ``root`` (no cycles, each node and indicator under one parent only, nothing
    declared but left out), and no id takes an output variable's name.

    Parameters
    ----------
    name : str
        Short name, recorded in outputs and bounds files.
    root : str
        Id of the top node; its value is the output's ``index_score``.
    nodes : tuple of Node
        The aggregating nodes.
    leaves : tuple of Leaf
        The indicators.
    rounding : int or None
        When set, every node's value is rounded half up (:func:`round_half_up`) to this many
        decimals before the next level uses it, as INFORM does (1). None: no rounding.
    reliability : ReliabilityRule
        How reliability is scored and flagged.
    description : str
        What the index measures, for reports.
    source : str
        Where the spec came from (a file path), used in error messages.
    """

    name: str
    root: str
    nodes: tuple[Node, ...]
    leaves: tuple[Leaf, ...]
    rounding: int | None = None
    reliability: ReliabilityRule = field(default_factory=ReliabilityRule)
    description: str = ""
    source: str = "index spec"

    def __post_init__(self):
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "leaves", tuple(self.leaves))
        _raise_if(check_tree(self), self.source)

    def node(self, node_id: str) -> Node:
        """The node with this id."""
        return self._nodes[node_id]

    def leaf(self, indicator: str) -> Leaf:
        """The indicator (leaf) with this id."""
        return self._leaves[indicator]

    @cached_property
    def indicators(self) -> tuple[str, ...]:
        """Indicator ids in hierarchy order (depth first, children in declared order)."""
        return tuple(i for i in self._walk() if i not in self._nodes)

    @cached_property
    def node_order(self) -> tuple[str, ...]:
        """Node ids in hierarchy order (depth first, root first)."""
        return tuple(i for i in self._walk() if i in self._nodes)

    def path(self, item: str) -> tuple[str, ...]:
        """Ids from the root down to ``item`` (a node or indicator), both included."""
        parent = {c: n.id for n in self.nodes for c in n.children}
        out = [item]
        while out[-1] != self.root:
            out.append(parent[out[-1]])
        return tuple(reversed(out))

    @cached_property
    def _nodes(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    @cached_property
    def _leaves(self) -> dict[str, Leaf]:
        return {leaf.id: leaf for leaf in self.leaves}

    def _walk(self):
        stack = [self.root]
        while stack:
            item = stack.pop()
            yield item
            if item in self._nodes:
                stack.extend(reversed(self._nodes[item].children))
