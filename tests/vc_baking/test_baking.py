"""Baking and hardened extraction of OB 3.0 credentials in PNG and SVG (microcred.vc.baking)."""

from __future__ import annotations

import base64
import binascii
import io
import json
import random
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image

from microcred.vc import baking
from microcred.vc.baking import (
    BakingError,
    NotBaked,
    bake_png,
    bake_svg,
    extract,
    extract_png,
    extract_svg,
)
from microcred.vc.errors import ParsingError

FIXTURES = Path(__file__).parent / "fixtures"
OB3 = "https://purl.imsglobal.org/ob/v3p0"
SVG = "http://www.w3.org/2000/svg"
CREDENTIAL_TAG = f"{{{OB3}}}credential"
SIMPLE_JSON = (FIXTURES / "simple.json").read_text()
SIMPLE_JWT = (FIXTURES / "simple.jwt").read_text().strip()
PLAIN_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">\n'
    b'  <title>Teamwork &amp; "care"</title>\n'
    b'  <rect x="1" y="1" width="8" height="8" fill="#123456"/>\n'
    b"  <!-- a comment that must survive -->\n"
    b'  <text x="5" y="5"><![CDATA[a < b]]></text>\n'
    b"</svg>\n"
)


# --- Helpers ------------------------------------------------------------------------------------


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_png(size: tuple[int, int] = (16, 12)) -> bytes:
    image = Image.new("RGBA", size)
    image.putdata(
        [
            (x * 15 % 256, y * 20 % 256, (x * y) % 256, 255)
            for y in range(size[1])
            for x in range(size[0])
        ]
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    crc = binascii.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, for a PNG known to be sound."""
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        found.append((png[offset + 4 : offset + 8], png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return found


def before_iend(png: bytes, *extra: bytes) -> bytes:
    """``png`` with raw chunks inserted just before its (12-byte) IEND chunk."""
    return png[:-12] + b"".join(extra) + png[-12:]


def itxt(text: bytes, *, keyword: bytes = b"openbadgecredential", flag: int = 0) -> bytes:
    return chunk(b"iTXt", keyword + b"\0" + bytes((flag, 0)) + b"\0\0" + text)


def pixels(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return image.tobytes()


def credential_json(**extra: Any) -> str:
    data = json.loads(SIMPLE_JSON)
    data.update(extra)
    return json.dumps(data, indent=2, ensure_ascii=False)


def b64json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def credential_elements(svg: bytes) -> list[Any]:
    return list(fromstring(svg).iter(CREDENTIAL_TAG))


def rejects(match: str, function: Any, *args: Any, **kwargs: Any) -> BakingError:
    with pytest.raises(BakingError, match=match) as info:
        function(*args, **kwargs)
    return info.value


# --- The 1EdTech validator's baked fixtures -----------------------------------------------------


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_1edtech_json_fixtures_extract_the_simple_credential(name: str) -> None:
    baked = json.loads(extract(fixture(name)))
    expected = json.loads(SIMPLE_JSON)
    # The images carry the same credential as simple.json, signed again (another proof).
    assert {k: v for k, v in baked.items() if k != "proof"} == {
        k: v for k, v in expected.items() if k != "proof"
    }
    assert baked["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert json.loads(extract_png(fixture("simple-json.png"))) == json.loads(
        extract_svg(fixture("simple-json.svg"))
    )


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt.svg"])
def test_1edtech_jwt_fixtures_extract_a_compact_jws(name: str) -> None:
    jws = extract(fixture(name))
    header, payload, signature = jws.split(".")
    assert b64json(header)["alg"] == "RS256"
    assert b64json(payload)["jti"] == json.loads(SIMPLE_JSON)["id"]
    assert "OpenBadgeCredential" in b64json(payload)["type"]
    assert signature


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("simple-json.png", SIMPLE_JSON),
        ("simple-jwt.png", SIMPLE_JWT),
        ("simple-json.svg", SIMPLE_JSON),
        ("simple-jwt.svg", SIMPLE_JWT),
    ],
)
def test_rebaking_the_1edtech_fixtures_gives_back_simple_json_and_jwt(
    name: str, credential: str
) -> None:
    baked = (bake_png if name.endswith(".png") else bake_svg)(fixture(name), credential)
    extracted = extract(baked)
    if credential.startswith("{"):
        assert json.loads(extracted) == json.loads(SIMPLE_JSON)
    else:
        assert extracted == SIMPLE_JWT


# --- PNG: baking --------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [credential_json(name="Teamwork ✓ Zürich"), SIMPLE_JWT])
def test_png_round_trip_keeps_the_image(credential: str) -> None:
    original = make_png()
    baked = bake_png(original, credential)

    assert extract_png(baked) == credential
    assert pixels(baked) == pixels(original)
    with Image.open(io.BytesIO(baked)) as image:  # Pillow reads our iTXt like any other
        image.load()
        assert image.text["openbadgecredential"] == credential  # type: ignore[attr-defined]


def test_png_chunk_is_one_uncompressed_itxt_just_before_iend() -> None:
    original = make_png()
    baked = bake_png(original, SIMPLE_JWT)

    layout = chunks(baked)
    assert [kind for kind, _ in layout[-2:]] == [b"iTXt", b"IEND"]
    assert layout[-2][1] == b"openbadgecredential\0\0\0\0\0" + SIMPLE_JWT.encode()
    assert layout[:-2] == chunks(original)[:-1]  # every other chunk kept byte for byte


def test_png_rebaking_replaces_the_credential() -> None:
    png = make_png()
    stale = before_iend(png, chunk(b"tEXt", b"openbadgecredential\0{}"))
    once = bake_png(stale, SIMPLE_JWT)
    twice = bake_png(once, SIMPLE_JSON)

    ours = [data for kind, data in chunks(twice) if data.startswith(b"openbadgecredential\0")]
    assert len(ours) == 1
    assert json.loads(extract_png(twice)) == json.loads(SIMPLE_JSON)
    assert len(chunks(twice)) == len(chunks(png)) + 1


def test_png_baking_keeps_the_fixture_chunks() -> None:
    original = fixture("simple-json.png")
    baked = bake_png(original, SIMPLE_JWT)
    kept = [c for c in chunks(baked) if not c[1].startswith(b"openbadgecredential\0")]
    assert kept == [c for c in chunks(original) if not c[1].startswith(b"openbadgecredential\0")]


@pytest.mark.parametrize(
    ("credential", "match"),
    [
        ("", "neither a JSON object nor a compact JWS"),
        ("hello", "neither a JSON object nor a compact JWS"),
        ("{not json", "not valid JSON"),
        ("a.b", "neither a JSON object nor a compact JWS"),
        ("a.b.", "neither a JSON object nor a compact JWS"),  # unsigned JWS (alg none)
    ],
)
def test_baking_refuses_what_is_not_a_credential(credential: str, match: str) -> None:
    rejects(match, bake_png, make_png(), credential)
    rejects(match, bake_svg, PLAIN_SVG, credential)


def test_png_baking_refuses_an_oversized_credential() -> None:
    huge = credential_json(description="x" * (1024 * 1024))
    rejects(r"limit for a baked credential is 1,048,576 bytes", bake_png, make_png(), huge)


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (b"GIF89a", "not a PNG image"),
        (make_png()[:-5], "truncated"),
        (make_png() + b"trailer", "after its IEND chunk"),
    ],
)
def test_png_baking_refuses_a_broken_png(image: bytes, match: str) -> None:
    rejects(match, bake_png, image, SIMPLE_JWT)


# --- PNG: hostile and broken input --------------------------------------------------------------


def test_png_without_credential_is_not_baked() -> None:
    error = rejects("no Open Badges credential", extract_png, make_png())
    assert isinstance(error, NotBaked)
    assert isinstance(error, ParsingError)
    assert error.code == "NOT_BAKED"


def test_png_with_an_ob2_assertion_says_so() -> None:
    png = before_iend(make_png(), itxt(b'{"type": "Assertion"}', keyword=b"openbadges"))
    error = rejects(r"Open Badges 2\.0 assertion \(keyword 'openbadges'\)", extract_png, png)
    assert isinstance(error, NotBaked)


def test_png_with_two_credential_chunks_is_rejected() -> None:
    png = before_iend(make_png(), itxt(SIMPLE_JWT.encode()), itxt(SIMPLE_JWT.encode()))
    error = rejects(
        r"2 openbadgecredential chunks \(iTXt at [\d,]+, iTXt at [\d,]+\)", extract_png, png
    )
    assert not isinstance(error, NotBaked)
    assert error.code == "PARSING_ERROR"


def test_png_with_an_itxt_and_a_text_credential_chunk_is_rejected() -> None:
    png = before_iend(
        make_png(), chunk(b"tEXt", b"openbadgecredential\0" + SIMPLE_JWT.encode()), itxt(b"{}")
    )
    rejects("2 openbadgecredential chunks", extract_png, png)


def test_png_with_a_compressed_itxt_is_rejected() -> None:
    png = before_iend(make_png(), itxt(zlib.compress(SIMPLE_JWT.encode()), flag=1))
    rejects(r"is compressed \(compression flag 1\).*MUST NOT", extract_png, png)


@pytest.mark.parametrize("kind", [b"tEXt", b"zTXt"])
def test_png_credential_in_text_or_ztxt_is_rejected(kind: bytes) -> None:
    payload = SIMPLE_JWT.encode() if kind == b"tEXt" else b"\0" + zlib.compress(SIMPLE_JWT.encode())
    png = before_iend(make_png(), chunk(kind, b"openbadgecredential\0" + payload))
    rejects(f"in a {kind.decode()} chunk.*requires an uncompressed iTXt", extract_png, png)


def never_decompress(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("extraction must not decompress anything")

    monkeypatch.setattr(zlib, "decompress", refuse)
    monkeypatch.setattr(zlib, "decompressobj", refuse)


def zlib_bomb(megabytes: int) -> bytes:
    """A few tens of KB that inflate to ``megabytes`` MiB of zeros."""
    packer = zlib.compressobj(9)
    block = bytes(1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def test_png_ztxt_bomb_with_the_credential_keyword_is_rejected_unopened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = zlib_bomb(256)
    png = before_iend(make_png(), chunk(b"zTXt", b"openbadgecredential\0\0" + bomb))
    never_decompress(monkeypatch)
    rejects("in a zTXt chunk", extract_png, png)


def test_png_ztxt_bomb_under_another_keyword_is_never_inflated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    png = before_iend(
        make_png(), chunk(b"zTXt", b"Comment\0\0" + zlib_bomb(256)), itxt(SIMPLE_JWT.encode())
    )
    never_decompress(monkeypatch)
    assert extract_png(png) == SIMPLE_JWT


def test_png_text_chunk_over_the_cap_is_rejected() -> None:
    big = chunk(b"zTXt", b"Raw profile\0\0" + bytes(1024 * 1024))
    png = before_iend(make_png(), big, itxt(SIMPLE_JWT.encode()))
    rejects(
        r"zTXt chunk at offset [\d,]+ is 1,048,589 bytes; text chunks are limited to 1,048,576",
        extract_png,
        png,
    )
    assert extract_png(png, max_text=2 * 1024 * 1024) == SIMPLE_JWT


def test_png_over_the_size_cap_is_rejected() -> None:
    png = bake_png(make_png(), SIMPLE_JWT)
    rejects(r"The PNG is [\d,]+ bytes; the limit is 100 bytes", extract_png, png, max_bytes=100)
    oversized = before_iend(png, chunk(b"zzZz", bytes(8 * 1024 * 1024)))
    rejects("the limit is 8,388,608 bytes", extract_png, oversized)
    rejects("the limit is 8,388,608 bytes", extract, oversized)


def test_png_with_a_bad_crc_is_rejected() -> None:
    png = bytearray(bake_png(make_png(), SIMPLE_JWT))
    png[-20] ^= 0x01  # inside the iTXt text
    rejects(r"iTXt chunk at offset [\d,]+ has a bad CRC", extract_png, bytes(png))
    png = bytearray(make_png())
    png[8 + 8 + 3] ^= 0x40  # IHDR width
    rejects("IHDR chunk at offset 8 has a bad CRC", extract_png, bytes(png))


@pytest.mark.parametrize(
    ("cut", "match"),
    [
        (8, "ends at byte 8 without an IEND chunk"),
        (20, "truncated: 12 stray bytes|truncated: its IHDR chunk"),
        (-12, "without an IEND chunk"),
        (-6, r"truncated: 6 stray bytes"),
        (-40, "truncated"),
    ],
)
def test_truncated_png_is_rejected(cut: int, match: str) -> None:
    png = bake_png(make_png(), SIMPLE_JWT)
    rejects(match, extract_png, png[:cut])


def test_png_chunk_length_larger_than_the_file_is_rejected() -> None:
    png = bytearray(bake_png(make_png(), SIMPLE_JWT))
    itxt_at = bytes(png).index(b"iTXt") - 4
    png[itxt_at : itxt_at + 4] = struct.pack(">I", 0x7FFF_0000)
    rejects(
        r"truncated: its iTXt chunk at offset [\d,]+ declares 2,147,418,112 bytes",
        extract_png,
        bytes(png),
        max_text=2**31,
    )
    png[itxt_at : itxt_at + 4] = struct.pack(">I", 0xFFFF_FFF0)
    rejects("over the PNG limit of 2\\^31 - 1", extract_png, bytes(png))


@pytest.mark.parametrize(
    ("mangle", "match"),
    [
        (lambda png: b"\x89PNG\r\n\x1a\x00" + png[8:], "PNG signature is missing"),
        (
            lambda png: png[:8] + chunk(b"tEXt", b"a\0b") + png[8:],
            "does not start with an IHDR chunk",
        ),
        (lambda png: before_iend(png, png[8:33]), "second IHDR chunk"),
        (lambda png: before_iend(png, chunk(b"i1Xt", b"")), r"invalid chunk type b'i1Xt'"),
        (lambda png: before_iend(png, itxt(b"\xff\xfe")), r"not valid UTF-8 \(byte 0"),
        (lambda png: before_iend(png, itxt(b"just words")), "neither JSON nor a compact JWS"),
        (lambda png: before_iend(png, itxt(b"  ")), "credential is empty"),
        (lambda png: before_iend(png, chunk(b"iTXt", b"openbadgecredential\0\0")), "truncated"),
        (
            lambda png: before_iend(png, chunk(b"iTXt", b"openbadgecredential\0\0\0en{}")),
            "language tag",
        ),
        (
            lambda png: before_iend(png, chunk(b"iTXt", b"openbadgecredential\0\0\x08\0\0{}")),
            "compression method 8",
        ),
    ],
)
def test_malformed_png_is_rejected(mangle: Any, match: str) -> None:
    rejects(match, extract_png, mangle(make_png()))


def test_png_itxt_text_cap_applies() -> None:
    png = bake_png(make_png(), SIMPLE_JWT)
    # The chunk is the keyword and its header (24 bytes) plus the 1,248-byte JWS.
    rejects(
        r"iTXt chunk at offset [\d,]+ is 1,272 bytes; text chunks are limited to 1,271",
        extract_png,
        png,
        max_text=1271,
    )
    assert extract_png(png, max_text=1272) == SIMPLE_JWT


def test_fuzzed_png_either_extracts_or_raises_baking_error() -> None:
    baked = bake_png(make_png((4, 4)), credential_json())
    itxt_start = baked.index(b"iTXt") + 4
    itxt_end = len(baked) - 12 - 4
    rng = random.Random(20240611)
    outcomes: dict[str, int] = {}
    messages: list[str] = []
    for round_ in range(3000):
        mutant = bytearray(baked)
        if round_ % 2:
            # Anywhere, CRCs left alone: the walker must catch it.
            for _ in range(rng.randint(1, 4)):
                mutant[rng.randrange(len(mutant))] ^= 1 << rng.randrange(8)
        else:
            # Inside the iTXt data with its CRC fixed, so the iTXt parser itself is exercised.
            for _ in range(rng.randint(1, 3)):
                mutant[rng.randrange(itxt_start, itxt_end)] = rng.randrange(256)
            crc = binascii.crc32(bytes(mutant[itxt_start - 4 : itxt_end]))
            mutant[itxt_end : itxt_end + 4] = struct.pack(">I", crc)
        try:
            text = extract_png(bytes(mutant))
        except BakingError as exc:
            outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1
            messages.append(exc.message)
        else:
            assert isinstance(text, str)
            outcomes["extracted"] = outcomes.get("extracted", 0) + 1
    assert all(messages)
    assert outcomes.get("BakingError", 0) > 1000
    assert outcomes.get("extracted", 0) > 0  # flips inside JSON strings still extract


# --- SVG: baking --------------------------------------------------------------------------------


def test_svg_round_trip_json_keeps_the_document() -> None:
    credential = credential_json()
    baked = bake_svg(PLAIN_SVG, credential)

    assert extract_svg(baked) == credential
    root = fromstring(baked)
    assert root.tag == f"{{{SVG}}}svg"
    assert root[0].tag == CREDENTIAL_TAG  # directly after the <svg> start tag
    assert [(e.tag, e.attrib, e.text) for e in root[1:]] == [
        (e.tag, e.attrib, e.text) for e in fromstring(PLAIN_SVG)
    ]
    # Byte for byte, the only changes are the namespace declaration and the element.
    start_tag = b'viewBox="0 0 10 10"'
    element = re.search(rb"<openbadges:credential>.*</openbadges:credential>", baked, re.S)
    assert element is not None
    assert element.group().startswith(b"<openbadges:credential><![CDATA[{")
    restored = baked.replace(element.group(), b"").replace(
        start_tag + b' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"', start_tag
    )
    assert restored == PLAIN_SVG


def test_svg_round_trip_jws_uses_the_verify_attribute() -> None:
    baked = bake_svg(PLAIN_SVG, SIMPLE_JWT + "\n")

    assert extract_svg(baked) == SIMPLE_JWT
    (element,) = credential_elements(baked)
    assert element.attrib == {"verify": SIMPLE_JWT}
    assert f'<openbadges:credential verify="{SIMPLE_JWT}"/>'.encode() in baked


def test_svg_rebaking_replaces_the_credential() -> None:
    once = bake_svg(fixture("simple-json.svg"), SIMPLE_JWT)
    twice = bake_svg(once, SIMPLE_JSON)
    thrice = bake_svg(twice, SIMPLE_JWT)

    for baked in (once, twice, thrice):
        assert len(credential_elements(baked)) == 1
        assert baked.count(b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"') == 1
    assert json.loads(extract_svg(twice)) == json.loads(SIMPLE_JSON)
    assert thrice == once  # nothing accumulates


def test_svg_cdata_with_its_end_marker_round_trips() -> None:
    credential = credential_json(name="Tricky ]]> name", description="]]]]>>]]><![CDATA[")
    baked = bake_svg(PLAIN_SVG, credential)

    assert extract_svg(baked) == credential
    assert json.loads(extract_svg(baked))["name"] == "Tricky ]]> name"
    assert b"<![CDATA[" in baked


def test_svg_json_line_breaks_survive_xml_normalisation() -> None:
    credential = credential_json().replace("\n", "\r\n")
    assert json.loads(extract_svg(bake_svg(PLAIN_SVG, credential))) == json.loads(credential)


def test_svg_baking_handles_an_empty_root_and_quoted_brackets() -> None:
    svg = b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg" data-x="a>b" />'
    baked = bake_svg(svg, SIMPLE_JWT)
    assert baked.startswith(b'\xef\xbb\xbf<svg xmlns="http://www.w3.org/2000/svg" data-x="a>b" ')
    assert baked.endswith(b"/></svg>")
    assert extract_svg(baked) == SIMPLE_JWT


def test_svg_baking_keeps_an_existing_ob3_declaration_and_prefixed_svg() -> None:
    svg = (
        b'<s:svg xmlns:s="http://www.w3.org/2000/svg" xmlns:openbadges="' + OB3.encode() + b'">'
        b"<s:g/></s:svg>"
    )
    baked = bake_svg(svg, SIMPLE_JWT)
    assert baked.count(b"xmlns:openbadges") == 1
    assert baked.endswith(b"/><s:g/></s:svg>")
    assert extract_svg(baked) == SIMPLE_JWT


@pytest.mark.parametrize(
    ("svg", "match"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"/>',
            "binds the \"openbadges\" prefix to 'http://openbadges.org'",
        ),
        (
            b'<?xml version="1.0" encoding="ISO-8859-1"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "declares encoding 'ISO-8859-1'",
        ),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"), "this one is UTF-16"),
        (b"<html><body/></html>", "not an SVG image"),
        (b'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>', "DOCTYPE"),
    ],
)
def test_svg_baking_refuses_documents_it_cannot_edit_safely(svg: bytes, match: str) -> None:
    rejects(match, bake_svg, svg, SIMPLE_JWT)


# --- SVG: hostile and broken input --------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">
  <openbadges:credential>&lol3;</openbadges:credential>
</svg>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">
  <openbadges:credential>&xxe;</openbadges:credential>
</svg>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<svg xmlns="http://www.w3.org/2000/svg"/>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE svg SYSTEM "http://127.0.0.1:9/evil.dtd">
<svg xmlns="http://www.w3.org/2000/svg"/>"""


def svg_with(body: str, *, namespaces: str = f'xmlns:openbadges="{OB3}"') -> bytes:
    return f'<svg xmlns="{SVG}" {namespaces}>{body}</svg>'.encode()


@pytest.mark.parametrize(
    ("svg", "match"),
    [
        (BILLION_LAUGHS, "DOCTYPE that is not allowed"),
        (EXTERNAL_ENTITY, "DOCTYPE that is not allowed"),
        (PARAMETER_ENTITY, "DOCTYPE that is not allowed"),
        (EXTERNAL_DTD, "DOCTYPE that is not allowed"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>&ext;</svg>", "not well-formed"),
        (
            b"<html xmlns='http://www.w3.org/1999/xhtml'><svg/></html>",
            r"not an SVG image: its root element is <html>",
        ),
        (b"<svg><g/></svg>", "lacks the SVG namespace"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>",
            r"not well-formed XML \(line 1, column 46\)",
        ),
        (b"not xml at all", "not well-formed"),
        (b"<?xml version='1.0' encoding='klingon'?><svg/>", "encoding|not well-formed"),
        (
            svg_with(
                f"<openbadges:credential verify='{SIMPLE_JWT}'/><openbadges:credential>{{}}</openbadges:credential>"
            ),
            "2 openbadges:credential elements; it must hold exactly one",
        ),
        (
            svg_with(
                f"<g><ob:credential xmlns:ob='{OB3}'>{{}}</ob:credential></g><openbadges:credential>{{}}</openbadges:credential>"
            ),
            "2 openbadges:credential elements",
        ),
        (
            svg_with("<openbadges:credential><g/></openbadges:credential>"),
            "contains another element",
        ),
        (
            svg_with(f"<openbadges:credential verify='{SIMPLE_JWT}'>{{}}</openbadges:credential>"),
            "both a verify attribute and text",
        ),
        (svg_with("<openbadges:credential>  </openbadges:credential>"), "credential is empty"),
        (
            svg_with("<openbadges:credential>hello</openbadges:credential>"),
            "neither JSON nor a compact JWS",
        ),
    ],
)
def test_hostile_or_broken_svg_is_rejected(svg: bytes, match: str) -> None:
    error = rejects(match, extract_svg, svg)
    assert not isinstance(error, NotBaked)


def test_deeply_nested_svg_is_rejected() -> None:
    depth = baking.MAX_SVG_DEPTH + 1
    svg = svg_with("<g>" * depth + "</g>" * depth)
    rejects(f"more than {baking.MAX_SVG_DEPTH} levels deep", extract_svg, svg)
    shallow = svg_with(
        "<g>" * 100 + f"<openbadges:credential verify='{SIMPLE_JWT}'/>" + "</g>" * 100
    )
    assert extract_svg(shallow) == SIMPLE_JWT


def test_oversized_svg_is_rejected() -> None:
    svg = bake_svg(PLAIN_SVG, SIMPLE_JWT)
    rejects(r"The SVG is [\d,]+ bytes; the limit is 1,000 bytes", extract_svg, svg, max_bytes=1000)
    rejects("more than 100 characters", extract_svg, bake_svg(PLAIN_SVG, SIMPLE_JSON), max_text=100)


def test_svg_without_credential_is_not_baked() -> None:
    error = rejects(
        f"no credential element in the {re.escape(OB3)} namespace", extract_svg, PLAIN_SVG
    )
    assert isinstance(error, NotBaked)


def test_svg_with_an_ob2_assertion_is_not_an_ob3_credential() -> None:
    svg = svg_with(
        "<openbadges:assertion verify='https://example.org/assertion/1'/>",
        namespaces='xmlns:openbadges="http://openbadges.org"',
    )
    error = rejects(
        r"Open Badges 2\.0 assertion \(namespace http://openbadges\.org\)", extract_svg, svg
    )
    assert isinstance(error, NotBaked)
    # The right local name in the wrong namespace is no credential either.
    wrong_namespace = svg_with(
        f"<openbadges:credential verify='{SIMPLE_JWT}'/>",
        namespaces='xmlns:openbadges="http://openbadges.org"',
    )
    assert isinstance(rejects("no Open Badges credential", extract_svg, wrong_namespace), NotBaked)


def test_fuzzed_svg_either_extracts_or_raises_baking_error() -> None:
    baked = bake_svg(fixture("simple-jwt.svg"), SIMPLE_JSON.replace("Teamwork", "Team]]>work"))
    rng = random.Random(7)
    extracted = 0
    messages: list[str] = []
    for _ in range(1500):
        mutant = bytearray(baked)
        for _ in range(rng.randint(1, 3)):
            mutant[rng.randrange(len(mutant))] = rng.choice(b"<>&\"'/!?[]-=x \0\xff\xc3")
        try:
            extract_svg(bytes(mutant))
            extracted += 1
        except BakingError as exc:
            messages.append(exc.message)
    assert all(messages)
    assert extracted > 0


# --- Sniffing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (lambda: bake_png(make_png(), SIMPLE_JWT), SIMPLE_JWT),
        (lambda: bake_svg(PLAIN_SVG, SIMPLE_JWT), SIMPLE_JWT),
        (lambda: (FIXTURES / "simple.jwt").read_bytes(), SIMPLE_JWT),
        (lambda: b"\xef\xbb\xbf\n" + SIMPLE_JSON.encode(), SIMPLE_JSON.strip()),
        (
            lambda: bake_svg(PLAIN_SVG.split(b"\n", 1)[1], SIMPLE_JSON).decode().encode("utf-16"),
            SIMPLE_JSON.strip(),
        ),
    ],
)
def test_extract_sniffs_the_format(payload: Any, expected: str) -> None:
    assert extract(payload()) == expected


def make_pdf(attachments: dict[str, bytes] | None = None) -> bytes:
    """A one-page PDF with these attached files (pikepdf, as another tool would write it)."""
    import pikepdf

    document = pikepdf.new()
    document.add_blank_page()
    for name, content in (attachments or {}).items():
        document.attachments[name] = pikepdf.AttachedFileSpec(
            document, content, mime_type="text/plain"
        )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (
            b"GIF89a\x01\x00",
            "not a baked PNG or SVG badge, a PDF certificate, a JSON credential or a compact JWS",
        ),
        (b"", "not a baked PNG or SVG badge"),
        (b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "not an SVG image"),
        (b'{"name": "\xff"}', "not valid UTF-8"),
        (make_png(), "no Open Badges credential"),
        (b"%PDF-1.7\n% not really a PDF\n", "The PDF cannot be read"),
        (make_pdf(), "The PDF has no credential attached"),
        (make_pdf({"notes.txt": b"hello"}), "attachments hold no Open Badges credential"),
        (make_pdf({"credential.json": b"\xff\xfe"}), "attachments hold no Open Badges credential"),
    ],
)
def test_extract_refuses_other_files(payload: bytes, match: str) -> None:
    rejects(match, extract, payload)


def test_extract_takes_the_credential_attached_to_a_pdf_from_any_tool() -> None:
    # Not our file name: the one attachment holding a credential is taken.
    pdf = make_pdf({"readme.txt": b"see attachment", "badge.json": SIMPLE_JSON.encode()})
    assert extract(pdf) == SIMPLE_JSON.strip()
    rejects("The file is", extract, pdf, max_bytes=100)


def test_extract_size_cap() -> None:
    rejects(
        "The file is 2,000 bytes; the limit is 1,999 bytes",
        extract,
        b"{" + b" " * 1999,
        max_bytes=1999,
    )
