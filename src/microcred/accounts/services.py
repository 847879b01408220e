"""Account e-mails and two-factor set-up."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from microcred.accounts.models import User
from microcred.core.audit import log_action
from microcred.core.errors import DomainError


def password_set_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.PUBLIC_URL + path


def send_invitation(*, user_id: int, organization_id: int) -> None:
    """Queue the invitation e-mail (a password-set link) for a newly added staff account."""
    from microcred.accounts.tasks import send_invitation_email

    send_invitation_email.delay(user_id, organization_id)


def deliver_invitation(*, user_id: int, organization_id: int) -> None:
    from microcred.organizations.models import Organization

    user = User.objects.get(pk=user_id)
    organization = Organization.objects.get(pk=organization_id)
    context = {"user": user, "organization": organization, "url": password_set_url(user)}
    send_mail(
        subject=f"You have been added to {organization.name} on microcred",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def start_totp_setup(*, user: User) -> TOTPDevice:
    """A fresh unconfirmed TOTP device; replaces any earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def confirm_totp(*, user: User, device: TOTPDevice, token: str) -> TOTPDevice:
    if device.user_id != user.pk or device.confirmed:
        raise DomainError("This set-up has expired; start again.")
    if not device.verify_token(token.strip().replace(" ", "")):
        raise DomainError(
            "That code is not right. Check the time on your phone and try the newest code."
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    log_action("microcred.user.totp_enabled", actor=user, organization=None, target=user)
    return device


def disable_totp(*, user: User) -> None:
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        log_action("microcred.user.totp_disabled", actor=user, organization=None, target=user)


def record_password_set(*, user: User, how: str) -> None:
    """Audit a password change ("changed") or a reset / first password from an invitation ("reset")."""
    log_action(f"microcred.user.password_{how}", actor=user, organization=None, target=user)
