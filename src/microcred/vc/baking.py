"""Baking: an Open Badges 3.0 credential carried inside its PNG or SVG badge image.

Implements Open Badges Specification 3.0 (https://www.imsglobal.org/spec/ob/v3p0/), chapter
"Document Formats", section "Baked Badge" (PNG and SVG); summarised in
``notes/standards.md`` §1.4:

- **PNG**: one ``iTXt`` chunk, keyword ``openbadgecredential``, compression flag 0, method 0,
  empty language tag and translated keyword, UTF-8 text = the credential JSON or its compact
  JWS. "Compression MUST NOT be used"; the keyword MUST NOT appear more than once. We bake it
  just before ``IEND`` (as the 1EdTech validator's fixtures do) and overwrite on re-baking.
- **SVG**: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on ``<svg>`` and, directly
  after its start tag, ``<openbadges:credential>`` holding the JSON in ``<![CDATA[…]]>``, or,
  for a compact JWS, an empty element with ``verify="<jws>"``.

Extraction reads files from strangers (uploads, wallet imports), so it is hardened as
``notes/reliability.md`` ("Baked-image injection") asks: byte caps, our own PNG chunk walker
that checks every CRC and never decompresses anything, exactly one credential, and SVG parsed by
defusedxml with no DTD declarations, entities or external references and a depth cap. What
comes out is still untrusted: the caller verifies it like any other credential.

Errors: every refusal is a ``BakingError`` (a ``ParsingError``) whose message says what is
wrong and where. A well-formed image that simply holds no OB 3.0 credential raises ``NotBaked``,
a ``BakingError`` subclass, so "extract or refuse" is one ``except`` for callers that do not
care about the difference; extraction never returns ``None``.
"""

from __future__ import annotations

import binascii
import io
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Final, Literal

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from microcred.vc.errors import ParsingError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_SVG_DEPTH",
    "MAX_TEXT_BYTES",
    "OB2_SVG_NAMESPACE",
    "OB3_SVG_NAMESPACE",
    "PNG_KEYWORD",
    "BakingError",
    "NotBaked",
    "PngChunk",
    "SvgParser",
    "bake_png",
    "bake_svg",
    "credential_kind",
    "extract",
    "extract_pdf",
    "extract_png",
    "extract_svg",
    "has_keyword",
    "png_chunks",
]

MAX_FILE_BYTES: Final = 8 * 1024 * 1024
MAX_TEXT_BYTES: Final = 1024 * 1024  # Pillow's MAX_TEXT_CHUNK; reliability.md: "chunks over 1 MiB"
MAX_SVG_DEPTH: Final = 256

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD: Final = b"openbadgecredential"
OB2_PNG_KEYWORD: Final = b"openbadges"
OB3_SVG_NAMESPACE: Final = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NAMESPACE: Final = "http://openbadges.org"
SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"

_PNG_MAX_CHUNK_LENGTH = 2**31 - 1  # PNG 1.2 §5.3: lengths are limited to 2^31 - 1
_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_CHUNK_TYPE = re.compile(rb"[A-Za-z]{4}\Z")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")
_XML_DECL_ENCODING = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TAG_NAME = re.compile(rb"<([^\s/>]+)")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OB3_CREDENTIAL_TAG = f"{{{OB3_SVG_NAMESPACE}}}credential"
_SVG_ROOT_TAG = f"{{{SVG_NAMESPACE}}}svg"

CredentialKind = Literal["json", "jws"]


class BakingError(ParsingError):
    """A baked image (or a credential to bake) that we refuse; ``message`` says why and where."""


class NotBaked(BakingError):  # noqa: N818 - reads as a verdict: "not baked"
    """A well-formed PNG/SVG that holds no Open Badges 3.0 credential."""

    code = "NOT_BAKED"


def _size(num_bytes: int) -> str:
    return f"{num_bytes:,} bytes"


def credential_kind(credential: str) -> CredentialKind:
    """``"json"`` for a JSON object, ``"jws"`` for a compact JWS; BakingError otherwise.

    Only the shape is checked (and that JSON parses): verification is the verifier's business.
    """
    text = credential.strip()
    if text.startswith("{"):
        try:
            json.loads(text)
        except ValueError as exc:
            raise BakingError(f"The credential is not valid JSON: {exc}.") from None
        return "json"
    if _COMPACT_JWS.match(text):
        return "jws"
    raise BakingError(
        "The credential is neither a JSON object nor a compact JWS (header.payload.signature)."
    )


# --- PNG ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PngChunk:
    type: bytes
    data: bytes
    start: int  # offset of the length field
    end: int  # offset just past the CRC

    @property
    def name(self) -> str:
        return self.type.decode("ascii")


def png_chunks(image: bytes, *, max_text: int | None) -> list[PngChunk]:
    """Walk a whole PNG datastream, checking its structure and every CRC.

    Decompresses nothing. ``max_text`` caps the length of tEXt/zTXt/iTXt chunks (None: no cap
    beyond the PNG limit), checked before the chunk's data is read.
    """
    if not image.startswith(PNG_SIGNATURE):
        raise BakingError("The file is not a PNG image (the PNG signature is missing).")
    chunks: list[PngChunk] = []
    offset = len(PNG_SIGNATURE)
    total = len(image)
    while True:
        if offset == total:
            raise BakingError(
                f"The PNG is truncated: it ends at byte {offset:,} without an IEND chunk."
            )
        if total - offset < 12:
            raise BakingError(
                f"The PNG is truncated: {total - offset} stray bytes at offset {offset:,}, "
                "too few for a chunk."
            )
        length, chunk_type = struct.unpack_from(">I4s", image, offset)
        if not _CHUNK_TYPE.match(chunk_type):
            raise BakingError(
                f"The PNG has an invalid chunk type {chunk_type!r} at offset {offset:,}."
            )
        name = chunk_type.decode("ascii")
        if length > _PNG_MAX_CHUNK_LENGTH:
            raise BakingError(
                f"The PNG's {name} chunk at offset {offset:,} declares a length of "
                f"{_size(length)}, over the PNG limit of 2^31 - 1."
            )
        if max_text is not None and chunk_type in _TEXT_CHUNKS and length > max_text:
            raise BakingError(
                f"The PNG's {name} chunk at offset {offset:,} is {_size(length)}; "
                f"text chunks are limited to {_size(max_text)}."
            )
        data_start = offset + 8
        end = data_start + length + 4
        if end > total:
            raise BakingError(
                f"The PNG is truncated: its {name} chunk at offset {offset:,} declares "
                f"{_size(length)} of data but only {_size(max(total - data_start - 4, 0))} remain."
            )
        data = image[data_start : data_start + length]
        (crc,) = struct.unpack_from(">I", image, data_start + length)
        if binascii.crc32(data, binascii.crc32(chunk_type)) != crc:
            raise BakingError(f"The PNG's {name} chunk at offset {offset:,} has a bad CRC.")
        if not chunks and chunk_type != b"IHDR":
            raise BakingError(f"The PNG does not start with an IHDR chunk (it starts with {name}).")
        if chunks and chunk_type == b"IHDR":
            raise BakingError(f"The PNG has a second IHDR chunk at offset {offset:,}.")
        chunks.append(PngChunk(chunk_type, data, offset, end))
        offset = end
        if chunk_type == b"IEND":
            break
    if offset != total:
        raise BakingError(
            f"The PNG has {_size(total - offset)} of data after its IEND chunk (offset {offset:,})."
        )
    return chunks


def has_keyword(chunk: PngChunk, keyword: bytes) -> bool:
    return chunk.type in _TEXT_CHUNKS and chunk.data.startswith(keyword + b"\0")


def _itxt_text(chunk: PngChunk) -> str:
    """The text of an ``openbadgecredential`` iTXt chunk, refusing compression."""
    where = f"the openbadgecredential iTXt chunk at offset {chunk.start:,}"
    # keyword \0 flag(1) method(1) language \0 translated keyword \0 text
    rest = chunk.data[len(PNG_KEYWORD) + 1 :]
    if len(rest) < 4:
        raise BakingError(f"The PNG's {where} is truncated.")
    flag, method = rest[0], rest[1]
    if flag != 0:
        raise BakingError(
            f"The PNG's {where} is compressed (compression flag {flag}); "
            "Open Badges 3.0 says compression MUST NOT be used."
        )
    if method != 0:
        raise BakingError(f"The PNG's {where} names compression method {method}; it must be 0.")
    fields = rest[2:].split(b"\0", 2)
    if len(fields) != 3:
        raise BakingError(
            f"The PNG's {where} lacks its language tag or translated keyword terminator."
        )
    text = fields[2]
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError(
            f"The PNG's {where} is not valid UTF-8 (byte {exc.start:,} of its text)."
        ) from None


def _credential_chunks(chunks: list[PngChunk]) -> list[PngChunk]:
    return [c for c in chunks if has_keyword(c, PNG_KEYWORD)]


def extract_png(
    image: bytes, *, max_bytes: int = MAX_FILE_BYTES, max_text: int = MAX_TEXT_BYTES
) -> str:
    """The credential (JSON text or compact JWS, surrounding whitespace stripped) baked in a PNG.

    Raises ``BakingError`` for an oversized, truncated or corrupt PNG (any bad CRC, bad chunk
    order, a text chunk over ``max_text``), a credential stored other than as one uncompressed
    ``iTXt`` chunk, or text that is neither JSON nor a compact JWS; ``NotBaked`` when the PNG
    is sound but holds no ``openbadgecredential`` chunk.
    """
    if len(image) > max_bytes:
        raise BakingError(f"The PNG is {_size(len(image))}; the limit is {_size(max_bytes)}.")
    chunks = png_chunks(image, max_text=max_text)
    found = _credential_chunks(chunks)
    if not found:
        if any(has_keyword(c, OB2_PNG_KEYWORD) for c in chunks):
            raise NotBaked(
                "The PNG holds an Open Badges 2.0 assertion (keyword 'openbadges'), "
                "not an Open Badges 3.0 credential."
            )
        raise NotBaked("The PNG holds no Open Badges credential (no openbadgecredential chunk).")
    if len(found) > 1:
        offsets = ", ".join(f"{c.name} at {c.start:,}" for c in found)
        raise BakingError(
            f"The PNG holds {len(found)} openbadgecredential chunks ({offsets}); "
            "the keyword MUST NOT appear more than once."
        )
    (chunk,) = found
    if chunk.type != b"iTXt":
        raise BakingError(
            f"The PNG stores its credential in a {chunk.name} chunk at offset {chunk.start:,}; "
            "Open Badges 3.0 requires an uncompressed iTXt chunk."
        )
    text = _itxt_text(chunk).strip()
    _check_extracted(text, "PNG")
    return text


def _itxt_chunk(text: bytes) -> bytes:
    data = PNG_KEYWORD + b"\0" + b"\0\0" + b"\0" + b"\0" + text
    crc = binascii.crc32(data, binascii.crc32(b"iTXt"))
    return struct.pack(">I4s", len(data), b"iTXt") + data + struct.pack(">I", crc)


def bake_png(image: bytes, credential: str) -> bytes:
    """``image`` with ``credential`` baked in one iTXt chunk placed just before IEND.

    Any earlier ``openbadgecredential`` chunk (iTXt, tEXt or zTXt) is dropped, so re-baking
    overwrites; every other chunk is kept byte for byte. Raises ``BakingError`` when the image
    is not a sound PNG or the credential is not JSON or a compact JWS, or is over 1 MiB.
    """
    kind = credential_kind(credential)
    text = credential.strip().encode("utf-8")
    if len(text) > MAX_TEXT_BYTES:
        raise BakingError(
            f"The {kind.upper()} credential is {_size(len(text))}; "
            f"the limit for a baked credential is {_size(MAX_TEXT_BYTES)}."
        )
    chunks = png_chunks(image, max_text=None)
    drop = {(c.start, c.end) for c in _credential_chunks(chunks)}
    iend = chunks[-1]
    parts = [PNG_SIGNATURE]
    parts.extend(image[c.start : c.end] for c in chunks[:-1] if (c.start, c.end) not in drop)
    parts.append(_itxt_chunk(text))
    parts.append(image[iend.start : iend.end])
    return b"".join(parts)


# --- SVG ----------------------------------------------------------------------------------------


class _SvgScan:
    """Parser target that builds no tree: it notes the root, the namespace declarations made on
    it, the depth, and the byte spans and content of credential elements.

    The byte offsets come from expat (``CurrentByteIndex``) so that baking can edit the original
    bytes rather than re-serialize the document.
    """

    def __init__(self, *, max_depth: int, max_text: int) -> None:
        self.parser: DefusedXMLParser | None = None
        self.max_depth = max_depth
        self.max_text = max_text
        self.depth = 0
        self.root_tag: str | None = None
        self.root_start = -1
        self.root_namespaces: dict[str, str] = {}
        self._pending_namespaces: dict[str, str] = {}
        self.credentials: list[_SvgCredential] = []
        self.ob2_assertions = 0
        self._current: _SvgCredential | None = None

    def _index(self) -> int:
        assert self.parser is not None  # noqa: S101 - wiring, not input validation
        index: int = self.parser.parser.CurrentByteIndex
        return index

    def start_ns(self, prefix: str, uri: str) -> None:
        if self.root_tag is None:
            self._pending_namespaces[prefix] = uri

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise BakingError(f"The SVG nests elements more than {self.max_depth} levels deep.")
        if self.root_tag is None:
            self.root_tag = tag
            self.root_start = self._index()
            self.root_namespaces = self._pending_namespaces
        if self._current is not None:
            raise BakingError(
                "The SVG's openbadges:credential element contains another element; it may hold "
                "only text (the credential JSON) or a verify attribute."
            )
        if tag == _OB3_CREDENTIAL_TAG:
            self._current = _SvgCredential(start=self._index(), verify=attrib.get("verify"))
            self.credentials.append(self._current)
        elif tag == f"{{{OB2_SVG_NAMESPACE}}}assertion":
            self.ob2_assertions += 1

    def data(self, data: str) -> None:
        if self._current is not None:
            self._current.text.append(data)
            self._current.size += len(data)
            if self._current.size > self.max_text:
                raise BakingError(
                    f"The SVG's openbadges:credential element holds more than "
                    f"{self.max_text:,} characters."
                )

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == _OB3_CREDENTIAL_TAG and self._current is not None:
            self._current.end_tag = self._index()
            self._current = None

    def close(self) -> None:
        return None


@dataclass(slots=True)
class _SvgCredential:
    start: int
    verify: str | None
    end_tag: int = -1  # expat's offset at the end event: the end tag's "<" (unless empty)
    size: int = 0
    text: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        return "".join(self.text)


class SvgParser(DefusedXMLParser):
    """defusedxml with DTDs forbidden, except a bare ``<!DOCTYPE svg PUBLIC …>`` line.

    Illustrator writes that line and the 1EdTech fixtures carry it. Without an internal subset
    it declares nothing, and expat does not fetch the external subset.
    """

    def __init__(self, target: object) -> None:  # a parser target (start, data, end, close)
        super().__init__(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def defused_start_doctype_decl(
        self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool
    ) -> None:
        if (
            name == "svg"
            and not has_internal_subset
            and (pubid is None or pubid.startswith("-//W3C//DTD SVG "))
            and (sysid is None or sysid.startswith("http://www.w3.org/"))
        ):
            return
        raise DTDForbidden(name, sysid, pubid)


def _scan_svg(svg: bytes, *, max_bytes: int, max_text: int) -> _SvgScan:
    if len(svg) > max_bytes:
        raise BakingError(f"The SVG is {_size(len(svg))}; the limit is {_size(max_bytes)}.")
    scan = _SvgScan(max_depth=MAX_SVG_DEPTH, max_text=max_text)
    parser = SvgParser(target=scan)
    scan.parser = parser
    try:
        parser.feed(svg)
        parser.close()
    except DTDForbidden:
        raise BakingError(
            "The SVG has a DOCTYPE that is not allowed: only the standard SVG DOCTYPE, without "
            "an internal subset (no entity or other declarations), is accepted."
        ) from None
    except EntitiesForbidden:
        raise BakingError("The SVG declares XML entities, which are not allowed.") from None
    except ExternalReferenceForbidden:
        raise BakingError("The SVG references an external entity, which is not allowed.") from None
    except ParseError as exc:
        line, column = exc.position
        raise BakingError(
            f"The SVG is not well-formed XML (line {line}, column {column + 1})."
        ) from None
    except BakingError:
        raise
    except (LookupError, ValueError):  # expat or a codec refusing the declared encoding
        raise BakingError("The SVG declares a character encoding that cannot be read.") from None
    if scan.root_tag != _SVG_ROOT_TAG:
        local = (scan.root_tag or "").rpartition("}")[2]
        if local == "svg":
            raise BakingError(f'The SVG\'s root <svg> lacks the SVG namespace "{SVG_NAMESPACE}".')
        raise BakingError(f"The file is XML but not an SVG image: its root element is <{local}>.")
    return scan


def extract_svg(
    svg: bytes, *, max_bytes: int = MAX_FILE_BYTES, max_text: int = MAX_TEXT_BYTES
) -> str:
    """The credential baked in an SVG: the ``verify`` attribute of its one OB 3.0
    ``<openbadges:credential>`` element, or the element's text (CDATA), stripped.

    Raises ``BakingError`` for an oversized, malformed or hostile document (DTD declarations,
    entities, external references, nesting over ``MAX_SVG_DEPTH``), XML that is not an SVG,
    more than one credential element, or content that is neither JSON nor a compact JWS;
    ``NotBaked`` when there is no credential element in the OB 3.0 namespace (an Open Badges
    2.0 ``http://openbadges.org`` assertion is reported as such, not extracted).
    """
    scan = _scan_svg(svg, max_bytes=max_bytes, max_text=max_text)
    if not scan.credentials:
        if scan.ob2_assertions:
            raise NotBaked(
                "The SVG holds an Open Badges 2.0 assertion (namespace http://openbadges.org), "
                "not an Open Badges 3.0 credential."
            )
        raise NotBaked(
            f"The SVG holds no Open Badges credential (no credential element in the "
            f"{OB3_SVG_NAMESPACE} namespace)."
        )
    if len(scan.credentials) > 1:
        raise BakingError(
            f"The SVG holds {len(scan.credentials)} openbadges:credential elements; "
            "it must hold exactly one."
        )
    (element,) = scan.credentials
    content = element.content.strip()
    if element.verify is not None:
        if content:
            raise BakingError(
                "The SVG's openbadges:credential element has both a verify attribute and "
                "text content; it must have one or the other."
            )
        text = element.verify.strip()
    else:
        text = content
    _check_extracted(text, "SVG")
    return text


def _tag_end(svg: bytes, start: int) -> int:
    """Offset just past the ``>`` closing the tag that opens at ``start`` (quotes respected)."""
    index = start + 1
    while index < len(svg):
        byte = svg[index]
        if byte in b"\"'":
            close = svg.find(bytes((byte,)), index + 1)
            if close < 0:
                break
            index = close + 1
            continue
        if byte == ord(">"):
            return index + 1
        index += 1
    raise BakingError(f"The SVG's tag at offset {start:,} is not closed.")  # pragma: no cover


def _element_end(svg: bytes, element: _SvgCredential) -> int:
    """Offset just past a credential element, empty (``<x/>``) or not."""
    start_tag_end = _tag_end(svg, element.start)
    if svg[start_tag_end - 2 : start_tag_end] == b"/>":
        return start_tag_end  # expat reports an empty element's end event after the tag
    return _tag_end(svg, element.end_tag)


def _line_span(svg: bytes, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to its whole line when nothing else shares that line."""
    line_start = svg.rfind(b"\n", 0, start) + 1
    line_end = svg.find(b"\n", end)
    line_end = len(svg) if line_end < 0 else line_end + 1
    if svg[line_start:start].strip(b" \t") == b"" and svg[end:line_end].strip() == b"":
        return line_start, line_end
    return start, end


def _check_utf8_document(svg: bytes) -> None:
    if svg.startswith(_UTF16_BOMS):
        raise BakingError("Only UTF-8 SVG documents can be baked; this one is UTF-16.")
    match = _XML_DECL_ENCODING.match(svg.removeprefix(_UTF8_BOM).lstrip())
    if match and match.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise BakingError(
            f"Only UTF-8 SVG documents can be baked; this one declares "
            f"encoding {match.group(1).decode('ascii')!r}."
        )


def _credential_element(credential: str, kind: CredentialKind) -> str:
    if kind == "jws":
        return f'<openbadges:credential verify="{credential}"/>'
    # "]]>" cannot appear inside a CDATA section: end the section between "]]" and ">" and
    # open a new one, so the parser's concatenated text is the JSON unchanged.
    cdata = credential.replace("]]>", "]]]]><![CDATA[>")
    return f"<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>"


def bake_svg(svg: bytes, credential: str) -> bytes:
    """``svg`` with ``credential`` baked in, directly after the root ``<svg>`` start tag.

    Edits the original bytes: adds ``xmlns:openbadges`` to the root start tag when it is not
    declared there already, removes any existing OB 3.0 credential elements, inserts the new
    one, and leaves everything else as it was. Raises ``BakingError`` when the document is not
    a sound UTF-8 SVG, binds the ``openbadges`` prefix to another namespace on its root, or the
    credential is not JSON or a compact JWS.
    """
    kind = credential_kind(credential)
    text = credential.strip()
    if kind == "json":
        # XML turns CR LF and CR into LF; outside JSON strings they are only whitespace, and
        # JSON strings cannot hold raw line breaks, so normalising loses nothing.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_utf8_document(svg)
    scan = _scan_svg(svg, max_bytes=MAX_FILE_BYTES, max_text=MAX_TEXT_BYTES)

    bound = scan.root_namespaces.get("openbadges")
    if bound is not None and bound != OB3_SVG_NAMESPACE:
        raise BakingError(
            f'The SVG binds the "openbadges" prefix to {bound!r} on its root element; '
            "remove the Open Badges 2.0 data before baking an Open Badges 3.0 credential."
        )
    root_end = _tag_end(svg, scan.root_start)
    self_closing = svg[root_end - 2 : root_end] == b"/>"
    close_at = root_end - 2 if self_closing else root_end - 1
    declaration = b"" if bound else f' xmlns:openbadges="{OB3_SVG_NAMESPACE}"'.encode()
    element = _credential_element(text, kind).encode("utf-8")

    root = svg[scan.root_start : close_at] + declaration + b">" + element
    if self_closing:  # <svg …/> becomes <svg …><openbadges:credential …/></svg>
        root += b"</" + _element_name(svg, scan.root_start) + b">"

    removed = sorted(_line_span(svg, c.start, _element_end(svg, c)) for c in scan.credentials)
    parts = [svg[: scan.root_start], root]
    cursor = root_end
    for start, end in removed:
        parts.append(svg[cursor:start])
        cursor = end
    parts.append(svg[cursor:])
    baked = b"".join(parts)

    # The edit is textual, so prove it: the result must parse and give back the credential.
    if extract_svg(baked) != text:  # pragma: no cover - a bug in the editing above
        raise BakingError("Baking the SVG did not round-trip; the document was left unchanged.")
    return baked


def _element_name(svg: bytes, start: int) -> bytes:
    """The qualified name of the tag opening at ``start`` (``svg``, ``svg:svg``)."""
    match = _TAG_NAME.match(svg, start)
    assert match is not None  # noqa: S101 - expat reported a start tag here
    return match.group(1)


# --- Sniffing -----------------------------------------------------------------------------------


def _check_extracted(text: str, where: str) -> None:
    if not text:
        raise BakingError(f"The {where}'s Open Badges credential is empty.")
    if not (text.startswith("{") or _COMPACT_JWS.match(text)):
        raise BakingError(
            f"The {where}'s Open Badges credential is neither JSON nor a compact JWS."
        )


PDF_SIGNATURE: Final = b"%PDF-"
#: The attachment a microcred certificate carries; any attached JSON credential is accepted.
PDF_ATTACHMENT: Final = "credential.json"


def extract_pdf(pdf: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The credential attached to a PDF certificate (an embedded file, as PDF/A-3 allows):
    ``credential.json`` if present, else the only attached file that holds a credential.
    Raises ``NotBaked`` when nothing is attached and ``BakingError`` for a broken PDF."""
    import pikepdf  # only verification of PDFs needs it

    if len(pdf) > max_bytes:
        raise BakingError(f"The file is {_size(len(pdf))}; the limit is {_size(max_bytes)}.")
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            attached = {name: spec.get_file() for name, spec in document.attachments.items()}
            found = [
                (name, file.read_bytes())
                for name, file in attached.items()
                if file.size <= MAX_TEXT_BYTES
            ]
    except pikepdf.PdfError as exc:
        raise BakingError(f"The PDF cannot be read: {str(exc)[:200]}") from None
    if not found:
        raise NotBaked("The PDF has no credential attached.")
    found.sort(key=lambda entry: entry[0] != PDF_ATTACHMENT)
    for name, content in found:
        try:
            text = content.decode("utf-8").strip()
        except UnicodeDecodeError:
            continue
        if text.startswith("{") or _COMPACT_JWS.match(text):
            _check_extracted(text, "PDF")
            return text
        if name == PDF_ATTACHMENT:
            break
    raise NotBaked("The PDF's attachments hold no Open Badges credential.")


def extract(file_bytes: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The credential in an uploaded file: a baked PNG or SVG, a PDF certificate with the
    credential attached, a JSON credential or a compact JWS.

    Sniffs the content, never a file name or media type: the PNG signature, else XML (``<``
    after an optional BOM and whitespace) for SVG, else a JSON object (``{``) or a compact JWS.
    JSON is returned as text, not parsed. Raises ``BakingError``/``NotBaked`` as the format's
    extractor does, and ``BakingError`` for anything else.
    """
    if len(file_bytes) > max_bytes:
        raise BakingError(f"The file is {_size(len(file_bytes))}; the limit is {_size(max_bytes)}.")
    if file_bytes.startswith(PNG_SIGNATURE):
        return extract_png(file_bytes, max_bytes=max_bytes)
    if file_bytes.startswith(PDF_SIGNATURE):
        return extract_pdf(file_bytes, max_bytes=max_bytes)
    if file_bytes.startswith(_UTF16_BOMS):
        return extract_svg(file_bytes, max_bytes=max_bytes)
    body = file_bytes.removeprefix(_UTF8_BOM).strip()
    if body.startswith(b"<"):
        return extract_svg(file_bytes, max_bytes=max_bytes)
    if body.startswith(b"{") or _COMPACT_JWS.match(body.decode("ascii", "replace")):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BakingError("The credential file is not valid UTF-8.") from None
        _check_extracted(text, "file")
        return text
    raise BakingError(
        "The file is not a baked PNG or SVG badge, a PDF certificate, a JSON credential or a "
        "compact JWS."
    )
