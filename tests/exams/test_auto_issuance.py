"""Requirements → credential: passing the named exam issues the signed credential, exactly once,
with the score and per-skill competence as OB3 results; failing issues nothing."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from microcred.exams.services import attempts
from microcred.issuance import requirements
from microcred.issuance.models import IssuedCredential
from microcred.issuance.services import revoke_credential
from microcred.issuance.verification import verify
from tests.conftest import publish_achievement
from tests.exams.support import RIGHT, answer_all, published_exam
from tests.exams.test_attempts import ACCESS

# publish_achievement's definition requires at least 70 % in "Final exam".


@pytest.fixture
def take(world, django_capture_on_commit_callbacks):
    """Start, answer and submit; the after-commit work (issuance) runs as in production."""

    def _take(exam, answers, candidate=None):
        candidate = candidate or world.learner
        attempt = attempts.start_attempt(candidate=candidate, exam=exam, access=ACCESS)
        answer_all(candidate, attempt, answers)
        with django_capture_on_commit_callbacks(execute=True):
            return attempts.submit_attempt(candidate=candidate, attempt_id=attempt.pk)

    return _take


def test_passing_the_exam_issues_the_credential_with_results(world, settings, take):
    settings.PUBLIC_URL = "https://creds.example.org"
    achievement = publish_achievement(world.a.issuer)
    exam = published_exam(world.a.issuer, title="Final exam")
    attempt = take(exam, RIGHT)
    credential = IssuedCredential.objects.get(achievement=achievement, recipient=world.learner)
    assert credential.auto_issue_key == f"{achievement.pk}:{world.learner.pk}"
    subject = credential.document["credentialSubject"]
    results = {r["value"] for r in subject["result"]}
    assert "100" in results
    names = [d["name"] for d in subject["achievement"]["resultDescription"]]
    assert names == ["Final exam", "Statistics (competence)"]
    assert credential.document["evidence"][0]["narrative"].startswith("Passed the exam")
    assert f"urn:microcred:attempt:{attempt.pk}" == credential.document["evidence"][0]["id"]
    assert verify(credential.document).verdict == "valid"


def test_failing_issues_nothing_and_progress_says_what_is_missing(world, take):
    achievement = publish_achievement(world.a.issuer)
    exam = published_exam(world.a.issuer, title="Final exam")
    take(exam, {"single": RIGHT["single"]})  # 1 of 7: 14 %
    assert not IssuedCredential.objects.filter(achievement=achievement).exists()
    (entry,) = requirements.progress(world.learner, achievement)
    assert entry.met is False
    assert entry.detail == "14.29 % (needs 70 %)"


def test_an_exam_with_another_name_does_not_count(world, take):
    achievement = publish_achievement(world.a.issuer)
    take(published_exam(world.a.issuer, title="Mock exam"), RIGHT)
    assert not IssuedCredential.objects.filter(achievement=achievement).exists()
    (entry,) = requirements.progress(world.learner, achievement)
    assert entry.detail == "No graded attempt yet."


def test_issued_at_most_once_even_after_revocation(world, take):
    achievement = publish_achievement(world.a.issuer)
    exam = published_exam(world.a.issuer, title="Final exam")
    take(exam, RIGHT)
    credential = IssuedCredential.objects.get(achievement=achievement)
    assert (
        requirements.issue_if_met(candidate=world.learner, achievement=achievement, trigger="test")
        == credential
    )
    revoke_credential(member=world.a.issuer, credential=credential, reason="Cheating")
    take(exam, RIGHT)  # a second pass after revocation
    assert IssuedCredential.objects.filter(achievement=achievement).count() == 1


def test_another_organizations_exam_never_counts(world, take):
    achievement = publish_achievement(world.a.issuer)
    take(published_exam(world.b.issuer, title="Final exam"), RIGHT)
    assert not IssuedCredential.objects.filter(achievement=achievement).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL; SQLite serializes writers",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_triggers_issue_exactly_one_credential(world):
    achievement = publish_achievement(world.a.issuer)
    exam = published_exam(world.a.issuer, title="Final exam")
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    answer_all(world.learner, attempt, RIGHT)
    # Grading issues the credential at once; remove it, then fire the triggering event from
    # many threads together.
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    IssuedCredential.objects.filter(achievement=achievement).delete()
    barrier = threading.Barrier(12)
    results, errors = [], []

    def fire() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(
                requirements.issue_if_met(
                    candidate=world.learner, achievement=achievement, trigger="race"
                )
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert IssuedCredential.objects.filter(achievement=achievement).count() == 1
    assert len({credential.pk for credential in results}) == 1
    assert Decimal(results[0].results[0]["value"]) == Decimal(100)


def test_a_prerequisite_issued_by_hand_completes_a_pathway(
    world, django_capture_on_commit_callbacks
):
    from microcred.achievements import services as achievement_services
    from microcred.achievements.services import RequirementData, SkillData
    from tests.conftest import complete_content, issue

    basics = publish_achievement(world.a.issuer, title="Basics")
    pathway = achievement_services.create_achievement(
        member=world.a.issuer,
        content=complete_content(title="Advanced"),
        skills=[SkillData("Statistics")],
        requirements=[RequirementData("credential_held", prerequisite_id=basics.pk)],
    )
    achievement_services.publish_version(member=world.a.issuer, version=pathway.draft_version())
    with django_capture_on_commit_callbacks(execute=True):
        issue(world.a.issuer, basics, world.learner.email)
    held = IssuedCredential.objects.filter(recipient=world.learner)
    assert sorted(held.values_list("achievement_version__title", flat=True)) == [
        "Advanced",
        "Basics",
    ]
    assert held.get(achievement_version__title="Advanced").auto_issue_key


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and concurrent transactions need PostgreSQL; SQLite serializes writers",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_make_one_attempt(world):
    from microcred.exams.models import Attempt

    exam = published_exam(world.a.issuer, title="Race")
    barrier = threading.Barrier(8)
    started, errors = [], []

    def start() -> None:
        try:
            barrier.wait(timeout=10)
            started.append(
                attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS).pk
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(set(started)) == 1
    assert Attempt.objects.filter(candidate=world.learner).count() == 1
