"""Back-office fixtures: uploads and static files isolated from ``var/``, fast password hashing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Uploads go to a temporary directory; static files need no ``collectstatic`` run.

    The production settings use WhiteNoise's manifest storage (which fails on a missing
    manifest) and warn when ``STATIC_ROOT`` does not exist; warnings are errors here.
    """
    static_root = tmp_path / "static"
    static_root.mkdir()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Argon2 costs about half a second per account on a busy machine and ``world`` makes ten.
    # Autouse fixtures run first, so the accounts it creates use this fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield

