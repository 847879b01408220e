"""Names of any length and script keep every layout on its page: each certificate stays one page
with every word inside the media box, and each badge keeps its title and issuer on the badge,
above the plate that gets the QR code. Word positions come from poppler's ``pdftotext -bbox``.

(tests/rendering/test_layouts.py covers the fonts per script and a moderately long name.)
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from dataclasses import dataclass, replace

import pytest
from pypdf import PdfReader

from microcred.rendering import badges, certificates, engine
from microcred.rendering.data import BADGE_LAYOUTS, CERTIFICATE_LAYOUTS, Look, inputs
from tests.rendering.support import SHOWN

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def _long_name(length: int) -> str:
    parts = ["Maximiliana", "Wilhelmina", "Theodora", "Konstantina", "Anastasia", "Bernadette"]
    words: list[str] = []
    n = 0
    while len(" ".join(words)) < length:
        words.append(f"{parts[n % len(parts)]}{n}")
        n += 1
    return " ".join(words)[:length].rstrip()


NAMES = {
    "300 characters": _long_name(300),
    "Arabic": "محمد بن عبد الله بن عبد المطلب الهاشمي القرشي",
    "Hebrew": "שרה בת אברהם לוי מירושלים",
    "CJK": "山田 花子",
    "one 120-character word": "Wolfeschlegelsteinhausenbergerdorff" + "x" * 85,
}
NEEDS_CJK = pytest.mark.skipif(
    not engine.SYSTEM_CJK_FONTS.is_dir(),
    reason="Noto Sans CJK (Debian fonts-noto-cjk) not installed",
)
NAME_PARAMS = [
    pytest.param(name, id=key, marks=[NEEDS_CJK] if key == "CJK" else [])
    for key, name in NAMES.items()
]

_WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>'
)
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


@dataclass(frozen=True)
class Word:
    text: str
    x_min: float
    y_min: float  # from the top of the page, as pdftotext gives it
    x_max: float
    y_max: float


def words_of(pdf: bytes, tmp_path) -> tuple[tuple[float, float], list[Word]]:
    """The first page's size and its words with their boxes, in points."""
    pdftotext = shutil.which("pdftotext")
    assert pdftotext is not None  # the module is skipped otherwise
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603 - poppler on our own PDF, no shell
        [pdftotext, "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    page = _PAGE.search(result.stdout)
    assert page is not None, result.stdout[:500]
    words = [
        Word(html.unescape(text), float(x0), float(y0), float(x1), float(y1))
        for x0, y0, x1, y1, text in _WORD.findall(result.stdout)
    ]
    return (float(page[1]), float(page[2])), words


def assert_shown(name: str, words: list[Word], *, times: int = 1) -> None:
    """Every word of the name is there, whole, ``times`` times: right-to-left words are
    extracted in visual order, so reversed."""
    found = [word.text for word in words]
    for part in name.split():
        count = found.count(part) + (found.count(part[::-1]) if part[::-1] != part else 0)
        assert count >= times, (part, found)


def assert_inside(words: list[Word], width: float, height: float) -> None:
    outside = [
        word
        for word in words
        if word.x_min < 0 or word.y_min < 0 or word.x_max > width or word.y_max > height
    ]
    assert not outside, outside


@pytest.mark.parametrize("name", NAME_PARAMS)
@pytest.mark.parametrize("layout", sorted(CERTIFICATE_LAYOUTS))
def test_a_certificate_keeps_any_name_on_its_one_page(layout, name, tmp_path):
    shown = replace(SHOWN, recipient=name)

    pdf = certificates.certificate_pdf(Look(certificate_layout=layout), shown)

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1
    box = pages[0].mediabox
    (width, height), words = words_of(pdf, tmp_path)
    assert (round(width), round(height)) == (round(float(box.width)), round(float(box.height)))
    assert_inside(words, float(box.width), float(box.height))
    assert_shown(name, words)
    assert_shown("ZFCMFRG4TP Grace Hopper", words)  # the rest is still there


@pytest.mark.parametrize("name", NAME_PARAMS)
@pytest.mark.parametrize("layout", sorted(BADGE_LAYOUTS))
def test_a_badge_keeps_any_title_and_issuer_above_its_plate(layout, name, tmp_path):
    # A badge shows no holder: its names are the credential's title and the issuer's.
    look = Look(badge_layout=layout)
    pdf = engine.compile_layout(
        f"badge-{layout}", inputs(look, title=name, issuer=name), output="pdf"
    )

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1
    assert (float(pages[0].mediabox.width), float(pages[0].mediabox.height)) == (
        badges.SIZE,
        badges.SIZE,
    )
    _, words = words_of(pdf, tmp_path)
    plate_top = badges.PLATE[1]
    assert_inside(words, badges.SIZE, plate_top)  # on the badge, clear of the QR plate
    assert_shown(name, words, times=2)  # as the title and as the issuer
