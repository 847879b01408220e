"""Claiming a credential from the link in its e-mail: the link proves the recipient reads that
mailbox, so following it attaches the credential to the account it is followed from — or to a
new account for that address, made on the spot."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from microcred.accounts.models import User, normalize_email
from microcred.core.audit import log_action
from microcred.core.errors import DomainError
from microcred.issuance.models import IssuedCredential

SALT = "microcred.wallet.claim"
#: A claim link works for a year; the issuer can resend the e-mail with a fresh one.
MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Claim:
    credential: IssuedCredential
    email: str  # the address the link was sent to


def claim_token(credential: IssuedCredential) -> str:
    return signing.dumps(
        {"c": str(credential.uuid), "e": normalize_email(credential.recipient_email)}, salt=SALT
    )


def claim_url(credential: IssuedCredential) -> str:
    return settings.PUBLIC_URL + reverse("claim", args=[claim_token(credential)])


def read_claim(token: str) -> Claim:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise DomainError(
            "This claim link has expired. Ask the issuer to send the e-mail again."
        ) from None
    except signing.BadSignature:
        raise DomainError(
            "This claim link is not valid. Use the link from the e-mail as it is."
        ) from None
    credential = (
        IssuedCredential.objects.select_related("organization", "achievement_version", "recipient")
        .filter(uuid=data.get("c"), recipient_email__iexact=data.get("e", ""))
        .first()
    )
    if credential is None:
        raise DomainError("This claim link is not valid. Use the link from the e-mail as it is.")
    return Claim(credential, data["e"])


@transaction.atomic
def claim_credential(*, user: User, token: str) -> IssuedCredential:
    """Attach the credential to ``user``. Claiming again from the same account changes nothing;
    a credential another account claimed stays with it."""
    return _attach(user, read_claim(token))


def _attach(user: User, claim: Claim) -> IssuedCredential:
    credential = IssuedCredential.objects.select_for_update().get(pk=claim.credential.pk)
    if credential.recipient_id == user.pk:
        return credential
    if credential.recipient_id is not None:
        raise DomainError(
            "This credential has already been added to another account. Log in with that "
            "account, or ask the issuer for help."
        )
    credential.recipient = user
    credential.save(update_fields=["recipient"])
    log_action(
        "microcred.credential.claimed",
        actor=user,
        organization=credential.organization,
        target=credential,
        data={"email": claim.email},
    )
    return credential


@transaction.atomic
def create_account_and_claim(
    *, token: str, full_name: str, password: str
) -> tuple[User, IssuedCredential]:
    """A new account for the address the link was sent to, then the claim. Refused when that
    address already has an account (its owner logs in instead)."""
    claim = read_claim(token)
    if User.objects.filter(email=claim.email).exists():
        raise DomainError(
            f"{claim.email} already has an account: log in to add the credential.", field="email"
        )
    name = " ".join(full_name.split())
    if not name or len(name) > 200:
        raise DomainError("Enter your name (at most 200 characters).", field="full_name")
    candidate = User(email=claim.email, full_name=name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None
    user = User.objects.create_user(claim.email, password, full_name=name)
    log_action(
        "microcred.account.created_by_claim",
        actor=user,
        organization=claim.credential.organization,
        data={"email": claim.email},
    )
    return user, _attach(user, claim)
