"""The HTML report: self-contained, complete, escaped, honest about demo data and baselines,
in the words of the project's outcome, with a map that stays legible for a world of countries."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from .conftest import NASTY, NASTY_ID, UNSCORED_ID, WORLD_PARENTS, build_report_data

from forewarn.reports import ReportData, render_report, write_report
from forewarn.reports._common import with_article
from forewarn.reports._cards import change_text
from forewarn.reports._feature_labels import feature_table, label
from forewarn.reports._layout import svg_names
from forewarn.reports._method import _shapes, model_card_items
from forewarn.reports._svg import MapFrame

SECTIONS = ("summary", "map", "ranking", "regions", "method")


class _Page(HTMLParser):
    """Every tag with its attributes, the text, and the content of each script element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.scripts = [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = (dict(attrs), [])

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1].append(data)
        else:
            self.text.append(data)


def parse(html) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_every_reference_stays_inside_the_file(report_html):
    page = parse(report_html)
    refs = [(tag, name, value) for tag, attrs in page.tags for name, value in attrs.items()
            if name in ("src", "href", "xlink:href", "srcset", "poster", "data", "action")]
    assert refs, "the report should at least link its own sections"
    outside = [r for r in refs if not (r[2].startswith("#") or r[2].startswith("data:"))]
    assert outside == []
    assert not {t for t, _ in page.tags} & {"link", "iframe", "object", "embed", "img"}
    for pattern in ("http://", "https://", "//cdn", "@import"):
        assert pattern not in report_html
    assert set(re.findall(r"url\(([^)]*)\)", report_html)) <= {
        "#fw-h0", "#fw-h1", "#fw-h2", "#fw-h3", "#fw-hn", "#fw-lg-h"}


def test_every_section_is_there(report_html):
    page = parse(report_html)
    ids = {attrs.get("id") for tag, attrs in page.tags if tag == "section"}
    assert ids == set(SECTIONS)
    text = " ".join(page.text)
    for heading in ("What the score means", "What it does not mean", "Risk class",
                    "How well the model did", "calibration", "When does risk peak",
                    "How much state capacity is enough?", "The index", "Data sources",
                    "Model card", "Limits and ethics", "Risk over time", "Data age and gaps",
                    "What drives the score", "Since the last run", "Scenarios"):
        assert heading in text, heading
    assert "not a finding about any community" in text
    assert "Detected trafficking measures detection as much as trafficking" in text
    assert "@media print" in report_html and "@page" in report_html
    assert "5%, 15%, 30%" in text  # the class breaks are stated


def test_hostile_region_name_is_text_never_markup(report_html):
    page = parse(report_html)
    assert '<script>alert("x")' not in report_html
    assert report_html.count("<script") == 2  # the data block and the report's own script
    assert "&lt;script&gt;alert(" in report_html
    assert any(NASTY in t for t in page.text)
    assert "Demo <project>" in " ".join(page.text)
    (blob,) = [body for attrs, body in page.scripts if attrs.get("type") == "application/json"]
    assert not set("<>&") & set(blob)
    data = json.loads(blob)
    assert data["regions"][NASTY_ID]["n"] == NASTY


def test_demo_banner_only_on_demo_runs(report_html, small_world):
    assert 'id="demo-banner"' in report_html
    assert "DEMO DATA - fictional world" in " ".join(parse(report_html).text)
    real = render_report(build_report_data(small_world, demo=False, horizons=(6,)))
    assert 'id="demo-banner"' not in real and "DEMO" not in real


def test_ranking_lists_every_region_and_flags_low_reliability(report_data, report_html):
    page = parse(report_html)
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and "data-parent" in attrs]
    assert len(rows) == len(report_data.regions) * len(report_data.horizons)
    n_low = int(report_data.scores["low_reliability"].sum())
    assert sum(attrs.get("class") == "low" for attrs in rows) == n_low
    assert report_html.count("&#9888; low</span>") == n_low
    unscored = report_data.regions.at[UNSCORED_ID, "name"]
    assert unscored in " ".join(page.text) and "no score" in " ".join(page.text)


def test_cards_cover_the_top_regions_and_the_requested_ones(report_data, report_html):
    page = parse(report_html)
    cards = [attrs["id"] for tag, attrs in page.tags if tag == "article"]
    top = set()
    for h in report_data.horizons:
        s = report_data.scores[report_data.scores["horizon"] == h]
        top |= set(s.nlargest(10, "probability")["region_id"])
    assert len(cards) == len(top | {NASTY_ID})
    assert re.search(r'<article class="card" id="card-\d+">\s*<header><h3>&lt;script&gt;',
                     report_html)
    assert report_html.count('class="chart bars"') >= len(cards)


def test_backtest_says_plainly_when_a_baseline_wins(report_html):
    text = " ".join(parse(report_html).text)
    assert "At 3 months, the model beats every baseline" in text
    assert ("At 12 months, it does not beat the \u201cpersistence\u201d baseline on Average "
            "precision (0.300 against 0.350)") in text


def test_the_oracle_is_a_ceiling_not_a_baseline(report_data):
    """The demo world's true probability is a ceiling: the verdict never says the model fails
    to beat it, judges "beats every baseline" on the real baselines only, and says how close the
    model gets, with numbers that match the table."""
    bt = report_data.backtest
    oracle = bt[bt["model"] == "model"].assign(model="oracle")
    oracle[["roc_auc", "average_precision"]] += 0.05
    oracle["brier"] -= 0.01
    data = dataclasses.replace(report_data, backtest=pd.concat([bt, oracle], ignore_index=True))
    text = " ".join(parse(render_report(data)).text)
    assert "oracle\u201d baseline" not in text
    assert "At 3 months, the model beats every baseline" in text
    assert "a ceiling that no model can beat, not a baseline" in text
    assert ("How close the model gets to it: ROC AUC 0.800 against 0.850; Average precision "
            "0.300 against 0.350; Brier score 0.080 against 0.070.") in text
    assert "oracle (ceiling)" in text
    # A real baseline that wins is still named.
    assert "it does not beat the \u201cpersistence\u201d baseline" in text


def test_a_backtest_with_only_a_ceiling_claims_no_win(report_data):
    bt = report_data.backtest
    part = bt[bt["model"] == "model"]
    data = dataclasses.replace(report_data, backtest=pd.concat(
        [part, part.assign(model="oracle", roc_auc=0.79)], ignore_index=True))
    text = " ".join(parse(render_report(data)).text)
    assert "beats every baseline" not in text
    assert "there is no baseline to compare the model with" in text
    assert "ROC AUC 0.800 against 0.790 (better than it in this sample, by chance)" in text


def test_planners_questions_are_answered_from_the_shape_functions(report_html):
    text = " ".join(parse(report_html).text)
    assert "Risk is highest about 6 months after a conflict begins" in text
    assert re.search(r"by a score of about \d+, 90% of the drop in risk", text)


def test_linear_state_capacity_has_no_threshold(report_data):
    sf = report_data.shape_functions.copy()
    cap = sf["feature"] == "state_capacity"
    sf.loc[cap, "contribution"] = -0.02 * sf.loc[cap, "x"]
    html = render_report(dataclasses.replace(report_data, shape_functions=sf))
    assert "straight line, so there is no point where more capacity stops helping" in html
    assert "every 10 more points change the score by -0.20 log-odds" in html


def test_first_run_says_there_is_nothing_to_compare(small_world):
    html = render_report(build_report_data(small_world, previous=False, horizons=(3,)))
    text = " ".join(parse(html).text)
    assert "This is the first run: there is no previous run to compare with." in text
    assert "There is no previous run to compare with." in text
    assert "\u2014" in text  # the change column reads an em dash, not zero


def test_optional_parts_may_be_missing(report_data):
    bare = ReportData(project_name="bare", as_of=report_data.as_of, horizons=(3,),
                      demo_label=None, regions=report_data.regions,
                      scores=report_data.scores[report_data.scores["horizon"] == 3])
    text = " ".join(parse(render_report(bare)).text)
    assert "No backtest was run for this report" in text
    assert "This model has no feature for the time since a conflict began" not in text
    assert "No global driver view for this run." in text


def test_write_report_creates_the_folder(report_data, tmp_path):
    path = write_report(report_data, tmp_path / "run" / "report.html", top_n=2)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_file_stays_small_for_many_regions(report_data):
    # 5x the regions by copying them under new ids: the size grows with the table, not faster.
    regions = pd.concat([report_data.regions.rename(index=lambda r, k=k: f"{r}-{k}")
                         for k in range(5)])
    scores = pd.concat([report_data.scores.assign(region_id=lambda d, k=k: d["region_id"] + f"-{k}")
                        for k in range(5)])
    big = dataclasses.replace(report_data, regions=regions, scores=scores, detail_regions=())
    assert len(render_report(big).encode()) < 3_000_000


def test_big_worlds_list_the_riskiest_and_keep_every_region_on_the_map(report_data):
    n = len(report_data.regions)
    html = render_report(report_data, max_rows=10)
    page = parse(html)
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and "data-parent" in attrs]
    assert len(rows) == 10 * len(report_data.horizons)
    assert f"Showing the 10 riskiest of {n:,} regions per horizon" in html
    assert "The riskiest regions first." in html and "Every region, riskiest first" not in html
    assert f"and {n - 10:,} more" in html or "more</dd>" in html
    blob = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', html,
                                re.S).group(1))
    entries = [e for r in blob["regions"].values() for e in r["h"].values()]
    with_drivers = [e for e in entries if "up" in e]
    # Every region keeps its score on the map; drivers only for the listed and carded ones.
    assert len(entries) == sum(report_data.scores["region_id"].isin(report_data.regions.index))
    assert 0 < len(with_drivers) < len(entries)
    assert all("p" in e and "cl" in e for e in entries)
    assert set(blob["w"]) == {str(h) for h in report_data.horizons}
    with pytest.raises(ValueError, match=r"'max_rows' must be a whole number >= 1; got 0"):
        render_report(report_data, max_rows=0)
    # Below the cap nothing changes: every region listed, no note.
    assert "riskiest of" not in render_report(report_data, max_rows=n)


@pytest.mark.parametrize("change, match", [
    (lambda d: dataclasses.replace(d, scores=d.scores.drop(columns=["lower"])),
     r"ReportData.scores lacks the columns \['lower'\]"),
    (lambda d: dataclasses.replace(d, scores=d.scores.assign(
        region_id=d.scores["region_id"].replace("XA01", "ZZ99"))),
     r"region_id\(s\) \['ZZ99'\] that are not in ReportData.regions"),
    (lambda d: dataclasses.replace(d, horizons=(3,)),
     r"horizon\(s\) \[12\] that are not in ReportData.horizons \(3,\)"),
    (lambda d: dataclasses.replace(d, class_breaks=(0.3, 0.1, 0.5)),
     r"class_breaks is \(0.3, 0.1, 0.5\); give 3 increasing probabilities"),
    (lambda d: dataclasses.replace(d, scores=d.scores.assign(risk_class="severe")),
     r"risk_class value\(s\) \['severe'\]; use one of"),
    (lambda d: dataclasses.replace(d, scores=d.scores.assign(
        risk_class=d.scores["risk_class"].where(d.scores["probability"].isna(), "low"))),
     r"derive risk_class from the same breaks"),
    (lambda d: dataclasses.replace(d, scores=pd.concat([d.scores, d.scores.head(1)])),
     r"more than one row for region 'XA01'"),
    (lambda d: dataclasses.replace(d, regions=d.regions.set_crs(None, allow_override=True)),
     r"ReportData.regions has no CRS"),
    (lambda d: dataclasses.replace(d, outcome_short=" "),
     r"ReportData.outcome_short is ' '; give what the probability is the chance of as a "
     r"phrase, e.g. 'trafficking surge'"),
])
def test_broken_report_data_is_refused_with_the_fix(report_data, change, match):
    with pytest.raises(ValueError, match=match):
        render_report(change(report_data))


def test_not_a_report_data(report_data):
    with pytest.raises(TypeError, match="render_report needs a forewarn.reports.ReportData; "
                                        "got dict"):
        render_report({"scores": report_data.scores})
    with pytest.raises(ValueError, match="'top_n' must be a whole number >= 0; got -1"):
        render_report(report_data, top_n=-1)


def _words(html) -> str:
    return " ".join(" ".join(parse(html).text).split())


@pytest.fixture(scope="module")
def world_html(world_data):
    return render_report(world_data)


def test_report_names_the_outcome(world_html, report_html):
    text = _words(world_html)
    for phrase in (
            "chance that conditions in a region lead to a fall to the TIP Watch List or Tier 3 "
            "within the horizon",
            "(probability of a fall to the TIP Watch List or Tier 3)",
            "Probability of a fall to the TIP Watch List or Tier 3 within 12 months of "
            "30 November 2020"):
        assert phrase in text, phrase
    assert "surge" not in world_html
    # The defaults keep the demo's words.
    demo = _words(report_html)
    for phrase in (
            "chance that conditions in a region lead to a recorded surge in human trafficking "
            "within the horizon",
            "Probability of a recorded surge in human trafficking within 3 months",
            "of the regions given about 20%, about 20% had a recorded surge in human trafficking",
            "ranking: chance that a region with a trafficking surge scores above one without"):
        assert phrase in demo, phrase


def test_outcome_takes_its_article():
    assert with_article("trafficking surge") == "a trafficking surge"
    assert with_article("armed conflict onset") == "an armed conflict onset"
    assert with_article("the fall of a government") == "the fall of a government"


def _outline_names(html) -> list[str]:
    group = re.search(r'<g class="outline-names".*?</g>', html, re.S).group(0)
    return re.findall(r"<text[^>]*>([^<]*)</text>", group)


def test_report_map_of_many_small_regions_is_drawn_fine(world_html, report_html):
    assert '<figure class="map-fig fine" style="--fw-name-size: 12px">' in world_html
    written = [n for n in _outline_names(world_html) if n]
    assert 0 < len(written) < len(WORLD_PARENTS) and "Micronesia" not in written
    assert '<figure class="map-fig" style="--fw-name-size: 20px">' in report_html
    assert _outline_names(report_html) == ["Quipoland", "Nutomorova", "Banneneea"]


def test_report_map_names_the_largest_parent_first_and_moves_a_colliding_name():
    lines = gpd.GeoDataFrame(
        {"name": ["Alphabet Soup Region", "Beta", "Speck", "Corner"]},
        geometry=[shapely.box(10, 10, 20, 20), shapely.box(20, 10, 21, 20),
                  shapely.box(30, 30, 30.2, 30.2), shapely.box(0, 0, 1, 1)], crs="EPSG:4326")
    frame = MapFrame((0, 0, 40, 40))
    # Beta's name at its centre would cover the end of Alpha's: it moves one line up (20 * 0.8
    # + 2 above the baseline, 20 * 0.25 + 2 below), still inside Beta. Speck is smaller than
    # half a letter; Corner's name would leave the map, and moved right its centre would leave
    # Corner.
    names = svg_names(lines, frame, 20.0)
    alpha, beta = (frame.project(shapely.Point(x, 15)) for x in (15, 20.5))
    assert [n for n, *_ in names] == ["Alphabet Soup Region", "Beta"]
    assert names[0][1:] == pytest.approx((alpha.x, alpha.y))
    assert names[1][1:] == pytest.approx((beta.x, beta.y - 25))


def test_grid_cells_too_small_to_outline_are_drawn_without_borders(report_data):
    # Each region a 0.01-degree square, spread over 40 degrees: a few hundredths of a unit on
    # the map, as the cells of a 65,000-cell grid are.
    n = len(report_data.regions)
    cells = [shapely.box(i * 40 / n, 0, i * 40 / n + 0.01, 0.01) for i in range(n)]
    grid = dataclasses.replace(report_data, regions=report_data.regions.set_geometry(
        gpd.GeoSeries(cells, index=report_data.regions.index, crs="EPSG:4326")))
    html = render_report(grid)
    assert re.search(r'<figure class="map-fig fine tiny"', html)
    assert ".tiny .map .rg { stroke: none; shape-rendering: crispEdges; }" in html
    assert "tiny" not in re.search(r'<figure class="[^"]*"', render_report(report_data)).group(0)


def test_map_lines_vanish_for_regions_too_small_to_outline():
    from forewarn.reports._slides import lw, outline_lw

    assert lw(-1.0, 0.2, 0.7) == 0.0          # region edges: none
    assert outline_lw(-1.0, 0.5, 2.2) == 0.5  # parent borders: thin, kept
    assert lw(1.0, 0.2, 0.7) == 0.7 and outline_lw(0.5, 0.5, 2.5) == 1.5


def test_detection_card_and_held_capacity(report_data):
    sf = report_data.shape_functions
    flat = sf[sf["feature"] == "state_capacity"].assign(contribution=0.0)
    detection = sf[sf["feature"] == "state_capacity"].assign(
        contribution=lambda d: (d["x"] - d["x"].mean()) / 50)
    html = render_report(dataclasses.replace(
        report_data, shape_functions=pd.concat([sf[sf["feature"] != "state_capacity"], flat]),
        detection_shape_functions=detection, held_at_zero=("state_capacity",)))
    text = " ".join(parse(html).text)
    assert "What drives detection" in text
    assert "the chance that a surge happens (the scores in this report, what to prepare for)" \
        in text
    assert "had a recorded surge (for this model: its chance of a detected surge" in text
    assert "flat because the model's constraint" in text
    assert "no link between state capacity and risk" not in text
    plain = " ".join(parse(render_report(report_data)).text)
    assert "What drives detection" not in plain
    nearly_flat = detection.assign(contribution=lambda d: d["contribution"] * 1e-4)
    text = " ".join(parse(render_report(dataclasses.replace(
        report_data, detection_shape_functions=nearly_flat))).text)
    assert "The detection part is almost flat: across their ranges no input moves the chance " \
        "of detection by more than 0.00018 log-odds" in text


# --- words a planner reads (issue 16, item 4) -------------------------------------------------

def _with_raw_features(report_data):
    """The demo run's feature table: crisis features labelled by their raw id and a
    carried-forward flag that shares its indicator's label, with a shape curve for the flag."""
    f = report_data.features.copy()
    f.loc["crisis_conflict__since", "label"] = "crisis_conflict__since"
    f.loc["state_capacity__imputed"] = f.loc["state_capacity"]
    sf = report_data.shape_functions
    flag = pd.DataFrame({"feature": "state_capacity__imputed", "x": [0.0, 1.0],
                         "contribution": [0.0, 3.0]})  # steep, so it would be shown first
    return dataclasses.replace(report_data, features=f,
                               shape_functions=pd.concat([sf, flag], ignore_index=True))


def test_feature_labels_are_words_not_ids(report_data):
    data = _with_raw_features(report_data)
    html = render_report(data)
    text = " ".join(parse(html).text)
    assert "crisis_conflict__since" not in text
    assert "Time since the latest conflict began" in text
    shapes = _shapes(data, feature_table(data.features))
    shown = [t["title"] for t in shapes["shown"]]
    folded = [t["title"] for t in shapes["folded"]]
    assert "State capacity: value carried forward" not in shown
    assert shown.count("State capacity") == 1
    assert "State capacity: value carried forward" in folded
    assert label(feature_table(data.features), "displaced__splag") == \
        "Displaced in neighbouring regions"


def test_a_change_below_the_precision_shown_is_called_hardly_changed(report_data):
    rid = report_data.scores["region_id"].iloc[0]
    change = pd.DataFrame({"region_id": rid, "horizon": 3, "part": ["feature", "feature", "model"],
                           "feature": ["poverty", "state_capacity", None],
                           "contribution": [0.20, -0.197, 0.0]})
    data = dataclasses.replace(report_data, change=change)
    row = pd.Series({"change": 0.0001, "probability": 0.3})
    lines = " ".join(change_text(data, rid, 3, row, feature_table(data.features), None)["lines"])
    assert "by 0.00" not in lines
    assert "New data hardly changed the score (less than 0.01 log-odds)" in lines
    assert "the largest moves were Poverty rate (+0.20), State capacity (-0.20)" in lines


def test_the_model_card_is_rendered_in_words_not_as_a_python_dict(report_data):
    card = {"model": "DetectionAwareLogit",
            "params": {"alphas": [1.0, 10.0],
                       "directions": {"state_capacity": -1, "poverty": 1,
                                      "crisis_conflict__since": 0}},
            "features": ["state_capacity", "crisis_conflict__since"], "metrics": {},
            "sha256": ""}
    data = _with_raw_features(report_data)
    items = dict(model_card_items(card, feature_table(data.features)))
    flat = json.dumps(list(items.values()))
    assert "{" not in flat and "'" not in flat
    assert items["params"] == [
        "alphas: 1, 10",
        "directions: higher raises the score: Poverty rate; higher lowers the score: State "
        "capacity; either way (no constraint): Time since the latest conflict began"]
    assert items["features"] == "State capacity, Time since the latest conflict began"
    assert items["metrics"] == "none recorded"
    assert items["sha256"] == "not recorded"
