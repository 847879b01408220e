"""The PDF summary of a holder's credentials: A4 portrait pages with each credential's facts and a
QR code of its verification page, however long or in whatever script the names are; no Django."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pikepdf
import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from microcred.rendering import engine
from microcred.rendering.summary import SummaryEntry, summary_pdf
from tests.rendering.support import fonts_of, text_of

ENTRY = SummaryEntry(
    title="Data Analysis with Python",
    issuer="Demo University",
    issued="1 December 2026",
    expires="1 December 2029",
    code="ZFCMFRG4TP",
    url="https://creds.example.org/verify/ZFCMFRG4TP",
    state="Valid",
    skills=("Python", "Statistics"),
)
CREATED = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)
PPI = 200
MM = PPI / 25.4  # pixels per millimetre


def entries(count: int) -> list[SummaryEntry]:
    return [
        replace(
            ENTRY,
            title=f"{ENTRY.title} {n}",
            code=f"CODE{n:06d}",
            url=f"https://creds.example.org/verify/CODE{n:06d}",
        )
        for n in range(count)
    ]


def page_image(pdf: bytes, page: int) -> Image.Image:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    png = subprocess.run(  # noqa: S603 - poppler's rasterizer on our own PDF, no shell
        [pdftoppm, "-r", str(PPI), "-gray", "-png", "-f", str(page), "-l", str(page), "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def qr_codes(image: Image.Image) -> list[list[list[bool]]]:
    """The QR codes in the page's right-hand column, top to bottom, read module by module:
    square clusters of dark pixels, sampled at each module's centre."""
    width, height = image.size
    left = int(150 * MM)
    pixels = image.load()
    dark_rows = [y for y in range(height) if any(pixels[x, y] < 128 for x in range(left, width))]
    clusters: list[list[int]] = []
    for y in dark_rows:
        if clusters and y - clusters[-1][-1] <= 3 * MM:
            clusters[-1].append(y)
        else:
            clusters.append([y])
    codes = []
    for rows in clusters:
        top, bottom = rows[0], rows[-1] + 1
        columns = [
            x for x in range(left, width) if any(pixels[x, y] < 128 for y in range(top, bottom))
        ]
        x0, x1 = columns[0], columns[-1] + 1
        if (x1 - x0) < 20 * MM or abs((x1 - x0) - (bottom - top)) > 0.05 * (x1 - x0):
            continue  # text, not a QR code
        codes.append((x0, top, x1 - x0))
    result = []
    for x0, y0, side in codes:
        # The version follows from the finder pattern: 7 modules wide.
        finder = next(x for x in range(x0, x0 + side) if pixels[x, y0 + 1] >= 128) - x0
        modules = round(7 * side / finder)
        step = side / modules
        result.append(
            [
                [
                    pixels[int(x0 + (c + 0.5) * step), int(y0 + (r + 0.5) * step)] < 128
                    for c in range(modules)
                ]
                for r in range(modules)
            ]
        )
    return result


def expected_qr(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make(url, error="m").matrix_iter(border=0)]


def test_a_summary_is_a4_portrait_with_metadata_and_every_entrys_facts():
    pdf = summary_pdf("Ada Lovelace", entries(2), generated="5 January 2027", created=CREATED)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        width, height = (float(v) for v in document.pages[0].MediaBox[2:])
        assert (round(width), round(height)) == (595, 842)
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata.title == "Credentials of Ada Lovelace"
    assert metadata.author == "Ada Lovelace"
    text = " ".join(text_of(pdf).split())
    assert "Credentials of Ada Lovelace" in text
    assert "Generated 5 January 2027" in text
    for entry in entries(2):
        for fact in (entry.title, entry.code, entry.url, "Demo University", "Python, Statistics"):
            assert fact in text, fact
    assert "Issued 1 December 2026 · valid until 1 December 2029 · Valid" in text


def test_each_entry_has_a_qr_code_of_its_own_verification_url():
    chosen = entries(3)
    pdf = summary_pdf("Ada Lovelace", chosen, created=CREATED)
    found = qr_codes(page_image(pdf, 1))
    assert found == [expected_qr(entry.url) for entry in chosen]


def test_a_long_list_runs_over_several_pages_with_page_numbers():
    chosen = entries(14)
    pdf = summary_pdf("Ada Lovelace", chosen, created=CREATED)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    last = len(reader.pages)
    assert f"Page {last} of {last}" in (reader.pages[-1].extract_text() or "")
    text = text_of(pdf)
    for entry in chosen:
        assert entry.code in text
    # Every entry stays whole on one page: one QR code per entry, none cut across pages.
    codes = sum(len(qr_codes(page_image(pdf, n))) for n in range(1, last + 1))
    assert codes == len(chosen)


@pytest.mark.parametrize(
    ("title", "font"),
    [
        ("Анализ данных", "NotoSans"),
        ("Ανάλυση δεδομένων", "NotoSans"),
        ("تحليل البيانات باستخدام بايثون", "NotoSansArabic"),
        ("ניתוח נתונים", "NotoSansHebrew"),
    ],
)
def test_titles_in_other_scripts_are_set_in_a_font_that_has_them(title, font):
    pdf = summary_pdf("محمد بن عبد الله", [replace(ENTRY, title=title)], created=CREATED)
    used = fonts_of(pdf)
    assert any(f.startswith(font + "-") for f in used), used
    assert not any("Libertinus" in f or "NewCM" in f for f in used)  # no fallback to typst's own


def test_long_names_and_words_stay_inside_the_page_and_off_the_qr_code():
    long_name = "Maximiliana Wilhelmina Theodora von und zu Hohenzollern-Sigmaringen-Habsburg"
    unbreakable = "Datenverarbeitungsgrundlagenweiterbildungsmassnahmenabschlusszertifikat" * 2
    chosen = [
        replace(ENTRY, title=unbreakable, issuer="Universität " + "X" * 90),
        replace(ENTRY, code="OTHERCODE1", url="https://creds.example.org/verify/OTHERCODE1"),
    ]
    pdf = summary_pdf(long_name, chosen, created=CREATED)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert long_name in " ".join(text_of(pdf).split())
    image = page_image(pdf, 1)
    width, height = image.size
    margin = image.crop((int(width - 17 * MM), 0, width, height))
    assert margin.getextrema()[0] > 200  # nothing drawn in the right margin
    # The QR codes are whole and readable: no text ran over them.
    assert qr_codes(image) == [expected_qr(entry.url) for entry in chosen]


def test_a_summary_of_nothing_is_refused():
    with pytest.raises(engine.RenderError, match="at least one credential"):
        summary_pdf("Ada Lovelace", [])
