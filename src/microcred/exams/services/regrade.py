"""Regrading after a key fix: a dry run that lists what would change, then applying it.

Attempts keep the item version they showed; a regrade re-pins the answers of one question to a
corrected version (same kind, same choice ids, so the answers still mean the same) and scores
them again. Passing attempts that now fail are never followed by an automatic revocation: if
the candidate holds the credential, the change goes to a review list for a person to decide.
Attempts that now pass are evaluated for issuance like any graded attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.exams import items, log
from microcred.exams.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Item,
    ItemVersion,
    RegradeReview,
)
from microcred.exams.services import attempts
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability


@dataclass(frozen=True, slots=True)
class Change:
    attempt_id: int
    candidate: str
    slot: int
    old_fraction: Decimal
    new_fraction: Decimal
    old_percent: Decimal
    new_percent: Decimal
    old_passed: bool | None
    new_passed: bool | None


def _ids(version: ItemVersion) -> set[str]:
    interaction = version.interaction
    return {
        f"{key}:{entry['id']}"
        for key in ("choices", "premises", "responses")
        for entry in interaction.get(key, [])
    }


def _check(item: Item, version: ItemVersion) -> None:
    if version.item_id != item.pk:
        raise DomainError("That version belongs to another question.")
    if version.kind in items.MANUAL_KINDS:
        raise DomainError("Essays and projects are re-marked by assessors, not regraded.")


def _affected(item: Item, version: ItemVersion) -> list[AttemptItem]:
    return list(
        AttemptItem.objects.filter(
            item_version__item=item,
            attempt__state__in=[AttemptState.GRADED, AttemptState.GRADING],
        )
        .exclude(item_version=version)
        .select_related("attempt__exam_version", "attempt__candidate", "item_version")
        .order_by("attempt_id", "slot")
    )


def _new_fraction(answer: AttemptItem, version: ItemVersion) -> Decimal:
    try:
        response = items.validate_response(version.kind, version.interaction, answer.response)
    except items.ItemError:
        response = {}
    return Decimal(str(items.score(version.kind, version.scoring, response))).quantize(
        Decimal("0.00001")
    )


def preview(*, member: Membership, item: Item, version: ItemVersion) -> list[Change]:
    """Dry run: every attempt whose score the corrected ``version`` would change."""
    require(member, Capability.AUTHOR_EXAMS)
    if item.organization_id != member.organization_id:
        raise DomainError("No such question.")
    _check(item, version)
    changes = []
    for answer in _affected(item, version):
        if answer.item_version.kind != version.kind or _ids(answer.item_version) != _ids(version):
            raise DomainError(
                f"Version {version.number} changes the question's kind or choices; answers given "
                f"to version {answer.item_version.number} cannot be scored against it."
            )
        new = _new_fraction(answer, version)
        old = answer.fraction or Decimal(0)
        if new == old:
            continue
        attempt = answer.attempt
        score = (attempt.score or Decimal(0)) + (new - old) * answer.max_score
        percent = (
            (score * 100 / attempt.max_score).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if attempt.max_score
            else Decimal(0)
        )
        passed = None
        if attempt.state == AttemptState.GRADED:
            passed = percent >= Decimal(attempt.exam_version.config["pass_mark_percent"])
        changes.append(
            Change(
                attempt.pk,
                attempt.candidate.email,
                answer.slot,
                old,
                new,
                attempt.percent or Decimal(0),
                percent,
                attempt.passed,
                passed,
            )
        )
    return changes


def apply(*, member: Membership, item: Item, version: ItemVersion) -> list[Change]:
    """Re-pin every affected answer to ``version``, re-score the attempts, and route the
    consequences: newly passing → issuance; newly failing with a credential → review list."""
    changes = preview(member=member, item=item, version=version)
    now = timezone.now()
    with transaction.atomic():
        for answer in _affected(item, version):
            attempt = Attempt.objects.select_for_update().get(pk=answer.attempt_id)
            was_passed, old_percent = attempt.passed, attempt.percent
            previous = answer.item_version.number
            AttemptItem.objects.filter(pk=answer.pk).update(item_version=version)
            attempts.grade(attempt)
            log.append(
                attempt,
                "regrade.applied",
                {"slot": answer.slot, "from_version": previous, "to_version": version.number},
                at=now,
            )
            if attempt.state != AttemptState.GRADED or attempt.passed == was_passed:
                continue
            if attempt.passed:
                attempts.after_final_grade(attempt)
            else:
                _to_review(attempt, old_percent or Decimal(0))
        log_action(
            "microcred.item.regraded",
            actor=member.user,
            organization=member.organization,
            target=item,
            data={"version": version.number, "changed_attempts": len(changes)},
        )
    return changes


def _to_review(attempt: Attempt, old_percent: Decimal) -> None:
    from microcred.exams.queries import achievements_counting
    from microcred.issuance.models import CredentialStatus, IssuedCredential

    held = IssuedCredential.objects.filter(
        Q(recipient=attempt.candidate) | Q(recipient_email=attempt.candidate.email),
        achievement__in=achievements_counting(attempt.exam),
        status=CredentialStatus.ACTIVE,
    )
    for credential in held:
        RegradeReview.objects.create(
            organization_id=attempt.organization_id,
            attempt=attempt,
            credential=credential,
            old_percent=old_percent,
            new_percent=attempt.percent or Decimal(0),
        )


def resolve_review(*, member: Membership, pk: int, revoke: bool, reason: str) -> RegradeReview:
    """A person's decision on a review-list entry: keep the credential, or revoke it (through
    the issuing service, with the reason shown to verifiers). Audited."""
    from microcred.issuance.services import revoke_credential

    require(member, Capability.ISSUE)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("Give a reason.", field="reason")
    with transaction.atomic():
        review = (
            RegradeReview.objects.select_for_update(of=("self",))
            .select_related("credential")
            .filter(pk=pk, organization_id=member.organization_id)
            .first()
        )
        if review is None:
            raise NotFound("No such review.")
        if review.resolved_at is not None:
            raise DomainError("This review has been resolved already.")
        if revoke:
            if review.credential is None:
                raise DomainError("There is no credential to revoke.")
            revoke_credential(member=member, credential=review.credential, reason=reason)
        review.resolved_at = timezone.now()
        review.resolved_by = member.user
        review.resolution = f"{'revoked' if revoke else 'kept'}: {reason}"[:500]
        review.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        log_action(
            "microcred.regrade_review.resolved",
            actor=member.user,
            organization=member.organization,
            target=review,
            data={
                "attempt": review.attempt_id,
                "credential": review.credential_id,
                "decision": "revoke" if revoke else "keep",
                "reason": reason,
            },
        )
    return review
