"""Custom SVG templates: placeholders filled and escaped, image slots replaced, and the result
rendered as a certificate or a badge like the built-in layouts."""

from __future__ import annotations

import base64
import io
from dataclasses import replace

import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image

from microcred.rendering import badges, certificates, custom, engine
from microcred.rendering.data import Look
from tests.rendering.support import CREDENTIAL, ISSUED, SHOWN, text_of

TEMPLATE = """<svg xmlns="http://www.w3.org/2000/svg" width="842" height="595" viewBox="0 0 842 595">
  <rect width="842" height="595" fill="#fdf6e3"/>
  <text x="60" y="120" font-size="36">{{recipient_name}}</text>
  <text x="60" y="180" font-size="24">{{ credential_title }} — {{issuer_name}}</text>
  <text x="60" y="230" font-size="14">{{issue_date}} {{expiry_date}} {{verification_code}}</text>
  <text x="60" y="260" font-size="12">{{signatory_1_name}}, {{signatory_1_title}} {{signatory_3_name}}</text>
  <text x="60" y="300" font-size="12">{{not_a_placeholder}}</text>
  <rect id="qr_code" x="700" y="440" width="100" height="100" fill="#ccc"/>
  <rect id="logo" x="700" y="40" width="100" height="60" fill="#ccc"/>
</svg>""".encode()


def test_placeholders_are_filled_and_escaped_and_image_slots_replaced():
    shown = replace(SHOWN, recipient='Bobby "<b>" & Tables')
    filled = custom.fill(TEMPLATE, Look(), shown)
    root = fromstring(filled.encode())
    texts = [element.text for element in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[0] == 'Bobby "<b>" & Tables'  # escaped in the SVG, the same text when read
    assert texts[1] == "Data Analysis with Python — Demo University"
    assert texts[2] == "1 December 2026 1 December 2029 ZFCMFRG4TP"
    assert texts[3] == "Grace Hopper, Dean "  # no third signatory: empty
    assert texts[4] == "{{not_a_placeholder}}"
    images = list(root.iter("{http://www.w3.org/2000/svg}image"))
    assert [image.get("href")[:26] for image in images] == ["data:image/svg+xml;base64,"]
    assert (images[0].get("x"), images[0].get("width")) == ("700", "100")
    assert not [r for r in root.iter() if r.get("id") in ("qr_code", "logo")]  # no logo: slot gone


def test_a_custom_template_renders_as_a_pdfa_certificate_and_a_badge():
    look = Look(certificate_layout="custom", custom_certificate=TEMPLATE)
    pdf = certificates.certificate_pdf(look, SHOWN, credential=CREDENTIAL, created=ISSUED)
    text = text_of(pdf)
    assert "Ada Lovelace" in text
    assert "ZFCMFRG4TP" in text
    badge_look = Look(badge_layout="custom", custom_badge=TEMPLATE.replace(b"842", b"512"))
    base = badges.badge_base_png(badge_look, title=SHOWN.title, issuer=SHOWN.issuer)
    assert badges.badge_png(base, code=SHOWN.code, url=SHOWN.url).startswith(b"\x89PNG")


def test_a_custom_layout_without_a_template_or_with_an_external_reference_is_refused():
    with pytest.raises(engine.RenderError, match="has no SVG template"):
        certificates.certificate_pdf(Look(certificate_layout="custom"), SHOWN)
    # Upload cleaning removes external references; were one to slip through, typst refuses it.
    outside = TEMPLATE.replace(
        b'<rect width="842"',
        b'<image href="https://attacker.example/x.png" width="10" height="10"/><rect width="842"',
    )
    with pytest.raises(engine.RenderError):
        certificates.certificate_pdf(
            Look(certificate_layout="custom", custom_certificate=outside), SHOWN
        )
    with pytest.raises(engine.RenderError, match="cannot be read"):
        custom.fill(b"<svg", Look(), SHOWN)


def test_a_webp_logo_reaches_the_template_as_a_png_data_uri():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "navy").save(buffer, format="WEBP")
    filled = custom.fill(TEMPLATE, Look(logo=buffer.getvalue(), logo_type="webp"), SHOWN)
    hrefs = [
        e.get("href") for e in fromstring(filled.encode()).iter("{http://www.w3.org/2000/svg}image")
    ]
    logo = [h for h in hrefs if h.startswith("data:image/png;base64,")]
    assert len(logo) == 1
    # Really a PNG now, not WebP bytes under a PNG label.
    assert base64.b64decode(logo[0].split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
