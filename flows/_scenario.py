"""`forewarn scenario`: the same model, one region's inputs changed, the difference explained."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forewarn._match import did_you_mean
from forewarn.errors import InputError, Problem
from forewarn.flows._explain import find_run
from forewarn.flows._publish import MANIFEST

__all__ = ["parse_changes", "region_scenario", "scenario_text", "ScenarioResult"]

_CRISIS = "crisis_"


def parse_changes(settings, crisis, catalogue, kinds=("conflict", "disaster")) -> dict:
    """``["response_tier=1", ...]`` and ``"conflict:50000"`` as ``{input: value}``.

    Values are checked against the catalogue's valid ranges; a crisis becomes the input
    ``crisis_<kind>`` holding the people it displaces, for a kind the model describes
    (``kinds``, the config's ``[features] crisis_kinds``).
    """
    changes, problems = {}, []
    for text in settings:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep:
            problems.append(Problem("--set", f"{text!r} is not INDICATOR=VALUE, e.g. "
                                    "response_tier=1.", column="set"))
            continue
        if name not in catalogue:
            hint = did_you_mean(name, catalogue)
            problems.append(Problem("--set", f"{name!r} is not an indicator of the catalogue."
                                    f"{hint} Policy levers: {', '.join(catalogue.levers)}.",
                                    column="set"))
            continue
        try:
            number = float(value)
        except ValueError:
            problems.append(Problem("--set", f"{name}={value!r}: the value is not a number.",
                                    column="set"))
            continue
        ind = catalogue[name]
        if not ind.valid_min <= number <= ind.valid_max:
            problems.append(Problem("--set", f"{name}={number:g} is outside its valid range "
                                    f"[{ind.valid_min:g}, {ind.valid_max:g}] ({ind.unit}).",
                                    column="set"))
            continue
        changes[name] = number
    if crisis:
        kind, sep, people = crisis.partition(":")
        try:
            people = float(people)
        except ValueError:
            people = math.nan
        if not sep or not kind or not people >= 0:
            problems.append(Problem("--crisis", f"{crisis!r} is not KIND:PEOPLE, e.g. "
                                    "conflict:50000 (people displaced).", column="crisis"))
        elif kind.strip().lower() not in kinds:
            hint = did_you_mean(kind.strip().lower(), kinds)
            problems.append(Problem("--crisis", f"{kind.strip()[:40]!r} is not a crisis kind "
                                    f"the model knows.{hint} Kinds: {', '.join(kinds)} "
                                    "([features] crisis_kinds).", column="crisis"))
        else:
            changes[_CRISIS + kind.strip().lower()] = people
    if not changes and not problems:
        problems.append(Problem("scenario", "nothing to change: give --set INDICATOR=VALUE "
                                "and/or --crisis KIND:PEOPLE."))
    if problems:
        raise InputError(problems)
    return changes


@dataclass
class ScenarioResult:
    """One region's scenario at every horizon of a run."""

    region_id: str
    changes: dict
    table: pd.DataFrame          # horizon, probability_before, probability_after, lower, upper
    contributions: pd.DataFrame  # horizon, feature, contribution (of the difference)
    levers: list
    label: str = ""              # the run's label (the demo-data label on demo runs)


def region_scenario(region_id: str, settings, crisis=None, run=None, config=None
                    ) -> ScenarioResult:
    """Re-score one region of a run with changed inputs, using the run's own models.

    The panel is rebuilt as of the run's date; the changed indicators take the given values at
    the forecast month (features derived from them, such as the value against its usual level,
    are recomputed); a crisis starts in the forecast month and its displaced people are added
    to the region's displacement. The difference is split exactly per feature.
    """
    from forewarn.flows._api import resolve_config
    from forewarn.flows._config import demo_config, load_config
    from forewarn.flows._pipeline import model_dir, prepare, specs_from_config
    from forewarn.flows._project import load_project
    from forewarn.models import DetectionAwareLogit, load_model, run_scenario

    run = find_run(run, config)
    manifest = json.loads((run / MANIFEST).read_text())
    described = manifest["config"]
    if config is not None:
        cfg = resolve_config(config)
    elif described.get("path"):
        cfg = load_config(described["path"])
    else:
        cfg = demo_config()
    if not manifest.get("horizons") or not (model_dir(run, manifest["horizons"][0])
                                            / "model.skops").is_file():
        raise InputError(Problem(run, "has no model (an index-only run); scenarios need an "
                                 "outcome and a trained model."))
    project = load_project(cfg)
    if region_id not in project.regions.index:
        raise InputError(Problem("scenario", f"region {region_id!r} is not in the project.",
                                 column="region_id"))
    feature_spec = specs_from_config(cfg).features
    changes = parse_changes(settings, crisis, project.catalogue, feature_spec.crisis_kinds)
    as_of = pd.Timestamp(manifest["as_of"])
    prepared = prepare(project, as_of, feature_spec)
    origin = prepared.origin
    inputs = prepared.panel.sel(region=[region_id], time=origin).to_dataframe().drop(
        columns="time", errors="ignore")
    inputs.index = pd.Index([region_id], name="region")
    for name in changes:
        if name.startswith(_CRISIS):
            inputs[name] = 0.0

    # Only the region's own row is scored, so its features are rebuilt over the region and its
    # neighbours alone (the spatial lag of its row needs nothing else): every region's
    # features made a scenario take minutes on a busy machine.
    near = _near(project, prepared, region_id, feature_spec)
    base = prepared.panel.sel(region=near)
    age = prepared.age.sel(region=near) if prepared.age is not None else None
    regions = project.regions.loc[near]

    def make_features(frame: pd.DataFrame) -> pd.DataFrame:
        panel = base.copy(deep=True)
        events = project.crisis_events
        for name in frame.columns:
            value = float(frame.iloc[0][name])
            if name.startswith(_CRISIS):
                if value > 0:
                    kind = name[len(_CRISIS):]
                    new = pd.DataFrame({"region_id": [region_id],
                                        "start": [origin + pd.Timedelta(days=14)],
                                        "end": [pd.NaT], "kind": [kind], "magnitude": [value]})
                    events = pd.concat([events, new], ignore_index=True)
                    if "displaced" in panel:
                        current = panel["displaced"].loc[region_id, origin].item()
                        panel["displaced"].loc[region_id, origin] = np.nan_to_num(current) + value
            else:
                panel[name].loc[region_id, origin] = value
        from forewarn.features import build_features

        events = events.loc[events["region_id"].isin(near)] if events is not None else None
        features = build_features(panel, project.catalogue, events, regions,
                                  feature_spec, age=age)
        row = features.sel(region=[region_id], time=[origin]).reset_coords(drop=True)
        table = row.to_dataframe(["region", "time"]).reset_index(level="time", drop=True)
        return table

    rows, parts = [], []
    for h in manifest["horizons"]:
        model, _ = load_model(model_dir(run, h))
        cols = list(model.feature_names_in_)
        result = run_scenario(model, inputs, changes, lambda f: make_features(f)[cols])
        # A detection-aware model's scenario is one of its risk part, as published.
        lower, upper = (model.predict_interval(result.after, "risk")
                        if isinstance(model, DetectionAwareLogit)
                        else model.predict_interval(result.after))
        rows.append({"horizon": h,
                     "probability_before": float(result.probability_before.iloc[0]),
                     "probability_after": float(result.probability_after.iloc[0]),
                     "lower_after": float(lower[0]), "upper_after": float(upper[0])})
        c = result.contributions.iloc[0]
        parts.append(pd.DataFrame({"horizon": h, "feature": c.index, "contribution": c.values}))
    return ScenarioResult(region_id, changes, pd.DataFrame(rows),
                          pd.concat(parts, ignore_index=True), project.catalogue.levers,
                          manifest.get("label") or "")


def _near(project, prepared, region_id, feature_spec) -> list:
    """The region and, when features lag over neighbours, its neighbours (panel order)."""
    ids = list(prepared.panel["region"].values)
    if not feature_spec.spatial_lag:
        return [region_id]
    from forewarn.features import contiguity

    weights = contiguity(project.regions, ids)
    row = ids.index(region_id)
    neighbours = set(weights[[row], :].nonzero()[1].tolist())
    return [r for i, r in enumerate(ids) if i == row or i in neighbours]


def scenario_text(region_id, settings, crisis=None, run=None, config=None) -> str:
    """The scenario as text for the command line."""
    res = region_scenario(region_id, settings, crisis, run, config)
    lines = [res.label] if res.label else []
    lines += [f"Scenario for {region_id}: " + ", ".join(
        (f"a {k[len(_CRISIS):]} displacing {v:,.0f} people starting in the forecast month"
         if k.startswith(_CRISIS) else f"{k} = {v:g}") for k, v in res.changes.items())]
    not_levers = [k for k in res.changes if not k.startswith(_CRISIS) and k not in res.levers]
    if not_levers:
        lines.append(f"  ({', '.join(not_levers)}: not a policy lever - a what-if, not an "
                     f"option; policy levers: {', '.join(res.levers) or 'none declared'})")
    for _, r in res.table.iterrows():
        h = int(r["horizon"])
        diff = (r["probability_after"] - r["probability_before"]) * 100
        lines.append(f"  {h}-month horizon: {r['probability_before']:.1%} -> "
                     f"{r['probability_after']:.1%} ({diff:+.1f} percentage points; interval "
                     f"after {r['lower_after']:.1%} to {r['upper_after']:.1%})")
        c = res.contributions[res.contributions["horizon"] == h]
        c = c[c["contribution"].abs() > 1e-9].sort_values("contribution", key=abs,
                                                            ascending=False).head(5)
        for _, p in c.iterrows():
            lines.append(f"      {p['feature']}: {p['contribution']:+.2f} log-odds")
    lines.append("Same model, changed inputs: the difference is split exactly per feature.")
    return "\n".join(lines)
