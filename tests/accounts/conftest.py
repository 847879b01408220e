from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axes.utils import reset as reset_login_failures
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from microcred.accounts.models import User

PASSWORD = "violet-harbour-1729"


@pytest.fixture(autouse=True)
def _production_password_hashing(settings: Any) -> None:
    """Hashing is the subject here: use the configured Argon2 hashers, not the suite's fast one."""
    from microcred import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _no_login_failures(db: None) -> Iterator[None]:
    """Each test starts with no recorded failed log-ins (django-axes), whatever ran before."""
    reset_login_failures()
    yield
    reset_login_failures()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(email="ann@example.org", password=PASSWORD, full_name="Ann Lee")


@pytest.fixture
def device(user: User) -> TOTPDevice:
    """A confirmed authenticator app: two-factor is on for ``user``."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


@pytest.fixture
def code_for() -> Callable[[TOTPDevice], str]:
    """The code an authenticator app shows right now for a device."""

    def code(device: TOTPDevice) -> str:
        return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"

    return code


@pytest.fixture
def wrong_code_for(code_for: Callable[[TOTPDevice], str]) -> Callable[[TOTPDevice], str]:
    def code(device: TOTPDevice) -> str:
        return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"

    return code


@pytest.fixture
def log_in(client: Client) -> Callable[..., Any]:
    """Post the password step of the log-in form."""

    def post(email: str, password: str, next_url: str | None = None) -> Any:
        data = {"username": email, "password": password}
        if next_url is not None:
            data["next"] = next_url
        return client.post(reverse("accounts:login"), data)

    return post
