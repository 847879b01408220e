"""API tokens: organization-scoped secrets for machine clients, and what they may do.

A token reads ``mc_<key_id>_<secret>``. ``key_id`` is public and finds the row; the secret is
32 random bytes, shown once at creation and stored only as SHA-256 (a high-entropy secret
needs no slow hash), compared in constant time. Creating and revoking tokens needs the
MANAGE_ORGANIZATION capability and writes an audit entry. Signing through the VC-API
(:func:`sign_credential`) is allowed to tokens with the ``issue`` scope, only as the token's
organization, and honours an ``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.organizations import keys
from microcred.organizations.models import (
    ApiToken,
    ApiTokenScope,
    IdempotentRequest,
    Membership,
)
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability
from microcred.vc import dataintegrity
from microcred.vc.errors import VCError

PREFIX = "mc"
MAX_EXPIRY_DAYS = 3650
#: How long a stored response answers a retry with the same Idempotency-Key.
IDEMPOTENCY_WINDOW = timedelta(hours=24)
#: last_used_at is written at most this often per token (one write per request is wasteful).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRejectedError(DomainError):
    """The bearer token is missing, unknown, revoked or expired (HTTP 401)."""

    code = "invalid_token"


class InsufficientScopeError(DomainError):
    code = "insufficient_scope"


class IdempotencyConflictError(DomainError):
    """The Idempotency-Key was already used with a different request body (HTTP 409)."""

    code = "idempotency_conflict"


class InvalidCredentialError(DomainError):
    code = "invalid_credential"


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its secret, which is never available again."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    fingerprint: str


@dataclass(frozen=True)
class SignedCredential:
    document: dict[str, Any]
    replayed: bool  # True when an earlier response was returned for the same Idempotency-Key


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(member: Membership) -> QuerySet[ApiToken]:
    require(member, Capability.MANAGE_ORGANIZATION)
    return ApiToken.objects.filter(organization_id=member.organization_id).select_related(
        "created_by", "revoked_by"
    )


def get_token_for(member: Membership, pk: int) -> ApiToken:
    try:
        return tokens_of(member).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise NotFound("No such API token.") from None


@transaction.atomic
def create_token(
    *, member: Membership, name: str, scopes: list[str], expires_in_days: int | None = None
) -> CreatedToken:
    """Create a token for the member's organization; the secret is returned only here."""
    require(member, Capability.MANAGE_ORGANIZATION)
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError("Give the token a name of 1–100 characters.", field="name")
    valid = {scope.value for scope in ApiTokenScope}
    chosen = sorted(set(scopes))
    if not chosen or not set(chosen) <= valid:
        raise DomainError("Choose at least one of the listed scopes.", field="scopes")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise DomainError(
            f"An expiry is 1 to {MAX_EXPIRY_DAYS} days away, or none.", field="expires_in_days"
        )
    key_id = secrets.token_hex(8)
    secret = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organization_id=member.organization_id,
        name=name,
        key_id=key_id,
        secret_hash=_hash(secret),
        scopes=chosen,
        created_by=member.user,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    log_action(
        "microcred.api_token.created",
        actor=member.user,
        organization=member.organization,
        target=token,
        data={
            "name": token.name,
            "key_id": key_id,
            "scopes": chosen,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return CreatedToken(token, secret)


@transaction.atomic
def revoke_token(*, member: Membership, token: ApiToken) -> ApiToken:
    require(member, Capability.MANAGE_ORGANIZATION)
    try:
        token = ApiToken.objects.select_for_update().get(
            pk=token.pk, organization_id=member.organization_id
        )
    except ApiToken.DoesNotExist:
        raise NotFound("No such API token.") from None
    if token.revoked_at is not None:
        raise DomainError("This token is already revoked.")
    token.revoked_at = timezone.now()
    token.revoked_by = member.user
    token.save(update_fields=["revoked_at", "revoked_by"])
    log_action(
        "microcred.api_token.revoked",
        actor=member.user,
        organization=member.organization,
        target=token,
        data={"name": token.name, "key_id": token.key_id},
    )
    return token


def authenticate(secret: str) -> ApiToken:
    """The usable token for a bearer secret; raises :class:`TokenRejectedError` otherwise."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        raise TokenRejectedError("The bearer token is not a microcred API token.")
    token = ApiToken.objects.select_related("organization").filter(key_id=parts[1]).first()
    # Hash even when no row matched, so timing does not tell which key ids exist.
    presented = _hash(secret)
    stored = token.secret_hash if token is not None else _hash("")
    if token is None or not hmac.compare_digest(presented, stored):
        raise TokenRejectedError("The bearer token is not valid.")
    now = timezone.now()
    if token.is_revoked():
        raise TokenRejectedError("The bearer token has been revoked.")
    if token.is_expired(now):
        raise TokenRejectedError("The bearer token has expired.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def require_scope(token: ApiToken, scope: ApiTokenScope) -> None:
    if not token.has_scope(scope):
        raise InsufficientScopeError(f"This token does not have the “{scope.value}” scope.")


# -- signing through the VC-API ----------------------------------------------------------------


def idempotency_key(key: str, body: Any) -> IdempotencyKey:
    """The key (1–255 visible ASCII characters) and a fingerprint of the parsed request body."""
    if not 1 <= len(key) <= 255 or not all(33 <= ord(char) <= 126 for char in key):
        raise DomainError(
            "The Idempotency-Key header must be 1–255 visible ASCII characters.",
            field="Idempotency-Key",
        )
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return IdempotencyKey(key, hashlib.sha256(canonical.encode()).hexdigest())


def _issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _check_issuer(token: ApiToken, credential: dict[str, Any]) -> None:
    # Outside the signing transaction: the organization's first key, created here on first
    # use, must not be rolled back with a refused request (the message names its DID).
    did = keys.organization_did(token.organization)
    issuer = _issuer_id(credential)
    if issuer != did:
        raise InvalidCredentialError(
            f"The credential's issuer must be this organization's DID, {did}"
            + (f"; it is {issuer}." if issuer else "; it has none."),
            field="credential.issuer",
        )


def _sign(token: ApiToken, credential: dict[str, Any], cryptosuite: str) -> dict[str, Any]:
    organization = token.organization
    key = keys.active_key(organization)
    try:
        signed = dataintegrity.sign(
            credential,
            key=keys.private_key(key),
            verification_method=keys.verification_method(key),
            cryptosuite=cryptosuite,
            proof_as_array=False,  # the W3C VC test suites expect one proof object
        )
    except VCError as exc:
        raise InvalidCredentialError(f"{exc.message} ({exc.code})", field="credential") from None
    log_action(
        "microcred.credential.signed_via_api",
        actor=None,
        organization=organization,
        target=token,
        data={
            "credential_id": credential.get("id")
            if isinstance(credential.get("id"), str)
            else None,
            "token": token.name,
            "key_id": token.key_id,
            "cryptosuite": cryptosuite,
        },
    )
    return signed


def _replay(stored: IdempotentRequest, idempotency: IdempotencyKey) -> SignedCredential:
    if not hmac.compare_digest(stored.fingerprint, idempotency.fingerprint):
        raise IdempotencyConflictError(
            "This Idempotency-Key was already used with a different request body.",
            field="Idempotency-Key",
        )
    return SignedCredential(stored.response, replayed=True)


def sign_credential(
    *,
    token: ApiToken,
    credential: dict[str, Any],
    cryptosuite: str = dataintegrity.EDDSA_RDFC_2022,
    idempotency: IdempotencyKey | None = None,
) -> SignedCredential:
    """Sign ``credential`` with the token's organization's active key (Data Integrity).

    The credential's issuer must be the organization's DID. With ``idempotency``, a retry with
    the same key and body within 24 hours returns the first response and signs nothing; the
    same key with another body raises :class:`IdempotencyConflictError`.
    """
    require_scope(token, ApiTokenScope.ISSUE)
    if idempotency is None:
        _check_issuer(token, credential)
        with transaction.atomic():
            return SignedCredential(_sign(token, credential, cryptosuite), replayed=False)
    cutoff = timezone.now() - IDEMPOTENCY_WINDOW
    IdempotentRequest.objects.filter(token=token, created_at__lt=cutoff).delete()
    stored = IdempotentRequest.objects.filter(token=token, key=idempotency.key).first()
    if stored is not None:
        return _replay(stored, idempotency)
    _check_issuer(token, credential)
    try:
        with transaction.atomic():
            document = _sign(token, credential, cryptosuite)
            IdempotentRequest.objects.create(
                token=token,
                key=idempotency.key,
                fingerprint=idempotency.fingerprint,
                status_code=201,
                response=document,
            )
    except IntegrityError:
        # A concurrent request with the same key won; its signature (and audit entry) stands,
        # ours is rolled back.
        stored = IdempotentRequest.objects.get(token=token, key=idempotency.key)
        return _replay(stored, idempotency)
    return SignedCredential(document, replayed=False)
