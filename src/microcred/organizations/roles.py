"""Member roles and what each may do. One table, read by every surface."""

from __future__ import annotations

import enum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    ISSUER = "issuer", "Issuer"
    ASSESSOR = "assessor", "Assessor"


class Capability(enum.StrEnum):
    VIEW = "view"  # see the back office, definitions and issued credentials
    MANAGE_ORGANIZATION = "manage_organization"  # profile and branding
    MANAGE_MEMBERS = "manage_members"
    MANAGE_OWNERS = "manage_owners"  # grant or take away the owner role
    VIEW_AUDIT = "view_audit"
    EDIT_ACHIEVEMENTS = "edit_achievements"  # create, edit, publish, version, archive definitions
    ISSUE = "issue"  # issue and revoke credentials
    ASSESS = "assess"  # grade submissions (exam engine)
    AUTHOR_EXAMS = "author_exams"  # question banks, items, exams, accommodations


_ALL = frozenset(Capability)
CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL - {Capability.MANAGE_OWNERS},
    Role.ISSUER: frozenset(
        {
            Capability.VIEW,
            Capability.EDIT_ACHIEVEMENTS,
            Capability.ISSUE,
            Capability.AUTHOR_EXAMS,
        }
    ),
    Role.ASSESSOR: frozenset({Capability.VIEW, Capability.ASSESS}),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
