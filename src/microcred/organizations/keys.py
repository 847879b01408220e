"""Signing keys and decentralized identifiers of organizations.

Each organization has one active Ed25519 key (created with the organization, or on first use)
and keeps its older keys resolvable. The issuer DID is ``did:web`` under the installation's
public URL when that is HTTPS; an installation without a public HTTPS name uses the active
key's ``did:key`` (which changes on rotation — one reason to give production an HTTPS name).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from microcred.core.audit import log_action
from microcred.core.errors import DomainError
from microcred.core.secretbox import open_sealed, seal
from microcred.organizations.models import Membership, Organization, SigningKey, SigningKeyStatus
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability
from microcred.vc import multikey
from microcred.vc.didweb import did_web


def _context(organization_id: int, key_id: str) -> str:
    return f"microcred:signing-key:{organization_id}:{key_id}"


def _new_key(organization: Organization) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public_multibase = multikey.encode_public_key(private.public_key())
    key_id = public_multibase  # self-describing and unique; the verification method fragment
    return SigningKey.objects.create(
        organization=organization,
        key_id=key_id,
        public_key_multibase=public_multibase,
        private_key_sealed=seal(
            multikey.private_key_seed(private), context=_context(organization.pk, key_id)
        ),
    )


@transaction.atomic
def active_key(organization: Organization) -> SigningKey:
    """The key that signs now, created on first use."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    key = SigningKey.objects.filter(
        organization=organization, status=SigningKeyStatus.ACTIVE
    ).first()
    return key or _new_key(organization)


def private_key(key: SigningKey) -> Ed25519PrivateKey:
    seed = open_sealed(key.private_key_sealed, context=_context(key.organization_id, key.key_id))
    return Ed25519PrivateKey.from_private_bytes(seed)


@transaction.atomic
def rotate_signing_key(*, member: Membership) -> SigningKey:
    """Retire the active key and make a new one active. Old credentials keep verifying."""
    require(member, Capability.MANAGE_ORGANIZATION)
    organization = Organization.objects.select_for_update().get(pk=member.organization_id)
    now = timezone.now()
    retired = list(
        SigningKey.objects.filter(
            organization=organization, status=SigningKeyStatus.ACTIVE
        ).values_list("key_id", flat=True)
    )
    SigningKey.objects.filter(organization=organization, status=SigningKeyStatus.ACTIVE).update(
        status=SigningKeyStatus.RETIRED, retired_at=now
    )
    key = _new_key(organization)
    log_action(
        "microcred.signing_key.rotated",
        actor=member.user,
        organization=organization,
        target=key,
        data={"new_key": key.key_id, "retired": retired},
    )
    return key


@transaction.atomic
def mark_key_compromised(*, member: Membership, key: SigningKey, since: datetime) -> SigningKey:
    """Distrust signatures dated at or after ``since``; a compromised active key is replaced."""
    require(member, Capability.MANAGE_ORGANIZATION)
    key = SigningKey.objects.select_for_update().get(
        pk=key.pk, organization_id=member.organization_id
    )
    if key.status == SigningKeyStatus.COMPROMISED:
        raise DomainError("This key is already marked compromised.")
    if since > timezone.now():
        raise DomainError("The compromise date cannot be in the future.")
    was_active = key.status == SigningKeyStatus.ACTIVE
    key.status = SigningKeyStatus.COMPROMISED
    key.compromised_at = since
    key.retired_at = key.retired_at or timezone.now()
    key.save(update_fields=["status", "compromised_at", "retired_at"])
    log_action(
        "microcred.signing_key.compromised",
        actor=member.user,
        organization=member.organization,
        target=key,
        data={"key": key.key_id, "since": since.isoformat()},
    )
    if was_active:
        _new_key(key.organization)
    return key


def uses_did_web() -> bool:
    return settings.PUBLIC_URL.startswith("https://")


def installation_did() -> str:
    """The installation's own did:web (``did:web:<host>``, document at /.well-known/did.json)."""
    return did_web(settings.PUBLIC_URL)


def organization_dids(organization: Organization) -> list[str]:
    """Every did:web that names the organization, the one it issues as first.

    Each organization has ``did:web:<host>:orgs:<slug>``. The organization named by
    ``MICROCRED_INSTALLATION_ISSUER`` (a single-institution installation) issues as the
    installation's DID instead, and keeps the other one so what it issued before still verifies.
    """
    own = did_web(settings.PUBLIC_URL, "orgs", organization.slug)
    if organization.slug == settings.INSTALLATION_ISSUER:
        return [installation_did(), own]
    return [own]


def organization_did(organization: Organization) -> str:
    """The issuer id: did:web when the installation has an HTTPS name, else the active did:key."""
    if uses_did_web():
        return organization_dids(organization)[0]
    return multikey.did_key(
        multikey.decode_public_key(active_key(organization).public_key_multibase)
    )


def verification_method(key: SigningKey) -> str:
    if uses_did_web():
        return f"{organization_dids(key.organization)[0]}#{key.key_id}"
    return multikey.did_key_verification_method(
        multikey.did_key(multikey.decode_public_key(key.public_key_multibase))
    )


def signing_key_for(organization: Organization, did: str) -> tuple[SigningKey, str]:
    """The key to sign with as ``did`` (one the organization issued as) and its verification
    method. A did:web names every key of the organization, so the active one signs; a did:key
    *is* one key, which signs for it even after rotation (what was issued as that DID, e.g. a
    status list, must stay signed by it)."""
    if did.startswith("did:key:"):
        key = SigningKey.objects.filter(
            organization=organization, public_key_multibase=did.removeprefix("did:key:")
        ).first()
        if key is None:
            raise DomainError(f"{did} is not a key of {organization.slug}")
        return key, multikey.did_key_verification_method(did)
    key = active_key(organization)
    return key, f"{did}#{key.key_id}"


def did_document(organization: Organization, did: str | None = None) -> dict[str, Any]:
    """The did:web document of ``did`` (by default the one the organization issues as): every
    key the organization ever signed with, as Multikey."""
    if did is None:
        did = organization_dids(organization)[0]
    elif did not in organization_dids(organization):
        raise DomainError(f"{did} does not name {organization.slug}")
    active_key(organization)
    methods = [
        {
            "id": f"{did}#{key.key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
        for key in SigningKey.objects.filter(organization=organization).order_by("created_at")
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": [multikey.DID_CONTEXT, multikey.MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
    }
