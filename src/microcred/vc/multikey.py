"""Multibase / Multikey encodings of Ed25519 keys and did:key identifiers.

- Controlled Identifiers 1.0 §2.2.2 (Multikey): ``publicKeyMultibase`` is ``z`` + base58-btc of
  the multicodec header ``0xed 0x01`` and the 32-byte public key (always ``z6Mk…``);
  ``secretKeyMultibase`` uses header ``0x80 0x26`` and the 32-byte seed (``z3u2…``).
- did:key method (W3C CCG): ``did:key:`` + the public key multibase; the verification method
  id is ``did:key:<mb>#<mb>``.
"""

from __future__ import annotations

from typing import Any

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from microcred.vc.errors import KeyFormatError

ED25519_PUB_HEADER = b"\xed\x01"
ED25519_PRIV_HEADER = b"\x80\x26"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"


def base58btc_encode(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def base58btc_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise KeyFormatError("expected a base58-btc multibase value (starting with 'z')")
    try:
        return base58.b58decode(text[1:].encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise KeyFormatError("not valid base58-btc") from None


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_key_seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def encode_public_key(key: Ed25519PublicKey | bytes) -> str:
    raw = key if isinstance(key, bytes) else public_key_bytes(key)
    if len(raw) != 32:
        raise KeyFormatError("an Ed25519 public key has 32 bytes")
    return base58btc_encode(ED25519_PUB_HEADER + raw)


def decode_public_key(multibase: str) -> Ed25519PublicKey:
    """An Ed25519 public key from ``publicKeyMultibase``; anything else is rejected."""
    data = base58btc_decode(multibase)
    if len(data) != 34 or not data.startswith(ED25519_PUB_HEADER):
        raise KeyFormatError("publicKeyMultibase is not an Ed25519 Multikey (z6Mk…)")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def encode_secret_key(key: Ed25519PrivateKey) -> str:
    return base58btc_encode(ED25519_PRIV_HEADER + private_key_seed(key))


def decode_secret_key(multibase: str) -> Ed25519PrivateKey:
    data = base58btc_decode(multibase)
    if len(data) != 34 or not data.startswith(ED25519_PRIV_HEADER):
        raise KeyFormatError("secretKeyMultibase is not an Ed25519 secret key (z3u2…)")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


def did_key(key: Ed25519PublicKey | bytes) -> str:
    return "did:key:" + encode_public_key(key)


def did_key_verification_method(did: str) -> str:
    return f"{did}#{did.removeprefix('did:key:')}"


def did_key_public_key(did: str) -> Ed25519PublicKey:
    """The Ed25519 key a ``did:key`` (or its verification method URL) names."""
    if not did.startswith("did:key:z"):
        raise KeyFormatError("not an Ed25519 did:key")
    identifier = did.removeprefix("did:key:").split("#", 1)
    if len(identifier) == 2 and identifier[1] != identifier[0]:
        raise KeyFormatError("a did:key verification method fragment must repeat the key")
    return decode_public_key(identifier[0])


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document of an Ed25519 did:key, shaped as @digitalbazaar/did-method-key produces it."""
    key = did_key_public_key(did)
    vm_id = did_key_verification_method(did)
    method = {
        "id": vm_id,
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": encode_public_key(key),
    }
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [method],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }
