"""The checks of an index hierarchy as a whole: names, parents, cycles, reachability."""

from __future__ import annotations

from forewarn._match import did_you_mean

__all__ = ["RESERVED", "check_tree"]

#: Names of output variables; a node or indicator may not take them.
RESERVED = (
    "index_score",
    "reliability",
    "missing_share",
    "data_age",
    "low_reliability",
    "contribution",
    "scaled",
    "indicator",
    "node",
    "region",
    "time",
)


def check_tree(spec) -> list[tuple[str, str | None]]:
    """Every problem of an :class:`~forewarn.index.IndexSpec`'s hierarchy as ``(message,
    field)``: names, duplicates, unknown children, parents, cycles and unreachable items."""
    out = []
    if not isinstance(spec.name, str) or not spec.name:
        out.append(("[index] 'name' must be a non-empty string.", "name"))
    if spec.rounding is not None and not (
        isinstance(spec.rounding, int) and not isinstance(spec.rounding, bool)
        and 0 <= spec.rounding <= 10
    ):
        out.append((
            f"[index] 'rounding' is {spec.rounding!r}; use a whole number of decimals from 0 to 10, "
            "or leave it out for no rounding.",
            "rounding",
        ))
    node_ids = [n.id for n in spec.nodes]
    leaf_ids = [leaf.id for leaf in spec.leaves]
    for ids, kind in ((node_ids, "node"), (leaf_ids, "indicator")):
        for dupe in sorted({i for i in ids if ids.count(i) > 1}):
            out.append((f"{kind} '{dupe}' is declared more than once; declare it once.", dupe))
    for both in sorted(set(node_ids) & set(leaf_ids)):
        out.append((
            f"'{both}' is declared both as a node and as an indicator; rename one of them.",
            both,
        ))
    for name in sorted((set(node_ids) | set(leaf_ids)) & set(RESERVED)):
        out.append((
            f"'{name}' is the name of an output variable; rename the node or indicator.",
            name,
        ))
    if spec.root not in node_ids:
        out.append((
            f"[index] 'root' is {spec.root!r}, which is not a declared node; declare "
            f"[nodes.{spec.root}] or set 'root' to one of {sorted(node_ids)}.",
            "root",
        ))
    known = set(node_ids) | set(leaf_ids)
    parents: dict[str, list[str]] = {}
    for n in spec.nodes:
        for c in n.children:
            parents.setdefault(c, []).append(n.id)
            if c not in known:
                hint = did_you_mean(c, sorted(known))
                out.append((
                    f"[nodes.{n.id}] child '{c}' is neither a declared node nor a declared "
                    f"indicator; add [nodes.{c}] or [indicators.{c}].{hint}",
                    c,
                ))
    for child, ps in sorted(parents.items()):
        if len(ps) > 1:
            out.append((
                f"'{child}' sits under {len(ps)} parents ({', '.join(ps)}); an indicator or node "
                "may appear once in the hierarchy, under one parent.",
                child,
            ))
    if spec.root in parents:
        out.append((
            f"root '{spec.root}' is also the child of {', '.join(parents[spec.root])}; the root "
            "must have no parent.",
            spec.root,
        ))
    out += _check_cycles(spec)
    if out:
        return out
    reached = set(spec._walk())
    for i in node_ids + leaf_ids:
        if i not in reached:
            kind = "node" if i in node_ids else "indicator"
            out.append((
                f"{kind} '{i}' is declared but not under root '{spec.root}'; add it to a node's "
                "'children' or remove it.",
                i,
            ))
    return out


def _check_cycles(spec) -> list[tuple[str, str]]:
    children = {n.id: n.children for n in spec.nodes}
    out = []
    reported = set()
    for start in children:
        # Follow every path from `start`; a path that comes back to a node on it is a cycle.
        stack = [(start, (start,))]
        while stack:
            item, path = stack.pop()
            for c in children.get(item, ()):
                if c in path:
                    cycle = path[path.index(c):] + (c,)
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        out.append((
                            f"the hierarchy has a cycle: {' -> '.join(cycle)}; a node cannot be "
                            "its own ancestor, remove one of these links.",
                            c,
                        ))
                elif c in children:
                    stack.append((c, path + (c,)))
    return out
