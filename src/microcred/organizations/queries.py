"""Lookups of organizations and memberships, always from the acting user's side."""

from __future__ import annotations

from django.db.models import QuerySet

from microcred.accounts.models import User
from microcred.core.errors import NotFound, PermissionDenied
from microcred.organizations.models import Membership
from microcred.organizations.roles import Capability


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def get_membership(user: User, slug: str) -> Membership:
    """The user's membership in organization ``slug``; strangers get NotFound, not a hint."""
    if not user.is_authenticated:
        raise NotFound("No such organization.")
    try:
        return Membership.objects.select_related("organization", "user").get(
            user=user, organization__slug=slug
        )
    except Membership.DoesNotExist:
        raise NotFound("No such organization.") from None


def require(member: Membership, capability: Capability) -> None:
    if not member.can(capability):
        raise PermissionDenied(
            f"Your role ({member.get_role_display()}) does not allow this action."
        )


def members_of(member: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization_id=member.organization_id)
        .select_related("user")
        .order_by("user__email")
    )


def get_member_for(member: Membership, pk: int) -> Membership:
    try:
        return members_of(member).get(pk=pk)
    except Membership.DoesNotExist:
        raise NotFound("No such member.") from None
