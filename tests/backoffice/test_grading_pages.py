"""Back office: the marking queue and page (rubrics, blind and double marking), handed-in
files, rubrics, regrading a question, the regrade review list, and one attempt for staff."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from microcred.exams import items
from microcred.exams.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Exam,
    Item,
    RegradeReview,
    Rubric,
)
from microcred.exams.services import attempts, authoring, banks, grading
from microcred.issuance.models import IssuedCredential
from microcred.organizations.models import Membership
from tests.conftest import World, issue, make_user, publish_achievement
from tests.exams.support import CONTENT, RIGHT, answer_all, published_exam
from tests.exams.test_attempts import ACCESS
from tests.exams.test_grading import CRITERIA, essay_exam, second_assessor, submitted

from .helpers import audit_actions, formset, messages_of, query_count, text, url
from .test_exam_authoring import SETTINGS_POST, item_post

PDF = b"%PDF-1.4 handed-in project"


def file_submission(world: World, **settings: Any) -> AttemptItem:
    """A submitted project: one file question, the file named after its author."""
    bank = banks.create_bank(member=world.a.issuer, name="Projects")
    question = banks.create_item(
        member=world.a.issuer,
        bank=bank,
        content={"kind": items.FILE, **CONTENT[items.FILE]},
        publish=True,
    )
    exam = authoring.create_exam(member=world.a.issuer, title="Capstone project", **settings)
    authoring.update_exam(
        member=world.a.issuer, exam=exam, sections=[{"rules": [{"item": question.pk}]}]
    )
    authoring.publish_exam(member=world.a.issuer, exam=exam)
    exam.refresh_from_db()
    attempt = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    answer = attempt.items.get()
    stored = attempts.hand_in_file(
        candidate=world.learner,
        attempt_id=attempt.pk,
        slot=answer.slot,
        upload=SimpleUploadedFile("lea-learner-project.pdf", PDF),
    )
    attempts.save_answer(
        candidate=world.learner,
        attempt_id=attempt.pk,
        slot=answer.slot,
        answer={"upload": stored.pk},
        sequence=0,
        idempotency_key="upload-answer",
    )
    attempts.submit_attempt(candidate=world.learner, attempt_id=attempt.pk)
    return AttemptItem.objects.get(pk=answer.pk)


def essay_answer(attempt: Attempt) -> AttemptItem:
    return attempt.items.get(item_version__kind=items.ESSAY)


@pytest.fixture
def objects(world: World) -> dict[str, Any]:
    """One of each thing the new pages show, all in organization A."""
    rubric = grading.create_rubric(member=world.a.issuer, name="Essay rubric", criteria=CRITERIA)
    attempt = submitted(world, essay_exam(world, rubric=rubric))
    project = file_submission(world)
    achievement = publish_achievement(world.a.issuer)
    credential = issue(world.a.issuer, achievement, email=world.learner.email)
    review = RegradeReview.objects.create(
        organization=world.a.organization,
        attempt=attempt,
        credential=credential,
        old_percent=Decimal(80),
        new_percent=Decimal(40),
    )
    return {
        "marking": (),
        "marking_answer": (essay_answer(attempt).pk,),
        "marking_upload": (project.uploads.get().pk,),
        "rubrics": (),
        "rubric_create": (),
        "rubric": (rubric.pk,),
        "item_regrade": (essay_answer(attempt).item_version.item_id,),
        "exam_attempt": (attempt.pk,),
        "regrade_reviews": (),
        "regrade_review_resolve": (review.pk,),
    }


ASSESS = ("marking", "marking_answer", "marking_upload")
AUTHOR = ("rubrics", "rubric_create", "rubric", "item_regrade")
ISSUE = ("regrade_reviews", "regrade_review_resolve")
POST_ONLY = {"regrade_review_resolve"}

# (page, role) -> status; anything unlisted in a group is refused with 403.
ALLOWED = {
    **{(name, role): 200 for name in ASSESS for role in ("owner", "admin", "assessor")},
    **{(name, role): 200 for name in AUTHOR for role in ("owner", "admin", "issuer")},
    **{(name, role): 200 for name in ISSUE for role in ("owner", "admin", "issuer")},
    **{("exam_attempt", role): 200 for role in ("owner", "admin", "issuer", "assessor")},
}


def _get_or_post(client: Client, name: str, path: str) -> Any:
    if name in POST_ONLY:
        return client.post(path, {"decision": "", "reason": ""})  # invalid: back to the list
    return closed(client.get(path))


def closed(response: Any) -> Any:
    """The response with a streamed file read to the end, which closes the file (no
    ResourceWarning). Not ``response.close()``: outside the test client's wrapper that sends
    ``request_finished``, which closes the test's database connection on PostgreSQL."""
    if getattr(response, "streaming", False):
        response.content_read = response.getvalue()
    return response


@pytest.mark.parametrize("name", [*ASSESS, *AUTHOR, *ISSUE, "exam_attempt"])
@pytest.mark.parametrize("role", ["owner", "admin", "issuer", "assessor"])
def test_access_matrix(
    world: World, login: Any, objects: dict[str, Any], name: str, role: str
) -> None:
    path = url(name, world.a.slug, *objects[name])
    response = _get_or_post(login(world.a.member(role).user), name, path)
    expected = ALLOWED.get((name, role), 403)
    if expected == 200 and name in POST_ONLY:
        expected = 302
    assert response.status_code == expected
    # Another organization's staff learn nothing: not even that the organization exists.
    other = _get_or_post(login(world.b.member(role).user), name, path)
    assert other.status_code == 404


@pytest.mark.parametrize("name", [*ASSESS, *AUTHOR, *ISSUE, "exam_attempt"])
def test_anonymous_visitors_are_sent_to_log_in(
    world: World, objects: dict[str, Any], name: str
) -> None:
    response = _get_or_post(Client(), name, url(name, world.a.slug, *objects[name]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_org_b_staff_cannot_reach_org_a_rows_through_their_own_organization(
    world: World, login: Any, objects: dict[str, Any]
) -> None:
    for name in ("marking_answer", "marking_upload", "rubric", "exam_attempt"):
        client = login(world.b.owner.user)
        assert client.get(url(name, world.b.slug, *objects[name])).status_code == 404
    response = login(world.b.owner.user).post(
        url("regrade_review_resolve", world.b.slug, *objects["regrade_review_resolve"]),
        {"decision": "keep", "reason": "Looks fine."},
    )
    assert response.status_code == 302
    assert RegradeReview.objects.get().resolved_at is None


# -- marking -----------------------------------------------------------------------------------


def test_marking_with_a_rubric_through_the_pages(world: World, login: Any) -> None:
    issuer = login(world.a.issuer.user)
    response = issuer.post(
        url("rubric_create", world.a.slug),
        {
            "name": "Essay rubric",
            "pass_points": "3",
            **formset("criteria", [{"title": "Correctness"}, {"title": "Clarity"}]),
            **formset(
                "levels-0",
                [
                    {"points": "0", "descriptor": "wrong"},
                    {"points": "2", "descriptor": "partly right"},
                    {"points": "4", "descriptor": "right"},
                    {"points": "", "descriptor": ""},
                ],
            ),
            **formset(
                "levels-1",
                [{"points": "0", "descriptor": "unclear"}, {"points": "1", "descriptor": "clear"}],
            ),
        },
    )
    rubric = Rubric.objects.get()
    assert response.status_code == 302
    assert response.url == url("rubric", world.a.slug, rubric.pk)
    assert rubric.max_points == 5
    assert rubric.pass_points == 3
    detail = text(issuer.get(response.url))
    assert "partly right" in detail
    assert "Clarity" in detail
    assert "Essay rubric" in text(issuer.get(url("rubrics", world.a.slug)))

    attempt = submitted(world, essay_exam(world, rubric=rubric))
    assessor = login(world.a.assessor.user)
    queue = assessor.get(url("marking", world.a.slug))
    assert queue.status_code == 200
    page = text(queue)
    assert "Essay exam" in page
    assert "Lea Learner" in page
    assert "0 / 1" in page
    assert 'Marking <span class="tag">1' in page  # the navigation counts what waits
    essay = essay_answer(attempt)
    mark_path = url("marking_answer", world.a.slug, essay.pk)
    form_page = text(assessor.get(mark_path))
    assert "My essay." in form_page
    assert "Explain a p-value." in form_page
    assert "partly right" in form_page
    assert 'name="criterion_c1"' in form_page

    refused = assessor.post(mark_path, {"criterion_c1": "4", "comment": "Good."})
    assert refused.status_code == 400
    assert "Choose a level for “Clarity”" in text(refused)
    done = assessor.post(
        mark_path, {"criterion_c1": "4", "criterion_c2": "0", "comment": "Correct, hard to read."}
    )
    assert done.status_code == 302
    assert done.url == url("marking", world.a.slug)
    assert "Nothing else is waiting" in " ".join(messages_of(done))
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.percent == Decimal(90)
    assert "microcred.answer.marked" in audit_actions(world.a.organization)
    final = text(assessor.get(mark_path))
    assert "final mark" in final
    assert "Correct, hard to read." in final


def test_after_marking_the_next_waiting_answer_opens(world: World, login: Any) -> None:
    exam = essay_exam(world)
    first = submitted(world, exam)
    second = submitted(world, exam, candidate=world.stranger)
    assessor = login(world.a.assessor.user)
    response = assessor.post(
        url("marking_answer", world.a.slug, essay_answer(first).pk), {"percent": "70"}
    )
    assert response.url == url("marking_answer", world.a.slug, essay_answer(second).pk)
    bad = assessor.post(response.url, {"percent": "150"})
    assert bad.status_code == 400
    assert essay_answer(second).needs_grading


def test_blind_marking_pages_never_name_the_candidate(world: World, login: Any) -> None:
    attempt = submitted(world, essay_exam(world, blind_marking=True))
    project = file_submission(world, blind_marking=True)
    assessor = login(world.a.assessor.user)
    pages = [
        assessor.get(url("marking", world.a.slug)),
        assessor.get(url("marking_answer", world.a.slug, essay_answer(attempt).pk)),
        assessor.get(url("marking_answer", world.a.slug, project.pk)),
        assessor.get(url("exam_attempt", world.a.slug, attempt.pk)),
        assessor.get(url("exam_attempt", world.a.slug, project.attempt_id)),
    ]
    label = grading.candidate_label(attempt)
    assert label.startswith("Candidate ")
    for response in pages:
        assert response.status_code == 200
        page = text(response)
        for secret in ("Lea", "Learner", "learner@example.test", "lea-learner"):
            assert secret not in page
    assert label in text(pages[0])
    assert label in text(pages[1])
    download = closed(assessor.get(url("marking_upload", world.a.slug, project.uploads.get().pk)))
    assert "lea-learner" not in download["Content-Disposition"]


def test_double_marking_waits_for_a_second_assessor_and_hides_the_first_mark(
    world: World, login: Any
) -> None:
    attempt = submitted(world, essay_exam(world, double_marking=True, disagreement_points=10))
    essay = essay_answer(attempt)
    path = url("marking_answer", world.a.slug, essay.pk)
    first = login(world.a.assessor.user)
    first.post(path, {"percent": "60", "comment": "First opinion."})
    assert "Nothing is waiting" in text(first.get(url("marking", world.a.slug)))
    assert "waits for another assessor" in text(first.get(path))

    other: Membership = second_assessor(world)
    second = login(other.user)
    queue = text(second.get(url("marking", world.a.slug)))
    assert "Essay exam" in queue
    assert "1 / 2" in queue
    before = text(second.get(path))
    assert "First opinion." not in before
    assert "60.0 %" not in before
    second.post(path, {"percent": "66", "comment": "Second opinion."})
    essay.refresh_from_db()
    assert not essay.needs_grading
    assert essay.fraction == Decimal("0.63")
    after = text(second.get(path))
    assert "First opinion." in after
    assert "Second opinion." in after


def test_handed_in_files_download_as_attachments_for_the_organization_only(
    world: World, login: Any
) -> None:
    project = file_submission(world)
    upload = project.uploads.get()
    path = url("marking_upload", world.a.slug, upload.pk)
    page = text(login(world.a.assessor.user).get(url("marking_answer", world.a.slug, project.pk)))
    assert path in page
    assert "lea-learner-project.pdf" in page
    response = closed(login(world.a.assessor.user).get(path))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content_read == PDF
    assert login(world.a.issuer.user).get(path).status_code == 403
    assert login(world.b.assessor.user).get(path).status_code == 404
    assert (
        login(world.b.assessor.user).get(url("marking_upload", world.b.slug, upload.pk)).status_code
        == 404
    )
    assert login(world.learner).get(path).status_code == 404


# -- settings and questions ---------------------------------------------------------------------


def test_exam_settings_carry_the_marking_rules(world: World, login: Any) -> None:
    exam = authoring.create_exam(member=world.a.issuer, title="Draft exam")
    client = login(world.a.issuer.user)
    assert "Blind marking" in text(client.get(url("exam_edit", world.a.slug, exam.pk)))
    response = client.post(
        url("exam_edit", world.a.slug, exam.pk),
        {
            **SETTINGS_POST,
            "blind_marking": "on",
            "double_marking": "on",
            "disagreement": "average",
            "disagreement_points": "15",
        },
    )
    assert response.status_code == 302
    exam = Exam.objects.get(pk=exam.pk)
    assert (exam.blind_marking, exam.double_marking) == (True, True)
    assert (exam.disagreement, exam.disagreement_points) == ("average", 15)


def test_an_essay_question_takes_a_rubric_of_its_organization(world: World, login: Any) -> None:
    rubric = grading.create_rubric(member=world.a.issuer, name="Essay rubric", criteria=CRITERIA)
    grading.create_rubric(member=world.b.issuer, name="Other org's rubric", criteria=CRITERIA)
    bank = banks.create_bank(member=world.a.issuer, name="Essays")
    item = banks.create_item(
        member=world.a.issuer, bank=bank, content={"kind": items.ESSAY, **CONTENT[items.ESSAY]}
    )
    client = login(world.a.issuer.user)
    path = url("item_edit", world.a.slug, item.pk)
    page = text(client.get(path))
    assert "Essay rubric" in page
    assert "Other org" not in page
    response = client.post(path, item_post(expected_lines="12", rubric=str(rubric.pk)))
    assert response.status_code == 302
    item = Item.objects.get(pk=item.pk)
    assert item.current.scoring == {"rubric": rubric.pk}
    foreign = Rubric.objects.get(name="Other org's rubric")
    refused = client.post(path, item_post(expected_lines="12", rubric=str(foreign.pk)))
    assert refused.status_code == 400


# -- regrading and the review list ----------------------------------------------------------------


@pytest.fixture
def wrong_key(world: World, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """A passing candidate holding the credential, a failing one, and the key fixed in v2."""
    achievement = publish_achievement(world.a.issuer)
    exam = published_exam(world.a.issuer, title="Final exam", pass_mark_percent=Decimal(100))
    passer = attempts.start_attempt(candidate=world.learner, exam=exam, access=ACCESS)
    answer_all(world.learner, passer, RIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        attempts.submit_attempt(candidate=world.learner, attempt_id=passer.pk)
    other = attempts.start_attempt(candidate=world.stranger, exam=exam, access=ACCESS)
    answer_all(world.stranger, other, {**RIGHT, items.SINGLE: {"choice": "B"}})
    attempts.submit_attempt(candidate=world.stranger, attempt_id=other.pk)
    item = Item.objects.get(bank__name="Bank for Final exam", current__kind=items.SINGLE)
    fixed = banks.edit_item(
        member=world.a.issuer,
        item=item,
        content={**CONTENT[items.SINGLE], "kind": items.SINGLE, "scoring": {"correct": "B"}},
    )
    return {
        "item": item,
        "fixed": fixed,
        "passer": passer,
        "other": other,
        "credential": IssuedCredential.objects.get(achievement=achievement),
    }


def test_regrade_dry_run_then_apply(world: World, login: Any, wrong_key: dict[str, Any]) -> None:
    item, passer, other = wrong_key["item"], wrong_key["passer"], wrong_key["other"]
    client = login(world.a.issuer.user)
    assert url("item_regrade", world.a.slug, item.pk) in text(
        client.get(url("item", world.a.slug, item.pk))
    )
    path = url("item_regrade", world.a.slug, item.pk)
    dry_run = client.get(path, {"version": "2"})
    assert dry_run.status_code == 200
    page = text(dry_run)
    assert world.learner.email in page
    assert world.stranger.email in page
    assert "2 answers would change" in page
    assert "100.00 % → 85.71 %" in page
    assert "<strong>not passed</strong>" in page
    passer.refresh_from_db()
    assert passer.percent == Decimal(100)  # a dry run changes nothing

    applied = client.post(path, {"version": "2"})
    assert applied.status_code == 302
    assert "2 attempts changed" in " ".join(messages_of(applied))
    passer.refresh_from_db()
    other.refresh_from_db()
    assert (passer.percent, passer.passed) == (Decimal("85.71"), False)
    assert (other.percent, other.passed) == (Decimal(100), True)
    assert "microcred.item.regraded" in audit_actions(world.a.organization)
    assert "No attempt's score would change" in text(client.get(path, {"version": "2"}))
    # Another organization cannot regrade it.
    assert login(world.b.issuer.user).post(path, {"version": "2"}).status_code == 404


def test_review_list_resolves_with_a_revocation(
    world: World, login: Any, wrong_key: dict[str, Any]
) -> None:
    client = login(world.a.issuer.user)
    client.post(url("item_regrade", world.a.slug, wrong_key["item"].pk), {"version": "2"})
    review = RegradeReview.objects.get()
    credential = wrong_key["credential"]
    page = text(client.get(url("regrade_reviews", world.a.slug)))
    assert credential.display_code in page
    assert "100.00 % → 85.71 %" in page
    path = url("regrade_review_resolve", world.a.slug, review.pk)
    assert (
        login(world.b.issuer.user).post(path, {"decision": "revoke", "reason": "x"}).status_code
        == 404
    )
    response = client.post(path, {"decision": "revoke", "reason": "The key was wrong."})
    assert response.status_code == 302
    assert "Credential revoked" in " ".join(messages_of(response))
    credential.refresh_from_db()
    assert credential.status == "revoked"
    review.refresh_from_db()
    assert review.resolved_by == world.a.issuer.user
    assert review.resolved_at is not None
    assert review.resolution == "revoked: The key was wrong."
    actions = audit_actions(world.a.organization)
    assert "microcred.credential.revoked" in actions
    assert "microcred.regrade_review.resolved" in actions
    again = client.post(path, {"decision": "keep", "reason": "Twice."})
    assert "resolved already" in " ".join(messages_of(again))
    assert "revoked: The key was wrong." in text(client.get(url("regrade_reviews", world.a.slug)))


def test_review_can_keep_the_credential(
    world: World, login: Any, wrong_key: dict[str, Any]
) -> None:
    client = login(world.a.issuer.user)
    client.post(url("item_regrade", world.a.slug, wrong_key["item"].pk), {"version": "2"})
    review = RegradeReview.objects.get()
    client.post(
        url("regrade_review_resolve", world.a.slug, review.pk),
        {"decision": "keep", "reason": "Passed the resit."},
    )
    wrong_key["credential"].refresh_from_db()
    assert wrong_key["credential"].status == "active"
    review.refresh_from_db()
    assert review.resolution == "kept: Passed the resit."


# -- one attempt ---------------------------------------------------------------------------------


def test_attempt_detail_for_staff(world: World, login: Any) -> None:
    exam = essay_exam(world)
    attempt = submitted(world, exam)
    client = login(world.a.issuer.user)
    results = text(client.get(url("exam_results", world.a.slug, exam.pk)))
    path = url("exam_attempt", world.a.slug, attempt.pk)
    assert path in results
    page = text(client.get(path))
    assert "Lea Learner" in page
    assert "My essay." in page
    assert "Alpha" in page
    assert "Intact" in page
    assert "waiting for marking" in page
    grading.mark_answer(
        member=world.a.assessor, item=essay_answer(attempt), percent=70, comment="Fine."
    )
    page = text(client.get(path))
    assert "70.0 %" in page
    assert world.a.assessor.user.full_name in page
    assert "Fine." in page


def test_queue_query_count_does_not_grow_with_the_answers(world: World, login: Any) -> None:
    exam = essay_exam(world)
    submitted(world, exam)
    client = login(world.a.assessor.user)
    path = url("marking", world.a.slug)
    few = query_count(client, path)
    for n in range(4):
        submitted(world, exam, candidate=make_user(f"candidate{n}@example.test"))
    assert query_count(client, path) == few
    assert text(client.get(path)).count("0 / 1") == 5
