"""Checking and cleaning user-uploaded images (badge artwork, logos).

Nothing a user uploads is stored as sent. The type is sniffed from the bytes, never from the name
or the client's content type. Rasters are decoded with Pillow under a pixel cap and re-encoded,
which drops metadata (EXIF, text chunks, ICC profiles) and anything appended to or hidden in the
file (polyglots). SVGs go through the allowlist sanitizer in ``microcred.core.svg``. The result
gets a fresh random name, so the user's file name never reaches storage paths.
"""

from __future__ import annotations

import io
import re
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from PIL import Image, ImageOps

from microcred.core.svg import UploadRejected, format_size, sanitize_svg

__all__ = ["UploadRejected", "clean_image_field", "validate_image_upload", "validate_svg_upload"]

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_PIXELS = 4096 * 4096

NOT_AN_IMAGE = "Upload a PNG, JPEG, WebP, GIF or SVG image; this file is not one of those."
NOT_A_RASTER_IMAGE = "Upload a PNG, JPEG, WebP or GIF image; this file is not one of those."
SVG_NOT_ALLOWED = "SVG images are not accepted here; upload a PNG, JPEG, WebP or GIF image."
NOT_AN_SVG = "Upload an SVG file; this file is not one."

# Pillow format name -> (name shown to users, format written, file extension written).
_RASTER_FORMATS = {
    "PNG": ("PNG", "PNG", "png"),
    "JPEG": ("JPEG", "JPEG", "jpg"),
    "WEBP": ("WebP", "WEBP", "webp"),
    "GIF": ("GIF", "PNG", "png"),
}

# Before the root element an SVG may have a byte order mark, whitespace, an XML declaration,
# processing instructions, comments and a DOCTYPE.
_XML_PROLOGUE_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
_SVG_START = re.compile(rb"\s*(?:<!DOCTYPE\s+svg[\s>\[]|<(?:[A-Za-z_][\w.-]*:)?svg[\s/>])")


def _sniff_raster(data: bytes) -> str | None:
    """The Pillow format name the bytes announce, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _looks_like_svg(data: bytes) -> bool:
    position = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while match := _XML_PROLOGUE_ITEM.match(data, position):
        position = match.end()
    return _SVG_START.match(data, position) is not None


def _read_capped(upload: File, max_bytes: int) -> bytes:
    """Read the whole upload, refusing it as soon as it is known to exceed ``max_bytes``."""
    try:
        declared_size: int | None = upload.size
    except AttributeError:  # Django's File raises this when it cannot tell
        declared_size = None
    limit = format_size(max_bytes)
    if declared_size is not None and declared_size > max_bytes:
        raise UploadRejected(
            f"The file is {format_size(declared_size, round_up=True)}; the limit is {limit}."
        )
    buffer = bytearray()
    for chunk in upload.chunks():  # chunks() rewinds to the start first
        buffer += chunk
        if len(buffer) > max_bytes:
            raise UploadRejected(f"The file is larger than the {limit} limit.")
    if not buffer:
        raise UploadRejected("The file is empty.")
    return bytes(buffer)


def _too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> UploadRejected:
    limit = f"the limit is {max_pixels:,} pixels in all"
    if size is None:
        return UploadRejected(f"The image has too many pixels to process safely; {limit}.")
    width, height = size
    return UploadRejected(
        f"The image is {width:,} by {height:,} pixels ({width * height:,} pixels); {limit}."
    )


def _normalised(image: Image.Image, output_format: str) -> Image.Image:
    """A metadata-free copy in a mode the output format stores, keeping transparency."""
    try:
        image = ImageOps.exif_transpose(image)  # the pixels, as the viewer was meant to see them
    except Exception:  # a broken EXIF block only costs us the orientation
        image.load()
    has_alpha = image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info
    greyscale = image.mode in ("1", "L", "LA", "La")
    if output_format == "JPEG":
        mode = "L" if greyscale else "RGB"
    elif greyscale and output_format == "PNG":
        mode = "LA" if has_alpha else "L"
    else:
        mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    # A fresh image from raw pixels carries no info dict: no EXIF, text, ICC or XMP to leak.
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _clean_raster(data: bytes, pillow_format: str, max_pixels: int) -> tuple[bytes, str]:
    label, output_format, extension = _RASTER_FORMATS[pillow_format]
    # Pillow warns between MAX_IMAGE_PIXELS and twice that, and raises above. Make the warning an
    # error too. catch_warnings is process-wide, but the only filter it adds is this one, which we
    # would want everywhere anyway.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as probe:
                if probe.width * probe.height > max_pixels:
                    raise _too_many_pixels(max_pixels, probe.size)
                probe.verify()
            # verify() leaves the image unusable: decode it again, fully, from the start.
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
                image.load()
                clean = _normalised(image, output_format)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
            raise _too_many_pixels(min(max_pixels, pillow_limit)) from None
        except UploadRejected:
            raise
        except Exception as exc:  # decoders fail on hostile input in many ways
            if "MAX_TEXT_" in str(exc):  # Pillow's caps on (compressed) PNG text chunks
                raise UploadRejected(
                    "The image carries more text metadata than can be read safely; "
                    "save it again without metadata."
                ) from None
            raise UploadRejected(
                f"The file looks like a {label} image but is damaged or incomplete."
            ) from None
    output = io.BytesIO()
    if output_format == "JPEG":
        clean.save(output, format="JPEG", quality=90)
    elif output_format == "WEBP":
        clean.save(output, format="WEBP", quality=90)
    else:
        clean.save(output, format="PNG")
    return output.getvalue(), extension


def validate_image_upload(
    upload: File,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    allow_svg: bool = True,
) -> ContentFile:
    """Check ``upload`` (an ``UploadedFile`` or any Django ``File``) and return a clean copy.

    PNG, JPEG and WebP come back re-encoded in their own format, GIF as PNG (first frame), SVG
    sanitized; the copy is named ``<random hex>.<png|jpg|webp|svg>``. Raises ``UploadRejected``
    with a message for the user otherwise.
    """
    data = _read_capped(upload, max_bytes)
    pillow_format = _sniff_raster(data)
    if pillow_format is not None:
        content, extension = _clean_raster(data, pillow_format, max_pixels)
    elif _looks_like_svg(data):
        if not allow_svg:
            raise UploadRejected(SVG_NOT_ALLOWED)
        content, extension = sanitize_svg(data, refuse_hostile=True), "svg"
    else:
        raise UploadRejected(NOT_AN_IMAGE if allow_svg else NOT_A_RASTER_IMAGE)
    return ContentFile(content, name=f"{uuid.uuid4().hex}.{extension}")


def validate_svg_upload(upload: File, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ContentFile:
    """An upload that must be an SVG (a template, not just any image), sanitized and named
    ``<random hex>.svg``. Rasters are refused before Pillow ever decodes them."""
    data = _read_capped(upload, max_bytes)
    if not _looks_like_svg(data):
        raise UploadRejected(NOT_AN_SVG)
    return ContentFile(sanitize_svg(data, refuse_hostile=True), name=f"{uuid.uuid4().hex}.svg")


def clean_image_field(
    upload: File,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    allow_svg: bool = True,
) -> ContentFile:
    """``validate_image_upload`` for a form's ``clean_<field>()``: failures become a
    ``ValidationError`` with code ``invalid_image``."""
    try:
        return validate_image_upload(
            upload, max_bytes=max_bytes, max_pixels=max_pixels, allow_svg=allow_svg
        )
    except UploadRejected as exc:
        raise ValidationError(exc.message, code=UploadRejected.code) from exc
