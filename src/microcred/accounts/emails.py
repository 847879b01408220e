"""A holder's further e-mail addresses: added, verified by a link sent to them, removed.
Credentials issued to any verified address land in the same wallet."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from microcred.accounts.models import EmailAddress, User, normalize_email
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound

SALT = "microcred.accounts.email"
MAX_AGE = 3 * 24 * 3600
MAX_ADDRESSES = 10


def holder_emails(user: User) -> list[str]:
    """The account's address and its verified further ones (normalized)."""
    verified = EmailAddress.objects.filter(user=user, verified_at__isnull=False)
    return [
        normalize_email(user.email),
        *(normalize_email(e) for e in verified.values_list("email", flat=True)),
    ]


def _taken(email: str, user: User) -> bool:
    return (
        User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
        or EmailAddress.objects.filter(email__iexact=email, verified_at__isnull=False)
        .exclude(user=user)
        .exists()
    )


def verification_url(address: EmailAddress) -> str:
    token = signing.dumps({"u": address.user_id, "e": address.email}, salt=SALT)
    return settings.PUBLIC_URL + reverse("accounts:email_verify", args=[token])


@transaction.atomic
def add_email(*, user: User, email: str) -> EmailAddress:
    """Record the address (unverified) and send it a verification link."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("Enter a valid e-mail address.", field="email") from None
    if email == normalize_email(user.email):
        raise DomainError("That is already your account's address.", field="email")
    if _taken(email, user):
        raise DomainError("That address belongs to another account.", field="email")
    if EmailAddress.objects.filter(user=user).count() >= MAX_ADDRESSES:
        raise DomainError(
            f"An account has at most {MAX_ADDRESSES} further addresses.", field="email"
        )
    try:
        with transaction.atomic():
            address = EmailAddress.objects.create(user=user, email=email)
    except IntegrityError:
        raise DomainError("You have added that address already.", field="email") from None
    log_action(
        "microcred.account.email_added", actor=user, organization=None, data={"email": email}
    )
    url = verification_url(address)
    transaction.on_commit(
        lambda: send_mail(
            subject="Confirm your e-mail address for microcred",
            message=(
                f"Hello,\n\n{user.email} asked to add this address ({email}) to their microcred "
                f"account, so that credentials sent here land in their wallet.\n\nConfirm it "
                f"(while signed in) within three days:\n{url}\n\nIf this was not you, ignore "
                "this e-mail; nothing changes.\n"
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return address


@transaction.atomic
def verify_email(*, user: User, token: str) -> EmailAddress:
    """Mark the address verified: the link must be for this signed-in account."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError("This confirmation link has expired; add the address again.") from None
    except signing.BadSignature:
        raise DomainError("This confirmation link is not valid.") from None
    if data.get("u") != user.pk:
        raise DomainError("This confirmation link is for another account; sign in with that one.")
    address = (
        EmailAddress.objects.select_for_update().filter(user=user, email=data.get("e")).first()
    )
    if address is None:
        raise NotFound("That address is no longer on your account.")
    if address.verified_at is None:
        if _taken(address.email, user):
            raise DomainError("That address now belongs to another account.")
        address.verified_at = timezone.now()
        address.save(update_fields=["verified_at"])
        log_action(
            "microcred.account.email_verified",
            actor=user,
            organization=None,
            data={"email": address.email},
        )
    return address


@transaction.atomic
def remove_email(*, user: User, address_id: int) -> None:
    address = EmailAddress.objects.filter(user=user, pk=address_id).first()
    if address is None:
        raise NotFound("No such address on your account.")
    address.delete()
    log_action(
        "microcred.account.email_removed",
        actor=user,
        organization=None,
        data={"email": address.email},
    )
