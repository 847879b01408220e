"""A holder's summary of credentials for a CV: an A4 portrait PDF listing each credential with
its issuer, dates, verification code and a QR code of its public verification page."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from microcred.rendering import engine
from microcred.rendering.data import qr_svg

LAYOUT = "summary"


@dataclass(frozen=True, slots=True)
class SummaryEntry:
    """One credential as the summary lists it (all strings already formatted)."""

    title: str
    issuer: str
    issued: str
    code: str
    url: str
    expires: str = ""
    state: str = ""  # "Valid", "Revoked", … (the summary is honest about each one)
    skills: tuple[str, ...] = ()


def summary_inputs(
    holder: str, entries: Sequence[SummaryEntry], *, generated: str = ""
) -> dict[str, str]:
    """``sys.inputs`` of the layout: the data as JSON and one QR code (SVG) per entry."""
    data = {
        "holder": holder,
        "generated": generated,
        "entries": [asdict(entry) for entry in entries],
    }
    values = {"data": json.dumps(data, ensure_ascii=False)}
    for index, entry in enumerate(entries):
        values[f"qr-{index}"] = qr_svg(entry.url)
    return values


def summary_pdf(
    holder: str,
    entries: Sequence[SummaryEntry],
    *,
    generated: str = "",
    created: datetime | None = None,
) -> bytes:
    """The summary as PDF, as many pages as the entries need. ``generated`` is the date shown
    on the page; ``created`` fixes the document date in the metadata."""
    if not entries:
        raise engine.RenderError("a summary needs at least one credential")
    return engine.compile_layout(
        LAYOUT,
        summary_inputs(holder, entries, generated=generated),
        timestamp=int(created.timestamp()) if created else None,
    )
