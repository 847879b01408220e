from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """The ``world`` fixture creates ten accounts per test; Argon2 makes each cost ~0.5 s.

    These tests are about services, not passwords, so a cheap hasher keeps them quick.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
