"""What a certificate or badge shows, as plain data, and how it reaches the layouts."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import asdict, dataclass, field

import segno

CERTIFICATE_LAYOUTS = {
    "classic": "Classic — centred, framed",
    "modern": "Modern — colour band with the QR code",
    "minimal": "Minimal — white with one accent rule",
}
BADGE_LAYOUTS = {"seal": "Seal — round medal", "ribbon": "Ribbon — shield with a ribbon"}
#: Image types a logo or signature may be (what the upload cleaner keeps).
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}


@dataclass(frozen=True, slots=True)
class Signatory:
    name: str
    title: str = ""
    signature: bytes | None = None  # PNG/JPEG/GIF bytes or SVG
    signature_type: str = ""  # "png", "jpg", "gif" or "svg"


@dataclass(frozen=True, slots=True)
class Look:
    """The design: layouts, paper, colours, font, logo."""

    certificate_layout: str = "classic"
    badge_layout: str = "seal"
    paper: str = "a4"
    primary: str = "#1d4ed8"
    accent: str = "#0f172a"
    font: str = "Noto Sans"
    logo: bytes | None = None
    logo_type: str = ""
    custom_certificate: bytes | None = None  # SVG template of the "custom" certificate layout
    custom_badge: bytes | None = None  # SVG template of the "custom" badge layout


@dataclass(frozen=True, slots=True)
class Shown:
    """One credential as a certificate shows it (all strings already formatted)."""

    recipient: str
    title: str
    issuer: str
    issued: str
    code: str
    url: str
    expires: str = ""
    description: str = ""
    skills: tuple[str, ...] = ()
    eu: tuple[str, ...] = ()  # "EQF level 5", "5 ECTS", …
    signatories: tuple[Signatory, ...] = field(default_factory=tuple)
    lang: str = "en"


def qr_svg(url: str) -> str:
    """The verification URL as a QR code (vector, error correction M)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=1, border=2, xmldecl=False)
    return buffer.getvalue().decode()


def _raster(content: bytes, kind: str) -> tuple[bytes, str, tuple[int, int]]:
    """A raster in a type typst's SVG reader takes (WebP and the like become PNG), with its
    type and pixel size."""
    from PIL import Image

    with Image.open(io.BytesIO(content)) as picture:
        size = picture.size
        if kind not in IMAGE_TYPES:
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG")
            content, kind = buffer.getvalue(), "png"
    return content, kind, size


def _base64_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def data_uri(content: bytes, kind: str) -> str:
    """An image (``kind``: svg, png, jpg, gif, webp…) as a ``data:`` URI typst can read."""
    if kind == "svg":
        return _base64_uri(content, "image/svg+xml")
    content, kind, _ = _raster(content, kind)
    return _base64_uri(content, IMAGE_TYPES[kind])


def image_svg(content: bytes | None, kind: str) -> str:
    """An image as SVG text for the layouts: SVG as is (cleaned on upload), a raster wrapped in
    an SVG with a data: URI (typst takes images only as bytes, and inputs are strings)."""
    if not content:
        return ""
    if kind == "svg":
        return content.decode("utf-8")
    content, kind, (width, height) = _raster(content, kind)
    uri = _base64_uri(content, IMAGE_TYPES[kind])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><image width="{width}" height="{height}" '
        f'href="{uri}"/></svg>'
    )


def inputs(
    look: Look,
    shown: Shown | None = None,
    *,
    credential: str = "",
    title: str = "",
    issuer: str = "",
) -> dict[str, str]:
    """``sys.inputs`` of a layout: the data as JSON, the QR code, logo and signatures as SVG.
    Without ``shown`` (a badge base), ``title`` and ``issuer`` are all it says."""
    data: dict[str, object] = {
        "primary": look.primary,
        "accent": look.accent,
        "font": look.font,
        "paper": look.paper,
        "title": title,
        "issuer": issuer,
    }
    result = {"logo": image_svg(look.logo, look.logo_type)}
    if shown is not None:
        fields = asdict(shown)
        fields["signatories"] = [{"name": s.name, "title": s.title} for s in shown.signatories]
        data.update(fields)
        result["qr"] = qr_svg(shown.url)
        for number, person in enumerate(shown.signatories, 1):
            result[f"signature-{number}"] = image_svg(person.signature, person.signature_type)
    result["data"] = json.dumps(data, ensure_ascii=False)
    if credential:
        result["credential"] = credential
    return result
