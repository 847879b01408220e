"""Downloadable forms of an issued credential: the signed JSON and baked PNG/SVG badges.

The badge image is the definition's image when it is a PNG or SVG, else a plain generated
badge in the organization's colours (designed badges and certificates come with the design
work). Baking follows OB 3.0 (vc.baking).
"""

from __future__ import annotations

import io
import json
from xml.sax.saxutils import escape

from django.http import Http404, HttpResponse
from PIL import Image, ImageDraw, ImageFont

from microcred.issuance.models import IssuedCredential
from microcred.vc import baking

BADGE_SIZE = 400


def credential_text(credential: IssuedCredential) -> str:
    """The secured credential as text: JSON for Data Integrity proofs, the compact JWS for JWTs."""
    if credential.document is None:
        raise ValueError("this credential has no signed document")
    if isinstance(credential.document, str):
        return credential.document
    return json.dumps(credential.document, ensure_ascii=False, indent=2)


def credential_json(credential: IssuedCredential) -> bytes:
    return credential_text(credential).encode("utf-8")


def _stored_image(credential: IssuedCredential, kind: str) -> bytes | None:
    image = credential.achievement_version.image
    if not image or not image.name.lower().endswith(f".{kind}"):
        return None
    with image.open("rb") as handle:
        return handle.read()


def _generated_svg(credential: IssuedCredential) -> bytes:
    organization = credential.organization
    title = escape(credential.achievement_version.title[:60])
    issuer = escape(organization.name[:60])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BADGE_SIZE}" height="{BADGE_SIZE}" viewBox="0 0 400 400">'
        f'<circle cx="200" cy="200" r="190" fill="{organization.primary_color}"/>'
        f'<circle cx="200" cy="200" r="165" fill="none" stroke="#ffffff" stroke-width="6"/>'
        f'<text x="200" y="190" font-family="sans-serif" font-size="24" font-weight="700" fill="#ffffff" '
        f'text-anchor="middle">{title}</text>'
        f'<text x="200" y="230" font-family="sans-serif" font-size="16" fill="#ffffff" text-anchor="middle">{issuer}</text>'
        "</svg>"
    ).encode()


def _generated_png(credential: IssuedCredential) -> bytes:
    organization = credential.organization
    image = Image.new("RGBA", (BADGE_SIZE, BADGE_SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, BADGE_SIZE - 10, BADGE_SIZE - 10), fill=organization.primary_color)
    draw.ellipse((35, 35, BADGE_SIZE - 35, BADGE_SIZE - 35), outline="#ffffff", width=6)
    font = ImageFont.load_default(size=24)
    title = credential.achievement_version.title
    title = title if len(title) <= 28 else title[:27] + "…"
    draw.text((BADGE_SIZE / 2, 190), title, fill="#ffffff", font=font, anchor="mm")
    draw.text(
        (BADGE_SIZE / 2, 230),
        organization.name[:40],
        fill="#ffffff",
        font=ImageFont.load_default(size=16),
        anchor="mm",
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def baked_png(credential: IssuedCredential) -> bytes:
    base = _stored_image(credential, "png") or _generated_png(credential)
    return baking.bake_png(base, credential_text(credential))


def baked_svg(credential: IssuedCredential) -> bytes:
    base = _stored_image(credential, "svg") or _generated_svg(credential)
    return baking.bake_svg(base, credential_text(credential))


DOWNLOADS = {
    "json": ("application/vc+ld+json", credential_json),
    "jwt": ("text/plain; charset=utf-8", credential_json),
    "png": ("image/png", baked_png),
    "svg": ("image/svg+xml", baked_svg),
}


def filename(credential: IssuedCredential, kind: str) -> str:
    return f"credential-{credential.verification_code}.{kind}"


def download_response(credential: IssuedCredential, kind: str) -> HttpResponse:
    """The artifact as an attachment; 404 for an unknown kind or an unsigned credential."""
    if kind not in DOWNLOADS or credential.document is None:
        raise Http404("No such download.")
    if kind in {"json", "jwt"} and kind != credential.secured_kind:
        raise Http404("This credential is not available in that format.")
    content_type, render = DOWNLOADS[kind]
    response = HttpResponse(render(credential), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename(credential, kind)}"'
    response["Cache-Control"] = "private, no-store"
    return response
