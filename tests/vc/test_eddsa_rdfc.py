"""eddsa-rdfc-2022 (vc-di-eddsa §3.2): W3C and 1EdTech vectors reproduce exactly; verification."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from microcred.vc import dataintegrity as di
from microcred.vc import multikey
from microcred.vc.multikey import base58btc_encode
from tests.vc.support import fragment_key_resolver, load_json, load_text, ob3_key, w3c_key

RDFC = "eddsa-rdfc-2022"


def _first_line(relative: str) -> str:
    return load_text(relative).strip()


def test_w3c_vector_reproduces_exactly() -> None:
    unsigned = load_json("w3c-eddsa/unsigned.json")
    config = load_json("w3c-eddsa/rdfc/proofConfigDataInt.json")
    options = {k: v for k, v in config.items() if k != "@context"}

    canonical_doc = di.canonical_document(unsigned, RDFC)
    canonical_proof = di.canonical_proof_config(options, unsigned["@context"], RDFC)
    assert canonical_doc.decode() == load_text("w3c-eddsa/rdfc/canonDocDataInt.txt")
    assert canonical_proof.decode() == load_text("w3c-eddsa/rdfc/proofCanonDataInt.txt")
    assert hashlib.sha256(canonical_doc).hexdigest() == _first_line(
        "w3c-eddsa/rdfc/docHashDataInt.txt"
    )
    assert hashlib.sha256(canonical_proof).hexdigest() == _first_line(
        "w3c-eddsa/rdfc/proofHashDataInt.txt"
    )
    data = di.hash_data(canonical_proof, canonical_doc)
    assert data.hex() == _first_line("w3c-eddsa/rdfc/combinedHashDataInt.txt")  # proof hash first
    signature = w3c_key().sign(data)
    assert signature.hex() == _first_line("w3c-eddsa/rdfc/sigHexDataInt.txt")
    assert base58btc_encode(signature) == _first_line("w3c-eddsa/rdfc/sigBTC58DataInt.txt")

    signed = di.sign(
        unsigned,
        key=w3c_key(),
        verification_method=config["verificationMethod"],
        created=config["created"],
    )
    assert signed == load_json("w3c-eddsa/rdfc/signedDataInt.json")
    assert "@context" not in signed["proof"]  # rdfc does not keep it in the emitted proof
    assert "proof" not in unsigned  # a new document is returned


def test_ob3_vector_reproduces_exactly() -> None:
    unsigned = load_json("ob3-ldp/unsigned.json")
    options = load_json("ob3-ldp/proofOptions.json")
    expected = load_json("ob3-ldp/expected.json")
    key_pair = load_json("ob3-ldp/keyPair.json")
    assert multikey.encode_public_key(ob3_key().public_key()) == key_pair["publicKeyMultibase"]

    canonical_doc = di.canonical_document(unsigned, RDFC)
    canonical_proof = di.canonical_proof_config(options, unsigned["@context"], RDFC)
    assert canonical_doc.decode() == load_text("ob3-ldp/document-canon.txt")
    assert canonical_proof.decode() == load_text("ob3-ldp/proof-canon.txt")
    assert hashlib.sha256(canonical_doc).hexdigest() == expected["documentHashHex"]
    assert hashlib.sha256(canonical_proof).hexdigest() == expected["proofHashHex"]
    data = di.hash_data(canonical_proof, canonical_doc)
    assert data.hex() == expected["dataToSignHex"]
    assert ob3_key().sign(data).hex() == expected["signatureHex"]

    signed = di.sign(
        unsigned,
        key=ob3_key(),
        verification_method=options["verificationMethod"],
        created=options["created"],
    )
    assert signed["proof"]["proofValue"] == expected["proofValue"]
    assert signed == load_json("ob3-ldp/signed.json")


@pytest.mark.parametrize(
    "relative",
    ["w3c-eddsa/rdfc/signedDataInt.json", "ob3-ldp/signed.json"],
)
def test_signed_examples_verify_and_tampered_copies_fail(relative: str) -> None:
    signed = load_json(relative)
    assert di.all_verified(di.verify(signed, resolve_key=fragment_key_resolver))

    tampered = copy.deepcopy(signed)
    tampered["name"] = tampered.get("name", "") + "!"
    [result] = di.verify(tampered, resolve_key=fragment_key_resolver)
    assert not result.ok
    assert result.error_code == "PROOF_VERIFICATION_ERROR"


@pytest.mark.parametrize(
    "name",
    ["simple.json", "simple-did-key-method.json", "simple-did-web-method.json", "complete.json"],
)
def test_1edtech_validator_fixtures_verify(name: str) -> None:
    """1EdTech's own signed fixtures (keys named by their Multikey fragment or did:key).
    ``complete.json`` has endorsements whose identical proofs sit in different named graphs."""
    results = di.verify(load_json(f"1edtech/{name}"), resolve_key=fragment_key_resolver)
    assert [r.ok for r in results] == [True], results


def test_1edtech_wrong_proof_value_fails() -> None:
    [result] = di.verify(
        load_json("1edtech/simple-err-proof-value.json"), resolve_key=fragment_key_resolver
    )
    assert not result.ok
    assert result.error_code == "PROOF_VERIFICATION_ERROR"


def test_1edtech_multiple_proofs_reports_each() -> None:
    results = di.verify(
        load_json("1edtech/simple-multiple-proofs.json"), resolve_key=fragment_key_resolver
    )
    assert [r.ok for r in results] == [False, True]
    assert results[0].error_code == "MALFORMED_PROOF_ERROR"  # a non-DI proof without a VM
    assert not di.all_verified(results)


def test_no_proof_is_not_verified() -> None:
    assert (
        di.verify(load_json("1edtech/simple-noproof.json"), resolve_key=fragment_key_resolver) == []
    )
    assert not di.all_verified([])


@pytest.mark.parametrize(
    "name",
    [
        "signedProofSet1.json",
        "signedProofSet2.json",
        "signedProofChain1.json",
        "signedProofChain2.json",
    ],
)
def test_w3c_proof_sets_and_chains_verify(name: str) -> None:
    results = di.verify(load_json(f"proof-set-chain/{name}"), resolve_key=fragment_key_resolver)
    assert results
    assert all(r.ok for r in results), results


def test_proof_chain_with_missing_previous_proof_fails() -> None:
    document = load_json("proof-set-chain/signedProofChain2.json")
    document["proof"] = [
        p for p in document["proof"] if p.get("id") != document["proof"][0].get("id")
    ]
    results = di.verify(document, resolve_key=fragment_key_resolver)
    assert not di.all_verified(results)


def _signed(**kwargs: Any) -> dict[str, Any]:
    key = w3c_key()
    did = multikey.did_key(key.public_key())
    return di.sign(
        load_json("w3c-eddsa/unsigned.json"),
        key=key,
        verification_method=multikey.did_key_verification_method(did),
        **kwargs,
    )


def test_sign_defaults_and_proof_array() -> None:
    signed = _signed(proof_as_array=True)
    assert isinstance(signed["proof"], list)
    proof = signed["proof"][0]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == RDFC
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["created"].endswith("Z")
    assert proof["proofValue"].startswith("z")
    assert di.all_verified(di.verify(signed, resolve_key=fragment_key_resolver))


def test_multiple_proofs_form_a_proof_set() -> None:
    first = _signed(created="2024-01-01T00:00:00Z")
    other_key = ob3_key()
    other_vm = multikey.did_key_verification_method(multikey.did_key(other_key.public_key()))
    both = di.sign(first, key=other_key, verification_method=other_vm, cryptosuite="eddsa-jcs-2022")
    assert len(both["proof"]) == 2
    results = di.verify(both, resolve_key=fragment_key_resolver)
    assert [r.cryptosuite for r in results] == [RDFC, "eddsa-jcs-2022"]
    assert di.all_verified(results)


def test_mismatched_purpose() -> None:
    signed = _signed(proof_purpose="authentication")
    [result] = di.verify(signed, resolve_key=fragment_key_resolver)
    assert result.error_code == "MISMATCHED_PROOF_PURPOSE_ERROR"
    [result] = di.verify(
        signed, resolve_key=fragment_key_resolver, expected_purpose="authentication"
    )
    assert result.ok


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"proofValue": "x123"}, "MALFORMED_PROOF_ERROR"),
        ({"proofValue": "z" + "1" * 20}, "MALFORMED_PROOF_ERROR"),
        ({"proofValue": 42}, "MALFORMED_PROOF_ERROR"),
        ({"verificationMethod": None}, "MALFORMED_PROOF_ERROR"),
        ({"proofPurpose": None}, "MALFORMED_PROOF_ERROR"),
        ({"type": "Ed25519Signature2020"}, "PROOF_VERIFICATION_ERROR"),
        ({"cryptosuite": "ecdsa-rdfc-2019"}, "PROOF_VERIFICATION_ERROR"),
        ({"created": "yesterday"}, "INVALID_PROOF_DATETIME"),
        ({"created": "2024-01-01T00:00:00"}, "INVALID_PROOF_DATETIME"),  # no time zone
        ({"verificationMethod": "did:key:z6MkBOGUS#z6MkBOGUS"}, "PROOF_VERIFICATION_ERROR"),
        ({"nonce": "added later"}, "PROOF_VERIFICATION_ERROR"),
    ],
)
def test_malformed_or_altered_proofs_are_rejected(change: dict[str, Any], code: str) -> None:
    signed = _signed()
    for key, value in change.items():
        if value is None:
            del signed["proof"][key]
        else:
            signed["proof"][key] = value
    [result] = di.verify(signed, resolve_key=fragment_key_resolver)
    assert not result.ok
    assert result.error_code == code, result


def test_proof_that_is_not_an_object() -> None:
    signed = _signed()
    signed["proof"] = "zabc"
    [result] = di.verify(signed, resolve_key=fragment_key_resolver)
    assert result.error_code == "MALFORMED_PROOF_ERROR"


def test_domain_and_challenge() -> None:
    signed = _signed(extra_options={"domain": "example.org", "challenge": "c-1"})
    assert di.all_verified(
        di.verify(signed, resolve_key=fragment_key_resolver, domain="example.org", challenge="c-1")
    )
    [result] = di.verify(signed, resolve_key=fragment_key_resolver, domain="evil.example")
    assert result.error_code == "INVALID_DOMAIN_ERROR"
    [result] = di.verify(signed, resolve_key=fragment_key_resolver, challenge="c-2")
    assert result.error_code == "INVALID_CHALLENGE_ERROR"


def test_signing_an_undefined_term_fails() -> None:
    document = load_json("ob3-ldp/unsigned.json")
    document["favouriteColour"] = "blue"
    with pytest.raises(Exception, match="favouriteColour") as info:
        di.sign(document, key=ob3_key(), verification_method="did:key:z6Mk#z6Mk")
    assert info.value.code == "PARSING_ERROR"  # type: ignore[attr-defined]


def test_sign_rejects_bad_options() -> None:
    from microcred.vc.errors import InvalidProofConfigurationError, InvalidProofDatetimeError

    document = load_json("w3c-eddsa/unsigned.json")
    with pytest.raises(InvalidProofConfigurationError):
        di.sign(document, key=w3c_key(), verification_method="did:x:y", cryptosuite="rsa-2000")
    with pytest.raises(InvalidProofDatetimeError):
        di.sign(document, key=w3c_key(), verification_method="did:x:y", created="now")
