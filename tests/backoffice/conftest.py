"""Back-office fixtures: uploads and static files isolated from the developer's ``var/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Path) -> Iterator[None]:
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
    yield

