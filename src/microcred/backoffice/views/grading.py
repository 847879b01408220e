"""Marking, rubrics and regrading: the assessors' queue and marking page, handed-in files,
rubrics, a question's regrade (dry run, then apply), the regrade review list, and the staff
view of one attempt.

Under blind marking these pages name the candidate only by the pseudonym of
:func:`grading.candidate_label`; under double marking an assessor sees the other marks of an
answer only after giving their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from microcred.backoffice.access import member_view
from microcred.backoffice.grading_forms import (
    REVOKE,
    MarkForm,
    RegradeForm,
    ReviewResolveForm,
    RubricEditor,
)
from microcred.core.errors import DomainError
from microcred.exams import items, log
from microcred.exams.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    AttemptUpload,
    Mark,
    RegradeReview,
    Rubric,
)
from microcred.exams.services import banks, grading, regrade
from microcred.organizations.models import Membership
from microcred.organizations.roles import Capability


def waiting_count(member: Membership) -> int:
    """How many answers wait for this assessor (the count of :func:`grading.grading_queue`)."""
    return (
        AttemptItem.objects.filter(
            attempt__organization_id=member.organization_id,
            attempt__state=AttemptState.GRADING,
            needs_grading=True,
        )
        .exclude(marks__assessor=member.user)
        .exclude(attempt__candidate=member.user)
        .count()
    )


def _is_blind(attempt: Attempt) -> bool:
    return bool(attempt.exam_version.config.get("blind_marking"))


def _needed(attempt: Attempt) -> int:
    return 2 if attempt.exam_version.config.get("double_marking") else 1


# -- the queue ---------------------------------------------------------------------------------


@member_view(Capability.ASSESS)
def marking_queue(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    entries = [
        {
            "answer": entry.item,
            "exam": entry.item.attempt.exam_version.config.get("title", ""),
            "question": entry.item.item_version.title,
            "candidate": entry.candidate_label,
            "submitted_at": entry.item.attempt.submitted_at,
            "marks": entry.marks,
            "needed": _needed(entry.item.attempt),
        }
        for entry in grading.grading_queue(member)
    ]
    return render(request, "backoffice/grading/queue.html", {"entries": entries})


def _next_waiting(member: Membership) -> AttemptItem | None:
    queue = grading.grading_queue(member)
    return queue[0].item if queue else None


def _answer_view(answer: AttemptItem) -> dict[str, Any]:
    """What the candidate handed in: the essay text, or the handed-in files."""
    response = answer.response or {}
    uploads = list(AttemptUpload.objects.filter(attempt_item=answer).order_by("uploaded_at"))
    handed_in = response.get("upload")
    return {
        "text": response.get("text", "") if answer.item_version.kind == items.ESSAY else "",
        "uploads": [
            {
                "upload": upload,
                "suffix": Path(upload.name).suffix.lower(),
                "current": upload.pk == handed_in,
            }
            for upload in uploads
        ],
    }


@member_view(Capability.ASSESS)
def mark_answer(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    answer = grading.get_answer_for(member, pk)
    attempt = answer.attempt
    if attempt.candidate_id == member.user_id:
        raise HttpForbidden("You cannot mark your own work.")
    if answer.item_version.kind not in items.MANUAL_KINDS:
        raise Http404("This answer is scored automatically.")
    rubric = grading.rubric_for(answer)
    marks = list(
        Mark.objects.filter(attempt_item=answer).select_related("assessor").order_by("created_at")
    )
    mine = next((m for m in marks if m.assessor_id == member.user_id), None)
    final = not answer.needs_grading or attempt.state != AttemptState.GRADING
    can_mark = not final and mine is None
    form = MarkForm(request.POST if request.method == "POST" else None, rubric=rubric)
    if request.method == "POST":
        if not can_mark:
            messages.info(request, "This answer does not need your mark.")
            return redirect("backoffice:marking", slug=member.organization.slug)
        if form.is_valid():
            try:
                grading.mark_answer(
                    member=member,
                    item=answer,
                    scores=form.scores(),
                    percent=form.percent(),
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                form.add_domain_error(exc.field, exc.message)
            else:
                following = _next_waiting(member)
                if following is None:
                    messages.success(request, "Mark saved. Nothing else is waiting for you.")
                    return redirect("backoffice:marking", slug=member.organization.slug)
                messages.success(request, "Mark saved. Here is the next answer.")
                return redirect(
                    "backoffice:marking_answer", slug=member.organization.slug, pk=following.pk
                )
    # Under double marking nobody sees another assessor's mark before giving their own.
    others_visible = final or mine is not None
    context = {
        "answer": answer,
        "attempt": attempt,
        "version": answer.item_version,
        "candidate": grading.candidate_label(attempt),
        "blind": _is_blind(attempt),
        "handed_in": _answer_view(answer),
        "rubric": rubric,
        "form": form,
        "can_mark": can_mark,
        "final": final,
        "mine": mine,
        "marks": _marks_view(marks, rubric) if others_visible else [],
        "mark_count": len(marks),
        "needed": _needed(attempt),
    }
    status = 400 if form.errors else 200
    return render(request, "backoffice/grading/mark.html", context, status=status)


def _marks_view(marks: list[Mark], rubric: Rubric | None) -> list[dict[str, Any]]:
    titles = {c["id"]: c["title"] for c in rubric.criteria} if rubric else {}
    return [
        {
            "mark": mark,
            "percent": mark.fraction * 100,
            "assessor": mark.assessor.full_name or mark.assessor.email,
            "scores": [(titles.get(cid, cid), points) for cid, points in mark.scores.items()],
        }
        for mark in marks
    ]


@member_view(Capability.ASSESS)
def marking_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """A handed-in file, for the organization's assessors. Always a download of an opaque
    type, named without the candidate's file name: a handed-in file never renders in our
    origin, and its name could identify the candidate under blind marking."""
    member = request.member  # type: ignore[attr-defined]
    try:
        stored = AttemptUpload.objects.select_related("attempt_item").get(
            pk=pk, attempt_item__attempt__organization_id=member.organization_id
        )
    except AttemptUpload.DoesNotExist:
        raise Http404("No such file.") from None
    suffix = Path(stored.name).suffix.lower()
    return FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=f"answer-{stored.attempt_item_id}-{stored.pk}{suffix}",
        content_type="application/octet-stream",
    )


# -- rubrics -----------------------------------------------------------------------------------


def _rubrics(member: Membership) -> Any:
    return Rubric.objects.filter(organization_id=member.organization_id)


@member_view(Capability.AUTHOR_EXAMS)
def rubric_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    rubrics = _rubrics(member).select_related("created_by").order_by("name", "id")
    return render(request, "backoffice/grading/rubrics.html", {"rubrics": rubrics})


@member_view(Capability.AUTHOR_EXAMS)
def rubric_create(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    editor = RubricEditor(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not editor.growing and editor.is_valid():
        try:
            rubric = grading.create_rubric(
                member=member,
                name=editor.name,
                criteria=editor.criteria_data(),
                pass_points=editor.pass_points,
            )
        except DomainError as exc:
            editor.add_domain_error(exc.field, exc.message)
        else:
            messages.success(request, f"Rubric “{rubric.name}” created.")
            return redirect("backoffice:rubric", slug=member.organization.slug, pk=rubric.pk)
    failed = request.method == "POST" and not editor.growing
    return render(
        request,
        "backoffice/grading/rubric_edit.html",
        {"editor": editor, "form": editor.form},
        status=400 if failed else 200,
    )


@member_view(Capability.AUTHOR_EXAMS)
def rubric_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    try:
        rubric = _rubrics(member).select_related("created_by").get(pk=pk)
    except Rubric.DoesNotExist:
        raise Http404("No such rubric.") from None
    context = {
        "rubric": rubric,
        "criteria": [
            {
                **criterion,
                "levels": sorted(
                    criterion["levels"], key=lambda level: float(level["points"]), reverse=True
                ),
            }
            for criterion in rubric.criteria
        ],
        "pass_points": rubric.pass_points
        if rubric.pass_points is not None
        else rubric.max_points / 2,
        "mark_count": Mark.objects.filter(rubric=rubric).count(),
    }
    return render(request, "backoffice/grading/rubric_detail.html", context)


# -- regrading ---------------------------------------------------------------------------------


@member_view(Capability.AUTHOR_EXAMS)
def item_regrade(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: choose a version and see the dry run. POST: apply it."""
    member = request.member  # type: ignore[attr-defined]
    item = banks.get_item_for(member, pk)
    versions = list(item.versions.order_by("-number"))
    if not versions:
        raise Http404("This question has no content.")
    data = request.POST if request.method == "POST" else request.GET
    current = item.current.number if item.current else versions[0].number
    form = RegradeForm(data if "version" in data else None, versions=versions)
    form.fields["version"].initial = current
    number = form.cleaned_data["version"] if form.is_bound and form.is_valid() else current
    version = next(v for v in versions if v.number == number)
    slug = member.organization.slug
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, "Choose the version to regrade to.")
            return redirect("backoffice:item_regrade", slug=slug, pk=item.pk)
        try:
            changes = regrade.apply(member=member, item=item, version=version)
        except DomainError as exc:
            messages.error(request, f"Nothing was regraded. {exc.message}")
            return redirect("backoffice:item_regrade", slug=slug, pk=item.pk)
        count = len({c.attempt_id for c in changes})
        messages.success(
            request,
            f"Regraded to version {version.number}: {count} attempt{'s' if count != 1 else ''} "
            "changed.",
        )
        if RegradeReview.objects.filter(
            organization_id=member.organization_id, resolved_at__isnull=True
        ).exists():
            messages.warning(
                request,
                "Some candidates who now fail hold the credential: decide on the review list.",
            )
        return redirect("backoffice:item", slug=slug, pk=item.pk)
    problem, changes_view = "", []
    try:
        changes = regrade.preview(member=member, item=item, version=version)
    except DomainError as exc:
        problem = exc.message
    else:
        changes_view = [
            {
                "change": change,
                "old_mark": change.old_fraction * 100,
                "new_mark": change.new_fraction * 100,
            }
            for change in changes
        ]
    context = {
        "item": item,
        "bank": item.bank,
        "form": form,
        "version": version,
        "problem": problem,
        "changes": changes_view,
    }
    return render(request, "backoffice/grading/regrade.html", context)


@member_view(Capability.ISSUE)
def review_list(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    reviews = list(
        RegradeReview.objects.filter(organization_id=member.organization_id)
        .select_related("attempt__exam", "attempt__candidate", "credential", "resolved_by")
        .order_by("resolved_at", "-created_at")
    )
    rows = [
        {
            "review": review,
            "form": ReviewResolveForm(auto_id=f"id_review{review.pk}_%s")
            if review.resolved_at is None
            else None,
        }
        for review in reviews
    ]
    return render(request, "backoffice/grading/reviews.html", {"rows": rows})


@require_POST
@member_view(Capability.ISSUE)
def review_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    back = redirect("backoffice:regrade_reviews", slug=member.organization.slug)
    form = ReviewResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose keep or revoke, and give a reason.")
        return back
    try:
        review = regrade.resolve_review(
            member=member,
            pk=pk,
            revoke=form.cleaned_data["decision"] == REVOKE,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return back
    messages.success(
        request,
        "Credential revoked; review resolved."
        if review.resolution.startswith("revoked")
        else "Credential kept; review resolved.",
    )
    return back


# -- one attempt, for staff --------------------------------------------------------------------


def _response_lines(answer: AttemptItem) -> list[str]:
    """An automatically scored answer in words (the candidate's choices by their text)."""
    version, response = answer.item_version, answer.response or {}
    interaction, kind = version.interaction, version.kind
    texts = {c["id"]: c["text"] for c in interaction.get("choices", [])}
    if not response:
        return []
    if kind == items.SINGLE:
        return [texts.get(response.get("choice"), "?")]
    if kind == items.MULTIPLE:
        return [texts.get(c, "?") for c in response.get("choices", [])]
    if kind == items.TRUE_FALSE:
        return ["True" if response.get("value") else "False"]
    if kind in (items.NUMERIC, items.SHORT_TEXT):
        return [str(response.get("value", response.get("text", "")))]
    if kind == items.ORDERING:
        return [" → ".join(texts.get(c, "?") for c in response.get("order", []))]
    if kind == items.MATCHING:
        premises = {p["id"]: p["text"] for p in interaction.get("premises", [])}
        responses = {r["id"]: r["text"] for r in interaction.get("responses", [])}
        return [
            f"{premises.get(p, '?')} → {responses.get(r, '?')}"
            for p, r in response.get("pairs", {}).items()
        ]
    return []


@member_view(Capability.VIEW)
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    authors = member.can(Capability.AUTHOR_EXAMS)
    if not (authors or member.can(Capability.ASSESS)):
        raise HttpForbidden("Your role does not allow this.")
    try:
        attempt = Attempt.objects.select_related("exam", "exam_version", "candidate").get(
            pk=pk, organization_id=member.organization_id
        )
    except Attempt.DoesNotExist:
        raise Http404("No such attempt.") from None
    answers = list(attempt.items.select_related("item_version").order_by("slot"))
    marks_by_item: dict[int, list[Mark]] = {}
    for mark in (
        Mark.objects.filter(attempt_item__attempt=attempt)
        .select_related("assessor", "rubric")
        .order_by("created_at")
    ):
        marks_by_item.setdefault(mark.attempt_item_id, []).append(mark)
    questions = []
    for answer in answers:
        manual = answer.item_version.kind in items.MANUAL_KINDS
        marks = marks_by_item.get(answer.pk, [])
        rubric = marks[0].rubric if marks else None
        questions.append(
            {
                "answer": answer,
                "version": answer.item_version,
                "manual": manual,
                "lines": _response_lines(answer),
                "handed_in": _answer_view(answer) if manual else None,
                "percent": answer.fraction * 100 if answer.fraction is not None else None,
                # Assessors' marks (with their names) once the answer's mark is final.
                "marks": _marks_view(marks, rubric) if not answer.needs_grading else [],
                "pending_marks": len(marks) if answer.needs_grading else 0,
            }
        )
    blind_for_viewer = _is_blind(attempt) and not authors
    context = {
        "attempt": attempt,
        "exam": attempt.exam,
        "candidate": grading.candidate_label(attempt)
        if blind_for_viewer
        else attempt.candidate.full_name or attempt.candidate.email,
        "candidate_email": "" if blind_for_viewer else attempt.candidate.email,
        "questions": questions,
        "events": list(
            attempt.events.filter(Q(kind__startswith="integrity.")).order_by("sequence")
        ),
        "chain_problems": log.verify_chain(attempt),
        "event_count": attempt.events.count(),
        "authors": authors,
        "blind": blind_for_viewer,  # handed-in files' names could identify the candidate
    }
    return render(request, "backoffice/grading/attempt.html", context)
