"""What a holder's upload holds: credential files, or a ZIP archive of them, read defensively.

Uploads come from anyone's disk, so every step is bounded and sniffs content, never names or
media types:

- one file at most ``MAX_FILE_BYTES`` (what the baked-image extractors accept), an archive at
  most ``MAX_ARCHIVE_BYTES``;
- archives: at most ``MAX_ARCHIVE_ENTRIES`` entries; each entry read through zipfile's streaming
  reader and stopped as soon as it passes ``MAX_FILE_BYTES``, the archive as soon as all entries
  together pass ``MAX_ARCHIVE_TOTAL`` or an entry inflates more than ``MAX_RATIO`` times (the
  sizes in the headers are never trusted alone); nested archives are not opened; entries with
  absolute or ``..`` paths are ignored; an archive that trips a cap is refused whole;
- PNG and SVG go through ``vc.baking`` (CRC-checked chunk walk, no decompression, text chunks
  capped; defusedxml with no DTD, entities or external entities). An SVG carrying script, event
  handlers, ``<foreignObject>`` or references to anything outside itself is refused: nothing
  legitimate in a badge needs them. Open Badges 2.0 baked badges (PNG ``openbadges`` text chunk,
  SVG ``<openbadges:assertion>``) are read here, since ``vc.baking`` deals in OB 3.0 only.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError

from microcred.core.svg import UploadRejected, format_size, hostile_content
from microcred.vc import baking
from microcred.vc.errors import VCError

MAX_FILE_BYTES: Final = baking.MAX_FILE_BYTES
MAX_ARCHIVE_BYTES: Final = 64 * 1024 * 1024
MAX_ARCHIVE_ENTRIES: Final = 2000
MAX_ARCHIVE_TOTAL: Final = 256 * 1024 * 1024
MAX_RATIO: Final = 100
_RATIO_FLOOR = 1024 * 1024  # small entries (JSON compresses well) are not judged by ratio
_READ_CHUNK = 64 * 1024

ZIP_SIGNATURES: Final = (b"PK\x03\x04", b"PK\x05\x06")
CREDENTIAL_SUFFIXES: Final = frozenset({".json", ".jsonld", ".jwt", ".png", ".svg", ".pdf"})
ARCHIVE_SUFFIXES: Final = frozenset({".zip", ".jar", ".gz", ".tgz", ".tar", ".7z", ".rar", ".xz"})
OB2_SVG_ASSERTION: Final = f"{{{baking.OB2_SVG_NAMESPACE}}}assertion"

SourceFormat = Literal["json", "jwt", "png", "svg", "pdf"]
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")


class FileRefused(VCError):  # noqa: N818 - reads as a verdict, like NotBaked
    """The upload (or the whole archive) is refused; nothing in it is imported."""

    code = "FILE_REFUSED"


@dataclass(frozen=True, slots=True)
class Found:
    """A credential found in a file. ``text`` is the credential as the file holds it (JSON or a
    compact JWS); an Open Badges 2.0 badge may instead hold only its hosted assertion's ``url``."""

    name: str
    source_format: SourceFormat
    text: str | None = None
    url: str | None = None
    ob2: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    message: str
    benign: bool = False  # an archive's other files (README, manifest), not a problem


# --- Upload and archive -------------------------------------------------------------------------


def read_upload(chunks: Iterable[bytes], declared_size: int | None) -> bytes:
    """The upload's bytes, refused as soon as it is known to be over ``MAX_ARCHIVE_BYTES``
    (a single credential file is held to ``MAX_FILE_BYTES`` once sniffed)."""
    limit = MAX_ARCHIVE_BYTES
    if declared_size is not None and declared_size > limit:
        raise FileRefused(
            f"The file is {format_size(declared_size, round_up=True)}; "
            f"the limit is {format_size(limit)}."
        )
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) > limit:
            raise FileRefused(f"The file is larger than {format_size(limit)}, the limit.")
    return bytes(buffer)


def is_archive(data: bytes) -> bool:
    return data.startswith(ZIP_SIGNATURES)


def _unsafe_name(name: str) -> bool:
    if "\\" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name) or "\0" in name:
        return True
    return ".." in name.split("/")


def _ignored(name: str) -> bool:
    """Folders and the clutter archivers add (macOS resource forks, hidden files)."""
    base = posixpath.basename(name)
    return name.endswith("/") or name.startswith("__MACOSX/") or base.startswith(".") or not base


def archive_entries(data: bytes) -> tuple[list[tuple[str, bytes]], list[Skipped]]:
    """The credential-like files in a ZIP archive (name, bytes), and what was skipped and why.

    Raises ``FileRefused`` when the archive is unreadable or trips any cap.
    """
    if len(data) > MAX_ARCHIVE_BYTES:
        raise FileRefused(
            f"The archive is {format_size(len(data), round_up=True)}; "
            f"the limit is {format_size(MAX_ARCHIVE_BYTES)}."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise FileRefused(f"The archive is not a readable ZIP file ({exc}).") from None
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        raise FileRefused(
            f"The archive has {len(infos):,} entries; the limit is {MAX_ARCHIVE_ENTRIES:,}."
        )
    entries: list[tuple[str, bytes]] = []
    skipped: list[Skipped] = []
    total = 0
    with archive:
        for info in infos:
            name = info.filename
            if _unsafe_name(name):
                skipped.append(Skipped(name, "Ignored: the entry's path leaves the archive."))
                continue
            if _ignored(name):
                continue
            suffix = posixpath.splitext(name)[1].lower()
            if suffix in ARCHIVE_SUFFIXES:
                skipped.append(Skipped(name, "Ignored: archives inside archives are not opened."))
                continue
            if suffix not in CREDENTIAL_SUFFIXES:
                message = "Ignored: not a credential file (.json, .jwt, .png, .svg or .pdf)."
                skipped.append(Skipped(name, message, benign=True))
                continue
            if name == "manifest.json":  # a wallet export's table of contents
                message = "Ignored: the archive's manifest, not a credential."
                skipped.append(Skipped(name, message, benign=True))
                continue
            if info.flag_bits & 0x1:
                skipped.append(Skipped(name, "Ignored: the entry is encrypted."))
                continue
            if info.file_size > MAX_FILE_BYTES:
                raise FileRefused(
                    f"The archive's entry {name} is {format_size(info.file_size, round_up=True)} "
                    f"uncompressed; the limit per file is {format_size(MAX_FILE_BYTES)}."
                )
            content = _read_entry(archive, info, total)
            total += len(content)
            if is_archive(content):
                skipped.append(Skipped(name, "Ignored: archives inside archives are not opened."))
                continue
            entries.append((name, content))
    return entries, skipped


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int) -> bytes:
    """Stream one entry, stopping at the per-file, total and ratio caps (headers can lie)."""
    buffer = bytearray()
    ratio_limit = MAX_RATIO * max(info.compress_size, 1)
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_READ_CHUNK):
                buffer += chunk
                if len(buffer) > MAX_FILE_BYTES:
                    raise FileRefused(
                        f"The archive's entry {info.filename} inflates to more than "
                        f"{format_size(MAX_FILE_BYTES)}; the limit per file. Nothing was imported."
                    )
                if total + len(buffer) > MAX_ARCHIVE_TOTAL:
                    raise FileRefused(
                        f"The archive inflates to more than {format_size(MAX_ARCHIVE_TOTAL)} in "
                        "all; nothing was imported."
                    )
                if len(buffer) > max(ratio_limit, _RATIO_FLOOR):
                    raise FileRefused(
                        f"The archive's entry {info.filename} inflates more than {MAX_RATIO} "
                        "times its compressed size (a ZIP bomb?); nothing was imported."
                    )
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        # RuntimeError: encryption; NotImplementedError: an unsupported compression method.
        raise FileRefused(
            f"The archive's entry {info.filename} cannot be read ({exc}); nothing was imported."
        ) from None
    return bytes(buffer)


# --- One file -----------------------------------------------------------------------------------


def credential_in(name: str, data: bytes) -> Found:
    """The one credential ``data`` holds. Raises a ``VCError`` (``BakingError``, ``NotBaked``,
    ``FileRefused``) whose message says what is wrong."""
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(
            f"The file is {format_size(len(data), round_up=True)}; the limit for a credential "
            f"file is {format_size(MAX_FILE_BYTES)}."
        )
    if data.startswith(baking.PNG_SIGNATURE):
        try:
            return Found(name, "png", text=baking.extract_png(data))
        except baking.NotBaked:
            ob2 = _ob2_png(data)
            if ob2 is None:
                raise
            return _ob2_found(name, "png", ob2)
    if data.startswith(baking.PDF_SIGNATURE):
        return Found(name, "pdf", text=baking.extract_pdf(data))
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if body.startswith(b"<") or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _svg(name, data)
    text = baking.extract(data)
    return Found(name, "json" if text.startswith("{") else "jwt", text=text)


def _ob2_found(name: str, source_format: SourceFormat, content: str) -> Found:
    content = content.strip()
    if content.startswith("{"):
        return Found(name, source_format, text=content, ob2=True)
    if content.startswith("https://") and len(content) <= 2000 and content.isprintable():
        return Found(name, source_format, url=content, ob2=True)
    if _COMPACT_JWS.match(content):
        raise FileRefused(
            "The badge holds a signed Open Badges 2.0 assertion; only hosted Open Badges 2.0 "
            "assertions can be imported."
        )
    raise FileRefused(
        "The badge's Open Badges 2.0 data is neither an assertion (JSON) nor its https:// address."
    )


def _ob2_png(image: bytes) -> str | None:
    """The text of an Open Badges 2.0 ``openbadges`` chunk (uncompressed iTXt, or tEXt as
    OB 1.x wrote it), or None when there is none. The PNG was already walked by
    ``baking.extract_png``; compressed chunks are refused rather than inflated."""
    keyword = baking.OB2_PNG_KEYWORD
    # The chunk walker is vc.baking's own (CRC and length checks); reused, not duplicated.
    chunks = baking.png_chunks(image, max_text=baking.MAX_TEXT_BYTES)
    found = [c for c in chunks if baking.has_keyword(c, keyword)]
    if not found:
        return None
    if len(found) > 1:
        raise FileRefused("The PNG holds more than one Open Badges 2.0 (openbadges) chunk.")
    (chunk,) = found
    rest = chunk.data[len(keyword) + 1 :]
    if chunk.type == b"tEXt":
        return rest.decode("latin-1")
    if chunk.type == b"zTXt" or (chunk.type == b"iTXt" and rest[:1] != b"\0"):
        raise FileRefused(
            "The PNG's Open Badges 2.0 chunk is compressed; compressed chunks are not read."
        )
    fields = rest[2:].split(b"\0", 2)
    if len(fields) != 3:
        raise FileRefused("The PNG's Open Badges 2.0 iTXt chunk is truncated.")
    try:
        return fields[2].decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused("The PNG's Open Badges 2.0 iTXt chunk is not valid UTF-8.") from None


# --- SVG ----------------------------------------------------------------------------------------


class _SvgContent:
    """Parser target collecting the Open Badges 2.0 assertions of an SVG."""

    def __init__(self) -> None:
        self.assertions: list[tuple[str | None, list[str]]] = []
        self._in_assertion = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag == OB2_SVG_ASSERTION:
            self.assertions.append((attrib.get("verify"), []))
            self._in_assertion = True

    def data(self, text: str) -> None:
        if self._in_assertion:
            self.assertions[-1][1].append(text)

    def end(self, tag: str) -> None:
        if tag == OB2_SVG_ASSERTION:
            self._in_assertion = False

    def close(self) -> None:
        return None


def _svg(name: str, data: bytes) -> Found:
    # vc.baking parses first: size, DTD, entity, depth and well-formedness refusals are its own.
    not_baked: baking.NotBaked | None = None
    scan = _SvgContent()
    try:
        text = baking.extract_svg(data)
    except baking.NotBaked as exc:
        # No Open Badges 3.0 credential: parse again, with the same parser, for a 2.0 assertion.
        not_baked = exc
        parser = baking.SvgParser(target=scan)
        try:
            parser.feed(data)
            parser.close()
        except (DefusedXmlException, ParseError, ValueError, LookupError) as error:
            raise FileRefused(f"The SVG cannot be read safely ({error}).") from None
    # A badge with a script or an external reference is refused, as on every SVG upload.
    try:
        problem = hostile_content(data)
    except UploadRejected as exc:
        problem = exc.message
    if problem:
        raise FileRefused(problem)
    if not_baked is None:
        return Found(name, "svg", text=text)
    if not scan.assertions:
        raise not_baked
    if len(scan.assertions) > 1:
        raise FileRefused("The SVG holds more than one Open Badges 2.0 assertion.")
    ((verify, parts),) = scan.assertions
    content = "".join(parts).strip()
    return _ob2_found(name, "svg", content or (verify or ""))
