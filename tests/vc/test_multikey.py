"""Multikey / did:key encodings (Controlled Identifiers §2.2.2; did:key method)."""

from __future__ import annotations

import base64
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.vc import multikey
from microcred.vc.errors import KeyFormatError
from tests.vc.support import load_json

DID_KEY_VECTORS: dict[str, Any] = load_json("did-key/ed25519-x25519.json")


def test_w3c_test_key_pair_decodes() -> None:
    pair = load_json("w3c-eddsa/keyPair.json")
    secret = multikey.decode_secret_key(pair["privateKeyMultibase"])
    assert multikey.encode_public_key(secret.public_key()) == pair["publicKeyMultibase"]
    assert multikey.encode_secret_key(secret) == pair["privateKeyMultibase"]
    assert pair["publicKeyMultibase"].startswith("z6Mk")
    assert pair["privateKeyMultibase"].startswith("z3u2")
    public = multikey.decode_public_key(pair["publicKeyMultibase"])
    assert multikey.public_key_bytes(public) == multikey.public_key_bytes(secret.public_key())


@pytest.mark.parametrize("did", sorted(DID_KEY_VECTORS))
def test_did_key_vectors(did: str) -> None:
    vector = DID_KEY_VECTORS[did]
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["seed"]))
    assert multikey.did_key(key.public_key()) == did
    pair = vector["verificationKeyPair"]
    if "publicKeyBase58" in pair:
        raw = base58.b58decode(pair["publicKeyBase58"])
    else:  # the JsonWebKey2020 variant of the vectors
        raw = base64.urlsafe_b64decode(pair["publicKeyJwk"]["x"] + "=")
    assert multikey.public_key_bytes(multikey.did_key_public_key(did)) == raw
    vm = multikey.did_key_verification_method(did)
    assert vm == vector["didDocument"]["verificationMethod"][0]["id"]
    document = multikey.did_key_document(did)
    assert document["id"] == did
    assert document["assertionMethod"] == [vm]
    assert document["verificationMethod"][0]["publicKeyMultibase"] == did.removeprefix("did:key:")


@pytest.mark.parametrize(
    "value",
    [
        "6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",  # no multibase prefix
        "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",  # a secret key, not a public key
        "z6Mk0OIl",  # not base58
        "z" + base58.b58encode(b"\xed\x01" + b"\x00" * 31).decode(),  # 31 bytes
    ],
)
def test_bad_public_keys_are_rejected(value: str) -> None:
    with pytest.raises(KeyFormatError):
        multikey.decode_public_key(value)


def test_did_key_fragment_must_repeat_the_key() -> None:
    did = sorted(DID_KEY_VECTORS)[0]
    other = sorted(DID_KEY_VECTORS)[1].removeprefix("did:key:")
    with pytest.raises(KeyFormatError):
        multikey.did_key_public_key(f"{did}#{other}")
