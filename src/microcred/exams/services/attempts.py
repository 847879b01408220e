"""Taking an exam: start or resume, save answers, flag, submit, and the sweeper.

The server owns the clock: ``deadline_at`` is set at the start (time limit × accommodation,
capped by the window's end) and pages only display it. Saves are accepted until the deadline
plus :data:`NETWORK_GRACE`; later ones close the attempt at its deadline and are refused. Each
answer names the sequence number it was based on (a stale tab or the back button cannot
overwrite a newer answer) and carries an idempotency key (a retried or double request saves
once). Every event goes to the attempt's hash-chained log.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from microcred.accounts.models import User
from microcred.core.errors import DomainError, NotFound
from microcred.exams import draw, items, log
from microcred.exams.models import (
    Accommodation,
    Attempt,
    AttemptItem,
    AttemptState,
    AttemptUpload,
    Exam,
    ExamStatus,
    ExamVersion,
    FinishReason,
    ResponseStep,
)
from microcred.exams.services import pools

#: Saves this long after the deadline are still taken (a slow network, a save in flight).
NETWORK_GRACE = timedelta(seconds=60)
#: An answer saved this soon after the question was first shown is flagged as implausibly fast.
FAST_ANSWER = timedelta(seconds=2)
#: Integrity signals a page may report (advisory: they flag the attempt for review, nothing more).
CLIENT_SIGNALS = frozenset({"focus_lost", "tab_hidden", "paste", "fullscreen_exit"})
MAX_SIGNALS = 500


class AttemptClosedError(DomainError):
    code = "attempt_closed"


class StaleAnswerError(DomainError):
    """The answer was based on an older state of the question (another tab, the back button)."""

    code = "stale_answer"

    def __init__(self, message: str, *, current: int) -> None:
        super().__init__(message)
        self.current = current


@dataclass(frozen=True, slots=True)
class Access:
    """What the request tells about where the candidate is."""

    ip: str | None = None
    user_agent: str = ""
    session_key: str = ""
    access_code: str = ""
    url: str = ""  # the full URL requested (Safe Exam Browser hashes it)
    seb_config_key_hash: str = ""  # X-SafeExamBrowser-ConfigKeyHash


@dataclass(frozen=True, slots=True)
class Saved:
    slot: int
    sequence: int
    saved_at: datetime
    deadline_at: datetime | None
    replayed: bool = False


# -- time ---------------------------------------------------------------------------------------


def _accommodation(exam: Exam, candidate: User) -> Accommodation | None:
    """The candidate's accommodation for this exam, else their organization-wide one."""
    return (
        Accommodation.objects.filter(organization_id=exam.organization_id, candidate=candidate)
        .filter(Q(exam=exam) | Q(exam__isnull=True))
        .order_by(F("exam_id").asc(nulls_last=True))
        .first()
    )


def deadline_for(
    config: dict[str, Any], started_at: datetime, accommodation: Accommodation | None
) -> datetime | None:
    """Start + time limit (× multiplier + extra minutes), capped by the window's end, which an
    accommodation extends by the same extra time (else extra time would be cut off)."""
    limit = config.get("time_limit_minutes")
    extra = timedelta(0)
    deadline = None
    if limit:
        allowed = timedelta(minutes=limit)
        if accommodation is not None:
            allowed = allowed * float(accommodation.time_multiplier) + timedelta(
                minutes=accommodation.extra_minutes
            )
            extra = allowed - timedelta(minutes=limit)
        deadline = started_at + allowed
    elif accommodation is not None:
        extra = timedelta(minutes=accommodation.extra_minutes)
    close = parse_datetime(config["close_at"]) if config.get("close_at") else None
    if close is not None:
        close += extra
        deadline = close if deadline is None else min(deadline, close)
    return deadline


def reschedule_open_attempts(attempts: QuerySet[Attempt], *, now: datetime) -> int:
    """Recompute the deadline of in-progress attempts (after an accommodation changed)."""
    changed = 0
    for attempt_id in attempts.values_list("pk", flat=True):
        with transaction.atomic():
            attempt = (
                Attempt.objects.select_for_update(of=("self",))
                .select_related("exam_version")
                .get(pk=attempt_id)
            )
            if attempt.state != AttemptState.IN_PROGRESS:
                continue
            deadline = deadline_for(
                attempt.exam_version.config,
                attempt.started_at,
                _accommodation(attempt.exam, attempt.candidate),
            )
            if deadline != attempt.deadline_at:
                log.append(
                    attempt,
                    "attempt.rescheduled",
                    {"from": _iso(attempt.deadline_at), "to": _iso(deadline)},
                    at=now,
                )
                attempt.deadline_at = deadline
                attempt.save(update_fields=["deadline_at"])
                changed += 1
    return changed


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- start --------------------------------------------------------------------------------------


def _check_access(config: dict[str, Any], access: Access) -> None:
    if config.get("ip_ranges"):
        try:
            address = ipaddress.ip_address(access.ip or "")
        except ValueError:
            address = None
        if address is None or not any(
            address in ipaddress.ip_network(r) for r in config["ip_ranges"]
        ):
            raise DomainError("This exam can only be taken from the exam room's network.")
    code_hash = config.get("access_code_hash")
    if code_hash and not (access.access_code and check_password(access.access_code, code_hash)):
        raise DomainError("The access code is not right.", field="access_code")
    keys = config.get("seb_config_keys") or []
    if keys:
        # SEB sends SHA-256(requested URL ‖ config key) in X-SafeExamBrowser-ConfigKeyHash.
        sent = access.seb_config_key_hash.strip().lower()
        expected = [hashlib.sha256((access.url + key).encode()).hexdigest() for key in keys]
        if not any(hmac.compare_digest(sent, e) for e in expected):
            raise DomainError("Open this exam in Safe Exam Browser with the exam's settings.")


def _check_availability(config: dict[str, Any], previous: list[Attempt], now: datetime) -> int:
    """Window, attempts left and cooldown (``previous``: the candidate's attempts at this exam,
    latest first); returns the new attempt's number."""
    open_at = parse_datetime(config["open_at"]) if config.get("open_at") else None
    close_at = parse_datetime(config["close_at"]) if config.get("close_at") else None
    if open_at and now < open_at:
        raise DomainError(f"This exam opens at {open_at:%Y-%m-%d %H:%M} UTC.")
    if close_at and now >= close_at:
        raise DomainError("This exam has closed.")
    maximum = config.get("max_attempts")
    if maximum and len(previous) >= maximum:
        raise DomainError(
            f"You have used all {maximum} attempt{'s' if maximum > 1 else ''} at this exam."
        )
    cooldown = config.get("cooldown_minutes") or 0
    if previous and cooldown:
        last = previous[0]
        # As Moodle: counted from the submission, or from when the time limit would have ended
        # (an abandoned attempt must not lock the candidate out for longer).
        ends = [moment for moment in (last.submitted_at, last.deadline_at) if moment]
        ready = min(ends) + timedelta(minutes=cooldown) if ends else None
        if ready and now < ready:
            raise DomainError(f"You can start your next attempt at {ready:%Y-%m-%d %H:%M} UTC.")
    return (previous[0].number + 1) if previous else 1


def start_attempt(
    *,
    candidate: User,
    exam: Exam,
    access: Access,
    version: ExamVersion | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Resume the candidate's attempt in progress, or start a new one: the same form every
    time, never a fresh draw (restarting is no way to get easier questions).

    This is the request every candidate makes in the same minute, so it is kept to a handful
    of queries: one read of the candidate's attempts decides between resuming and starting (a
    concurrent start is caught by the one-active-attempt constraint and resumed), and the new
    attempt is written with its questions, its first question marked as shown (the start
    leads straight to it) and both log events in four statements.
    ``version``: the exam's published version, when the caller has it already."""
    now = now or timezone.now()
    previous = list(
        Attempt.objects.filter(exam=exam, candidate=candidate)
        .only("pk", "number", "state", "submitted_at", "deadline_at")
        .order_by("-number")
    )
    if any(attempt.state == AttemptState.IN_PROGRESS for attempt in previous):
        active = _resume(candidate, exam, access, now)
        if active is not None:
            return active
        previous = list(Attempt.objects.filter(exam=exam, candidate=candidate).order_by("-number"))
    if exam.status != ExamStatus.PUBLISHED:
        raise DomainError("This exam is not open.")
    version = version or exam.published_version()
    if version is None:
        raise DomainError("This exam is not open.")
    config = version.config
    _check_access(config, access)
    number = _check_availability(config, previous, now)
    seen: Counter[int] = Counter()
    if previous:  # unseen questions first: only a retake has seen any
        seen.update(
            AttemptItem.objects.filter(
                attempt__exam=exam, attempt__candidate=candidate
            ).values_list("item_version__item_id", flat=True)
        )
    seed = secrets.token_hex(16)
    try:
        slots = pools.draw_for(exam.organization_id, config, seen=seen, seed=seed)
    except draw.DrawError as exc:
        raise DomainError(f"The exam cannot be assembled: {exc}.") from None
    deadline = deadline_for(config, now, _accommodation(exam, candidate))
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                organization_id=exam.organization_id,
                exam=exam,
                exam_version=version,
                candidate=candidate,
                number=number,
                seed=seed,
                started_at=now,
                deadline_at=deadline,
                ip_address=access.ip,
                user_agent=access.user_agent[:300],
                session_key=access.session_key[:64],
                max_score=sum(Decimal(str(slot.candidate.max_score)) for slot in slots),
            )
            AttemptItem.objects.bulk_create(
                AttemptItem(
                    attempt=attempt,
                    slot=number_,
                    section=slot.section,
                    item_version_id=slot.candidate.version_id,
                    order=slot.order,
                    opaque=slot.opaque,
                    max_score=slot.candidate.max_score,
                    first_seen_at=now if number_ == 1 else None,
                )
                for number_, slot in enumerate(slots, 1)
            )
            started = {
                "exam_version": version.number,
                "items": [slot.candidate.version_id for slot in slots],
                "deadline": _iso(attempt.deadline_at),
                "ip": access.ip,
                "user_agent": access.user_agent[:300],
            }
            log.extend(
                attempt,
                [("attempt.started", started), ("question.shown", {"slot": 1})],
                at=now,
            )
    except IntegrityError:
        # Another request of this candidate started the attempt a moment ago: resume it.
        active = _resume(candidate, exam, access, now)
        if active is None:
            raise
        return active
    return attempt


def _resume(candidate: User, exam: Exam, access: Access, now: datetime) -> Attempt | None:
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .filter(exam=exam, candidate=candidate, state=AttemptState.IN_PROGRESS)
            .first()
        )
        if attempt is None:
            return None
        if _past_grace(attempt, now):
            _close(attempt, finish=attempt.deadline_at, reason=FinishReason.SWEEPER, now=now)
            return None
        _note_location(attempt, access, now)
        log.append(attempt, "attempt.resumed", {"ip": access.ip}, at=now)
        return attempt


def _note_location(attempt: Attempt, access: Access, now: datetime) -> None:
    """Server-side integrity signals: another network, another browser session."""
    signals = {}
    if access.ip and attempt.ip_address and access.ip != attempt.ip_address:
        signals["ip_changed"] = {"from": attempt.ip_address, "to": access.ip}
    if access.session_key and attempt.session_key and access.session_key != attempt.session_key:
        signals["second_session"] = {"user_agent": access.user_agent[:300]}
    for kind, data in signals.items():
        log.append(attempt, f"integrity.{kind}", data, at=now)
    if signals and not attempt.flagged:
        attempt.flagged = True
        attempt.save(update_fields=["flagged"])


# -- answers ------------------------------------------------------------------------------------


def get_attempt_for(candidate: User, attempt_id: int, *, lock: bool = False) -> Attempt:
    query = Attempt.objects.select_related("exam", "exam_version")
    if lock:
        query = query.select_for_update(of=("self",))
    try:
        return query.get(pk=attempt_id, candidate=candidate)
    except Attempt.DoesNotExist:
        raise NotFound("No such attempt.") from None


def _past_grace(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + NETWORK_GRACE


def _to_real(item: AttemptItem, answer: dict[str, Any]) -> dict[str, Any]:
    """Map the page's opaque ids back to the item's own ids; unknown ids, or ids of another
    list (a response id where a premise belongs), are refused."""

    def real(value: Any, key: str) -> str:
        named = item.opaque.get(value) if isinstance(value, str) else None
        if named is None or not named.startswith(f"{key}:"):
            raise DomainError("That answer does not belong to this question.")
        return named.removeprefix(f"{key}:")

    def listed(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise DomainError("That answer does not belong to this question.")
        return value

    mapped = dict(answer)
    if "choice" in answer:
        mapped["choice"] = real(answer["choice"], "choices")
    if "choices" in answer:
        mapped["choices"] = [real(c, "choices") for c in listed(answer["choices"])]
    if "order" in answer:
        mapped["order"] = [real(c, "choices") for c in listed(answer["order"])]
    if "pairs" in answer:
        if not isinstance(answer["pairs"], dict):
            raise DomainError("That answer does not belong to this question.")
        mapped["pairs"] = {
            real(p, "premises"): real(r, "responses") for p, r in answer["pairs"].items()
        }
    return mapped


def save_answer(
    *,
    candidate: User,
    attempt_id: int,
    slot: int,
    answer: dict[str, Any],
    sequence: int,
    idempotency_key: str,
    access: Access | None = None,
    now: datetime | None = None,
) -> Saved:
    """Save one answer (opaque ids as the page has them). ``sequence`` is the item's sequence
    number the page showed; ``idempotency_key`` identifies this save across retries."""
    now = now or timezone.now()
    if not isinstance(idempotency_key, str) or not 8 <= len(idempotency_key) <= 64:
        raise DomainError("A save needs an idempotency key of 8 to 64 characters.")
    with transaction.atomic():
        attempt = get_attempt_for(candidate, attempt_id, lock=True)
        outcome = _save(attempt, slot, answer, sequence, idempotency_key, access, now)
    # Refusals are raised only here, after the commit: what they logged (and, for a late save,
    # the closing of the attempt) must not be rolled back with them.
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def _save(
    attempt: Attempt,
    slot: int,
    answer: dict[str, Any],
    sequence: int,
    idempotency_key: str,
    access: Access | None,
    now: datetime,
) -> Saved | DomainError:
    prior = (
        ResponseStep.objects.filter(attempt=attempt, idempotency_key=idempotency_key)
        .select_related("attempt_item")
        .first()
    )
    if prior is not None:
        if prior.attempt_item.slot != slot:
            return DomainError("This idempotency key was used for another question.")
        return Saved(slot, prior.sequence, prior.saved_at, attempt.deadline_at, replayed=True)
    if attempt.state != AttemptState.IN_PROGRESS:
        return AttemptClosedError("This attempt has been submitted; answers can't change.")
    if _past_grace(attempt, now):
        log.append(attempt, "answer.rejected_late", {"slot": slot}, at=now)
        _close(attempt, finish=attempt.deadline_at, reason=FinishReason.DEADLINE, now=now)
        return AttemptClosedError(
            "Time is up: the attempt was submitted at its deadline with the answers saved "
            "until then."
        )
    # Lock only this answer's row: the item version is shared by every candidate's attempt.
    item = (
        attempt.items.select_for_update(of=("self",))
        .select_related("item_version")
        .filter(slot=slot)
    )
    item = item.first()
    if item is None:
        return NotFound("No such question in this attempt.")
    if attempt.exam_version.config.get("navigation") == "linear":
        furthest = attempt.items.exclude(first_seen_at=None).order_by("-slot").first()
        if furthest is not None and slot < furthest.slot:
            return DomainError("This exam goes forward only: earlier answers are final.")
    if sequence != item.sequence:
        log.append(
            attempt,
            "answer.rejected_stale",
            {"slot": slot, "sent": sequence, "current": item.sequence},
            at=now,
        )
        return StaleAnswerError(
            "This question was answered in another window; reload to see the latest answer.",
            current=item.sequence,
        )
    version = item.item_version
    try:
        real = items.validate_response(version.kind, version.interaction, _to_real(item, answer))
    except items.ItemError as exc:
        return DomainError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    except DomainError as exc:
        return exc
    if version.kind == items.FILE and real and not item.uploads.filter(pk=real["upload"]).exists():
        return DomainError("That file was not handed in for this question.")
    if real == item.response and item.sequence > 0:
        # The same answer again (the page's "next" after its autosave): nothing to store.
        return Saved(slot, item.sequence, item.answered_at or now, attempt.deadline_at)
    shown_at = item.first_seen_at
    item.sequence += 1
    step = ResponseStep.objects.create(
        attempt=attempt,
        attempt_item=item,
        sequence=item.sequence,
        idempotency_key=idempotency_key,
        payload=real,
        saved_at=now,
        late=attempt.deadline_at is not None and now > attempt.deadline_at,
    )
    item.response = real
    item.answered_at = now
    item.first_seen_at = shown_at or now
    item.save(update_fields=["response", "sequence", "answered_at", "first_seen_at"])
    digest = hashlib.sha256(json.dumps(real, sort_keys=True).encode()).hexdigest()
    log.append(
        attempt,
        "answer.saved",
        {"slot": slot, "sequence": item.sequence, "answer_sha256": digest, "late": step.late},
        at=now,
    )
    if shown_at is not None and item.sequence == 1 and now - shown_at < FAST_ANSWER:
        seconds = (now - shown_at).total_seconds()
        log.append(attempt, "integrity.fast_answer", {"slot": slot, "seconds": seconds}, at=now)
    if access is not None:
        _note_location(attempt, access, now)
    return Saved(slot, item.sequence, now, attempt.deadline_at)


def hand_in_file(
    *, candidate: User, attempt_id: int, slot: int, upload: Any, now: datetime | None = None
) -> AttemptUpload:
    """Store a file for a file/project question (type and size as the question allows). The
    page then saves ``{"upload": id}`` as the answer, like any other answer."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = get_attempt_for(candidate, attempt_id, lock=True)
        if attempt.state != AttemptState.IN_PROGRESS or _past_grace(attempt, now):
            raise AttemptClosedError("This attempt has been submitted; files can't be added.")
        item = attempt.items.select_related("item_version").filter(slot=slot).first()
        if item is None or item.item_version.kind != items.FILE:
            raise NotFound("No such file question in this attempt.")
        interaction = item.item_version.interaction
        name = Path(str(getattr(upload, "name", "") or "file")).name[:200]
        suffix = Path(name).suffix.lower()
        if suffix not in interaction.get("accept", []):
            raise DomainError(
                f"Hand in a file of type {', '.join(interaction.get('accept', []))}.",
                field="file",
            )
        limit = int(interaction.get("max_mb", 20)) * 1024 * 1024
        if upload.size > limit:
            raise DomainError(
                f"The file is larger than {interaction.get('max_mb', 20)} MB.", field="file"
            )
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        stored = AttemptUpload(attempt_item=item, name=name, size=upload.size)
        stored.sha256 = digest.hexdigest()
        # A random stored name: the candidate's file name is kept only as data.
        stored.file.save(f"{secrets.token_hex(16)}{suffix}", upload, save=False)
        stored.save()
        log.append(
            attempt,
            "file.handed_in",
            {"slot": slot, "name": name, "size": upload.size, "sha256": stored.sha256},
            at=now,
        )
        return stored


def mark_seen(*, candidate: User, attempt_id: int, slot: int, now: datetime | None = None) -> None:
    """The page showed question ``slot`` (starts its clock for the fast-answer signal and, in
    linear navigation, makes earlier questions final)."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = get_attempt_for(candidate, attempt_id, lock=True)
        if attempt.state != AttemptState.IN_PROGRESS:
            return
        updated = attempt.items.filter(slot=slot, first_seen_at=None).update(first_seen_at=now)
        if updated:
            log.append(attempt, "question.shown", {"slot": slot}, at=now)


def set_flag(*, candidate: User, attempt_id: int, slot: int, flagged: bool) -> None:
    """The candidate's own "review later" mark."""
    with transaction.atomic():
        attempt = get_attempt_for(candidate, attempt_id, lock=True)
        if attempt.state != AttemptState.IN_PROGRESS:
            raise AttemptClosedError("This attempt has been submitted.")
        if not attempt.items.filter(slot=slot).update(flagged=bool(flagged)):
            raise NotFound("No such question in this attempt.")


def record_signal(
    *,
    candidate: User,
    attempt_id: int,
    kind: str,
    detail: str = "",
    now: datetime | None = None,
) -> None:
    """An integrity signal from the page. Advisory only: it flags the attempt for an assessor
    to look at and never changes a score."""
    now = now or timezone.now()
    if kind not in CLIENT_SIGNALS:
        raise DomainError("Unknown signal.")
    with transaction.atomic():
        attempt = get_attempt_for(candidate, attempt_id, lock=True)
        if attempt.state != AttemptState.IN_PROGRESS:
            return
        if attempt.events.filter(kind__startswith="integrity.").count() >= MAX_SIGNALS:
            return  # enough evidence; a script cannot grow the log without bound
        log.append(attempt, f"integrity.{kind}", {"detail": str(detail)[:200]}, at=now)
        if not attempt.flagged:
            attempt.flagged = True
            attempt.save(update_fields=["flagged"])


# -- submit, grade, sweep -------------------------------------------------------------------------


def submit_attempt(*, candidate: User, attempt_id: int, now: datetime | None = None) -> Attempt:
    """Hand the attempt in (idempotent: submitting twice changes nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = get_attempt_for(candidate, attempt_id, lock=True)
        if attempt.state != AttemptState.IN_PROGRESS:
            return attempt
        if _past_grace(attempt, now):
            _close(attempt, finish=attempt.deadline_at, reason=FinishReason.DEADLINE, now=now)
        else:
            _close(attempt, finish=now, reason=FinishReason.CANDIDATE, now=now)
        return attempt


def close_if_overdue(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Close one attempt whose deadline and grace have passed (when its page is opened, before
    the sweeper gets to it)."""
    now = now or timezone.now()
    if attempt.state != AttemptState.IN_PROGRESS or not _past_grace(attempt, now):
        return attempt
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state == AttemptState.IN_PROGRESS and _past_grace(locked, now):
            _close(locked, finish=locked.deadline_at, reason=FinishReason.SWEEPER, now=now)
    attempt.refresh_from_db()
    return attempt


def sweep_overdue(*, now: datetime | None = None) -> int:
    """Close every attempt whose deadline plus the network grace has passed, finished at its
    deadline (the answers saved until then count). Safe to run on several workers at once."""
    now = now or timezone.now()
    due = Attempt.objects.filter(
        state=AttemptState.IN_PROGRESS, deadline_at__lt=now - NETWORK_GRACE
    ).values_list("pk", flat=True)
    closed = 0
    for attempt_id in list(due):
        with transaction.atomic():
            attempt = Attempt.objects.select_for_update(skip_locked=True).filter(pk=attempt_id)
            attempt = attempt.first()
            if attempt is None or attempt.state != AttemptState.IN_PROGRESS:
                continue
            if not _past_grace(attempt, now):
                continue
            _close(attempt, finish=attempt.deadline_at, reason=FinishReason.SWEEPER, now=now)
            closed += 1
    return closed


def _close(attempt: Attempt, *, finish: datetime | None, reason: str, now: datetime) -> None:
    """Submit and score (inside the caller's transaction, attempt row locked)."""
    attempt.submitted_at = finish or now
    attempt.finish_reason = reason
    grade(attempt)
    log.append(
        attempt,
        "attempt.submitted",
        {
            "reason": reason,
            "finished_at": attempt.submitted_at.isoformat(),
            "score": str(attempt.score),
            "state": attempt.state,
        },
        at=now,
    )
    if attempt.state == AttemptState.GRADED:
        after_final_grade(attempt)


def after_final_grade(attempt: Attempt) -> None:
    """Once the transaction commits, issue what the candidate now qualifies for."""
    attempt_id = attempt.pk

    def queue() -> None:
        from microcred.exams.tasks import attempt_graded

        attempt_graded.delay(attempt_id)

    transaction.on_commit(queue)


def grade(attempt: Attempt) -> None:
    """Score every objective question, total the attempt and, when nothing waits for a person,
    decide pass or fail and the per-skill competence scores."""
    total = Decimal(0)
    pending = False
    scored: list[AttemptItem] = []
    attempt_items = list(attempt.items.select_related("item_version"))
    for item in attempt_items:
        version = item.item_version
        if version.kind in items.MANUAL_KINDS:
            if item.fraction is None:
                pending = True
                if not item.needs_grading:
                    item.needs_grading = True
                    item.save(update_fields=["needs_grading"])
            else:
                total += item.fraction * item.max_score
            continue
        fraction = Decimal(str(items.score(version.kind, version.scoring, item.response)))
        item.fraction = fraction.quantize(Decimal("0.00001"))
        scored.append(item)
        total += item.fraction * item.max_score
    AttemptItem.objects.bulk_update(scored, ["fraction"])
    attempt.score = total.quantize(Decimal("0.001"))
    if attempt.max_score:
        attempt.percent = (total * 100 / attempt.max_score).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    else:
        attempt.percent = Decimal(0)
    if pending:
        attempt.state = AttemptState.GRADING
        attempt.passed = None
    else:
        attempt.state = AttemptState.GRADED
        pass_mark = Decimal(attempt.exam_version.config["pass_mark_percent"])
        attempt.passed = attempt.percent >= pass_mark
        attempt.skill_scores = skill_scores(attempt_items)
    attempt.save(
        update_fields=[
            "state",
            "submitted_at",
            "finish_reason",
            "score",
            "percent",
            "passed",
            "skill_scores",
        ]
    )


def skill_scores(attempt_items: list[AttemptItem]) -> dict[str, float]:
    """Per skill: the weighted share of the points of the questions tagged with it (0-100)."""
    earned: Counter[str] = Counter()
    possible: Counter[str] = Counter()
    for item in attempt_items:
        for skill in item.item_version.skills:
            weight = float(skill["weight"]) * float(item.max_score)
            possible[skill["name"]] += weight
            earned[skill["name"]] += weight * float(item.fraction or 0)
    return {
        name: round(100 * earned[name] / possible[name], 1)
        for name in sorted(possible)
        if possible[name] > 0
    }
