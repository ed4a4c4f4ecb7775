"""What a report is made from: one bundle of tables, filled by the flow, read by every renderer."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from forewarn.models import RISK_CLASSES

__all__ = ["ReportData", "SCORE_COLUMNS", "RISK_CLASSES"]

#: Columns of the scores table (DESIGN.md "Scores"), one row per region and horizon.
SCORE_COLUMNS = (
    "region_id",        # str
    "name",             # str, region name
    "parent_id",        # str or None (country / sub-region)
    "origin",           # Timestamp: forecast origin (as-of date)
    "horizon",          # int: months ahead
    "probability",      # float 0-1: calibrated probability of a surge within the horizon
    "lower",            # float 0-1: lower end of the interval
    "upper",            # float 0-1: upper end of the interval
    "risk_class",       # str, one of RISK_CLASSES
    "index_score",      # float 0-10: composite index (NaN when not computed)
    "reliability",      # float 0-1: data reliability (1 = complete and fresh)
    "low_reliability",  # bool: flagged, never hidden
    "margin",           # float: calibrated log-odds; probability = sigmoid(margin)
    "change",           # float: probability minus the previous run's (NaN without one)
    "drivers_up",       # str: top drivers raising the score, plain language, "; "-separated
    "drivers_down",     # str: top drivers lowering it
)


@dataclass
class ReportData:
    """Everything the report, the maps and the exports show, for one run.

    Attributes
    ----------
    project_name : str
    as_of : pandas.Timestamp
        Forecast origin.
    horizons : tuple of int
        Forecast horizons. [months]
    demo_label : str or None
        Set on demo runs ("DEMO DATA - ..."): every output then carries it prominently.
    regions : geopandas.GeoDataFrame
        Indexed by ``region_id``: ``name, parent_id, level, geometry`` (EPSG:4326).
    parents : geopandas.GeoDataFrame or None
        Parent regions (countries / sub-regions) for outlines and per-parent maps, same layout.
    scores : pandas.DataFrame
        :data:`SCORE_COLUMNS`, one row per region and horizon.
    class_breaks : tuple of float
        Probabilities where "medium", "high", "very high" start (stated on maps and in the report).
    explanations : pandas.DataFrame
        ``region_id, horizon, feature, value, contribution`` (log-odds); for each region and
        horizon ``base_values[h] + sum(contribution) == margin``.
    base_values : dict
        horizon -> base value (log-odds).
    features : pandas.DataFrame
        One row per model feature (index: feature name): ``label`` (short), ``phrase``
        (plain-language template), ``indicator``, ``units``, ``direction``, ``lever``.
    drivers : pandas.DataFrame
        ``region_id, horizon, direction ("up"/"down"), rank, feature, contribution, text``
        (plain-language sentences, e.g. "displacement in the last 6 months is 3.1x its usual
        level: +0.8 log-odds").
    history : pandas.DataFrame
        ``region_id, horizon, time, probability``: the region's risk over time (scores of the
        same model at past months, for the sparkline/line chart on region cards).
    change : pandas.DataFrame or None
        What changed since the previous run: ``region_id, horizon, part ("feature"/"model"),
        feature (None for the model part), contribution`` (log-odds; sums to the change in margin).
    previous_as_of : pandas.Timestamp or None
    backtest : pandas.DataFrame or None
        Overall metrics: ``model`` (model or baseline name), ``horizon``, ``roc_auc``,
        ``average_precision``, ``brier``, ``log_loss``, ``calibration_slope``,
        ``calibration_intercept``, ``top10``, ``top20``, ``top30``, ``coverage``.
    calibration : pandas.DataFrame or None
        ``horizon, bin, predicted, observed, n`` (reliability diagram points).
    shape_functions : pandas.DataFrame or None
        ``feature, x, contribution``: the global driver view (one curve per feature; a straight
        line for the linear model; the risk part of a detection-aware model).
    detection_shape_functions : pandas.DataFrame or None
        The same for the detection part of a detection-aware model (None for the others).
    held_at_zero : tuple of str
        Features whose effect a sign constraint holds at zero (their flat line is not "no
        link").
    index_hierarchy : pandas.DataFrame or None
        ``node, parent, level, aggregation, weight, label``: the index tree.
    index_scores : pandas.DataFrame or None
        ``region_id`` plus one column per index node (0-10).
    data_age : pandas.DataFrame or None
        ``region_id, indicator, age_months, missing`` at the origin.
    sources : pandas.DataFrame
        ``source, licence, indicators, latest_period``: data sources with dates and licences.
    model_card : dict
        Training window, features, metrics, intended use, limits.
    scenarios : pandas.DataFrame or None
        ``region_id, horizon, scenario, probability_before, probability_after, text``.
    detail_regions : tuple of str
        Regions that get a card besides the top ones (on request).
    outcome : str
        What the probability is the chance of, as a phrase ("a recorded surge in human
        trafficking"; the config's ``[project] outcome``): titles and legends use it, so a
        project with another outcome says what it forecasts.
    outcome_short : str
        A short form for map titles and legends ("trafficking surge").
    findings : dict or None
        What the data say (``forewarn.flows.findings``): ``since_onset``, ``importance``,
        ``levers`` (DataFrames with intervals), ``skill`` (the latest backtest against its
        baselines) and the model's facts; None leaves the section out (index-only and demo
        runs).
    """

    project_name: str
    as_of: pd.Timestamp
    horizons: tuple
    demo_label: str | None
    regions: gpd.GeoDataFrame
    scores: pd.DataFrame
    class_breaks: tuple = (0.05, 0.15, 0.30)
    parents: gpd.GeoDataFrame | None = None
    explanations: pd.DataFrame = field(default_factory=pd.DataFrame)
    base_values: dict = field(default_factory=dict)
    features: pd.DataFrame = field(default_factory=pd.DataFrame)
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    change: pd.DataFrame | None = None
    previous_as_of: pd.Timestamp | None = None
    backtest: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    shape_functions: pd.DataFrame | None = None
    detection_shape_functions: pd.DataFrame | None = None
    held_at_zero: tuple = ()
    index_hierarchy: pd.DataFrame | None = None
    index_scores: pd.DataFrame | None = None
    data_age: pd.DataFrame | None = None
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    model_card: dict = field(default_factory=dict)
    scenarios: pd.DataFrame | None = None
    detail_regions: tuple = ()
    outcome: str = "a recorded surge in human trafficking"
    outcome_short: str = "trafficking surge"
    findings: dict | None = None
