"""Lookups of issued credentials: by member (back office), by holder, by code (public)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from microcred.accounts.models import User
from microcred.core.errors import NotFound
from microcred.issuance import codes
from microcred.issuance.models import IssuedCredential, VerificationState
from microcred.organizations.models import Membership


def credentials_for(
    member: Membership,
    *,
    search: str = "",
    status: str = "",
    achievement_id: int | None = None,
) -> QuerySet[IssuedCredential]:
    qs = IssuedCredential.objects.filter(organization_id=member.organization_id).select_related(
        "achievement_version"
    )
    search = search.strip()
    if search:
        condition = Q(recipient_name__icontains=search) | Q(recipient_email__icontains=search)
        with contextlib.suppress(codes.InvalidCode):
            condition |= Q(verification_code=codes.normalize(search))
        qs = qs.filter(condition)
    if status:
        qs = qs.filter(status=status)
    if achievement_id:
        qs = qs.filter(achievement_id=achievement_id)
    return qs.order_by("-issued_at", "-id")


def get_credential_for(member: Membership, pk: int) -> IssuedCredential:
    try:
        return IssuedCredential.objects.select_related(
            "achievement_version", "achievement", "issued_by", "revoked_by"
        ).get(pk=pk, organization_id=member.organization_id)
    except IssuedCredential.DoesNotExist:
        raise NotFound("No such credential.") from None


def credential_by_code(text: str) -> IssuedCredential:
    """Public lookup. Raises codes.InvalidCode for malformed input, NotFound for unknown codes."""
    code = codes.normalize(text)
    try:
        return IssuedCredential.objects.select_related("organization", "achievement_version").get(
            verification_code=code
        )
    except IssuedCredential.DoesNotExist:
        raise NotFound("No credential has this verification code.") from None


def credentials_held_by(user: User) -> QuerySet[IssuedCredential]:
    """Claimed by the account, or issued to its address or one of its verified further ones."""
    from microcred.accounts.emails import holder_emails

    return (
        IssuedCredential.objects.filter(
            Q(recipient=user)
            # Issued to one of the addresses and not claimed into another account.
            | (Q(recipient_email__in=holder_emails(user)) & Q(recipient__isnull=True))
        )
        .select_related("organization", "achievement_version")
        .order_by("-issued_at")
    )


def valid_now(
    credentials: Iterable[IssuedCredential], now: datetime | None = None
) -> list[IssuedCredential]:
    """Those of ``credentials`` that verify as valid at ``now``: what a CV lists."""
    return [c for c in credentials if c.verification_state(now) == VerificationState.VALID]
