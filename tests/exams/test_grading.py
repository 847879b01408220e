"""Marking essays and projects (rubrics, blind and double marking, disagreement rules,
comments), approved projects as requirements, and regrading after a key fix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from microcred.core.errors import DomainError, NotFound, PermissionDenied
from microcred.exams import candidate, items
from microcred.exams.models import AttemptState, Item, ItemVersion, RegradeReview, ReviewPolicy
from microcred.exams.services import attempts, authoring, banks, grading, regrade
from microcred.issuance.models import IssuedCredential
from tests.conftest import make_user, publish_achievement
from tests.exams.support import CONTENT, RIGHT, answer_all, published_exam
from tests.exams.test_attempts import ACCESS

CRITERIA = [
    {"title": "Correctness", "levels": [{"points": 0}, {"points": 2}, {"points": 4}]},
    {"title": "Clarity", "levels": [{"points": 0, "descriptor": "unclear"}, {"points": 1}]},
]


def essay_exam(world, *, rubric=None, title="Essay exam", **settings):
    bank = banks.create_bank(member=world.a.issuer, name=f"Essays for {title}")
    scoring = {"rubric": rubric.pk} if rubric else {}
    essay = banks.create_item(
        member=world.a.issuer,
        bank=bank,
        content={"kind": items.ESSAY, **CONTENT[items.ESSAY], "scoring": scoring},
        publish=True,
    )
    single = banks.create_item(
        member=world.a.issuer,
        bank=bank,
        content={"kind": items.SINGLE, **CONTENT[items.SINGLE]},
        publish=True,
    )
    exam = authoring.create_exam(member=world.a.issuer, title=title, **settings)
    authoring.update_exam(
        member=world.a.issuer,
        exam=exam,
        sections=[{"rules": [{"item": essay.pk}, {"item": single.pk}]}],
    )
    authoring.publish_exam(member=world.a.issuer, exam=exam)
    exam.refresh_from_db()
    return exam


def submitted(world, exam, candidate=None):
    candidate = candidate or world.learner
    attempt = attempts.start_attempt(candidate=candidate, exam=exam, access=ACCESS)
    answer_all(candidate, attempt, {items.SINGLE: RIGHT[items.SINGLE]})
    essay = attempt.items.get(item_version__kind=items.ESSAY)
    attempts.save_answer(
        candidate=candidate,
        attempt_id=attempt.pk,
        slot=essay.slot,
        answer={"text": "My essay."},
        sequence=0,
        idempotency_key=f"essay-key-{attempt.pk}",
    )
    return attempts.submit_attempt(candidate=candidate, attempt_id=attempt.pk)


def second_assessor(world):
    user = make_user("assessor2@org-a.test")
    return world.a.organization.memberships.create(user=user, role="assessor")


def test_rubric_marking_completes_the_grade_and_comments_reach_the_candidate(world):
    rubric = grading.create_rubric(member=world.a.issuer, name="Essay rubric", criteria=CRITERIA)
    assert rubric.max_points == 5
    exam = essay_exam(world, rubric=rubric, review_after_submit=ReviewPolicy.RESPONSES)
    attempt = submitted(world, exam)
    assert attempt.state == AttemptState.GRADING
    (entry,) = grading.grading_queue(world.a.assessor)
    assert entry.candidate_label == "Lea Learner"
    with pytest.raises(DomainError, match="Choose a level for “Clarity”"):
        grading.mark_answer(member=world.a.assessor, item=entry.item, scores={"c1": "4"})
    grading.mark_answer(
        member=world.a.assessor,
        item=entry.item,
        scores={"c1": "4", "c2": "0"},
        comment="Correct, but hard to follow.",
    )
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    # Essay 4/5 = 0.8 of 1 point, single choice 1: 1.8 of 2.
    assert attempt.percent == Decimal(90)
    assert grading.grading_queue(world.a.assessor) == []
    (essay_review,) = [
        q for q in candidate.review(attempt)["questions"] if q["kind"] == items.ESSAY
    ]
    assert essay_review["comments"] == ["Correct, but hard to follow."]
    with pytest.raises(DomainError, match="final mark already"):
        grading.mark_answer(member=world.a.admin, item=entry.item, percent=10)


def test_blind_marking_hides_the_candidate(world):
    exam = essay_exam(world, blind_marking=True)
    submitted(world, exam)
    (entry,) = grading.grading_queue(world.a.assessor)
    assert entry.candidate_label.startswith("Candidate ")
    assert "Lea" not in entry.candidate_label


@pytest.mark.parametrize(
    ("rule", "second", "third", "expected"),
    [
        ("third", 65, None, Decimal("0.625")),  # 5 points apart: agreement, average
        ("third", 20, 70, Decimal("0.6")),  # far apart: median of 60, 20, 70
        ("average", 20, None, Decimal("0.4")),  # far apart, averaged
    ],
)
def test_double_marking_and_disagreement(world, rule, second, third, expected):
    exam = essay_exam(world, double_marking=True, disagreement=rule, disagreement_points=10)
    attempt = submitted(world, exam)
    essay = attempt.items.get(item_version__kind=items.ESSAY)
    grading.mark_answer(member=world.a.assessor, item=essay, percent=60)
    essay.refresh_from_db()
    assert essay.needs_grading  # one mark is not enough
    assert grading.grading_queue(world.a.assessor) == []  # but not for the same assessor again
    with pytest.raises(DomainError, match="marked this answer already"):
        grading.mark_answer(member=world.a.assessor, item=essay, percent=60)
    grading.mark_answer(member=second_assessor(world), item=essay, percent=second)
    if third is not None:
        essay.refresh_from_db()
        assert essay.needs_grading
        grading.mark_answer(member=world.a.owner, item=essay, percent=third)
    essay.refresh_from_db()
    assert essay.fraction == expected
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED


def test_marking_rights_and_tenants(world):
    exam = essay_exam(world)
    attempt = submitted(world, exam)
    essay = attempt.items.get(item_version__kind=items.ESSAY)
    with pytest.raises(PermissionDenied):
        grading.grading_queue(world.a.issuer)
    with pytest.raises(NotFound):
        grading.get_answer_for(world.b.assessor, essay.pk)
    with pytest.raises(NotFound):
        grading.mark_answer(member=world.b.assessor, item=essay, percent=50)
    with pytest.raises(DomainError, match="from 0 to 100"):
        grading.mark_answer(member=world.a.assessor, item=essay, percent=150)
    with pytest.raises(DomainError, match="2 to 10 levels"):
        grading.create_rubric(
            member=world.a.issuer, name="Bad", criteria=[{"title": "x", "levels": [{"points": 1}]}]
        )


def test_an_approved_project_meets_the_evidence_requirement(
    world, django_capture_on_commit_callbacks
):
    achievement = publish_achievement(world.a.issuer)
    version = achievement.published_version()
    version.requirements.create(
        organization=world.a.organization,
        kind="evidence",
        description="Capstone project",
        position=2,
    )
    final = published_exam(world.a.issuer, title="Final exam")
    project = essay_exam(world, title="Capstone project", pass_mark_percent=Decimal(50))
    attempt = attempts.start_attempt(candidate=world.learner, exam=final, access=ACCESS)
    answer_all(world.learner, attempt, RIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    assert not IssuedCredential.objects.filter(achievement=achievement).exists()  # project due
    project_attempt = submitted(world, project)
    essay = project_attempt.items.get(item_version__kind=items.ESSAY)
    with django_capture_on_commit_callbacks(execute=True):
        grading.mark_answer(member=world.a.assessor, item=essay, percent=80)
    assert IssuedCredential.objects.filter(
        achievement=achievement, recipient=world.learner
    ).exists()


def test_regrade_dry_run_then_apply_and_review_instead_of_revoking(
    world, django_capture_on_commit_callbacks
):
    achievement = publish_achievement(world.a.issuer)
    exam = published_exam(world.a.issuer, title="Final exam", pass_mark_percent=Decimal(100))
    passer = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    answer_all(world.learner, passer, RIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        attempts.submit_attempt(candidate=world.learner, attempt_id=passer.pk)
    credential = IssuedCredential.objects.get(achievement=achievement)
    other = attempts.start_attempt(candidate=world.stranger, exam=exam, access=ACCESS)
    answer_all(world.stranger, other, {**RIGHT, items.SINGLE: {"choice": "B"}})
    attempts.submit_attempt(candidate=world.stranger, attempt_id=other.pk)
    # The key was wrong: B is the right answer. The fix is a new version (the item was used).
    item = Item.objects.get(bank__name="Bank for Final exam", current__kind=items.SINGLE)
    fixed = banks.edit_item(
        member=world.a.issuer,
        item=item,
        content={**CONTENT[items.SINGLE], "kind": items.SINGLE, "scoring": {"correct": "B"}},
    )
    changes = regrade.preview(member=world.a.issuer, item=item, version=fixed)
    assert {(c.candidate, c.old_passed, c.new_passed) for c in changes} == {
        (world.learner.email, True, False),
        (world.stranger.email, False, True),
    }
    assert IssuedCredential.objects.count() == 1  # a dry run changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        regrade.apply(member=world.a.issuer, item=item, version=fixed)
    passer.refresh_from_db()
    other.refresh_from_db()
    assert (passer.passed, other.passed) == (False, True)
    credential.refresh_from_db()
    assert credential.status == "active"  # never revoked automatically
    review = RegradeReview.objects.get()
    assert (review.attempt_id, review.credential_id) == (passer.pk, credential.pk)
    assert IssuedCredential.objects.filter(recipient=world.stranger).exists()
    assert regrade.preview(member=world.a.issuer, item=item, version=fixed) == []
    assert "regrade.applied" in passer.events.values_list("kind", flat=True)


def test_regrade_refuses_a_version_with_other_choices(world):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,))
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    item = Item.objects.get(current__kind=items.SINGLE)
    changed = {
        **CONTENT[items.SINGLE],
        "kind": items.SINGLE,
        "interaction": {"choices": [{"id": "X", "text": "x"}, {"id": "Y", "text": "y"}]},
        "scoring": {"correct": "X"},
        "feedback": {},
    }
    version = banks.edit_item(member=world.a.issuer, item=item, content=changed)
    with pytest.raises(DomainError, match="changes the question's kind or choices"):
        regrade.preview(member=world.a.issuer, item=item, version=version)
    assert ItemVersion.objects.filter(item=item).count() == 2
