"""Verification of credentials for the page, the API, the VC-API and the CLI.

Wraps the framework-free pipeline (``vc.verify``) with what only this installation knows: its
own organizations' DID documents and key compromise dates (no HTTP request to ourselves), and
its status lists, read from the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from microcred.issuance.models import StatusList
from microcred.organizations import keys
from microcred.organizations.models import Organization, SigningKey
from microcred.vc.didweb import did_web
from microcred.vc.fetch import FetchError, fetch_json
from microcred.vc.resolver import Resolver
from microcred.vc.verify import Report, verify_credential


def _local_organization(did: str) -> Organization | None:
    if did == keys.installation_did():
        slug = settings.INSTALLATION_ISSUER
        return Organization.objects.filter(slug=slug).first() if slug else None
    prefix = did_web(settings.PUBLIC_URL, "orgs") + ":"
    if did.startswith(prefix):
        return Organization.objects.filter(slug=did.removeprefix(prefix)).first()
    if did.startswith("did:key:"):
        key = SigningKey.objects.filter(public_key_multibase=did.removeprefix("did:key:")).first()
        return key.organization if key else None
    return None


def _local_document(did: str) -> dict[str, Any] | None:
    if not did.startswith("did:web:"):
        return None
    organization = _local_organization(did)
    return keys.did_document(organization, did) if organization else None


def _compromised_at(verification_method: str) -> datetime | None:
    fragment = verification_method.rsplit("#", 1)[-1]
    did = verification_method.split("#", 1)[0]
    organization = _local_organization(did)
    if organization is None:
        return None
    key = SigningKey.objects.filter(organization=organization, key_id=fragment).first()
    return key.compromised_at if key else None


def _status_list(url: str) -> dict[str, Any]:
    if url.startswith(settings.PUBLIC_URL + "/"):
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            raise FetchError(f"{url} is not a status list of this installation") from None
        if match.view_name == "public:status_list":
            found = StatusList.objects.filter(
                organization__slug=match.kwargs["slug"],
                purpose=match.kwargs["purpose"],
                number=match.kwargs["number"],
            ).first()
            if found is not None and found.document:
                return found.document
        raise FetchError(f"{url} is not a status list of this installation")
    return fetch_json(url)


def _known_issuer(issuer_id: str) -> str | None:
    organization = _local_organization(issuer_id)
    return organization.name if organization else None


def resolver() -> Resolver:
    return Resolver(local=_local_document, compromised=_compromised_at)


def verify(data: bytes | str | dict[str, Any], *, now: datetime | None = None) -> Report:
    return verify_credential(
        data, resolver=resolver(), status_lists=_status_list, now=now, known_issuer=_known_issuer
    )
