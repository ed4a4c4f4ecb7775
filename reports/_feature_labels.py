"""Readers' names for model features: labels, units and words for derived features."""

from __future__ import annotations

import pandas as pd

#: Words for the derived features the pipeline names ``<indicator>__<suffix>``.
_SUFFIXES = {"imputed": "{}: value carried forward", "splag": "{} in neighbouring regions",
             "change": "{}: change", "anomaly": "{}: against its own history"}
#: Words for the crisis-context features ``crisis_<kind>__<suffix>``.
_CRISIS = {"since": "Time since the latest {} began", "seen": "{} seen in this region before",
           "magnitude": "Size of the latest {}", "ongoing": "{} going on"}


def feature_table(features: pd.DataFrame) -> pd.DataFrame:
    """The feature table with a label for every feature name met anywhere in the data."""
    f = features.copy()
    if "label" not in f.columns:
        f["label"] = pd.Series(f.index.astype(str), index=f.index)
    f["label"] = f["label"].where(f["label"].notna() & (f["label"].astype(str) != ""),
                                  f.index.to_series().astype(str))
    f["label"] = [_human_label(str(n), str(lab), f) for n, lab in zip(f.index, f["label"])]
    return f


def _human_label(name: str, label: str, features: pd.DataFrame) -> str:
    """A reader's label for a feature: raw ids (``crisis_conflict__since``) and derived features
    that share their indicator's label (``state_capacity__imputed``) get words of their own."""
    if "__" not in name:
        return label
    base, suffix = name.split("__", 1)
    if base.startswith("crisis_") and suffix in _CRISIS and label in (name, base):
        kind = base[len("crisis_"):].replace("_", " ")
        return _CRISIS[suffix].format(kind).capitalize()
    shared = base in features.index and label == str(features.at[base, "label"])
    if label not in (name, base) and not shared:
        return label
    stem = (str(features.at[base, "label"]) if base in features.index
            and str(features.at[base, "label"]) not in ("", "nan", base)
            else base.replace("_", " ").capitalize())
    words = _SUFFIXES.get(suffix.split("__")[0], "{}: " + suffix.replace("_", " "))
    return words.format(stem)


def label(features: pd.DataFrame, name) -> str:
    """The reader's label of feature ``name`` (words of its own when the table lacks it)."""
    if name in features.index:
        return str(features.at[name, "label"])
    if "__" in str(name):
        return _human_label(str(name), str(name), features)
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def units(features: pd.DataFrame, name) -> str:
    """The units of feature ``name``; "" when unknown."""
    if name in features.index and "units" in features.columns and pd.notna(
            features.at[name, "units"]):
        return str(features.at[name, "units"])
    return ""
