"""Lookups of credential definitions, scoped to the acting member's organization."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from microcred.achievements.models import Achievement, AchievementStatus, AchievementVersion
from microcred.core.errors import NotFound
from microcred.organizations.models import Membership


def achievements_for(member: Membership, *, status: str | None = None) -> QuerySet[Achievement]:
    qs = Achievement.objects.filter(organization_id=member.organization_id).prefetch_related(
        Prefetch("versions", queryset=AchievementVersion.objects.order_by("-number"))
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at")


def get_achievement_for(member: Membership, pk: int) -> Achievement:
    try:
        return Achievement.objects.get(pk=pk, organization_id=member.organization_id)
    except Achievement.DoesNotExist:
        raise NotFound("No such credential definition.") from None


def get_version_for(member: Membership, achievement_pk: int, number: int) -> AchievementVersion:
    try:
        return AchievementVersion.objects.select_related("achievement").get(
            achievement_id=achievement_pk, number=number, organization_id=member.organization_id
        )
    except AchievementVersion.DoesNotExist:
        raise NotFound("No such version of this credential definition.") from None


def issuable_achievements_for(member: Membership) -> QuerySet[Achievement]:
    return achievements_for(member, status=AchievementStatus.PUBLISHED)


def version_detail(version: AchievementVersion) -> AchievementVersion:
    """The version with its skills and requirements loaded (for detail and public pages)."""
    return (
        AchievementVersion.objects.select_related("achievement", "organization")
        .prefetch_related("skills", "requirements__prerequisite__versions")
        .get(pk=version.pk)
    )
