"""JSON Canonicalization Scheme (RFC 8785), as used by eddsa-jcs-2022 (vc-di-eddsa §3.3).

A thin wrapper over the ``rfc8785`` package that raises the standards core's own errors.
"""

from __future__ import annotations

from typing import Any

import rfc8785

from microcred.vc.errors import ProofTransformationError


def canonicalize(value: Any) -> bytes:
    """RFC 8785 §3.2 canonical UTF-8 JSON of ``value``.

    Raises :class:`ProofTransformationError` for values JCS cannot represent (integers beyond
    ±2**53, non-finite floats, non-string keys).
    """
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ProofTransformationError(f"JSON canonicalization (RFC 8785) failed: {exc}") from None
