"""The trained-model cache of a run: a horizon's model is reused when the same inputs,
specs and package versions trained it before; the others are trained as units of work."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from functools import cache, partial
from importlib import metadata
from pathlib import Path

import pandas as pd

from forewarn.errors import InputError, Problem
from forewarn.flows._config import Config
from forewarn.features._design import origin_rows
from forewarn.flows._pipeline import known_at_origin, rows_from, train, train_horizons
from forewarn.flows._project import input_hashes
from forewarn.flows._trained import Trained

__all__ = ["PACKAGES", "cache_key", "forget_hashes", "hashes_of", "package_versions", "train_cached"]

#: Packages whose versions every manifest records.
PACKAGES = ("forewarn", "numpy", "pandas", "xarray", "scikit-learn", "geopandas", "shapely",
            "pyogrio", "shap", "prefect", "dask", "pyarrow", "skops", "matplotlib")


def cache_key(config: Config, as_of, parts: dict) -> str:
    """Content key of a stage: the inputs' hashes, the as-of date, the specs, the versions."""
    text = json.dumps({"inputs": hashes_of(config), "as_of": str(pd.Timestamp(as_of).date()),
                       "seed": config.seed, "parts": parts,
                       "versions": {p: _version(p) for p in PACKAGES}}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


#: The inputs hashed in this run: ``{config: hashes}`` (see :func:`hashes_of`).
_HASHED: dict = {}


def hashes_of(config: Config) -> dict:
    """:func:`~forewarn.flows._project.input_hashes`, read once per run (:func:`forget_hashes`
    starts a run afresh): a run asks for them for each horizon's cache key and again for its
    manifest, and a grid's cube is hundreds of megabytes to read."""
    try:
        seen = _HASHED.get(config)
    except TypeError:  # a config holding something unhashable: no memo
        return input_hashes(config)
    if seen is None:
        seen = _HASHED[config] = input_hashes(config)
    return dict(seen)


def forget_hashes() -> None:
    """Hash the inputs again when next asked (a new run: the files may have changed)."""
    _HASHED.clear()


def package_versions() -> dict:
    """The version of each of :data:`PACKAGES` (None when not installed)."""
    return {p: _version(p) for p in PACKAGES}


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _model_cache(project, prepared, horizon, model_spec, feature_spec, cache_dir):
    """The cache folder of one horizon's model (None without a cache) and its content key.

    The cache is keyed on content (input file hashes, as-of date, specs, package versions), so a
    run that crashed after training one horizon does not train it again. Models are stored with
    skops and loaded with an explicit list of trusted types, never with pickle.
    """
    key = cache_key(project.config, prepared.as_of, {
        "stage": "train", "horizon": horizon, "features": feature_spec.to_dict(),
        "model": {k: v for k, v in asdict(model_spec).items()
                  if k in ("kind", "additive", "elastic_net", "detection_aware", "target_rule",
                           "surge_factor", "surge_min_excess", "surge_history_months",
                           "train_every")}})
    return (Path(cache_dir) / "models" / key if cache_dir else None), key


def _from_cache(project, prepared, horizon, model_spec, folder, key, progress, origin):
    """The horizon's model from its cache folder, or None when there is none (or it is
    damaged: then it is trained again)."""
    from forewarn.models import load_model

    if folder is None or not (folder / "model.skops").is_file():
        return None
    try:
        recorded = (folder / _KEY_FILE).read_text(encoding="utf-8").strip() \
            if (folder / _KEY_FILE).is_file() else "none"
        if recorded != key:  # a moved or swapped entry must never stand in for this one
            raise InputError(Problem(folder, f"records the key {recorded[:40]!r}, not "
                                     f"{key!r}"))
        model, card = load_model(folder)
        trained = _cached_trained(project, prepared, horizon, model_spec, folder, model, card,
                                  origin)
        trained.saved = folder
        progress.say(f"      {horizon}-month model: reused from the cache ({folder.name})")
        return trained
    except InputError as exc:  # a damaged cache entry is rebuilt, not trusted
        progress.say(f"      cache entry {folder.name} unusable ({exc}); training again")
        return None


def train_cached(project, prepared, horizons, model_spec, feature_spec, cache_dir, progress,
                  cluster):
    """Every horizon's model: from the cache where the same inputs trained it before, the
    others trained as units of work on ``cluster`` and then cached."""
    from forewarn.models import save_model

    trained, todo = {}, {}
    # Every horizon scores the same origin rows: read once (a grid's store holds them in
    # chunks of whole time series).
    origin = cache(partial(origin_rows, prepared.features, prepared.origin))
    for h in horizons:
        folder, key = _model_cache(project, prepared, h, model_spec, feature_spec, cache_dir)
        trained[h] = _from_cache(project, prepared, h, model_spec, folder, key, progress,
                                 origin)
        if trained[h] is None:
            todo[h] = folder, key
    if todo:
        refits = getattr(model_spec, model_spec.kind, {}).get("n_bootstrap")
        progress.say(f"      training the {model_spec.kind} model and "
                     f"{refits if refits is not None else 'its'} bootstrap refits for "
                     f"{_horizons_text(todo)} {_where(cluster)} ...")
        t0 = time.perf_counter()
        trained.update(train_horizons(project, prepared, list(todo), model_spec, cluster))
        for h, (folder, key) in todo.items():
            progress.say(f"      {h}-month horizon: {trained[h].n_rows:,} training "
                         f"rows, {trained[h].n_features} features"
                         + _not_converged(trained[h].model))
            if folder is not None:
                save_model(trained[h].model, folder, trained[h].model_card())
                _write_summary(trained[h], folder)
                (folder / _KEY_FILE).write_text(key + "\n", encoding="utf-8")
                trained[h].saved = folder
        progress.say(f"      trained in {time.perf_counter() - t0:.1f} s")
    return trained


def _cached_trained(project, prepared, horizon, model_spec, folder, model, card,
                    origin) -> Trained:
    """The Trained of a cached model: its origin rows, and what the flow reads of its training
    rows (the card, the features' ranges, the row counts) from the cache entry, so the
    training rows are not built again (on the 65,000-cell grid 1.9 million rows per horizon,
    read from the run's store); they are rebuilt only if something asks for them. An entry
    written before the summary was kept builds the design as the fit did, once: its summary
    is then written. ``origin()`` gives the origin rows (read once for all horizons)."""
    summary = _read_summary(folder)
    if summary is None:
        trained = train(project, prepared, horizon, model_spec, project.config.seed, fit=False)
        trained.model = model
        _write_summary(trained, folder)
        return trained
    trained = Trained(horizon, model, origin().copy(), known_at_origin(project, prepared),
                      summary["n_unknown"], n_rows=card.n_rows, n_features=len(card.features),
                      card=card, ranges=summary["ranges"])
    rows_from({horizon: trained}, project, prepared, model_spec)
    return trained


#: The file in each cached model's folder with what the flow reads of its training rows.
_SUMMARY_FILE = "training_summary.json"


def _write_summary(trained: Trained, folder: Path) -> None:
    """Write the training rows' summary that :func:`_cached_trained` reads (floats as JSON
    numbers, which Python writes and reads back exactly; NaN for a never-observed feature)."""
    ranges = trained.feature_ranges()
    text = json.dumps({"n_unknown": int(trained.n_unknown),
                       "columns": [str(c) for c in ranges.columns],
                       "min": [float(v) for v in ranges.loc["min"]],
                       "max": [float(v) for v in ranges.loc["max"]]})
    (folder / _SUMMARY_FILE).write_text(text + "\n", encoding="utf-8")


def _read_summary(folder: Path) -> dict | None:
    """The summary :func:`_write_summary` wrote, None when the entry has none (then the
    rows are built again).

    Raises
    ------
    forewarn.errors.InputError
        The file does not parse as a summary (the caller then trains again).
    """
    path = folder / _SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        ranges = pd.DataFrame([raw["min"], raw["max"]], index=["min", "max"],
                              columns=raw["columns"], dtype=float)
        return {"n_unknown": int(raw["n_unknown"]), "ranges": ranges}
    except KeyError as exc:
        why = f"it lacks {exc}"
    except (ValueError, TypeError) as exc:
        why = str(exc)
    raise InputError(Problem(path, f"is not a training summary as forewarn writes it ({why})"))


def _horizons_text(horizons) -> str:
    return "the " + ", ".join(f"{h}" for h in horizons) + "-month horizon" + \
        ("s" if len(horizons) > 1 else "")


def _where(cluster) -> str:
    """Where units run, in words (for the progress lines)."""
    if cluster.client is None:
        return "in this process"
    return f"on {cluster.workers} Dask worker{'s' if cluster.workers != 1 else ''}"


#: The file in each cached model's folder that records the key it was trained for.
_KEY_FILE = "cache_key.txt"


def _not_converged(model) -> str:
    """A note on fits that stopped at max_iter (said once here, not as scikit-learn warnings)."""
    n = getattr(model, "n_not_converged_", 0)
    return (f"; {n} fit{'s' if n != 1 else ''} stopped at max_iter before converging (usable; "
            "raise max_iter in [model.elastic_net] for a tighter fit)" if n else "")
