"""JSON Canonicalization Scheme (RFC 8785), as used by eddsa-jcs-2022 (vc-di-eddsa §3.3).

A thin wrapper over the ``rfc8785`` package that raises the standards core's own errors, with a
fast path for the common case: a value made only of ``dict`` (string keys), ``list``, ``str``,
``bool``, ``None`` and ``int`` within ±(2**53 − 1) — no floats — serializes under RFC 8785
exactly as :func:`json.dumps` (C encoder, ``ensure_ascii=False``, ``sort_keys``, compact
separators) writes it: both escape ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` and every other
U+0000–U+001F as lower-case ``\\u00xx`` and nothing else (RFC 8785 §3.2.2.2), and integers are
plain decimal. Sorting by code point equals RFC 8785's UTF-16 code unit order (§3.2.3) unless a
key holds a character at or above U+D800, so such keys take the ``rfc8785`` path, as do floats
(ECMAScript number formatting), lone surrogates (not UTF-8) and every other type.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from microcred.vc.errors import ProofTransformationError

_INT_MAX = 2**53 - 1
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _plain(value: Any) -> bool:
    """True when ``value`` holds only the types the ``json.dumps`` fast path renders exactly as
    RFC 8785 does (see the module docstring). Iterative: no recursion limit to hit."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -_INT_MAX <= item <= _INT_MAX:
                continue
            return False
        if kind is dict:
            for key in item:
                if type(key) is not str or (not key.isascii() and max(key) >= "\ud800"):
                    return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:
            return False
    return True


def canonicalize(value: Any) -> bytes:
    """RFC 8785 §3.2 canonical UTF-8 JSON of ``value``.

    Raises :class:`ProofTransformationError` for values JCS cannot represent (integers beyond
    ±2**53, non-finite floats, non-string keys).
    """
    if _plain(value):
        try:
            return _ENCODER.encode(value).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            pass  # a lone surrogate (or absurd depth): let rfc8785 give the precise error
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ProofTransformationError(f"JSON canonicalization (RFC 8785) failed: {exc}") from None
