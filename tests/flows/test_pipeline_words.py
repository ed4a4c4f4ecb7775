"""Driver sentences name the panel's own time step (months, or years in an annual project)."""

from forewarn.flows._pipeline import _describe


def test_time_since_onset_in_the_panel_step():
    annual = {"phrase": "years since the latest displacement began (at most 10)"}
    monthly = {"phrase": "months since the latest conflict began (at most 120)"}
    assert _describe(annual, "crisis_displacement__since", 2.0) == \
        "2 years since the latest displacement began"
    assert _describe(annual, "crisis_displacement__since", 10.0) == \
        "no displacement began in the last 10 years"
    assert _describe(monthly, "crisis_conflict__since", 5.0) == \
        "5 months since the latest conflict began"
    assert _describe(monthly, "crisis_conflict__since", 120.0) == \
        "no conflict began in the last 10 years"
