"""Every built-in layout renders what it must show, in every script the shipped fonts cover,
as PDF/A-3b with the credential attached, and as images; nothing here needs Django."""

from __future__ import annotations

import io
from dataclasses import replace

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from microcred.rendering import badges, certificates, engine
from microcred.rendering.data import BADGE_LAYOUTS, CERTIFICATE_LAYOUTS, Look
from microcred.vc import baking
from tests.rendering.support import CREDENTIAL, ISSUED, SHOWN, fonts_of, text_of


def squashed(text: str) -> str:
    return "".join(text.split()).casefold()


@pytest.mark.parametrize("paper", ["a4", "us-letter"])
@pytest.mark.parametrize("layout", sorted(CERTIFICATE_LAYOUTS))
def test_each_certificate_is_pdfa_with_the_credential_attached_and_shows_the_facts(layout, paper):
    look = Look(certificate_layout=layout, paper=paper)
    pdf = certificates.certificate_pdf(look, SHOWN, credential=CREDENTIAL, created=ISSUED)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        width, height = (float(v) for v in document.pages[0].MediaBox[2:])
        assert width > height  # landscape
        expected = (842, 595) if paper == "a4" else (792, 612)
        assert (round(width), round(height)) == expected
        meta = document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        assert meta.pdfa_status == "3B"
        assert "Ada Lovelace" in meta["dc:title"]
        assert "Data Analysis" in meta["dc:title"]
        assert meta["dc:creator"] == ["Demo University"]
        attached = document.attachments["credential.json"].get_file()
        assert attached.mime_type == "application/json"
        assert attached.read_bytes().decode() == CREDENTIAL
    assert baking.extract(pdf) == CREDENTIAL
    text = squashed(text_of(pdf))  # letter-spaced capitals extract as "D E M O"
    for fact in (
        "Ada Lovelace",
        "Data Analysis with Python",
        "Demo University",
        "ZFCMFRG4TP",
        "1 December 2026",
        "1 December 2029",
        "Grace Hopper",
        "Registrar",
        "Statistics",
        "EQF level 5",
    ):
        assert squashed(fact) in text, (layout, fact)


def test_the_same_credential_and_design_give_the_same_pdf():
    look = Look()
    first = certificates.certificate_pdf(look, SHOWN, credential=CREDENTIAL, created=ISSUED)
    again = certificates.certificate_pdf(look, SHOWN, credential=CREDENTIAL, created=ISSUED)
    assert first == again


@pytest.mark.parametrize(
    ("name", "font"),
    [
        ("Ива́н Петро́в", "NotoSans"),
        ("Αλέξανδρος Παπαδόπουλος", "NotoSans"),
        ("محمد بن عبد الله", "NotoSansArabic"),
        ("שרה לוי", "NotoSansHebrew"),
    ],
)
def test_names_in_other_scripts_are_set_in_a_font_that_has_them(name, font):
    shown = replace(SHOWN, recipient=name)
    pdf = certificates.certificate_pdf(Look(), shown, credential=CREDENTIAL, created=ISSUED)
    used = fonts_of(pdf)
    assert any(f.startswith(font + "-") for f in used), used
    assert not any("Libertinus" in f or "NewCM" in f for f in used)  # no fallback to typst's own


@pytest.mark.skipif(
    not engine.SYSTEM_CJK_FONTS.is_dir(),
    reason="Noto Sans CJK (Debian fonts-noto-cjk) not installed",
)
def test_cjk_names_use_noto_sans_cjk():
    shown = replace(SHOWN, recipient="山田 花子")
    pdf = certificates.certificate_pdf(Look(), shown, credential=CREDENTIAL, created=ISSUED)
    assert any("CJK" in f for f in fonts_of(pdf))


@pytest.mark.parametrize("layout", sorted(CERTIFICATE_LAYOUTS))
def test_a_very_long_name_shrinks_to_one_line_instead_of_breaking_the_page(layout):
    long_name = "Maximiliana Wilhelmina Theodora von und zu Hohenzollern-Sigmaringen-Habsburg"
    shown = replace(SHOWN, recipient=long_name)
    pdf = certificates.certificate_pdf(
        Look(certificate_layout=layout), shown, credential=CREDENTIAL, created=ISSUED
    )
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert long_name in " ".join(text_of(pdf).split())


def test_a_certificate_png_is_the_page_at_the_asked_resolution():
    png = certificates.certificate_png(Look(), SHOWN, ppi=96)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1123, 794)


@pytest.mark.parametrize("layout", sorted(BADGE_LAYOUTS))
def test_badges_get_their_holders_qr_and_code_on_the_base_and_are_baked_later(layout):
    look = Look(badge_layout=layout)
    base = badges.badge_base_png(look, title=SHOWN.title, issuer=SHOWN.issuer)
    finished = badges.badge_png(base, code=SHOWN.code, url=SHOWN.url)
    other = badges.badge_png(base, code="QQQQQQQQQQ", url=SHOWN.url + "X")
    x, y, width, height = badges.PLATE
    with Image.open(io.BytesIO(base)) as b, Image.open(io.BytesIO(finished)) as f:
        assert b.size == f.size == (badges.SIZE, badges.SIZE)
        plate = (x + 4, y + 4, x + width - 4, y + height - 4)  # inside its border
        assert b.crop(plate).convert("L").getextrema()[0] > 200  # the base's plate is empty
        assert f.crop(plate).convert("L").getextrema()[0] < 60  # the QR code is on it
        outside = (0, 0, badges.SIZE, y - 2)
        assert b.crop(outside).convert("RGBA").tobytes() == f.crop(outside).tobytes()
    assert finished != other
    assert baking.extract(baking.bake_png(finished, CREDENTIAL)) == CREDENTIAL

    svg_base = badges.badge_base_svg(look, title=SHOWN.title, issuer=SHOWN.issuer)
    svg = badges.badge_svg(svg_base, code=SHOWN.code, url=SHOWN.url)
    assert svg.count(b"credential-verification") == 1
    assert SHOWN.code.encode() in svg
    assert baking.extract(baking.bake_svg(svg, CREDENTIAL)) == CREDENTIAL


def test_an_unknown_layout_is_refused_clearly():
    with pytest.raises(engine.RenderError, match="no certificate layout named 'fancy'"):
        certificates.certificate_pdf(Look(certificate_layout="fancy"), SHOWN)
    with pytest.raises(engine.RenderError, match="no badge layout"):
        badges.badge_base_png(Look(badge_layout="../common"), title="t", issuer="i")
