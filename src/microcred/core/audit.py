"""Write audit entries: every state change goes through ``log_action``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from microcred.core.models import AuditEntry

if TYPE_CHECKING:
    from microcred.accounts.models import User
    from microcred.organizations.models import Organization


def log_action(
    action: str,
    *,
    actor: User | None,
    organization: Organization | None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record ``action`` (dotted, e.g. ``microcred.credential.revoked``) by ``actor``."""
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_label=actor.email if actor is not None else "",
        organization=organization,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        data=data or {},
    )
