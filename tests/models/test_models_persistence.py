"""Saving and loading models without pickle; tampered files are refused."""

import copy
import json

import numpy as np
import pytest
import skops.io

from forewarn.errors import InputError
from forewarn.models import ModelCard, load_model, make_model_card, save_model


@pytest.fixture
def saved(tmp_path, fitted, panel):
    X, y, _ = panel
    card = make_model_card(fitted, X, y, metrics={"roc_auc": 0.8})
    return save_model(fitted, tmp_path / "model", card)


def test_round_trip_keeps_predictions_and_card(saved, fitted, panel):
    X, _, _ = panel
    model, card = load_model(saved)
    np.testing.assert_array_equal(model.decision_function(X), fitted.decision_function(X))
    np.testing.assert_array_equal(model.predict_interval(X[:5]), fitted.predict_interval(X[:5]))
    assert card.model == type(fitted).__name__
    assert card.features == ("a", "b", "c", "n1", "n2")
    assert (card.training_start, card.training_end) == ("2015-01-01", "2017-12-01")
    assert card.n_rows == 1440 and card.n_regions == 40
    assert card.metrics == {"roc_auc": 0.8}
    assert card.params["random_state"] == 0 and len(card.sha256) == 64
    assert card.limits and "preparedness" in card.intended_use
    data = json.loads((saved / "model_card.json").read_text())
    assert data["versions"]["scikit-learn"]


def test_a_changed_model_file_is_refused(saved):
    path = saved / "model.skops"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="model.skops: does not match the SHA-256 recorded in "
                                         "model_card.json: the file was changed"):
        load_model(saved)


class Intruder:
    """A type no trusted list names."""


def test_a_file_with_untrusted_types_is_refused_even_with_a_matching_card(saved, fitted):
    import hashlib

    fitted_copy = copy.deepcopy(fitted)
    fitted_copy.intruder_ = Intruder()
    path = saved / "model.skops"
    skops.io.dump(fitted_copy, path)
    card_path = saved / "model_card.json"
    card = json.loads(card_path.read_text())
    card["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    card_path.write_text(json.dumps(card))
    with pytest.raises(InputError, match="holds types forewarn does not trust: "
                                         ".*test_models_persistence.Intruder. It was not loaded"):
        load_model(saved)


def test_a_file_that_is_not_a_model_is_refused(saved):
    import hashlib

    path = saved / "model.skops"
    path.write_bytes(b"not a zip file")
    card_path = saved / "model_card.json"
    card = json.loads(card_path.read_text())
    card["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    card_path.write_text(json.dumps(card))
    with pytest.raises(InputError, match="is not a skops model file"):
        load_model(saved)


def test_missing_files_and_bad_cards(saved, tmp_path):
    with pytest.raises(InputError, match="model.skops: not found; a model folder holds"):
        load_model(tmp_path / "nowhere")
    card_path = saved / "model_card.json"
    card_path.write_text("{not json")
    with pytest.raises(InputError, match="model_card.json: is not valid JSON"):
        load_model(saved)
    card_path.write_text(json.dumps({"model": "x", "colour": "red"}))
    with pytest.raises(InputError, match="names unknown field 'colour'") as caught:
        load_model(saved)
    assert "lacks the field 'features'" in str(caught.value)
    card_path.write_text("[1, 2]")
    with pytest.raises(InputError, match="holds no JSON object"):
        load_model(saved)


def test_card_round_trips_through_json(fitted, panel):
    X, y, _ = panel
    card = make_model_card(fitted, X, y, limits=("only for tests",))
    again = ModelCard.from_json(card.to_json())
    assert again == card and again.limits == ("only for tests",)


def test_only_forewarn_models_are_saved(tmp_path, panel):
    from sklearn.linear_model import LogisticRegression

    X, y, _ = panel
    other = LogisticRegression().fit(X.fillna(0), y)
    with pytest.raises(InputError, match="got a LogisticRegression; only ElasticNetLogit, "
                                         "AdditiveBoosting and DetectionAwareLogit models are "
                                         "saved"):
        save_model(other, tmp_path, None)


def test_a_model_saved_before_is_copied_and_recognised_as_the_same(saved, fitted, panel,
                                                                     tmp_path):
    """Publishing a model from its cache entry copies the entry's file (``saved_in``); the
    change since the last run then knows the previous run's model is this one."""
    from forewarn.flows._run import _same_file

    X, y, _ = panel
    card = make_model_card(fitted, X, y)
    copied = save_model(fitted, tmp_path / "run", card, saved_in=saved)
    assert (copied / "model.skops").read_bytes() == (saved / "model.skops").read_bytes()
    model, loaded = load_model(copied)  # the card holds the copy's checksum
    np.testing.assert_array_equal(model.decision_function(X), fitted.decision_function(X))
    assert _same_file(copied, saved) and not _same_file(copied, None)
    other = save_model(copy.deepcopy(fitted).set_params(random_state=1), tmp_path / "other",
                       card)
    assert not _same_file(other, saved)
    assert not _same_file(copied, tmp_path / "missing")
