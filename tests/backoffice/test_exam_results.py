"""Back office: an exam's attempts (with integrity signals) and its item analysis."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from microcred.accounts.models import User
from microcred.backoffice.views.exams import item_analysis
from microcred.exams import items
from microcred.exams.models import Attempt, AttemptState, Exam, ItemVersion
from microcred.exams.services import attempts
from microcred.exams.services.attempts import Access
from tests.conftest import World, make_user
from tests.exams.support import RIGHT, answer_all, published_exam

from .helpers import query_count, text, url

KINDS = (items.SINGLE, items.MULTIPLE, items.TRUE_FALSE)
WRONG = {
    items.SINGLE: {"choice": "B"},
    items.MULTIPLE: {"choices": ["B"]},
    items.TRUE_FALSE: {"value": True},
}


def take(
    exam: Exam, candidate: User, answers: dict[str, dict[str, Any]], *, signal: str = ""
) -> Attempt:
    attempt = attempts.start_attempt(candidate=candidate, exam=exam, access=Access(ip="192.0.2.1"))
    answer_all(candidate, attempt, answers)
    if signal:
        attempts.record_signal(
            candidate=candidate, attempt_id=attempt.pk, kind=signal, detail="left the page"
        )
    return attempts.submit_attempt(candidate=candidate, attempt_id=attempt.pk)


@pytest.fixture
def exam(world: World) -> Exam:
    return published_exam(world.a.issuer, kinds=KINDS, pass_mark_percent=50)


@pytest.fixture
def taken(world: World, exam: Exam) -> list[Attempt]:
    """Four candidates: all right, single right only, all wrong (flagged), multiple right only."""
    plans = [
        ({k: RIGHT[k] for k in KINDS}, ""),
        ({items.SINGLE: RIGHT[items.SINGLE], **{k: WRONG[k] for k in KINDS[1:]}}, ""),
        (dict(WRONG), "tab_hidden"),
        ({items.MULTIPLE: RIGHT[items.MULTIPLE], items.SINGLE: WRONG[items.SINGLE]}, ""),
    ]
    done = []
    for n, (answers, signal) in enumerate(plans):
        candidate = make_user(f"candidate{n}@example.test", f"Candidate {n}")
        done.append(take(exam, candidate, answers, signal=signal))
    return done


def test_results_list_attempts_with_integrity_flags(
    world: World, login: Any, exam: Exam, taken: list[Attempt]
) -> None:
    response = login(world.a.issuer.user).get(url("exam_results", world.a.slug, exam.pk))

    assert response.status_code == 200
    page = text(response)
    assert "4 attempts" in page
    for n in range(4):
        assert f"candidate{n}@example.test" in page
    assert all(a.state == AttemptState.GRADED for a in taken)
    assert "100.00 %" in page
    assert "Passed" in page
    assert "Not passed" in page
    assert page.count("Flagged for review") == 1
    assert "integrity.tab_hidden: left the page" in page


def test_item_analysis_is_shown_per_item_version(
    world: World, login: Any, exam: Exam, taken: list[Attempt]
) -> None:
    response = login(world.a.issuer.user).get(url("exam_results", world.a.slug, exam.pk))
    summary, rows = response.context["summary"], response.context["rows"]

    assert summary.n_attempts == 4
    keys = {row["analysis"].key for row in rows}
    versions = {str(v.pk): v for v in ItemVersion.objects.filter(pk__in=[int(k) for k in keys])}
    assert {v.kind for v in versions.values()} == set(KINDS)
    by_kind = {row["version"].kind: row for row in rows}
    # Single choice: right for candidates 0 and 1 out of four.
    single = by_kind[items.SINGLE]["analysis"]
    assert single.n == 4
    assert single.facility == pytest.approx(0.5)
    distractors = {d["text"]: d for d in by_kind[items.SINGLE]["distractors"]}
    assert distractors["Alpha"]["count"] == 2
    assert distractors["Alpha"]["correct"] is True
    assert distractors["Beta"]["count"] == 2
    assert distractors["Gamma"]["count"] == 0
    assert any("distractor" in flag for flag in single.flags)
    page = text(response)
    assert "Reliability (Cronbach's alpha)" in page
    assert '<meter min="0" max="1"' in page
    assert "provisional" in page
    assert "style=" not in page


def test_analysis_uses_first_attempts_only(world: World, exam: Exam) -> None:
    candidate = make_user("again@example.test")
    take(exam, candidate, dict(WRONG))
    take(exam, candidate, {k: RIGHT[k] for k in KINDS})
    summary, rows = item_analysis(exam)
    assert summary.n_attempts == 1
    assert {row["analysis"].facility for row in rows} == {0.0}


def test_results_without_attempts(world: World, login: Any, exam: Exam) -> None:
    page = text(login(world.a.issuer.user).get(url("exam_results", world.a.slug, exam.pk)))
    assert "No attempts yet." in page
    assert "No graded attempts yet." in page


def test_results_query_count_does_not_grow_with_attempts(
    world: World, login: Any, exam: Exam
) -> None:
    client = login(world.a.issuer.user)
    path = url("exam_results", world.a.slug, exam.pk)
    take(exam, make_user("one@example.test"), dict(WRONG), signal="paste")
    few = query_count(client, path)
    for n in range(3):
        take(exam, make_user(f"more{n}@example.test"), dict(RIGHT), signal="tab_hidden")
    assert query_count(client, path) == few


# -- tenancy and roles -----------------------------------------------------------------------


def test_results_tenancy_and_roles(
    world: World, login: Any, exam: Exam, taken: list[Attempt]
) -> None:
    path = url("exam_results", world.a.slug, exam.pk)
    assert login(world.a.issuer.user).get(path).status_code == 200
    assert login(world.a.owner.user).get(path).status_code == 200
    for role in ("owner", "admin", "issuer", "assessor"):
        assert login(world.b.member(role).user).get(path).status_code == 404
    assert login(world.stranger).get(path).status_code == 404
    assert login(world.learner).get(path).status_code == 404
    # A's exam through B's own address.
    other = login(world.b.issuer.user).get(url("exam_results", world.b.slug, exam.pk))
    assert other.status_code == 404
    denied = login(world.a.assessor.user).get(path)
    assert denied.status_code == 403
    assert "Your role (Assessor) does not allow this." in text(denied)
    anonymous = Client().get(path)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/accounts/login/?next={path}"
