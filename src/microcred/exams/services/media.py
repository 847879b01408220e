"""Images for question texts: an author uploads one and pastes the URL into ``<img src="…">``.

The file goes through the project's upload cleaner (``core.uploads``): the type is sniffed from
the bytes, rasters are decoded under a pixel cap and re-encoded (metadata and anything appended
dropped); SVG is refused, since a stem image must be a plain raster. It is stored under
``question-images/<organization id>/<random>.<ext>`` in the default storage, and the URL returned
is ``MEDIA_URL`` + that path: the one image source ``exams.richtext`` accepts besides small
``data:`` images. The audit log records every upload; it is also what lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import storages
from django.db import transaction

from microcred.core.audit import log_action
from microcred.core.errors import DomainError
from microcred.core.models import AuditEntry
from microcred.core.uploads import UploadRejected, validate_image_upload
from microcred.exams.richtext import QUESTION_IMAGE_DIR
from microcred.organizations.models import Membership
from microcred.organizations.queries import require
from microcred.organizations.roles import Capability

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
UPLOADED = "microcred.question_image.uploaded"


@dataclass(frozen=True)
class QuestionImage:
    url: str
    uploaded_at: datetime
    uploaded_by: str
    size: int


def _url(name: str) -> str:
    return f"{settings.MEDIA_URL}{name}"


@transaction.atomic
def upload_question_image(*, member: Membership, file: File) -> str:
    """Store a cleaned copy of ``file`` for the member's organization; returns its URL for
    ``<img src>``. Raises ``DomainError`` (field ``file``) for anything that is not a PNG, JPEG,
    WebP or GIF image within the size and pixel limits."""
    require(member, Capability.AUTHOR_EXAMS)
    try:
        clean = validate_image_upload(
            file, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, allow_svg=False
        )
    except UploadRejected as exc:
        raise DomainError(exc.message, field="file") from None
    # The cleaned copy is named <random hex>.<ext>; the user's file name is never used.
    name = storages["default"].save(
        f"{QUESTION_IMAGE_DIR}/{member.organization_id}/{clean.name}", clean
    )
    url = _url(name)
    log_action(
        UPLOADED,
        actor=member.user,
        organization=member.organization,
        data={"path": name, "url": url, "size": clean.size},
    )
    return url


def question_images_for(member: Membership, *, limit: int = 200) -> list[QuestionImage]:
    """The organization's uploaded question images, newest first."""
    require(member, Capability.AUTHOR_EXAMS)
    entries = AuditEntry.objects.filter(
        organization_id=member.organization_id, action=UPLOADED
    ).order_by("-created_at", "-pk")[:limit]
    return [
        QuestionImage(
            url=_url(str(entry.data.get("path", ""))),
            uploaded_at=entry.created_at,
            uploaded_by=entry.actor_label,
            size=int(entry.data.get("size") or 0),
        )
        for entry in entries
    ]
