"""Reports, maps and exports for planners and meeting rooms, all made from one ReportData.

The flow fills a :class:`ReportData` for every run; these functions turn it into what people
read::

    write_report(data, run / "report.html")     # one self-contained, offline HTML file
    write_maps(data, run / "maps")              # slide-size PNG and PDF choropleths
    write_exports(data, run)                    # regions.gpkg, regions.geojson, HXL CSV
"""

from forewarn.reports._data import RISK_CLASSES, SCORE_COLUMNS, ReportData
from forewarn.reports._exports import HXL_TAGS, spreadsheet_safe, write_exports
from forewarn.reports._maps import FORMATS as MAP_FORMATS
from forewarn.reports._render import render_report, write_report
from forewarn.reports._maps import write_maps

__all__ = [
    "HXL_TAGS",
    "MAP_FORMATS",
    "RISK_CLASSES",
    "SCORE_COLUMNS",
    "ReportData",
    "render_report",
    "spreadsheet_safe",
    "write_exports",
    "write_maps",
    "write_report",
]
