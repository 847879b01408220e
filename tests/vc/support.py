"""Shared helpers for the standards-core tests: vector files, keys and a test key resolver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from microcred.vc import multikey

VECTORS = Path(__file__).parent / "vectors"


def load_json(relative: str) -> Any:
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


def load_text(relative: str) -> str:
    return (VECTORS / relative).read_text(encoding="utf-8")


def w3c_key() -> Ed25519PrivateKey:
    return multikey.decode_secret_key(load_json("w3c-eddsa/keyPair.json")["privateKeyMultibase"])


def ob3_key() -> Ed25519PrivateKey:
    seed_and_public = bytes.fromhex(
        load_json("ob3-ldp/keyPair.json")["secretKeyHex_seed_plus_public"]
    )
    return Ed25519PrivateKey.from_private_bytes(seed_and_public[:32])


def fragment_key_resolver(verification_method: str) -> Ed25519PublicKey:
    """Resolve ``did:key:z6Mk…`` or ``<anything>#z6Mk…`` to the Ed25519 key it names.

    The 1EdTech and OB3 vectors name their keys this way (``https://…/issuers/565049#z6Mk…``);
    real resolution (did:web, controller documents) belongs to the verification pipeline.
    """
    if verification_method.startswith("did:key:"):
        return multikey.did_key_public_key(verification_method)
    fragment = verification_method.partition("#")[2]
    return multikey.decode_public_key(fragment)
