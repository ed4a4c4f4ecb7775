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


# --- phone and print (issue 16, items 12 and 13) ------------------------------------------------

# Run inside the report, loaded into a 390-px iframe (headless Chromium will not make a window
# narrower than 500 px): what overflows the page or its card, posted to the parent page.
_NARROW_PROBE = """<script>window.addEventListener("load", function () {
  var root = document.documentElement, out = {width: root.clientWidth,
    scrollWidth: root.scrollWidth, overflowing: [], cards: 0};
  document.querySelectorAll(".card").forEach(function (card) {
    out.cards += 1;
    var box = card.getBoundingClientRect();
    card.querySelectorAll("*").forEach(function (e) {
      var r = e.getBoundingClientRect();
      if (r.width && r.right > box.right + 1 && !e.closest(".table-scroll, table.small"))
        out.overflowing.push(e.tagName + "." + e.getAttribute("class"));
    });
  });
  var rank = document.querySelector(".hblock:not([hidden]) table.rank");
  out.rankWidth = rank.getBoundingClientRect().width;
  out.rankBox = rank.parentElement.getBoundingClientRect().width;
  out.rankScrolls = getComputedStyle(rank.parentElement).overflowX;
  parent.postMessage(JSON.stringify(out), "*");
});</script>"""

_FRAME = ("<!DOCTYPE html><body style='margin:0'><iframe src='{src}' width='390' height='844' "
          "style='border:0'></iframe><script>window.addEventListener('message', function (e) {{"
          "var p = document.createElement('pre'); p.id = 'fw-probe'; p.textContent = e.data;"
          "document.body.appendChild(p); }});</script></body>")


def test_report_on_a_phone_never_pans_sideways(chromium, report_data, tmp_path):
    page = write_report(report_data, tmp_path / "report.html")
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", _NARROW_PROBE + "</body>", 1), encoding="utf-8")
    frame = tmp_path / "phone.html"
    frame.write_text(_FRAME.format(src=probed.name), encoding="utf-8")
    run = _browse(chromium, tmp_path, "phone", "--window-size=800,900",
                  "--virtual-time-budget=5000", "--dump-dom", frame.as_uri())
    found = re.search(r'<pre id="fw-probe">(.*?)</pre>', run.stdout, re.S)
    assert found, f"the page did not finish loading; chromium said: {run.stderr[-2000:]}"
    out = json.loads(html.unescape(found.group(1)))
    assert out["width"] == 390
    assert out["scrollWidth"] <= 390, out
    assert out["cards"] > 0 and out["overflowing"] == []
    # The ranking is wider than the phone: it scrolls inside its own box.
    assert out["rankWidth"] > out["rankBox"] and out["rankScrolls"] == "auto"


def _pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf`` (poppler's pdftotext, form feed between pages)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    return text.split("\f")[:-1]


def test_report_in_print_is_compact_and_labelled_on_every_page(chromium, report_data,
                                                               tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is needed to read the printed pages and is "
                    "missing: install it (bash .ci/install_chromium.sh as root)")
    page = write_report(report_data, tmp_path / "report.html")
    pdf = tmp_path / "report.pdf"
    run = _browse(chromium, tmp_path, "print", "--no-pdf-header-footer",
                  "--virtual-time-budget=5000", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file(), f"no PDF; chromium said: {run.stderr[-2000:]}"
    pages = _pdf_pages(pdf)
    label = report_data.demo_label
    missing = [i + 1 for i, p in enumerate(pages) if label not in p]
    assert missing == [], f"pages without the demo label: {missing} of {len(pages)}"

    def first(heading):
        return next(i for i, p in enumerate(pages)
                    if re.search(rf"^\s*{heading}(\s\s|$)", p, re.M))

    # Summary, map, ranking, then the cards, then the method.
    order = [first("Summary"), first("Map"), first("Ranking"), first("Regions"),
             first("Model and method")]
    assert order == sorted(order)
    # Region cards two to a page: each card is named once in its header line.
    names = [report_data.regions.at[rid, "name"] for rid in report_data.regions.index]
    card_pages = [i for i, p in enumerate(pages) if i >= order[3] and i < order[4]]
    per_page = [sum(1 for line in pages[i].splitlines() if line.strip() in names)
                for i in card_pages]
    n_cards = sum(per_page)
    assert n_cards > 2
    assert len(card_pages) <= (n_cards + 1) // 2 + 1, per_page
