"""eddsa-jcs-2022 (vc-di-eddsa §3.3): the W3C vector reproduces exactly; verification."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from microcred.vc import dataintegrity as di
from microcred.vc import jcs
from microcred.vc.errors import ProofTransformationError
from microcred.vc.multikey import base58btc_encode
from tests.vc.support import fragment_key_resolver, load_json, load_text, w3c_key

JCS = "eddsa-jcs-2022"


def _first_line(relative: str) -> str:
    return load_text(relative).strip()


def test_w3c_vector_reproduces_exactly() -> None:
    unsigned = load_json("w3c-eddsa/unsigned.json")
    config = load_json("w3c-eddsa/jcs/proofConfigJCS.json")
    canonical_doc = di.canonical_document(unsigned, JCS)
    canonical_proof = di.canonical_proof_config(config, unsigned["@context"], JCS)
    assert canonical_doc.decode() == _first_line("w3c-eddsa/jcs/canonDocJCS.txt")
    assert canonical_proof.decode() == _first_line("w3c-eddsa/jcs/proofCanonJCS.txt")
    assert canonical_proof == jcs.canonicalize(config)  # the proof config keeps @context
    assert config["@context"] == unsigned["@context"]
    assert hashlib.sha256(canonical_doc).hexdigest() == _first_line("w3c-eddsa/jcs/docHashJCS.txt")
    assert hashlib.sha256(canonical_proof).hexdigest() == _first_line(
        "w3c-eddsa/jcs/proofHashJCS.txt"
    )
    data = di.hash_data(canonical_proof, canonical_doc)
    assert data.hex() == _first_line("w3c-eddsa/jcs/combinedHashJCS.txt")
    signature = w3c_key().sign(data)
    assert signature.hex() == _first_line("w3c-eddsa/jcs/sigHexJCS.txt")
    assert base58btc_encode(signature) == _first_line("w3c-eddsa/jcs/sigBTC58JCS.txt")

    signed = di.sign(
        unsigned,
        key=w3c_key(),
        verification_method=config["verificationMethod"],
        created=config["created"],
        cryptosuite=JCS,
    )
    assert signed == load_json("w3c-eddsa/jcs/signedJCS.json")
    assert signed["proof"]["@context"] == unsigned["@context"]  # jcs keeps it


def test_signed_example_verifies_and_tampered_copies_fail() -> None:
    signed = load_json("w3c-eddsa/jcs/signedJCS.json")
    [result] = di.verify(signed, resolve_key=fragment_key_resolver)
    assert result.ok
    assert result.cryptosuite == JCS

    for mutate in (
        lambda d: d.__setitem__("name", "Alumni Credential!"),
        lambda d: d["credentialSubject"].__setitem__("alumniOf", "Another School"),
        lambda d: d.__setitem__("undefinedButSigned", "JCS signs the JSON"),
        lambda d: d["proof"].__setitem__("created", "2023-02-24T23:36:39Z"),
    ):
        tampered = copy.deepcopy(signed)
        mutate(tampered)
        [result] = di.verify(tampered, resolve_key=fragment_key_resolver)
        assert result.error_code == "PROOF_VERIFICATION_ERROR", result


def test_proof_context_must_prefix_document_context() -> None:
    signed = load_json("w3c-eddsa/jcs/signedJCS.json")
    signed["@context"] = list(reversed(signed["@context"]))
    [result] = di.verify(signed, resolve_key=fragment_key_resolver)
    assert result.error_code == "PROOF_VERIFICATION_ERROR"
    assert "@context" in (result.error_message or "")


def test_jcs_rejects_values_it_cannot_represent() -> None:
    unsigned = load_json("w3c-eddsa/unsigned.json")
    unsigned["credentialSubject"]["big"] = 2**60
    with pytest.raises(ProofTransformationError):
        di.sign(unsigned, key=w3c_key(), verification_method="did:x:y#z", cryptosuite=JCS)


def test_fast_path_is_byte_identical_to_rfc8785() -> None:
    """jcs.canonicalize's json.dumps fast path equals the rfc8785 package on every value it
    takes, and values it cannot take exactly (floats, keys ≥ U+D800, big ints, lone
    surrogates, tuples) still go through rfc8785 with the same result or error."""
    import random

    import rfc8785

    alphabet = ["a", "Z", "0", " ", '"', "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x00", "\x1f"]
    alphabet += ["\x7f", "é", "€", "\u2028", "\ud7ff", "\ue000", "\uffff", "😀", "𝄞"]
    rng = random.Random(3)

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))

    def value(depth: int) -> Any:
        kind = rng.randrange(9 if depth < 4 else 6)
        if kind == 0:
            return text()
        if kind == 1:
            return rng.choice([True, False, None])
        if kind == 2:
            return rng.choice([0, -1, 7, 2**53 - 1, -(2**53) + 1, 10**15])
        if kind == 3:
            return rng.choice([0.5, 1.0, 1e21, -0.0, 3.14, 1e-7])
        if kind in (4, 5):
            return text()
        if kind in (6, 7):
            return {text(): value(depth + 1) for _ in range(rng.randrange(5))}
        return [value(depth + 1) for _ in range(rng.randrange(5))]

    samples = [value(0) for _ in range(3000)]
    samples += [load_json("w3c-eddsa/unsigned.json"), load_json("ob3-typical.json")]
    samples += [{"\ue000": 1, "😀": 2, "a": 3}, ("a", 1), {"k": "\x7f\u2028"}, "😀", 2**53 - 1]
    for sample in samples:
        assert jcs.canonicalize(sample) == rfc8785.dumps(sample), sample
    for bad in ({"a": "\ud800"}, {"a": 2**53}, {1: "x"}, {"a": float("nan")}, {"a": {1, 2}}):
        with pytest.raises(ProofTransformationError):
            jcs.canonicalize(bad)
