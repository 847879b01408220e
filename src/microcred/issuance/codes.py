"""Short human verification codes: Crockford base32 with a check character.

A code is 9 random symbols (45 bits) plus one check symbol computed with the Luhn mod N
algorithm over the 32-symbol alphabet, shown as ``XXXXX-XXXXX``. The check symbol catches
every single-symbol typo before the database is asked, and every swap of two adjacent distinct
symbols but one: like ``09`` <-> ``90`` in decimal Luhn, ``0Z`` <-> ``Z0`` (the first and last
symbols) keeps the check, so 990 of the 992 ordered pairs of distinct symbols are caught.
Crockford's decoding rules apply on input: case-insensitive, ``O`` reads as ``0``, ``I`` and
``L`` read as ``1``, and hyphens and spaces are ignored.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
PAYLOAD_LENGTH = 9
LENGTH = PAYLOAD_LENGTH + 1


class InvalidCode(ValueError):  # noqa: N818
    """A code that cannot be one of ours; the message says why, for the person typing it."""


def check_symbol(payload: str) -> str:
    """Luhn mod 32 check symbol for ``payload`` (already normalized)."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for symbol in reversed(payload):
        addend = factor * _VALUE[symbol]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def generate() -> str:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
    return payload + check_symbol(payload)


def normalize(text: str) -> str:
    """The canonical 10-symbol form of what a person typed, or InvalidCode with the reason."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_ALIASES)
    if not cleaned:
        raise InvalidCode("Enter a verification code.")
    bad = sorted({symbol for symbol in cleaned if symbol not in _VALUE})
    if bad:
        raise InvalidCode(
            f"A verification code only uses the digits 0–9 and the letters A–Z except I, L, O and U; "
            f"“{''.join(bad)}” is not one of them."
        )
    if len(cleaned) != LENGTH:
        raise InvalidCode(
            f"A verification code has {LENGTH} characters; this one has {len(cleaned)}."
        )
    if check_symbol(cleaned[:-1]) != cleaned[-1]:
        raise InvalidCode(
            "This code looks mistyped: its check character does not match. Please check it again."
        )
    return cleaned


def display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"
