"""What a holder takes away: every credential in one ZIP archive (the signed credentials, their
baked badges and certificates, a manifest and a README), and a PDF summary of chosen credentials
for a CV.

Archive layout (``FORMAT``, version ``VERSION``; the wallet's importer reads it back)::

    README.txt
    manifest.json
    <verification code>-<slugified title>/credential.json   (or credential.jwt for VC-JOSE)
    <verification code>-<slugified title>/badge.png         (baked)
    <verification code>-<slugified title>/badge.svg         (baked)
    <verification code>-<slugified title>/certificate.pdf   (PDF/A-3b, credential attached)
    imported/<n>-<slugified title>.json                     (entries passed as extra_entries)
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import slugify

from microcred.accounts.models import User
from microcred.core.audit import log_action
from microcred.core.errors import DomainError, NotFound
from microcred.issuance import artifacts
from microcred.issuance.models import ArtifactKind, IssuedCredential
from microcred.issuance.queries import credentials_held_by, valid_now
from microcred.rendering import engine, summary

logger = logging.getLogger(__name__)

FORMAT = "microcred-wallet-export"
VERSION = 1
IMPORTED_FOLDER = "imported"
#: Archives up to this size stay in memory; larger ones spill to a temporary file on disk.
SPOOL_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024
#: Rendered artifacts as the archive names them.
ARTIFACT_FILES = {
    ArtifactKind.BADGE_PNG: "badge.png",
    ArtifactKind.BADGE_SVG: "badge.svg",
    ArtifactKind.CERTIFICATE_PDF: "certificate.pdf",
}
# Already compressed: deflating them again only costs time.
_STORED_SUFFIXES = (".png", ".pdf")
_SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """A further file for the archive, beyond the issued credentials (imported credentials):
    its path inside the archive, its bytes, and what the manifest says about it."""

    path: str
    content: bytes
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Archive:
    """The finished ZIP, positioned at its start (a response closes it when sent)."""

    file: IO[bytes]
    filename: str
    credentials: int
    extra: int


def slug(title: str, *, limit: int = 60) -> str:
    """An ASCII file-name part of a title; "credential" when nothing ASCII is left of it
    (titles in Arabic, Hebrew, CJK…): the verification code keeps names unique anyway."""
    return slugify(title)[:limit].strip("-") or "credential"


def imported_entry(
    number: int, title: str, content: bytes, *, extension: str = "json", **details: Any
) -> ArchiveEntry:
    """The archive's entry for the ``number``-th imported credential (from 1):
    ``imported/<n>-<slug>.json`` (``.jwt`` for a compact JWS)."""
    return ArchiveEntry(f"{IMPORTED_FOLDER}/{number}-{slug(title)}.{extension}", content, details)


def imported_entries(holder: User) -> list[ArchiveEntry]:
    """The holder's imported credentials, each exactly as received, with what the wallet
    found when it last verified them."""
    from microcred.wallet.models import ImportedCredential

    entries = []
    imported = ImportedCredential.objects.filter(owner=holder).order_by("imported_at", "pk")
    for number, credential in enumerate(imported, start=1):
        entries.append(
            imported_entry(
                number,
                credential.title,
                credential.content.encode(),
                extension=credential.file_extension,
                name=credential.title,
                issuer=credential.issuer_name,
                issuer_id=credential.issuer_id,
                kind=credential.get_kind_display(),
                verdict=credential.verdict,
                verified_at=credential.verified_at.isoformat(),
                imported_at=credential.imported_at.isoformat(),
            )
        )
    return entries


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(moment)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


class _Writer:
    """Writes files into the ZIP one by one, streaming each and recording its SHA-256."""

    def __init__(self, archive: zipfile.ZipFile, moment: datetime) -> None:
        self.archive = archive
        self.date_time = _zip_time(moment)
        self.paths: set[str] = set()

    def write(self, path: str, source: IO[bytes] | bytes) -> dict[str, Any]:
        if not _SAFE_PATH.fullmatch(path) or ".." in path.split("/") or path in self.paths:
            raise ValueError(f"unsafe or repeated archive path {path!r}")
        self.paths.add(path)
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.external_attr = 0o644 << 16
        stored = path.endswith(_STORED_SUFFIXES)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        digest, size = hashlib.sha256(), 0
        with self.archive.open(info, "w") as target:
            if isinstance(source, bytes):
                chunks: Iterable[bytes] = [source]
            else:
                chunks = iter(lambda: source.read(_CHUNK), b"")
            for chunk in chunks:
                digest.update(chunk)
                target.write(chunk)
                size += len(chunk)
        return {"path": path, "sha256": digest.hexdigest(), "bytes": size}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _add_credential(writer: _Writer, credential: IssuedCredential, now: datetime) -> dict[str, Any]:
    version = credential.achievement_version
    folder = f"{credential.verification_code}-{slug(version.title)}"
    files: list[dict[str, Any]] = []
    unavailable: dict[str, str] = {}
    if credential.document is not None:
        secured = f"credential.{credential.secured_kind}"
        files.append(writer.write(f"{folder}/{secured}", artifacts.credential_json(credential)))
        for kind, name in ARTIFACT_FILES.items():
            try:
                # Cached renderings are read from storage; missing ones are rendered now, as
                # the download view does.
                artifact = artifacts.artifact_for(credential, kind)
            except engine.RenderError as exc:
                # One broken design must not cost the holder the rest of the archive.
                logger.warning("export: %s of %s not rendered: %s", kind, credential.pk, exc)
                unavailable[name] = "could not be rendered; download it from the wallet later"
                continue
            with artifact.file.open("rb") as handle:
                files.append(writer.write(f"{folder}/{name}", handle))
    entry: dict[str, Any] = {
        "verification_code": credential.verification_code,
        "uuid": str(credential.uuid),
        "title": version.title,
        "issuer": credential.organization.name,
        "recipient_name": credential.recipient_name,
        "issued_at": _iso(credential.issued_at),
        "valid_from": _iso(credential.valid_from),
        "valid_until": _iso(credential.valid_until),
        "state": str(credential.verification_state(now)),
        "revoked_at": _iso(credential.revoked_at),
        "verification_url": artifacts.verification_url(credential),
        "secured_as": credential.secured_kind if credential.document is not None else None,
        "folder": folder,
        "files": files,
    }
    if unavailable:
        entry["unavailable"] = unavailable
    return entry


def _readme(holder: User, now: datetime, count: int, extra: int) -> str:
    verify_page = settings.PUBLIC_URL + reverse("public:verify")
    imported = (
        f"\n{IMPORTED_FOLDER}/<n>-<title>.json\n    Credentials from other issuers that you "
        f"imported into the wallet ({extra}), as you imported them.\n"
        if extra
        else ""
    )
    return f"""Credentials of {holder.display_name} <{holder.email}>
Exported {date_format(timezone.localtime(now), "j F Y, H:i T")} from {settings.PUBLIC_URL}
{count} credential(s) issued to you.

CONTENTS

manifest.json
    What this archive holds, as JSON: for each credential its verification code, title,
    issuer, dates, state at the time of the export (valid, expired, revoked, suspended),
    verification page, and the files with their SHA-256 checksums.

<verification code>-<title>/
    One folder per credential:
    credential.json   the signed credential (Open Badges 3.0 / W3C Verifiable Credential
                      with a Data Integrity proof), exactly as the issuer signed it;
    credential.jwt    instead of credential.json when the issuer secures credentials as a
                      JSON Web Token (VC-JOSE);
    badge.png         the badge image with the signed credential baked in (Open Badges 3.0
                      baking), so the image alone can be verified;
    badge.svg         the same as a vector image;
    certificate.pdf   the certificate (PDF/A-3b) with the signed credential attached as
                      credential.json.
{imported}
HOW TO VERIFY

Every file above carries the signed credential, so each one can be checked on its own:
- Upload it at {verify_page}, or open the verification page listed in manifest.json
  (or scan the QR code on the badge or certificate) to see its current state.
- With microcred's command-line verifier: microcred verify <file>
- With any Open Badges 3.0 / Verifiable Credentials verifier, such as 1EdTech's validator.
A revoked or expired credential is in this archive too; verifiers report its state.
The checksums in manifest.json show whether a file was changed after the export
(sha256sum <file>).
"""


def build_archive(*, holder: User, extra_entries: Iterable[ArchiveEntry] = ()) -> Archive:
    """A ZIP of every credential ``holder`` holds (revoked and expired ones too, with their
    state), each with its signed form, baked badges and certificate, plus ``manifest.json`` and
    ``README.txt``. ``extra_entries`` adds further files (imported credentials: see
    :func:`imported_entry`), listed in the manifest under ``imported``."""
    now = timezone.now()
    held = list(credentials_held_by(holder).select_related("achievement"))
    spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed over
    try:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            writer = _Writer(archive, now)
            listed = [_add_credential(writer, credential, now) for credential in held]
            imported = []
            for extra in extra_entries:
                if not extra.path.startswith(f"{IMPORTED_FOLDER}/"):
                    raise ValueError(f"extra entries go under {IMPORTED_FOLDER}/: {extra.path!r}")
                imported.append({**extra.details, **writer.write(extra.path, extra.content)})
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "exported_at": now.isoformat(),
                "source": settings.PUBLIC_URL,
                "holder": {"name": holder.full_name, "email": holder.email},
                "credentials": listed,
                "imported": imported,
            }
            text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
            writer.write("manifest.json", text.encode())
            readme = _readme(holder, now, len(listed), len(imported))
            writer.write("README.txt", readme.encode())
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    log_action(
        "microcred.wallet.exported",
        actor=holder,
        organization=None,
        data={
            "credentials": [entry["verification_code"] for entry in listed],
            "imported": len(imported),
        },
    )
    day = timezone.localdate(now).isoformat()
    return Archive(spool, f"credentials-{day}.zip", len(listed), len(imported))


# -- the PDF summary -----------------------------------------------------------------------------


def _parse_ids(texts: Sequence[str]) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for text in texts:
        try:
            parsed = uuid.UUID(str(text).strip())
        except ValueError:
            shown = str(text)[:40]
            raise DomainError(
                f"“{shown}” is not a credential id: use the checkboxes on My credentials.",
                field="c",
            ) from None
        if parsed not in ids:
            ids.append(parsed)
    return ids


def _summary_entry(credential: IssuedCredential, now: datetime) -> summary.SummaryEntry:
    version = credential.achievement_version
    return summary.SummaryEntry(
        title=version.title,
        issuer=credential.organization.name,
        issued=artifacts.day(credential.issued_at),
        expires=artifacts.day(credential.valid_until),
        code=credential.verification_code,
        url=artifacts.verification_url(credential),
        state=credential.verification_state(now).label,
        skills=tuple(skill.name for skill in version.skills.all()),
    )


def summary_pdf(*, holder: User, credential_uuids: Sequence[str] | None = None) -> bytes:
    """A PDF listing the holder's credentials with ``credential_uuids``, in that order; without
    any, every credential that is valid now. An id that is not one of the holder's credentials
    is refused (the same answer whether or not it exists elsewhere)."""
    now = timezone.now()
    held = credentials_held_by(holder).prefetch_related("achievement_version__skills")
    if credential_uuids is None:
        chosen = valid_now(held, now)
        if not chosen:
            raise DomainError("You have no valid credentials to list. Select credentials instead.")
    else:
        ids = _parse_ids(credential_uuids)
        if not ids:
            raise DomainError("Select at least one credential.", field="c")
        found = {c.uuid: c for c in held.filter(uuid__in=ids)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFound(f"{missing[0]} is not one of your credentials.")
        chosen = [found[i] for i in ids]
    return summary.summary_pdf(
        holder.display_name,
        [_summary_entry(credential, now) for credential in chosen],
        generated=artifacts.day(now),
        created=now,
    )
