"""Hostile uploads on the design side, through the back-office forms: the design editor's SVG
templates and signature images, the organization's logo and a definition's image.

A refused file gets a precise message on its own field and a re-rendered form (400, never 500),
and leaves everything as it was: the row, the stored files, the design version, the audit log,
and no re-rendering queued. What the upload cleaner neutralises instead of refusing (a payload
appended to a PNG, text chunks, script and external references in an SVG) is stored without it.
"""

from __future__ import annotations

import hashlib
import html
import io
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from PIL import Image

from microcred.achievements import designs
from microcred.achievements.models import Achievement, AchievementVersion, Design
from microcred.core.models import AuditEntry
from microcred.core.uploads import NOT_AN_IMAGE, NOT_AN_SVG
from microcred.organizations.models import Organization
from microcred.rendering import custom
from microcred.rendering.data import Look, Shown, Signatory
from tests.conftest import World, publish_achievement

from .helpers import definition_post, png_bytes, text, url

# --- Hostile files ------------------------------------------------------------------------------


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with(extra: bytes) -> bytes:
    """A valid small PNG with ``extra`` chunks right after its header (IHDR ends at byte 33)."""
    data = png_bytes((40, 30))
    return data[:33] + extra + data[33:]


@cache
def decompression_bomb() -> bytes:
    """30000 × 30000 pixels of one colour (1 bit deep): about 110 KB that decode to 900 million
    pixels. Valid to the last byte, so only the pixel cap can stop it."""
    width = height = 30_000
    row = b"\x00" * (1 + width // 8)  # filter byte, then the row's bits
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def bad_crc() -> bytes:
    data = bytearray(png_bytes((40, 30)))
    crc_at = data.index(b"IEND") - 8  # IDAT's CRC, then IEND's length, then "IEND"
    data[crc_at] ^= 0xFF
    return bytes(data)


def truncated() -> bytes:
    data = png_bytes((400, 300))
    return data[: len(data) // 2]


def text_bomb() -> bytes:
    """A zTXt chunk of 200 KB that inflates to 100 MB of text."""
    return png_with(chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (100 << 20), 9)))


SCRIPT_TEXT = b"<html><script>steal(document.cookie)</script></html>"
ZIP_HEADER = b"PK\x03\x04"


def text_chunk() -> bytes:
    return png_with(chunk(b"tEXt", b"Comment\x00" + SCRIPT_TEXT * 2000))


def polyglot() -> bytes:
    return png_bytes((40, 30)) + ZIP_HEADER + b"\x14\x00payload.html" + SCRIPT_TEXT


def html_named_png() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def svg(body: str, *, prologue: str = "", root: str = "") -> bytes:
    return (
        f'{prologue}<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink" width="512" height="512"{root}>'
        f'<rect id="art" width="512" height="512" fill="#1d4ed8"/>{body}</svg>'
    ).encode()


XXE = svg(
    "<text>&xxe;</text>",
    prologue='<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
)
_LAUGHS = ['<!ENTITY lol0 "lol">'] + [
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
]
BILLION_LAUGHS = svg("<text>&lol9;</text>", prologue=f"<!DOCTYPE svg [{''.join(_LAUGHS)}]>")


def svg_of_size(size: int) -> bytes:
    """A valid SVG of exactly ``size`` bytes (a comment fills it up)."""
    empty = svg("<!---->")
    return svg("<!--" + "x" * (size - len(empty)) + "-->")


DOCTYPE_REFUSED = (
    "The SVG has a DOCTYPE declaration that is not allowed (only the standard SVG DOCTYPE, "
    "without declarations, is); remove it."
)

OUTSIDE = "embed images in the file (PNG, JPEG, GIF or WebP as a data: URI) and upload it again."

# SVGs refused on upload, with the reason given to the uploader.
HOSTILE_SVGS = {
    "script": (
        svg("<script>alert('owned')</script>"),
        "The SVG contains a script (a <script> element); remove it.",
    ),
    "onload": (
        svg("", root=' onload="alert(1)"'),
        "The SVG contains a script: the event handler onload= on <svg>; remove it.",
    ),
    "external image": (
        svg('<image href="http://attacker.example/pixel.png" width="9" height="9"/>'),
        "The SVG references a resource outside the file (http://attacker.example/pixel.png) "
        f"from <image>; {OUTSIDE}",
    ),
    "use file": (
        svg('<use xlink:href="file:///etc/passwd#x" href="file:///etc/passwd"/>'),
        "The SVG references a resource outside the file (file:///etc/passwd#x) from <use>; "
        + OUTSIDE,
    ),
    "css url": (
        svg('<rect width="9" height="9" style="fill: url(http://attacker.example/x)"/>'),
        "The SVG loads an external resource (http://attacker.example/x) from CSS in the style "
        "of <rect>; embed it in the file or remove it.",
    ),
    "css import": (
        svg('<style>@import url("http://attacker.example/x.css");</style>'),
        "The SVG loads an external resource (http://attacker.example/x.css) from CSS in a "
        "<style> element; embed it in the file or remove it.",
    ),
    "foreignObject": (
        svg('<foreignObject width="9" height="9"><iframe src="http://attacker.example"/>'
            "</foreignObject>"),
        "The SVG references a resource outside the file (http://attacker.example) from "
        f"<iframe>; {OUTSIDE}",
    ),
}  # fmt: skip

# --- What is uploaded where ---------------------------------------------------------------------

DESIGN_SETTINGS = {
    "certificate_layout": "custom",
    "badge_layout": "custom",
    "paper": "a4",
    "font": "Noto Sans",
    "primary_color": "#aa3300",
    "accent_color": "",
    "signatory_1_name": "Grace Hopper",
    "signatory_1_title": "Dean",
}
TEMPLATE = svg(
    "<text x='20' y='60'>{{recipient_name}}</text>"
    "<rect id='qr_code' x='20' y='300' width='100' height='100'/>"
)


def profile() -> dict[str, Any]:
    return {
        "name": "Alpha Academy",
        "country": "DE",
        "contact_email": "info@org-a.test",
        "primary_color": "#1d4ed8",
        "secondary_color": "#0f172a",
    }


@dataclass(frozen=True)
class Target:
    """One upload field: where its form lives, what the rest of the form holds, its limits."""

    name: str
    field: str
    max_bytes: int
    svg_only: bool
    path: Callable[[World, Achievement], str]
    post: Callable[[], dict[str, Any]]
    stored: Callable[[Achievement], Any]  # the FieldFile the upload ends up in
    login_as: str = "issuer"

    def too_big(self) -> str:
        limit = {512 * 1024: "512 KB", 1024 * 1024: "1 MB", 2 * 1024 * 1024: "2 MB"}
        shown = {512 * 1024: "512.1 KB", 1024 * 1024: "1.1 MB", 2 * 1024 * 1024: "2.1 MB"}
        return f"The file is {shown[self.max_bytes]}; the limit is {limit[self.max_bytes]}."


def _design_path(world: World, achievement: Achievement) -> str:
    return url("achievement_design", world.a.slug, achievement.pk)


def _design(achievement: Achievement) -> Design:
    return Design.objects.get(achievement=achievement)


TARGETS = [
    Target(
        "certificate template",
        "custom_certificate",
        1024 * 1024,
        True,
        _design_path,
        lambda: dict(DESIGN_SETTINGS),
        lambda achievement: _design(achievement).custom_certificate,
    ),
    Target(
        "badge template",
        "custom_badge",
        1024 * 1024,
        True,
        _design_path,
        lambda: dict(DESIGN_SETTINGS),
        lambda achievement: _design(achievement).custom_badge,
    ),
    Target(
        "signature",
        "signatory_1_signature",
        512 * 1024,
        False,
        _design_path,
        lambda: dict(DESIGN_SETTINGS),
        lambda achievement: _design(achievement).signatories.get().signature,
    ),
    Target(
        "organization logo",
        "logo",
        2 * 1024 * 1024,
        False,
        lambda world, achievement: url("organization", world.a.slug),
        profile,
        lambda achievement: Organization.objects.get(pk=achievement.organization_id).logo,
        login_as="owner",
    ),
    Target(
        "definition image",
        "image",
        2 * 1024 * 1024,
        False,
        lambda world, achievement: url("achievement_edit", world.a.slug, achievement.pk),
        lambda: definition_post(),
        lambda achievement: achievement.versions.get(number=2).image,
    ),
]

PIXELS = "The image has too many pixels to process safely; the limit is 16,777,216 pixels in all."
DAMAGED = "The file looks like a PNG image but is damaged or incomplete."
TEXT_METADATA = (
    "The image carries more text metadata than can be read safely; save it again without metadata."
)

# (case, file name, content, message for an image field, message for an SVG template field)
REFUSED: list[tuple[str, str, Callable[[Target], bytes], str | None, str]] = [
    ("decompression bomb", "bomb.png", lambda t: decompression_bomb(), PIXELS, NOT_AN_SVG),
    ("bad CRC", "crc.png", lambda t: bad_crc(), DAMAGED, NOT_AN_SVG),
    ("truncated PNG", "cut.png", lambda t: truncated(), DAMAGED, NOT_AN_SVG),
    ("text chunk bomb", "ztxt.png", lambda t: text_bomb(), TEXT_METADATA, NOT_AN_SVG),
    ("HTML named .png", "logo.png", lambda t: html_named_png(), NOT_AN_IMAGE, NOT_AN_SVG),
    ("HTML named .svg", "logo.svg", lambda t: html_named_png(), NOT_AN_IMAGE, NOT_AN_SVG),
    ("polyglot, in a template", "x.png", lambda t: polyglot(), None, NOT_AN_SVG),
    ("text chunk, in a template", "x.png", lambda t: text_chunk(), None, NOT_AN_SVG),
    ("XXE", "xxe.svg", lambda t: XXE, DOCTYPE_REFUSED, DOCTYPE_REFUSED),
    ("billion laughs", "lol.svg", lambda t: BILLION_LAUGHS, DOCTYPE_REFUSED, DOCTYPE_REFUSED),
    (
        "oversized PNG",
        "big.png",
        lambda t: png_bytes().ljust(t.max_bytes + 1, b"\x00"),
        "size",
        "size",
    ),
    (
        "oversized SVG",
        "big.svg",
        lambda t: svg_of_size(t.max_bytes + 1),
        "size",
        "size",
    ),
]


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def achievement(world: World) -> Achievement:
    """A published definition whose design already has both templates, a signatory with a
    signature image, and a draft with an image; the organization has a logo. A refused upload
    must leave all of it as it is."""
    achievement = publish_achievement(world.a.issuer)
    designs.update_design(
        member=world.a.issuer,
        design=designs.design_of(achievement),
        fields={"certificate_layout": "custom", "badge_layout": "custom"},
        custom_certificate=SimpleUploadedFile("cert.svg", TEMPLATE),
        custom_badge=SimpleUploadedFile("badge.svg", TEMPLATE),
        signatories=[
            designs.SignatoryData(
                "Grace Hopper", "Dean", SimpleUploadedFile("sig.png", png_bytes((60, 20)))
            )
        ],
    )
    owner = Client()
    owner.force_login(world.a.owner.user)
    logo = SimpleUploadedFile("logo.png", png_bytes((50, 50)))
    assert (
        owner.post(url("organization", world.a.slug), {**profile(), "logo": logo}).status_code
        == 302
    )
    assert (
        owner.post(url("achievement_new_version", world.a.slug, achievement.pk)).status_code == 302
    )
    image = SimpleUploadedFile("image.png", png_bytes((64, 64)))
    edit = url("achievement_edit", world.a.slug, achievement.pk)
    assert owner.post(edit, definition_post(image=image)).status_code == 302
    assert Organization.objects.get(pk=world.a.organization.pk).logo
    assert AchievementVersion.objects.get(achievement=achievement, number=2).image
    return achievement


def stored_files() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def snapshot(achievement: Achievement) -> dict[str, Any]:
    design = Design.objects.get(achievement=achievement)
    return {
        "design": model_to_dict(design) | {"updated": design.updated_at},
        "signatories": [model_to_dict(person) for person in design.signatories.all()],
        "organization": model_to_dict(Organization.objects.get(pk=achievement.organization_id)),
        "versions": [
            model_to_dict(version, exclude=["skills"])
            for version in AchievementVersion.objects.filter(achievement=achievement)
        ],
        "files": stored_files(),
        "audit": list(AuditEntry.objects.order_by("id").values_list("id", "action")),
    }


@pytest.fixture
def queued(achievement: Achievement) -> Iterator[Callable[[], list]]:
    """As with a broker: a saved design queues its re-rendering after commit. Yields a function
    that lists the callbacks registered for after commit from here on (the test's transaction
    never commits, so they never run)."""
    from microcred.celery import app

    start = len(connection.run_on_commit)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield lambda: [callback for _, callback, _ in connection.run_on_commit[start:]]
    finally:
        app.conf.task_always_eager = eager


def post(world: World, achievement: Achievement, target: Target, name: str, data: bytes) -> Any:
    client = Client()
    client.force_login(world.a.member(target.login_as).user)
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    return client.post(target.path(world, achievement), {**target.post(), target.field: upload})


def _refused_cases() -> Iterator[Any]:
    for target in TARGETS:
        for case, name, content, image_message, template_message in REFUSED:
            message = template_message if target.svg_only else image_message
            if message is None:
                continue  # neutralised, not refused: see the tests further down
            yield pytest.param(target, name, content, message, id=f"{target.name}: {case}")


# --- Tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "name", "content", "message"), list(_refused_cases()))
def test_a_hostile_upload_is_refused_on_its_field_and_changes_nothing(
    world: World,
    achievement: Achievement,
    queued: Callable[[], list],
    target: Target,
    name: str,
    content: Callable[[Target], bytes],
    message: str,
) -> None:
    if message == "size":
        message = target.too_big()
    before = snapshot(achievement)

    response = post(world, achievement, target, name, content(target))

    assert response.status_code == 400  # the form again, with the reason; never a 500
    assert response.context["form"].errors == {target.field: [message]}
    assert html.escape(message) in text(response)
    # Row, files, design version, audit log: all as they were, and nothing queued.
    assert snapshot(achievement) == before
    assert queued() == []


IMAGE_TARGETS = [pytest.param(t, id=t.name) for t in TARGETS if not t.svg_only]


@pytest.mark.parametrize("target", IMAGE_TARGETS)
@pytest.mark.parametrize(
    ("payload", "markers"),
    [
        pytest.param(polyglot, [ZIP_HEADER, b"payload.html", b"script"], id="polyglot"),
        pytest.param(text_chunk, [b"tEXt", b"script"], id="text chunk"),
    ],
)
def test_a_png_carrying_a_payload_is_stored_without_it(
    world: World,
    achievement: Achievement,
    target: Target,
    payload: Callable[[], bytes],
    markers: list[bytes],
) -> None:
    data = payload()
    assert all(marker in data for marker in markers)

    response = post(world, achievement, target, "picture.png", data)

    assert response.status_code == 302
    with target.stored(achievement).open("rb") as stored:
        content = stored.read()
    for marker in markers:
        assert marker not in content
    with Image.open(io.BytesIO(content)) as image:
        assert (image.format, image.size) == ("PNG", (40, 30))


@pytest.mark.parametrize("target", [pytest.param(t, id=t.name) for t in TARGETS])
@pytest.mark.parametrize(
    ("data", "message"), [pytest.param(*value, id=key) for key, value in HOSTILE_SVGS.items()]
)
def test_an_svg_with_a_script_or_an_external_reference_is_refused_with_the_reason(
    world: World,
    achievement: Achievement,
    queued: Callable[[], list],
    target: Target,
    data: bytes,
    message: str,
) -> None:
    before = snapshot(achievement)

    response = post(world, achievement, target, "art.svg", data)

    assert response.status_code == 400
    assert response.context["form"].errors == {target.field: [message]}
    assert html.escape(message) in text(response)
    assert snapshot(achievement) == before
    assert queued() == []


def test_placeholders_work_in_a_template_cleaned_on_upload(
    world: World, achievement: Achievement, login: Any
) -> None:
    texts = " ".join(f"[{name}={{{{{name}}}}}]" for name in custom.TEXT_PLACEHOLDERS)
    slots = "".join(
        f'<rect id="{slot}" x="10" y="{20 * n}" width="30" height="15" fill="#ccc"/>'
        for n, slot in enumerate(custom.IMAGE_PLACEHOLDERS)
    )
    template = svg(
        f'<metadata>editor</metadata><text x="10" y="500">{texts}</text>{slots}'
        '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"/>'
    )
    response = login(world.a.issuer.user).post(
        _design_path(world, achievement),
        {**DESIGN_SETTINGS, "custom_certificate": SimpleUploadedFile("t.svg", template)},
    )
    assert response.status_code == 302
    with _design(achievement).custom_certificate.open("rb") as stored:
        cleaned = stored.read()
    assert b"metadata" not in cleaned
    assert b"sodipodi" not in cleaned

    signature = png_bytes((30, 10))
    shown = Shown(
        recipient="Ada Lovelace",
        title="Data Analysis",
        issuer="Alpha Academy",
        issued="1 December 2026",
        code="ZFCMFRG4TP",
        url="https://creds.example.org/verify/ZFCMFRG4TP",
        expires="1 December 2029",
        description="Cleaning data.",
        skills=("Python",),
        eu=("EQF level 5",),
        signatories=tuple(
            Signatory(f"Person {n}", f"Role {n}", signature, "png") for n in (1, 2, 3)
        ),
    )
    filled = custom.fill(cleaned, Look(logo=png_bytes((8, 8)), logo_type="png"), shown)

    root = fromstring(filled.encode())
    text_content = "".join(root.itertext())
    assert "{{" not in text_content
    for name, expected in [
        ("recipient_name", "Ada Lovelace"),
        ("verification_code", "ZFCMFRG4TP"),
        ("expiry_date", "1 December 2029"),
        ("skills", "Python"),
        ("signatory_3_title", "Role 3"),
    ]:
        assert f"[{name}={expected}]" in text_content
    hrefs = [image.get("href", "") for image in root.iter("{http://www.w3.org/2000/svg}image")]
    assert len(hrefs) == len(custom.IMAGE_PLACEHOLDERS)  # every slot filled, nothing else
    assert all(href.startswith("data:image/") for href in hrefs)


def test_a_valid_upload_after_a_refused_one_is_stored(
    world: World, achievement: Achievement, queued: Callable[[], list], login: Any
) -> None:
    client = login(world.a.issuer.user)
    path = _design_path(world, achievement)
    before = snapshot(achievement)
    bomb = SimpleUploadedFile("sig.png", decompression_bomb())

    refused = client.post(path, {**DESIGN_SETTINGS, "signatory_1_signature": bomb})

    assert refused.status_code == 400
    assert refused.context["form"].errors == {"signatory_1_signature": [PIXELS]}
    assert snapshot(achievement) == before
    assert queued() == []

    good = SimpleUploadedFile("sig.png", png_bytes((90, 30)))
    saved = client.post(path, {**DESIGN_SETTINGS, "signatory_1_signature": good})

    assert saved.status_code == 302
    design = _design(achievement)
    assert design.version == before["design"]["version"] + 1
    with design.signatories.get().signature.open("rb") as stored:
        content = stored.read()
    with Image.open(io.BytesIO(content)) as image:
        assert image.size == (90, 30)
    assert design.custom_certificate == before["design"]["custom_certificate"]  # kept
    new_entries = AuditEntry.objects.exclude(id__in=[entry for entry, _ in before["audit"]])
    assert list(new_entries.values_list("action", "data")) == [
        (
            "microcred.design.updated",
            {"version": design.version, "fields": sorted([*DESIGN_SETTINGS_FIELDS, "signatories"])},
        )
    ]
    assert len(queued()) == 1  # the re-rendering of the definition's credentials


DESIGN_SETTINGS_FIELDS = [
    "accent_color", "badge_layout", "certificate_layout", "font", "paper", "primary_color",
]  # fmt: skip


def test_a_refused_signature_is_reported_on_its_own_row(
    world: World, achievement: Achievement, login: Any
) -> None:
    """Rows are numbered as shown: an empty first row does not shift the error to row 1."""
    before = snapshot(achievement)
    response = login(world.a.issuer.user).post(
        _design_path(world, achievement),
        {
            **DESIGN_SETTINGS,
            "signatory_1_name": "",
            "signatory_2_name": "Alan Turing",
            "signatory_2_signature": SimpleUploadedFile("s.png", bad_crc()),
            "signatory_3_signature": SimpleUploadedFile("t.png", png_bytes()),
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "signatory_2_signature": [DAMAGED],
        "signatory_3_signature": [
            "Enter the signatory's name for this signature image, or leave it out."
        ],
    }
    assert snapshot(achievement) == before
