"""The one "did you mean" rule: the known name closest to a misspelt one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["CUTOFF", "closest", "did_you_mean", "unknown_fields"]

#: Least similarity (difflib's ratio, 0 to 1) for a known name to be suggested. [-]
CUTOFF = 0.6


def closest(word, options: Iterable, n: int = 1) -> list[str]:
    """The known names most like ``word``, best first (at most ``n``; empty when none is close).

    A name is close when difflib's similarity ratio is at least :data:`CUTOFF` (equally close
    names in alphabetical order); when none is,
    a known name that starts with ``word`` (a truncated name: ``"surge"`` for
    ``"surge_factor"``) is offered instead. Options are compared as text.

    Examples
    --------
    >>> closest("horizon", ["horizons", "as_of"])
    ['horizons']
    >>> closest("zzz", ["horizons", "as_of"])
    []
    """
    word = str(word)
    options = list(dict.fromkeys(str(o) for o in options))
    if not options:
        return []
    found = difflib.get_close_matches(word, options, n=len(options), cutoff=CUTOFF)
    # Equally close names in alphabetical order (difflib lists ties in reverse).
    ratio = {o: difflib.SequenceMatcher(None, word, o).ratio() for o in found}
    found = sorted(found, key=lambda o: (-ratio[o], o))[:n]
    if not found and word:
        found = [o for o in options if o.startswith(word)][:n]
    return found


def did_you_mean(word, options: Iterable, n: int = 1, brackets: bool = False) -> str:
    """A hint naming the known names closest to ``word``, or "" when none is close.

    The hint starts with a space so it can follow a sentence: ``" Did you mean 'lags'?"``.
    With ``brackets`` each name is shown as a TOML table header (``[model]``) rather than quoted.

    Examples
    --------
    >>> did_you_mean("lag", ["lags", "changes"])
    " Did you mean 'lags'?"
    >>> did_you_mean("modle", ["model", "index"], brackets=True)
    ' Did you mean [model]?'
    >>> did_you_mean("AB0", ["AB01", "AB02", "XY"], n=2)
    " Did you mean 'AB01' or 'AB02'?"
    """
    found = closest(word, options, n=n)
    if not found:
        return ""
    shown = [f"[{o}]" if brackets else repr(o) for o in found]
    names = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    return f" Did you mean {names}?"


def unknown_fields(keys: Iterable, allowed, source, what: str, listed_as: str | None = None):
    """A :class:`~forewarn.errors.Problem` for each of ``keys`` not in ``allowed``.

    Each reads "``what`` '<key>'." with the closest allowed name and, with ``listed_as``,
    "``listed_as``: <every allowed name>." after it.

    Examples
    --------
    >>> [p.message for p in unknown_fields(["lag", "lags"], ["lags", "changes"], "cfg",
    ...                                    "unknown field", "Fields")]
    ["unknown field 'lag'. Did you mean 'lags'? Fields: lags, changes."]
    """
    from forewarn.errors import Problem

    allowed = list(allowed)
    tail = f" {listed_as}: {', '.join(map(str, allowed))}." if listed_as else ""
    return [Problem(source, f"{what} '{key}'.{did_you_mean(key, allowed)}{tail}",
                    column=str(key))
            for key in keys if key not in allowed]
