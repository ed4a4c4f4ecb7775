"""A synthetic but well-formed ReportData on the small demo world (30 regions, 3 countries)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forewarn.datasets import DEMO_LABEL, make_demo_world
from forewarn.reports import RISK_CLASSES, ReportData

NASTY = '<script>alert("x")</script> & "Quote\'s"'
NASTY_ID = "XB03"
UNSCORED_ID = "XC02"
AS_OF = pd.Timestamp("2020-11-30")
PREVIOUS = pd.Timestamp("2020-10-31")

# name -> (label, indicator, units, phrase)
FEATURES = {
    "crisis_conflict__since": ("Months since conflict onset", "crisis_conflict", "months",
                               "months since the latest conflict began"),
    "state_capacity": ("State capacity", "state_capacity", "score 0-100", "state capacity"),
    "state_capacity__change6": ("State capacity, 6-month change", "state_capacity",
                                "score 0-100", "change in state capacity over 6 months"),
    "displaced__rel36": ("Displacement vs usual", "displaced", "-",
                         "displacement relative to its usual level"),
    "poverty": ("Poverty rate", "poverty", "% of population", "poverty rate"),
    "transit_exposure": ("Transit-route exposure", "transit_exposure", "index 0-1",
                         "transit-route exposure"),
    "response_tier": ("Response tier", "response_tier", "tier 1-3",
                      "anti-trafficking response tier"),
    "protection_coverage": ("Protection coverage", "protection_coverage", "% of districts",
                            "protection services coverage"),
    "detected_trafficking": ("Detected victims per 100k", "detected_trafficking",
                             "persons per 100k persons", "detected trafficking victims"),
    "conflict_deaths__mean12": ("Conflict deaths, 12-month mean", "conflict_deaths",
                                "log(1 + deaths)", "average conflict deaths"),
}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _classes(p, breaks):
    idx = np.searchsorted(np.asarray(breaks), p, side="right")
    return np.where(np.isnan(p), None, np.asarray(RISK_CLASSES, dtype=object)[np.minimum(idx, 3)])


def _shape(name, rng):
    if name == "crisis_conflict__since":
        x = np.linspace(0, 120, 61)
        return x, 1.4 * (x / 6) * np.exp(1 - x / 6) - 0.3
    if name == "state_capacity":
        x = np.linspace(5, 95, 50)
        return x, 1.2 * np.exp(-(x - 5) / 15) - 0.5
    x = np.linspace(0, 10, 30)
    return x, rng.normal(0, 0.08) * (x - 5)


def build_report_data(world, *, demo=True, previous=True, horizons=(3, 12), seed=0):
    """A ReportData that honours every contract of forewarn.reports._data."""
    rng = np.random.default_rng(seed)
    regions = world.regions.copy()
    regions.loc[NASTY_ID, "name"] = NASTY
    ids = regions.index.to_numpy()
    breaks = (0.05, 0.15, 0.30)
    names = list(FEATURES)
    base = {h: -2.2 - 0.1 * h / 12 for h in horizons}

    score_rows, expl_rows, driver_rows, change_rows, hist_rows = [], [], [], [], []
    times = pd.date_range("2018-06-01", AS_OF, freq="MS")
    for h in horizons:
        margin = rng.normal(-2.2, 1.2, len(ids)) + (0.3 if h == 12 else 0.0)
        margin[list(ids).index(NASTY_ID)] = -4.0  # low: gets a card only because asked for
        p = _sigmoid(margin)
        lower, upper = _sigmoid(margin - 0.6), _sigmoid(margin + 0.6)
        rel = rng.uniform(0.45, 1.0, len(ids))
        old_margin = margin - rng.normal(0.1, 0.4, len(ids))
        change = p - _sigmoid(old_margin) if previous else np.full(len(ids), np.nan)
        unscored = ids == UNSCORED_ID
        p = np.where(unscored, np.nan, p)
        for i, rid in enumerate(ids):
            c = rng.normal(0, 0.5, len(names))
            c += (margin[i] - base[h] - c.sum()) / len(names)
            if not unscored[i]:
                expl_rows += [(rid, h, f, float(rng.normal()), float(v)) for f, v in zip(names, c)]
            order = np.argsort(-c)
            ups = [j for j in order[:3] if c[j] > 0]
            downs = [j for j in order[::-1][:3] if c[j] < 0]
            texts = {}
            for side, picks in (("up", ups), ("down", downs)):
                texts[side] = [f"{FEATURES[names[j]][3]} is {rng.uniform(0, 50):.1f}: "
                               f"{c[j]:+.2f} log-odds" for j in picks]
                if not unscored[i]:
                    driver_rows += [(rid, h, side, k + 1, names[j], float(c[j]), t)
                                    for k, (j, t) in enumerate(zip(picks, texts[side]))]
            score_rows.append({
                "region_id": rid, "name": regions.at[rid, "name"],
                "parent_id": regions.at[rid, "parent_id"], "origin": AS_OF, "horizon": h,
                "probability": p[i], "lower": np.nan if unscored[i] else lower[i],
                "upper": np.nan if unscored[i] else upper[i],
                "risk_class": _classes(np.array([p[i]]), breaks)[0],
                "index_score": float(rng.uniform(0, 10)), "reliability": rel[i],
                "low_reliability": bool(rel[i] < 0.7), "margin": margin[i],
                "change": np.nan if unscored[i] else change[i],
                "drivers_up": "; ".join(texts["up"]), "drivers_down": "; ".join(texts["down"]),
            })
            if previous and not unscored[i]:
                total = margin[i] - old_margin[i]
                parts = rng.normal(0, 0.2, len(names))
                parts += (0.8 * total - parts.sum()) / len(names)
                change_rows += [(rid, h, "feature", f, float(v)) for f, v in zip(names, parts)]
                change_rows.append((rid, h, "model", None, float(0.2 * total)))
            walk = margin[i] + np.cumsum(rng.normal(0, 0.15, len(times)))[::-1]
            hist_rows += [(rid, h, t, float(_sigmoid(v))) for t, v in zip(times, walk)]

    scores = pd.DataFrame(score_rows)
    features = pd.DataFrame(
        [{"feature": n, "label": lab, "phrase": ph, "indicator": ind, "units": u,
          "direction": -1 if "capacity" in n or "coverage" in n else 1,
          "lever": n in ("response_tier", "protection_coverage")}
         for n, (lab, ind, u, ph) in FEATURES.items()]).set_index("feature")

    metrics = ["roc_auc", "average_precision", "brier", "log_loss", "calibration_slope",
               "calibration_intercept", "top10", "top20", "top30", "coverage"]
    bt = []
    for h in horizons:
        for model, shift in (("model", 0.0), ("base_rate", -0.3), ("persistence", -0.05),
                             ("index_alone", -0.1)):
            row = {"model": model, "horizon": h, "roc_auc": 0.8 + shift,
                   "average_precision": 0.30 + shift / 2, "brier": 0.08 - shift / 20,
                   "log_loss": 0.28 - shift / 5, "calibration_slope": 1.0 + shift,
                   "calibration_intercept": 0.0, "top10": 0.4 + shift, "top20": 0.6 + shift,
                   "top30": 0.7 + shift, "coverage": 0.9}
            if h == max(horizons) and model == "persistence":
                row["average_precision"] = 0.35  # the model must say it does not beat this
            bt.append(row)
    backtest = pd.DataFrame(bt)[["model", "horizon", *metrics]]
    calibration = pd.DataFrame(
        [(h, b, (b + 0.5) / 25, (b + 0.5) / 25 * rng.uniform(0.7, 1.3), int(rng.integers(5, 80)))
         for h in horizons for b in range(8)],
        columns=["horizon", "bin", "predicted", "observed", "n"])
    shapes = []
    for n in names:
        x, y = _shape(n, rng)
        shapes += [(n, float(a), float(b)) for a, b in zip(x, y)]
        shapes.append((n, np.nan, 0.0))  # the missing-value row of models.shape_functions
    shape_functions = pd.DataFrame(shapes, columns=["feature", "x", "contribution"])

    hierarchy = pd.DataFrame([
        ("risk", None, 0, "geometric", None, "Crisis trafficking risk"),
        ("hazard", "risk", 1, "arithmetic", 1.0, "Hazard: the crisis shock"),
        ("vulnerability", "risk", 1, "arithmetic", 1.0, "Vulnerability"),
        ("lack_of_coping", "risk", 1, "arithmetic", 1.0, "Lack of coping capacity"),
        ("displaced", "hazard", 2, None, 1.0, "People internally displaced"),
        ("poverty", "vulnerability", 2, None, 1.0, "Poverty rate"),
        ("state_capacity", "lack_of_coping", 2, None, 1.0, "State capacity"),
    ], columns=["node", "parent", "level", "aggregation", "weight", "label"])
    index_scores = pd.DataFrame({"region_id": ids,
                                 **{n: rng.uniform(0, 10, len(ids)).round(1)
                                    for n in ("risk", "hazard", "vulnerability",
                                              "lack_of_coping")}})
    indicators = [ind.id for ind in world.catalogue.entries]
    age = pd.DataFrame([(rid, ind, float(rng.integers(0, 30)), bool(rng.random() < 0.1))
                        for rid in ids for ind in indicators],
                       columns=["region_id", "indicator", "age_months", "missing"])
    sources = pd.DataFrame([{"source": "forewarn demo world (synthetic)",
                             "licence": "CC0-1.0 (synthetic)",
                             "indicators": ", ".join(indicators), "latest_period": "2020-10"}])
    top = scores.sort_values("probability", ascending=False).iloc[0]
    scenarios = pd.DataFrame([{
        "region_id": top["region_id"], "horizon": horizons[0],
        "scenario": "conflict displaces 50,000 people", "probability_before": top["probability"],
        "probability_after": min(top["probability"] + 0.12, 0.99),
        "text": "displacement would become the strongest driver"}])
    card = {"model": "AdditiveBoosting", "params": {"max_iter": 200, "learning_rate": 0.05},
            "features": tuple(names), "training_start": "2018-01-01",
            "training_end": "2020-06-01", "n_rows": 900, "n_regions": 30, "event_rate": 0.061,
            "metrics": {"roc_auc": 0.8, "brier": 0.08},
            "intended_use": "Preparedness planning for anti-trafficking work in crises.",
            "limits": ("Trained on a fictional world.", "Outcome is recorded surges, which "
                       "depend on detection.")}
    return ReportData(
        project_name="Demo <project>", as_of=AS_OF, horizons=tuple(horizons),
        demo_label=DEMO_LABEL if demo else None, regions=regions, parents=world.countries,
        scores=scores, class_breaks=breaks,
        explanations=pd.DataFrame(expl_rows, columns=["region_id", "horizon", "feature",
                                                      "value", "contribution"]),
        base_values=base, features=features,
        drivers=pd.DataFrame(driver_rows, columns=["region_id", "horizon", "direction", "rank",
                                                   "feature", "contribution", "text"]),
        history=pd.DataFrame(hist_rows, columns=["region_id", "horizon", "time", "probability"]),
        change=pd.DataFrame(change_rows, columns=["region_id", "horizon", "part", "feature",
                                                  "contribution"]) if previous else None,
        previous_as_of=PREVIOUS if previous else None, backtest=backtest,
        calibration=calibration, shape_functions=shape_functions, index_hierarchy=hierarchy,
        index_scores=index_scores, data_age=age, sources=sources, model_card=card,
        scenarios=scenarios, detail_regions=(NASTY_ID,),
    )


@pytest.fixture(scope="session")
def small_world():
    return make_demo_world(n_regions=30, n_countries=3, start_year=2018, end_year=2020)


@pytest.fixture(scope="session")
def report_data(small_world):
    """Demo run with a previous run, two horizons; shared: tests must not modify it."""
    return build_report_data(small_world)


@pytest.fixture(scope="session")
def report_html(report_data):
    from forewarn.reports import render_report

    return render_report(report_data)


# Sub-region names of the UN M49 scheme: long, like a real world of countries.
WORLD_PARENTS = (
    "Northern America", "Central America", "Caribbean", "South America", "Northern Europe",
    "Western Europe", "Southern Europe", "Eastern Europe", "Northern Africa", "Western Africa",
    "Middle Africa", "Eastern Africa", "Southern Africa", "Western Asia", "Central Asia",
    "Southern Asia", "Eastern Asia", "South-Eastern Asia", "Australia and New Zealand",
    "Melanesia", "Micronesia", "Polynesia", "Antarctica", "Seven seas (open ocean)")
WORLD_OUTCOME = ("a fall to the TIP Watch List or Tier 3", "fall to Watch List or Tier 3")


def build_world_data(*, seed=1):
    """A world-like ReportData: 200 small island regions (4 degrees across, 18 apart; those of
    Micronesia mere specks) in the 24 parents of WORLD_PARENTS, a long list of sources and
    another outcome."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    rows = []
    for row in range(10):
        for col in range(20):
            # 6 column blocks x 4 row blocks = 24 parents of 6 to 12 regions each.
            parent = WORLD_PARENTS[min(col // 3, 5) * 4
                                   + (0, 0, 0, 1, 1, 2, 2, 2, 3, 3)[row]]
            x, y = -178 + 18 * col, -70 + 15 * row
            side = 0.2 if parent == "Micronesia" else 4.0  # a parent of specks
            rows.append({"region_id": f"R{row:02d}{col:02d}", "name": f"Island {row}-{col}",
                         "parent_id": parent, "level": "country",
                         "geometry": shapely.box(x, y, x + side, y + side)})
    regions = gpd.GeoDataFrame(rows, crs="EPSG:4326").set_index("region_id")
    p = _sigmoid(rng.normal(-2.5, 1.0, len(regions)))
    breaks = (0.05, 0.15, 0.30)
    scores = pd.DataFrame({
        "region_id": regions.index, "name": regions["name"].to_numpy(),
        "parent_id": regions["parent_id"].to_numpy(), "origin": AS_OF, "horizon": 12,
        "probability": p, "lower": p / 2, "upper": np.minimum(2 * p, 1),
        "risk_class": _classes(p, breaks), "index_score": rng.uniform(0, 10, len(p)),
        "reliability": 0.9, "low_reliability": False, "margin": np.log(p / (1 - p)),
        "change": rng.normal(0, 0.03, len(p)), "drivers_up": "", "drivers_down": ""})
    sources = pd.DataFrame({"source": [
        f"Provider number {i} of a long list, as redistributed by another agency "
        f"(indicator codes XX.YYY.{i:02d})" for i in range(12)]})
    return ReportData(
        project_name="World: fall to the TIP Watch List or Tier 3 next year (test)",
        as_of=AS_OF, horizons=(12,), demo_label=None, regions=regions, scores=scores,
        class_breaks=breaks, previous_as_of=PREVIOUS, sources=sources,
        outcome=WORLD_OUTCOME[0], outcome_short=WORLD_OUTCOME[1])


@pytest.fixture(scope="session")
def world_data():
    """200 small regions in 24 long-named parents; shared: tests must not modify it."""
    return build_world_data()
