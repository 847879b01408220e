"""Data Integrity proofs with the EdDSA cryptosuites.

Implements:

- Verifiable Credential Data Integrity 1.0 (W3C REC): §2.1 proofs and proof sets (``proof`` is
  one object or a set; a new proof is added to an existing set and signs the document without
  the other proofs, §4.2 "Add Proof Set/Chain"), §2.1.2 proof chains (``previousProof``), §4.3
  "Verify Proof" checks (required properties, expected ``proofPurpose``, optional domain and
  challenge) and the §2.5 error codes.
- Data Integrity EdDSA Cryptosuites v1.0 (W3C REC): §3.2 ``eddsa-rdfc-2022`` (RDFC-1.0
  canonical N-Quads of the document and of the proof configuration, whose ``@context`` is the
  document's and is *not* kept in the emitted proof) and §3.3 ``eddsa-jcs-2022`` (RFC 8785 JCS;
  the emitted proof *keeps* ``@context``). Hash data is SHA-256(proof configuration) followed
  by SHA-256(document) — proof hash first (§3.2.3 / §3.3.3). The signature is pure Ed25519
  (RFC 8032) over those 64 bytes; ``proofValue`` is base58-btc multibase (``z…``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from microcred.vc import jcs, jsonld
from microcred.vc.errors import (
    InvalidChallengeError,
    InvalidDomainError,
    InvalidProofConfigurationError,
    InvalidProofDatetimeError,
    KeyFormatError,
    MalformedProofError,
    MismatchedProofPurposeError,
    ProofGenerationError,
    ProofVerificationError,
    VCError,
)
from microcred.vc.multikey import base58btc_decode, base58btc_encode

EDDSA_RDFC_2022: Final = "eddsa-rdfc-2022"
EDDSA_JCS_2022: Final = "eddsa-jcs-2022"
CRYPTOSUITES: Final = (EDDSA_RDFC_2022, EDDSA_JCS_2022)
DATA_INTEGRITY_PROOF: Final = "DataIntegrityProof"

# XMLSCHEMA11-2 dateTimeStamp (time zone required), as quoted by VC Data Model 2.0 §4.9.
_DATE_TIME_STAMP = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)

KeyResolver = Callable[[str], Ed25519PublicKey]


@dataclass(frozen=True, slots=True)
class ProofResult:
    """The outcome of verifying one proof of a document (Data Integrity 1.0 §4.3 result)."""

    index: int
    ok: bool
    cryptosuite: str | None = None
    verification_method: str | None = None
    proof_purpose: str | None = None
    created: str | None = None
    error_code: str | None = None
    error_message: str | None = None


def all_verified(results: list[ProofResult]) -> bool:
    """True when there is at least one proof and every proof verified."""
    return bool(results) and all(result.ok for result in results)


# -- building blocks (exposed for the test vectors) --------------------------------------------


def _check_proof_options(options: dict[str, Any], cryptosuite: str) -> None:
    """vc-di-eddsa §3.2.5 / §3.3.5 steps 2–3: type, cryptosuite, created."""
    if options.get("type") != DATA_INTEGRITY_PROOF or options.get("cryptosuite") != cryptosuite:
        raise InvalidProofConfigurationError(
            f"proof must be a {DATA_INTEGRITY_PROOF} with cryptosuite {cryptosuite}"
        )
    for name in ("created", "expires"):
        value = options.get(name)
        if value is not None and (
            not isinstance(value, str) or _DATE_TIME_STAMP.fullmatch(value) is None
        ):
            raise InvalidProofDatetimeError(f"proof {name} {value!r} is not a dateTimeStamp")


def canonical_proof_config(
    proof_options: dict[str, Any], document_context: Any, cryptosuite: str
) -> bytes:
    """vc-di-eddsa §3.2.5 / §3.3.5 "Proof Configuration": canonical proof options.

    ``proof_options`` is the proof without ``proofValue``. For rdfc the document's
    ``@context`` is set on the configuration (§3.2.5 step 4). For jcs the options are
    canonicalized exactly as given: they already carry the ``@context`` that Create Proof
    (§3.3.1 step 2) copied from the document, and ``document_context`` is not used — so a
    proof whose ``@context`` was removed no longer verifies.
    """
    _check_proof_options(proof_options, cryptosuite)
    if cryptosuite == EDDSA_RDFC_2022:
        return _rdfc({**proof_options, "@context": document_context})
    return jcs.canonicalize(dict(proof_options))


def canonical_document(unsecured_document: dict[str, Any], cryptosuite: str) -> bytes:
    """vc-di-eddsa §3.2.3 / §3.3.3 "Transformation": the canonical unsecured document."""
    if cryptosuite == EDDSA_RDFC_2022:
        return _rdfc(unsecured_document)
    if cryptosuite == EDDSA_JCS_2022:
        jsonld.check_document_limits(unsecured_document, jsonld=False)
        return jcs.canonicalize(unsecured_document)
    raise InvalidProofConfigurationError(f"unsupported cryptosuite {cryptosuite!r}")


def hash_data(canonical_proof_config_bytes: bytes, canonical_document_bytes: bytes) -> bytes:
    """vc-di-eddsa §3.2.4 / §3.3.4 "Hashing": SHA-256(proof config) ‖ SHA-256(document)."""
    return (
        hashlib.sha256(canonical_proof_config_bytes).digest()
        + hashlib.sha256(canonical_document_bytes).digest()
    )


def _rdfc(document: dict[str, Any]) -> bytes:
    return jsonld.canonicalize(document).encode("utf-8")


def _proofs(document: dict[str, Any]) -> list[Any]:
    proof = document.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def _without_proof(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- create -----------------------------------------------------------------------------------


def sign(
    document: dict[str, Any],
    *,
    key: Ed25519PrivateKey,
    verification_method: str,
    cryptosuite: str = EDDSA_RDFC_2022,
    created: str | None = None,
    proof_purpose: str = "assertionMethod",
    proof_as_array: bool = False,
    extra_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a NEW document with a Data Integrity proof added (DI 1.0 §4.2; vc-di-eddsa §3.2.1
    / §3.3.1 "Create Proof").

    An existing ``proof`` (object or set) is kept and the new proof appended to the set; the new
    proof signs the document without the existing proofs (a proof set, not a chain). With no
    existing proof the result has ``proof: {...}`` or, with ``proof_as_array`` (what the OB3
    JSON schema requires), ``proof: [{...}]``. ``created`` defaults to now (UTC, seconds).
    ``extra_options`` adds optional proof options (``id``, ``domain``, ``challenge``,
    ``nonce``, ``expires``, ``previousProof``). Raises a :class:`VCError` subclass
    (``PROOF_GENERATION_ERROR``, ``INVALID_PROOF_CONFIGURATION``, ``PARSING_ERROR`` …).
    """
    if not isinstance(document, dict):
        raise ProofGenerationError("the document to sign must be a JSON object")
    if cryptosuite not in CRYPTOSUITES:
        raise InvalidProofConfigurationError(f"unsupported cryptosuite {cryptosuite!r}")
    if not isinstance(verification_method, str) or not verification_method:
        raise ProofGenerationError("verification_method must be a URL")
    existing = _proofs(document)
    unsecured = _without_proof(document)
    options: dict[str, Any] = {
        "type": DATA_INTEGRITY_PROOF,
        "cryptosuite": cryptosuite,
        "created": created if created is not None else _now(),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    for name, value in (extra_options or {}).items():
        if name in ("proofValue", "@context") or name in options:
            raise ProofGenerationError(f"proof option {name!r} cannot be set here")
        options[name] = value
    context = unsecured.get("@context")
    if cryptosuite == EDDSA_JCS_2022 and context is not None:
        options["@context"] = context  # §3.3.1 step 2: kept in the emitted proof
    config = canonical_proof_config(options, context, cryptosuite)
    data = hash_data(config, canonical_document(unsecured, cryptosuite))
    proof = {**options, "proofValue": base58btc_encode(key.sign(data))}
    signed = dict(document)
    if existing:
        signed["proof"] = [*existing, proof]
    else:
        signed["proof"] = [proof] if proof_as_array else proof
    return signed


# -- verify -----------------------------------------------------------------------------------


def _string(proof: dict[str, Any], name: str) -> str:
    value = proof.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedProofError(f"proof {name} is missing or not a string")
    return value


def _decode_proof_value(proof_value: str) -> bytes:
    try:
        signature = base58btc_decode(proof_value)
    except KeyFormatError:
        raise MalformedProofError("proofValue is not base58-btc multibase (z…)") from None
    if len(signature) != 64:
        raise MalformedProofError("proofValue is not a 64-byte Ed25519 signature")
    return signature


def _input_document(
    document: dict[str, Any], proof: dict[str, Any], all_proofs: list[Any]
) -> dict[str, Any]:
    """DI 1.0 §4.5 "Verify Proof Sets and Chains": the document a proof was made over."""
    unsecured = _without_proof(document)
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted):
        raise MalformedProofError("previousProof must be a string or a list of strings")
    matching = [p for p in all_proofs if isinstance(p, dict) and p.get("id") in wanted]
    if len(matching) != len(wanted):
        raise ProofVerificationError("previousProof names a proof that is not in the document")
    unsecured["proof"] = matching[0] if len(matching) == 1 else matching
    return unsecured


def verify_proof(
    document: dict[str, Any],
    proof: Any,
    *,
    resolve_key: KeyResolver,
    expected_purpose: str = "assertionMethod",
    all_proofs: list[Any] | None = None,
    domain: str | None = None,
    challenge: str | None = None,
) -> None:
    """Verify one proof (DI 1.0 §4.3; vc-di-eddsa §3.2.2 / §3.3.2). Raises on failure."""
    if not isinstance(proof, dict):
        raise MalformedProofError("proof must be a JSON object")
    proof_type = _string(proof, "type")
    verification_method = _string(proof, "verificationMethod")
    purpose = _string(proof, "proofPurpose")
    proof_value = _string(proof, "proofValue")
    if proof_type != DATA_INTEGRITY_PROOF:
        raise ProofVerificationError(f"unsupported proof type {proof_type!r}")
    cryptosuite = _string(proof, "cryptosuite")
    if cryptosuite not in CRYPTOSUITES:
        raise ProofVerificationError(f"unsupported cryptosuite {cryptosuite!r}")
    if purpose != expected_purpose:
        raise MismatchedProofPurposeError(
            f"proofPurpose is {purpose!r}, expected {expected_purpose!r}"
        )
    if domain is not None and proof.get("domain") != domain:
        raise InvalidDomainError("proof domain does not match")
    if challenge is not None and proof.get("challenge") != challenge:
        raise InvalidChallengeError("proof challenge does not match")
    signature = _decode_proof_value(proof_value)

    unsecured = _input_document(document, proof, all_proofs if all_proofs is not None else [proof])
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    if cryptosuite == EDDSA_JCS_2022 and "@context" in options:
        # §3.3.2 steps 4–5: the document's @context must start with the proof's, in order.
        proof_context = options["@context"]
        doc_context = unsecured.get("@context")
        proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
        doc_list = doc_context if isinstance(doc_context, list) else [doc_context]
        if doc_list[: len(proof_list)] != proof_list:
            raise ProofVerificationError("the proof's @context does not prefix the document's")
        unsecured["@context"] = proof_context
    config = canonical_proof_config(options, unsecured.get("@context"), cryptosuite)
    data = hash_data(config, canonical_document(unsecured, cryptosuite))

    try:
        public_key = resolve_key(verification_method)
    except VCError as exc:
        raise ProofVerificationError(
            f"verification method {verification_method} could not be resolved: {exc.message}"
        ) from None
    if not isinstance(public_key, Ed25519PublicKey):
        raise ProofVerificationError("the verification method is not an Ed25519 key")
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        raise ProofVerificationError("signature does not match the document") from None


def verify(
    document: dict[str, Any],
    *,
    resolve_key: KeyResolver,
    expected_purpose: str = "assertionMethod",
    domain: str | None = None,
    challenge: str | None = None,
) -> list[ProofResult]:
    """Verify every proof of a secured document (DI 1.0 §4.4 / §4.5). Never raises for a bad
    document or proof: each proof's outcome is reported; an empty list means "no proof".

    ``resolve_key`` maps a verification method URL to its Ed25519 public key and raises a
    :class:`VCError` when it cannot (e.g. :func:`microcred.vc.multikey.did_key_public_key`).
    Binding the key to the issuer is the caller's check (VC Data Model 2.0 §4.7).
    """
    if not isinstance(document, dict):
        return [ProofResult(0, False, error_code="PARSING_ERROR", error_message="not an object")]
    proofs = _proofs(document)
    results = []
    for index, proof in enumerate(proofs):
        fields = proof if isinstance(proof, dict) else {}
        described = {
            name: value if isinstance(value, str) else None
            for name, value in (
                ("cryptosuite", fields.get("cryptosuite")),
                ("verification_method", fields.get("verificationMethod")),
                ("proof_purpose", fields.get("proofPurpose")),
                ("created", fields.get("created")),
            )
        }
        try:
            verify_proof(
                document,
                proof,
                resolve_key=resolve_key,
                expected_purpose=expected_purpose,
                all_proofs=proofs,
                domain=domain,
                challenge=challenge,
            )
        except VCError as exc:
            results.append(
                ProofResult(
                    index, False, **described, error_code=exc.code, error_message=exc.message
                )
            )
        else:
            results.append(ProofResult(index, True, **described))
    return results
