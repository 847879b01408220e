"""Reading rendered certificates and badges as a person would: PDF pages become images
(poppler's ``pdftoppm``) and images become text (``tesseract``).

Both are Debian packages (``poppler-utils``, ``tesseract-ocr``) that ``bin/browser`` installs
where it can. Without them the tests that need them skip with the reason, unless
``MICROCRED_REQUIRE_BROWSER=1`` says the browser tests must run (then they fail), as for Chromium.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

TOOLS = {"pdftoppm": "poppler-utils", "tesseract": "tesseract-ocr"}

# Symbols OCR confuses in the bold sans-serif of codes (seen: 0/O/D/Q, 1/I/J, 9/S/5, 4/A, 8/B/&).
# Both sides of a comparison are mapped to one symbol per group, so such a misreading costs no
# edit (Crockford's own reading rules, O as 0 and I/L as 1, are among them).
_CONFUSABLE = str.maketrans(
    {
        "O": "0",
        "Q": "0",
        "D": "0",
        "I": "1",
        "L": "1",
        "J": "1",
        "|": "1",
        ")": "1",
        "S": "5",
        "9": "5",
        "A": "4",
        "Z": "2",
        "B": "8",
        "&": "8",
        "G": "6",
    }
)


def require(*tools: str) -> None:
    """Skip (or fail, with ``MICROCRED_REQUIRE_BROWSER=1``) when a tool is not installed."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    packages = " ".join(TOOLS.get(tool, tool) for tool in missing)
    message = f"no {', '.join(missing)} on PATH: install Debian's {packages} (bin/browser does)"
    if os.environ.get("MICROCRED_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message}; MICROCRED_REQUIRE_BROWSER=1 says the browser tests must run")
    pytest.skip(message)


def _run(tool: str, *arguments: str) -> bytes:
    require(tool)
    path = shutil.which(tool)
    assert path is not None
    done = subprocess.run(  # noqa: S603 - a fixed tool on our own files
        [path, *arguments], check=True, capture_output=True, timeout=120
    )
    return done.stdout


def pdf_page_png(pdf: bytes, *, dpi: int = 150) -> bytes:
    """The first page of ``pdf`` as a PNG image."""
    with tempfile.TemporaryDirectory() as scratch:
        source, target = Path(scratch) / "document.pdf", Path(scratch) / "page"
        source.write_bytes(pdf)
        # -singlefile: the first page only, named page.png.
        _run("pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(source), str(target))
        return target.with_suffix(".png").read_bytes()


def flattened(png: bytes, *, min_width: int = 1000) -> Image.Image:
    """The image on white (as a viewer shows transparency), enlarged when small: tesseract
    reads text best at 20 px or more per line, and a badge's code is smaller."""
    with Image.open(io.BytesIO(png)) as opened:
        picture = opened.convert("RGBA")
    white = Image.new("RGBA", picture.size, "white")
    white.alpha_composite(picture)
    image = white.convert("RGB")
    if image.width < min_width:
        factor = -(-min_width // image.width)
        image = image.resize(
            (image.width * factor, image.height * factor), Image.Resampling.LANCZOS
        )
    return image


def image_text(png: bytes) -> str:
    """What tesseract reads on the image, three times: as a page (``--psm 3``) and as sparse
    text (``--psm 11``, which finds the code on a badge's plate beside the QR code), then sparse
    again at 1.5 times the size (misreadings at one size are mostly right at the other). The
    readings are returned one after the other."""
    image = flattened(png)
    larger = image.resize((image.width * 3 // 2, image.height * 3 // 2), Image.Resampling.LANCZOS)
    with tempfile.TemporaryDirectory() as scratch:
        path, larger_path = Path(scratch) / "image.png", Path(scratch) / "larger.png"
        image.save(path)
        larger.save(larger_path)
        readings = [
            _run("tesseract", str(source), "-", "--psm", mode).decode()
            for source, mode in ((path, "3"), (path, "11"), (larger_path, "11"))
        ]
    return "\n".join(readings)


def words(text: str) -> str:
    """Whitespace collapsed, case folded."""
    return " ".join(text.split()).casefold()


def _symbols(text: str) -> str:
    return re.sub(r"\s+", "", text.upper()).translate(_CONFUSABLE)


def edits_to_code(text: str, code: str) -> int:
    """The fewest edits (symbols misread, dropped or added) that make some stretch of ``text``
    read ``code``, after mapping the confusable symbols (approximate substring matching)."""
    wanted, seen = _symbols(code), _symbols(text)
    # Sellers' algorithm: a match may start anywhere in the text at no cost.
    previous = list(range(len(wanted) + 1))
    best = previous[-1]
    for symbol in seen:
        current = [0]
        for index, expected in enumerate(wanted, start=1):
            current.append(
                min(
                    previous[index] + 1,
                    current[index - 1] + 1,
                    previous[index - 1] + (symbol != expected),
                )
            )
        best = min(best, current[-1])
        previous = current
    return best


#: Edits tolerated between a ten-symbol code and the OCR text. Measured on a few hundred codes:
#: the right code is at most 2 edits away (an "8" read as "8&", a "9" as "O"), any other code
#: at least 5; 3 keeps a margin on both sides.
CODE_TOLERANCE = 3


def assert_code_on(text: str, code: str, where: str) -> None:
    edits = edits_to_code(text, code)
    assert edits <= CODE_TOLERANCE, (
        f"the code {code} is not on the {where} ({edits} edits away); OCR read:\n{text}"
    )
