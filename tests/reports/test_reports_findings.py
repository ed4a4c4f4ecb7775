"""The report's "What the data say" section: only with findings, plots inline, text escaped."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from forewarn.reports import render_report
from forewarn.reports._findings import findings_context

NASTY_LABEL = '<script>alert("x")</script> & rule of law'


def _findings(ran=True, skill=False):
    since = np.r_[np.arange(0, 11, 1.0), np.nan]
    p = np.r_[np.linspace(0.20, 0.12, 11), 0.11]
    curve = pd.DataFrame({"since": since, "probability": p, "lower": p - 0.03, "upper": p + 0.05})
    importance = pd.DataFrame({
        "driver": ["rule_of_law", "crisis_displacement", "gdp_per_capita"],
        "importance": [0.42, 0.20, 0.0], "lower": [0.30, 0.10, 0.0], "upper": [0.55, 0.31, 0.0],
        "share": [0.68, 0.32, 0.0], "mean_contribution": [0.1, -0.05, 0.0], "features": [2, 4, 1],
        "label": [NASTY_LABEL, "displacement crisis onset (timing, size, ongoing)",
                  "GDP per capita"]})
    levers = pd.DataFrame({"lever": ["response_tier"], "probability_before": [0.16],
                           "probability_after": [0.14], "effect": [-0.02], "lower": [-0.035],
                           "upper": [-0.004], "changed": [200], "label": ["TIP tier <1-3>"],
                           "value": [1.0], "unit": ["tier 1-3"], "known": [76]})
    rows = [{"horizon": 12, "model": "elastic_net", "roc_auc": 0.437,
             "average_precision": 0.120, "best_roc_auc": ("index_alone", 0.561),
             "best_average_precision": ("index_alone", 0.178), "skill": skill}] if ran else []
    return {"horizon": 12, "kind": "elastic_net", "n_train": 1287, "train_years": (2008, 2020),
            "n_bootstrap": 10, "n_regions": 241,
            "since_onset": pd.concat([curve.assign(kind="conflict"),
                                      curve.assign(kind="displacement")], ignore_index=True),
            "importance": importance, "levers": levers, "skill": {"ran": ran, "rows": rows}}


def _section(html):
    m = re.search(r'<section id="findings".*?</section>', html, re.S)
    assert m, "no findings section"
    return m.group(0)


def test_section_absent_without_findings(report_html):
    assert 'id="findings"' not in report_html


def test_section_renders_plots_numbers_and_escaped_text(report_data):
    data = dataclasses.replace(report_data, findings=_findings(), demo_label=None)
    section = _section(render_report(data))
    # no skill, said first and plainly, with the backtest's numbers
    verdict = re.search(r'id="findings-verdict"><p><strong>(.*?)</strong>', section, re.S).group(1)
    assert verdict.startswith("This model showed no out-of-sample skill")
    assert "ROC-AUC of 0.44 (0.5 is chance)" in verdict
    assert "index alone, reached 0.56 and 0.178." in verdict
    assert section.count("<svg") == 4                   # two onset kinds, importance, levers
    assert section.count("<polygon") == 2                # the bootstrap bands
    assert "<script>alert" not in section
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; rule of law" in section
    assert "TIP tier &lt;1-3&gt;" in section
    assert ("to 1 (tier 1-3) in the 76 regions where it is known at the forecast date changes "
            "the mean probability over all 241 regions from 16.0% to 14.0%: -2.0 pp (refits "
            "-3.5 pp to -0.4 pp); 200 regions&#39; scores move.") in section
    assert "\u22122.0" not in section and "-2.0 pp" in section   # the lever's effect, pp
    assert "is 20.0% (17.0%\u201325.0%) in the onset year" in section
    assert "1,287 region-periods (2008\u20132020)" in section
    assert "middle 90 % of 10 region-bootstrap refits" in section
    assert "1 drivers were left at zero" in section
    assert "What these data cannot tell" in section
    assert "DEMO" not in section


def test_verdicts_for_no_backtest_skill_and_demo(report_data):
    none = findings_context(dataclasses.replace(report_data, findings=_findings(ran=False)))
    assert not none["verdict"]["ok"]
    assert none["verdict"]["text"].startswith("No backtest was run for this project")
    good = findings_context(dataclasses.replace(report_data, findings=_findings(skill=True)))
    assert good["verdict"]["ok"] and "beat chance and every baseline" in good["verdict"]["text"]
    demo = render_report(dataclasses.replace(report_data, findings=_findings()))
    assert "What the data say (DEMO DATA: a fictional world)" in _section(demo)
