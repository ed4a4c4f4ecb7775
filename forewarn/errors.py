"""The exceptions and warnings forewarn raises, in one place."""

from __future__ import annotations

__all__ = ["ForewarnError", "InputError", "Problem", "ForewarnWarning"]


class ForewarnWarning(UserWarning):
    """A recoverable mismatch in the inputs: forewarn went on, but you should look."""


class Problem:
    """One thing wrong with an input, located as precisely as forewarn can.

    Parameters
    ----------
    file : str
        The file (or config section) the problem is in.
    message : str
        What was found and how to fix it.
    row : int or None
        1-based data row (the header is row 0), or None when the problem is not in one row.
    column : str or None
        The column or field name, or None.
    """

    __slots__ = ("file", "message", "row", "column")

    #: Longest message kept: a bad value quoted in full (a 1 MB cell) must not flood a terminal.
    MAX_CHARS = 1000

    def __init__(self, file, message, row=None, column=None):
        self.file = _shorten(str(file), 300)
        self.message = _shorten(str(message), self.MAX_CHARS)
        self.row = row
        self.column = None if column is None else _shorten(str(column), 100)

    def __str__(self):
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"

    def __repr__(self):
        return f"Problem({str(self)!r})"

    def __eq__(self, other):
        return isinstance(other, Problem) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


class ForewarnError(Exception):
    """Base class of forewarn's own errors."""


class InputError(ForewarnError):
    """Bad input (a file, the config, a command-line argument): the user can fix it.

    Carries every problem found, not only the first, so one run of ``forewarn validate``
    lists everything to fix. The command line prints them and exits with status 2.
    """

    def __init__(self, problems):
        if isinstance(problems, (str, Problem)):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self):
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems found:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)
