"""W3C Bitstring Status List v1.0 (Recommendation, 2025): bitstrings, encoding, entries, checks.

Sections are cited by title (their numbers moved between drafts); step numbers are those of the
15-step Validate Algorithm.

- § BitstringStatusListEntry — :func:`status_entry` builds a credential's ``credentialStatus``;
  :func:`check_entry` validates one.
- § BitstringStatusListCredential — :func:`status_list_credential` builds the unsigned list
  credential. Its terms are all in the VC 2.0 context, so no status-list context is added.
- § Validate Algorithm — :func:`check_entry`, steps 5–15. Steps 1–4 (fetching the list
  credential and verifying its proof) belong to the verification pipeline, which passes an
  already-verified list credential.
- § Bitstring Generation Algorithm, § Bitstring Expansion Algorithm — :func:`encode`,
  :func:`decode`. Bit order (``encodedList``): index 0 is the left-most bit, the most
  significant bit of byte 0; bit ``i`` is byte ``i // 8`` under mask ``0x80 >> (i % 8)``.
- § Processing Errors — the error classes carry the spec's names as ``code`` (``RANGE_ERROR``
  and ``MALFORMED_VALUE_ERROR`` are the VC Data Model 2.0 names the algorithms use).

Nothing here performs I/O or imports Django: the caller stores bits and allocated indexes, signs
the list credential and serves it.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import random
import re
import secrets
import zlib
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from microcred.vc.errors import VCError

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"

#: § Validate Algorithm step 2: minimumNumberOfEntries, unless an ecosystem sets a lower bound.
MIN_ENTRIES = 131_072
MIN_BITSTRING_BYTES = MIN_ENTRIES // 8  # 16 KB, § Bitstring Generation Algorithm step 1
#: ``ttl`` (§ BitstringStatusListCredential) to assume when a list has none, in milliseconds.
DEFAULT_TTL_MS = 300_000

ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"

PURPOSE_REVOCATION = "revocation"  # not reversible
PURPOSE_SUSPENSION = "suspension"  # reversible
PURPOSE_REFRESH = "refresh"  # from earlier drafts; the 2024 CR text lists only the other three
PURPOSE_MESSAGE = "message"  # needs statusSize and statusMessage
KNOWN_PURPOSES = frozenset(
    {PURPOSE_REVOCATION, PURPOSE_SUSPENSION, PURPOSE_REFRESH, PURPOSE_MESSAGE}
)

#: Limits for decoding an untrusted ``encodedList``. 16 MiB decompressed is 134 million entries,
#: far above any list we or a sane issuer publish; the compressed limit bounds the base64 text
#: decoded before decompression starts.
DEFAULT_MAX_COMPRESSED = 4 * 1024 * 1024
DEFAULT_MAX_DECOMPRESSED = 16 * 1024 * 1024
#: statusSize above this is refused: 2**statusSize statusMessage entries would be required.
MAX_STATUS_SIZE = 16

_DECOMPRESS_CHUNK = 64 * 1024
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*=*", re.ASCII)
_DECIMAL = re.compile(r"[0-9]+", re.ASCII)
_HEX_STATUS = re.compile(r"0x[0-9a-fA-F]+", re.ASCII)
_RANDOM_ATTEMPTS = 64
_SYSTEM_RANDOM = secrets.SystemRandom()


# --- § Processing Errors ----------------------------------------------------------------------


class StatusRetrievalError(VCError):
    """Retrieval of the status list failed (-128). Raised by the fetching code, not here,
    except through :class:`StatusListTooLargeError`."""

    code = "STATUS_RETRIEVAL_ERROR"


class StatusVerificationError(VCError):
    """Validation of the status entry failed (-129): wrong list type, purpose or list id."""

    code = "STATUS_VERIFICATION_ERROR"


class StatusListLengthError(VCError):
    """The list is shorter than the minimum required for herd privacy (-130)."""

    code = "STATUS_LIST_LENGTH_ERROR"


class RangeError(VCError):
    """The index (times statusSize) falls outside the bitstring (VC DM 2.0 RANGE_ERROR)."""

    code = "RANGE_ERROR"


class MalformedValueError(VCError):
    """A property breaks a MUST of § Data Model (VC DM 2.0 MALFORMED_VALUE_ERROR, which
    § Algorithms requires)."""

    code = "MALFORMED_VALUE_ERROR"


class StatusListTooLargeError(StatusRetrievalError):
    """The encoded or decompressed list exceeds our limits: we refuse to process it, so the
    status cannot be determined — the same outcome as a failed retrieval ("status unknown")."""


class StatusListFullError(VCError):
    """Issuer side: no free index is left in a list; the caller opens a new list."""

    code = "STATUS_LIST_FULL"


# --- Bitstring ------------------------------------------------------------------------------


class Bitstring:
    """A mutable status bitstring over a ``bytearray`` (§ Bitstring Generation Algorithm).

    Bit ``i`` is byte ``i // 8``, mask ``0x80 >> (i % 8)``: index 0 is the left-most bit.
    With ``statusSize`` > 1, entry ``index`` occupies the ``status_size`` bits starting at
    ``index * status_size``, most significant first.
    """

    __slots__ = ("_bits",)

    def __init__(self, size: int = MIN_ENTRIES) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0 or size % 8:
            raise ValueError("size must be a positive multiple of 8 (bits)")
        self._bits = bytearray(size // 8)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Bitstring:
        if not data:
            raise ValueError("a bitstring needs at least one byte")
        bitstring = cls(8)
        bitstring._bits = bytearray(data)
        return bitstring

    @classmethod
    def from_encoded(
        cls,
        encoded_list: str,
        *,
        min_entries: int = MIN_ENTRIES,
        max_compressed: int = DEFAULT_MAX_COMPRESSED,
        max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
    ) -> Bitstring:
        return cls.from_bytes(
            decode(
                encoded_list,
                min_entries=min_entries,
                max_compressed=max_compressed,
                max_decompressed=max_decompressed,
            )
        )

    @property
    def size(self) -> int:
        """Length in bits."""
        return len(self._bits) * 8

    def __len__(self) -> int:
        return self.size

    def __bytes__(self) -> bytes:
        return bytes(self._bits)

    def __repr__(self) -> str:
        return f"Bitstring(size={self.size})"

    def _check_position(self, position: int, width: int) -> None:
        if isinstance(position, bool) or not isinstance(position, int):
            raise TypeError("a status list index is an int")
        if position < 0 or position + width > self.size:
            raise RangeError(f"position {position} is outside the bitstring of {self.size} bits")

    def get(self, index: int) -> int:
        """The bit at ``index`` (0 or 1)."""
        self._check_position(index, 1)
        return (self._bits[index >> 3] >> (7 - (index & 7))) & 1

    def set(self, index: int, value: bool | int) -> None:
        """Set (truthy ``value``) or clear the bit at ``index``."""
        self._check_position(index, 1)
        mask = 0x80 >> (index & 7)
        if value:
            self._bits[index >> 3] |= mask
        else:
            self._bits[index >> 3] &= ~mask & 0xFF

    def get_status(self, index: int, status_size: int = 1) -> int:
        """The ``status_size``-bit value of entry ``index``, MSB first (§ Validate Algorithm,
        step 10)."""
        _check_status_size(status_size)
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("a status list index is an int")
        position = index * status_size
        self._check_position(position, status_size)
        value = 0
        for offset in range(status_size):
            value = (value << 1) | self.get(position + offset)
        return value

    def set_status(self, index: int, status_size: int, value: int) -> None:
        """Write the ``status_size``-bit ``value`` of entry ``index``."""
        _check_status_size(status_size)
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError("a status list index is an int")
        if not 0 <= value < (1 << status_size):
            raise ValueError(
                f"a status of {status_size} bits is between 0 and {(1 << status_size) - 1}"
            )
        position = index * status_size
        self._check_position(position, status_size)
        for offset in range(status_size):
            self.set(position + offset, (value >> (status_size - 1 - offset)) & 1)

    def encode(self, *, min_entries: int = MIN_ENTRIES) -> str:
        return encode(self._bits, min_entries=min_entries)


def _check_status_size(status_size: int) -> None:
    if isinstance(status_size, bool) or not isinstance(status_size, int):
        raise TypeError("statusSize is an int")
    if not 1 <= status_size <= MAX_STATUS_SIZE:
        raise ValueError(f"statusSize must be between 1 and {MAX_STATUS_SIZE}")


# --- encodedList: § Bitstring Generation Algorithm, § Bitstring Expansion Algorithm -----------


def encode(
    bitstring: bytes | bytearray | memoryview | Bitstring, *, min_entries: int = MIN_ENTRIES
) -> str:
    """§ Bitstring Generation Algorithm, step 3: GZIP (RFC 1952), base64url without padding, and the
    multibase prefix ``u`` (§ BitstringStatusListCredential ``encodedList``).

    The GZIP header's mtime is fixed at 0, so the same bits always give the same string on a
    given zlib (other implementations write other header bytes: compare decoded bits, not
    strings). Refuses lists under ``min_entries`` bits: we never publish one.
    """
    data = bytes(bitstring)
    if len(data) * 8 < min_entries:
        raise StatusListLengthError(
            f"a status list has at least {min_entries} entries; got {len(data) * 8} bits"
        )
    compressed = gzip.compress(data, compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(
    encoded_list: str,
    *,
    min_entries: int = MIN_ENTRIES,
    max_compressed: int = DEFAULT_MAX_COMPRESSED,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> bytes:
    """§ Bitstring Expansion Algorithm: multibase ``u`` + base64url → GZIP → the bitstring bytes.

    Strict about what reaches the decompressor:

    - the value must start with ``u`` (multibase base64url) and contain only the base64url
      alphabet — no whitespace, no ``+``/``/``;
    - the spec says "no padding"; correctly placed ``=`` padding is tolerated (it carries no
      information and some encoders emit it), misplaced or excess padding is not;
    - exactly one GZIP member (RFC 1952, CRC-32 and length checked by zlib), nothing after it;
    - decompression streams in 64 KiB steps and stops once the output passes
      ``max_decompressed`` bytes, so a GZIP bomb costs at most that much memory
      (:class:`StatusListTooLargeError`);
    - the result must hold at least ``min_entries`` bits (:class:`StatusListLengthError`).

    Malformed input raises :class:`MalformedValueError`.
    """
    if not isinstance(encoded_list, str):
        raise MalformedValueError("encodedList must be a string")
    if not encoded_list.startswith("u"):
        shown = encoded_list[:1] or "nothing"
        raise MalformedValueError(
            f"encodedList must be multibase base64url, starting with 'u' (starts with {shown!r})"
        )
    body = encoded_list[1:]
    # 4 characters per 3 bytes, checked before decoding so huge text is never decoded.
    if len(body) > -(-max_compressed // 3) * 4:
        raise StatusListTooLargeError(
            f"encodedList is longer than the {max_compressed}-byte compressed limit"
        )
    if not _BASE64URL.fullmatch(body):
        raise MalformedValueError(
            "encodedList is not base64url: only A-Z, a-z, 0-9, '-' and '_' may follow the 'u'"
        )
    if body.endswith("="):
        unpadded = body.rstrip("=")
        if len(body) % 4 or len(body) - len(unpadded) > 2:
            raise MalformedValueError("encodedList has wrong base64url padding (none is expected)")
    else:
        unpadded = body
    if len(unpadded) % 4 == 1:
        raise MalformedValueError("encodedList has an impossible base64url length")
    try:
        compressed = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise MalformedValueError("encodedList is not valid base64url") from None
    bits = _gunzip(compressed, max_decompressed)
    if len(bits) * 8 < min_entries:
        raise StatusListLengthError(
            f"the status list has {len(bits) * 8} entries; at least {min_entries} are required"
        )
    return bits


def _gunzip(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # GZIP wrapper only
    out = bytearray()
    pending = data
    try:
        while not decompressor.eof:
            room = limit + 1 - len(out)
            chunk = decompressor.decompress(pending, min(_DECOMPRESS_CHUNK, room))
            out += chunk
            if len(out) > limit:
                raise StatusListTooLargeError(
                    f"the status list decompresses to more than {limit} bytes"
                )
            pending = decompressor.unconsumed_tail
            if not chunk and not pending:
                break  # input exhausted before the end of the GZIP member
    except zlib.error as exc:
        raise MalformedValueError(f"encodedList is not valid GZIP data ({exc})") from None
    if not decompressor.eof:
        raise MalformedValueError("encodedList is truncated GZIP data")
    if decompressor.unused_data:
        raise MalformedValueError("encodedList has data after the end of its GZIP member")
    return bytes(out)


# --- Index allocation (statusListIndex: "SHOULD assign indexes randomly") ---------------------


def random_free_index(
    used: Container[int] | Callable[[int], bool],
    size: int,
    rng: random.Random | None = None,
) -> int:
    """A uniformly random index in ``[0, size)`` that is not ``used``.

    ``used`` is a container of allocated indexes (a ``set`` loaded once) or a predicate.
    ``rng`` defaults to ``secrets.SystemRandom()``: a predictable sequence would let anyone
    guess indexes and so the order of issuance, which random allocation exists to hide.

    Approach: up to 64 uniform draws (each hits a free slot with probability = free fraction,
    so a list under 90 % full fails all 64 with probability < 0.12 %); then a circular scan from
    a random start, which always terminates after at most ``size`` probes and is only slightly
    biased (towards slots after long used runs) — acceptable for a nearly full list, which the
    caller should replace before it gets there. Raises :class:`StatusListFullError` when no
    index is free. The predicate is called at most ``64 + size`` times.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError("size must be a positive int")
    if rng is None:
        rng = _SYSTEM_RANDOM
    is_used: Callable[[int], bool] = used if callable(used) else used.__contains__
    for _ in range(_RANDOM_ATTEMPTS):
        candidate = rng.randrange(size)
        if not is_used(candidate):
            return candidate
    start = rng.randrange(size)
    for offset in range(size):
        candidate = (start + offset) % size
        if not is_used(candidate):
            return candidate
    raise StatusListFullError(f"all {size} indexes of the status list are allocated")


# --- Documents: § BitstringStatusListEntry, § BitstringStatusListCredential -------------------


def status_entry(
    *,
    list_url: str,
    index: int,
    purpose: str,
    entry_id: str | None = None,
    status_size: int = 1,
    status_message: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """§ BitstringStatusListEntry, for a credential's ``credentialStatus``.

    ``statusListIndex`` is a base-10 string. ``id`` is optional in the spec but required by the
    OB 3.0 JSON schema, so it defaults to ``<list_url>#<index>`` (it MUST NOT equal the list
    URL). ``statusSize``/``statusMessage`` are written only when given; with ``status_size`` > 1
    (and for the ``message`` purpose) ``status_message`` must list all 2**size values.
    """
    if not isinstance(list_url, str) or not list_url:
        raise ValueError("list_url must be a non-empty URL")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError("index must be a non-negative int")
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("purpose must be a non-empty string")
    _check_status_size(status_size)
    entry_id = f"{list_url}#{index}" if entry_id is None else entry_id
    if entry_id == list_url:
        raise ValueError(
            "the entry id must not be the status list URL (§ BitstringStatusListEntry)"
        )
    entry: dict[str, Any] = {
        "id": entry_id,
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if status_size != 1:
        entry["statusSize"] = status_size
    if status_message is not None:
        entry["statusMessage"] = [dict(item) for item in status_message]
    if status_size != 1 or status_message is not None or purpose == PURPOSE_MESSAGE:
        try:
            _status_messages(entry, status_size)
        except MalformedValueError as exc:
            raise ValueError(exc.message) from None
    return entry


def status_list_credential(
    *,
    list_url: str,
    issuer: Mapping[str, Any] | str,
    purpose: str | Sequence[str],
    encoded_list: str,
    valid_from: str,
    valid_until: str | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """§ BitstringStatusListCredential, unsigned (the caller signs it: § Generate Algorithm step 5).

    Only the VC 2.0 context: it defines every status-list term. Keep ``issuer`` to a string or
    ``{"id", "name"}``-like members of that context (an OB ``Profile`` type would be an
    undefined term without the OB context). ``encoded_list`` is decoded once as a sanity
    check, so a malformed or short list is never signed.
    """
    if not isinstance(list_url, str) or not list_url:
        raise ValueError("list_url must be a non-empty URL")
    purposes = [purpose] if isinstance(purpose, str) else list(purpose)
    if not purposes or not all(isinstance(p, str) and p for p in purposes):
        raise ValueError("purpose must be one or more non-empty strings")
    if ttl_ms is not None and (
        isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms <= 0
    ):
        raise ValueError("ttl_ms must be a positive int (milliseconds)")
    decode(encoded_list)
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": LIST_TYPE,
        "statusPurpose": purpose if isinstance(purpose, str) else purposes,
        "encodedList": encoded_list,
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer if isinstance(issuer, str) else dict(issuer),
        "validFrom": valid_from,
    }
    if valid_until is not None:
        credential["validUntil"] = valid_until
    credential["credentialSubject"] = subject
    return credential


# --- § Validate Algorithm ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusResult:
    """§ Validate Algorithm steps 11–15. ``valid`` is ``status == 0``; ``message`` is the
    matching ``statusMessage`` entry, or "set"/"unset" for a one-bit entry without one
    (§ BitstringStatusListEntry, ``statusMessage``)."""

    purpose: str
    index: int
    status: int
    valid: bool
    message: str
    status_size: int = 1

    @property
    def is_set(self) -> bool:
        return self.status != 0

    def as_spec_result(self) -> dict[str, Any]:
        """The result map of § Validate Algorithm: ``status``, ``purpose``, ``valid``, and
        ``message`` for the ``message`` purpose."""
        result: dict[str, Any] = {
            "status": self.status,
            "purpose": self.purpose,
            "valid": self.valid,
        }
        if self.purpose == PURPOSE_MESSAGE:
            result["message"] = self.message
        return result


def check_entry(
    entry: Mapping[str, Any],
    list_credential: Mapping[str, Any],
    *,
    min_entries: int = MIN_ENTRIES,
    max_compressed: int = DEFAULT_MAX_COMPRESSED,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> StatusResult:
    """§ Validate Algorithm, steps 5–15, for one ``credentialStatus`` entry.

    ``list_credential`` must already be retrieved and its proof verified (step 4: the
    verification pipeline raises :class:`StatusRetrievalError` / :class:`StatusVerificationError`
    there); its validity period is also the pipeline's business. Checked here:

    - the entry (§ BitstringStatusListEntry): ``type`` ``BitstringStatusListEntry``;
      ``statusPurpose`` a non-empty string; ``statusListIndex`` a string of ASCII digits only
      (no sign, spaces, ``_`` or JSON number); ``statusSize`` an int ≥ 1, default 1;
      ``statusMessage`` well formed, and required when ``statusSize`` > 1 or the purpose is
      ``message`` → MALFORMED_VALUE_ERROR;
    - the list (§ BitstringStatusListCredential): ``type`` includes
      ``BitstringStatusListCredential``; its subject is a ``BitstringStatusList``; when the list
      has an ``id``, it equals ``statusListCredential`` (stricter than the spec's MAY: a signed
      list published under another URL is not this entry's list); the entry's purpose is one
      of the list's → STATUS_VERIFICATION_ERROR (step 5);
    - the bits (steps 8–10): :func:`decode`; fewer than ``min_entries`` entries of
      ``statusSize`` bits → STATUS_LIST_LENGTH_ERROR; index beyond the list → RANGE_ERROR.
    """
    if not isinstance(entry, Mapping):
        raise MalformedValueError("credentialStatus must be an object")
    if not _has_type(entry.get("type"), ENTRY_TYPE):
        raise MalformedValueError(f"credentialStatus type must be {ENTRY_TYPE}")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise MalformedValueError("statusPurpose must be a non-empty string")
    index = _parse_index(entry.get("statusListIndex"))
    status_size = entry.get("statusSize", 1)
    if isinstance(status_size, bool) or not isinstance(status_size, int) or status_size < 1:
        raise MalformedValueError("statusSize must be an integer greater than zero")
    if status_size > MAX_STATUS_SIZE:
        raise MalformedValueError(f"statusSize above {MAX_STATUS_SIZE} is not supported")
    messages = _status_messages(entry, status_size)
    list_url = entry.get("statusListCredential")
    if not isinstance(list_url, str) or not list_url:
        raise MalformedValueError("statusListCredential must be a URL")

    if not isinstance(list_credential, Mapping):
        raise StatusVerificationError("the status list credential is not an object")
    if not _has_type(list_credential.get("type"), LIST_CREDENTIAL_TYPE):
        raise StatusVerificationError(f"the status list credential is not a {LIST_CREDENTIAL_TYPE}")
    list_id = list_credential.get("id")
    if list_id is not None and list_id != list_url:
        raise StatusVerificationError(
            f"the status list credential's id {list_id!r} is not the entry's "
            f"statusListCredential {list_url!r}"
        )
    subject = list_credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping) or not _has_type(subject.get("type"), LIST_TYPE):
        raise StatusVerificationError(f"the status list credential's subject is not a {LIST_TYPE}")
    list_purposes = subject.get("statusPurpose")
    if isinstance(list_purposes, str):
        list_purposes = [list_purposes]
    if not isinstance(list_purposes, list) or not all(isinstance(p, str) for p in list_purposes):
        raise MalformedValueError("the status list's statusPurpose must be one or more strings")
    if purpose not in list_purposes:
        raise StatusVerificationError(
            f"the entry's statusPurpose {purpose!r} is not a purpose of the status list "
            f"({', '.join(map(repr, list_purposes)) or 'none'})"
        )

    encoded_list = subject.get("encodedList")
    if not isinstance(encoded_list, str):
        raise MalformedValueError("the status list's encodedList must be a string")
    bits = decode(
        encoded_list,
        min_entries=min_entries,
        max_compressed=max_compressed,
        max_decompressed=max_decompressed,
    )
    entries = len(bits) * 8 // status_size
    if entries < min_entries:
        raise StatusListLengthError(
            f"the status list holds {entries} entries of {status_size} bits; "
            f"at least {min_entries} are required"
        )
    if index >= entries:
        raise RangeError(f"statusListIndex {index} is outside the status list ({entries} entries)")
    status = Bitstring.from_bytes(bits).get_status(index, status_size)
    # Without statusMessage, the messages of 1 and 0 are "set" and "unset" (§ ...Entry).
    default_message = "set" if status else "unset"
    message = messages[status] if messages is not None else default_message
    return StatusResult(
        purpose=purpose,
        index=index,
        status=status,
        valid=status == 0,
        message=message,
        status_size=status_size,
    )


def _has_type(value: object, wanted: str) -> bool:
    if isinstance(value, str):
        return value == wanted
    return isinstance(value, list) and wanted in value


def _parse_index(value: object) -> int:
    if not isinstance(value, str):
        if isinstance(value, bool):
            kind = "a boolean"
        elif isinstance(value, int | float):
            kind = "a JSON number"
        else:
            kind = type(value).__name__
        raise MalformedValueError(
            f"statusListIndex must be a base-10 integer expressed as a string (got {kind})"
        )
    if not _DECIMAL.fullmatch(value):
        raise MalformedValueError(
            f"statusListIndex must contain only the digits 0-9 (got {value[:40]!r})"
        )
    digits = value.lstrip("0") or "0"
    if len(digits) > 30:  # arbitrary size is allowed, but no list is that long
        raise RangeError("statusListIndex is outside any status list")
    return int(digits)


def _status_messages(entry: Mapping[str, Any], status_size: int) -> dict[int, str] | None:
    """``statusMessage`` (§ BitstringStatusListEntry): status → message; None when absent."""
    raw = entry.get("statusMessage")
    if raw is None:
        if status_size > 1 or entry.get("statusPurpose") == PURPOSE_MESSAGE:
            raise MalformedValueError(
                "statusMessage is required when statusSize is above 1 or the purpose is message"
            )
        return None
    if not isinstance(raw, list) or len(raw) != 1 << status_size:
        raise MalformedValueError(
            f"statusMessage must be an array of {1 << status_size} entries "
            f"for statusSize {status_size}"
        )
    messages: dict[int, str] = {}
    for item in raw:
        status = item.get("status") if isinstance(item, Mapping) else None
        message = item.get("message") if isinstance(item, Mapping) else None
        if (
            not isinstance(status, str)
            or not _HEX_STATUS.fullmatch(status)
            or not isinstance(message, str)
        ):
            raise MalformedValueError(
                "each statusMessage entry needs a hexadecimal 'status' (0x…) and a 'message'"
            )
        value = int(status, 16)
        if value >= 1 << status_size or value in messages:
            raise MalformedValueError(f"statusMessage status {status} is out of range or repeated")
        messages[value] = message
    return messages
