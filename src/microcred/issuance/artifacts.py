"""Downloadable forms of an issued credential: the signed JSON, baked PNG and SVG badges and the
PDF/A certificate, rendered from the definition's design.

Rendered files are stored through Django's storage API (local or S3) and cached per credential,
kind and design version (``RenderedArtifact``); a design change renders again, in the
background, while the signed credential inside never changes. The badge's base image is
rendered once per design version and only finished (QR code, verification code) and baked
(OB 3.0 §5.3, ``vc.baking``) per credential.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from microcred.achievements.designs import design_of
from microcred.achievements.models import Design
from microcred.issuance.models import ArtifactKind, IssuedCredential, RenderedArtifact
from microcred.rendering import badges, certificates
from microcred.rendering.data import Look, Shown, Signatory
from microcred.vc import baking


def credential_text(credential: IssuedCredential) -> str:
    """The secured credential as text: JSON for Data Integrity proofs, the compact JWS for JWTs."""
    if credential.document is None:
        raise ValueError("this credential has no signed document")
    if isinstance(credential.document, str):
        return credential.document
    return json.dumps(credential.document, ensure_ascii=False, indent=2)


def credential_json(credential: IssuedCredential) -> bytes:
    return credential_text(credential).encode("utf-8")


# -- what the design and the credential say ------------------------------------------------------


def _read(field) -> tuple[bytes | None, str]:  # type: ignore[no-untyped-def]
    """An upload's bytes and its type (from the cleaned name's extension)."""
    if not field:
        return None, ""
    with field.open("rb") as handle:
        content = handle.read()
    return content, field.name.rsplit(".", 1)[-1].lower()


def look_for(design: Design) -> Look:
    organization = design.achievement.organization
    logo, logo_type = _read(organization.logo)
    return Look(
        certificate_layout=design.certificate_layout,
        badge_layout=design.badge_layout,
        paper=design.paper,
        primary=design.primary_color or organization.primary_color,
        accent=design.accent_color or organization.secondary_color,
        font=design.font,
        logo=logo,
        logo_type=logo_type,
        custom_certificate=_read(design.custom_certificate)[0],
        custom_badge=_read(design.custom_badge)[0],
    )


def day(moment: datetime | None) -> str:
    """A date as certificates, badges and summaries print it ("1 December 2026"), on the
    installation's calendar, as the pages show it."""
    return date_format(timezone.localtime(moment), "j F Y") if moment else ""


def verification_url(credential: IssuedCredential) -> str:
    return settings.PUBLIC_URL + reverse("public:verify_code", args=[credential.verification_code])


def signatories_of(design: Design) -> tuple[Signatory, ...]:
    people = []
    for person in design.signatories.all():
        signature, kind = _read(person.signature)
        people.append(Signatory(person.name, person.title, signature, kind))
    return tuple(people)


def eu_lines(version) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    lines = []
    if version.eqf_level:
        lines.append(f"EQF level {version.eqf_level}")
    if version.workload_ects:
        lines.append(f"{version.workload_ects.normalize():f} ECTS credits")
    if version.workload_hours:
        lines.append(f"{version.workload_hours.normalize():f} hours of learning")
    return (" · ".join(lines),) if lines else ()


def shown_for(credential: IssuedCredential, design: Design) -> Shown:
    version = credential.achievement_version
    return Shown(
        recipient=credential.recipient_name,
        title=version.title,
        issuer=credential.organization.name,
        issued=day(credential.issued_at),
        expires=day(credential.valid_until),
        code=credential.verification_code,
        url=verification_url(credential),
        description=version.short_description,
        skills=tuple(skill.name for skill in version.skills.all()),
        eu=eu_lines(version),
        signatories=signatories_of(design),
    )


# -- rendering -----------------------------------------------------------------------------------


def _badge_base(design: Design, kind: str, credential: IssuedCredential) -> bytes:
    """The design's badge art without any holder's details, rendered once per design version
    (and per definition version: the badge shows its title). The design's uploads are read
    only when it is rendered."""
    storage = storages["default"]
    name = f"designs/{design.pk}/v{design.version}/badge-{credential.achievement_version_id}.{kind}"
    if storage.exists(name):
        with storage.open(name, "rb") as handle:
            return handle.read()
    title, issuer = credential.achievement_version.title, credential.organization.name
    render = badges.badge_base_png if kind == "png" else badges.badge_base_svg
    content = render(look_for(design), title=title, issuer=issuer)
    if not storage.exists(name):  # another worker may have stored it meanwhile: same bytes
        storage.save(name, ContentFile(content))
    return content


def render(credential: IssuedCredential, kind: str, design: Design | None = None) -> bytes:
    """One artifact's bytes for the design as it is now."""
    if kind not in ArtifactKind.values:
        raise ValueError(f"unknown artifact kind {kind!r}")
    design = design or design_of(credential.achievement)
    signed = credential_text(credential)
    if kind == ArtifactKind.CERTIFICATE_PDF:
        return certificates.certificate_pdf(
            look_for(design),
            shown_for(credential, design),
            credential=signed,
            created=credential.issued_at,
        )
    url = verification_url(credential)
    base = _badge_base(design, kind, credential)
    if kind == ArtifactKind.BADGE_PNG:
        finished = badges.badge_png(base, code=credential.verification_code, url=url)
        return baking.bake_png(finished, signed)
    finished = badges.badge_svg(base, code=credential.verification_code, url=url)
    return baking.bake_svg(finished, signed)


def artifact_for(
    credential: IssuedCredential, kind: str, design: Design | None = None
) -> RenderedArtifact:
    """The stored artifact for the current design, rendered and stored now if missing. Two
    workers racing store one row (unique per credential, kind, design version)."""
    design = design or design_of(credential.achievement)
    existing = RenderedArtifact.objects.filter(
        credential=credential, kind=kind, design_version=design.version
    ).first()
    if existing is not None:
        return existing
    content = render(credential, kind, design)
    artifact = RenderedArtifact(
        credential=credential,
        kind=kind,
        design_version=design.version,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    artifact.file.save(filename(credential, kind), ContentFile(content), save=False)
    try:
        with transaction.atomic():
            artifact.save()
    except IntegrityError:
        artifact.file.delete(save=False)
        return RenderedArtifact.objects.get(
            credential=credential, kind=kind, design_version=design.version
        )
    # Older renderings of this credential are superseded; keep storage tidy.
    for old in RenderedArtifact.objects.filter(credential=credential, kind=kind).exclude(
        pk=artifact.pk
    ):
        old.file.delete(save=False)
        old.delete()
    return artifact


def render_all(credential: IssuedCredential) -> list[RenderedArtifact]:
    if credential.document is None:
        return []
    design = design_of(credential.achievement)
    return [artifact_for(credential, kind, design) for kind in ArtifactKind.values]


# -- downloads -----------------------------------------------------------------------------------

CONTENT_TYPES = {
    "json": "application/vc+ld+json",
    "jwt": "text/plain; charset=utf-8",
    ArtifactKind.CERTIFICATE_PDF: "application/pdf",
    ArtifactKind.BADGE_PNG: "image/png",
    ArtifactKind.BADGE_SVG: "image/svg+xml",
}


def filename(credential: IssuedCredential, kind: str) -> str:
    return f"credential-{credential.verification_code}.{kind}"


def download_response(credential: IssuedCredential, kind: str) -> HttpResponse:
    """The artifact as an attachment; 404 for an unknown kind or an unsigned credential. A
    rendering not made yet (the background task still queued) is made now."""
    if kind not in CONTENT_TYPES or credential.document is None:
        raise Http404("No such download.")
    if kind in {"json", "jwt"}:
        if kind != credential.secured_kind:
            raise Http404("This credential is not available in that format.")
        content = credential_json(credential)
    else:
        artifact = artifact_for(credential, kind)
        with artifact.file.open("rb") as handle:
            content = handle.read()
    response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename(credential, kind)}"'
    response["Cache-Control"] = "private, no-store"
    return response
