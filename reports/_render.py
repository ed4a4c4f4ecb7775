"""The HTML report rendered: one self-contained file (styles, script, map and charts inline)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from markupsafe import Markup

from forewarn.reports._common import check_report_data
from forewarn.reports._data import ReportData
from forewarn.reports._view import report_context

__all__ = ["render_report", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"


def render_report(data: ReportData, *, top_n: int = 10, max_rows: int = 1000) -> str:
    """Render the report as one self-contained HTML document.

    Everything is inline (styles, script, the map, charts, data), so the file opens offline
    and makes no request to any other host. Every data-derived text is escaped; data handed to
    the script is JSON inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
    escaped.

    Parameters
    ----------
    data : ReportData
        What the run produced.
    top_n : int, default=10
        Regions that get a card, per horizon, besides ``data.detail_regions``. [regions]
    max_rows : int, default=1000
        Most regions listed in the ranking table and under each class of the text map, per
        horizon (the riskiest); with more regions the report says so and points to
        ``scores.csv``. Regions beyond it keep their map colour, score and interval, but their
        drivers are left to ``drivers.parquet``, so a grid's report stays a few megabytes per
        10,000 cells. [regions]

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    TypeError, ValueError
        When ``data`` breaks the ReportData contract (the message names what to fix).
    """
    check_report_data(data, "render_report")
    if not (isinstance(top_n, int) and top_n >= 0):
        raise ValueError(f"render_report: 'top_n' must be a whole number >= 0; got {top_n!r}.")
    if not (isinstance(max_rows, int) and max_rows >= 1):
        raise ValueError(f"render_report: 'max_rows' must be a whole number >= 1; got "
                         f"{max_rows!r}.")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["css_string"] = _css_string
    context = report_context(data, top_n, max_rows)
    context["json"] = script_json(context.pop("script_data"))
    context["css"] = Markup((_TEMPLATES / "report.css").read_text(encoding="utf-8"))
    context["js"] = Markup((_TEMPLATES / "report.js").read_text(encoding="utf-8"))
    return env.get_template("report.html.j2").render(**context)


def write_report(data: ReportData, path, *, top_n: int = 10, max_rows: int = 1000) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8), creating its folder; return the path."""
    html = render_report(data, top_n=top_n, max_rows=max_rows)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _css_string(text) -> Markup:
    """``text`` as a quoted CSS string safe inside a style element: every character but plain
    letters, digits and a little punctuation written as a 6-digit CSS escape."""
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.;:()-")
    return Markup('"' + "".join(c if c in safe else f"\\{ord(c):06x}" for c in str(text))
                  + '"')


def script_json(value) -> Markup:
    """``value`` as compact JSON safe inside a script element.

    In a script element the HTML parser only looks for ``</script`` and ``<!--``; escaping
    every ``<``, ``>`` and ``&`` keeps any region name from ever becoming markup.
    """
    blob = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
