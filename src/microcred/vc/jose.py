"""Credentials secured as compact JWS with EdDSA (Ed25519): W3C VC-JOSE-COSE and OB 3.0 VC-JWT.

Two layouts are signed and verified (standards notes §1.3 explains the tension between them):

- ``"vc-jose"`` — W3C *Securing Verifiable Credentials using JOSE and COSE* 1.0 §3.1.1: the
  JWS payload *is* the unsecured credential JSON (no ``vc`` claim, which §3.1.1 forbids), header
  ``{"alg":"EdDSA","kid":…,"typ":"vc+jwt","cty":"vc"}``; ``iat`` optionally records the signing
  time. §3.1.2 "Enveloped Verifiable Credentials": :func:`enveloped` / :func:`unenveloped`.
- ``"ob3"`` — Open Badges 3.0 §8.2 (VC-JWT proof format): header ``{"alg":"EdDSA","kid":…,
  "typ":"JWT"}`` ("Additional JOSE Headers are NOT allowed"), payload = the credential plus the
  claims ``iss`` (= ``issuer.id``), ``jti`` (= ``id``), ``nbf`` (= ``validFrom``), ``sub``
  (= ``credentialSubject.id``) and ``exp`` (= ``validUntil``); a verifier compares them.

Verification also accepts, read-only, the VC Data Model 1.1 §6.3.1 layout that 1EdTech's own
``simple.jwt`` fixture uses (profile ``"vc-jwt-1.1"``: the credential inside a ``vc`` claim),
but only in a form that cannot hide anything: the credential is returned *exactly* as signed
inside ``vc`` — JWT claims are never merged into it — every other payload member must be a
registered claim, and each claim must agree with the credential.

The JWS code (RFC 7515 compact serialization, RFC 8037 ``EdDSA``) is written here, strictly,
instead of using a JWT library, to close the known forgery classes (reliability notes, "JWT
algorithm confusion" and "Base64url and JSON malleability"):

- ``alg`` must be exactly ``"EdDSA"`` — no ``none``, no HMAC, one algorithm family for the one
  key type we resolve; the resolved key must be an Ed25519 public key.
- The key comes only from ``kid``, a DID URL resolved by the caller's resolver; ``jwk``,
  ``jku``, ``x5u``, ``x5c``, ``x5t``, ``x5t#S256`` and ``crit`` headers are rejected, as is any
  header outside ``alg``/``kid``/``typ``/``cty``.
- Base64url is RFC 7515 §2 / RFC 4648 §5 without padding and must be *canonical* (decoded and
  re-encoded to the same text), so one signature has one encoding; nothing may follow the
  signature; the signature must be 64 bytes.
- JSON is UTF-8 only (RFC 7515 §5.2), parsed with :func:`microcred.vc.jsonld.parse_json`
  (duplicate member names and ``NaN`` rejected), and both header and payload must be objects.
- The key's controller must be the credential's issuer (VC Data Model 2.0 §4.7).

Deliberate deviation: VC-JOSE-COSE §3.1.1 says header parameters that are not understood MUST
be ignored; here any header outside ``alg``/``kid``/``typ``/``cty`` is rejected (OB 3.0 §8.2
allows no additional headers either), because ignored key-bearing or ``crit``-like headers are
how the forgeries above work. Unknown payload members are not ignored either: they stay in the
returned credential, which is exactly what was signed.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from microcred.vc import jsonld
from microcred.vc.errors import ProofGenerationError, VCError

ALG: Final = "EdDSA"
TYP_VC_JOSE: Final = "vc+jwt"
TYP_OB3: Final = "JWT"
CTY_VC: Final = "vc"
MEDIA_TYPE: Final = "application/vc+jwt"
CREDENTIALS_V2: Final = "https://www.w3.org/ns/credentials/v2"
ENVELOPED_TYPE: Final = "EnvelopedVerifiableCredential"
DATA_URL_PREFIX: Final = "data:" + MEDIA_TYPE + ","
#: Largest accepted token: a maximal JSON document (jsonld.MAX_DOCUMENT_BYTES) in base64url,
#: plus room for the header and signature.
MAX_TOKEN_BYTES: Final = jsonld.MAX_DOCUMENT_BYTES * 4 // 3 + 4096

Profile = Literal["vc-jose", "ob3"]
VerifiedProfile = Literal["vc-jose", "ob3", "vc-jwt-1.1"]

_ALLOWED_HEADERS: Final = frozenset({"alg", "kid", "typ", "cty"})
_KEY_HEADERS: Final = ("jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256")
#: RFC 7519 §4.1 claims this module understands; OB 3.0 §8.2 maps five of them to fields.
_CLAIMS: Final = ("iss", "jti", "nbf", "sub", "exp", "iat")
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
_COMPACT: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_DID_URL: Final = re.compile(r"did:[a-z0-9]+:[A-Za-z0-9._:%-]+(?:/[^#?\s]*)?(?:\?[^#\s]*)?#\S+")
_SIGNATURE_BYTES: Final = 64
# XMLSCHEMA11-2 dateTimeStamp (time zone required), as VC Data Model 2.0 §4.9 quotes it.
_DATE_TIME_STAMP: Final = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


class JwtError(VCError):
    """A JWS-secured credential is malformed or does not verify."""

    code = "PROOF_VERIFICATION_ERROR"


class JwtParsingError(JwtError):
    """The token is not a well-formed compact JWS of JSON objects."""

    code = "PARSING_ERROR"


class _ResolvedKeyLike(Protocol):
    @property
    def public_key(self) -> Any: ...

    @property
    def controller(self) -> str: ...


@dataclass(frozen=True)
class JwtResult:
    """A verified token. ``credential`` is the credential without JWT claims (those are in
    ``claims``, already checked against it); ``controller`` is the key's controller, equal to
    the issuer id. ``signed_at`` is ``iat`` (else ``nbf``) for compromised-key checks, and
    ``compromised_at`` is passed through from the resolved key when it has one."""

    credential: dict[str, Any]
    header: dict[str, Any]
    kid: str
    controller: str
    profile: VerifiedProfile
    claims: dict[str, Any] = field(default_factory=dict)
    signed_at: datetime | None = None
    compromised_at: datetime | None = None


# -- encoding ----------------------------------------------------------------------------------


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str, part: str) -> bytes:
    """Canonical unpadded base64url (RFC 7515 §2): alphabet, length and zero trailing bits."""
    if not _B64URL.fullmatch(text):
        bad = next(c for c in text if not (c.isascii() and (c.isalnum() or c in "-_")))
        raise JwtParsingError(
            f"the {part} is not unpadded base64url (character {bad!r} is not allowed)"
        )
    if len(text) % 4 == 1:
        raise JwtParsingError(f"the {part} is not base64url (impossible length {len(text)})")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JwtParsingError(f"the {part} is not base64url") from None
    if _b64encode(data) != text:
        raise JwtParsingError(
            f"the {part} is not canonical base64url (unused trailing bits are not zero)"
        )
    return data


def _json_bytes(value: Mapping[str, Any]) -> bytes:
    """Deterministic JSON: keys in the given order, no whitespace, UTF-8, no NaN."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def _parse_object(data: bytes, part: str, max_bytes: int) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise JwtParsingError(f"the {part} is not UTF-8") from None
    try:
        value = jsonld.parse_json(text, max_bytes=max_bytes)
    except VCError as exc:
        raise JwtParsingError(f"the {part} is not valid JSON: {exc.message}") from None
    if not isinstance(value, dict):
        raise JwtParsingError(f"the {part} must be a JSON object, not {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def is_compact_jws(text: str) -> bool:
    """Whether ``text`` has the shape of a compact JWS (``header.payload.signature``, each
    base64url; the signature may be empty so that an unsecured JWS reaches :func:`verify_jwt`
    and is rejected there with a precise message). No surrounding whitespace; no decoding."""
    return isinstance(text, str) and _COMPACT.fullmatch(text) is not None


# -- credential fields -------------------------------------------------------------------------


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, dict) and isinstance(issuer.get("id"), str):
        return issuer["id"]
    return None


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        return subject["id"]
    return None


def _parse_datetime(value: Any, name: str, error: type[VCError]) -> datetime:
    """An XMLSCHEMA11-2 dateTimeStamp (time zone required), as VC DM 2.0 §4.9 requires."""
    if not isinstance(value, str):
        raise error(f"{name} must be a date-time string")
    if not _DATE_TIME_STAMP.fullmatch(value):
        raise error(f"{name} {value!r} is not a date-time with a time zone")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise error(f"{name} {value!r} is out of the supported date-time range") from None


def _numeric_date(moment: datetime) -> int:
    """RFC 7519 §2 NumericDate: seconds since the epoch (fractions truncated)."""
    return math.floor(moment.timestamp())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _matches_date(claim: Any, moment: datetime) -> bool:
    """``claim`` equals ``moment`` as a NumericDate: the exact time, or its whole seconds."""
    if not _is_number(claim):
        return False
    exact = moment.timestamp()
    return claim == exact or (isinstance(claim, int) and claim == _numeric_date(moment))


# -- signing -----------------------------------------------------------------------------------


def sign_jwt(
    credential: dict[str, Any],
    *,
    key: Ed25519PrivateKey,
    kid: str,
    profile: Profile = "vc-jose",
    issued_at: datetime | None = None,
) -> str:
    """Sign ``credential`` as a compact JWS with EdDSA (Ed25519, RFC 8037).

    ``profile="vc-jose"`` (VC-JOSE-COSE 1.0 §3.1.1): header ``alg``/``kid``/``typ: vc+jwt``/
    ``cty: vc``, payload the credential itself (plus ``iat`` when ``issued_at`` is given).
    ``profile="ob3"`` (OB 3.0 §8.2): header ``alg``/``kid``/``typ: JWT``, payload the credential
    plus ``iss``, ``jti``, ``nbf``, ``sub`` (if ``credentialSubject.id``) and ``exp`` (if
    ``validUntil``), and ``iat`` when ``issued_at`` is given.

    ``kid`` must be a verification method (DID URL) of the issuer: its DID is ``issuer.id``.
    Serialization is deterministic: same input, same token.
    """
    if not isinstance(credential, dict):
        raise ProofGenerationError("a credential is a JSON object")
    if not isinstance(key, Ed25519PrivateKey):
        raise ProofGenerationError("EdDSA signing needs an Ed25519 private key")
    if profile not in ("vc-jose", "ob3"):
        raise ProofGenerationError(f"unknown JWT profile {profile!r} (vc-jose or ob3)")
    issuer = issuer_id(credential)
    if issuer is None:
        raise ProofGenerationError("the credential has no issuer id")
    if not isinstance(kid, str) or not _DID_URL.fullmatch(kid):
        raise ProofGenerationError(f"kid {kid!r} is not a DID URL with a #fragment")
    if kid.split("#", 1)[0] != issuer:
        raise ProofGenerationError(f"kid {kid} is not a verification method of issuer {issuer}")
    clashing = [name for name in (*_CLAIMS, "vc", "vp") if name in credential]
    if clashing:
        raise ProofGenerationError(
            f"the credential already has a member named {clashing[0]!r}, a JWT claim name"
        )

    payload: dict[str, Any] = dict(credential)
    if profile == "vc-jose":
        header: dict[str, Any] = {"alg": ALG, "kid": kid, "typ": TYP_VC_JOSE, "cty": CTY_VC}
    else:
        header = {"alg": ALG, "kid": kid, "typ": TYP_OB3}
        payload["iss"] = issuer
        if "id" in credential:
            if not isinstance(credential["id"], str):
                raise ProofGenerationError("the credential id must be a string")
            payload["jti"] = credential["id"]
        if "validFrom" in credential:
            valid_from = _parse_datetime(credential["validFrom"], "validFrom", ProofGenerationError)
            payload["nbf"] = _numeric_date(valid_from)
        subject = _subject_id(credential)
        if subject is not None:
            payload["sub"] = subject
        if "validUntil" in credential:
            valid_until = _parse_datetime(
                credential["validUntil"], "validUntil", ProofGenerationError
            )
            payload["exp"] = _numeric_date(valid_until)
    if issued_at is not None:
        if issued_at.tzinfo is None:
            raise ProofGenerationError("issued_at must be timezone-aware")
        payload["iat"] = _numeric_date(issued_at)

    try:
        signing_input = _b64encode(_json_bytes(header)) + "." + _b64encode(_json_bytes(payload))
    except (TypeError, ValueError) as exc:
        raise ProofGenerationError(f"the credential is not serializable as JSON: {exc}") from None
    signature = key.sign(signing_input.encode("ascii"))
    return signing_input + "." + _b64encode(signature)


# -- verification ------------------------------------------------------------------------------


def _check_header(header: dict[str, Any]) -> tuple[str, str | None]:
    """Returns (kid, typ) or raises; order gives the most telling message first."""
    alg = header.get("alg")
    if "alg" not in header:
        raise JwtError("the JOSE header has no alg")
    if alg == "none":
        raise JwtError("alg 'none' (an unsecured JWS) is never accepted")
    if alg != ALG:
        raise JwtError(f"alg {alg!r} is not accepted; only 'EdDSA' (Ed25519) is")
    if "crit" in header:
        raise JwtError("the crit header is not supported (RFC 7515 §4.1.11: reject)")
    for name in _KEY_HEADERS:
        if name in header:
            raise JwtError(
                f"the {name} header is not accepted: keys are only looked up from kid "
                "in the issuer's DID document"
            )
    extra = sorted(set(header) - _ALLOWED_HEADERS)
    if extra:
        raise JwtError(f"JOSE header {extra[0]!r} is not allowed (only alg, kid, typ and cty are)")
    typ = header.get("typ")
    if "typ" in header and typ not in (TYP_VC_JOSE, TYP_OB3):
        raise JwtError(f"typ {typ!r} is not accepted (only 'vc+jwt', 'JWT' or none)")
    if "cty" in header:
        if typ != TYP_VC_JOSE:
            raise JwtError(
                "the cty header goes only with typ 'vc+jwt' (OB 3.0 §8.2 allows no other headers)"
            )
        if header["cty"] != CTY_VC:
            raise JwtError(f"cty {header['cty']!r} is not accepted (only 'vc')")
    if "kid" not in header:
        raise JwtError("the JOSE header has no kid (the key must be named by a DID URL)")
    kid = header["kid"]
    if not isinstance(kid, str) or not _DID_URL.fullmatch(kid):
        raise JwtError(f"kid {kid!r} is not a DID URL with a #fragment")
    return kid, typ


def _claims_and_credential(
    payload: dict[str, Any], typ: str | None
) -> tuple[VerifiedProfile, dict[str, Any], dict[str, Any]]:
    """Split the payload into (profile, credential, claims) per the layout it uses."""
    if "vp" in payload:
        raise JwtError("the payload has a vp claim: this is a presentation, not a credential")
    if "vc" in payload:
        if typ == TYP_VC_JOSE:
            raise JwtError(
                "a vc+jwt payload must not have a vc claim (VC-JOSE-COSE 1.0 §3.1.1); "
                "the credential itself is the payload"
            )
        credential = payload["vc"]
        if not isinstance(credential, dict):
            raise JwtError("the vc claim must be a JSON object")
        others = sorted(set(payload) - {"vc", *_CLAIMS})
        if others:
            raise JwtError(
                f"payload member {others[0]!r} is outside the vc claim; a VC 1.1-style token "
                "may only carry iss, jti, nbf, sub, exp and iat next to vc"
            )
        if "iss" not in payload:
            raise JwtError("a VC 1.1-style token (vc claim) must carry the iss claim")
        clashing = [name for name in (*_CLAIMS, "vc", "vp") if name in credential]
        if clashing:
            raise JwtError(f"the credential in the vc claim has a JWT claim {clashing[0]!r}")
        claims = {name: payload[name] for name in _CLAIMS if name in payload}
        return "vc-jwt-1.1", dict(credential), claims

    claims = {name: payload[name] for name in _CLAIMS if name in payload}
    credential = {name: value for name, value in payload.items() if name not in _CLAIMS}
    if typ == TYP_VC_JOSE or (typ is None and "iss" not in payload):
        return "vc-jose", credential, claims
    return "ob3", credential, claims


def _check_claims(
    profile: VerifiedProfile, credential: dict[str, Any], claims: dict[str, Any], now: datetime
) -> None:
    """Claims against the credential and, for VC-JOSE, the clock.

    - ``iss``/``jti``/``sub`` must never contradict ``issuer.id``/``id``/``credentialSubject.id``
      (VC-JOSE-COSE 1.0 §3.1.1 recommends avoiding conflicts; we reject them; OB 3.0 §8.2
      verification compares them).
    - OB 3.0 (and the VC 1.1 layout): ``nbf``/``exp`` *are* ``validFrom``/``validUntil``
      (``issuanceDate``/``expirationDate`` for VC 1.1) and must equal them; the validity period
      itself is judged by the verification pipeline, which reports "expired", not "invalid".
      OB 3.0 tokens must carry every claim whose field exists.
    - VC-JOSE: ``nbf``/``exp`` describe the *signature*, independent of the validity period
      (§3.1.1), so they are enforced here against ``now`` (RFC 7519 §4.1.4, §4.1.5).
    """
    issuer = issuer_id(credential)
    if issuer is None:
        raise JwtError("the credential has no issuer id")
    for name in ("nbf", "exp", "iat"):
        if name in claims and not _is_number(claims[name]):
            raise JwtError(
                f"claim {name} {claims[name]!r} must be a NumericDate (seconds since the epoch)"
            )
    legacy = profile == "vc-jwt-1.1"
    from_name = "issuanceDate" if legacy and "validFrom" not in credential else "validFrom"
    until_name = "expirationDate" if legacy and "validUntil" not in credential else "validUntil"
    field_of = {
        "iss": "issuer id",
        "jti": "id",
        "sub": "credentialSubject.id",
        "nbf": from_name,
        "exp": until_name,
    }

    expected: dict[str, Any] = {"iss": issuer}
    if "id" in credential:
        expected["jti"] = credential["id"]
    subject = _subject_id(credential)
    if subject is not None:
        expected["sub"] = subject
    for name, value in expected.items():
        if name in claims and claims[name] != value:
            raise JwtError(
                f"claim {name} {claims[name]!r} does not match the credential's "
                f"{field_of[name]} {value!r}"
            )
    for name in ("iss", "jti", "sub"):
        if name in claims and name not in expected:
            raise JwtError(f"claim {name} is present but the credential has no {field_of[name]}")

    if profile == "vc-jose":
        instant = now.timestamp()
        if "exp" in claims and instant >= claims["exp"]:
            raise JwtError(f"the JWT expired at {_render_numeric_date(claims['exp'])} (claim exp)")
        if "nbf" in claims and instant < claims["nbf"]:
            raise JwtError(
                f"the JWT is not valid before {_render_numeric_date(claims['nbf'])} (claim nbf)"
            )
        return

    dates: dict[str, datetime] = {}
    if from_name in credential:
        dates["nbf"] = _parse_datetime(credential[from_name], from_name, JwtError)
    if until_name in credential:
        dates["exp"] = _parse_datetime(credential[until_name], until_name, JwtError)
    for name, moment in dates.items():
        if name in claims and not _matches_date(claims[name], moment):
            raise JwtError(
                f"claim {name} {claims[name]!r} does not match the credential's "
                f"{field_of[name]} {credential[field_of[name]]!r}"
            )
    for name in ("nbf", "exp"):
        if name in claims and name not in dates:
            raise JwtError(f"claim {name} is present but the credential has no {field_of[name]}")
    if profile == "ob3":
        missing = [name for name in (*expected, *dates) if name not in claims]
        if missing:
            raise JwtError(
                f"an OB 3.0 VC-JWT must carry the {missing[0]} claim "
                f"(= the credential's {field_of[missing[0]]})"
            )


def _render_numeric_date(value: float) -> str:
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(value)


def _signed_at(claims: dict[str, Any]) -> datetime | None:
    for name in ("iat", "nbf"):
        if name in claims and _is_number(claims[name]):
            try:
                return datetime.fromtimestamp(claims[name], UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def verify_jwt(
    token: str | bytes,
    *,
    resolve: Callable[[str], _ResolvedKeyLike],
    max_bytes: int = MAX_TOKEN_BYTES,
    now: datetime | None = None,
) -> JwtResult:
    """Verify a compact JWS-secured credential (VC-JOSE-COSE 1.0 §3.1.1 or OB 3.0 §8.2).

    ``resolve(kid)`` returns the key (``.public_key``, ``.controller``) for the DID URL in
    ``kid`` or raises a :class:`VCError` (propagated unchanged). Raises :class:`JwtParsingError`
    (code ``PARSING_ERROR``) for a token that is not a strict compact JWS of JSON objects and
    :class:`JwtError` (``PROOF_VERIFICATION_ERROR``) for everything else. The credential's
    validity period and status are *not* judged here (the verification pipeline reports them);
    OB 3.0 ``nbf``/``exp`` must equal it. A VC-JOSE token's own ``nbf``/``exp`` (signature
    validity, VC-JOSE-COSE §3.1.1) are checked against ``now`` (default: the current time).
    """
    if isinstance(token, bytes):
        if len(token) > max_bytes:
            raise JwtParsingError(f"the token is {len(token)} bytes; the limit is {max_bytes}")
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise JwtParsingError("a compact JWS is ASCII text") from None
    if not isinstance(token, str):
        raise JwtParsingError("a compact JWS is a string")
    if len(token) > max_bytes:
        raise JwtParsingError(f"the token is {len(token)} characters; the limit is {max_bytes}")
    if not token.isascii():
        raise JwtParsingError("a compact JWS is ASCII text")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtParsingError(
            f"a compact JWS has three base64url parts separated by '.', this has {len(parts)}"
        )
    header_b64, payload_b64, signature_b64 = parts
    if not header_b64:
        raise JwtParsingError("the JOSE header is empty")
    if not payload_b64:
        raise JwtParsingError(
            "the payload is empty (detached payloads are not supported for credentials)"
        )
    header = _parse_object(_b64decode(header_b64, "JOSE header"), "JOSE header", max_bytes)
    kid, typ = _check_header(header)
    signature = _b64decode(signature_b64, "signature")
    if not signature:
        raise JwtError("the signature is empty")
    if len(signature) != _SIGNATURE_BYTES:
        raise JwtError(
            f"an EdDSA (Ed25519) signature has {_SIGNATURE_BYTES} bytes; this one has "
            f"{len(signature)}"
        )
    payload_bytes = _b64decode(payload_b64, "payload")

    key = resolve(kid)
    public_key = getattr(key, "public_key", None)
    if not isinstance(public_key, Ed25519PublicKey):
        raise JwtError(f"the key {kid} is not an Ed25519 key; alg EdDSA needs one")
    try:
        public_key.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except InvalidSignature:
        raise JwtError(f"the signature does not verify with the key {kid}") from None

    payload = _parse_object(payload_bytes, "payload", max_bytes)
    try:
        jsonld.check_document_limits(payload, jsonld=False)
    except VCError as exc:
        raise JwtParsingError(f"the payload is too large or deep: {exc.message}") from None
    profile, credential, claims = _claims_and_credential(payload, typ)
    _check_claims(profile, credential, claims, now or datetime.now(UTC))

    issuer = issuer_id(credential)
    controller = getattr(key, "controller", None)
    if controller != issuer:
        raise JwtError(f"the signing key is controlled by {controller}, not the issuer {issuer}")
    return JwtResult(
        credential=credential,
        header=header,
        kid=kid,
        controller=controller,
        profile=profile,
        claims=claims,
        signed_at=_signed_at(claims),
        compromised_at=getattr(key, "compromised_at", None),
    )


# -- enveloped credentials (VC-JOSE-COSE 1.0 §3.1.2) -------------------------------------------


def enveloped(token: str) -> dict[str, Any]:
    """The ``EnvelopedVerifiableCredential`` carrying ``token`` as a ``data:`` URL."""
    if not is_compact_jws(token):
        raise ProofGenerationError("only a compact JWS can be enveloped")
    return {
        "@context": CREDENTIALS_V2,
        "id": DATA_URL_PREFIX + token,
        "type": ENVELOPED_TYPE,
    }


def unenveloped(document: Mapping[str, Any]) -> str:
    """The compact JWS inside an ``EnvelopedVerifiableCredential`` (inverse of :func:`enveloped`).

    Strict: members are exactly ``@context`` (the VC 2.0 context, alone or first in a list),
    ``id`` (``data:application/vc+jwt,<jws>``) and ``type``; anything else would travel
    unsigned next to the token. The token is returned unverified: pass it to :func:`verify_jwt`.
    """
    if not isinstance(document, Mapping):
        raise JwtParsingError("an enveloped credential is a JSON object")
    extra = sorted(set(document) - {"@context", "id", "type"})
    if extra:
        raise JwtParsingError(f"an enveloped credential has no member {extra[0]!r} (unsigned)")
    context = document.get("@context")
    if not (
        context == CREDENTIALS_V2
        or (isinstance(context, list) and context and context[0] == CREDENTIALS_V2)
    ):
        raise JwtParsingError(
            f"an enveloped credential's @context must start with {CREDENTIALS_V2}"
        )
    kind = document.get("type")
    if kind != ENVELOPED_TYPE and kind != [ENVELOPED_TYPE]:
        raise JwtParsingError(f"the type must be {ENVELOPED_TYPE}")
    data_url = document.get("id")
    if not isinstance(data_url, str) or not data_url.startswith(DATA_URL_PREFIX):
        raise JwtParsingError(f"the id must be a data: URL starting with {DATA_URL_PREFIX!r}")
    token = data_url.removeprefix(DATA_URL_PREFIX)
    if not is_compact_jws(token):
        raise JwtParsingError("the data: URL does not hold a compact JWS")
    return token
