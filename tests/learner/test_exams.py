"""Candidate pages: start, answer (form posts and the autosave endpoint), submit, review — and
that nobody else can reach an attempt."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from microcred.exams import items
from microcred.exams.models import Attempt, AttemptState, ReviewPolicy
from microcred.exams.services import authoring
from microcred.issuance.models import IssuedCredential
from tests.conftest import publish_achievement
from tests.exams.support import RIGHT, opaque, published_exam


def start(client, exam, **data):
    return client.post(reverse("learner:exam", args=[exam.uuid]), data)


def form_fields(item, answer):
    """The form fields a candidate's page posts for ``answer`` (item ids)."""
    mapped = opaque(item, answer)
    kind = item.item_version.kind
    if kind == items.SINGLE:
        return {"choice": mapped["choice"]}
    if kind == items.MULTIPLE:
        return {"choices": mapped["choices"]}
    if kind == items.TRUE_FALSE:
        return {"value": "true" if mapped["value"] else "false"}
    if kind == items.NUMERIC:
        return {"value": mapped["value"]}
    if kind == items.SHORT_TEXT:
        return {"text": mapped["text"]}
    if kind == items.ORDERING:
        return {f"position-{c}": str(i) for i, c in enumerate(mapped["order"], 1)}
    if kind == items.MATCHING:
        return {f"pair-{p}": r for p, r in mapped["pairs"].items()}
    raise AssertionError(kind)


def test_a_candidate_takes_an_exam_without_javascript(
    world, login, django_capture_on_commit_callbacks
):
    publish_achievement(world.a.issuer)
    exam = published_exam(
        world.a.issuer, title="Final exam", review_after_submit=ReviewPolicy.RESPONSES
    )
    client = login(world.learner)
    page = client.get(reverse("learner:exam", args=[exam.uuid]))
    assert page.status_code == 200
    assert b"Start the exam" in page.content
    response = start(client, exam)
    attempt = Attempt.objects.get(candidate=world.learner)
    assert response["Location"] == reverse("learner:question", args=[attempt.pk, 1])
    resume = client.get(reverse("learner:attempt", args=[attempt.pk]))
    assert resume["Location"] == reverse("learner:question", args=[attempt.pk, 1])
    for item in attempt.items.select_related("item_version").order_by("slot"):
        url = reverse("learner:question", args=[attempt.pk, item.slot])
        page = client.get(url)
        assert page.status_code == 200
        key = re.search(rb'name="key" value="([0-9a-f]+)"', page.content).group(1).decode()
        item.refresh_from_db()
        posted = client.post(
            url,
            {
                "slot": item.slot,
                "sequence": item.sequence,
                "key": key,
                "go": str(item.slot + 1) if item.slot < attempt.items.count() else "submit",
                **form_fields(item, RIGHT[item.item_version.kind]),
            },
        )
        assert posted.status_code == 302, posted.content.decode()[:2000]
    confirm = client.get(reverse("learner:submit", args=[attempt.pk]))
    assert b"You have answered every question." in confirm.content
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("learner:submit", args=[attempt.pk]))
    assert done["Location"] == reverse("learner:review", args=[attempt.pk])
    review = client.get(done["Location"])
    assert b"Passed" in review.content
    assert b"100" in review.content
    assert IssuedCredential.objects.filter(recipient=world.learner).exists()
    assert b"Met:" in review.content
    # The pages never carried the answer key or the items' own choice ids.
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED


def test_a_bad_answer_is_refused_with_a_message_and_changes_nothing(world, login):
    exam = published_exam(world.a.issuer, kinds=(items.ORDERING,))
    client = login(world.learner)
    start(client, exam)
    attempt = Attempt.objects.get()
    item = attempt.items.get()
    ids = list(item.opaque)
    response = client.post(
        reverse("learner:question", args=[attempt.pk, 1]),
        {
            "slot": 1,
            "sequence": 0,
            "key": "k" * 16,
            "go": "1",
            **{f"position-{i}": "1" for i in ids},
        },
    )
    assert response.status_code == 400
    assert b"Give every entry a different position" in response.content
    item.refresh_from_db()
    assert item.sequence == 0
    assert item.response == {}


def test_autosave_endpoint_answers_with_the_clock_and_refuses_stale_and_late(world, login):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,), time_limit_minutes=30)
    client = login(world.learner)
    start(client, exam)
    attempt = Attempt.objects.get()
    item = attempt.items.select_related("item_version").get()
    url = reverse("learner:save", args=[attempt.pk])
    fields = {
        "slot": 1,
        "sequence": 0,
        "key": "autosave-0001",
        **form_fields(item, {"choice": "B"}),
    }
    saved = client.post(url, fields)
    assert saved.status_code == 200
    body = saved.json()
    assert body["sequence"] == 1
    assert body["deadline"] == attempt.deadline_at.isoformat()
    assert client.post(url, fields).json()["sequence"] == 1  # a retry is a replay
    stale = client.post(url, {**fields, "key": "autosave-0002", "choice": fields["choice"]})
    assert stale.status_code == 409
    assert stale.json()["current"] == 1
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline_at=timezone.now() - dt.timedelta(minutes=5)
    )
    late = client.post(url, {**fields, "key": "autosave-0003", "sequence": 1})
    assert late.status_code == 410
    assert late.json()["review"] == reverse("learner:review", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED


@pytest.mark.parametrize("name", ["question", "save", "submit", "review", "signal"])
def test_nobody_else_reaches_an_attempt(world, login, name):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,))
    start(login(world.learner), exam)
    attempt = Attempt.objects.get()
    args = [attempt.pk, 1] if name == "question" else [attempt.pk]
    url = reverse(f"learner:{name}", args=args)
    stranger = login(world.stranger)
    response = stranger.post(url, {}) if name in ("save", "signal") else stranger.get(url)
    assert response.status_code == 404
    anonymous = login(world.stranger)
    anonymous.logout()
    response = anonymous.get(url)
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_access_code_is_asked_and_checked(world, login):
    exam = published_exam(world.a.issuer, kinds=(items.SINGLE,))
    authoring.set_access_code(member=world.a.issuer, exam=exam, code="open-sesame")
    authoring.publish_exam(member=world.a.issuer, exam=exam)
    client = login(world.learner)
    page = client.get(reverse("learner:exam", args=[exam.uuid]))
    assert b'name="access_code"' in page.content
    refused = start(client, exam, access_code="wrong")
    assert refused.status_code == 400
    assert b"access code is not right" in refused.content
    assert not Attempt.objects.exists()
    assert start(client, exam, access_code="open-sesame").status_code == 302


def test_file_questions_take_uploads_of_the_allowed_type(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    exam = published_exam(world.a.issuer, kinds=(items.FILE,))
    client = login(world.learner)
    start(client, exam)
    attempt = Attempt.objects.get()
    url = reverse("learner:upload", args=[attempt.pk, 1])
    wrong = client.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ")}, follow=True)
    assert b"Hand in a file of type .pdf" in wrong.content
    client.post(url, {"file": SimpleUploadedFile("report.pdf", b"%PDF-1.7 test")})
    item = attempt.items.get()
    (upload,) = item.uploads.all()
    assert item.response == {"upload": upload.pk}
    download = client.get(reverse("learner:uploaded_file", args=[attempt.pk, upload.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.getvalue() == b"%PDF-1.7 test"
    assert (
        login(world.stranger)
        .get(reverse("learner:uploaded_file", args=[attempt.pk, upload.pk]))
        .status_code
        == 404
    )


def test_no_candidate_page_carries_the_answer_key(world, login):
    """The pages themselves (not only the payloads): every question page, the submission page
    and a review below the answers level hold no key, feedback or the items' own ids."""
    from tests.exams.support import CONTENT

    exam = published_exam(
        world.a.issuer,
        kinds=tuple(RIGHT),
        review_after_submit=ReviewPolicy.RESPONSES,
        review_after_close=ReviewPolicy.RESPONSES,
    )
    client = login(world.learner)
    start(client, exam)
    attempt = Attempt.objects.get()
    secrets_ = ["t-test", CONTENT[items.SINGLE]["feedback"]["general"], "tolerance", "weights"]
    pages = [
        client.get(reverse("learner:question", args=[attempt.pk, item.slot]))
        for item in attempt.items.order_by("slot")
    ]
    pages.append(client.get(reverse("learner:submit", args=[attempt.pk])))
    client.post(reverse("learner:submit", args=[attempt.pk]))
    pages.append(client.get(reverse("learner:review", args=[attempt.pk])))
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        for secret in secrets_:
            assert secret not in html
        # Choice values are the attempt's opaque ids, never the items' own ("A", "B", …).
        assert not re.search(r'value="(A|B|C|N)"', html)
