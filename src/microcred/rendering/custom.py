"""Custom SVG templates: an organization's own artwork with placeholders filled in.

Text placeholders, anywhere in text or attributes: ``{{recipient_name}}``, ``{{credential_title}}``,
``{{description}}``, ``{{issue_date}}``, ``{{expiry_date}}``, ``{{verification_code}}``,
``{{verification_url}}``, ``{{issuer_name}}``, ``{{skills}}``, ``{{eu_elements}}``,
``{{signatory_1_name}}``, ``{{signatory_1_title}}`` (… up to 3). Image placeholders: an element
(usually a ``<rect>``) with ``id="qr_code"``, ``id="logo"`` or ``id="signatory_1_signature"`` (…)
and ``x``, ``y``, ``width``, ``height`` is replaced by that image, fitted into its box. A
placeholder with nothing to show (no expiry, no second signatory) becomes empty.

The template was cleaned on upload (``core.svg``); filling it in adds only escaped text and
``data:`` images, and typst refuses any external reference when it renders the result.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from defusedxml.ElementTree import fromstring

from microcred.rendering import engine
from microcred.rendering.data import Look, Shown, data_uri, qr_svg

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)
MAX_SIGNATORIES = 3
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

TEXT_PLACEHOLDERS = (
    "recipient_name", "credential_title", "description", "issue_date", "expiry_date",
    "verification_code", "verification_url", "issuer_name", "skills", "eu_elements",
    *(f"signatory_{n}_{part}" for n in range(1, MAX_SIGNATORIES + 1) for part in ("name", "title")),
)  # fmt: skip
IMAGE_PLACEHOLDERS = (
    "qr_code", "logo", *(f"signatory_{n}_signature" for n in range(1, MAX_SIGNATORIES + 1)),
)  # fmt: skip


def _texts(shown: Shown | None, title: str, issuer: str) -> dict[str, str]:
    values = dict.fromkeys(TEXT_PLACEHOLDERS, "")
    values.update(credential_title=title, issuer_name=issuer)
    if shown is not None:
        values.update(
            recipient_name=shown.recipient,
            credential_title=shown.title,
            description=shown.description,
            issue_date=shown.issued,
            expiry_date=shown.expires,
            verification_code=shown.code,
            verification_url=shown.url,
            issuer_name=shown.issuer,
            skills=" · ".join(shown.skills),
            eu_elements=" · ".join(shown.eu),
        )
        for number, person in enumerate(shown.signatories[:MAX_SIGNATORIES], 1):
            values[f"signatory_{number}_name"] = person.name
            values[f"signatory_{number}_title"] = person.title
    return values


def _images(look: Look, shown: Shown | None) -> dict[str, str]:
    """Placeholder id → data: URI."""
    images = {}
    if look.logo:
        images["logo"] = data_uri(look.logo, look.logo_type)
    if shown is not None:
        images["qr_code"] = data_uri(qr_svg(shown.url).encode(), "svg")
        for number, person in enumerate(shown.signatories[:MAX_SIGNATORIES], 1):
            if person.signature:
                images[f"signatory_{number}_signature"] = data_uri(
                    person.signature, person.signature_type
                )
    return images


def _box(element: ET.Element) -> dict[str, str] | None:
    box = {name: element.get(name, "") for name in ("x", "y", "width", "height")}
    box["x"] = box["x"] or "0"
    box["y"] = box["y"] or "0"
    if not all(_NUMBER.fullmatch(value) for value in box.values()):
        return None
    return box


def fill(
    template: bytes, look: Look, shown: Shown | None, *, title: str = "", issuer: str = ""
) -> str:
    """The template with every placeholder filled (``shown`` None: a badge base, which gets
    only the title, issuer and logo)."""
    try:
        root = fromstring(template)
    except Exception as exc:
        raise engine.RenderError(f"the SVG template cannot be read: {exc}") from None
    images = _images(look, shown)
    parents = {child: parent for parent in root.iter() for child in parent}
    for element in list(root.iter()):
        slot = element.get("id", "")
        if slot not in IMAGE_PLACEHOLDERS or element is root:
            continue
        box = _box(element)
        parent = parents.get(element)
        if parent is None or box is None:
            continue
        index = list(parent).index(element)
        parent.remove(element)
        if slot in images:
            image = ET.Element(
                f"{{{SVG}}}image",
                {**box, "href": images[slot], "preserveAspectRatio": "xMidYMid meet"},
            )
            parent.insert(index, image)
    text = ET.tostring(root, encoding="unicode")
    values = _texts(shown, title, issuer)

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        if found is None:
            return match.group(0)  # not ours: left as written
        return escape(found, {'"': "&quot;"})

    return _PLACEHOLDER.sub(value, text)
