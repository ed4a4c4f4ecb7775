"""The error model functions raise."""

import copy

from forewarn.errors import InputError
from forewarn.models import ModelInputError


def test_model_errors_are_input_errors_and_value_errors_that_copy():
    error = ModelInputError("TimeOrderedSplit", "something is off")
    assert isinstance(error, InputError) and isinstance(error, ValueError)
    again = copy.deepcopy(error)
    assert type(again) is ModelInputError and str(again) == "TimeOrderedSplit: something is off"
