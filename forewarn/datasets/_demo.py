"""The demo world: a seeded, fictional region × month world with a stated model of trafficking.

Nothing here describes a real place or real people. The world sits in the South Atlantic, where
there is no land, its countries use the user-assigned ISO codes XA-XL, and every output made from
it is labelled as demo data.

The structural model (``TRUE_EFFECTS`` holds the coefficients):

* each region has a latent *fragility* (country effect + regional deviation, slowly drifting);
  state capacity, rule of law and control of corruption are noisy reflections of it;
* conflict onsets arrive with a monthly hazard that rises with fragility and with conflict in
  neighbouring regions; disaster onsets with a hazard that rises with exposure (coast);
* crises displace people (a stock that decays as people return) and kill (conflict deaths);
* the monthly hazard of a *trafficking surge* is logistic in: low state capacity, displacement
  (own and neighbours'), the latent prevalence of trafficking, transit-route exposure, a weak
  anti-trafficking response and low protection coverage, and a hump in the months after a
  crisis onset (risk peaks ``ONSET_PEAK_MONTHS`` after onset, then fades);
* what forewarn sees is *detected*: detected-trafficking counts are the true incidence thinned by
  a detection rate that rises with state capacity, and a surge is recorded with a probability that
  also rises with state capacity. Detected figures therefore measure detection as much as
  trafficking — exactly the caveat real data carry.

Real-world mess is added on purpose: missing values, sparse survey years, a revised vintage of
displacement and of state capacity, and outliers within the valid range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from forewarn.features import (
    Catalogue,
    Indicator,
    contiguity,
    ordinal_to_timestamp,
    period_end,
    period_label,
)

__all__ = [
    "DemoWorld",
    "make_demo_world",
    "demo_catalogue",
    "TRUE_EFFECTS",
    "DEMO_SEED",
    "DEMO_LABEL",
    "ONSET_PEAK_MONTHS",
    "detection_rate",
]

DEMO_SEED = 20_251_128
#: Text every output made from the demo world carries.
DEMO_LABEL = "DEMO DATA - fictional world, not an estimate for any real place"
#: Months after a crisis onset at which the surge hazard peaks. [months]
ONSET_PEAK_MONTHS = 6.0

#: The true model's coefficients, on the log-odds of a recorded surge per month. Each driver is
#: standardised as stated, so the magnitudes are comparable.
TRUE_EFFECTS = {
    "intercept": -5.6,
    "state_capacity": -0.55,        # per SD of the latent state capacity
    "displaced": 0.35,              # per unit of log1p(displaced per 1,000 population)
    "neighbour_displaced": 0.25,    # same, averaged over neighbouring regions
    "prevalence": 0.45,             # per SD of latent trafficking prevalence
    "transit_exposure": 0.9,        # per unit of exposure (0-1)
    "response_tier": 0.3,           # per tier step (1 best - 3 worst)
    "protection_coverage": -0.012,  # per percentage point of coverage
    "conflict_onset": 1.1,          # height of the post-onset hump, conflict
    "disaster_onset": 0.6,          # height of the post-onset hump, disaster
}

_COUNTRY_CODES = [f"X{c}" for c in "ABCDEFGHIJKL"]


def demo_catalogue() -> Catalogue:
    """The demo world's indicator catalogue (frequencies and lags as real publishers have them).

    Roles for the detection-aware model were set from what each indicator measures, before any
    fit: institutions and anti-trafficking effort both deter trafficking and find it (state
    capacity, control of corruption, response tier, protection coverage: ``both``); rule of law
    is read as the police and courts that identify victims (``detection`` only: the one input
    excluded from the risk part); detected victims reflect prevalence and reporting effort
    (``both``); displacement, crises, poverty, mobility and services drive risk only.
    """
    src = "forewarn demo world (synthetic)"
    lic = "CC0-1.0 (synthetic)"
    entries = [
        Indicator("population", "Population", "persons", src, "annual", 180, 1,
                  valid_min=0, dimension="exposure", licence=lic,
                  description="Mid-year resident population; the denominator of per-capita "
                              "features."),
        Indicator("state_capacity", "State capacity", "score 0-100", src, "annual", 270, -1,
                  valid_min=0, valid_max=100, dimension="lack_of_coping/institutions",
                  licence=lic, role="both", description="Government effectiveness score, "
                  "published in September for the previous year (like the WGI)."),
        Indicator("rule_of_law", "Rule of law", "score 0-100", src, "annual", 270, -1,
                  valid_min=0, valid_max=100, dimension="lack_of_coping/institutions",
                  licence=lic, role="detection"),
        Indicator("corruption_control", "Control of corruption", "score 0-100", src, "annual",
                  270, -1, valid_min=0, valid_max=100, dimension="lack_of_coping/institutions",
                  licence=lic, role="both"),
        Indicator("poverty", "Poverty rate", "% of population", src, "annual", 365, 1,
                  valid_min=0, valid_max=100, dimension="vulnerability/socio_economic",
                  licence=lic, description="Household-survey poverty headcount; surveys run "
                  "every few years, so most years are missing."),
        Indicator("unemployment", "Unemployment rate", "% of labour force", src, "annual", 120,
                  1, valid_min=0, valid_max=100, dimension="vulnerability/socio_economic",
                  licence=lic),
        Indicator("displaced", "People internally displaced", "persons", src, "monthly", 45, 1,
                  transform="log", valid_min=0, dimension="hazard/displacement", licence=lic,
                  description="Stock of internally displaced people at month end; first "
                  "estimates are often revised upwards."),
        Indicator("refugees_hosted", "Refugees hosted", "persons", src, "quarterly", 90, 1,
                  transform="log", valid_min=0, dimension="hazard/displacement", licence=lic),
        Indicator("conflict_deaths", "Conflict deaths", "deaths", src, "monthly", 30, 1,
                  transform="log", valid_min=0, dimension="hazard/conflict", licence=lic),
        Indicator("disaster_affected", "People affected by disasters", "persons", src,
                  "monthly", 60, 1, transform="log", valid_min=0, dimension="hazard/disaster",
                  licence=lic),
        Indicator("detected_trafficking", "Detected trafficking victims", "persons", src,
                  "annual", 180, 1, transform="per_capita", valid_min=0,
                  dimension="vulnerability/prior_trafficking", licence=lic, role="both",
                  description="Victims detected by authorities in the year. Measures detection "
                  "as much as trafficking: weak states detect fewer victims."),
        Indicator("transit_exposure", "Transit-route exposure", "index 0-1", src, "annual", 365,
                  1, valid_min=0, valid_max=1, dimension="vulnerability/mobility", licence=lic,
                  description="Share of known smuggling and migration routes crossing the region."),
        Indicator("response_tier", "Anti-trafficking response tier", "tier 1-3", src, "annual",
                  180, 1, valid_min=1, valid_max=3, dimension="lack_of_coping/response",
                  lever=True, licence=lic, role="both", description="1 = full compliance with "
                  "minimum standards, 2 = efforts, 2.5 = watch list, 3 = insufficient efforts "
                  "(TIP-like). "
                  "Rates government effort, not prevalence."),
        Indicator("protection_coverage", "Protection services coverage", "% of districts", src,
                  "annual", 90, -1, valid_min=0, valid_max=100,
                  dimension="lack_of_coping/response", lever=True, licence=lic, role="both",
                  description="Share of districts with a functioning referral and protection "
                  "service for trafficking survivors."),
        Indicator("health_access", "Access to health care", "% of population", src, "annual",
                  365, -1, valid_min=0, valid_max=100, dimension="lack_of_coping/services",
                  licence=lic),
    ]
    return Catalogue(tuple(entries), "demo catalogue")


@dataclass(frozen=True)
class _Truth:
    """The generator's latent state, month by month (arrays of shape (region, month))."""

    hazard_logit: np.ndarray          # log-odds of a recorded surge in the month
    static_logit: np.ndarray          # the same without the post-onset humps
    months_since_conflict: np.ndarray  # NaN before the first onset
    months_since_disaster: np.ndarray
    drivers: dict = field(default_factory=dict)  # standardised drivers, as used in the logit
    terms: dict = field(default_factory=dict)    # each driver's term of the surge log-odds


@dataclass(frozen=True)
class DemoWorld:
    """A generated world: inputs in forewarn's contracts plus the truth behind them.

    Attributes
    ----------
    regions : geopandas.GeoDataFrame
        Indexed by ``region_id``; ``name, parent_id, level, geometry``; EPSG:4326.
    countries : geopandas.GeoDataFrame
        Parent regions (dissolved), indexed by ``region_id``.
    catalogue : Catalogue
    observations : pandas.DataFrame
        ``region_id, indicator, period, value, published`` (with revised vintages).
    outcome : pandas.DataFrame
        ``region_id, period, value``: 1 when a trafficking surge was recorded in the month.
    crisis_events : pandas.DataFrame
        ``region_id, start, end, kind, magnitude``.
    times : pandas.DatetimeIndex
        Month starts of the simulation.
    truth : _Truth
    seed : int
    """

    regions: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    catalogue: Catalogue
    observations: pd.DataFrame
    outcome: pd.DataFrame
    crisis_events: pd.DataFrame
    times: pd.DatetimeIndex
    truth: _Truth
    seed: int

    def oracle_probability(self, horizon: int) -> np.ndarray:
        """True probability of a recorded surge in the ``horizon`` months after each month.

        Computed from the true state at the origin, carried forward with no new crisis: the
        post-onset humps advance with time, everything else is held. This is the ceiling a
        model fed only with what is known at the origin can approach. Shape (region, month);
        NaN where the window runs past the simulation.
        """
        return _oracle(self.truth, horizon)

    def true_surge_probability(self, horizon: int) -> np.ndarray:
        """True probability of a surge, recorded or not, in the ``horizon`` months after each
        month (months ``t + 1 .. t + horizon``, the window of the model's target).

        The world records a surge with log-odds ``hazard_logit``, which holds the log of the
        detection rate in its state-capacity term; without that term it is the log-odds of a
        surge happening. This is computed from the truth arrays alone (no random draw) and uses
        the months as they came (crises included), so it is the chance the realised window held
        a true surge: ``1 - prod(1 - expit(hazard_logit - log(detection)))``. Shape (region,
        month); NaN where the window runs past the simulation.
        """
        return _window_probability(
            self.truth.hazard_logit - np.log(self.truth.drivers["detection"]), horizon)


def _window_probability(logit: np.ndarray, horizon: int) -> np.ndarray:
    """Chance of at least one event in months ``t + 1 .. t + horizon`` from monthly log-odds."""
    n_r, n_t = logit.shape
    log_none = np.log1p(-_sigmoid(logit))
    p = np.full((n_r, n_t), np.nan)
    for t in range(n_t - horizon):
        p[:, t] = -np.expm1(log_none[:, t + 1:t + 1 + horizon].sum(axis=1))
    return p


def _oracle(truth: _Truth, horizon: int) -> np.ndarray:
    n_r, n_t = truth.static_logit.shape
    survive = np.ones((n_r, n_t))
    for k in range(1, horizon + 1):
        logit = (truth.static_logit
                 + TRUE_EFFECTS["conflict_onset"] * _hump(truth.months_since_conflict + k)
                 + TRUE_EFFECTS["disaster_onset"] * _hump(truth.months_since_disaster + k))
        survive *= 1.0 - _sigmoid(logit)
    p = 1.0 - survive
    p[:, n_t - horizon:] = np.nan
    return p


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def detection_rate(capacity):
    """The demo world's share of surges that get recorded at a state capacity. [-]

    Parameters
    ----------
    capacity : float or ndarray
        True state capacity. [score 0-100]
    """
    return _sigmoid(0.3 + (np.asarray(capacity, dtype="float64") - 50) / 12)


def _hump(months):
    """Post-onset risk shape: 0 at onset, 1 at the peak, fading after; 0 before any onset."""
    m = np.nan_to_num(np.asarray(months, dtype="float64"), nan=-1.0)
    x = np.clip(m, 0, None) / ONSET_PEAK_MONTHS
    return np.where(m >= 0, x * np.exp(1.0 - x), 0.0)


# --------------------------------------------------------------------------- geography

def _coastline(rng, center=(-20.0, -28.0), radius=7.0):
    theta = np.linspace(0, 2 * np.pi, 241)[:-1]
    r = np.ones_like(theta)
    for k in (2, 3, 5, 7):
        r += rng.uniform(0.03, 0.12) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    x = center[0] + radius * 1.3 * r * np.cos(theta)
    y = center[1] + radius * r * np.sin(theta)
    return shapely.Polygon(np.column_stack([x, y]))


def _seeds(rng, coast, n):
    minx, miny, maxx, maxy = coast.bounds
    pts = np.empty((0, 2))
    while len(pts) < n:
        cand = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n, 2))
        pts = np.vstack([pts, cand[shapely.contains_xy(coast, cand[:, 0], cand[:, 1])]])
    pts = pts[:n]
    for _ in range(3):  # Lloyd relaxation for even-sized cells
        cells = _voronoi(pts, coast)
        c = shapely.centroid(cells)
        pts = np.column_stack([shapely.get_x(c), shapely.get_y(c)])
    return pts


def _voronoi(pts, coast):
    multi = shapely.multipoints(pts)
    cells = shapely.voronoi_polygons(multi, extend_to=coast.envelope.buffer(1), ordered=True)
    cells = np.asarray(shapely.get_parts(cells))
    return shapely.intersection(cells, coast)


_SYLLABLES = ["ka", "lo", "mi", "ra", "ne", "to", "va", "su", "di", "ban", "mor", "tel", "qui",
              "sa", "do", "ren", "ga", "li", "po", "zan", "ve", "ko", "ma", "thi", "nu", "or"]


def _names(rng, n, suffixes):
    out, seen = [], set()
    while len(out) < n:
        word = "".join(rng.choice(_SYLLABLES, size=rng.integers(2, 4))).capitalize()
        word += rng.choice(suffixes)
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def _demo_geography(rng, n_regions, n_countries):
    from sklearn.cluster import KMeans

    coast = _coastline(rng)
    pts = _seeds(rng, coast, n_regions)
    cells = shapely.make_valid(_voronoi(pts, coast))
    labels = KMeans(n_clusters=n_countries, n_init=10, random_state=int(rng.integers(1 << 31))
                    ).fit_predict(pts)
    # Number regions west to east within each country, countries by their mean longitude.
    country_order = np.argsort(np.argsort([pts[labels == k, 0].mean() for k in range(n_countries)]))
    codes = np.asarray(_COUNTRY_CODES[:n_countries])[country_order[labels]]
    order = np.lexsort((pts[:, 0], codes))
    pts, cells, codes = pts[order], cells[order], codes[order]
    seq = pd.Series(codes).groupby(codes).cumcount().to_numpy() + 1
    ids = np.char.add(codes.astype(str), np.char.zfill(seq.astype(str), 2))
    country_names = dict(zip(_COUNTRY_CODES[:n_countries],
                             _names(rng, n_countries, ["ia", "land", "stan", "ova", "ar", "ea"])))
    regions = gpd.GeoDataFrame(
        {"region_id": ids, "name": _names(rng, len(ids), ["", "a", "o", "en", "is"]),
         "parent_id": codes, "level": "admin1"},
        geometry=cells, crs="EPSG:4326").set_index("region_id")
    countries = regions.dissolve(by="parent_id")[["geometry"]]
    countries.index.name = "region_id"
    countries["name"] = [country_names[c] for c in countries.index]
    countries["parent_id"] = None
    countries["level"] = "country"
    coast_dist = shapely.distance(shapely.points(pts), coast.exterior)
    return regions, countries[["name", "parent_id", "level", "geometry"]], coast_dist


# --------------------------------------------------------------------------- simulation

def _simulate(rng, n_months, country, coast_exposure, weights, dtype="float64",
              keep_drivers=False):
    """Run the structural model month by month, vectorised over regions.

    ``weights`` is the row-standardised contiguity matrix (neighbours' means). With
    ``keep_drivers`` each driver's term of the surge log-odds is kept too (``_terms``). Returns a dict of (region, month) arrays of the true monthly quantities and the crisis
    onsets, ends and magnitudes.
    """
    n = len(country)
    w = sp.csr_array(weights, dtype="float64")
    n_c = country.max() + 1
    fragility0 = rng.normal(0, 0.8, n_c)[country] + rng.normal(0, 0.5, n)
    transit = np.clip(_smooth(w, rng.uniform(0, 1, n), 3) + 0.15 * (coast_exposure > 0.6), 0, 1)
    prevalence = _smooth(w, rng.normal(0, 1, n), 2)
    prevalence = (prevalence - prevalence.mean()) / prevalence.std()
    pop0 = np.exp(rng.normal(np.log(8e5), 0.7, n))
    growth = rng.normal(0.018, 0.006, n)

    shape = (n, n_months)
    out = {k: np.zeros(shape, dtype=dtype) for k in (
        "population", "state_capacity", "rule_of_law", "corruption_control", "poverty",
        "unemployment", "displaced", "refugees_hosted", "conflict_deaths", "disaster_affected",
        "incidence", "transit_exposure", "response_tier", "protection_coverage",
        "health_access", "hazard_logit", "static_logit", "surge")}
    out["months_since_conflict"] = np.full(shape, np.nan, dtype=dtype)
    out["months_since_disaster"] = np.full(shape, np.nan, dtype=dtype)
    drift = np.zeros(n)
    conflict_on = np.zeros(n, bool)
    disaster_on = np.zeros(n, bool)
    conflict_mag = np.zeros(n)
    since_c = np.full(n, np.nan)
    since_d = np.full(n, np.nan)
    displaced = np.zeros(n)
    tier = np.clip(np.round(2 + 0.6 * fragility0 + rng.normal(0, 0.4, n)) , 1, 3)
    protection = np.clip(55 - 15 * fragility0 + rng.normal(0, 10, n), 0, 100)
    onsets = []
    for t in range(n_months):
        year_start = t % 12 == 0
        drift = 0.985 * drift + rng.normal(0, 0.05, n)
        fragility = fragility0 + drift
        capacity = np.clip(50 - 14 * fragility + rng.normal(0, 1.0, n), 0, 100)
        pop = pop0 * np.exp(growth * t / 12)

        # Crises: onsets from hazards, ends from constant monthly end rates.
        nb_conflict = w @ conflict_on.astype("float64")
        h_c = _sigmoid(-6.6 + 0.9 * fragility + 1.6 * nb_conflict)
        new_c = ~conflict_on & (rng.random(n) < h_c)
        h_d = _sigmoid(-5.6 + 2.2 * coast_exposure)
        new_d = ~disaster_on & (rng.random(n) < h_d)
        mag_c = np.where(new_c, pop * np.exp(rng.normal(np.log(0.04), 0.8, n)), 0.0)
        mag_d = np.where(new_d, pop * np.exp(rng.normal(np.log(0.08), 0.9, n)), 0.0)
        for kind, new, mag in (("conflict", new_c, mag_c), ("disaster", new_d, mag_d)):
            idx = np.flatnonzero(new)
            onsets.append(pd.DataFrame({"region": idx, "start": t, "kind": kind,
                                        "magnitude": mag[idx]}))
        conflict_mag = np.where(new_c, mag_c, conflict_mag)
        conflict_on |= new_c
        disaster_on |= new_d
        since_c = np.where(new_c, 0.0, since_c + 1)
        since_d = np.where(new_d, 0.0, since_d + 1)

        displaced = (0.965 * displaced + 0.7 * mag_c + 0.25 * mag_d
                     + conflict_on * 0.002 * pop * rng.gamma(2, 0.5, n))
        displaced = np.minimum(displaced, 0.6 * pop)
        deaths = conflict_on * rng.poisson(np.maximum(conflict_mag, 1) / 4000 * rng.gamma(2, 0.5, n))
        affected = mag_d + disaster_on * ~new_d * pop * 0.005 * rng.gamma(2, 0.5, n)
        disp_pc = np.log1p(1000 * displaced / pop)
        nb_disp = w @ disp_pc

        if year_start:  # annual policy moves: tiers and coverage change once a year
            tier = np.clip(tier + rng.choice([-1, 0, 0, 0, 0, 1], n) * 0.5, 1, 3)
            protection = np.clip(protection + rng.normal(0.8, 4, n), 0, 100)
        detect = detection_rate(capacity)                  # share of surges that get recorded
        terms = {
            # Capacity lowers true risk but raises the chance a surge is recorded.
            "state_capacity": TRUE_EFFECTS["state_capacity"] * (capacity - 50) / 14
            + np.log(detect),
            "displaced": TRUE_EFFECTS["displaced"] * disp_pc,
            "neighbour_displaced": TRUE_EFFECTS["neighbour_displaced"] * nb_disp,
            "prevalence": TRUE_EFFECTS["prevalence"] * prevalence,
            "transit_exposure": TRUE_EFFECTS["transit_exposure"] * transit,
            "response_tier": TRUE_EFFECTS["response_tier"] * (tier - 2),
            "protection_coverage": TRUE_EFFECTS["protection_coverage"] * (protection - 50),
            "conflict_onset": TRUE_EFFECTS["conflict_onset"] * _hump(since_c),
            "disaster_onset": TRUE_EFFECTS["disaster_onset"] * _hump(since_d),
        }
        static = TRUE_EFFECTS["intercept"] + sum(
            v for k, v in terms.items() if not k.endswith("_onset"))
        logit = static + terms["conflict_onset"] + terms["disaster_onset"]
        if keep_drivers:
            for k, v in terms.items():
                out.setdefault("_terms", {}).setdefault(
                    k, np.zeros(shape, dtype=dtype))[:, t] = v
        surge = rng.random(n) < _sigmoid(logit)
        incidence = pop / 1e5 * np.exp(0.6 * prevalence + 0.4 * disp_pc + 0.5 * transit)

        o = out
        o["population"][:, t] = pop
        o["state_capacity"][:, t] = capacity
        o["rule_of_law"][:, t] = np.clip(48 - 12 * fragility + rng.normal(0, 4, n), 0, 100)
        o["corruption_control"][:, t] = np.clip(45 - 11 * fragility + rng.normal(0, 5, n), 0, 100)
        o["poverty"][:, t] = np.clip(30 + 10 * fragility + rng.normal(0, 3, n), 0, 100)
        o["unemployment"][:, t] = np.clip(9 + 3 * fragility + 4 * disp_pc / 5
                                          + rng.normal(0, 1.5, n), 0, 100)
        o["displaced"][:, t] = displaced
        o["refugees_hosted"][:, t] = 0.08 * (w @ displaced) + pop * 0.001
        o["conflict_deaths"][:, t] = deaths
        o["disaster_affected"][:, t] = affected
        o["incidence"][:, t] = incidence
        o["transit_exposure"][:, t] = transit
        o["response_tier"][:, t] = tier
        o["protection_coverage"][:, t] = protection
        o["health_access"][:, t] = np.clip(70 - 12 * fragility + rng.normal(0, 3, n), 0, 100)
        o["hazard_logit"][:, t] = logit
        o["static_logit"][:, t] = static
        o["surge"][:, t] = surge
        o["months_since_conflict"][:, t] = since_c
        o["months_since_disaster"][:, t] = since_d
        o.setdefault("_detect", np.zeros(shape, dtype=dtype))[:, t] = detect
        o.setdefault("_capacity_z", np.zeros(shape, dtype=dtype))[:, t] = (capacity - 50) / 14

        ended_c = conflict_on & ~new_c & (rng.random(n) < 1 / 20)
        ended_d = disaster_on & ~new_d & (rng.random(n) < 1 / 3)
        for kind, ended in (("conflict", ended_c), ("disaster", ended_d)):
            idx = np.flatnonzero(ended)
            onsets.append(pd.DataFrame({"region": idx, "end": t, "kind": kind}))
        conflict_on &= ~ended_c
        disaster_on &= ~ended_d
    out["_events"] = pd.concat(onsets, ignore_index=True)
    out["_prevalence"] = prevalence
    return out


def _smooth(w, x, times):
    for _ in range(times):
        x = 0.5 * x + 0.5 * (w @ x)
    return x


def _events_table(events, region_ids, t0):
    """Pair each onset with the next end of the same kind in the same region.

    A region cannot start a crisis of a kind while one is ongoing, so the next end after an onset
    is always its own.
    """
    starts = events.loc[events["start"].notna(), ["region", "kind", "start", "magnitude"]]
    ends = events.loc[events["end"].notna(), ["region", "kind", "end"]]
    starts = starts.astype({"start": "int64"}).sort_values("start")
    ends = ends.astype({"end": "float64"}).sort_values("end")
    merged = pd.merge_asof(starts.astype({"start": "float64"}), ends, left_on="start",
                           right_on="end", by=["region", "kind"], direction="forward")
    start_ts = ordinal_to_timestamp(t0 + merged["start"].to_numpy().astype("int64"))
    end = merged["end"].to_numpy()
    end_ts = ordinal_to_timestamp(t0 + np.nan_to_num(end).astype("int64"))
    return pd.DataFrame({
        "region_id": np.asarray(region_ids)[merged["region"].to_numpy()],
        "start": start_ts + pd.Timedelta(days=14),
        "end": (end_ts + pd.Timedelta(days=20)).where(np.isfinite(end)),
        "kind": merged["kind"].to_numpy(),
        "magnitude": np.round(merged["magnitude"].to_numpy()),
    }).sort_values(["start", "region_id", "kind"]).reset_index(drop=True)


# --------------------------------------------------------------------------- publication

def _annual(values):
    """Annual means of a (region, month) array; months must be whole years."""
    n, m = values.shape
    return values.reshape(n, m // 12, 12).mean(axis=2)


def _publish(rng, sim, catalogue, region_ids, t0):
    """Turn true monthly arrays into published observations, with the mess real data have."""
    n, n_months = sim["population"].shape
    frames = []
    for ind in catalogue.values():
        true = sim.get(ind.id)
        if ind.id == "detected_trafficking":
            # Detected = true incidence thinned by detection, counted over the year.
            monthly = rng.poisson(sim["incidence"] * sim["_detect"] * 0.6)
            per_period = monthly.reshape(n, -1, 12).sum(axis=2).astype("float64")
        elif ind.frequency == "annual":
            per_period = _annual(true)
        elif ind.frequency == "quarterly":
            per_period = true.reshape(n, -1, 3)[:, :, -1]  # end-of-quarter stock
        else:
            per_period = true.copy()
        months = ind.period_months
        n_p = per_period.shape[1]
        if ind.frequency == "annual" and ind.id not in ("transit_exposure", "response_tier",
                                                         "detected_trafficking"):
            per_period = per_period * rng.normal(1, 0.02, per_period.shape)  # measurement noise
        if ind.id in ("state_capacity", "rule_of_law", "corruption_control", "poverty",
                      "unemployment", "protection_coverage", "health_access"):
            per_period = np.round(per_period, 1)
        elif ind.id in ("response_tier",):
            per_period = per_period
        elif ind.id == "transit_exposure":
            per_period = np.round(per_period, 3)
        else:
            per_period = np.round(per_period)
        lo, hi = ind.valid_min, ind.valid_max
        per_period = np.clip(per_period, lo, hi)
        start = t0 + np.arange(n_p) * months
        mask = np.ones_like(per_period, dtype=bool)
        if ind.frequency != "monthly":
            mask &= rng.random(per_period.shape) > 0.04          # scattered gaps
        if ind.id == "poverty":                                   # surveys every 3-5 years
            survey = rng.random(per_period.shape) < 0.28
            mask &= survey
        if ind.id == "corruption_control":                        # two countries start late
            late = np.isin(pd.Series(region_ids).str[:2], ["XC", "XH"])
            mask[late, :5] = False
        r_idx, p_idx = np.nonzero(mask)
        value = per_period[r_idx, p_idx]
        if ind.id == "conflict_deaths":                           # reporting spikes (outliers)
            spike = rng.random(len(value)) < 0.001
            value = np.where(spike, value * 25 + 50, value)
        pstart = start[p_idx]
        end = period_end(pstart, np.full(len(pstart), months))
        lag = ind.publication_lag_days + rng.integers(0, 20, len(pstart))
        published = end + pd.to_timedelta(lag, unit="D")
        frame = pd.DataFrame({
            "region_id": np.asarray(region_ids)[r_idx],
            "indicator": ind.id,
            "period": period_label(pstart, np.full(len(pstart), months)),
            "value": value,
            "published": published,
        })
        if ind.id in ("displaced", "state_capacity"):
            # First estimates come in low for some periods, revised three months later.
            rev = ((rng.random(len(frame)) < (0.05 if ind.id == "displaced" else 0.1))
                   & (frame["value"] > 10).to_numpy())
            first = frame.loc[rev].copy()
            first["value"] = np.round(first["value"] * rng.uniform(0.7, 0.95, rev.sum()), 1)
            frame.loc[rev, "published"] = frame.loc[rev, "published"] + pd.Timedelta(days=91)
            frame = pd.concat([frame, first])
        frames.append(frame)
    obs = pd.concat(frames, ignore_index=True)
    return obs.sort_values(["indicator", "region_id", "period", "published"]).reset_index(drop=True)


def make_demo_world(seed: int = DEMO_SEED, n_regions: int = 150, n_countries: int = 12,
                    start_year: int = 2005, end_year: int = 2025) -> DemoWorld:
    """Generate the demo world (deterministic for a given seed).

    Parameters
    ----------
    seed : int
        Seed of every random draw.
    n_regions : int
        Number of admin-1 regions.
    n_countries : int
        Number of countries (at most 12).
    start_year, end_year : int
        First and last simulated year; months run January to December.

    Returns
    -------
    DemoWorld

    Examples
    --------
    >>> w = make_demo_world(n_regions=30, n_countries=3, start_year=2018, end_year=2020)
    >>> w.regions.crs.to_epsg(), len(w.regions), sorted(w.regions["parent_id"].unique())
    (4326, 30, ['XA', 'XB', 'XC'])
    """
    if not 1 <= n_countries <= len(_COUNTRY_CODES) or n_regions < 2 * n_countries:
        raise ValueError(f"The demo world needs 1-{len(_COUNTRY_CODES)} countries and at least "
                         f"two regions per country; got {n_countries} countries and "
                         f"{n_regions} regions.")
    rng = np.random.default_rng(seed)
    regions, countries, coast_dist = _demo_geography(rng, n_regions, n_countries)
    weights = contiguity(regions)
    country = pd.factorize(regions["parent_id"], sort=True)[0]
    exposure = np.clip(1 - coast_dist / np.percentile(coast_dist, 90), 0, 1)
    n_months = (end_year - start_year + 1) * 12
    sim = _simulate(rng, n_months, country, exposure, weights, keep_drivers=True)
    t0 = start_year * 12
    catalogue = demo_catalogue()
    ids = regions.index.to_numpy()
    observations = _publish(rng, sim, catalogue, ids, t0)
    times = ordinal_to_timestamp(t0 + np.arange(n_months))
    outcome = pd.DataFrame({
        "region_id": np.repeat(ids, n_months),
        "period": np.tile(period_label(t0 + np.arange(n_months), np.ones(n_months, int)),
                          len(ids)),
        "value": sim["surge"].astype(int).ravel(),
    })
    events = _events_table(sim["_events"], ids, t0)
    truth = _Truth(
        hazard_logit=sim["hazard_logit"], static_logit=sim["static_logit"],
        months_since_conflict=sim["months_since_conflict"],
        months_since_disaster=sim["months_since_disaster"],
        drivers={"state_capacity": sim["_capacity_z"], "prevalence": sim["_prevalence"],
                 "transit_exposure": sim["transit_exposure"], "incidence": sim["incidence"],
                 "detection": sim["_detect"]},
        terms=sim["_terms"],
    )
    return DemoWorld(regions, countries, catalogue, observations, outcome, events, times, truth,
                     seed)
