"""Key-leak contract: nothing a candidate's browser receives during an attempt (or in a review
below the "answers" level) carries scoring data, feedback or the items' own choice ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from microcred.exams import candidate, items
from microcred.exams.models import ReviewPolicy
from microcred.exams.services import attempts, authoring
from tests.exams.support import CONTENT, RIGHT, answer_all, published_exam
from tests.exams.test_attempts import ACCESS

FORBIDDEN_KEYS = {
    "scoring",
    "weights",
    "correct",
    "answers",
    "tolerance",
    "pattern",
    "rule",
    "case_sensitive",
    "ignore_whitespace",
    "feedback",
    "solution",
    "fraction",
    "seed",
    "opaque",
    "order",
    "item_version",
    "skills",
}
# Strings that exist only in answer keys and feedback of the test items.
SECRETS = ["t-test", "Alpha is first.", "Beta is second."]


def walk(value: Any, path: str = "$") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "response":
                continue  # the candidate's own answer (checked for opaque ids below)
            if key in FORBIDDEN_KEYS:
                found.append(f"{path}.{key}")
            found.extend(walk(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(walk(item, f"{path}[{index}]"))
    return found


def assert_clean(payload: dict[str, Any], attempt: Any) -> None:
    assert walk(payload) == []
    text = json.dumps(payload)
    for secret in SECRETS:
        assert secret not in text
    real_ids = {"A", "B", "C", "N"}
    for question in payload.get("questions", []):
        response = question.get("response", {})
        pairs = response.get("pairs", {})
        own_ids = [
            response.get("choice"),
            *response.get("choices", []),
            *response.get("order", []),
            *pairs,
            *pairs.values(),
        ]
        opaque_ids = attempt.items.get(slot=question["slot"]).opaque
        assert all(i in opaque_ids for i in own_ids if i is not None)
        for key in ("choices", "premises", "responses"):
            for entry in question.get(key, []):
                assert entry["id"] not in real_ids
                assert entry["id"] in attempt.items.get(slot=question["slot"]).opaque


@pytest.fixture
def exam(world):
    return published_exam(
        world.a.issuer,
        kinds=tuple(items.KINDS),
        review_after_submit=ReviewPolicy.RESPONSES,
        review_after_close=ReviewPolicy.RESPONSES,
    )


def test_the_attempt_page_payload_carries_no_key(world, exam):
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    payload = candidate.attempt_payload(attempt)
    assert {q["kind"] for q in payload["questions"]} == set(items.KINDS)
    assert_clean(payload, attempt)
    # Answered: the saved answers come back in opaque ids, still without any key.
    answer_all(world.learner, attempt, RIGHT)
    payload = candidate.attempt_payload(attempt)
    assert all(q["answered"] for q in payload["questions"] if q["kind"] in RIGHT)
    assert_clean(payload, attempt)


def test_reviews_below_the_answers_level_carry_no_key(world, exam):
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    answer_all(world.learner, attempt, RIGHT)
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    attempt.refresh_from_db()
    review = candidate.review(attempt)
    assert review["level"] == ReviewPolicy.RESPONSES
    marks = [q.pop("fraction") for q in review["questions"]]  # marks are allowed at this level
    assert "1.00000" in marks
    assert_clean(review, attempt)


def test_the_answers_level_shows_solutions_only_after_submission(world):
    exam = published_exam(
        world.a.issuer, kinds=(items.SINGLE,), review_after_submit=ReviewPolicy.ANSWERS
    )
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    assert candidate.review_level(attempt) == ReviewPolicy.NOTHING
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    attempt.refresh_from_db()
    (question,) = candidate.review(attempt)["questions"]
    item = attempt.items.get()
    assert item.opaque[question["solution"]["choice"]] == "choices:A"
    assert question["feedback"] == CONTENT[items.SINGLE]["feedback"]["general"]


def test_score_level_hides_the_questions(world):
    exam = published_exam(
        world.a.issuer,
        kinds=(items.SINGLE,),
        review_after_submit=ReviewPolicy.SCORE,
        review_after_close=ReviewPolicy.SCORE,
    )
    authoring.update_exam(member=world.a.issuer, exam=exam, review_after_submit="nothing")
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    attempt.refresh_from_db()
    review = candidate.review(attempt)
    assert review["level"] == ReviewPolicy.SCORE  # the published version still says "score"
    assert "questions" not in review
    assert review["passed"] is False


def test_competence_is_shown_as_bands(world):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE, items.MULTIPLE))
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    answer_all(world.learner, attempt, {items.SINGLE: RIGHT[items.SINGLE]})
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    attempt.refresh_from_db()
    # Single (weight 1) right, multiple (weight 2) unanswered: a third of the weighted points.
    assert candidate.review(attempt)["competence"] == [
        {"skill": "Statistics", "percent": 33.3, "band": "Not yet shown"}
    ]
    assert [candidate.band(p) for p in (100, 80, 79.9, 50, 0)] == [
        "Proficient",
        "Proficient",
        "Developing",
        "Developing",
        "Not yet shown",
    ]
