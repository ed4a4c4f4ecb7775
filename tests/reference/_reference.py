"""The stored reference of a demo forecast, made before the issue-15 redesign.

``python -m tests.reference._reference OUT`` (re)writes the reference from a demo run folder
``OUT/latest``. Regenerate it only when a change of scores is intended, and say why in the commit.
"""
import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent / "demo"
TABLES = ("scores", "explanations", "drivers", "index")


def report_data(html_path):
    """The report's embedded view model (``<script id="fw-data">``) as a dict."""
    text = Path(html_path).read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="fw-data"[^>]*>(.*?)</script>',
                      text, re.S)
    if match is None:
        raise ValueError(f"{html_path}: no fw-data block in the report")
    return json.loads(match.group(1))


def write(run_dir):
    """Copy the reference tables and the report's data from one demo run folder."""
    run_dir = Path(run_dir)
    HERE.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        shutil.copyfile(run_dir / f"{name}.parquet", HERE / f"{name}.parquet")
    (HERE / "report_data.json").write_text(
        json.dumps(report_data(run_dir / "report.html"), sort_keys=True, indent=0),
        encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]) / "latest")
