"""Badge images. The base (the design's art, title and issuer) is rendered once per design; each
credential's copy only gets its QR code and verification code drawn onto the base's plate, and
is then baked (the signed credential embedded, OB 3.0 §5.3) by the caller."""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

import segno
from PIL import Image, ImageDraw, ImageFont

from microcred.rendering import custom, engine
from microcred.rendering.data import BADGE_LAYOUTS, Look, inputs

SIZE = 512
#: The empty plate every badge layout leaves at the bottom (layouts/badge-common.typ), in px.
PLATE = (136, 424, 240, 80)
QR_SIZE = 72
_FONT = engine.FONTS / "NotoSans-Bold.ttf"
_SVG_END = re.compile(rb"</svg>\s*$")


def _layout(look: Look) -> str:
    return engine.layout_name("badge", look.badge_layout, look.custom_badge, BADGE_LAYOUTS)


def _base_inputs(look: Look, title: str, issuer: str) -> dict[str, str]:
    # The badge shows the credential's title and issuer, nothing about one holder.
    values = inputs(look, title=title, issuer=issuer)
    if look.badge_layout == "custom" and look.custom_badge:
        values["svg"] = custom.fill(look.custom_badge, look, None, title=title, issuer=issuer)
    return values


def badge_base_png(look: Look, *, title: str, issuer: str) -> bytes:
    return engine.compile_layout(
        _layout(look), _base_inputs(look, title, issuer), output="png", ppi=72
    )


def badge_base_svg(look: Look, *, title: str, issuer: str) -> bytes:
    return engine.compile_layout(_layout(look), _base_inputs(look, title, issuer), output="svg")


def badge_png(base: bytes, *, code: str, url: str) -> bytes:
    """``base`` with this credential's QR code and verification code on its plate."""
    x, y, width, height = PLATE
    with Image.open(io.BytesIO(base)) as opened:
        badge = opened.convert("RGBA")
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=3, border=1)
    with Image.open(buffer) as qr:
        qr_image = qr.convert("RGBA").resize((QR_SIZE, QR_SIZE), Image.Resampling.NEAREST)
    top = y + (height - QR_SIZE) // 2
    badge.paste(qr_image, (x + 8, top))
    draw = ImageDraw.Draw(badge)
    left = x + 8 + QR_SIZE + 10
    draw.text((left, top + 10), "Verify", font=ImageFont.truetype(str(_FONT), 13), fill="#334155")
    draw.text((left, top + 32), code, font=_code_font(code, x + width - 8 - left), fill="#0f172a")
    out = io.BytesIO()
    badge.save(out, format="PNG", compress_level=3)  # speed over the last bytes
    return out.getvalue()


def _code_font(code: str, room: int) -> ImageFont.FreeTypeFont:
    size = 22
    font = ImageFont.truetype(str(_FONT), size)
    while size > 9 and font.getlength(code) > room:
        size -= 1
        font = ImageFont.truetype(str(_FONT), size)
    return font


def badge_svg(base: bytes, *, code: str, url: str) -> bytes:
    """``base`` (typst's SVG) with this credential's QR code and verification code appended."""
    x, y, width, height = PLATE
    qr = segno.make(url, error="m")
    modules = qr.symbol_size(scale=1, border=1)[0]
    scale = QR_SIZE / modules
    path = io.BytesIO()
    qr.save(
        path,
        kind="svg",
        scale=1,
        border=1,
        xmldecl=False,
        svgns=False,
        svgclass=None,
        lineclass=None,
        omitsize=True,
    )
    inner = re.sub(rb"^<svg[^>]*>|</svg>$", b"", path.getvalue().strip())
    top = y + (height - QR_SIZE) // 2
    left = x + 8 + QR_SIZE + 10
    overlay = (
        f'<g class="credential-verification">'
        f'<rect x="{x + 8}" y="{top}" width="{QR_SIZE}" height="{QR_SIZE}" fill="#ffffff"/>'
        f'<g transform="translate({x + 8} {top}) scale({scale:.6f})">{inner.decode()}</g>'
        f'<text x="{left}" y="{top + 24}" font-family="Noto Sans, DejaVu Sans, sans-serif" '
        f'font-size="13" font-weight="700" fill="#334155">Verify</text>'
        f'<text x="{left}" y="{top + 50}" font-family="Noto Sans, DejaVu Sans, sans-serif" '
        f'font-size="{min(22, max(9, int((x + width - 8 - left) / (0.62 * max(len(code), 1)))))}" '
        f'font-weight="700" fill="#0f172a">{escape(code)}</text>'
        "</g>"
    ).encode()
    if not _SVG_END.search(base):
        raise engine.RenderError("the badge base is not a complete SVG document")
    return _SVG_END.sub(overlay + b"</svg>\n", base)
