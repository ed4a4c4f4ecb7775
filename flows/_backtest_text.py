"""A backtest in words: the summary table printed and written to summary.txt."""

from __future__ import annotations

import pandas as pd

__all__ = ["format_summary", "summary_line"]


_SHOWN = {"roc_auc": "ROC-AUC", "average_precision": "avg prec", "brier": "Brier",
          "log_loss": "log loss", "calibration_slope": "cal slope",
          "calibration_intercept": "cal icpt", "coverage": "coverage",
          "roc_auc_true": "AUC true", "average_precision_true": "AP true"}


def _left_out_line(left_out: pd.DataFrame | None, horizon: int) -> str | None:
    """One line saying how many region-periods had an unknown outcome, or None when none."""
    if left_out is None or left_out.empty:
        return None
    rows = left_out.loc[left_out["horizon"] == horizon]
    train, test = int(rows["train_unknown"].sum()), int(rows["test_unknown"].sum())
    if not (train or test):
        return None
    return (f"  outcome unknown, left out (never counted as 0): {test:,} of "
            f"{test + int(rows['test_rows'].sum()):,} region-periods at the origins, "
            f"{train:,} training rows summed over {len(rows)} origins")


def _shown(overall: pd.DataFrame) -> dict:
    """Columns of the summary: the fixed measures, then events and each top k (count, share)."""
    ks = sorted(int(c[3:-7]) for c in overall if c.startswith("top") and c.endswith("_caught"))
    tops = {}
    for k in ks:
        tops[f"top{k}_caught"] = f"in top {k}"
        tops[f"top{k}_share"] = f"top {k} %"
    return {**_SHOWN, **({"events": "events"} if ks else {}), **tops}


def summary_line(overall: pd.DataFrame) -> str:
    """The ROC-AUC of every model and baseline on one line (the progress line of a horizon)."""
    auc = overall[overall["metric"] == "roc_auc"].set_index("model")["value"]
    return "ROC-AUC " + ", ".join(f"{m} {v:.3f}" for m, v in auc.items())


def format_summary(run) -> str:
    """The overall metrics of a :class:`~forewarn.flows.BacktestRun` as a plain-text table,
    per horizon, models then baselines, with its driver-recovery lines on the demo world."""
    lines = ["", "Backtest, all origins pooled. Higher is better except Brier and log loss; a "
             "calibration slope of 1 and intercept of 0 are ideal;",
             "in top k = events that fell among the k regions ranked riskiest at their origin "
             "(summed over origins), top k % = their share of all events."]
    shown = _shown(run.overall)
    cols = [c for c in shown if c in run.overall]
    counts = {c for c in cols if c == "events" or c.endswith("_caught")}
    for h, table in run.overall.groupby("horizon"):
        lines.append(f"\n  {h}-month horizon")
        header = f"  {'model':<14}" + "".join(f"{shown[c]:>10}" for c in cols)
        lines.append(header)
        for _, row in table.iterrows():
            lines.append(f"  {row['model']:<14}" + "".join(
                f"{'-':>10}" if pd.isna(row[c]) else
                f"{row[c]:>10.1f}" if c in counts else f"{row[c]:>10.3f}" for c in cols))
        unknown = _left_out_line(run.left_out, h)
        if unknown:
            lines.append(unknown)
        if h in run.recovery:
            rec = run.recovery[h]
            lines.append(f"  driver recovery (demo truth): Spearman {rec['spearman']:.2f} over "
                         f"{len(rec['drivers'])} drivers")
            for kind, cap in rec.get("state_capacity", {}).items():
                lines.append(
                    f"  state capacity, {kind}: low minus high capacity {cap['effect']:+.2f} "
                    f"log-odds (true risk {cap['true_risk']:+.2f}, true recorded "
                    f"{cap['true_recorded']:+.2f})"
                    + (" - held at 0 by its sign constraint" if cap["held_at_zero"] else ""))
    return "\n".join(lines)
