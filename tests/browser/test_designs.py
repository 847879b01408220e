"""An admin designs a definition's certificate and badge in a real browser: the organization's
logo, layouts, colours and a signatory, with the live previews following the form's unsaved
values and sample holders (a long name, right-to-left script); then a credential issued
afterwards is rendered with the saved design."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageChops, ImageDraw
from playwright.sync_api import expect

from microcred.achievements.designs import design_of
from microcred.core.models import AuditEntry
from microcred.issuance.models import IssuedCredential
from tests.browser import ocr
from tests.browser.support import log_in
from tests.conftest import publish_achievement

pytestmark = pytest.mark.django_db(transaction=True)

# Colours that appear nowhere in the default design (blue #1d4ed8 on white, dark #0f172a), so
# finding them in a rendering shows that the logo, the colour and the signature reached it.
LOGO_GREEN = (0, 200, 83)
PRIMARY = "#c2185b"
PRIMARY_RGB = (0xC2, 0x18, 0x5B)
SIGNATURE_ORANGE = (255, 111, 0)


def logo_png() -> bytes:
    image = Image.new("RGB", (240, 240), LOGO_GREEN)
    ImageDraw.Draw(image).ellipse((70, 70, 170, 170), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def signature_png() -> bytes:
    image = Image.new("RGBA", (480, 140), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line(
        [(20, 110), (90, 20), (150, 120), (230, 30), (300, 115), (460, 40)],
        width=14,
        fill=(*SIGNATURE_ORANGE, 255),
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def share_of(png: bytes, rgb: tuple[int, int, int], tolerance: int = 30) -> float:
    """The share of the image's pixels within ``tolerance`` (per channel) of ``rgb``."""
    with Image.open(io.BytesIO(png)) as opened:
        image = opened.convert("RGB")
    difference = ImageChops.difference(image, Image.new("RGB", image.size, rgb))
    red, green, blue = difference.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    close = largest.point(lambda value: 255 if value <= tolerance else 0).histogram()[255]
    return close / (image.width * image.height)


def shown_preview(page, kind: str, *expected: str) -> bytes:
    """The preview image as the browser shows it, once its address carries every ``expected``
    query part (the form's values) and the image has loaded."""
    page.wait_for_function(
        """([id, expected]) => {
            const image = document.getElementById(id);
            return expected.every((part) => image.src.includes(part))
                && image.complete && image.naturalWidth > 0;
        }""",
        arg=[f"{kind}-preview", list(expected)],
    )
    return page.locator(f"#{kind}-preview").screenshot()


def test_an_admin_designs_previews_and_saves_and_new_credentials_use_the_design(page, world):
    achievement = publish_achievement(world.a.issuer, title="Cloud Security Fundamentals")
    log_in(page, world.a.owner.user.email)
    design_url = f"/manage/org-a/credentials/definitions/{achievement.pk}/design"

    page.goto(f"/manage/org-a/credentials/definitions/{achievement.pk}")
    page.get_by_role("link", name="Certificate and badge design").click()
    expect(page.locator("#design-form[data-ready=true]")).to_have_count(1)
    before = shown_preview(page, "certificate")
    assert share_of(before, LOGO_GREEN) == 0  # no logo yet
    assert share_of(before, PRIMARY_RGB) == 0

    # The logo is the organization's: uploaded in its profile, it shows in every design.
    page.goto("/manage/org-a/organization")
    page.set_input_files(
        "#id_logo", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}]
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Organization profile saved.")).to_be_visible()
    expect(page.get_by_role("img", name="Current logo")).to_be_visible()
    page.goto(design_url)
    expect(page.locator("#design-form[data-ready=true]")).to_have_count(1)
    with_logo = shown_preview(page, "certificate")
    assert share_of(with_logo, LOGO_GREEN) > 0.002

    # Layout and colour: the previews follow the unsaved form.
    page.select_option("#id_certificate_layout", "modern")
    modern = shown_preview(page, "certificate", "certificate_layout=modern")
    assert modern != with_logo
    assert share_of(modern, PRIMARY_RGB) == 0
    page.fill("#id_primary_color", PRIMARY)
    coloured = shown_preview(
        page, "certificate", "certificate_layout=modern", "primary_color=%23c2185b"
    )
    assert share_of(coloured, PRIMARY_RGB) > 0.15  # the modern layout's band
    assert share_of(coloured, LOGO_GREEN) > 0.002

    seal = shown_preview(page, "badge", "primary_color=%23c2185b")
    page.select_option("#id_badge_layout", "ribbon")
    ribbon = shown_preview(page, "badge", "badge_layout=ribbon", "primary_color=%23c2185b")
    assert ribbon != seal
    assert share_of(ribbon, PRIMARY_RGB) > 0.05

    # Sample holders: a very long name and a right-to-left script render in the layout.
    samples = {}
    for sample in ("long", "arabic", "hebrew"):
        page.select_option("#preview-sample", sample)
        samples[sample] = shown_preview(
            page, "certificate", f"sample={sample}", "certificate_layout=modern"
        )
        assert share_of(samples[sample], PRIMARY_RGB) > 0.15
    assert len({coloured, *samples.values()}) == 4  # each holder's name changes the picture

    # A signatory with a signature image, then save.
    page.get_by_label("Signatory 1: name").fill("Grace Hopper")
    page.get_by_label("Signatory 1: title").fill("Dean of Studies")
    page.set_input_files(
        "#id_signatory_1_signature",
        files=[{"name": "signature.png", "mimeType": "image/png", "buffer": signature_png()}],
    )
    page.get_by_role("button", name="Save the design").click()
    expect(page.get_by_text("Design saved.")).to_be_visible()
    expect(page.locator("#id_certificate_layout")).to_have_value("modern")
    expect(page.locator("#id_badge_layout")).to_have_value("ribbon")
    expect(page.locator("#id_primary_color")).to_have_value(PRIMARY)
    expect(page.get_by_label("Signatory 1: name")).to_have_value("Grace Hopper")
    saved = shown_preview(page, "certificate")  # the saved design, with its signature image
    assert share_of(saved, SIGNATURE_ORANGE) > 0.0005
    assert share_of(saved, PRIMARY_RGB) > 0.15

    design = design_of(achievement)
    assert (design.certificate_layout, design.badge_layout, design.primary_color) == (
        "modern",
        "ribbon",
        PRIMARY,
    )
    assert [person.name for person in design.signatories.all()] == ["Grace Hopper"]
    entry = AuditEntry.objects.get(action="microcred.design.updated")
    assert entry.data["version"] == design.version
    assert {"certificate_layout", "badge_layout", "primary_color", "signatories"} <= set(
        entry.data["fields"]
    )

    # A credential issued afterwards: its certificate and badge have the saved design.
    page.goto(f"/manage/org-a/credentials/definitions/{achievement.pk}")
    page.get_by_role("link", name="Issue", exact=True).click()
    page.get_by_label("Recipient's full name").fill("Oliver Bennett")
    page.get_by_label("Recipient's e-mail address").fill("oliver@example.test")
    page.get_by_role("button", name="Issue credential").click()
    expect(
        page.get_by_text(re.compile(r"Issued to Oliver Bennett\. Verification code"))
    ).to_be_visible()
    credential = IssuedCredential.objects.get(recipient_email="oliver@example.test")
    page.goto(f"/manage/org-a/credentials/issued/{credential.pk}")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF certificate").click()
    pdf = download.value.path().read_bytes()
    with page.expect_download() as download:
        page.get_by_role("link", name="PNG badge").click()
    badge = download.value.path().read_bytes()

    assert share_of(badge, PRIMARY_RGB) > 0.05
    certificate = ocr.pdf_page_png(pdf)
    assert share_of(certificate, PRIMARY_RGB) > 0.15
    assert share_of(certificate, LOGO_GREEN) > 0.002
    assert share_of(certificate, SIGNATURE_ORANGE) > 0.0005
    text = ocr.words(ocr.image_text(certificate))
    assert "oliver bennett" in text
    assert "grace hopper" in text
    assert "dean of studies" in text
