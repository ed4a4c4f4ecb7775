"""Save and load fitted models without pickle, with a model card that says what they are for."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import skops.io

from forewarn.errors import InputError, Problem
from forewarn.models._detection import DetectionAwareLogit
from forewarn.models._estimators import AdditiveBoosting, ElasticNetLogit
from forewarn.models._validation import REGION, TIME, level_values

__all__ = ["ModelCard", "make_model_card", "save_model", "load_model", "TRUSTED_TYPES"]

#: File names inside a model folder.
MODEL_FILE = "model.skops"
CARD_FILE = "model_card.json"

#: Types a model file may hold beyond those skops trusts by default (scikit-learn estimators,
#: numpy arrays, builtins). Anything else in a file is refused before it is loaded. The names
#: are the module paths written into saved files: moving a model class to another module would
#: make the files saved before unloadable.
TRUSTED_TYPES = (
    "forewarn.models._detection.DetectionAwareLogit",
    "forewarn.models._estimators.AdditiveBoosting",
    "forewarn.models._estimators.ElasticNetLogit",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

_INTENDED_USE = (
    "A statistical early-warning signal for anti-trafficking preparedness: ranks regions by the "
    "probability of the modelled outcome over the forecast horizon so planners can look first "
    "where risk is highest."
)
_MODELS = (ElasticNetLogit, AdditiveBoosting, DetectionAwareLogit)
_LIMITS = (
    "Not a finding about any community or person; aggregated data only.",
    "Detected-trafficking outcomes measure detection as much as trafficking.",
    "Valid for the features, regions and period it was trained on; refit when they change.",
    "Intervals show how much the probability depends on the training regions, not the chance "
    "of the event.",
)


@dataclass(frozen=True)
class ModelCard:
    """What a saved model is, what it was trained on, how well it did and what it is not for.

    Parameters
    ----------
    model : str
        Class name of the estimator.
    params : dict
        Its hyper-parameters, as JSON values.
    features : tuple of str
        Feature names, in column order.
    training_start, training_end : str or None
        First and last time of the training rows (ISO dates), None when X had no ``time``
        level.
    n_rows : int
        Training rows. [rows]
    n_regions : int or None
        Distinct regions in the training rows, None without a ``region`` level. [regions]
    event_rate : float
        Share of training rows with the event. [-]
    metrics : dict of str to float
        Measured performance, e.g. pooled backtest metrics. [as named]
    intended_use : str
    limits : tuple of str
    created : str
        When the card was made (ISO 8601, UTC).
    versions : dict of str to str
        Versions of forewarn, scikit-learn, numpy and skops that wrote the model.
    sha256 : str
        SHA-256 of the model file, written by :func:`save_model` and checked by
        :func:`load_model`.
    """

    model: str
    params: dict
    features: tuple
    training_start: str | None
    training_end: str | None
    n_rows: int
    n_regions: int | None
    event_rate: float
    metrics: dict = field(default_factory=dict)
    intended_use: str = _INTENDED_USE
    limits: tuple = _LIMITS
    created: str = ""
    versions: dict = field(default_factory=dict)
    sha256: str = ""

    def to_json(self) -> str:
        """The card as indented JSON."""
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str, where="model card") -> ModelCard:
        """Read a card written by :meth:`to_json`.

        Raises
        ------
        forewarn.errors.InputError
            The text is not JSON or lacks fields / names unknown ones.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(Problem(where, f"is not valid JSON ({exc}); restore it from the "
                                     "run that saved the model.")) from None
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, dict):
            raise InputError(Problem(where, "holds no JSON object; restore it from the run that "
                                     "saved the model."))
        problems = [Problem(where, f"names unknown field '{k}'.", column=k)
                    for k in sorted(set(data) - names)]
        problems += [Problem(where, f"lacks the field '{k}'.", column=k)
                     for k in sorted(names - set(data))]
        if problems:
            raise InputError(problems)
        data["features"] = tuple(data["features"])
        data["limits"] = tuple(data["limits"])
        return cls(**data)


def make_model_card(model, X, y, *, metrics=None, intended_use=_INTENDED_USE, limits=_LIMITS,
                    time=None) -> ModelCard:
    """Describe a fitted model and its training data.

    Parameters
    ----------
    model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
        The fitted model.
    X : DataFrame
        Its training features (index levels ``region`` and ``time`` give the window).
    y : array-like
        Its training outcomes, 0 or 1.
    metrics : dict of str to float, optional
        Measured performance to record (e.g. ``BacktestResult.table().loc["model"]``).
    intended_use : str, optional
        Replaces the default statement of intended use.
    limits : tuple of str, optional
        Replaces the default list of limits.
    time : array-like, optional
        Time of each row when X has no ``time`` level.
    """
    times = level_values(X, TIME) if time is None else np.asarray(time)
    regions = level_values(X, REGION)
    features = getattr(model, "feature_names_in_", None)
    if features is None:
        features = [f"x{j}" for j in range(model.n_features_in_)]
    return ModelCard(
        model=type(model).__name__,
        params=_jsonable(model.get_params()),
        features=tuple(str(f) for f in features),
        training_start=None if times is None else _iso(times.min()),
        training_end=None if times is None else _iso(times.max()),
        n_rows=len(X),
        n_regions=None if regions is None else len(np.unique(regions.astype(str))),
        event_rate=float(np.mean(np.asarray(y) == model.classes_[1])),
        metrics={str(k): float(v) for k, v in (metrics or {}).items()},
        intended_use=intended_use,
        limits=tuple(limits),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        versions={name: _version(name) for name in ("forewarn", "scikit-learn", "numpy", "skops")},
    )


def save_model(model, folder, card: ModelCard, *, saved_in=None) -> Path:
    """Write ``model.skops`` and ``model_card.json`` (with the file's SHA-256) into ``folder``.

    Parameters
    ----------
    model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
    folder : path-like
        Created when missing.
    card : ModelCard
        Its ``sha256`` is set to the written file's.
    saved_in : path-like, optional
        A folder where ``save_model`` wrote this same model before (a cache entry): its
        ``model.skops`` is copied, not written again (serialising a boosted model with its
        refits takes seconds). The caller vouches that it holds ``model``.

    Returns
    -------
    Path
        The folder.
    """
    if not isinstance(model, _MODELS):
        raise InputError(Problem("save_model", f"got a {type(model).__name__}; only "
                                 "ElasticNetLogit, AdditiveBoosting and DetectionAwareLogit "
                                 "models are saved."))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / MODEL_FILE
    source = Path(saved_in) / MODEL_FILE if saved_in is not None else None
    if source is not None and source.is_file():
        shutil.copyfile(source, model_path)
    else:
        skops.io.dump(model, model_path)
    card = dataclasses.replace(card, sha256=_sha256(model_path))
    (folder / CARD_FILE).write_text(card.to_json() + "\n", encoding="utf-8")
    return folder


def load_model(folder):
    """Load a model saved by :func:`save_model`, refusing anything it cannot vouch for.

    The model file must match the SHA-256 in its card, and may hold only the types that skops
    trusts by default plus :data:`TRUSTED_TYPES`; nothing is unpickled.

    Returns
    -------
    model : ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit
    card : ModelCard

    Raises
    ------
    forewarn.errors.InputError
        A file is missing, the card does not parse, the model file was changed after it was
        saved, holds types outside the trusted list, or is not a model file.
    """
    folder = Path(folder)
    model_path, card_path = folder / MODEL_FILE, folder / CARD_FILE
    for path in (model_path, card_path):
        if not path.is_file():
            raise InputError(Problem(path, "not found; a model folder holds model.skops and "
                                     "model_card.json as written by save_model."))
    card = ModelCard.from_json(card_path.read_text(encoding="utf-8"), where=card_path)
    if _sha256(model_path) != card.sha256:
        raise InputError(Problem(
            model_path, "does not match the SHA-256 recorded in model_card.json: the file was "
            "changed after it was saved. Do not load it; save the model again from training."))
    try:
        found = skops.io.get_untrusted_types(file=model_path)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(Problem(model_path, f"is not a skops model file ({exc}); save the model "
                                 "again with save_model.")) from None
    unexpected = sorted(set(found) - set(TRUSTED_TYPES))
    if unexpected:
        raise InputError(Problem(
            model_path, f"holds types forewarn does not trust: {', '.join(unexpected)}. It was "
            "not loaded; only ElasticNetLogit, AdditiveBoosting and DetectionAwareLogit models "
            "written by "
            "save_model are accepted."))
    model = skops.io.load(model_path, trusted=list(found))
    if not isinstance(model, _MODELS):
        raise InputError(Problem(model_path, f"holds a {type(model).__name__}, not an "
                                 "ElasticNetLogit, AdditiveBoosting or DetectionAwareLogit "
                                 "model."))
    return model, card


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _iso(value) -> str:
    """A time label as text: an ISO date for datetimes, else as written."""
    value = np.asarray(value)
    if np.issubdtype(value.dtype, np.datetime64):
        return str(np.datetime_as_string(value, unit="D"))
    return str(value)


def _jsonable(value):
    """Parameters as JSON values: tuples and arrays become lists, numpy scalars Python numbers."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
