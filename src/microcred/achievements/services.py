"""Create, edit, publish, version and archive credential definitions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from microcred.achievements.eu import MANDATORY
from microcred.achievements.models import (
    Achievement,
    AchievementStatus,
    AchievementVersion,
    Requirement,
    RequirementKind,
    Skill,
    VersionState,
)
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability

CONTENT_FIELDS = (
    "title",
    "short_description",
    "scope",
    "criteria",
    "tags",
    "validity_months",
    "awarding_bodies",
    "issuer_country",
    "issuer_region",
    "learning_outcomes",
    "workload_ects",
    "workload_hours",
    "eqf_level",
    "nqf_level",
    "assessment_type",
    "participation_form",
    "quality_assurance",
    "prerequisites",
    "supervision",
    "grade",
    "integration",
    "integration_details",
    "further_information",
)


@dataclass(frozen=True)
class SkillData:
    name: str
    framework_name: str = ""
    framework_url: str = ""
    code: str = ""


@dataclass(frozen=True)
class RequirementData:
    kind: str
    exam_name: str = ""
    min_score_percent: Decimal | None = None
    description: str = ""
    prerequisite_id: int | None = None


class PublishBlocked(DomainError):  # noqa: N818
    code = "publish_blocked"

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(
            "Complete the mandatory EU elements before publishing: " + "; ".join(problems.values())
        )
        self.problems = problems


def publish_problems(version: AchievementVersion) -> dict[str, str]:
    """Missing mandatory elements (EU Annex I part 1), as field -> message."""
    problems: dict[str, str] = {}
    for field, label in MANDATORY.items():
        if field == "workload":
            missing = version.workload_ects is None and version.workload_hours is None
        else:
            value = getattr(version, field)
            missing = not value or (
                isinstance(value, list) and not any(str(v).strip() for v in value)
            )
        if missing:
            problems[field] = f"{label} is required"
    return problems


def _apply_content(version: AchievementVersion, content: dict[str, Any]) -> None:
    for name, value in content.items():
        if name not in CONTENT_FIELDS:
            raise ValueError(f"not a content field: {name}")
        if name in {"tags", "awarding_bodies", "learning_outcomes"}:
            value = [str(item).strip() for item in value or [] if str(item).strip()]
        setattr(version, name, value)


def _check_requirements(
    member: Membership, achievement: Achievement, requirements: list[RequirementData]
) -> None:
    for index, data in enumerate(requirements, start=1):
        if data.kind not in RequirementKind.values:
            raise DomainError(
                f"Requirement {index}: unknown kind “{data.kind}”.", field="requirements"
            )
        if data.kind == RequirementKind.EXAM_SCORE:
            if not data.exam_name.strip():
                raise DomainError(f"Requirement {index}: name the exam.", field="requirements")
            if data.min_score_percent is None or not (0 <= data.min_score_percent <= 100):
                raise DomainError(
                    f"Requirement {index}: the minimum score must be between 0 and 100 %.",
                    field="requirements",
                )
        if data.kind == RequirementKind.EVIDENCE and not data.description.strip():
            raise DomainError(
                f"Requirement {index}: describe the project or evidence.", field="requirements"
            )
        if data.kind == RequirementKind.CREDENTIAL_HELD:
            if data.prerequisite_id == achievement.pk:
                raise DomainError(
                    f"Requirement {index}: a credential cannot require itself.",
                    field="requirements",
                )
            if not Achievement.objects.filter(
                pk=data.prerequisite_id, organization_id=member.organization_id
            ).exists():
                raise DomainError(
                    f"Requirement {index}: choose a prerequisite credential of this organization.",
                    field="requirements",
                )


def _replace_children(
    version: AchievementVersion, skills: list[SkillData], requirements: list[RequirementData]
) -> None:
    version.skills.all().delete()
    version.requirements.all().delete()
    for position, skill in enumerate(skills):
        row = Skill(
            organization_id=version.organization_id,
            version=version,
            position=position,
            **vars(skill),
        )
        try:
            row.full_clean(exclude=["organization", "version"])
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise DomainError(
                f"Skill {position + 1}: {field.replace('_', ' ')}: {' '.join(messages)}",
                field="skills",
            ) from None
        row.save()
    for position, data in enumerate(requirements):
        Requirement.objects.create(
            organization_id=version.organization_id,
            version=version,
            position=position,
            kind=data.kind,
            exam_name=data.exam_name.strip() if data.kind == RequirementKind.EXAM_SCORE else "",
            min_score_percent=data.min_score_percent
            if data.kind == RequirementKind.EXAM_SCORE
            else None,
            description=data.description.strip(),
            prerequisite_id=data.prerequisite_id
            if data.kind == RequirementKind.CREDENTIAL_HELD
            else None,
        )


def _locked_achievement(member: Membership, pk: int) -> Achievement:
    """The member's own definition, locked; another organization's reads as missing."""
    try:
        return Achievement.objects.select_for_update().get(
            pk=pk, organization_id=member.organization_id
        )
    except Achievement.DoesNotExist:
        raise NotFound("No such credential definition.") from None


def _locked_version(member: Membership, pk: int) -> AchievementVersion:
    """The member's own version, locked after its definition.

    Every service locks the definition before any of its versions (publish_version does so
    too); taking the version first would deadlock against a concurrent publish.
    """
    scoped = AchievementVersion.objects.filter(pk=pk, organization_id=member.organization_id)
    achievement_id = scoped.values_list("achievement_id", flat=True).first()
    if achievement_id is None:
        raise NotFound("No such version of this credential definition.")
    _locked_achievement(member, achievement_id)
    try:
        return scoped.select_for_update().get()
    except AchievementVersion.DoesNotExist:  # discarded while we waited for the lock
        raise NotFound("No such version of this credential definition.") from None


def _full_clean(version: AchievementVersion) -> None:
    try:
        version.full_clean(exclude=["organization", "achievement", "number", "image"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(
            f"{field.replace('_', ' ').capitalize()}: {' '.join(messages)}", field=field
        ) from None


@transaction.atomic
def create_achievement(
    *,
    member: Membership,
    content: dict[str, Any],
    skills: list[SkillData] | None = None,
    requirements: list[RequirementData] | None = None,
    image: File | None = None,
) -> Achievement:
    """A new definition with its first (draft) version."""
    require(member, Capability.EDIT_ACHIEVEMENTS)
    achievement = Achievement.objects.create(
        organization_id=member.organization_id, created_by=member.user
    )
    version = AchievementVersion(
        organization_id=member.organization_id, achievement=achievement, number=1
    )
    if not content.get("issuer_country"):
        content = {**content, "issuer_country": member.organization.country}
    _apply_content(version, content)
    _check_requirements(member, achievement, requirements or [])
    _full_clean(version)
    if image is not None:
        version.image.save(image.name or "image", image, save=False)
    version.save()
    _replace_children(version, skills or [], requirements or [])
    log_action(
        "microcred.achievement.created",
        actor=member.user,
        organization=member.organization,
        target=achievement,
        data={"title": version.title},
    )
    return achievement


@transaction.atomic
def update_draft(
    *,
    member: Membership,
    version: AchievementVersion,
    content: dict[str, Any],
    skills: list[SkillData],
    requirements: list[RequirementData],
    image: File | None = None,
    remove_image: bool = False,
) -> AchievementVersion:
    """Edit a draft version in place. Published versions are never edited (start a new version)."""
    require(member, Capability.EDIT_ACHIEVEMENTS)
    version = _locked_version(member, version.pk)
    if version.state != VersionState.DRAFT:
        raise DomainError(
            "Only a draft can be edited; start a new version to change a published definition."
        )
    if version.achievement.status == AchievementStatus.ARCHIVED:
        raise DomainError("This definition is archived.")
    _apply_content(version, content)
    _check_requirements(member, version.achievement, requirements)
    _full_clean(version)
    if remove_image:
        version.image = ""
    if image is not None:
        version.image.save(image.name or "image", image, save=False)
    version.save()
    _replace_children(version, skills, requirements)
    Achievement.objects.filter(pk=version.achievement_id).update(updated_at=timezone.now())
    log_action(
        "microcred.achievement.draft_updated",
        actor=member.user,
        organization=member.organization,
        target=version.achievement,
        data={"version": version.number, "title": version.title},
    )
    return version


@transaction.atomic
def publish_version(*, member: Membership, version: AchievementVersion) -> AchievementVersion:
    require(member, Capability.EDIT_ACHIEVEMENTS)
    achievement = _locked_achievement(member, version.achievement_id)
    try:
        version = AchievementVersion.objects.select_for_update().get(
            pk=version.pk, achievement=achievement
        )
    except AchievementVersion.DoesNotExist:
        raise NotFound("No such version of this credential definition.") from None
    if achievement.status == AchievementStatus.ARCHIVED:
        raise DomainError("An archived definition cannot be published.")
    if version.state != VersionState.DRAFT:
        raise DomainError(
            f"Version {version.number} is already {version.get_state_display().lower()}."
        )
    problems = publish_problems(version)
    if problems:
        raise PublishBlocked(problems)
    now = timezone.now()
    previous = achievement.versions.filter(state=VersionState.PUBLISHED).first()
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
        previous.save(update_fields=["state", "updated_at"])
    version.state = VersionState.PUBLISHED
    version.published_at = now
    version.published_by = member.user
    version.save(update_fields=["state", "published_at", "published_by", "updated_at"])
    achievement.status = AchievementStatus.PUBLISHED
    achievement.save(update_fields=["status", "updated_at"])
    log_action(
        "microcred.achievement.published",
        actor=member.user,
        organization=member.organization,
        target=achievement,
        data={
            "version": version.number,
            "title": version.title,
            "supersedes": previous.number if previous else None,
        },
    )
    return version


@transaction.atomic
def start_new_version(*, member: Membership, achievement: Achievement) -> AchievementVersion:
    """A draft copy of the published version; the published one stays issuable until replaced."""
    require(member, Capability.EDIT_ACHIEVEMENTS)
    achievement = _locked_achievement(member, achievement.pk)
    if achievement.status == AchievementStatus.ARCHIVED:
        raise DomainError("This definition is archived.")
    existing = achievement.versions.filter(state=VersionState.DRAFT).first()
    if existing is not None:
        return existing
    source = achievement.versions.filter(state=VersionState.PUBLISHED).first()
    if source is None:
        raise DomainError("There is no published version to start from.")
    skills = [
        SkillData(s.name, s.framework_name, s.framework_url, s.code) for s in source.skills.all()
    ]
    requirements = [
        RequirementData(r.kind, r.exam_name, r.min_score_percent, r.description, r.prerequisite_id)
        for r in source.requirements.all()
    ]
    draft = AchievementVersion(organization_id=source.organization_id, achievement=achievement)
    for name in CONTENT_FIELDS:
        setattr(draft, name, getattr(source, name))
    draft.image = source.image.name
    draft.number = max(achievement.versions.values_list("number", flat=True)) + 1
    draft.save()
    _replace_children(draft, skills, requirements)
    log_action(
        "microcred.achievement.version_started",
        actor=member.user,
        organization=member.organization,
        target=achievement,
        data={"version": draft.number, "from_version": source.number},
    )
    return draft


@transaction.atomic
def discard_draft(*, member: Membership, version: AchievementVersion) -> None:
    """Throw away an unpublished new version (the first version of a definition cannot be discarded)."""
    require(member, Capability.EDIT_ACHIEVEMENTS)
    version = _locked_version(member, version.pk)
    if version.state != VersionState.DRAFT:
        raise DomainError("Only a draft can be discarded.")
    if not version.achievement.versions.exclude(pk=version.pk).exists():
        raise DomainError("This is the only version; archive the definition instead.")
    log_action(
        "microcred.achievement.draft_discarded",
        actor=member.user,
        organization=member.organization,
        target=version.achievement,
        data={"version": version.number},
    )
    version.delete()


@transaction.atomic
def archive_achievement(*, member: Membership, achievement: Achievement) -> Achievement:
    """Stop issuing a definition. Credentials already issued stay valid."""
    require(member, Capability.EDIT_ACHIEVEMENTS)
    achievement = _locked_achievement(member, achievement.pk)
    if achievement.status == AchievementStatus.ARCHIVED:
        raise DomainError("This definition is already archived.")
    previous = achievement.status
    achievement.status = AchievementStatus.ARCHIVED
    achievement.archived_at = timezone.now()
    achievement.save(update_fields=["status", "archived_at", "updated_at"])
    log_action(
        "microcred.achievement.archived",
        actor=member.user,
        organization=member.organization,
        target=achievement,
        data={"previous_status": previous},
    )
    return achievement
