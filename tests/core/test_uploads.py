"""Image uploads: sniffed, capped, decoded and re-encoded, or refused with a precise message."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin, features

from microcred.core.svg import SVG_NS
from microcred.core.uploads import (
    NOT_A_RASTER_IMAGE,
    NOT_AN_IMAGE,
    NOT_AN_SVG,
    SVG_NOT_ALLOWED,
    UploadRejected,
    clean_image_field,
    validate_image_upload,
    validate_svg_upload,
)

GENERATED_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg|webp|svg)\Z")


def upload(data: bytes, name: str = "badge.png", content_type: str = "image/png") -> File:
    return SimpleUploadedFile(name, data, content_type=content_type)


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    output = io.BytesIO()
    image.save(output, format=image_format, **options)
    return output.getvalue()


def gradient(mode: str = "RGB", size: tuple[int, int] = (32, 24)) -> Image.Image:
    """A small image where every pixel differs, so re-encoding mistakes show."""
    image = Image.new("RGB", size)
    image.putdata(
        [
            (x * 7 % 256, y * 11 % 256, (x + y) * 5 % 256)
            for y in range(size[1])
            for x in range(size[0])
        ]
    )
    return image.convert(mode)


def exif_with(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    names = {"make": 0x010F, "model": 0x0110, "orientation": 0x0112}
    for name, value in tags.items():
        exif[names[name]] = value
    return exif


def opened(result: ContentFile) -> Image.Image:
    image = Image.open(io.BytesIO(result.read()))
    image.load()
    return image


def rejection(data: bytes, **options: object) -> str:
    with pytest.raises(UploadRejected) as caught:
        validate_image_upload(upload(data), **options)
    return caught.value.message


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds almost nothing."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# --- Rasters ------------------------------------------------------------------------------------


def test_png_is_re_encoded_without_metadata_and_with_the_same_pixels() -> None:
    source = gradient()
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at 51.5007 N, 0.1246 W")
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret-author</x:xmpmeta>")
    data = encode(
        source, "PNG", pnginfo=text, exif=exif_with(make="SecretCam", model="X1").tobytes()
    )
    assert b"SecretCam" in data
    assert b"51.5007" in data

    result = validate_image_upload(upload(data))

    content = result.read()
    for leak in (b"SecretCam", b"51.5007", b"secret-author", b"eXIf", b"tEXt", b"iTXt"):
        assert leak not in content
    result.seek(0)
    image = opened(result)
    assert image.format == "PNG"
    assert image.info == {}
    assert not image.getexif()
    assert image.mode == "RGB"
    assert image.tobytes() == source.tobytes()
    assert GENERATED_NAME.match(result.name)
    assert result.name.endswith(".png")


def test_png_transparency_is_kept() -> None:
    source = gradient("RGBA")
    source.putpixel((0, 0), (255, 0, 0, 0))
    source.putpixel((1, 0), (0, 255, 0, 128))

    image = opened(validate_image_upload(upload(encode(source, "PNG"))))

    assert image.mode == "RGBA"
    assert image.tobytes() == source.tobytes()


def test_greyscale_png_with_alpha_stays_greyscale() -> None:
    source = gradient("LA")

    image = opened(validate_image_upload(upload(encode(source, "PNG"))))

    assert image.mode == "LA"
    assert image.tobytes() == source.tobytes()


def test_appended_payload_does_not_survive() -> None:
    polyglot = encode(gradient(), "PNG") + b"<script>alert(1)</script>" + b"PK\x03\x04zip"

    content = validate_image_upload(upload(polyglot)).read()

    assert b"script" not in content
    assert b"PK\x03\x04" not in content


def test_jpeg_is_re_encoded_without_exif() -> None:
    data = encode(gradient(), "JPEG", quality=95, exif=exif_with(make="SecretCam").tobytes())
    assert b"SecretCam" in data

    result = validate_image_upload(upload(data, "photo.jpeg", "image/jpeg"))

    content = result.read()
    assert b"SecretCam" not in content
    assert b"Exif" not in content
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    assert image.size == (32, 24)
    assert not image.getexif()
    assert result.name.endswith(".jpg")


def test_jpeg_orientation_is_applied_before_exif_is_dropped() -> None:
    data = encode(gradient(size=(40, 20)), "JPEG", exif=exif_with(orientation=6).tobytes())

    image = opened(validate_image_upload(upload(data)))

    assert image.size == (20, 40)


def test_gif_becomes_png_keeping_transparency() -> None:
    source = Image.new("P", (8, 8), 1)
    source.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    source.putpixel((0, 0), 0)
    data = encode(source, "GIF", transparency=0, comment=b"made-by-someone")

    result = validate_image_upload(upload(data, "anim.gif", "image/gif"))

    assert result.name.endswith(".png")
    image = opened(result)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((1, 1)) == (255, 0, 0, 255)
    assert "comment" not in image.info


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_webp_stays_webp() -> None:
    source = gradient("RGBA")
    source.putpixel((0, 0), (0, 0, 0, 0))
    data = encode(source, "WEBP", lossless=True)

    result = validate_image_upload(upload(data, "badge.webp", "image/webp"))

    assert result.name.endswith(".webp")
    image = opened(result)
    assert image.format == "WEBP"
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0
    assert image.size == (32, 24)


def test_type_comes_from_content_not_name() -> None:
    data = encode(gradient(), "PNG")

    result = validate_image_upload(upload(data, "evil.svg", "image/svg+xml"))

    assert result.name.endswith(".png")
    assert "evil" not in result.name


# --- Refusals -----------------------------------------------------------------------------------


def test_oversize_file_is_rejected_before_reading() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * (3 * 1024 * 1024 + 100_000)

    assert rejection(data) == "The file is 3.1 MB; the limit is 2 MB."


def test_limit_is_configurable() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 1600

    assert rejection(data, max_bytes=1024) == "The file is 1.6 KB; the limit is 1 KB."


def test_file_of_unknown_size_is_capped_while_reading() -> None:
    class Unsized(File):
        @property
        def size(self) -> int:
            raise AttributeError("Unable to determine the file's size.")

    with pytest.raises(UploadRejected) as caught:
        validate_image_upload(Unsized(io.BytesIO(b"x" * 5000)), max_bytes=1024)

    assert caught.value.message == "The file is larger than the 1 KB limit."


def test_empty_file_is_rejected() -> None:
    assert rejection(b"") == "The file is empty."


def test_image_over_the_pixel_limit_is_rejected() -> None:
    data = encode(gradient(size=(100, 80)), "PNG")

    assert rejection(data, max_pixels=5000) == (
        "The image is 100 by 80 pixels (8,000 pixels); the limit is 5,000 pixels in all."
    )


def test_pixel_bomb_header_is_rejected_without_decoding() -> None:
    # Under Pillow's own limit, over ours: refused from the header alone.
    message = rejection(png_header_only(5000, 5000))

    assert message == (
        "The image is 5,000 by 5,000 pixels (25,000,000 pixels); "
        "the limit is 16,777,216 pixels in all."
    )


def test_decompression_bomb_error_is_rejected() -> None:
    # Far beyond Pillow's own limit: Image.open raises DecompressionBombError itself.
    message = rejection(png_header_only(100_000, 100_000), max_pixels=10**12)

    assert message == (
        "The image has too many pixels to process safely; "
        f"the limit is {Image.MAX_IMAGE_PIXELS:,} pixels in all."
    )


def test_decompression_bomb_warning_is_a_rejection() -> None:
    # Between Pillow's MAX_IMAGE_PIXELS and twice that, Pillow only warns.
    side = int((Image.MAX_IMAGE_PIXELS * 1.5) ** 0.5)

    message = rejection(png_header_only(side, side), max_pixels=10**12)

    assert message.startswith("The image has too many pixels to process safely")


def test_text_file_named_png_is_rejected() -> None:
    assert rejection(b"just some notes, not a picture\n") == NOT_AN_IMAGE


def test_html_is_rejected() -> None:
    html = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>"

    assert rejection(html) == NOT_AN_IMAGE
    assert rejection(b"\xef\xbb\xbf<html><svg></svg></html>") == NOT_AN_IMAGE


@pytest.mark.parametrize(("image_format", "label"), [("PNG", "PNG"), ("JPEG", "JPEG")])
def test_truncated_image_is_rejected(image_format: str, label: str) -> None:
    data = encode(gradient(size=(64, 64)), image_format)

    message = rejection(data[: len(data) // 2])

    assert message == f"The file looks like a {label} image but is damaged or incomplete."


def test_png_with_bad_checksum_is_rejected() -> None:
    data = bytearray(encode(gradient(), "PNG"))
    data[40] ^= 0xFF  # inside the first IDAT chunk

    assert rejection(bytes(data)) == "The file looks like a PNG image but is damaged or incomplete."


@pytest.mark.parametrize("kind", [b"zTXt", b"iTXt"])
def test_compressed_text_chunk_bomb_is_rejected_as_such(kind: bytes) -> None:
    # 100 KB that inflate to 100 MB of text: Pillow stops at MAX_TEXT_CHUNK.
    header = b"Comment\x00\x00" if kind == b"zTXt" else b"Comment\x00\x01\x00\x00\x00"
    body = header + zlib.compress(b"A" * (100 << 20), 9)
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = encode(gradient(), "PNG")

    message = rejection(data[:33] + chunk + data[33:])

    assert message == (
        "The image carries more text metadata than can be read safely; "
        "save it again without metadata."
    )


def test_bare_signature_is_rejected() -> None:
    assert "GIF image but is damaged" in rejection(b"GIF89a")


# --- SVG ----------------------------------------------------------------------------------------

SVG_WITH_SCRIPT = (
    b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- exported -->\n'
    + f'<svg xmlns="{SVG_NS}" onload="alert(1)"><script>alert(2)</script>'.encode()
    + b'<circle cx="5" cy="5" r="4" fill="red"/></svg>'
)


# Editor output: a BOM, an XML declaration, a comment, metadata in the editor's namespace.
SVG_FROM_AN_EDITOR = (
    b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- exported -->\n'
    + f'<svg xmlns="{SVG_NS}" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape">'.encode()
    + b'<metadata>made by hand</metadata><circle cx="5" cy="5" r="4" fill="red" '
    + b'inkscape:label="dot"/></svg>'
)


def test_svg_is_sanitised() -> None:
    result = validate_image_upload(upload(SVG_FROM_AN_EDITOR, "logo.svg", "image/svg+xml"))

    assert GENERATED_NAME.match(result.name)
    assert result.name.endswith(".svg")
    assert result.read() == (
        f'<svg xmlns="{SVG_NS}"><circle cx="5" cy="5" r="4" fill="red" /></svg>'.encode()
    )


def test_svg_with_a_script_is_refused_not_silently_altered() -> None:
    for validate in (validate_image_upload, validate_svg_upload):
        with pytest.raises(UploadRejected) as caught:
            validate(upload(SVG_WITH_SCRIPT, "logo.svg", "image/svg+xml"))
        assert caught.value.message == (
            "The SVG contains a script: the event handler onload= on <svg>; remove it."
        )


def test_svg_problems_are_reported_by_the_sanitiser() -> None:
    bomb = b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'

    assert "DOCTYPE" in rejection(bomb)


def test_svg_can_be_refused() -> None:
    assert rejection(SVG_WITH_SCRIPT, allow_svg=False) == SVG_NOT_ALLOWED
    assert rejection(b"plain text", allow_svg=False) == NOT_A_RASTER_IMAGE


def test_an_svg_only_upload_is_sanitised_and_refuses_everything_else() -> None:
    result = validate_svg_upload(upload(SVG_FROM_AN_EDITOR, "template.svg", "image/svg+xml"))

    assert GENERATED_NAME.match(result.name)
    assert result.name.endswith(".svg")
    assert b"inkscape" not in result.read()
    for other in (encode(gradient(), "PNG"), b"<html><svg></svg></html>", b"plain text"):
        with pytest.raises(UploadRejected) as caught:
            validate_svg_upload(upload(other, "template.svg"))
        assert caught.value.message == NOT_AN_SVG
    with pytest.raises(UploadRejected, match="the limit is 100 bytes"):
        validate_svg_upload(upload(SVG_WITH_SCRIPT), max_bytes=100)


def test_form_helper_raises_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        clean_image_field(upload(b"plain text"))

    assert caught.value.code == "invalid_image"
    assert caught.value.messages == [NOT_AN_IMAGE]


def test_form_helper_returns_the_clean_file() -> None:
    result = clean_image_field(upload(encode(gradient(), "PNG")), max_pixels=32 * 24)

    assert isinstance(result, ContentFile)
    assert opened(result).size == (32, 24)
