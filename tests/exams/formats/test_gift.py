"""GIFT importer: every question kind, the escapes and markers, skips with reasons, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microcred.exams import items
from microcred.exams.formats import gift
from microcred.exams.formats.base import MAX_IMPORT_BYTES, FormatError, ImportedItem, Skipped
from microcred.exams.items import score, validate_response


def only(text: str) -> ImportedItem:
    report = gift.parse(text)
    assert report.skipped == []
    assert len(report.items) == 1
    return report.items[0]


def skipped(text: str) -> list[Skipped]:
    report = gift.parse(text)
    assert report.items == []
    return report.skipped


def graded(item: ImportedItem, response: dict) -> float | None:
    return score(item.kind, item.scoring, validate_response(item.kind, item.interaction, response))


def choice(choice_id: str, text: str) -> dict:
    return {"id": choice_id, "text": text, "fixed": False}


NO_FEEDBACK = {"general": "", "choices": {}}


# -- single choice -----------------------------------------------------------------------------


def test_single_choice_with_weights_feedback_and_general_feedback():
    item = only(
        "::Tomb:: Who is buried in Grant's tomb?{\n"
        "  ~Grant#No, he is entombed.\n"
        "  =no one#Right.\n"
        "  ~%50%nobody at all\n"
        "  ####Entombed is not buried.\n"
        "}\n"
    )
    assert item.kind == items.SINGLE
    assert item.title == "Tomb"
    assert item.stem == "Who is buried in Grant's tomb?"
    assert item.interaction == {
        "choices": [choice("A", "Grant"), choice("B", "no one"), choice("C", "nobody at all")],
        "shuffle": True,
    }
    assert item.scoring == {"weights": {"A": 0.0, "B": 1.0, "C": 0.5}}
    assert item.feedback == {
        "general": "Entombed is not buried.",
        "choices": {"A": "No, he is entombed.", "B": "Right."},
    }
    assert item.source == "line 1"
    assert item.category == ""


def test_single_choice_scores_through_the_item_model():
    item = only("Pick one {=right ~%50%half ~wrong ~%-50%harmful}")
    assert item.scoring == {"weights": {"A": 1.0, "B": 0.5, "C": 0.0, "D": -0.5}}
    assert graded(item, {"choice": "A"}) == 1.0
    assert graded(item, {"choice": "B"}) == 0.5
    assert graded(item, {"choice": "C"}) == 0.0
    assert graded(item, {"choice": "D"}) == 0.0  # a score never goes below 0
    assert graded(item, {}) == 0.0


def test_choice_ids_follow_file_order_past_z():
    answers = " ".join(["=c0"] + [f"~c{n}" for n in range(1, 28)])
    item = only(f"Many {{{answers}}}")
    ids = [c["id"] for c in item.interaction["choices"]]
    assert ids[:3] == ["A", "B", "C"]
    assert ids[25:] == ["Z", "AA", "AB"]


def test_title_defaults_to_the_first_60_characters_of_the_text():
    stem = "A question text that is clearly longer than sixty characters, so it gets cut."
    item = only(stem + "{=yes ~no}")
    assert item.title == stem[:60]
    assert item.stem == stem


def test_missing_word_question_keeps_text_before_and_after_the_blank():
    item = only("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert item.kind == items.SINGLE
    assert item.stem == "Grant is _____ in Grant's tomb."
    assert item.scoring == {"weights": {"A": 0.0, "B": 1.0, "C": 0.0}}


def test_missing_word_short_answer_at_the_start():
    item = only("{=Paris} is the capital of France.")
    assert item.kind == items.SHORT_TEXT
    assert item.stem == "_____ is the capital of France."


# -- multiple response -------------------------------------------------------------------------


def test_multiple_response_with_percent_weights_becomes_fractions():
    item = only("Which are primes?{\n  ~%50%2#yes\n  ~%50%3\n  ~%-100%4#not prime\n  ~%-33.5%1\n}")
    assert item.kind == items.MULTIPLE
    assert item.interaction["choices"] == [
        choice("A", "2"),
        choice("B", "3"),
        choice("C", "4"),
        choice("D", "1"),
    ]
    assert item.scoring == {
        "rule": items.WEIGHTS,
        "weights": {"A": 0.5, "B": 0.5, "C": -1.0, "D": -0.335},
    }
    assert item.feedback == {"general": "", "choices": {"A": "yes", "C": "not prime"}}
    assert graded(item, {"choices": ["A", "B"]}) == 1.0
    assert graded(item, {"choices": ["A"]}) == 0.5
    assert graded(item, {"choices": ["A", "B", "C"]}) == 0.0


def test_multiple_response_weights_must_add_up_to_100_percent():
    assert skipped("Pick {~%50%a ~%30%b ~c}") == [
        Skipped(
            "line 1",
            "the positive weights of a multiple-response question add up to 80%, not 100%",
        )
    ]


def test_weights_outside_100_percent_are_refused():
    assert skipped("Pick {=a ~%150%b}") == [
        Skipped("line 1", "the weight %150% is outside -100% to 100%")
    ]
    assert skipped("Pick {=a ~%1.2.3%b}") == [
        Skipped("line 1", "the weight %1.2.3% is not a number")
    ]


# -- true / false ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "correct"),
    [("T", True), ("TRUE", True), ("F", False), ("FALSE", False), ("true", True), ("f", False)],
)
def test_true_false_keys(key, correct):
    item = only(f"The sun is a star.{{{key}}}")
    assert item.kind == items.TRUE_FALSE
    assert item.stem == "The sun is a star."
    assert item.interaction == {}
    assert item.scoring == {"correct": correct}
    assert item.feedback == NO_FEEDBACK
    assert graded(item, {"value": correct}) == 1.0
    assert graded(item, {"value": not correct}) == 0.0


def test_true_false_feedback_is_wrong_then_right():
    item = only("Grant was buried.{FALSE#He was entombed.#Correct, entombed.####See Wikipedia.}")
    assert item.scoring == {"correct": False}
    assert item.feedback == {
        "general": "See Wikipedia.",
        "choices": {"true": "He was entombed.", "false": "Correct, entombed."},
    }
    item = only("Water is wet.{T#No.#Yes.}")
    assert item.feedback["choices"] == {"true": "Yes.", "false": "No."}


# -- short answer ------------------------------------------------------------------------------


def test_short_answer_with_weights_and_feedback():
    item = only("Capital of France?{=Paris#Right. =%50%Lutetia#Old name. =paris city}")
    assert item.kind == items.SHORT_TEXT
    assert item.interaction == {"max_length": 200}
    assert item.scoring == {
        "answers": [
            {"text": "Paris", "fraction": 1.0},
            {"text": "Lutetia", "fraction": 0.5},
            {"text": "paris city", "fraction": 1.0},
        ],
        "case_sensitive": False,
        "ignore_whitespace": True,
    }
    assert item.feedback == {"general": "", "choices": {"1": "Right.", "2": "Old name."}}
    assert graded(item, {"text": " PARIS "}) == 1.0
    assert graded(item, {"text": "lutetia"}) == 0.5
    assert graded(item, {"text": "Berlin"}) == 0.0


def test_short_answer_without_equals_sign_is_one_answer():
    item = only("Two plus two, in words?{four}")
    assert item.scoring["answers"] == [{"text": "four", "fraction": 1.0}]


def test_short_answer_negative_weight_is_refused_by_the_item_model():
    assert skipped("Q?{=a =%-50%b}") == [
        Skipped("line 1", "accepted answer 2 fraction must be between 0 and 1")
    ]


# -- numeric -----------------------------------------------------------------------------------


def test_numeric_value_and_tolerance():
    item = only("When was Grant born?{#1822:5}")
    assert item.kind == items.NUMERIC
    assert item.interaction == {"unit": ""}
    assert item.scoring == {"answers": [{"value": "1822", "tolerance": "5", "fraction": 1.0}]}
    assert graded(item, {"value": "1826"}) == 1.0
    assert graded(item, {"value": "1828"}) == 0.0


def test_numeric_range_and_exact_value():
    item = only("Between one and five?{#1..5}")
    assert item.scoring == {"answers": [{"min": "1", "max": "5", "fraction": 1.0}]}
    assert graded(item, {"value": "4.5"}) == 1.0
    assert graded(item, {"value": "5.5"}) == 0.0
    item = only("Negative range {#-5..-1}")
    assert item.scoring == {"answers": [{"min": "-5", "max": "-1", "fraction": 1.0}]}
    item = only("Pi to two places {#3.14}")
    assert item.scoring == {"answers": [{"value": "3.14", "tolerance": "0", "fraction": 1.0}]}


def test_numeric_several_weighted_answers_with_feedback():
    item = only(
        "How many?{#\n  =3:0#Exactly.\n  =%50%3:1#Close.\n  ~#Count again.\n  ####Three.\n}"
    )
    assert item.scoring == {
        "answers": [
            {"value": "3", "tolerance": "0", "fraction": 1.0},
            {"value": "3", "tolerance": "1", "fraction": 0.5},
        ]
    }
    assert item.feedback == {
        "general": "Three.",
        "choices": {"1": "Exactly.", "2": "Close.", "*": "Count again."},
    }
    assert graded(item, {"value": "3"}) == 1.0
    assert graded(item, {"value": "2"}) == 0.5
    assert graded(item, {"value": "7"}) == 0.0


def test_numeric_problems_are_skipped_with_reasons():
    assert skipped("No answer {#}") == [
        Skipped("line 1", "a numeric question needs at least one answer after '#'")
    ]
    assert skipped("Not a number {#abc}") == [
        Skipped("line 1", "accepted answer 1 value must be a number")
    ]
    assert skipped("Reversed range {#5..1}") == [
        Skipped("line 1", "accepted answer 1: the minimum is above the maximum")
    ]


# -- matching ----------------------------------------------------------------------------------


def test_matching_pairs_share_identical_answers_and_keep_distractors():
    item = only(
        "Match the countries with their continents.{\n"
        "  =France -> Europe\n"
        "  =Italy -> Europe\n"
        "  =Japan -> Asia\n"
        "  = -> Antarctica\n"
        "}"
    )
    assert item.kind == items.MATCHING
    assert item.interaction == {
        "premises": [choice("A", "France"), choice("B", "Italy"), choice("C", "Japan")],
        "responses": [choice("R1", "Europe"), choice("R2", "Asia"), choice("R3", "Antarctica")],
        "shuffle": True,
    }
    assert item.scoring == {"pairs": {"A": "R1", "B": "R1", "C": "R2"}, "rule": items.PARTIAL}
    assert item.feedback == NO_FEEDBACK
    assert graded(item, {"pairs": {"A": "R1", "B": "R1", "C": "R2"}}) == 1.0
    assert graded(item, {"pairs": {"A": "R1", "B": "R2", "C": "R3"}}) == pytest.approx(1 / 3)


def test_matching_needs_two_pairs_and_arrows():
    assert skipped("Match {=a -> b}") == [
        Skipped("line 1", "a matching question needs at least 2 pairs '=premise -> answer'")
    ]
    assert skipped("Match {=a -> b =c}") == [Skipped("line 1", "the pair 'c' has no '->'")]
    assert skipped("Match {=a -> x =b -> x}") == [
        Skipped("line 1", "a matching question needs at least 2 different answers")
    ]
    assert skipped("Match {=a -> x =b -> }") == [
        Skipped("line 1", "the pair 'b ->' has no answer after '->'")
    ]


# -- essay and description ---------------------------------------------------------------------


def test_essay_with_and_without_general_feedback():
    item = only("Describe your last project.{}")
    assert item.kind == items.ESSAY
    assert item.interaction == {"expected_lines": 10}
    assert item.scoring == {"rubric": None}
    assert item.feedback == NO_FEEDBACK
    assert graded(item, {"text": "It went well."}) is None
    item = only("Explain recursion.{####See recursion.}")
    assert item.kind == items.ESSAY
    assert item.feedback == {"general": "See recursion.", "choices": {}}


def test_description_is_skipped_and_the_rest_imports():
    report = gift.parse("Read the following carefully.\n\nThe sky is blue.{T}\n")
    assert report.skipped == [Skipped("line 1", "description, not a question")]
    assert [i.stem for i in report.items] == ["The sky is blue."]
    assert report.items[0].source == "line 3"


# -- comments, categories, titles, escapes, markers --------------------------------------------


def test_comments_and_categories():
    report = gift.parse(
        "// A file comment.\n"
        "// Only comments: not a question.\n"
        "\n"
        "$CATEGORY: $course$/top/Geography\n"
        "\n"
        "// comment before a question\n"
        "Capital of Italy?{=Rome ~Milan}\n"
        "\n"
        "$CATEGORY: History\n"
        "When did WW2 end?{#1945}\n"
        "\n"
        "Grant was president.{\n"
        "// a comment inside the answer block\n"
        "T}\n"
    )
    assert report.skipped == []
    assert [(i.stem, i.category, i.source) for i in report.items] == [
        ("Capital of Italy?", "$course$/top/Geography", "line 7"),
        ("When did WW2 end?", "History", "line 10"),
        ("Grant was president.", "History", "line 12"),
    ]


def test_title_is_taken_from_double_colons_with_escapes():
    item = only("::Ratio 1\\:2:: What is half of 2?{=1 ~2}")
    assert item.title == "Ratio 1:2"
    assert item.stem == "What is half of 2?"


def test_unclosed_title_is_skipped():
    assert skipped("::Title What is it?{T}") == [
        Skipped("line 1", "the title opened with '::' on line 1 is not closed with '::'")
    ]


def test_escaped_specials_are_text_everywhere():
    item = only(
        "Which is a set \\{1, 2\\} in \\#math\\: a \\= b \\~ c?\\nNew line.{\n"
        "  =\\{1\\}#Right\\: it is\\~\n"
        "  ~1 \\= 1\n"
        "}"
    )
    assert item.stem == "Which is a set {1, 2} in #math: a = b ~ c?\nNew line."
    assert item.interaction["choices"] == [choice("A", "{1}"), choice("B", "1 = 1")]
    assert item.feedback["choices"] == {"A": "Right: it is~"}


def test_double_backslash_is_one_literal_backslash_and_does_not_escape():
    item = only("Path C:\\\\temp\\\\ {=yes ~no}")
    assert item.stem == "Path C:\\temp\\"
    item = only("A backslash \\\\{=yes ~no}")
    assert item.stem == "A backslash \\"


@pytest.mark.parametrize("marker", ["[html]", "[plain]", "[markdown]", "[moodle]"])
def test_format_markers_are_removed_and_text_kept(marker):
    item = only(f"::T::{marker}Is **this** <b>bold</b>?{{=yes#{marker}<i>Yes</i> ~no}}")
    assert item.stem == "Is **this** <b>bold</b>?"
    assert item.interaction["choices"][0]["text"] == "yes"
    assert item.feedback["choices"] == {"A": "<i>Yes</i>"}


def test_html_is_kept_as_is_and_the_default_title_is_plain_text():
    item = only("[html]<p>Is <b>5 &gt; 3</b>?</p>{T}")
    assert item.stem == "<p>Is <b>5 &gt; 3</b>?</p>"
    assert item.title == "Is 5 > 3 ?"
    # Without a marker "<" is just text.
    assert only("Is 3 < 4 and 5 > 2?{T}").title == "Is 3 < 4 and 5 > 2?"


def test_crlf_bom_and_bytes_input():
    data = "\ufeff// c\r\n\r\nFirst?{T}\r\n\r\nSecond?{F}\r\n".encode()
    report = gift.parse(data)
    assert [(i.stem, i.source) for i in report.items] == [
        ("First?", "line 3"),
        ("Second?", "line 5"),
    ]


# -- malformed questions -----------------------------------------------------------------------


def test_brace_errors_skip_only_that_question_with_its_line():
    report = gift.parse(
        "Good one?{T}\n"
        "\n"
        "Unclosed {=a ~b\n"
        "\n"
        "Stray } brace {T}\n"
        "\n"
        "Nested {=a\n"
        "~{b}\n"
        "\n"
        "Two blocks {=a ~b} and {T}\n"
        "\n"
        "Closing only }\n"
        "\n"
        "Last one?{F}\n"
    )
    assert [i.stem for i in report.items] == ["Good one?", "Last one?"]
    assert report.skipped == [
        Skipped("line 3", "'{' on line 3 is not closed with '}'"),
        Skipped("line 5", "'}' on line 5 has no matching '{'"),
        Skipped(
            "line 7",
            "'{' on line 8 is inside the answer block opened on line 7 "
            "(write a literal brace as \\{)",
        ),
        Skipped(
            "line 10",
            "'{' on line 10 follows the answer block; a question has one {…} block "
            "(write a literal brace as \\{ or \\})",
        ),
        Skipped("line 12", "'}' on line 12 has no matching '{'"),
    ]


def test_blank_line_inside_an_answer_block_splits_the_question():
    # As in Moodle, a blank line ends a question, so the block is left open.
    report = gift.parse("Question?{\n=a\n\n~b}\n")
    assert report.skipped == [
        Skipped("line 1", "'{' on line 1 is not closed with '}'"),
        Skipped("line 4", "'}' on line 4 has no matching '{'"),
    ]


def test_choice_block_problems():
    assert skipped("One answer {~only}") == [
        Skipped("line 1", "a multiple-choice question needs at least 2 answers")
    ]
    assert skipped("Lead text {oops ~a =b}") == [
        Skipped("line 1", "the answer 'oops' must start with '=' or '~'")
    ]
    assert skipped("Empty choice {=a ~}") == [Skipped("line 1", "choices entry 2 text is empty")]
    many = " ".join(["=a"] + ["~b"] * 50)
    assert skipped(f"Too many {{{many}}}") == [
        Skipped("line 1", "a multiple-choice question has more than 50 answers")
    ]


def test_question_without_text_is_skipped():
    assert skipped("::Only a title::{T}") == [Skipped("line 1", "the question text is empty")]


# -- whole-file problems and hostile input -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "no questions found"),
        ("// only a comment\n", "no questions found"),
        ("Just prose.\n\nMore prose.\n", "no questions found"),
        ("$CATEGORY: x\n", "no questions found"),
        (b"Q?{T}\x00", "NUL"),
        (b"Q?{T}\xff\xfe", "not UTF-8"),
        (b"x" * (MAX_IMPORT_BYTES + 1), "larger than"),
        ("Q?\ud800", "not valid Unicode"),
    ],
)
def test_whole_file_problems_raise_format_error(data, message):
    with pytest.raises(FormatError, match=message):
        gift.parse(data)


def test_noncharacters_in_the_input_cannot_pose_as_escapes():
    item = only("Tricky \ufdd0\ufdd3 text?{=a ~b}")
    assert item.stem == "Tricky \ufffd\ufffd text?"


@pytest.mark.parametrize(
    "hostile",
    [
        "{" * 500_000,
        "}" * 500_000,
        "Q {" + "~" * 500_000 + "}",
        "Q {" + "=a -> b " * 100_000 + "}",
        "Q {#" + "=" * 500_000 + "}",
        "::" * 500_000,
        "\\" * 1_000_000,
        "Q {=a ~%" + "9" * 500_000 + "%b}",
        "[html]" + "<" * 500_000 + "{T}",
        "Q?{T}\n\n" * 100_000,
        ("a" * 1_000 + "\n") * 1_000,
    ],
)
def test_hostile_input_returns_or_raises_format_error(hostile):
    try:
        report = gift.parse(hostile)
    except FormatError:
        return
    assert report.format == "gift"


GIFT_ALPHABET = st.sampled_from(list("{}~=#:%->.\\/ \n\tTFab1$[]<")) | st.characters()


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(GIFT_ALPHABET, max_size=300) | st.text(max_size=300) | st.binary(max_size=300))
def test_random_input_gives_a_report_or_a_format_error(data):
    try:
        report = gift.parse(data)
    except FormatError:
        return
    assert report.format == "gift"
    for item in report.items:
        assert item.kind in items.KINDS
        assert item.source.startswith("line ")
