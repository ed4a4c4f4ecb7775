"""The one "did you mean" helper: cut-off, prefix fallback and wording."""

from forewarn._match import CUTOFF, closest, did_you_mean


def test_closest_finds_a_misspelling_and_nothing_for_an_unrelated_word():
    assert closest("horizon", ["horizons", "as_of"]) == ["horizons"]
    assert closest("displacd", ["refugees", "displaced", "population"]) == ["displaced"]
    assert closest("qqq", ["horizons", "as_of"]) == []


def test_closest_uses_one_cutoff():
    # "abcd" against "abxy" has ratio 0.5 (< CUTOFF), against "abcx" 0.75 (>= CUTOFF).
    assert CUTOFF == 0.6
    assert closest("abcd", ["abxy"]) == []
    assert closest("abcd", ["abcx"]) == ["abcx"]


def test_closest_offers_a_truncated_name_by_prefix():
    assert closest("surge", ["kind", "surge_history_months"]) == ["surge_history_months"]
    assert closest("", ["kind"]) == []
    assert closest("kind", []) == []


def test_closest_compares_options_as_text_and_ignores_repeats():
    assert closest(101, [100, 101, 101, 7]) == ["101"]
    assert closest("AB0", ["AB01", "AB01", "AB02"], n=3) == ["AB01", "AB02"]


def test_did_you_mean_wording():
    assert did_you_mean("lag", ["lags", "changes"]) == " Did you mean 'lags'?"
    assert did_you_mean("modle", ["model", "index"], brackets=True) == " Did you mean [model]?"
    assert did_you_mean("AB0", ["AB01", "AB02", "XY"], n=2) == " Did you mean 'AB01' or 'AB02'?"
    assert did_you_mean("AB0", ["AB01", "AB02", "AB03"], n=3) == \
        " Did you mean 'AB01', 'AB02' or 'AB03'?"
    assert did_you_mean("zzz", ["lags"]) == ""


def test_unknown_fields_name_each_unknown_key_with_a_hint_and_the_list():
    from forewarn._match import unknown_fields

    problems = unknown_fields(["lag", "lags", "zzz"], ["lags", "changes"], "config [features]",
                              "unknown field", "Fields")
    assert [p.message for p in problems] == [
        "unknown field 'lag'. Did you mean 'lags'? Fields: lags, changes.",
        "unknown field 'zzz'. Fields: lags, changes.",
    ]
    assert [p.column for p in problems] == ["lag", "zzz"]
    assert unknown_fields(["lags"], ["lags"], "x", "unknown field") == []
    assert unknown_fields(["lag"], ["lags"], "x", "unknown field")[0].message == \
        "unknown field 'lag'. Did you mean 'lags'?"
