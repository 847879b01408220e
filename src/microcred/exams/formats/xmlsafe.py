"""Hardened reading of untrusted XML and zip archives for the item importers.

XML: a document is first gated by defusedxml (expat, DTDs forbidden: entity bombs, external
entities and any DOCTYPE are refused before anything is expanded), then parsed by lxml with
entity resolution, network access, DTD loading and huge trees all off. Both steps are needed:
the gate gives a clear error for every encoding expat knows, and the lxml flags make sure a
document that slips past the gate still cannot expand or fetch anything.

Zip (IMS content packages): entry count and total uncompressed size are checked against the
central directory *and* while reading (bytes actually produced), paths that are absolute,
contain ``..`` or backslashes, symlinks, encrypted and duplicate entries are refused, and
members are only ever read into memory by exact name — nothing is extracted to disk.
"""

from __future__ import annotations

import io
import posixpath
import re
import stat
import zipfile
import zlib
from typing import Final
from urllib.parse import unquote, urlsplit

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as _gate_fromstring
from lxml import etree

from microcred.exams.formats.base import (
    MAX_ARCHIVE_BYTES,
    MAX_ARCHIVE_ENTRIES,
    MAX_IMPORT_BYTES,
    FormatError,
)

_CHUNK: Final = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def _mb(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size} bytes"


def _parser() -> etree.XMLParser:
    # A new parser per document: lxml parsers keep state and must not be shared by threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(
    data: bytes | str, *, what: str = "the file", limit: int = MAX_IMPORT_BYTES
) -> etree._Element:
    """Untrusted XML → the root element, or :class:`FormatError` saying why not."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > limit:
        raise FormatError(f"{what} is larger than {_mb(limit)}")
    try:
        _gate_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise FormatError(f"{what}: DTDs and entities are not allowed") from None
    except ParseError as exc:
        raise FormatError(f"{what} is not well-formed XML: {exc}") from None
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{what} is not well-formed XML: {exc}") from None
    # Belt and braces: the gate should have refused these already.
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise FormatError(f"{what}: DTDs and entities are not allowed")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise FormatError(f"{what}: DTDs and entities are not allowed")
    return root


def resolve_href(base_dir: str, href: str) -> str:
    """A relative reference inside a package → the member name it names.

    Raises :class:`FormatError` for anything that could point outside the package: URLs,
    absolute paths, drive letters, backslashes and ``..`` that climbs above the root."""
    parts = urlsplit(href.strip())
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or not path:
        raise FormatError(f"the reference {href!r} does not point inside the package")
    if path.startswith("/") or "\\" in path or _DRIVE.match(path) or "\x00" in path:
        raise FormatError(f"the reference {href!r} does not point inside the package")
    joined = posixpath.normpath(posixpath.join(base_dir, path))
    if joined == ".." or joined.startswith(("../", "/")):
        raise FormatError(f"the reference {href!r} points outside the package")
    return joined


def _check_member_name(name: str) -> str:
    if not name or "\x00" in name or "\\" in name:
        raise FormatError(f"the package entry {name!r} has an unsafe name")
    if name.startswith("/") or _DRIVE.match(name):
        raise FormatError(f"the package entry {name!r} has an absolute path")
    if ".." in name.split("/"):
        raise FormatError(f"the package entry {name!r} points outside the package ('..')")
    return posixpath.normpath(name)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return bool(mode) and stat.S_ISLNK(mode)


class SafeZip:
    """A checked view of an untrusted zip archive; members are read by exact name only."""

    def __init__(
        self,
        data: bytes,
        *,
        max_entries: int = MAX_ARCHIVE_ENTRIES,
        max_bytes: int = MAX_ARCHIVE_BYTES,
        max_member_bytes: int = MAX_IMPORT_BYTES,
    ) -> None:
        if len(data) > MAX_IMPORT_BYTES:
            raise FormatError(f"the file is larger than {_mb(MAX_IMPORT_BYTES)}")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            raise FormatError("the file is not a readable zip archive") from None
        self._max_bytes = max_bytes
        self._max_member = max_member_bytes
        self._read_total = 0
        self._members: dict[str, zipfile.ZipInfo] = {}
        infos = self._zip.infolist()
        if len(infos) > max_entries:
            raise FormatError(f"the package has more than {max_entries} entries")
        declared = 0
        for info in infos:
            name = _check_member_name(info.filename)
            if _is_symlink(info):
                raise FormatError(f"the package entry {info.filename!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise FormatError(f"the package entry {info.filename!r} is encrypted")
            if name in self._members:
                raise FormatError(f"the package has the entry {name!r} twice")
            declared += info.file_size
            if info.is_dir():
                continue
            self._members[name] = info
        if declared > max_bytes:
            raise FormatError(f"the package would unpack to more than {_mb(max_bytes)}")

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._members)

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def read(self, name: str) -> bytes:
        """One member's bytes, counted as they are decompressed (a lying header cannot help)."""
        info = self._members.get(name)
        if info is None:
            raise FormatError(f"the package has no entry {name!r}")
        if info.file_size > self._max_member:
            raise FormatError(f"the package entry {name!r} is larger than {_mb(self._max_member)}")
        budget = min(info.file_size, self._max_member, self._max_bytes - self._read_total)
        chunks: list[bytes] = []
        produced = 0
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(_CHUNK):
                    produced += len(chunk)
                    if produced > budget:
                        raise FormatError(
                            f"the package entry {name!r} unpacks to more than it declares"
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            raise FormatError(f"the package entry {name!r} is damaged or unreadable") from None
        self._read_total += produced
        return b"".join(chunks)
