"""JWT-secured credentials through the one verification pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.vc import jose, multikey
from microcred.vc.resolver import Resolver
from microcred.vc.verify import verify_credential
from tests.vc_ob3.test_ob3 import full_credential

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _token(profile: str = "vc-jose") -> str:
    key = Ed25519PrivateKey.generate()
    did = multikey.did_key(key.public_key())
    from microcred.vc import ob3

    credential = full_credential(issuer=ob3.Issuer(id=did, name="Example University"), status=None)
    return jose.sign_jwt(
        credential, key=key, kid=multikey.did_key_verification_method(did), profile=profile
    )


def _verify(data):
    return verify_credential(data, resolver=Resolver(fetch=None), status_lists=None, now=NOW)


def test_both_jwt_profiles_verify_bare_and_enveloped():
    for profile in ("vc-jose", "ob3"):
        token = _token(profile)
        report = _verify(token + "\n")
        assert report.verdict == "valid", [str(c) for c in report.checks]
        assert report.check("proof").message.startswith("JWS signature verified")
        assert _verify(jose.enveloped(token)).verdict == "valid"
        assert _verify(token.encode()).verdict == "valid"


def test_tampered_jwt_payload_is_invalid():
    token = _token()
    header, payload, signature = token.split(".")
    claims = json.loads(jose._b64decode(payload, "payload"))
    claims["name"] = "Forged"
    forged = ".".join([header, jose._b64encode(json.dumps(claims).encode()), signature])
    report = _verify(forged)
    assert report.verdict == "invalid"
    assert report.check("proof").outcome == "failed"


def test_jwt_with_alg_none_is_invalid():
    token = _token()
    _, payload, _ = token.split(".")
    none_header = jose._b64encode(b'{"alg":"none","kid":"x"}')
    assert _verify(f"{none_header}.{payload}.").verdict == "invalid"
