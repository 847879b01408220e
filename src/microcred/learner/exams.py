"""Taking exams: the exam's page, one page per question with autosave, submission with a
confirmation, and the review. Pages work without JavaScript; ``attempt.js`` adds autosave, the
timer and integrity signals on top of the same forms."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from microcred.core.errors import DomainError, NotFound
from microcred.exams import candidate
from microcred.exams.models import Attempt, AttemptState, AttemptUpload, Exam, ExamStatus
from microcred.exams.queries import achievements_counting
from microcred.exams.services import attempts
from microcred.exams.services.attempts import Access, AttemptClosedError, StaleAnswerError
from microcred.issuance import requirements
from microcred.learner.answers import answer_from_form


def _access(request: HttpRequest, code: str = "") -> Access:
    return Access(
        ip=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        session_key=request.session.session_key or "",
        access_code=code,
        url=request.build_absolute_uri(),
        seb_config_key_hash=request.META.get("HTTP_X_SAFEEXAMBROWSER_CONFIGKEYHASH", ""),
    )


def _attempt(request: HttpRequest, pk: int) -> Attempt:
    try:
        attempt = attempts.get_attempt_for(request.user, pk)  # type: ignore[arg-type]
    except NotFound:
        raise Http404("No such attempt.") from None
    return attempts.close_if_overdue(attempt=attempt)


# -- the exam's page ----------------------------------------------------------------------------


def exam_list(request: HttpRequest) -> HttpResponse:
    """The exams the candidate has taken or is taking, with progress towards credentials."""
    mine = (
        Exam.objects.filter(attempts__candidate=request.user)
        .select_related("organization")
        .distinct()
        .order_by("title")
    )
    rows = []
    for exam in mine:
        rows.append({"exam": exam, "progress": _progress(request, exam)})
    return render(request, "learner/exams/list.html", {"rows": rows})


def _progress(request: HttpRequest, exam: Exam) -> list[dict[str, Any]]:
    return [
        {"achievement": achievement, "entries": requirements.progress(request.user, achievement)}  # type: ignore[arg-type]
        for achievement in achievements_counting(exam)
    ]


def exam_home(request: HttpRequest, exam_uuid: uuid.UUID) -> HttpResponse:
    exam = get_object_or_404(
        Exam.objects.select_related("organization"),
        uuid=exam_uuid,
        status__in=[ExamStatus.PUBLISHED, ExamStatus.ARCHIVED],
    )
    version = exam.published_version()
    if version is None:
        raise Http404("No such exam.")
    config = version.config
    if request.method == "POST":
        try:
            attempt = attempts.start_attempt(
                candidate=request.user,  # type: ignore[arg-type]
                exam=exam,
                version=version,
                access=_access(request, request.POST.get("access_code", "")),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            # Straight to the first unanswered question (one request less at the start spike).
            first = attempt.items.filter(response={}).order_by("slot")
            slot = first.values_list("slot", flat=True).first() or 1
            return redirect("learner:question", pk=attempt.pk, slot=slot)
    previous = list(Attempt.objects.filter(exam=exam, candidate=request.user).order_by("-number"))
    active = next((a for a in previous if a.state == AttemptState.IN_PROGRESS), None)
    return render(
        request,
        "learner/exams/home.html",
        {
            "exam": exam,
            "config": config,
            "attempts": previous,
            "active": active,
            "open": exam.status == ExamStatus.PUBLISHED,
            "needs_code": bool(config.get("access_code_hash")),
            "progress": _progress(request, exam),
        },
        status=400 if request.method == "POST" else 200,
    )


# -- questions ------------------------------------------------------------------------------------


@require_GET
def attempt_start(request: HttpRequest, pk: int) -> HttpResponse:
    """The first unanswered question (or the first one)."""
    attempt = _attempt(request, pk)
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect("learner:review", pk=attempt.pk)
    item = (
        attempt.items.filter(response={}).order_by("slot").first()
        or attempt.items.order_by("slot").first()
    )
    return redirect("learner:question", pk=attempt.pk, slot=item.slot if item else 1)


def question(request: HttpRequest, pk: int, slot: int) -> HttpResponse:
    attempt = _attempt(request, pk)
    if attempt.state != AttemptState.IN_PROGRESS:
        messages.info(request, "This attempt has been submitted.")
        return redirect("learner:review", pk=attempt.pk)
    loaded = candidate.load_items(attempt)
    payload = candidate.attempt_payload(attempt, loaded=loaded)
    questions = payload["questions"]
    current = next((q for q in questions if q["slot"] == slot), None)
    if current is None:
        raise Http404("No such question.")
    shown = next(item.first_seen_at for item in loaded if item.slot == slot)
    error = ""
    status = 200
    if request.method == "POST":
        target = _save_from_form(request, attempt, current, questions)
        if isinstance(target, HttpResponse):
            return target
        error = target
        status = 400
        payload = candidate.attempt_payload(attempt)
        questions = payload["questions"]
        current = next(q for q in questions if q["slot"] == slot)
    elif shown is None:
        attempts.mark_seen(candidate=request.user, attempt_id=attempt.pk, slot=slot)  # type: ignore[arg-type]
    position = questions.index(current)
    linear = payload["navigation"] == "linear"
    return render(
        request,
        "learner/exams/question.html",
        {
            "attempt": attempt,
            "payload": payload,
            "question": current,
            "number": position + 1,
            "total": len(questions),
            "answered": sum(1 for q in questions if q["answered"]),
            "previous": None if linear or position == 0 else questions[position - 1]["slot"],
            "next": questions[position + 1]["slot"] if position + 1 < len(questions) else None,
            "linear": linear,
            "key": uuid.uuid4().hex,
            "error": error,
            "positions": range(1, len(current.get("choices", [])) + 1),
            "uploads": AttemptUpload.objects.filter(
                attempt_item__attempt=attempt, attempt_item__slot=slot
            ),
        },
        status=status,
    )


def _save_from_form(
    request: HttpRequest, attempt: Attempt, current: dict[str, Any], questions: list[Any]
) -> HttpResponse | str:
    """Save the posted answer, then go where the button said; a refusal is returned as text."""
    try:
        answer = answer_from_form(current, request.POST)
        if answer or current["answered"]:
            attempts.save_answer(
                candidate=request.user,  # type: ignore[arg-type]
                attempt_id=attempt.pk,
                slot=current["slot"],
                answer=answer,
                sequence=int(request.POST.get("sequence", "-1")),
                idempotency_key=request.POST.get("key", ""),
                access=_access(request),
            )
        if "flag" in request.POST:
            attempts.set_flag(
                candidate=request.user,  # type: ignore[arg-type]
                attempt_id=attempt.pk,
                slot=current["slot"],
                flagged=request.POST["flag"] == "1",
            )
    except AttemptClosedError as exc:
        messages.error(request, exc.message)
        return redirect("learner:review", pk=attempt.pk)
    except (DomainError, ValueError) as exc:
        return getattr(exc, "message", "That answer could not be saved.")
    go = request.POST.get("go", "")
    if go == "submit":
        return redirect("learner:submit", pk=attempt.pk)
    if go.isdigit() and any(q["slot"] == int(go) for q in questions):
        return redirect("learner:question", pk=attempt.pk, slot=int(go))
    return redirect("learner:question", pk=attempt.pk, slot=current["slot"])


@require_POST
def save(request: HttpRequest, pk: int) -> JsonResponse:
    """The page's autosave: the question's form fields, plus slot, sequence and key."""
    try:
        attempt = attempts.get_attempt_for(request.user, pk)  # type: ignore[arg-type]
    except NotFound:
        return JsonResponse({"error": "No such attempt."}, status=404)
    slot = request.POST.get("slot", "")
    item = (
        attempt.items.select_related("item_version").filter(slot=int(slot)).first()
        if slot.isdigit()
        else None
    )
    if item is None:
        return JsonResponse({"error": "No such question."}, status=404)
    current = candidate.question(item)  # this question only: ids and kind for the form parser
    now = timezone.now()
    try:
        saved = attempts.save_answer(
            candidate=request.user,  # type: ignore[arg-type]
            attempt_id=attempt.pk,
            slot=current["slot"],
            answer=answer_from_form(current, request.POST),
            sequence=int(request.POST.get("sequence", "-1")),
            idempotency_key=request.POST.get("key", ""),
            access=_access(request),
            now=now,
        )
    except StaleAnswerError as exc:
        return JsonResponse({"error": exc.message, "current": exc.current}, status=409)
    except AttemptClosedError as exc:
        review = reverse("learner:review", args=[attempt.pk])
        return JsonResponse({"error": exc.message, "review": review}, status=410)
    except (DomainError, ValueError) as exc:
        return JsonResponse({"error": getattr(exc, "message", "Not saved.")}, status=400)
    return JsonResponse(
        {
            "sequence": saved.sequence,
            "saved_at": saved.saved_at.isoformat(),
            "deadline": saved.deadline_at.isoformat() if saved.deadline_at else None,
            "server_now": now.isoformat(),
        }
    )


@require_POST
def signal(request: HttpRequest, pk: int) -> JsonResponse:
    try:
        attempts.get_attempt_for(request.user, pk)  # type: ignore[arg-type]
    except NotFound:
        return JsonResponse({"error": "No such attempt."}, status=404)
    try:
        body = json.loads(request.body or b"{}")
        attempts.record_signal(
            candidate=request.user,  # type: ignore[arg-type]
            attempt_id=pk,
            kind=str(body.get("kind", "")),
            detail=str(body.get("detail", "")),
        )
    except (DomainError, ValueError) as exc:
        return JsonResponse({"error": getattr(exc, "message", "Bad signal.")}, status=400)
    return JsonResponse({"recorded": True})


@require_POST
def upload(request: HttpRequest, pk: int, slot: int) -> HttpResponse:
    attempt = _attempt(request, pk)
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, "Choose a file to hand in.")
        return redirect("learner:question", pk=pk, slot=slot)
    try:
        stored = attempts.hand_in_file(
            candidate=request.user,  # type: ignore[arg-type]
            attempt_id=attempt.pk,
            slot=slot,
            upload=file,
        )
        item = attempt.items.get(slot=slot)
        attempts.save_answer(
            candidate=request.user,  # type: ignore[arg-type]
            attempt_id=attempt.pk,
            slot=slot,
            answer={"upload": stored.pk},
            sequence=item.sequence,
            idempotency_key=f"upload-{stored.pk}",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{stored.name} handed in.")
    return redirect("learner:question", pk=pk, slot=slot)


@require_GET
def uploaded_file(request: HttpRequest, pk: int, upload_id: int) -> HttpResponse:
    """The candidate's own handed-in file, always as a download."""
    attempt = _attempt(request, pk)
    stored = get_object_or_404(AttemptUpload, pk=upload_id, attempt_item__attempt=attempt)
    # Always an attachment of an opaque type: a handed-in file never renders in our origin.
    return FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.file.name.rsplit("/", 1)[-1],
        content_type="application/octet-stream",
    )


# -- submit and review ---------------------------------------------------------------------------


def submit(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt(request, pk)
    if attempt.state != AttemptState.IN_PROGRESS:
        return redirect("learner:review", pk=attempt.pk)
    if request.method == "POST":
        attempts.submit_attempt(candidate=request.user, attempt_id=attempt.pk)  # type: ignore[arg-type]
        return redirect("learner:review", pk=attempt.pk)
    payload = candidate.attempt_payload(attempt)
    return render(
        request,
        "learner/exams/submit.html",
        {
            "attempt": attempt,
            "payload": payload,
            "unanswered": [q for q in payload["questions"] if not q["answered"]],
            "flagged": [q for q in payload["questions"] if q["flagged"]],
            "number": len(payload["questions"]),
            "total": len(payload["questions"]),
            "answered": sum(1 for q in payload["questions"] if q["answered"]),
        },
    )


@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _attempt(request, pk)
    if attempt.state == AttemptState.IN_PROGRESS:
        return redirect("learner:attempt", pk=attempt.pk)
    return render(
        request,
        "learner/exams/review.html",
        {
            "attempt": attempt,
            "review": candidate.review(attempt),
            "progress": _progress(request, attempt.exam),
        },
    )
