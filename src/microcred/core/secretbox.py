"""Encryption at rest for secrets kept in the database (signing keys).

AES-256-GCM with the installation's master key (``MICROCRED_MASTER_KEY``, 32 bytes in
base64url, or a file named by ``MICROCRED_MASTER_KEY_FILE``). Each value is bound to its row
through associated data, so a ciphertext copied into another row does not decrypt. Format:
``v1.<base64url(nonce ‖ ciphertext+tag)>``.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1."


class SecretBoxError(Exception):
    """A stored secret could not be decrypted (wrong master key, or the value was altered)."""


def decode_master_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raise ImproperlyConfigured("MICROCRED_MASTER_KEY is not base64url") from None
    if len(key) != 32:
        raise ImproperlyConfigured(
            "MICROCRED_MASTER_KEY must be 32 random bytes in base64url "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return key


def _box() -> AESGCM:
    return AESGCM(decode_master_key(settings.MASTER_KEY))


def seal(plaintext: bytes, *, context: str) -> str:
    nonce = os.urandom(12)
    sealed = _box().encrypt(nonce, plaintext, context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_sealed(value: str, *, context: str) -> bytes:
    if not value.startswith(PREFIX):
        raise SecretBoxError("unknown secret format")
    raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
    try:
        return _box().decrypt(raw[:12], raw[12:], context.encode())
    except InvalidTag:
        raise SecretBoxError("cannot decrypt: wrong master key or altered value") from None
