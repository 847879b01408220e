"""A credential definition's design: read it (made from the organization's branding on first
use), change it (each change is a new version: credentials are re-rendered in the background),
and the rendering data it stands for."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from django.core.files.base import File
from django.db import transaction

from microcred.achievements.models import (
    Achievement,
    BadgeLayout,
    CertificateLayout,
    Design,
    DesignFont,
    Paper,
    Signatory,
)
from microcred.achievements.queries import get_achievement_for
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.core.uploads import UploadRejected, validate_image_upload, validate_svg_upload
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability

MAX_SIGNATORIES = 3
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_SIGNATURE_BYTES = 512 * 1024
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")


@dataclass(frozen=True, slots=True)
class SignatoryData:
    name: str
    title: str = ""
    signature: File | None = None  # a new image; None keeps the one at this position
    remove_signature: bool = False


def design_of(achievement: Achievement) -> Design:
    """The definition's design, created with the defaults on first use (concurrent first uses
    meet the one-to-one constraint and read the winner's)."""
    design, _ = Design.objects.get_or_create(
        achievement=achievement, defaults={"organization_id": achievement.organization_id}
    )
    return design


def get_design_for(member: Membership, achievement_pk: int) -> Design:
    require(member, Capability.VIEW)
    return design_of(get_achievement_for(member, achievement_pk))


def is_colour(value: str) -> bool:
    return bool(_COLOUR.match(value))


def _colour(value: Any, field: str) -> str:
    value = str(value or "").strip()
    if value and not is_colour(value):
        raise DomainError(
            "Enter a colour as #RRGGBB, e.g. #1d4ed8, or leave it empty.", field=field
        )
    return value.lower()


def _choice(value: Any, choices: type, field: str) -> str:
    if value not in choices.values:
        raise DomainError(f"Choose one of: {', '.join(choices.labels)}.", field=field)
    return str(value)


def _svg_template(upload: File, field: str) -> File:
    try:
        return validate_svg_upload(upload, max_bytes=MAX_TEMPLATE_BYTES)
    except UploadRejected as exc:
        raise DomainError(exc.message, field=field) from None


@transaction.atomic
def update_design(
    *,
    member: Membership,
    design: Design,
    fields: dict[str, Any],
    custom_certificate: File | None = None,
    custom_badge: File | None = None,
    signatories: list[SignatoryData] | None = None,
) -> Design:
    """Change the design (layouts, paper, font, colours, custom SVG templates, signatories).
    Everything is checked before anything is stored; a change makes a new version and queues
    the re-rendering of the definition's credentials."""
    require(member, Capability.EDIT_ACHIEVEMENTS)
    design = (
        Design.objects.select_for_update()
        .filter(pk=design.pk, organization_id=member.organization_id)
        .first()
    )
    if design is None:
        raise NotFound("No such design.")
    changes: dict[str, Any] = {}
    checks = {
        "certificate_layout": lambda v: _choice(v, CertificateLayout, "certificate_layout"),
        "badge_layout": lambda v: _choice(v, BadgeLayout, "badge_layout"),
        "paper": lambda v: _choice(v, Paper, "paper"),
        "font": lambda v: _choice(v, DesignFont, "font"),
        "primary_color": lambda v: _colour(v, "primary_color"),
        "accent_color": lambda v: _colour(v, "accent_color"),
    }
    for name, value in fields.items():
        if name not in checks:
            raise DomainError(f"Unknown design setting “{name}”.")
        changes[name] = checks[name](value)
    files: dict[str, File] = {}
    if custom_certificate is not None:
        files["custom_certificate"] = _svg_template(custom_certificate, "custom_certificate")
    if custom_badge is not None:
        files["custom_badge"] = _svg_template(custom_badge, "custom_badge")
    cleaned_people = _clean_signatories(signatories) if signatories is not None else None
    final = {**{k: getattr(design, k) for k in checks}, **changes}
    if final["certificate_layout"] == CertificateLayout.CUSTOM and not (
        design.custom_certificate or "custom_certificate" in files
    ):
        raise DomainError("Upload the SVG template first.", field="custom_certificate")
    if final["badge_layout"] == BadgeLayout.CUSTOM and not (
        design.custom_badge or "custom_badge" in files
    ):
        raise DomainError("Upload the SVG template first.", field="custom_badge")

    for name, value in changes.items():
        setattr(design, name, value)
    for name, upload in files.items():
        getattr(design, name).save(upload.name, upload, save=False)
    if cleaned_people is not None:
        _store_signatories(design, cleaned_people)
    design.version += 1
    design.save()
    log_action(
        "microcred.design.updated",
        actor=member.user,
        organization=member.organization,
        target=design.achievement,
        data={
            "version": design.version,
            "fields": sorted(
                [*changes, *files, *(["signatories"] if signatories is not None else [])]
            ),
        },
    )
    from microcred.issuance.tasks import rerender_design, workers_run_tasks

    if workers_run_tasks():  # in-process, downloads render the new version when asked
        transaction.on_commit(lambda: rerender_design.delay(design.pk))
    return design


def _clean_signatories(people: list[SignatoryData]) -> list[SignatoryData]:
    """The signatories with names and titles tidied and each new image cleaned."""
    if len(people) > MAX_SIGNATORIES:
        raise DomainError(
            f"A design has at most {MAX_SIGNATORIES} signatories.", field="signatories"
        )
    cleaned = []
    for number, person in enumerate(people, 1):
        name = " ".join(person.name.split())
        if not name or len(name) > 120:
            raise DomainError(
                f"Signatory {number}: enter a name of at most 120 characters.", field="signatories"
            )
        image = None
        if person.signature is not None:
            try:
                image = validate_image_upload(
                    person.signature, max_bytes=MAX_SIGNATURE_BYTES, allow_svg=True
                )
            except UploadRejected as exc:
                raise DomainError(
                    f"Signatory {number}: {exc.message}", field="signatories"
                ) from None
        cleaned.append(
            replace(person, name=name, title=" ".join(person.title.split())[:160], signature=image)
        )
    return cleaned


def _store_signatories(design: Design, people: list[SignatoryData]) -> None:
    """Replace the design's signatories; a row without a new image keeps the image of the
    signatory at its position unless asked to remove it."""
    existing = list(design.signatories.all())
    for position, person in enumerate(people):
        row = Signatory(design=design, position=position, name=person.name, title=person.title)
        if person.signature is not None:
            row.signature.save(person.signature.name, person.signature, save=False)
        elif position < len(existing) and not person.remove_signature:
            row.signature.name = existing[position].signature.name
        row.save()
    Signatory.objects.filter(pk__in=[old.pk for old in existing]).delete()
