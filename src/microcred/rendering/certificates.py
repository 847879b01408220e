"""Certificates: PDF/A-3b with the signed credential attached (so the PDF alone verifies) and
document metadata, or a PNG for previews and image checks."""

from __future__ import annotations

from datetime import datetime

from microcred.rendering import custom, engine
from microcred.rendering.data import CERTIFICATE_LAYOUTS, Look, Shown, inputs

#: PDF/A-3 is the PDF/A part that allows attached files of any type (here, the JSON credential).
PDF_STANDARD = "a-3b"


def _layout(look: Look) -> str:
    return engine.layout_name(
        "certificate", look.certificate_layout, look.custom_certificate, CERTIFICATE_LAYOUTS
    )


def _inputs(look: Look, shown: Shown, credential: str = "") -> dict[str, str]:
    values = inputs(look, shown, credential=credential)
    if look.certificate_layout == "custom" and look.custom_certificate:
        values["svg"] = custom.fill(look.custom_certificate, look, shown)
    return values


def certificate_pdf(
    look: Look, shown: Shown, *, credential: str = "", created: datetime | None = None
) -> bytes:
    """The certificate as PDF/A-3b; ``credential`` (the signed credential's text) is attached
    as ``credential.json``. ``created`` fixes the document date (the issue date), so the same
    credential and design always give the same file."""
    return engine.compile_layout(
        _layout(look),
        _inputs(look, shown, credential),
        pdf_standards=[PDF_STANDARD],
        timestamp=int(created.timestamp()) if created else None,
    )


def certificate_png(look: Look, shown: Shown, *, ppi: float = 96) -> bytes:
    """The certificate as a PNG (previews; 96 ppi is 1123 × 794 px for A4)."""
    return engine.compile_layout(_layout(look), _inputs(look, shown), output="png", ppi=ppi)
