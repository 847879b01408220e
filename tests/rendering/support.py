"""What the rendering tests share: a credential as a certificate shows it, and readers of the
PDFs they render."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pikepdf
from pypdf import PdfReader

from microcred.rendering.data import Shown, Signatory

SHOWN = Shown(
    recipient="Ada Lovelace",
    title="Data Analysis with Python",
    issuer="Demo University",
    issued="1 December 2026",
    expires="1 December 2029",
    code="ZFCMFRG4TP",
    url="https://creds.example.org/verify/ZFCMFRG4TP",
    description="Cleaning, exploring and modelling data with pandas.",
    skills=("Python", "Statistics"),
    eu=("EQF level 5 · 5 ECTS credits",),
    signatories=(Signatory("Grace Hopper", "Dean"), Signatory("Alan Turing", "Registrar")),
)
CREDENTIAL = json.dumps({"type": ["VerifiableCredential", "OpenBadgeCredential"], "id": "urn:x"})
ISSUED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def text_of(pdf: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts_of(pdf: bytes) -> set[str]:
    """The base names of the fonts the PDF's pages use (without the subset prefix)."""
    found = set()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for font in page.Resources.get("/Font", {}).values():
                found.add(str(font.get("/BaseFont", "")).split("+")[-1])
    return found
