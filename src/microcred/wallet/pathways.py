"""Pathways in the holder's wallet: credentials that stack into a larger one.

A pathway is a credential definition whose published version requires other credentials to be
held. The wallet shows each pathway the holder has started (holds one of its prerequisites) or
finished (holds the pathway credential itself), with every step met or still to do, judged by the
same rules that issue the pathway credential automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from microcred.accounts.models import User
from microcred.achievements.models import (
    Achievement,
    AchievementStatus,
    Requirement,
    RequirementKind,
    VersionState,
)
from microcred.issuance.models import IssuedCredential
from microcred.issuance.requirements import progress


@dataclass(frozen=True, slots=True)
class PathwayStep:
    title: str
    met: bool
    detail: str
    credential: IssuedCredential | None  # the holder's credential for a prerequisite step


@dataclass(frozen=True, slots=True)
class Pathway:
    title: str
    issuer: str
    steps: tuple[PathwayStep, ...]
    earned: IssuedCredential | None  # the pathway credential, once held

    @property
    def done(self) -> int:
        return sum(step.met for step in self.steps)


def _title(achievement: Achievement) -> str:
    version = achievement.published_version() or achievement.latest_version
    return version.title if version else str(achievement)


def _step_title(requirement: Requirement) -> str:
    if requirement.kind == RequirementKind.CREDENTIAL_HELD:
        return _title(requirement.prerequisite)
    return str(requirement)


def pathways_for(holder: User, held: list[IssuedCredential]) -> list[Pathway]:
    """The pathways ``holder`` has started or finished, ordered by title. ``held`` is the
    holder's credentials, as the wallet page already loaded them."""
    held_ids = {credential.achievement_id for credential in held}
    if not held_ids:
        return []
    achievement_ids = set(
        Requirement.objects.filter(
            kind=RequirementKind.CREDENTIAL_HELD,
            version__state=VersionState.PUBLISHED,
            version__achievement__status=AchievementStatus.PUBLISHED,
        )
        .filter(Q(prerequisite_id__in=held_ids) | Q(version__achievement_id__in=held_ids))
        .values_list("version__achievement_id", flat=True)
    )
    # The newest credential the holder has for each definition (held is newest first).
    newest: dict[int, IssuedCredential] = {}
    for credential in held:
        newest.setdefault(credential.achievement_id, credential)
    pathways = []
    for achievement in (
        Achievement.objects.filter(pk__in=achievement_ids)
        .select_related("organization")
        .prefetch_related("versions")
    ):
        steps = tuple(
            PathwayStep(
                title=_step_title(entry.requirement),
                met=entry.met,
                detail=entry.detail,
                credential=newest.get(entry.requirement.prerequisite_id)
                if entry.requirement.kind == RequirementKind.CREDENTIAL_HELD
                else None,
            )
            for entry in progress(holder, achievement)
        )
        pathways.append(
            Pathway(
                title=_title(achievement),
                issuer=achievement.organization.name,
                steps=steps,
                earned=newest.get(achievement.pk),
            )
        )
    return sorted(pathways, key=lambda pathway: pathway.title.casefold())
