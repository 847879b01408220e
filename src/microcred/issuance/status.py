"""Status lists of an organization: index allocation, flipping bits, signed list credentials."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from microcred.issuance.models import IssuedCredential, StatusList
from microcred.organizations import keys
from microcred.organizations.models import Organization
from microcred.vc import dataintegrity, status_list

REVOCATION = status_list.PURPOSE_REVOCATION
SUSPENSION = status_list.PURPOSE_SUSPENSION
# Where each purpose's list and index are kept on the credential.
FIELDS = {
    REVOCATION: ("status_list", "status_index"),
    SUSPENSION: ("suspension_list", "suspension_index"),
}
TTL_MS = status_list.DEFAULT_TTL_MS
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # XMLSchema dateTimeStamp in UTC, whole seconds


def list_url(status: StatusList) -> str:
    path = reverse(
        "public:status_list", args=[status.organization.slug, status.purpose, status.number]
    )
    return settings.PUBLIC_URL + path


def _current_list(organization: Organization, purpose: str) -> StatusList:
    """The list new credentials go to; a new one starts when half is used (keeps allocation
    random and the crowd each index hides in large) or when the organization now issues as
    another DID (a list and its credentials must name the same issuer). Locks the organization
    row so concurrent issuers neither start two lists nor pick the same index."""
    issuer = keys.organization_did(organization)
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    current = (
        StatusList.objects.select_for_update()
        .filter(organization=organization, purpose=purpose)
        .order_by("-number")
        .first()
    )
    list_field = FIELDS[purpose][0]
    if (
        current is not None
        and current.issuer == issuer
        and IssuedCredential.objects.filter(**{list_field: current}).count() < current.size // 2
    ):
        return current
    number = current.number + 1 if current else 1
    fresh = StatusList.objects.create(
        organization=organization,
        purpose=purpose,
        number=number,
        bits=bytes(status_list.Bitstring()),
        issuer=issuer,
    )
    sign_list(fresh)
    return fresh


def allocate(credential: IssuedCredential, purpose: str = REVOCATION) -> dict[str, Any]:
    """Give ``credential`` a random free index and return its ``credentialStatus`` entry.
    Runs inside the issuing transaction."""
    list_field, index_field = FIELDS[purpose]
    status = _current_list(credential.organization, purpose)
    index = status_list.random_free_index(
        lambda i: IssuedCredential.objects.filter(**{list_field: status, index_field: i}).exists(),
        status.size,
    )
    setattr(credential, list_field, status)
    setattr(credential, index_field, index)
    return status_list.status_entry(list_url=list_url(status), index=index, purpose=purpose)


def sign_list(status: StatusList) -> dict[str, Any]:
    """Sign the list as the DID it was started under, with a key that DID controls."""
    if not status.issuer:
        status.issuer = keys.organization_did(status.organization)
        status.save(update_fields=["issuer"])
    key, verification_method = keys.signing_key_for(status.organization, status.issuer)
    url = list_url(status)
    document = status_list.status_list_credential(
        list_url=url,
        issuer=status.issuer,
        purpose=status.purpose,
        encoded_list=status_list.encode(bytes(status.bits)),
        valid_from=timezone.now().strftime(DATE_FORMAT),
        ttl_ms=TTL_MS,
    )
    signed = dataintegrity.sign(
        document, key=keys.private_key(key), verification_method=verification_method
    )
    status.document = signed
    status.save(update_fields=["document", "updated_at"])
    return signed


@transaction.atomic
def set_status(credential: IssuedCredential, value: bool, purpose: str = REVOCATION) -> None:
    """Flip the credential's bit for ``purpose`` under a row lock and re-sign the list."""
    list_field, index_field = FIELDS[purpose]
    list_id, index = getattr(credential, f"{list_field}_id"), getattr(credential, index_field)
    if list_id is None or index is None:
        return
    status = StatusList.objects.select_for_update().get(pk=list_id)
    bits = status_list.Bitstring.from_bytes(bytes(status.bits))
    bits.set(index, value)
    status.bits = bytes(bits)
    status.save(update_fields=["bits", "updated_at"])
    sign_list(status)
