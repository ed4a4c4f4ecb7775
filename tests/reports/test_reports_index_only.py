"""An index-only run (no outcome data, no model): classes come from the 0-10 index."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from forewarn.reports import RISK_CLASSES, ReportData, render_report, write_maps

INDEX_BREAKS = (3.5, 5.0, 6.5)


@pytest.fixture(scope="module")
def index_only(report_data):
    """What the flow publishes without outcome data: index, classes and reliability only."""
    s = report_data.scores[report_data.scores["horizon"] == 3].copy()
    s["index_score"] = np.linspace(1, 9, len(s))
    s.loc[s.index[0], "index_score"] = np.nan
    nan = np.nan
    s = s.assign(probability=nan, lower=nan, upper=nan, margin=nan, change=nan,
                 drivers_up="", drivers_down="")
    idx = np.digitize(np.nan_to_num(s["index_score"], nan=-1), INDEX_BREAKS)
    s["risk_class"] = np.where(s["index_score"].isna(), None,
                               np.asarray(RISK_CLASSES, dtype=object)[idx])
    return ReportData(project_name="index only", as_of=report_data.as_of, horizons=(3,),
                      demo_label=None, regions=report_data.regions,
                      parents=report_data.parents, scores=s, class_breaks=INDEX_BREAKS,
                      index_hierarchy=report_data.index_hierarchy,
                      previous_as_of=report_data.previous_as_of)


def test_report_ranks_by_the_index(index_only):
    html = render_report(index_only)
    assert "low: under 3.5; medium: 3.5 to under 5; high: 5 to under 6.5" in html
    assert "Class breaks: 3.5, 5, 6.5 (risk index, 0 to 10)" in html
    assert "9.0 / 10</span>" in html  # the top headline is the highest index score
    assert "on the risk index (0 lowest, 10 highest)" in html
    assert ">Probability</button>" not in html
    assert "no change of probability to show" in html
    for cls in RISK_CLASSES:
        assert f'<td data-v="{RISK_CLASSES.index(cls)}"><span class="chip c' in html
    assert html.count('<span class="chip cn">no score</span>') == 1  # the one missing index


def test_maps_state_index_breaks(index_only, tmp_path):
    files = write_maps(index_only, tmp_path, formats=("png",))
    assert len(files) == 5
    with Image.open(files[0]) as im:
        assert im.size == (2000, 1125)


def test_probability_breaks_do_not_fit_index_classes(index_only):
    wrong = dataclasses.replace(index_only, class_breaks=(0.05, 0.15, 0.30))
    with pytest.raises(ValueError, match=r"the class 'low' at index score 1\.2759, but the "
                                         r"class breaks \(0.05, 0.15, 0.3\) put it in another"):
        render_report(wrong)
    with pytest.raises(ValueError, match=r"increasing index values between 0 and 10 \(this run "
                                         r"has no probabilities"):
        render_report(dataclasses.replace(index_only, class_breaks=(3, 6, 12)))


def test_index_only_report_speaks_of_no_model(index_only):
    """Without an outcome there is no model: no log-odds drivers, no call to run a backtest
    (which would fail: a backtest needs an outcome)."""
    text = render_report(index_only)
    assert "log-odds" not in text
    assert "Run <code>forewarn backtest</code>" not in text
    assert "a backtest needs an outcome to test forecasts against" in text
