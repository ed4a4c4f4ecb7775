"""Fill a ReportData from a run's results and write the report, the maps and the exports."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from forewarn.datasets import DEMO_LABEL
from forewarn.features import has_geometry
from forewarn.flows._findings import findings
from forewarn.flows._publish import latest_run
from forewarn.index import INDEX_CLASS_BREAKS
from forewarn.reports import ReportData, write_exports, write_maps, write_report

__all__ = ["report_data", "write_run_reports"]

def _parents(regions):
    """Parent outlines (countries / sub-regions), dissolved from the regions themselves."""
    if regions["parent_id"].isna().any() or not has_geometry(regions):
        return None
    parents = regions.dissolve(by="parent_id")[["geometry"]]
    parents.index.name = "region_id"
    parents["name"] = parents.index
    parents["parent_id"] = None
    parents["level"] = "parent"
    return parents[["name", "parent_id", "level", "geometry"]]


def _backtest_tables(out_dir: Path, kind: str):
    """The newest backtest's overall metrics and calibration points, if one was run."""
    folder = latest_run(out_dir, "latest-backtest")
    if folder is None or not (folder / "metrics.parquet").is_file():
        return None, None
    metrics = pd.read_parquet(folder / "metrics.parquet")
    metrics = metrics.rename(columns=lambda c: c[:-6] if c.startswith("top") and
                             c.endswith("_share") else c)
    calibration = None
    predictions = folder / "predictions.parquet"
    if predictions.is_file():
        p = pd.read_parquet(predictions, columns=["model", "horizon", "y", "probability"])
        p = p[p["model"] == kind]
        if len(p):
            p["bin"] = p.groupby("horizon")["probability"].transform(
                lambda s: pd.qcut(s.rank(method="first"), 10, labels=False))
            calibration = (p.groupby(["horizon", "bin"])
                           .agg(predicted=("probability", "mean"), observed=("y", "mean"),
                                n=("y", "size")).reset_index())
    return metrics, calibration


def _hierarchy(spec) -> pd.DataFrame:
    rows = []
    parent_of = {c: n.id for n in spec.nodes for c in n.children}
    weight_of = {}
    for n in spec.nodes:
        weights = n.weights or [1.0] * len(n.children)
        weight_of.update(dict(zip(n.children, weights)))
    for n in spec.nodes:
        rows.append({"node": n.id, "parent": parent_of.get(n.id), "level": "node",
                     "aggregation": n.aggregation, "weight": weight_of.get(n.id, 1.0),
                     "label": n.label or n.id})
    for leaf in spec.leaves:
        rows.append({"node": leaf.id, "parent": parent_of.get(leaf.id), "level": "indicator",
                     "aggregation": None, "weight": weight_of.get(leaf.id, 1.0),
                     "label": leaf.label or leaf.id})
    return pd.DataFrame(rows)


def _data_age(result) -> pd.DataFrame:
    age = result.prepared.age.sel(time=result.prepared.origin).to_dataframe()
    age = age.drop(columns=[c for c in age if c == "time"])
    long = age.rename_axis("region_id").reset_index().melt(
        id_vars="region_id", var_name="indicator", value_name="age_months")
    long["missing"] = long["age_months"].isna()
    return long


def _sources(project) -> pd.DataFrame:
    obs = project.observations
    if obs is None:  # a cube: every indicator runs to its last month
        last = pd.Timestamp(project.cube["time"].values[-1])
        latest = pd.Series(f"{last:%Y-%m}", index=list(project.catalogue))
    else:
        latest = obs.groupby("indicator")["period"].max()
    rows = []
    for source, entries in pd.Series({i.id: i.source for i in project.catalogue.values()}
                                     ).groupby(lambda k: project.catalogue[k].source):
        ids = list(entries.index)
        licences = sorted({project.catalogue[i].licence for i in ids if project.catalogue[i].licence})
        rows.append({"source": source, "licence": "; ".join(licences) or "not stated",
                     "indicators": ", ".join(project.catalogue[i].label for i in ids),
                     "latest_period": max((latest.get(i, "") for i in ids), default="")})
    return pd.DataFrame(rows)


def _undetected_too(label: str) -> str:
    """The outcome of a detection-aware model's published probability (its risk part): the
    surge itself, whether or not it is detected ("a recorded surge ..." loses "recorded")."""
    if label.startswith("a recorded "):
        return "a " + label[len("a recorded "):] + ", detected or not"
    return label + " (detected or not)"


def report_data(result, change=None, previous_as_of=None) -> ReportData:
    """The report bundle of a run (see :class:`forewarn.reports.ReportData`)."""
    from forewarn.models import DetectionAwareLogit, held_at_zero, shape_functions

    project = result.project
    config = project.config
    model_spec = result.model_spec  # read from the config once, at validation
    backtest, calibration = _backtest_tables(config.output_dir, model_spec.kind)
    shapes, card, detection, held = None, {}, None, ()
    if result.trained:
        h = max(result.trained)
        trained = result.trained[h]
        X = trained.feature_ranges()  # each feature's training min and max: all shapes need
        # A feature never observed in training has no range to draw; it contributes nothing.
        empty = X.columns[X.isna().all()]
        shapes = shape_functions(trained.model, X.fillna({c: 0.0 for c in empty}))
        shapes = shapes[~shapes["feature"].isin(empty)].rename(columns={"value": "x"})
        held = tuple(held_at_zero(trained.model))
        if isinstance(trained.model, DetectionAwareLogit):
            roles = result.feature_meta["role"] if "role" in result.feature_meta else None
            detection = shape_functions(trained.model, X.fillna({c: 0.0 for c in empty}),
                                        part="detection")
            keep = [f for f in detection["feature"].unique() if f not in empty and (
                roles is None or roles.get(f, "risk") in ("detection", "both"))]
            detection = detection[detection["feature"].isin(keep)].rename(
                columns={"value": "x"})
        card = asdict(trained.model_card())
        card["horizon_months"] = h
    # What the data say: real-data supervised runs only. On the demo world it would describe
    # effects planted in a fictional world, easy to mistake for evidence.
    found = (findings(result, backtest, model_spec.kind)
             if result.trained and not config.demo else None)
    index_cols = [c for c in result.index.columns
                  if not c.startswith(("contribution_", "scaled_"))]
    return ReportData(
        project_name=config.name,
        as_of=result.prepared.as_of,
        horizons=tuple(config.horizons),
        demo_label=DEMO_LABEL if config.demo else None,
        regions=project.regions,
        parents=_parents(project.regions),
        scores=result.scores,
        class_breaks=model_spec.class_breaks if result.trained else INDEX_CLASS_BREAKS,
        explanations=result.explanations,
        base_values=dict(result.base_values),
        features=result.feature_meta,
        drivers=result.drivers,
        history=result.history,
        change=change,
        previous_as_of=previous_as_of,
        backtest=backtest,
        calibration=calibration,
        shape_functions=shapes,
        detection_shape_functions=detection,
        held_at_zero=held,
        index_hierarchy=_hierarchy(result.index_spec),
        index_scores=result.index[index_cols].reset_index(),
        data_age=_data_age(result),
        sources=_sources(project),
        model_card=card,
        detail_regions=(),
        outcome=(config.outcome_label if detection is None
                 else _undetected_too(config.outcome_label)),
        outcome_short=config.outcome_short,
        findings=found,
    )


def write_run_reports(result, folder: Path, change, previous_as_of, progress,
                      mapper=None) -> list[Path]:
    """Write report.html, maps/ and the GIS exports of a run into ``folder`` (each map drawn
    by ``mapper``, see :func:`forewarn.reports.write_maps`)."""
    spec = result.specs.report
    took = {}
    with _timed(took, "data"):
        data = report_data(result, change, previous_as_of)
    folder = Path(folder)
    with _timed(took, "report"):
        html = ([write_report(data, folder / "report.html", max_rows=spec.table_rows)]
                if spec.html else [])
    with _timed(took, "maps"):
        maps = [] if spec.maps == "none" else write_maps(
            data, folder / "maps", formats=spec.formats, parents=spec.maps == "all",
            mapper=mapper)
    with _timed(took, "exports"):
        exports = write_exports(data, folder)
    progress.say(f"      {'report.html, ' if html else ''}{len(maps)} map files, "
                 f"{len(exports)} exports (report data {took['data']:.1f} s, report "
                 f"{took['report']:.1f} s, maps {took['maps']:.1f} s, exports "
                 f"{took['exports']:.1f} s)")
    return [*html, *maps, *exports]


@contextmanager
def _timed(took: dict, name: str):
    """Seconds the block took, into ``took[name]``. [s]"""
    start = time.perf_counter()
    try:
        yield
    finally:
        took[name] = time.perf_counter() - start

