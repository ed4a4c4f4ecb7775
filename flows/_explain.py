"""`forewarn explain REGION`: a region's score, its exact drivers and what changed, in words."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from forewarn._match import did_you_mean
from forewarn.errors import InputError, Problem
from forewarn.flows._publish import MANIFEST, latest_run

__all__ = ["find_run", "explain_region"]


def find_run(run=None, config=None) -> Path:
    """The run folder to read: ``run`` itself, else the newest run in the config's output."""
    from forewarn.flows._api import resolve_config

    if run is not None:
        run = Path(run)
        if (run / MANIFEST).is_file():
            return run
        newest = latest_run(run)
        if newest is not None:
            return newest
        raise InputError(Problem(run, "is not a forewarn run folder (no manifest.json); give a "
                                 "folder under OUT/runs/ or the output folder itself."))
    out = Path(resolve_config(config).output_dir)
    newest = latest_run(out)
    if newest is None:
        raise InputError(Problem(out, "holds no complete run yet; run `forewarn run` first, or "
                                 "name a run folder with --run."))
    return newest


def _region_rows(run: Path, region_id: str) -> pd.DataFrame:
    scores = pd.read_parquet(run / "scores.parquet")
    rows = scores[scores["region_id"] == region_id]
    if rows.empty:
        hint = did_you_mean(region_id, scores["region_id"].unique(), n=3)
        raise InputError(Problem(run / "scores.parquet", f"has no region {region_id!r}.{hint}",
                                 column="region_id"))
    return rows.sort_values("horizon")


def explain_region(region_id: str, run=None, config=None, top: int = 5) -> str:
    """Plain-text explanation of one region's scores in a run (every horizon)."""
    run = find_run(run, config)
    manifest = json.loads((run / MANIFEST).read_text())
    rows = _region_rows(run, region_id)
    drivers = _read(run / "drivers.parquet")
    change = _read(run / "change.parquet")
    first = rows.iloc[0]
    lines = []
    if manifest.get("label"):
        lines.append(manifest["label"])
    parent = f" ({first['parent_id']})" if first["parent_id"] else ""
    lines.append(f"{region_id} {first['name']}{parent}: forecast with data known on "
                 f"{manifest['as_of']} (run {manifest['run_id']})")
    for _, r in rows.iterrows():
        h = int(r["horizon"])
        lines.append("")
        flag = " LOW DATA RELIABILITY -" if r["low_reliability"] else ""
        two_part = pd.notna(r.get("detection_probability", float("nan")))
        if pd.notna(r["probability"]):
            what = "chance of a surge, detected or not" if two_part else \
                "chance of a recorded surge"
            lines.append(f"{h}-month horizon: {r['probability']:.1%} {what} "
                         f"(interval {r['lower']:.1%} to {r['upper']:.1%}), class "
                         f"{r['risk_class']};{flag} index {r['index_score']:.1f}/10, "
                         f"reliability {r['reliability']:.2f}")
            if two_part:
                lines.append(f"  a surge there would be detected with probability "
                             f"{r['detection_probability']:.0%} (interval "
                             f"{r['detection_lower']:.0%} to {r['detection_upper']:.0%}), so the "
                             f"chance of a recorded surge is {r['observed_probability']:.1%}; "
                             "the drivers below are those of the surge risk")
            base = manifest.get("base_values", {}).get(str(h))
            if base is not None:
                lines.append(f"  log-odds {r['margin']:+.2f} = {base:+.2f} (a region at the "
                             "training average) + the contributions below (exact: they add up)")
        else:
            lines.append(f"{h}-month horizon: index only (no outcome to train a model): "
                         f"{r['index_score']:.1f}/10, class {r['risk_class']};{flag} reliability "
                         f"{r['reliability']:.2f}")
            base = None
        if drivers is not None:
            d = drivers[(drivers["region_id"] == region_id) & (drivers["horizon"] == h)]
            lines += _driver_lines(d, top, None if base is None else r["margin"] - base)
        if pd.notna(r.get("change")):
            lines.append(f"  since the previous run ({manifest.get('previous_run_as_of')}): "
                         f"{r['change'] * 100:+.1f} percentage points")
            if change is not None:
                c = change[(change["region_id"] == region_id) & (change["horizon"] == h)]
                model = c.loc[c["part"] == "model", "contribution"].sum()
                data = c[c["part"] == "feature"]
                main = data.sort_values("contribution", key=abs, ascending=False).head(3)
                lines.append(f"    model update: {model:+.2f} log-odds; new data: "
                             f"{data['contribution'].sum():+.2f} log-odds, mostly "
                             + ", ".join(f"{f} {v:+.2f}" for f, v in zip(main["feature"],
                                                                        main["contribution"])))
    lines.append("")
    lines.append("A statistical signal for preparedness about conditions in the region, not a "
                 "finding about any community. Detected trafficking measures detection as much "
                 "as trafficking.")
    return "\n".join(lines)


def _driver_lines(d: pd.DataFrame, top: int, total) -> list[str]:
    """The largest drivers on each side, then one line for all the others, so that what is
    printed adds up to ``total`` (margin minus base, log-odds) to the printed rounding."""
    shown = d[d["contribution"].abs() >= 0.005]  # a "-0.00" driver explains nothing
    lines = []
    for side, title in (("up", "raise the risk"), ("down", "lower the risk")):
        part = shown[shown["direction"] == side].sort_values(
            "contribution", key=abs, ascending=False).head(top)
        if len(part):
            lines.append(f"  drivers that {title}:")
            lines += [f"    {t}" for t in part["text"]]
        shown = shown[(shown["direction"] != side) | shown.index.isin(part.index)]
    if total is not None:
        rest = total - shown["contribution"].sum()
        lines.append(f"  all other features together: {rest:+.2f} log-odds")
    return lines


def _read(path: Path):
    return pd.read_parquet(path) if path.is_file() else None
