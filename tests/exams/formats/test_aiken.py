"""Aiken importer: single-choice questions, skips with reasons and lines, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.exams import items
from microcred.exams.formats import aiken
from microcred.exams.formats.base import MAX_IMPORT_BYTES, FormatError, Skipped
from microcred.exams.items import score, validate_response

GOOD = "Two plus two?\nA. Three\nB. Four\nANSWER: B\n"


def choice(choice_id: str, text: str, *, fixed: bool = False) -> dict:
    return {"id": choice_id, "text": text, "fixed": fixed}


def test_one_question_becomes_a_single_choice_item():
    report = aiken.parse(
        "What is the correct answer to this question?\n"
        "A. Is it this one?\n"
        "B. Maybe this answer?\n"
        "C) Possibly this one?\n"
        "D) Must be this one!\n"
        "ANSWER: D\n"
    )
    assert report.format == "aiken"
    assert report.skipped == []
    [item] = report.items
    assert item.kind == items.SINGLE
    assert item.title == "What is the correct answer to this question?"
    assert item.stem == "What is the correct answer to this question?"
    assert item.interaction == {
        "choices": [
            choice("A", "Is it this one?"),
            choice("B", "Maybe this answer?"),
            choice("C", "Possibly this one?"),
            choice("D", "Must be this one!"),
        ],
        "shuffle": True,
    }
    assert item.scoring == {"weights": {"D": 1.0}}
    assert item.feedback == {"general": "", "choices": {}}
    assert item.category == ""
    assert item.source == "line 1"


def test_imported_item_scores_through_the_item_model():
    [item] = aiken.parse(GOOD).items
    for response, expected in [({"choice": "B"}, 1.0), ({"choice": "A"}, 0.0), ({}, 0.0)]:
        cleaned = validate_response(item.kind, item.interaction, response)
        assert score(item.kind, item.scoring, cleaned) == expected


def test_several_questions_with_or_without_blank_lines_and_their_sources():
    report = aiken.parse(
        "\n"
        "First?\n"
        "A. yes\n"
        "B. no\n"
        "ANSWER: A\n"
        "Second?\n"
        "A) x\n"
        "B) y\n"
        "ANSWER: b\n"
        "\n"
        "\n"
        "Third?\n"
        "\n"
        "A. p\n"
        "B. q\n"
        "ANSWER:A\n"
    )
    assert report.skipped == []
    assert [(i.stem, i.scoring, i.source) for i in report.items] == [
        ("First?", {"weights": {"A": 1.0}}, "line 2"),
        ("Second?", {"weights": {"B": 1.0}}, "line 6"),
        ("Third?", {"weights": {"A": 1.0}}, "line 12"),
    ]


def test_question_text_over_several_lines():
    [item] = aiken.parse(
        "Consider the code below.\nWhat does it print?\nA. 1\nB. 2\nANSWER: A"
    ).items
    assert item.stem == "Consider the code below.\nWhat does it print?"
    assert item.title == "Consider the code below. What does it print?"


def test_long_question_title_is_cut_to_60_characters():
    stem = "Q" * 80
    [item] = aiken.parse(f"{stem}\nA. a\nB. b\nANSWER: A").items
    assert item.title == "Q" * 60
    assert item.stem == stem


def test_all_of_the_above_stays_in_place_when_shuffled():
    [item] = aiken.parse("Which?\nA. Red\nB. Blue\nC. All of the above.\nANSWER: C").items
    assert item.interaction["choices"] == [
        choice("A", "Red"),
        choice("B", "Blue"),
        choice("C", "All of the above.", fixed=True),
    ]


def test_missing_answer_line_skips_that_question_only():
    report = aiken.parse("No answer?\nA. a\nB. b\n\n" + GOOD)
    assert report.skipped == [Skipped("line 1", "no 'ANSWER:' line after the options")]
    assert [(i.stem, i.source) for i in report.items] == [("Two plus two?", "line 5")]


def test_missing_answer_at_the_end_of_the_file():
    report = aiken.parse(GOOD + "Unfinished?\nA. a\nB. b\n")
    assert report.skipped == [Skipped("line 5", "no 'ANSWER:' line after the options")]
    assert len(report.items) == 1


def test_answer_letter_that_is_not_an_option():
    report = aiken.parse("Pick?\nA. a\nB. b\nANSWER: E\n\n" + GOOD)
    assert report.skipped == [Skipped("line 1", "ANSWER E on line 4 is not an option (A to B)")]
    assert len(report.items) == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("ANSWER:", "ANSWER on line 4 must be one letter, not 'nothing'"),
        ("ANSWER: AB", "ANSWER on line 4 must be one letter, not 'AB'"),
        ("ANSWER: 1", "ANSWER on line 4 must be one letter, not '1'"),
        ("ANSWER: é", "ANSWER on line 4 must be one letter, not 'é'"),
    ],
)
def test_answer_must_be_one_letter(answer, reason):
    report = aiken.parse(f"Pick?\nA. a\nB. b\n{answer}\n\n{GOOD}")
    assert report.skipped == [Skipped("line 1", reason)]
    assert len(report.items) == 1


def test_fewer_than_two_options():
    report = aiken.parse("Lonely?\nA. only\nANSWER: A\n\nEmpty?\nANSWER: A\n\n" + GOOD)
    assert report.skipped == [
        Skipped("line 1", "fewer than 2 options (found 1)"),
        Skipped("line 5", "fewer than 2 options (found 0)"),
    ]
    assert len(report.items) == 1


def test_options_and_answers_outside_a_question():
    report = aiken.parse("A. stray\nB) stray\nANSWER: A\n\n" + GOOD + "ANSWER: A\n")
    assert report.skipped == [
        Skipped("line 1", "option A. is outside a question"),
        Skipped("line 2", "option B) is outside a question"),
        Skipped("line 3", "ANSWER line is outside a question"),
        Skipped("line 9", "ANSWER line is outside a question"),
    ]
    assert [i.source for i in report.items] == ["line 5"]


def test_options_out_of_order():
    report = aiken.parse("Order?\nA. a\nC. c\nANSWER: A\n\n" + GOOD)
    assert report.skipped == [Skipped("line 1", "option C on line 3 is out of order (expected B)")]
    assert len(report.items) == 1


def test_answer_keyword_in_the_wrong_case():
    report = aiken.parse("Case?\nA. a\nB. b\nAnswer: A\n" + GOOD)
    assert report.skipped == [Skipped("line 1", "'Answer:' on line 4 must be written 'ANSWER:'")]
    assert [i.source for i in report.items] == ["line 5"]


def test_text_without_options_before_a_question():
    report = aiken.parse("Chapter 1 quiz\n\n" + GOOD)
    assert report.skipped == [Skipped("line 1", "no options and no 'ANSWER:' line")]
    assert [i.source for i in report.items] == ["line 3"]


def test_option_lines_need_a_space_after_the_letter():
    # "A.b" is not an option, so it ends the question text and starts a new one.
    report = aiken.parse("Q?\nA. a\nA.b\nB. b\nANSWER: A\n")
    assert report.skipped == [
        Skipped("line 1", "no 'ANSWER:' line after the options"),
        Skipped("line 3", "option B on line 4 is out of order (expected A)"),
    ]


def test_crlf_bom_and_bytes_input():
    report = aiken.parse("\ufeffQ?\r\nA. a\r\nB. b\r\nANSWER: B\r\n".encode())
    assert [(i.stem, i.scoring, i.source) for i in report.items] == [
        ("Q?", {"weights": {"B": 1.0}}, "line 1")
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "no questions found"),
        ("Just some prose.\n\nAnd more prose.\n", "no questions found"),
        (b"Q?\nA. a\nB. b\nANSWER: A\x00", "NUL"),
        (b"Q?\xff\nA. a\nB. b\nANSWER: A", "not UTF-8"),
        (b"x" * (MAX_IMPORT_BYTES + 1), "larger than"),
        ("Q?\ud800", "not valid Unicode"),
    ],
)
def test_whole_file_problems_raise_format_error(data, message):
    with pytest.raises(FormatError, match=message):
        aiken.parse(data)


def test_a_file_of_only_malformed_questions_reports_them():
    report = aiken.parse("Q?\nA. a\nB. b\n")
    assert report.items == []
    assert report.skipped == [Skipped("line 1", "no 'ANSWER:' line after the options")]


@pytest.mark.parametrize(
    "hostile",
    [
        "{" * 500_000,
        "A. " * 300_000,
        "Q?\n" + "A. x\n" * 200_000 + "ANSWER: A",
        "ANSWER: A\n" * 100_000,
        "x" * 1_000_000,
        GOOD * 2_000,  # more items than one import may hold
    ],
)
def test_hostile_input_returns_or_raises_format_error(hostile):
    try:
        report = aiken.parse(hostile)
    except FormatError:
        return
    assert report.format == "aiken"


AIKEN_ALPHABET = st.sampled_from(list("ABCDE.) \n\t:NSWRabé?1")) | st.characters()


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(AIKEN_ALPHABET, max_size=300) | st.text(max_size=300) | st.binary(max_size=300))
def test_random_input_gives_a_report_or_a_format_error(data):
    try:
        report = aiken.parse(data)
    except FormatError:
        return
    assert report.format == "aiken"
    for item in report.items:
        assert item.kind == items.SINGLE
        assert item.source.startswith("line ")
