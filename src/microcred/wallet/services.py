"""What a holder changes about their credentials: who may see the public page, and whether it
shows their name."""

from __future__ import annotations

from django.db import transaction

from microcred.accounts.models import User
from microcred.core.audit import log_action
from microcred.core.errors import NotFound
from microcred.issuance.models import IssuedCredential
from microcred.issuance.queries import credentials_held_by


@transaction.atomic
def set_sharing(
    *, holder: User, credential_uuid: str, public_page: bool, show_name: bool
) -> IssuedCredential:
    """Turn the credential's public page (and public badge image) on or off, and the holder's
    name on it. Only the holder may; the issuer's records do not change."""
    credential = (
        credentials_held_by(holder)
        .select_for_update(of=("self",))
        .filter(uuid=credential_uuid)
        .first()
    )
    if credential is None:
        raise NotFound("No such credential.")
    before = {"public_page": credential.public_page, "show_name": credential.show_name}
    credential.public_page, credential.show_name = bool(public_page), bool(show_name)
    after = {"public_page": credential.public_page, "show_name": credential.show_name}
    if after != before:
        credential.save(update_fields=["public_page", "show_name"])
        log_action(
            "microcred.credential.sharing_changed",
            actor=holder,
            organization=credential.organization,
            target=credential,
            data={"from": before, "to": after},
        )
    return credential
