"""A candidate's progress towards a credential, and automatic issuance when every requirement
is met — exactly once, however many events arrive together.

Requirements live on the published version of a credential definition: a minimum score in a
named exam (an exam of the organization whose title is that name), an approved project, a
prerequisite credential held. They are evaluated whenever something relevant happens (an
attempt graded, a project approved, a credential issued, a regrade applied); see
:func:`issue_if_met`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from microcred.accounts.models import User
from microcred.achievements.models import (
    Achievement,
    AchievementStatus,
    Requirement,
    RequirementKind,
    VersionState,
)
from microcred.core.audit import log_action
from microcred.issuance import signing
from microcred.issuance.models import CredentialStatus, IssuedCredential
from microcred.issuance.validity import add_months


@dataclass(frozen=True, slots=True)
class RequirementProgress:
    requirement: Requirement
    met: bool
    detail: str  # what the candidate has, or what is missing
    percent: Decimal | None = None
    skill_scores: dict[str, float] = field(default_factory=dict)
    attempt_id: int | None = None


def _exams_for(requirement: Requirement, achievement: Achievement):  # type: ignore[no-untyped-def]
    from microcred.exams.models import Exam

    name = " ".join(requirement.exam_name.split())
    return Exam.objects.filter(organization_id=achievement.organization_id, title__iexact=name)


def _exam_progress(
    requirement: Requirement, achievement: Achievement, candidate: User
) -> RequirementProgress:
    from microcred.exams.queries import counted_attempt

    best = None
    for exam in _exams_for(requirement, achievement):
        attempt = counted_attempt(exam, candidate)
        if attempt is not None and (best is None or attempt.percent > best.percent):
            best = attempt
    needed = requirement.min_score_percent
    if best is None:
        return RequirementProgress(requirement, False, "No graded attempt yet.")
    met = best.percent >= needed
    detail = f"{best.percent.normalize():f} % (needs {needed.normalize():f} %)"
    return RequirementProgress(
        requirement,
        met,
        detail,
        percent=best.percent,
        skill_scores=best.skill_scores,
        attempt_id=best.pk,
    )


def _holds(candidate: User, achievement_id: int) -> bool:
    return IssuedCredential.objects.filter(
        Q(recipient=candidate) | Q(recipient_email=candidate.email),
        achievement_id=achievement_id,
        status=CredentialStatus.ACTIVE,
    ).exists()


def progress(candidate: User, achievement: Achievement) -> list[RequirementProgress]:
    """Each requirement of the published version: met or not, and why."""
    version = achievement.versions.filter(state=VersionState.PUBLISHED).first()
    if version is None:
        return []
    report = []
    for requirement in version.requirements.select_related("prerequisite"):
        if requirement.kind == RequirementKind.EXAM_SCORE:
            report.append(_exam_progress(requirement, achievement, candidate))
        elif requirement.kind == RequirementKind.CREDENTIAL_HELD:
            held = _holds(candidate, requirement.prerequisite_id)
            report.append(
                RequirementProgress(
                    requirement, held, "Held." if held else f"Earn “{requirement.prerequisite}”."
                )
            )
        else:
            report.append(_project_progress(requirement, achievement, candidate))
    return report


def _project_progress(
    requirement: Requirement, achievement: Achievement, candidate: User
) -> RequirementProgress:
    """An approved project: a passed, assessor-graded attempt at the organization's exam (a
    project submission) named like the requirement, e.g. "Capstone project"."""
    from microcred.exams.models import Exam
    from microcred.exams.queries import counted_attempt

    name = " ".join(requirement.description.split())
    for exam in Exam.objects.filter(
        organization_id=achievement.organization_id, title__iexact=name
    ):
        attempt = counted_attempt(exam, candidate)
        if attempt is not None and attempt.passed:
            return RequirementProgress(requirement, True, "Approved.", attempt_id=attempt.pk)
    return RequirementProgress(requirement, False, "Waiting for approval.")


def issue_if_met(
    *, candidate: User, achievement: Achievement, trigger: str
) -> IssuedCredential | None:
    """Issue ``achievement`` to ``candidate`` if every requirement is met and it was never
    issued to them automatically before. Idempotent and safe under concurrency: the unique
    ``auto_issue_key`` lets exactly one of any number of racing calls create the credential;
    the others get the same credential back."""
    key = f"{achievement.pk}:{candidate.pk}"
    existing = IssuedCredential.objects.filter(auto_issue_key=key).first()
    if existing is not None:
        return existing
    if achievement.status != AchievementStatus.PUBLISHED:
        return None
    report = progress(candidate, achievement)
    if not report or not all(entry.met for entry in report):
        return None
    if _holds(candidate, achievement.pk):
        return None  # already holds one (issued by hand): nothing to add
    try:
        with transaction.atomic():
            credential = _issue(candidate, achievement, key, report, trigger)
    except IntegrityError:
        existing = IssuedCredential.objects.filter(auto_issue_key=key).first()
        if existing is None:
            raise
        return existing
    from microcred.issuance.tasks import evaluate_pathways, send_credential_issued_email

    transaction.on_commit(lambda: send_credential_issued_email.delay(credential.pk))
    transaction.on_commit(lambda: evaluate_pathways.delay(credential.pk))
    return credential


def _issue(
    candidate: User,
    achievement: Achievement,
    key: str,
    report: list[RequirementProgress],
    trigger: str,
) -> IssuedCredential:
    from microcred.issuance.services import unused_code

    achievement = Achievement.objects.select_for_update().get(pk=achievement.pk)
    version = achievement.versions.get(state=VersionState.PUBLISHED)
    now = timezone.now()
    results, evidence = [], []
    for entry in report:
        if entry.percent is None:
            continue
        results.append(
            {"name": entry.requirement.exam_name, "value": f"{entry.percent.normalize():f}"}
        )
        for skill, score in entry.skill_scores.items():
            results.append({"name": f"{skill} (competence)", "value": f"{score:g}"})
        evidence.append(
            {
                "id": f"urn:microcred:attempt:{entry.attempt_id}",
                "name": entry.requirement.exam_name,
                "narrative": f"Passed the exam “{entry.requirement.exam_name}” with "
                f"{entry.percent.normalize():f} %.",
            }
        )
    credential = IssuedCredential.objects.create(
        organization_id=achievement.organization_id,
        achievement=achievement,
        achievement_version=version,
        verification_code=unused_code(),
        recipient_name=candidate.full_name or candidate.email,
        recipient_email=candidate.email,
        recipient=candidate,
        issued_at=now,
        valid_from=now,
        valid_until=add_months(now, version.validity_months) if version.validity_months else None,
        auto_issue_key=key,
        results=results,
        evidence=evidence,
    )
    signing.sign_credential(credential)
    log_action(
        "microcred.credential.issued_automatically",
        actor=None,
        organization=achievement.organization,
        target=credential,
        data={
            "code": credential.verification_code,
            "recipient_email": candidate.email,
            "achievement": version.title,
            "version": version.number,
            "trigger": trigger,
        },
    )
    return credential


def dependents(achievement: Achievement) -> list[Achievement]:
    """Definitions that require ``achievement`` as a prerequisite (pathways)."""
    return list(
        Achievement.objects.filter(
            status=AchievementStatus.PUBLISHED,
            versions__state=VersionState.PUBLISHED,
            versions__requirements__prerequisite=achievement,
        ).distinct()
    )
