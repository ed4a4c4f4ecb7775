"""Index specs in files: reading an index-spec TOML file, and the specs shipped with forewarn."""

from __future__ import annotations

from dataclasses import fields
from importlib import resources
from pathlib import Path

from forewarn.errors import InputError, Problem
from forewarn._match import unknown_fields
from forewarn.features import read_toml
from ._spec import IndexSpec, Leaf, Node, ReliabilityRule

__all__ = [
    "catalogue_spec",
    "demo_spec",
    "inform_spec",
    "load_index_spec",
]

_TOP = ("index", "reliability", "nodes", "indicators")
_INDEX_FIELDS = ("name", "root", "rounding", "description")
_NODE_FIELDS = tuple(f.name for f in fields(Node) if f.name != "id")
_LEAF_FIELDS = tuple(f.name for f in fields(Leaf) if f.name != "id")
_RELIABILITY_FIELDS = tuple(f.name for f in fields(ReliabilityRule))


def load_index_spec(path) -> IndexSpec:
    """Read and check an index spec from a TOML file.

    The file has an ``[index]`` table (``name``, ``root``, optional ``rounding`` and
    ``description``), an optional ``[reliability]`` table (fields of :class:`ReliabilityRule`),
    one ``[nodes.<id>]`` table per node (fields of :class:`Node`) and one
    ``[indicators.<id>]`` table per indicator (fields of :class:`Leaf`). Every problem is
    collected before raising.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file.

    Returns
    -------
    IndexSpec

    Raises
    ------
    forewarn.errors.InputError
        The file is missing or does not parse, names unknown tables or fields, lacks required
        fields, or describes an invalid hierarchy.
    """
    path = Path(path)
    data = read_toml(path)
    problems = unknown_fields(data, sorted(_TOP), path, "unknown top-level table")
    head = _table(data, "index", path, problems) or {}
    problems += unknown_fields(head, sorted(_INDEX_FIELDS), path,
                               "[index] names unknown field")
    for k in ("name", "root"):
        if k not in head:
            problems.append(Problem(path, f"[index] lacks the required field '{k}'.", column=k))
    rel_table = _table(data, "reliability", path, problems, required=False) or {}
    problems += unknown_fields(rel_table, sorted(_RELIABILITY_FIELDS), path,
                               "[reliability] names unknown field")
    nodes = _entries(data, "nodes", Node, _NODE_FIELDS, ("children",), path, problems)
    leaves = _entries(data, "indicators", Leaf, _LEAF_FIELDS, ("direction",), path, problems)
    reliability = ReliabilityRule()
    if not any(p.message.startswith("[reliability]") for p in problems):
        try:
            reliability = ReliabilityRule(**rel_table)
        except InputError as exc:
            problems += [Problem(path, p.message) for p in exc.problems]
    if problems:
        raise InputError(problems)
    try:
        return IndexSpec(
            name=head["name"],
            root=head["root"],
            nodes=nodes,
            leaves=leaves,
            rounding=head.get("rounding"),
            reliability=reliability,
            description=head.get("description", ""),
            source=str(path),
        )
    except InputError as exc:
        raise InputError([Problem(path, p.message, column=p.column) for p in exc.problems]) from None


def _table(data, key, path, problems, required=True):
    table = data.get(key)
    if table is None:
        if required:
            problems.append(Problem(path, f"lacks the [{key}] table; add it.", column=key))
        return None
    if not isinstance(table, dict):
        problems.append(Problem(path, f"'{key}' must be a table ([{key}]).", column=key))
        return None
    return table


def _entries(data, key, cls, allowed, required, path, problems):
    tables = _table(data, key, path, problems)
    if tables is None:
        return ()
    if not tables:
        problems.append(Problem(path, f"[{key}] is empty; declare at least one [{key}.<id>].", column=key))
    out = []
    for item_id, table in tables.items():
        where = f"[{key}.{item_id}]"
        if not isinstance(table, dict):
            problems.append(Problem(path, f"{where} must be a table of fields.", column=item_id))
            continue
        bad = unknown_fields(table, sorted(allowed), path, f"{where} names unknown field")
        bad += [
            Problem(path, f"{where} lacks the required field '{k}'.", column=k)
            for k in required
            if k not in table
        ]
        for k in ("children", "weights", "bounds"):
            if k in table and not isinstance(table[k], list):
                bad.append(Problem(path, f"{where} '{k}' must be a list ([...]).", column=k))
        for k in ("label", "aggregation", "capping"):
            if k in table and not isinstance(table[k], str):
                bad.append(Problem(path, f"{where} '{k}' must be a string.", column=k))
        problems += bad
        if bad:
            continue
        try:
            out.append(cls(id=item_id, **table))
        except InputError as exc:
            problems += [Problem(path, p.message, column=p.column) for p in exc.problems]
    return tuple(out)


def _shipped(name: str) -> IndexSpec:
    with resources.as_file(resources.files("forewarn.index") / "specs" / name) as path:
        return load_index_spec(path)


def demo_spec() -> IndexSpec:
    """The default index of the demo world (``index/specs/demo.toml``).

    Three dimensions in the INFORM tradition, for the risk that a crisis drives a surge in
    trafficking:

    - **hazard** (the crisis shock): conflict deaths, people affected by disasters, and
      displacement (people displaced, refugees hosted). Counts are taken as ``log1p`` with the
      top 1 % capped, as INFORM treats absolute numbers of people exposed: a tenfold larger
      crisis is a step, not ten steps.
    - **vulnerability** (who the shock lands on): socio-economic (poverty, unemployment) and
      exposed groups (transit-route exposure, prior detected trafficking per capita). Detected
      trafficking counts half: it measures detection as much as trafficking, and a strong
      response detects more.
    - **lack_of_coping** (what stands between the shock and exploitation): institutions (state
      capacity, rule of law, control of corruption; lower is riskier), the anti-trafficking
      response (the response tier, where a higher tier is a weaker response, and the coverage
      of protection services, both policy levers) and health access.

    Categories and dimensions use INFORM's rescaled geometric mean and the risk is the
    geometric mean of the three dimensions, as in INFORM: a high hazard with strong coping,
    or a weak state with no shock, does not score as a crisis. ``population`` is not an
    indicator: it is the denominator of per-capita rates, and a large population is no risk in
    itself.
    """
    return _shipped("demo.toml")


def inform_spec() -> IndexSpec:
    """INFORM Risk's own hierarchy from components up (``index/specs/inform.toml``).

    The leaves are INFORM's published component scores (already 0-10, fixed bounds 0-10, so
    no data are needed to fit bounds); the nodes reproduce INFORM's categories, dimensions and
    risk, rounded to one decimal at every level as INFORM publishes them. Epidemic (a natural
    hazard component from 2020) is left out of the mean where a release lacks it.
    """
    return _shipped("inform.toml")


def catalogue_spec(catalogue) -> IndexSpec | None:
    """A plain index derived from a catalogue: the equal-weight mean of its directed indicators.

    For projects whose catalogue no index spec fits (a backtest's "index alone" baseline, or a
    run with no ``[index]`` section): each indicator with direction +1 or -1 becomes a leaf,
    capped at its 1st and 99th percentiles, taken as ``log1p`` when the catalogue's transform
    is ``"log"``, scaled 0-10 in its direction; the root is their arithmetic mean. Indicators
    with direction 0 have no risk direction and are left out. It is a baseline with no weights
    or hierarchy of anyone's judgement: write an index spec (see ``index/README.md``) for an
    index to publish.

    Parameters
    ----------
    catalogue : forewarn.features.Catalogue
        The project's indicator catalogue.

    Returns
    -------
    IndexSpec or None
        None when no indicator has a direction.
    """
    directed = [ind for ind in catalogue.values() if ind.direction in (1, -1)]
    if not directed:
        return None
    leaves = tuple(Leaf(id=ind.id, direction=ind.direction, log=ind.transform == "log",
                        capping="percentile", label=ind.label) for ind in directed)
    left_out = len(catalogue) - len(directed)
    description = (f"Equal-weight mean of the catalogue's {len(directed)} directed indicators, "
                   "each scaled 0-10 in its risk direction (derived from the catalogue: no "
                   "index spec was given that fits it)")
    if left_out:
        description += f"; {left_out} indicator(s) without a risk direction left out"
    root = "catalogue_mean"
    return IndexSpec(name="catalogue", root=root,
                     nodes=(Node(id=root, children=tuple(ind.id for ind in directed),
                                 label="Mean of the directed indicators"),),
                     leaves=leaves, description=description + ".",
                     source=f"{getattr(catalogue, 'path', 'catalogue')} (derived index)")
