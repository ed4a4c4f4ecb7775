"""What the report, the maps and the exports share: checks at the door, classes, wording."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forewarn.models import RISK_CLASSES, classify
from forewarn.reports._data import SCORE_COLUMNS, ReportData

#: Fill colours of the risk classes, lowest first (ColorBrewer OrRd, readable in grey print).
CLASS_COLOURS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f")
#: Fill of a region without a score.
NO_SCORE_COLOUR = "#d9d9d9"
#: Fill of regions outside the area a zoomed map is about.
CONTEXT_COLOUR = "#eeeeee"

#: What it is not, in one sentence.
DOES_NOT_MEAN = ("It is not a finding about any community or group of people, and not a "
                 "count of victims.")
#: Why recorded trafficking is a weak yardstick.
DETECTION = ("Detected trafficking measures detection as much as trafficking: places with "
             "weaker services detect fewer victims, so a low figure may mean little is seen.")
#: The caveat every map carries, short enough for one line on a slide.
CAVEAT = ("Statistical signal for preparedness, not a finding about any community. "
          "Detected trafficking measures detection as much as trafficking.")

# Feature names that answer the two questions planners ask most. The crisis features are named
# ``crisis_<kind>__since`` (forewarn.features.crisis_context); older configs spelt it
# ``__months_since``.
ONSET_KEYS = ("crisis_conflict__months_since", "crisis_conflict__since")
CAPACITY_KEY = "state_capacity"

#: What the index is, in an index-only run (no outcome data, so no model and no probability).
INDEX_MEANS = ("The score is the composite risk index, from 0 (lowest) to 10 (highest): it "
               "combines indicators of the crisis shock, of vulnerability and of the lack of "
               "coping capacity. It ranks regions by conditions; it is not a probability.")


@dataclass(frozen=True)
class Basis:
    """What the risk classes are drawn from.

    With a model, the calibrated probability (class breaks are probabilities). In an index-only
    run (no outcome data: every probability is missing), the composite index, and the class
    breaks are index values on its 0-10 scale.

    Parameters
    ----------
    column : str
        Score column the classes come from.
    top : float
        Largest possible value; class breaks lie strictly between 0 and it. [-]
    noun : str
        What one value is called in sentences.
    """

    column: str
    top: float
    noun: str

    def text(self, v) -> str:
        """A value as the report writes it: ``"12%"`` or ``"6.2 / 10"``."""
        if self.column == "probability":
            return pct(v)
        return "n/a" if v is None or pd.isna(v) else f"{float(v):.1f} / 10"

    def edge(self, b) -> str:
        """A class break as legends state it: ``"5%"`` or ``"3.5"``."""
        if self.column == "probability":
            return f"{100 * float(b):.4g}%"
        return f"{float(b):g}"


PROBABILITY = Basis("probability", 1.0, "probability")
INDEX = Basis("index_score", 10.0, "index score")


def basis_of(data) -> Basis:
    """INDEX for an index-only run (no probability at all but index scores), else PROBABILITY."""
    s = data.scores
    if ("probability" in s.columns and "index_score" in s.columns and len(s)
            and s["probability"].isna().all() and s["index_score"].notna().any()):
        return INDEX
    return PROBABILITY


def means(outcome: str) -> str:
    """What the score is, in one sentence, for a model run forecasting ``outcome``.

    Parameters
    ----------
    outcome : str
        What the probability is the chance of (``ReportData.outcome``), e.g. "a recorded surge
        in human trafficking".
    """
    return ("The score is a statistical signal for preparedness: the estimated chance that "
            f"conditions in a region lead to {outcome} within the horizon.")


def with_article(phrase: str) -> str:
    """``"a trafficking surge"``, ``"an armed conflict"``; a phrase that starts with an article
    already is returned as it is."""
    text = str(phrase).strip()
    if text.lower().startswith(("a ", "an ", "the ")):
        return text
    return ("an " if text[:1].lower() in ("a", "e", "i", "o", "u") else "a ") + text


def check_report_data(data, owner: str) -> None:
    """Check the parts of a ReportData every output relies on; raise with what to fix.

    Parameters
    ----------
    data : ReportData
    owner : str
        Name of the public function, for the message.

    Raises
    ------
    TypeError
        When ``data`` is not a ReportData.
    ValueError
        Listing every broken expectation: missing score columns, unknown regions or classes,
        repeated rows, breaks out of order, an empty outcome phrase, a region table without
        a CRS.
    """
    if not isinstance(data, ReportData):
        raise TypeError(f"{owner} needs a forewarn.reports.ReportData; got "
                        f"{type(data).__name__}. Build one with ReportData(...).")
    problems = []
    scores = data.scores
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        problems.append(f"ReportData.scores lacks the columns {missing}; it needs every name in "
                        "forewarn.reports.SCORE_COLUMNS.")
    if not data.horizons:
        problems.append("ReportData.horizons is empty; give the forecast horizons in months, "
                        "e.g. (3, 12).")
    basis = basis_of(data) if not missing else PROBABILITY
    breaks = tuple(data.class_breaks)
    if (len(breaks) != len(RISK_CLASSES) - 1 or not all(0 < b < basis.top for b in breaks)
            or list(breaks) != sorted(set(breaks))):
        what = ("probabilities between 0 and 1" if basis is PROBABILITY else
                "index values between 0 and 10 (this run has no probabilities, so classes "
                "come from the index)")
        problems.append(f"ReportData.class_breaks is {breaks!r}; give {len(RISK_CLASSES) - 1} "
                        f"increasing {what} where "
                        f"{', '.join(repr(c) for c in RISK_CLASSES[1:])} start.")
    for name, example in (("outcome", "a recorded surge in human trafficking"),
                          ("outcome_short", "trafficking surge")):
        value = getattr(data, name)
        if not (isinstance(value, str) and value.strip()):
            problems.append(f"ReportData.{name} is {value!r}; give what the probability is the "
                            f"chance of as a phrase, e.g. {example!r}.")
    if data.regions.crs is None:
        problems.append("ReportData.regions has no CRS; set it, e.g. "
                        "regions.set_crs('EPSG:4326').")
    if data.regions.index.has_duplicates:
        dup = sorted(set(data.regions.index[data.regions.index.duplicated()]))[:5]
        problems.append(f"ReportData.regions repeats the region_id(s) {dup}; keep one row each.")
    if not missing:
        problems += _check_scores(scores, data, basis)
    if problems:
        raise ValueError(f"{owner}: the report data is not usable:\n"
                         + "\n".join(f"  - {p}" for p in problems))


def _check_scores(scores: pd.DataFrame, data: ReportData, basis: Basis) -> list[str]:
    problems = []
    unknown = sorted(set(scores["region_id"]) - set(data.regions.index))[:5]
    if unknown:
        problems.append(f"ReportData.scores has region_id(s) {unknown} that are not in "
                        "ReportData.regions; every scored region needs a geometry.")
    extra = sorted(set(scores["horizon"]) - set(data.horizons))
    if extra:
        problems.append(f"ReportData.scores has horizon(s) {extra} that are not in "
                        f"ReportData.horizons {tuple(data.horizons)}; list every horizon.")
    if scores.duplicated(["region_id", "horizon"]).any():
        dup = scores.loc[scores.duplicated(["region_id", "horizon"]), "region_id"].iloc[0]
        problems.append(f"ReportData.scores has more than one row for region {dup!r} and one "
                        "horizon; keep one row per region and horizon.")
    scored = scores[basis.column].notna()
    bad_class = ~scores["risk_class"].isin(RISK_CLASSES) & scored
    if bad_class.any():
        found = sorted(set(scores.loc[bad_class, "risk_class"].astype(str)))[:5]
        problems.append(f"ReportData.scores has risk_class value(s) {found}; use one of "
                        f"{list(RISK_CLASSES)}.")
    elif not problems and np.all(np.diff(np.asarray(data.class_breaks, dtype=float)) > 0):
        # (breaks out of order are reported by the caller; nothing can be classed by them)
        expected = np.asarray(RISK_CLASSES)[classify(scores[basis.column], data.class_breaks)]
        wrong = scored & (scores["risk_class"].to_numpy() != expected)
        if wrong.any():
            row = scores[wrong].iloc[0]
            problems.append(
                f"ReportData.scores gives region {row['region_id']!r} the class "
                f"{row['risk_class']!r} at {basis.noun} {row[basis.column]:.4f}, but the class "
                f"breaks {tuple(data.class_breaks)} put it in another class; derive risk_class "
                "from the same breaks (each class starts at its break).")
    return problems


def class_legend(breaks, basis: Basis = PROBABILITY) -> list[str]:
    """One legend line per risk class stating its range, e.g. ``"medium: 5% to under 15%"``."""
    edges = [basis.edge(b) for b in breaks]
    lines = [f"{RISK_CLASSES[0]}: under {edges[0]}"]
    lines += [f"{RISK_CLASSES[i]}: {edges[i - 1]} to under {edges[i]}"
              for i in range(1, len(edges))]
    lines.append(f"{RISK_CLASSES[-1]}: {edges[-1]} or more")
    return lines


def pct(p) -> str:
    """A probability as a percentage a planner reads at a glance: ``"0.4%"``, ``"12%"``."""
    if p is None or pd.isna(p):
        return "n/a"
    v = float(p) * 100
    return f"{v:.1f}%" if round(v, 1) < 10 else f"{v:.0f}%"


def num(v, fmt="{:.1f}") -> str:
    """A number as the report writes it (``fmt``); ``"n/a"`` when missing."""
    return "n/a" if v is None or pd.isna(v) else fmt.format(float(v))


def sort_key(v) -> str:
    """A sort key for the table's script: the number, or empty for missing (sorted last)."""
    return "" if v is None or pd.isna(v) else f"{float(v):.6g}"


def interval(lower, upper) -> str:
    """An interval of probabilities, ``"8% to 15%"``; ``"not available"`` when missing."""
    if pd.isna(lower) or pd.isna(upper):
        return "not available"
    return f"{pct(lower)} to {pct(upper)}"


def points(change) -> str:
    """A change of probability in percentage points with its sign; an em dash when unknown."""
    if change is None or pd.isna(change):
        return "\u2014"
    v = float(change) * 100
    if abs(v) < 0.05:
        return "\u00b10.0 pp"
    sign = "+" if v > 0 else "\u2212"
    return f"{sign}{abs(v):.1f} pp"


def day(ts) -> str:
    """A date as people write it: ``"31 December 2020"``."""
    ts = pd.Timestamp(ts)
    return f"{ts.day} {ts:%B %Y}"


def horizon_text(h) -> str:
    """``"3 months"`` / ``"1 month"``."""
    return f"{int(h)} month{'s' if int(h) != 1 else ''}"


def source_line(data: ReportData) -> str:
    """Where the numbers come from, for the foot of every map and the report."""
    names = []
    if len(data.sources) and "source" in data.sources.columns:
        fed = data.sources
        if "latest_period" in fed.columns:
            # Only sources that feed the numbers: a catalogued source with no observation
            # (no latest period) is not credited.
            latest = fed["latest_period"]
            fed = fed[latest.notna() & (latest.astype(str).str.strip() != "")]
        names = list(dict.fromkeys(str(s) for s in fed["source"].dropna()))
    text = f"Source: forewarn, project {data.project_name}, forecast origin {day(data.as_of)}"
    if names:
        text += "; data: " + ", ".join(names)
    return text + "."


def slug(text) -> str:
    """A file-name-safe version of an id (letters, digits, ``-`` and ``_`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_") or "region"


def parent_names(data: ReportData) -> dict:
    """Parent id -> display name (the parent's name when known, else its id)."""
    ids = data.regions["parent_id"].dropna().astype(str).unique()
    names = {}
    if data.parents is not None and "name" in data.parents.columns:
        names = {str(k): str(v) for k, v in data.parents["name"].items() if pd.notna(v)}
    return {i: names.get(i, i) for i in sorted(ids)}


def outlines(data: ReportData):
    """Parent outlines in EPSG:4326, each with a ``name``: the parents table when there is one,
    else the regions dissolved by parent; None when no region has a parent."""
    if data.parents is not None and len(data.parents):
        p = data.parents.to_crs("EPSG:4326")
        ids = pd.Series(p.index.astype(str), index=p.index)
        names = p["name"].where(p["name"].notna(), ids) if "name" in p.columns else ids
        return p.assign(name=names.astype(str))
    with_parent = data.regions[data.regions["parent_id"].notna()]
    if not len(with_parent):
        return None
    d = with_parent.to_crs("EPSG:4326").dissolve(by="parent_id")
    return d.assign(name=d.index.astype(str))


def scores_for(data: ReportData, horizon, basis: Basis) -> pd.DataFrame:
    """The scores of one horizon, indexed by region_id, riskiest first."""
    s = data.scores[data.scores["horizon"] == horizon].set_index("region_id")
    return s.sort_values(basis.column, ascending=False, na_position="last", kind="stable")
