"""Marking essays and projects: rubrics, the assessors' queue (optionally blind), single or
double marking with the exam's rule for disagreement, comments back to the candidate. When the
last answer of an attempt has its final mark, the attempt is graded and credentials follow."""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.exams import log
from microcred.exams.models import Attempt, AttemptItem, AttemptState, Mark, Rubric
from microcred.exams.services import attempts
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability

MAX_CRITERIA = 20
MAX_LEVELS = 10


# -- rubrics ------------------------------------------------------------------------------------


def _points(value: Any, where: str) -> Decimal:
    try:
        points = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(f"{where}: points must be a number.", field="criteria") from None
    if not points.is_finite() or not 0 <= points <= 1000:
        raise DomainError(f"{where}: points must be from 0 to 1000.", field="criteria")
    return points


@transaction.atomic
def create_rubric(
    *, member: Membership, name: str, criteria: Any, pass_points: Any = None
) -> Rubric:
    """A rubric: criteria with scored, described levels (e.g. 0 "missing" … 4 "excellent")."""
    require(member, Capability.AUTHOR_EXAMS)
    name = " ".join(str(name).split())
    if not name or len(name) > 200:
        raise DomainError("Enter a name of at most 200 characters.", field="name")
    if not isinstance(criteria, list) or not 1 <= len(criteria) <= MAX_CRITERIA:
        raise DomainError(f"A rubric has 1 to {MAX_CRITERIA} criteria.", field="criteria")
    cleaned = []
    for n, criterion in enumerate(criteria, 1):
        title = " ".join(str((criterion or {}).get("title", "")).split())
        levels = (criterion or {}).get("levels")
        if not title:
            raise DomainError(f"Criterion {n} needs a title.", field="criteria")
        if not isinstance(levels, list) or not 2 <= len(levels) <= MAX_LEVELS:
            raise DomainError(f"Criterion {n} needs 2 to {MAX_LEVELS} levels.", field="criteria")
        clean_levels = []
        for level in levels:
            points = _points((level or {}).get("points"), f"Criterion {n}")
            descriptor = " ".join(str((level or {}).get("descriptor", "")).split())[:500]
            clean_levels.append({"points": str(points), "descriptor": descriptor})
        if len({level["points"] for level in clean_levels}) != len(clean_levels):
            raise DomainError(f"Criterion {n}: two levels have the same points.", field="criteria")
        cleaned.append({"id": f"c{n}", "title": title[:200], "levels": clean_levels})
    rubric = Rubric(
        organization_id=member.organization_id,
        name=name,
        criteria=cleaned,
        created_by=member.user,
    )
    if pass_points not in (None, ""):
        rubric.pass_points = _points(pass_points, "The pass mark")
        if rubric.pass_points > rubric.max_points:
            raise DomainError("The pass mark is above the rubric's maximum.", field="pass_points")
    rubric.save()
    log_action(
        "microcred.rubric.created",
        actor=member.user,
        organization=member.organization,
        target=rubric,
        data={"name": name, "criteria": len(cleaned)},
    )
    return rubric


def rubric_for(item: AttemptItem) -> Rubric | None:
    rubric_id = item.item_version.scoring.get("rubric")
    if not rubric_id:
        return None
    return Rubric.objects.filter(pk=rubric_id, organization_id=item.attempt.organization_id).first()


# -- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueEntry:
    item: AttemptItem
    candidate_label: str  # the candidate's name, or a pseudonym under blind marking
    marks: int


def candidate_label(attempt: Attempt) -> str:
    """Who wrote it, or (blind marking) a stable pseudonym that names nobody."""
    if attempt.exam_version.config.get("blind_marking"):
        digest = hashlib.sha256(f"{attempt.pk}:{attempt.seed}".encode()).hexdigest()[:6]
        return f"Candidate {digest.upper()}"
    return attempt.candidate.full_name or attempt.candidate.email


def grading_queue(member: Membership) -> list[QueueEntry]:
    """Answers waiting for this assessor: not marked by them yet, still short of marks."""
    require(member, Capability.ASSESS)
    waiting = (
        AttemptItem.objects.filter(
            attempt__organization_id=member.organization_id,
            attempt__state=AttemptState.GRADING,
            needs_grading=True,
        )
        .exclude(marks__assessor=member.user)
        .exclude(attempt__candidate=member.user)  # nobody marks their own work
        .select_related("attempt__exam_version", "attempt__candidate", "item_version")
        .annotate(mark_count=Count("marks"))
        .order_by("attempt__submitted_at", "slot")
    )
    return [QueueEntry(item, candidate_label(item.attempt), item.mark_count) for item in waiting]


def get_answer_for(member: Membership, pk: int) -> AttemptItem:
    require(member, Capability.ASSESS)
    try:
        return AttemptItem.objects.select_related(
            "attempt__exam_version", "attempt__candidate", "attempt__exam", "item_version"
        ).get(pk=pk, attempt__organization_id=member.organization_id)
    except AttemptItem.DoesNotExist:
        raise NotFound("No such answer.") from None


# -- marking --------------------------------------------------------------------------------------


def _fraction_from(
    rubric: Rubric | None, scores: dict[str, Any] | None, percent: Any
) -> tuple[Decimal, dict[str, str]]:
    if rubric is None:
        try:
            value = Decimal(str(percent))
        except InvalidOperation:
            raise DomainError("Enter the mark as a percentage.", field="percent") from None
        if not value.is_finite() or not 0 <= value <= 100:
            raise DomainError("The mark must be from 0 to 100 %.", field="percent")
        return value / 100, {}
    scores = scores or {}
    chosen: dict[str, str] = {}
    total = Decimal(0)
    for criterion in rubric.criteria:
        given = scores.get(criterion["id"])
        allowed = {level["points"] for level in criterion["levels"]}
        if given is None or str(given) not in allowed:
            raise DomainError(f"Choose a level for “{criterion['title']}”.", field="scores")
        chosen[criterion["id"]] = str(given)
        total += Decimal(str(given))
    maximum = rubric.max_points
    return (total / maximum if maximum else Decimal(0)), chosen


def _final(marks: list[Decimal], config: dict[str, Any]) -> Decimal | None:
    """The mark that counts, or None while the rules wait for another assessor."""
    if not config.get("double_marking"):
        return marks[0]
    if len(marks) < 2:
        return None
    if len(marks) == 2:
        apart = abs(marks[0] - marks[1]) * 100
        if (
            apart <= int(config.get("disagreement_points", 10))
            or config.get("disagreement") == "average"
        ):
            return (marks[0] + marks[1]) / 2
        return None  # a third assessor decides
    return Decimal(statistics.median(marks[:3]))


def mark_answer(
    *,
    member: Membership,
    item: AttemptItem,
    scores: dict[str, Any] | None = None,
    percent: Any = None,
    comment: str = "",
) -> Mark:
    """Record this assessor's mark; when the exam's rules make it final, the answer is graded,
    and when it was the attempt's last, the attempt is."""
    require(member, Capability.ASSESS)
    now = timezone.now()
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("exam_version")
            .filter(pk=item.attempt_id, organization_id=member.organization_id)
            .first()
        )
        if attempt is None:
            raise NotFound("No such answer.")
        item = (
            AttemptItem.objects.select_for_update(of=("self",))
            .select_related("item_version")
            .get(pk=item.pk, attempt=attempt)
        )
        if attempt.state != AttemptState.GRADING or not item.needs_grading:
            raise DomainError("This answer has its final mark already.")
        if attempt.candidate_id == member.user_id:
            raise DomainError("You cannot mark your own work.")
        item.attempt = attempt
        fraction, chosen = _fraction_from(rubric_for(item), scores, percent)
        try:
            with transaction.atomic():
                mark = Mark.objects.create(
                    attempt_item=item,
                    assessor=member.user,
                    rubric=rubric_for(item),
                    scores=chosen,
                    fraction=fraction.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP),
                    comment=comment.strip()[:5000],
                )
        except IntegrityError:
            raise DomainError("You have marked this answer already.") from None
        marks = [m.fraction for m in item.marks.order_by("created_at")]
        final = _final(marks, attempt.exam_version.config)
        log.append(
            attempt,
            "answer.marked",
            {"slot": item.slot, "mark": str(mark.fraction), "round": len(marks)},
            at=now,
        )
        if final is not None:
            item.fraction = final.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)
            item.needs_grading = False
            item.save(update_fields=["fraction", "needs_grading"])
            if not attempt.items.filter(needs_grading=True).exists():
                attempts.grade(attempt)
                log.append(
                    attempt,
                    "attempt.graded",
                    {"score": str(attempt.score), "passed": attempt.passed},
                    at=now,
                )
                if attempt.state == AttemptState.GRADED:
                    attempts.after_final_grade(attempt)
        log_action(
            "microcred.answer.marked",
            actor=member.user,
            organization=member.organization,
            target=mark,
            data={
                "attempt": attempt.pk,
                "slot": item.slot,
                "mark": str(mark.fraction),
                "final": str(item.fraction) if final is not None else None,
            },
        )
        return mark


def comments_for(attempt: Attempt) -> dict[int, list[str]]:
    """Assessors' comments per slot, for the candidate's review (never the assessors' names)."""
    comments: dict[int, list[str]] = {}
    for mark in (
        Mark.objects.filter(attempt_item__attempt=attempt, attempt_item__needs_grading=False)
        .exclude(comment="")
        .select_related("attempt_item")
    ):
        comments.setdefault(mark.attempt_item.slot, []).append(mark.comment)
    return comments
