"""Issue and revoke credentials."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from microcred.accounts.models import User, normalize_email
from microcred.achievements.models import Achievement, AchievementStatus, VersionState
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.issuance import codes, signing, status
from microcred.issuance.models import CredentialStatus, IssuedCredential
from microcred.issuance.validity import add_months
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability

_CODE_ATTEMPTS = 8


def unused_code() -> str:
    # 45 random bits: a clash is rare enough that a few retries always find a free code.
    for _ in range(_CODE_ATTEMPTS):
        code = codes.generate()
        if not IssuedCredential.objects.filter(verification_code=code).exists():
            return code
    raise RuntimeError("could not find an unused verification code")


def issue_credential(
    *,
    member: Membership,
    achievement: Achievement,
    recipient_name: str,
    recipient_email: str,
    issued_at: datetime | None = None,
) -> IssuedCredential:
    """Issue the current published version of ``achievement`` to a recipient, by hand."""
    require(member, Capability.ISSUE)
    recipient_name = " ".join(recipient_name.split())
    recipient_email = normalize_email(recipient_email)
    if not recipient_name:
        raise DomainError("Enter the recipient's name.", field="recipient_name")
    if len(recipient_name) > 200:
        raise DomainError(
            "The recipient's name is longer than 200 characters.", field="recipient_name"
        )
    try:
        validate_email(recipient_email)
    except ValidationError:
        raise DomainError(
            "Enter a valid e-mail address for the recipient.", field="recipient_email"
        ) from None
    try:
        with transaction.atomic():
            credential = _create(member, achievement, recipient_name, recipient_email, issued_at)
    except IntegrityError:
        if not IssuedCredential.objects.filter(
            achievement_id=achievement.pk,
            achievement_version__state=VersionState.PUBLISHED,
            recipient_email=recipient_email,
            status=CredentialStatus.ACTIVE,
        ).exists():
            raise  # not the duplicate-recipient constraint: a real fault, not the user's
        # Two issuers raced for the same recipient: the constraint decided.
        raise DomainError(
            f"{recipient_email} already holds an active credential for this definition.",
            field="recipient_email",
        ) from None
    from microcred.issuance.tasks import (
        evaluate_pathways,
        render_artifacts,
        send_credential_issued_email,
        workers_run_tasks,
    )

    transaction.on_commit(lambda: send_credential_issued_email.delay(credential.pk))
    transaction.on_commit(lambda: evaluate_pathways.delay(credential.pk))
    if workers_run_tasks():
        transaction.on_commit(lambda: render_artifacts.delay(credential.pk))
    return credential


def _create(
    member: Membership,
    achievement: Achievement,
    recipient_name: str,
    recipient_email: str,
    issued_at: datetime | None,
) -> IssuedCredential:
    try:
        achievement = Achievement.objects.select_for_update().get(
            pk=achievement.pk, organization_id=member.organization_id
        )
    except Achievement.DoesNotExist:
        # Another organization's definition: the same answer as for one that does not exist.
        raise NotFound("No such credential definition.") from None
    if achievement.status != AchievementStatus.PUBLISHED:
        raise DomainError("Only a published credential definition can be issued.")
    version = achievement.versions.get(state=VersionState.PUBLISHED)
    if IssuedCredential.objects.filter(
        achievement_version=version, recipient_email=recipient_email, status=CredentialStatus.ACTIVE
    ).exists():
        raise DomainError(
            f"{recipient_email} already holds an active credential for this definition.",
            field="recipient_email",
        )
    issued_at = issued_at or timezone.now()
    credential = IssuedCredential.objects.create(
        organization_id=member.organization_id,
        achievement=achievement,
        achievement_version=version,
        verification_code=unused_code(),
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        recipient=User.objects.filter(email=recipient_email).first(),
        issued_at=issued_at,
        valid_from=issued_at,
        valid_until=add_months(issued_at, version.validity_months)
        if version.validity_months
        else None,
        issued_by=member.user,
    )
    signing.sign_credential(credential)
    log_action(
        "microcred.credential.issued",
        actor=member.user,
        organization=member.organization,
        target=credential,
        data={
            "code": credential.verification_code,
            "recipient_email": recipient_email,
            "achievement": version.title,
            "version": version.number,
        },
    )
    return credential


def _clean_reason(reason: str, action: str) -> str:
    """A reason shown to verifiers: whitespace collapsed, required, at most 500 characters."""
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(
            f"Give a reason for the {action}; it is shown to verifiers.", field="reason"
        )
    if len(reason) > 500:
        raise DomainError("The reason is longer than 500 characters.", field="reason")
    return reason


@transaction.atomic
def resend_notification(*, member: Membership, credential: IssuedCredential) -> None:
    """Send the holder's e-mail (with a fresh claim link) again, e.g. after it went astray."""
    require(member, Capability.ISSUE)
    credential = IssuedCredential.objects.filter(
        pk=credential.pk, organization_id=member.organization_id
    ).first()
    if credential is None:
        raise NotFound("No such credential.")
    if credential.status == CredentialStatus.REVOKED:
        raise DomainError("This credential is revoked; there is nothing to notify about.")
    log_action(
        "microcred.credential.notification_resent",
        actor=member.user,
        organization=member.organization,
        target=credential,
        data={"to": credential.recipient_email},
    )
    from microcred.issuance.tasks import send_credential_issued_email

    transaction.on_commit(lambda: send_credential_issued_email.delay(credential.pk))


@transaction.atomic
def revoke_credential(
    *, member: Membership, credential: IssuedCredential, reason: str
) -> IssuedCredential:
    require(member, Capability.ISSUE)
    reason = _clean_reason(reason, "revocation")
    try:
        credential = IssuedCredential.objects.select_for_update().get(
            pk=credential.pk, organization_id=member.organization_id
        )
    except IssuedCredential.DoesNotExist:
        raise NotFound("No such credential.") from None
    if credential.status == CredentialStatus.REVOKED:
        raise DomainError("This credential is already revoked.")
    credential.status = CredentialStatus.REVOKED
    credential.revoked_at = timezone.now()
    credential.revoked_by = member.user
    credential.revocation_reason = reason
    credential.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    status.set_status(credential, True)
    log_action(
        "microcred.credential.revoked",
        actor=member.user,
        organization=member.organization,
        target=credential,
        data={"code": credential.verification_code, "reason": reason},
    )
    return credential


def deliver_issued_email(*, credential_id: int) -> None:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    credential = IssuedCredential.objects.select_related("organization", "achievement_version").get(
        pk=credential_id
    )
    url = settings.PUBLIC_URL + reverse("public:verify_code", args=[credential.verification_code])
    from microcred.wallet.claims import claim_url

    context = {"credential": credential, "url": url, "claim_url": claim_url(credential)}
    send_mail(
        subject=f"Your credential: {credential.achievement_version.title}",
        message=render_to_string("issuance/email/issued.txt", context),
        from_email=None,
        recipient_list=[credential.recipient_email],
    )


def _suspendable(member: Membership, credential: IssuedCredential) -> IssuedCredential:
    require(member, Capability.ISSUE)
    credential = IssuedCredential.objects.select_for_update().get(
        pk=credential.pk, organization_id=member.organization_id
    )
    if credential.status == CredentialStatus.REVOKED:
        raise DomainError("This credential is revoked; revocation is final.")
    if not credential.is_suspendable:
        raise DomainError(
            "This credential was issued without a suspension status entry; it can only be revoked."
        )
    return credential


@transaction.atomic
def suspend_credential(
    *, member: Membership, credential: IssuedCredential, reason: str
) -> IssuedCredential:
    """Suspend (reversibly): verifiers see it as suspended until it is reinstated."""
    reason = _clean_reason(reason, "suspension")
    credential = _suspendable(member, credential)
    if credential.suspended_at is not None:
        raise DomainError("This credential is already suspended.")
    credential.suspended_at = timezone.now()
    credential.suspension_reason = reason
    credential.save(update_fields=["suspended_at", "suspension_reason"])
    status.set_status(credential, True, status.SUSPENSION)
    log_action(
        "microcred.credential.suspended",
        actor=member.user,
        organization=member.organization,
        target=credential,
        data={"code": credential.verification_code, "reason": reason},
    )
    return credential


@transaction.atomic
def reinstate_credential(*, member: Membership, credential: IssuedCredential) -> IssuedCredential:
    credential = _suspendable(member, credential)
    if credential.suspended_at is None:
        raise DomainError("This credential is not suspended.")
    credential.suspended_at = None
    credential.suspension_reason = ""
    credential.save(update_fields=["suspended_at", "suspension_reason"])
    status.set_status(credential, False, status.SUSPENSION)
    log_action(
        "microcred.credential.reinstated",
        actor=member.user,
        organization=member.organization,
        target=credential,
        data={"code": credential.verification_code},
    )
    return credential
