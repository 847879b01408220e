"""Compact-JWS credentials (VC-JOSE-COSE 1.0 §3.1, OB 3.0 §8.2): round trips and the forgery
set of the reliability notes ("JWT algorithm confusion", "Base64url and JSON malleability")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.vc import multikey
from microcred.vc.errors import ProofGenerationError, VCError
from microcred.vc.jose import (
    MAX_TOKEN_BYTES,
    JwtError,
    JwtParsingError,
    enveloped,
    is_compact_jws,
    sign_jwt,
    unenveloped,
    verify_jwt,
)
from microcred.vc.resolver import ResolutionError, Resolver

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
DID = multikey.did_key(KEY.public_key())
KID = multikey.did_key_verification_method(DID)
ATTACKER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(100, 132)))
ATTACKER_DID = multikey.did_key(ATTACKER_KEY.public_key())
ATTACKER_KID = multikey.did_key_verification_method(ATTACKER_DID)
RESOLVE = Resolver(fetch=None).resolve  # did:key resolves locally; no network

VALID_FROM = "2024-05-01T12:00:00Z"
VALID_UNTIL = "2029-05-01T12:00:00.5Z"


def make_credential(issuer: str = DID) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:5f7c5d7e-2f4b-4a3e-9c1e-0d6f3b8a9e21",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Hochschule Musterstadt"},
        "validFrom": VALID_FROM,
        "validUntil": VALID_UNTIL,
        "name": "Zertifikat für Datenkompetenz ✓",
        "credentialSubject": {
            "id": "did:example:learner-42",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.org/achievements/data-skills",
                "type": ["Achievement"],
                "name": "Data skills",
                "criteria": {"narrative": "Pass the exam."},
            },
        },
    }


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def forge(
    header: dict[str, Any] | bytes,
    payload: Any,
    *,
    key: Ed25519PrivateKey = KEY,
    signature: bytes | None = None,
) -> str:
    """A token over arbitrary header/payload bytes, validly signed by ``key`` unless a
    ``signature`` is given — so each check is shown to reject on its own, not by accident."""
    header_bytes = header if isinstance(header, bytes) else compact(header)
    payload_bytes = payload if isinstance(payload, bytes) else compact(payload)
    signing_input = b64(header_bytes) + "." + b64(payload_bytes)
    if signature is None:
        signature = key.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64(signature)


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


VC_HEADER = {"alg": "EdDSA", "kid": KID, "typ": "vc+jwt", "cty": "vc"}
OB3_HEADER = {"alg": "EdDSA", "kid": KID, "typ": "JWT"}


def rejected(token: str, match: str, *, code: str = "PROOF_VERIFICATION_ERROR") -> VCError:
    with pytest.raises(VCError, match=match) as caught:
        verify_jwt(token, resolve=RESOLVE)
    assert caught.value.code == code, caught.value.message
    return caught.value


# -- round trips -------------------------------------------------------------------------------


def test_vc_jose_round_trip() -> None:
    credential = make_credential()
    token = sign_jwt(credential, key=KEY, kid=KID)
    header, payload, _ = parts(token)
    assert header == VC_HEADER
    assert list(header) == ["alg", "kid", "typ", "cty"]
    assert payload == credential  # VC-JOSE-COSE: the credential *is* the payload, no vc claim
    assert is_compact_jws(token)

    result = verify_jwt(token, resolve=RESOLVE)
    assert result.profile == "vc-jose"
    assert result.credential == credential
    assert result.kid == KID
    assert result.controller == DID
    assert result.header == VC_HEADER
    assert result.claims == {}
    assert result.signed_at is None
    assert result.compromised_at is None


def test_vc_jose_is_deterministic_and_utf8() -> None:
    credential = make_credential()
    token = sign_jwt(credential, key=KEY, kid=KID)
    assert sign_jwt(credential, key=KEY, kid=KID) == token
    payload = unb64(token.split(".")[1])
    assert payload == compact(credential)
    assert "für".encode() in payload  # raw UTF-8, not \\u escapes


def test_vc_jose_with_iat() -> None:
    moment = datetime(2024, 5, 1, 12, 0, 7, 900_000, tzinfo=UTC)
    token = sign_jwt(make_credential(), key=KEY, kid=KID, issued_at=moment)
    _, payload, _ = parts(token)
    assert payload["iat"] == 1714564807
    result = verify_jwt(token, resolve=RESOLVE)
    assert result.credential == make_credential()
    assert result.claims == {"iat": 1714564807}
    assert result.signed_at == datetime(2024, 5, 1, 12, 0, 7, tzinfo=UTC)


def test_ob3_round_trip() -> None:
    credential = make_credential()
    token = sign_jwt(credential, key=KEY, kid=KID, profile="ob3")
    header, payload, _ = parts(token)
    assert header == OB3_HEADER
    claims = {
        "iss": DID,
        "jti": credential["id"],
        "nbf": 1714564800,
        "sub": "did:example:learner-42",
        "exp": 1872331200,  # validUntil ...:00.5Z truncated to whole seconds
    }
    assert payload == {**credential, **claims}
    assert list(payload)[-5:] == ["iss", "jti", "nbf", "sub", "exp"]

    result = verify_jwt(token, resolve=RESOLVE)
    assert result.profile == "ob3"
    assert result.credential == credential  # claims split off, checked, returned apart
    assert result.claims == claims
    assert result.controller == DID
    assert result.signed_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_ob3_without_optional_fields() -> None:
    credential = make_credential()
    del credential["validUntil"]
    del credential["credentialSubject"]["id"]
    credential["issuer"] = DID  # issuer as a plain URL
    token = sign_jwt(credential, key=KEY, kid=KID, profile="ob3")
    _, payload, _ = parts(token)
    assert {"iss", "jti", "nbf"} <= set(payload)
    assert "sub" not in payload
    assert "exp" not in payload
    assert verify_jwt(token, resolve=RESOLVE).credential == credential


def test_ob3_verification_without_typ() -> None:
    """OB 3.0 §8.2: typ is optional; with iss present the token is read as OB 3.0."""
    payload = json.loads(
        unb64(sign_jwt(make_credential(), key=KEY, kid=KID, profile="ob3").split(".")[1])
    )
    result = verify_jwt(forge({"alg": "EdDSA", "kid": KID}, payload), resolve=RESOLVE)
    assert result.profile == "ob3"
    assert result.credential == make_credential()


def test_verify_accepts_bytes_and_signed_embedded_proof() -> None:
    credential = make_credential()
    credential["proof"] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
    token = sign_jwt(credential, key=KEY, kid=KID, profile="ob3")
    assert verify_jwt(token.encode("ascii"), resolve=RESOLVE).credential == credential


def test_tampered_payload_fails() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    header, payload, signature = token.split(".")
    forged = json.loads(unb64(payload))
    forged["name"] = "Doctorate in everything"
    rejected(f"{header}.{b64(compact(forged))}.{signature}", "signature does not verify")
    flipped = bytearray(unb64(payload))
    flipped[10] ^= 1
    rejected(f"{header}.{b64(bytes(flipped))}.{signature}", "signature does not verify")


def test_tampered_header_fails() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    _, payload, signature = token.split(".")
    header = b64(compact({"alg": "EdDSA", "kid": KID, "typ": "JWT"}))
    rejected(f"{header}.{payload}.{signature}", "signature does not verify")


# -- the forgery set (reliability notes) -------------------------------------------------------


def test_forgery_01_alg_none() -> None:
    token = forge({"alg": "none", "typ": "vc+jwt"}, make_credential(), signature=b"")
    assert token.endswith(".")
    rejected(token, r"alg 'none' \(an unsecured JWS\) is never accepted")


def test_forgery_02_hs256_with_public_key_as_secret() -> None:
    header = {"alg": "HS256", "kid": KID, "typ": "vc+jwt"}
    signing_input = b64(compact(header)) + "." + b64(compact(make_credential()))
    secret = multikey.public_key_bytes(KEY.public_key())
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    rejected(f"{signing_input}.{b64(mac)}", r"alg 'HS256' is not accepted; only 'EdDSA'")
    secret_text = multikey.encode_public_key(KEY.public_key()).encode()
    mac = hmac.new(secret_text, signing_input.encode("ascii"), hashlib.sha256).digest()
    rejected(f"{signing_input}.{b64(mac)}", r"alg 'HS256' is not accepted")


@pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "HS512", "Ed25519", "ES256K"])
def test_forgery_02b_other_algorithm_families(alg: str) -> None:
    rejected(forge({**VC_HEADER, "alg": alg}, make_credential()), f"alg '{alg}' is not accepted")


def test_forgery_03_embedded_jwk() -> None:
    raw = multikey.public_key_bytes(ATTACKER_KEY.public_key())
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
    token = forge({**VC_HEADER, "jwk": jwk}, make_credential(), key=ATTACKER_KEY)
    rejected(token, "the jwk header is not accepted: keys are only looked up from kid")


def test_forgery_04_foreign_jku() -> None:
    header = {**VC_HEADER, "jku": "https://attacker.example/jwks.json"}
    rejected(forge(header, make_credential(), key=ATTACKER_KEY), "the jku header is not accepted")


@pytest.mark.parametrize("name", ["x5u", "x5c", "x5t", "x5t#S256"])
def test_forgery_04b_other_key_headers(name: str) -> None:
    rejected(
        forge({**VC_HEADER, name: "x"}, make_credential()), f"the {name} header is not accepted"
    )


def test_forgery_05_kid_of_another_did_key() -> None:
    """The attacker signs with their own did:key and names it in kid; the issuer stays ours."""
    token = sign_jwt(make_credential(ATTACKER_DID), key=ATTACKER_KEY, kid=ATTACKER_KID)
    header, payload, signature = token.split(".")
    forged = json.loads(unb64(payload))
    forged["issuer"]["id"] = DID
    token = forge(json.loads(unb64(header)), forged, key=ATTACKER_KEY)
    rejected(token, f"the signing key is controlled by {ATTACKER_DID}, not the issuer {DID}")
    # ... and re-pointing kid at the attacker without re-signing breaks the signature:
    original = sign_jwt(make_credential(), key=KEY, kid=KID)
    _, payload, signature = original.split(".")
    rejected(
        f"{b64(compact({**VC_HEADER, 'kid': ATTACKER_KID}))}.{payload}.{signature}",
        "signature does not verify",
    )


def test_forgery_06_crit_header() -> None:
    token = forge({**VC_HEADER, "crit": ["exp"], "exp": 1}, make_credential())
    rejected(token, r"the crit header is not supported")


@pytest.mark.parametrize("part", [0, 1, 2])
def test_forgery_07a_padding(part: int) -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID, profile="ob3")
    pieces = token.split(".")
    for candidate in (pieces[part] + "=" * (-len(pieces[part]) % 4 or 4), pieces[part] + "=="):
        forged = pieces.copy()
        forged[part] = candidate
        rejected(
            ".".join(forged),
            r"is not unpadded base64url \(character '=' is not allowed\)",
            code="PARSING_ERROR",
        )


def test_forgery_07b_standard_alphabet() -> None:
    payload = {**make_credential(), "name": "???>>>"}  # base64 with '/' and '+'
    encoded = base64.b64encode(compact(payload)).rstrip(b"=").decode()
    assert "/" in encoded or "+" in encoded
    header = b64(compact(VC_HEADER))
    signature = KEY.sign(f"{header}.{encoded}".encode())
    token = f"{header}.{encoded}.{b64(signature)}"
    rejected(token, "the payload is not unpadded base64url", code="PARSING_ERROR")


def test_forgery_07c_non_canonical_trailing_bits() -> None:
    """86 base64url characters carry 516 bits for a 512-bit signature: the 4 spare bits must be
    zero, or one signature would have 16 spellings (GHSA-hxm8-2xgr-2p9m, tink-java#82)."""
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    header, payload, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(signature[-1])
    variant = signature[:-1] + alphabet[last ^ 1]
    assert variant != signature
    assert unb64(variant) == unb64(signature)  # a lax decoder sees the same signature
    rejected(
        f"{header}.{payload}.{variant}",
        "signature is not canonical base64url",
        code="PARSING_ERROR",
    )
    # the same for the header and the payload (lengths chosen to leave spare bits)
    header_bytes = compact(VC_HEADER)
    payload_bytes = compact(make_credential())
    header_bytes += b" " * ((1 - len(header_bytes)) % 3)  # length ≡ 1 (mod 3): 4 spare bits
    payload_bytes += b" " * ((2 - len(payload_bytes)) % 3)  # length ≡ 2 (mod 3): 2 spare bits
    good = forge(header_bytes, payload_bytes)
    assert verify_jwt(good, resolve=RESOLVE).credential == make_credential()
    pieces = good.split(".")
    for index, part in ((0, "JOSE header"), (1, "payload")):
        assert len(pieces[index]) % 4 in (2, 3)
        forged = pieces.copy()
        forged[index] = pieces[index][:-1] + alphabet[alphabet.index(pieces[index][-1]) ^ 1]
        assert unb64(forged[index]) == unb64(pieces[index])
        rejected(".".join(forged), f"the {part} is not canonical base64url", code="PARSING_ERROR")


def test_forgery_07d_impossible_length() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    header, payload, signature = token.split(".")
    rejected(
        f"{header}.{payload}.{signature}AAA",
        r"signature is not base64url \(impossible length",
        code="PARSING_ERROR",
    )


@pytest.mark.parametrize(
    ("suffix", "message", "code"),
    [
        (".e30", "three base64url parts separated by '.', this has 4", "PARSING_ERROR"),
        (" ", r"character ' ' is not allowed", "PARSING_ERROR"),
        ("\n", r"character '\\n' is not allowed", "PARSING_ERROR"),
        ("AA", "signature has 64 bytes; this one has 66", "PROOF_VERIFICATION_ERROR"),
        ("%00", r"character '%' is not allowed", "PARSING_ERROR"),
    ],
)
def test_forgery_08_trailing_junk_after_signature(suffix: str, message: str, code: str) -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    rejected(token + suffix, message, code=code)


def test_forgery_09_duplicate_header_keys() -> None:
    header = f'{{"alg":"EdDSA","kid":"{KID}","typ":"vc+jwt","alg":"none"}}'.encode()
    rejected(
        forge(header, make_credential()),
        "JOSE header is not valid JSON: duplicate member name 'alg'",
        code="PARSING_ERROR",
    )


def test_forgery_10_duplicate_payload_keys() -> None:
    body = compact(make_credential())[:-1] + f',"issuer":{{"id":"{ATTACKER_DID}"}}}}'.encode()
    rejected(
        forge(VC_HEADER, body),
        "payload is not valid JSON: duplicate member name 'issuer'",
        code="PARSING_ERROR",
    )


def test_forgery_11_swapped_payload_with_valid_header() -> None:
    mine = sign_jwt(make_credential(), key=KEY, kid=KID)
    other = make_credential()
    other["credentialSubject"]["id"] = "did:example:someone-else"
    theirs = sign_jwt(other, key=KEY, kid=KID)
    header, _, signature = mine.split(".")
    rejected(
        f"{header}.{theirs.split('.')[1]}.{signature}",
        f"signature does not verify with the key {KID}",
    )


@pytest.mark.parametrize(
    ("header", "payload_extra", "message"),
    [
        ({"typ": "vp+jwt"}, {}, r"typ 'vp\+jwt' is not accepted \(only 'vc\+jwt', 'JWT' or none\)"),
        ({"typ": "jwt"}, {}, r"typ 'jwt' is not accepted"),
        ({"typ": "application/vc+ld+json+jwt"}, {}, "is not accepted"),
        ({"typ": "JWT", "cty": "vc"}, {}, "the cty header goes only with typ 'vc\\+jwt'"),
        ({"cty": "vp"}, {}, r"cty 'vp' is not accepted \(only 'vc'\)"),
        (
            {},
            {"vc": {"type": ["VerifiableCredential"]}},
            r"a vc\+jwt payload must not have a vc claim",
        ),
        ({}, {"vp": {}}, "this is a presentation, not a credential"),
    ],
)
def test_forgery_12_typ_mismatch(
    header: dict[str, Any], payload_extra: dict[str, Any], message: str
) -> None:
    rejected(forge({**VC_HEADER, **header}, {**make_credential(), **payload_extra}), message)


def test_forgery_12b_ob3_typ_without_claims() -> None:
    rejected(forge(OB3_HEADER, make_credential()), "an OB 3.0 VC-JWT must carry the iss claim")


def test_forgery_13_empty_signature() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    rejected(token.rsplit(".", 1)[0] + ".", "the signature is empty")


def test_forgery_14_63_byte_signature() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    signing_input, signature = token.rsplit(".", 1)
    short = b64(unb64(signature)[:63])
    rejected(f"{signing_input}.{short}", "signature has 64 bytes; this one has 63")
    long = b64(unb64(signature) + bytes(1))
    rejected(f"{signing_input}.{long}", "this one has 65")


def test_forgery_15_alg_with_trailing_space() -> None:
    rejected(
        forge({**VC_HEADER, "alg": "EdDSA "}, make_credential()), r"alg 'EdDSA ' is not accepted"
    )


@pytest.mark.parametrize("alg", ["eddsa", "EDDSA", "edDSA"])
def test_forgery_16_alg_case(alg: str) -> None:
    rejected(forge({**VC_HEADER, "alg": alg}, make_credential()), f"alg '{alg}' is not accepted")


@pytest.mark.parametrize(
    ("payload", "kind"),
    [([make_credential()], "an array"), ("x", "a string"), (1, "a number"), (None, "null")],
)
def test_forgery_17_payload_not_an_object(payload: Any, kind: str) -> None:
    rejected(
        forge(VC_HEADER, payload),
        f"the payload must be a JSON object, not {kind}",
        code="PARSING_ERROR",
    )


def test_forgery_18_huge_token() -> None:
    token = "eyJ" + "A" * MAX_TOKEN_BYTES + ".e30.AA"
    rejected(token, f"the limit is {MAX_TOKEN_BYTES}", code="PARSING_ERROR")
    small = sign_jwt(make_credential(), key=KEY, kid=KID)
    with pytest.raises(JwtParsingError, match="the limit is 100"):
        verify_jwt(small, resolve=RESOLVE, max_bytes=100)


def test_forgery_19_non_utf8_payload() -> None:
    body = compact(make_credential()).replace("für".encode(), "für".encode("latin-1"))
    rejected(forge(VC_HEADER, body), "the payload is not UTF-8", code="PARSING_ERROR")
    utf16 = json.dumps(make_credential()).encode("utf-16")
    rejected(forge(VC_HEADER, utf16), "the payload is not UTF-8", code="PARSING_ERROR")
    bom = b"\xef\xbb\xbf" + compact(make_credential())
    rejected(forge(VC_HEADER, bom), "payload is not valid JSON", code="PARSING_ERROR")


def _ob3_payload() -> dict[str, Any]:
    return parts(sign_jwt(make_credential(), key=KEY, kid=KID, profile="ob3"))[1]


@pytest.mark.parametrize(
    ("claim", "value", "message"),
    [
        ("iss", ATTACKER_DID, "claim iss .* does not match the credential's issuer id"),
        ("jti", "urn:uuid:other", "claim jti 'urn:uuid:other' does not match the credential's id"),
        ("nbf", 1714564801, "claim nbf 1714564801 does not match the credential's validFrom"),
        ("nbf", "1714564800", "claim nbf '1714564800' must be a NumericDate"),
        ("nbf", True, "claim nbf True must be a NumericDate"),
        (
            "sub",
            "did:example:mallory",
            "claim sub .* does not match the credential's credentialSubject.id",
        ),
        ("exp", 1872331201, "claim exp 1872331201 does not match the credential's validUntil"),
        ("exp", 4102444800, "claim exp 4102444800 does not match"),
    ],
)
def test_forgery_20_ob3_claims_mismatch(claim: str, value: Any, message: str) -> None:
    payload = {**_ob3_payload(), claim: value}
    rejected(forge(OB3_HEADER, payload), message)


@pytest.mark.parametrize("claim", ["iss", "jti", "nbf", "sub", "exp"])
def test_forgery_20b_ob3_claim_missing(claim: str) -> None:
    payload = _ob3_payload()
    del payload[claim]
    rejected(forge(OB3_HEADER, payload), f"an OB 3.0 VC-JWT must carry the {claim} claim")


def test_forgery_20c_claim_without_field() -> None:
    payload = _ob3_payload()
    del payload["validUntil"]
    rejected(
        forge(OB3_HEADER, payload), "claim exp is present but the credential has no validUntil"
    )
    payload = _ob3_payload()
    del payload["credentialSubject"]["id"]
    rejected(
        forge(OB3_HEADER, payload),
        "claim sub is present but the credential has no credentialSubject.id",
    )


def test_ob3_nbf_exact_fraction_accepted() -> None:
    payload = {**_ob3_payload(), "exp": 1872331200.5}
    assert verify_jwt(forge(OB3_HEADER, payload), resolve=RESOLVE).claims["exp"] == 1872331200.5


def test_vc_jose_conflicting_claims_rejected() -> None:
    """VC-JOSE-COSE §3.1.1 warns against iss/issuer, jti/id, sub/credentialSubject.id conflicts."""
    payload = {**make_credential(), "iss": ATTACKER_DID}
    rejected(forge(VC_HEADER, payload), "claim iss .* does not match the credential's issuer id")
    payload = {**make_credential(), "iat": "yesterday"}
    rejected(forge(VC_HEADER, payload), "claim iat 'yesterday' must be a NumericDate")


def test_vc_jose_signature_validity_is_independent_and_enforced() -> None:
    """VC-JOSE-COSE §3.1.1: nbf/exp describe the JWT, not the validity period — they may differ
    from validFrom/validUntil, and the JWT is refused outside them (RFC 7519 §4.1.4/§4.1.5)."""
    payload = {**make_credential(), "nbf": 1700000000, "exp": 1800000000}
    token = forge(VC_HEADER, payload)
    inside = datetime(2025, 1, 1, tzinfo=UTC)
    result = verify_jwt(token, resolve=RESOLVE, now=inside)
    assert result.claims == {"nbf": 1700000000, "exp": 1800000000}
    assert result.credential == make_credential()
    with pytest.raises(JwtError, match=r"the JWT expired at 2027-01-15T08:00:00\+00:00"):
        verify_jwt(token, resolve=RESOLVE, now=datetime(2027, 1, 15, 8, tzinfo=UTC))
    with pytest.raises(JwtError, match=r"the JWT is not valid before 2023-11-14T22:13:20"):
        verify_jwt(token, resolve=RESOLVE, now=datetime(2023, 1, 1, tzinfo=UTC))


def test_ob3_dates_are_not_enforced_here() -> None:
    """OB 3.0 nbf/exp are the validity period, which the pipeline reports as "expired"."""
    token = sign_jwt(make_credential(), key=KEY, kid=KID, profile="ob3")
    later = datetime(2040, 1, 1, tzinfo=UTC)
    assert verify_jwt(token, resolve=RESOLVE, now=later).profile == "ob3"


# -- further header and key checks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "this has 1"),
        ("abc", "this has 1"),
        ("a.b", "this has 2"),
        ("a.b.c.d.e", "this has 5"),
        (".e30.AA", "the JOSE header is empty"),
        ("e30..AA", "the payload is empty"),
        ("e30.e30.é", "a compact JWS is ASCII text"),
        ("!!!.e30.AA", "the JOSE header is not unpadded base64url"),
        (b64(b"not json") + ".e30.AA", "the JOSE header is not valid JSON"),
        (b64(b"[1]") + ".e30.AA", "the JOSE header must be a JSON object, not an array"),
        (b64(b'{"alg":NaN}') + ".e30.AA", "NaN is not valid JSON"),
    ],
)
def test_malformed_tokens(token: str, message: str) -> None:
    rejected(token, message, code="PARSING_ERROR")


def test_header_without_alg_or_kid() -> None:
    rejected(forge({"kid": KID, "typ": "vc+jwt"}, make_credential()), "the JOSE header has no alg")
    rejected(forge({"alg": "EdDSA", "typ": "vc+jwt"}, make_credential()), "has no kid")


@pytest.mark.parametrize(
    "kid", [DID, "https://attacker.example/keys#1", "#key-1", 7, "did:key:z6Mk #x", ""]
)
def test_kid_must_be_a_did_url(kid: Any) -> None:
    rejected(
        forge({**VC_HEADER, "kid": kid}, make_credential()), "is not a DID URL with a #fragment"
    )


def test_unknown_header_rejected() -> None:
    rejected(
        forge({**VC_HEADER, "b64": False}, make_credential()), "JOSE header 'b64' is not allowed"
    )
    rejected(
        forge({**VC_HEADER, "iss": DID}, make_credential()), "JOSE header 'iss' is not allowed"
    )


def test_kid_not_in_did_document() -> None:
    kid = f"{DID}#{ATTACKER_DID.removeprefix('did:key:')}"
    with pytest.raises(ResolutionError, match=r"not in .* DID document"):
        verify_jwt(forge({**VC_HEADER, "kid": kid}, make_credential()), resolve=RESOLVE)


def test_malformed_did_key_kid() -> None:
    with pytest.raises(VCError, match=r"base58|Multikey|did:key") as caught:
        verify_jwt(
            forge({**VC_HEADER, "kid": "did:key:z6MkBAD#z6MkBAD"}, make_credential()),
            resolve=RESOLVE,
        )
    assert caught.value.code == "INVALID_KEY"


def test_did_web_kid_without_network() -> None:
    kid = "did:web:example.org:orgs:acme#key-1"
    with pytest.raises(ResolutionError, match="network resolution is off"):
        verify_jwt(forge({**VC_HEADER, "kid": kid}, make_credential()), resolve=RESOLVE)


@dataclass(frozen=True)
class FakeKey:
    public_key: Any
    controller: str
    compromised_at: datetime | None = None


def test_non_ed25519_key_rejected() -> None:
    ec_key = generate_private_key(SECP256R1()).public_key()
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    with pytest.raises(JwtError, match="is not an Ed25519 key"):
        verify_jwt(token, resolve=lambda kid: FakeKey(ec_key, DID))
    with pytest.raises(JwtError, match="is not an Ed25519 key"):
        verify_jwt(
            token, resolve=lambda kid: FakeKey(multikey.public_key_bytes(KEY.public_key()), DID)
        )


def test_controller_must_be_issuer_and_compromise_passes_through() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID, profile="ob3")
    with pytest.raises(JwtError, match="controlled by did:web:other, not the issuer"):
        verify_jwt(token, resolve=lambda kid: FakeKey(KEY.public_key(), "did:web:other"))
    when = datetime(2025, 1, 1, tzinfo=UTC)
    result = verify_jwt(token, resolve=lambda kid: FakeKey(KEY.public_key(), DID, when))
    assert result.compromised_at == when
    assert result.signed_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_issuer_missing() -> None:
    credential = make_credential()
    del credential["issuer"]
    rejected(forge(VC_HEADER, credential), "the credential has no issuer id")


def test_payload_limits() -> None:
    deep: Any = "x"
    for _ in range(60):
        deep = [deep]
    rejected(
        forge(VC_HEADER, {**make_credential(), "deep": deep}),
        "too large or deep",
        code="PARSING_ERROR",
    )


# -- VC 1.1-style vc claim (read-only, no merging) ---------------------------------------------


def _legacy_payload() -> dict[str, Any]:
    credential = make_credential()
    return {
        "vc": credential,
        "iss": DID,
        "jti": credential["id"],
        "nbf": 1714564800,
        "sub": "did:example:learner-42",
    }


def test_vc_claim_accepted_exactly_as_signed() -> None:
    result = verify_jwt(
        forge({"alg": "EdDSA", "kid": KID, "typ": "JWT"}, _legacy_payload()), resolve=RESOLVE
    )
    assert result.profile == "vc-jwt-1.1"
    assert result.credential == make_credential()
    assert result.claims["iss"] == DID


def test_vc_claim_issuance_date_layout() -> None:
    payload = _legacy_payload()
    credential = payload["vc"]
    credential["issuanceDate"] = credential.pop("validFrom")
    credential["expirationDate"] = credential.pop("validUntil")
    payload["exp"] = 1872331200
    result = verify_jwt(forge({"alg": "EdDSA", "kid": KID}, payload), resolve=RESOLVE)
    assert result.credential["issuanceDate"] == VALID_FROM


def test_vc_claim_is_never_merged() -> None:
    """VC DM 1.1 §6.3.1 lets a decoder fill fields from claims; that would show unsigned-looking
    data as the credential's, so a credential without its own issuer is rejected."""
    payload = _legacy_payload()
    del payload["vc"]["issuer"]
    rejected(forge(OB3_HEADER, payload), "the credential has no issuer id")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Forged"}, "payload member 'name' is outside the vc claim"),
        ({"iss": ATTACKER_DID}, "claim iss .* does not match"),
        ({"vc": []}, "the vc claim must be a JSON object"),
        ({"nbf": 1}, "claim nbf 1 does not match the credential's validFrom"),
    ],
)
def test_vc_claim_rejections(change: dict[str, Any], message: str) -> None:
    rejected(forge(OB3_HEADER, {**_legacy_payload(), **change}), message)


def test_vc_claim_requires_iss() -> None:
    payload = _legacy_payload()
    del payload["iss"]
    rejected(forge(OB3_HEADER, payload), "must carry the iss claim")


def test_1edtech_fixture_layout_rejected_for_its_algorithm() -> None:
    """1EdTech's simple.jwt: {"alg":"RS256","typ":"JWT"} with a vc claim — RS256 is refused."""
    header = b64(b'{"alg":"RS256","typ":"JWT"}')
    rejected(
        f"{header}.{b64(compact(_legacy_payload()))}.{'A' * 342}", "alg 'RS256' is not accepted"
    )


# -- signing errors ----------------------------------------------------------------------------


def test_sign_rejects_kid_of_another_controller() -> None:
    with pytest.raises(ProofGenerationError, match="is not a verification method of issuer"):
        sign_jwt(make_credential(), key=KEY, kid=ATTACKER_KID)
    with pytest.raises(ProofGenerationError, match="not a DID URL"):
        sign_jwt(make_credential(), key=KEY, kid=DID)


def test_sign_rejects_claim_names_in_credential() -> None:
    with pytest.raises(ProofGenerationError, match="member named 'iss'"):
        sign_jwt({**make_credential(), "iss": DID}, key=KEY, kid=KID, profile="ob3")
    with pytest.raises(ProofGenerationError, match="member named 'vc'"):
        sign_jwt({**make_credential(), "vc": {}}, key=KEY, kid=KID)


def test_sign_rejects_bad_dates_and_keys() -> None:
    credential = {**make_credential(), "validFrom": "2024-05-01"}
    with pytest.raises(ProofGenerationError, match="validFrom '2024-05-01' is not a date-time"):
        sign_jwt(credential, key=KEY, kid=KID, profile="ob3")
    with pytest.raises(ProofGenerationError, match="Ed25519 private key"):
        sign_jwt(make_credential(), key=generate_private_key(SECP256R1()), kid=KID)  # type: ignore[arg-type]
    with pytest.raises(ProofGenerationError, match="unknown JWT profile"):
        sign_jwt(make_credential(), key=KEY, kid=KID, profile="jades")  # type: ignore[arg-type]
    with pytest.raises(ProofGenerationError, match="timezone-aware"):
        sign_jwt(make_credential(), key=KEY, kid=KID, issued_at=datetime(2024, 1, 1))  # noqa: DTZ001


# -- shape test and enveloped form -------------------------------------------------------------


def test_is_compact_jws() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    assert is_compact_jws(token)
    assert is_compact_jws("e30.e30.")  # unsecured shape still routes to verify_jwt (rejected there)
    for text in (
        "",
        "{}",
        token + "\n",
        " " + token,
        "a.b",
        "a.b.c.d",
        ".e30.AA",
        "e30..AA",
        "e30.e30.AA=",
        "e30.e+0.AA",
    ):
        assert not is_compact_jws(text), text
    assert not is_compact_jws(None)  # type: ignore[arg-type]


def test_enveloped_round_trip() -> None:
    token = sign_jwt(make_credential(), key=KEY, kid=KID)
    document = enveloped(token)
    assert document == {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": "data:application/vc+jwt," + token,
        "type": "EnvelopedVerifiableCredential",
    }
    assert unenveloped(document) == token
    assert (
        unenveloped(
            {
                **document,
                "@context": [document["@context"]],
                "type": ["EnvelopedVerifiableCredential"],
            }
        )
        == token
    )
    assert verify_jwt(unenveloped(document), resolve=RESOLVE).credential == make_credential()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Unsigned"}, "has no member 'name'"),
        ({"@context": "https://www.w3.org/2018/credentials/v1"}, "@context must start with"),
        ({"type": "VerifiableCredential"}, "type must be EnvelopedVerifiableCredential"),
        ({"id": "data:application/vc+sd-jwt,abc"}, "must be a data: URL starting with"),
        ({"id": "data:application/vc+jwt,not a jws"}, "does not hold a compact JWS"),
    ],
)
def test_unenveloped_rejections(change: dict[str, Any], message: str) -> None:
    document = {**enveloped(sign_jwt(make_credential(), key=KEY, kid=KID)), **change}
    with pytest.raises(JwtParsingError, match=message):
        unenveloped(document)
    with pytest.raises(ProofGenerationError, match="only a compact JWS"):
        enveloped("not a jws")
