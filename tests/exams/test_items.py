"""The canonical item model: authoring validation, response validation and scoring per kind."""

from __future__ import annotations

import pytest

from microcred.exams import items
from microcred.exams.items import ItemError, score, validate_item, validate_response

ABC = [{"id": "A", "text": "Alpha"}, {"id": "B", "text": "Beta"}, {"id": "C", "text": "Gamma"}]


def make(kind: str, interaction: dict, scoring: dict) -> tuple[dict, dict]:
    cleaned_interaction, cleaned_scoring, _ = validate_item(kind, interaction, scoring)
    return cleaned_interaction, cleaned_scoring


def graded(kind: str, interaction: dict, scoring: dict, response: dict) -> float | None:
    cleaned_interaction, cleaned_scoring = make(kind, interaction, scoring)
    return score(kind, cleaned_scoring, validate_response(kind, cleaned_interaction, response))


# -- single choice -----------------------------------------------------------------------------


def test_single_choice_scores_the_key_and_partial_weights():
    key = {"weights": {"A": 1, "B": 0.5}}
    assert graded(items.SINGLE, {"choices": ABC}, key, {"choice": "A"}) == 1.0
    assert graded(items.SINGLE, {"choices": ABC}, key, {"choice": "B"}) == 0.5
    assert graded(items.SINGLE, {"choices": ABC}, key, {"choice": "C"}) == 0.0
    assert graded(items.SINGLE, {"choices": ABC}, key, {}) == 0.0
    assert graded(items.SINGLE, {"choices": ABC}, {"correct": "C"}, {"choice": "C"}) == 1.0


def test_a_negative_weight_never_takes_the_item_below_zero():
    key = {"weights": {"A": 1, "C": -0.5}}
    assert graded(items.SINGLE, {"choices": ABC}, key, {"choice": "C"}) == 0.0


@pytest.mark.parametrize(
    ("interaction", "scoring", "message"),
    [
        ({"choices": ABC[:1]}, {"correct": "A"}, "2 to 50 entries"),
        ({"choices": [*ABC, {"id": "A", "text": "dup"}]}, {"correct": "A"}, "id 'A' twice"),
        ({"choices": ABC}, {"correct": "Z"}, "'Z', which is not a choice"),
        ({"choices": ABC}, {"weights": {"A": 0.5}}, "weight 1"),
        ({"choices": ABC}, {"weights": {"A": 2}}, "between -1 and 1"),
        ({"choices": [{"id": "A b", "text": "x"}, ABC[1]]}, {"correct": "B"}, "needs an id"),
        ({"choices": [{"id": "A", "text": " "}, ABC[1]]}, {"correct": "B"}, "text is empty"),
        ({"choices": ABC}, {}, "needs the correct choice"),
    ],
)
def test_single_choice_authoring_errors_are_precise(interaction, scoring, message):
    with pytest.raises(ItemError, match=message):
        validate_item(items.SINGLE, interaction, scoring)


def test_pinned_choices_are_kept():
    interaction, _ = make(
        items.SINGLE,
        {"choices": [*ABC, {"id": "N", "text": "None of the above", "fixed": True}]},
        {"correct": "N"},
    )
    assert [c["fixed"] for c in interaction["choices"]] == [False, False, False, True]


# -- multiple response --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "partial", "all_or_nothing"),
    [
        (["A", "B"], 1.0, 1.0),
        (["A"], 0.5, 0.0),
        (["A", "B", "C"], 0.5, 0.0),  # one right choice too many costs half
        (["A", "C"], 0.0, 0.0),
        (["C"], 0.0, 0.0),  # floored at zero
        ([], 0.0, 0.0),
    ],
)
def test_multiple_response_rules(chosen, partial, all_or_nothing):
    for rule, expected in (("partial", partial), ("all_or_nothing", all_or_nothing)):
        key = {"correct": ["A", "B"], "rule": rule}
        assert graded(items.MULTIPLE, {"choices": ABC}, key, {"choices": chosen}) == expected


def test_multiple_response_weights_like_qti_map_response():
    key = {"rule": "weights", "weights": {"A": 0.5, "B": 0.5, "C": -1}}
    assert graded(items.MULTIPLE, {"choices": ABC}, key, {"choices": ["A", "B"]}) == 1.0
    assert graded(items.MULTIPLE, {"choices": ABC}, key, {"choices": ["A", "C"]}) == 0.0
    with pytest.raises(ItemError, match="add up to 1"):
        validate_item(items.MULTIPLE, {"choices": ABC}, {"rule": "weights", "weights": {"A": 0.4}})


def test_multiple_response_rejects_unknown_choices_in_answers():
    interaction, _ = make(items.MULTIPLE, {"choices": ABC}, {"correct": ["A"]})
    with pytest.raises(ItemError, match="not this question's"):
        validate_response(items.MULTIPLE, interaction, {"choices": ["A", "Z"]})


# -- true / false, numeric, short text -----------------------------------------------------------


def test_true_false():
    assert graded(items.TRUE_FALSE, {}, {"correct": False}, {"value": False}) == 1.0
    assert graded(items.TRUE_FALSE, {}, {"correct": False}, {"value": True}) == 0.0
    with pytest.raises(ItemError, match="true or false"):
        validate_response(items.TRUE_FALSE, {}, {"value": "false"})
    with pytest.raises(ItemError, match="correct value"):
        validate_item(items.TRUE_FALSE, {}, {"correct": "yes"})


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("3.14", 1.0),
        ("3,14159", 1.0),  # decimal comma accepted
        ("3.2", 1.0),  # inside the tolerance (0.1)
        ("3.25", 0.5),  # inside the 1..5 range worth half
        ("0.5", 0.0),
        ("pi", 0.0),  # not a number: an answer, scored 0
        ("1e400", 0.0),  # a huge exponent parses exactly and is far outside both answers
        ("  3.14  ", 1.0),
        ("1e999999999999", 0.0),  # would overflow decimal arithmetic: out of range, scored 0
        ("-0", 0.0),
    ],
)
def test_numeric_exact_tolerance_and_range(answer, expected):
    key = {
        "answers": [
            {"value": "3.14", "tolerance": "0.1"},
            {"min": 1, "max": 5, "fraction": 0.5},
        ]
    }
    assert graded(items.NUMERIC, {}, key, {"value": answer}) == expected


def test_numeric_exact_means_zero_tolerance():
    key = {"answers": [{"value": 42}]}
    assert graded(items.NUMERIC, {}, key, {"value": "42.0"}) == 1.0
    assert graded(items.NUMERIC, {}, key, {"value": "42.0001"}) == 0.0


def test_numeric_authoring_errors():
    with pytest.raises(ItemError, match="minimum is above the maximum"):
        validate_item(items.NUMERIC, {}, {"answers": [{"min": 5, "max": 1}]})
    with pytest.raises(ItemError, match="tolerance cannot be negative"):
        validate_item(items.NUMERIC, {}, {"answers": [{"value": 1, "tolerance": -1}]})
    with pytest.raises(ItemError, match="must be a finite number"):
        validate_item(items.NUMERIC, {}, {"answers": [{"value": "NaN"}]})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Paris", 1.0),
        ("  paris ", 1.0),  # case and surrounding space ignored by default
        ("PARIS", 1.0),
        ("par is", 0.0),
        ("Lutetia Parisiorum", 0.5),  # pattern answer
        ("lutetia   parisiorum", 0.5),  # inner whitespace collapsed
        ("", 0.0),
        ("London", 0.0),
    ],
)
def test_short_text_accepted_answers_and_patterns(given, expected):
    key = {
        "answers": [
            {"text": "Paris"},
            {"pattern": r"lutetia( parisiorum)?", "fraction": 0.5},
        ]
    }
    assert graded(items.SHORT_TEXT, {}, key, {"text": given}) == expected


def test_short_text_case_sensitive_and_unicode_normal_forms():
    key = {"answers": [{"text": "Café"}], "case_sensitive": True}
    assert graded(items.SHORT_TEXT, {}, key, {"text": "Cafe\u0301"}) == 1.0  # NFD = NFC
    assert graded(items.SHORT_TEXT, {}, key, {"text": "café"}) == 0.0
    with pytest.raises(ItemError, match="not a valid regular expression"):
        validate_item(items.SHORT_TEXT, {}, {"answers": [{"pattern": "("}]})


def test_short_text_pattern_must_match_the_whole_answer():
    key = {"answers": [{"pattern": "cat"}]}
    assert graded(items.SHORT_TEXT, {}, key, {"text": "concatenate"}) == 0.0


# -- ordering and matching ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "partial", "all_or_nothing"),
    [
        (["A", "B", "C"], 1.0, 1.0),
        (["B", "A", "C"], 0.5, 0.0),  # A<B broken, B<C kept
        (["C", "B", "A"], 0.0, 0.0),
        (["A", "C", "B"], 0.5, 0.0),
    ],
)
def test_ordering_rules(order, partial, all_or_nothing):
    for rule, expected in (("partial", partial), ("all_or_nothing", all_or_nothing)):
        key = {"order": ["A", "B", "C"], "rule": rule}
        assert graded(items.ORDERING, {"choices": ABC}, key, {"order": order}) == expected


def test_ordering_answers_must_list_every_entry_once():
    interaction, _ = make(items.ORDERING, {"choices": ABC}, {"order": ["A", "B", "C"]})
    with pytest.raises(ItemError, match="exactly once"):
        validate_response(items.ORDERING, interaction, {"order": ["A", "A", "C"]})
    with pytest.raises(ItemError, match="every choice exactly once"):
        validate_item(items.ORDERING, {"choices": ABC}, {"order": ["A", "B"]})


MATCH = {
    "premises": [{"id": "p1", "text": "H2O"}, {"id": "p2", "text": "NaCl"}],
    "responses": [{"id": "r1", "text": "water"}, {"id": "r2", "text": "salt"}],
}


def test_matching_partial_and_all_or_nothing():
    key = {"pairs": {"p1": "r1", "p2": "r2"}}
    assert graded(items.MATCHING, MATCH, key, {"pairs": {"p1": "r1", "p2": "r2"}}) == 1.0
    assert graded(items.MATCHING, MATCH, key, {"pairs": {"p1": "r1", "p2": "r1"}}) == 0.5
    assert graded(items.MATCHING, MATCH, key, {"pairs": {"p1": "r1"}}) == 0.5
    strict = {**key, "rule": "all_or_nothing"}
    assert graded(items.MATCHING, MATCH, strict, {"pairs": {"p1": "r1"}}) == 0.0
    with pytest.raises(ItemError, match="every premise"):
        validate_item(items.MATCHING, MATCH, {"pairs": {"p1": "r1"}})
    with pytest.raises(ItemError, match="not a response"):
        validate_item(items.MATCHING, MATCH, {"pairs": {"p1": "r1", "p2": "r9"}})


# -- manual kinds --------------------------------------------------------------------------------


def test_essays_and_files_are_graded_by_people():
    assert graded(items.ESSAY, {}, {}, {"text": "An answer"}) is None
    assert graded(items.FILE, {}, {}, {"upload": 7}) is None
    with pytest.raises(ItemError, match="attach a file"):
        validate_response(items.FILE, {"accept": [".pdf"], "max_mb": 5}, {"upload": "x"})
    with pytest.raises(ItemError, match="extensions"):
        validate_item(items.FILE, {"accept": ["pdf"]}, {})


def test_unknown_kinds_and_malformed_parts_are_refused():
    with pytest.raises(ItemError, match="unknown item kind"):
        validate_item("hotspot", {}, {})
    with pytest.raises(ItemError, match="must be objects"):
        validate_item(items.SINGLE, [], {})
    with pytest.raises(ItemError, match="names 'Z', which is not a choice"):
        validate_item(items.SINGLE, {"choices": ABC}, {"correct": "A"}, {"choices": {"Z": "?"}})
    with pytest.raises(ItemError, match="must be an object"):
        validate_response(items.SINGLE, {"choices": ABC}, ["A"])


def test_every_kind_has_a_label_and_every_auto_kind_a_scorer():
    assert set(items.KIND_LABELS) == set(items.KINDS)
    assert set(items._SCORERS) == set(items.KINDS) - items.MANUAL_KINDS
