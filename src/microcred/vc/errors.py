"""Errors raised by the standards core. Messages are safe to show to a verifier's user."""

from __future__ import annotations


class VCError(Exception):
    """Base class. ``code`` names the failure (Data Integrity / VC-API error names where they exist)."""

    code = "VC_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ParsingError(VCError):
    code = "PARSING_ERROR"


class KeyFormatError(VCError):
    code = "INVALID_KEY"


class ContextError(VCError):
    """A JSON-LD context that is not one of the pinned, bundled contexts (never fetched)."""

    code = "CONTEXT_ERROR"


class ProofGenerationError(VCError):
    """Data Integrity 1.0 §2.3 / §4: a proof could not be created."""

    code = "PROOF_GENERATION_ERROR"


class ProofVerificationError(VCError):
    """Data Integrity 1.0 §4: a proof is malformed or does not verify."""

    code = "PROOF_VERIFICATION_ERROR"


class ProofTransformationError(VCError):
    """Data Integrity 1.0 §4: the document could not be transformed (canonicalized) for a proof."""

    code = "PROOF_TRANSFORMATION_ERROR"


class MalformedProofError(VCError):
    """Data Integrity 1.0 §2.5: a proof lacks a required property or has a malformed value."""

    code = "MALFORMED_PROOF_ERROR"


class MismatchedProofPurposeError(VCError):
    """Data Integrity 1.0 §4.3 (Verify Proof): ``proofPurpose`` is not the expected one."""

    code = "MISMATCHED_PROOF_PURPOSE_ERROR"


class InvalidProofConfigurationError(VCError):
    """vc-di-eddsa §3.2.5 / §3.3.5: proof options are not a DataIntegrityProof of this suite."""

    code = "INVALID_PROOF_CONFIGURATION"


class InvalidProofDatetimeError(VCError):
    """vc-di-eddsa §3.2.5 / §3.3.5: ``created`` is not an XMLSCHEMA11-2 dateTimeStamp."""

    code = "INVALID_PROOF_DATETIME"


class InvalidDomainError(VCError):
    """Data Integrity 1.0 §4.3: the proof's ``domain`` is not the expected one."""

    code = "INVALID_DOMAIN_ERROR"


class InvalidChallengeError(VCError):
    """Data Integrity 1.0 §4.3: the proof's ``challenge`` is not the expected one."""

    code = "INVALID_CHALLENGE_ERROR"
