"""The report in headless Chromium with the network blocked: nothing leaves the file, the script
runs without error and does what the page promises, and a screenshot shows what a person sees."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from forewarn.reports import write_report

pytestmark = pytest.mark.slow

_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--proxy-server=127.0.0.1:9", "--hide-scrollbars")

# Installed first in <head>: every uncaught error and console.error lands in window.__errors.
_HOOK = ("<script>window.__errors=[];window.addEventListener('error',function(e){"
         "window.__errors.push(String(e.message));});(function(c){console.error=function(){"
         "window.__errors.push(Array.prototype.join.call(arguments,' '));c.apply(console,"
         "arguments);};})(console.error);</script>")

# Run after the report's script: use the page as a person would and write what happened.
_PROBE = """<script>(function () {
  var out = {};
  try {
    var first = document.querySelector("#fw-map .rg");
    out.id = first.getAttribute("data-id");
    first.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
    out.panel = document.getElementById("fw-panel").textContent;
    first.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    out.pinned = first.getAttribute("class");
    var table = document.querySelector(".hblock:not([hidden]) table.rank");
    table.querySelectorAll("button.sort")[3].click();
    out.sorted = Array.prototype.map.call(table.tBodies[0].rows, function (r) {
      return r.cells[3].getAttribute("data-v"); });
    var select = document.getElementById("fw-parent");
    select.value = select.options[1].value;
    select.dispatchEvent(new Event("change"));
    out.parent = select.value;
    out.count = document.getElementById("fw-count").textContent;
    out.rowParents = Array.prototype.filter.call(table.tBodies[0].rows, function (r) {
      return !r.hidden; }).map(function (r) { return r.getAttribute("data-parent"); });
    document.querySelectorAll("input[name='fw-h']")[1].click();
    out.shown = Array.prototype.filter.call(document.querySelectorAll(".hblock"), function (b) {
      return !b.hidden; }).map(function (b) { return b.getAttribute("data-h"); });
    out.classAfter = first.getAttribute("class");
  } catch (e) { window.__errors.push("probe: " + e); }
  out.errors = window.__errors;
  var pre = document.createElement("pre");
  pre.id = "fw-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();</script>"""


@pytest.fixture(scope="module")
def chromium():
    """The browser, never installed from here: CI runs .ci/install_chromium.sh first."""
    found = shutil.which("chromium")
    if not found:
        pytest.skip("headless Chromium is needed for the browser test and is missing: install "
                    "Debian's chromium (bash .ci/install_chromium.sh as root)")
    return found


def _browse(chromium, tmp_path, name, *args) -> subprocess.CompletedProcess:
    cmd = [chromium, *_FLAGS, f"--user-data-dir={tmp_path / ('profile-' + name)}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def _page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for. The browser's own calls (updates, accounts) carry no page
    initiator ('not an origin'); a page loaded from a file has the opaque origin 'null'."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    params = [e.get("params", {}) for e in log["events"] if e["type"] == start]
    return [p["url"] for p in params if "url" in p and p.get("initiator") != "not an origin"]


def test_report_in_an_offline_browser(chromium, report_data, tmp_path):
    page = write_report(report_data, tmp_path / "report.html")
    text = page.read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(text.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + _HOOK, 1)
                      .replace("</body>", _PROBE + "</body>", 1), encoding="utf-8")
    net_log = tmp_path / "net.json"
    run = _browse(chromium, tmp_path, "dom", f"--log-net-log={net_log}", "--dump-dom",
                  probed.as_uri())
    found = re.search(r'<pre id="fw-probe">(.*?)</pre>', run.stdout, re.S)
    assert found, f"the page did not finish loading; chromium said: {run.stderr[-2000:]}"
    out = json.loads(html.unescape(found.group(1)))

    assert out["errors"] == []
    assert _page_requests(net_log) == []

    scores = report_data.scores.set_index(["region_id", "horizon"])
    first = report_data.regions.at[out["id"], "name"]
    assert first in out["panel"]
    assert "chance of a recorded surge in human trafficking within 3 months" in out["panel"]
    assert "sel" in out["pinned"].split()
    values = [float(v) for v in out["sorted"] if v]
    assert values == sorted(values, reverse=True) and out["sorted"][-1] == ""
    n_parent = int((report_data.regions["parent_id"] == out["parent"]).sum())
    assert out["count"] == f"Showing {n_parent} of {len(report_data.regions)} regions"
    assert set(out["rowParents"]) == {out["parent"]}
    assert set(out["shown"]) == {"12"}
    cls = scores.loc[(out["id"], 12), "risk_class"]
    assert f"c{['low', 'medium', 'high', 'very high'].index(cls)}" in out["classAfter"].split()

    shot = tmp_path / "report.png"
    _browse(chromium, tmp_path, "shot", f"--screenshot={shot}", "--window-size=1400,2400",
            page.as_uri())
    assert shot.is_file() and shot.stat().st_size > 50_000
    keep = os.environ.get("FOREWARN_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report.png")
