from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from microcred.accounts.models import User

LogIn = Callable[..., Any]
Code = Callable[[TOTPDevice], str]

VERIFY_URL = reverse("accounts:login_verify")


@pytest.fixture
def frozen(time_machine: time_machine.TimeMachineFixture) -> time_machine.TimeMachineFixture:
    """Time stands still unless a test shifts it (codes change every 30 s; throttling waits)."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def _start_setup(client: Client) -> TOTPDevice:
    response = client.post(reverse("accounts:totp_setup"), {"start": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:totp_setup")
    return TOTPDevice.objects.get(confirmed=False)


# --- Set-up ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_security_page_offers_set_up_when_off(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.get(reverse("accounts:security"))

    assert "Only your password protects this account." in response.text
    assert 'name="start"' in response.text


@pytest.mark.django_db
def test_set_up_page_shows_qr_code_and_secret(client: Client, user: User) -> None:
    client.force_login(user)
    device = _start_setup(client)

    response = client.get(reverse("accounts:totp_setup"))

    assert response.status_code == 200
    assert '<svg width="' in response.text
    assert "<title>QR code to scan with your authenticator app</title>" in response.text
    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in response.text
    assert not user.has_totp()


@pytest.mark.django_db
def test_set_up_page_without_a_started_set_up_goes_back(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.get(reverse("accounts:totp_setup"))

    assert response["Location"] == reverse("accounts:security")


@pytest.mark.django_db
def test_starting_again_replaces_the_unconfirmed_secret(client: Client, user: User) -> None:
    client.force_login(user)
    first = _start_setup(client)
    second = _start_setup(client)

    assert first.pk != second.pk
    assert not TOTPDevice.objects.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_confirming_with_a_wrong_code_fails_with_a_message(
    client: Client, user: User, wrong_code_for: Code
) -> None:
    client.force_login(user)
    device = _start_setup(client)

    response = client.post(reverse("accounts:totp_setup"), {"code": wrong_code_for(device)})

    assert response.status_code == 400
    assert "That code is not right." in response.text
    assert "<svg" in response.text  # the QR code stays on the page to try again
    assert not user.has_totp()


@pytest.mark.django_db
def test_confirming_with_a_malformed_code_explains_the_format(client: Client, user: User) -> None:
    client.force_login(user)
    _start_setup(client)

    response = client.post(reverse("accounts:totp_setup"), {"code": "12ab"})

    assert response.status_code == 400
    assert "Enter the 6 digits shown in your app." in response.text


@pytest.mark.django_db
def test_confirming_with_the_right_code_turns_two_factor_on(
    client: Client, user: User, code_for: Code
) -> None:
    client.force_login(user)
    device = _start_setup(client)
    code = code_for(device)

    response = client.post(reverse("accounts:totp_setup"), {"code": f"{code[:3]} {code[3:]}"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")
    assert user.has_totp()
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    page = client.get(reverse("accounts:security"))
    assert "Two-factor authentication is on." in page.text
    assert page.wsgi_request.user.is_verified()


@pytest.mark.django_db
def test_set_up_is_refused_while_two_factor_is_on(
    client: Client, user: User, device: TOTPDevice
) -> None:
    client.force_login(user)

    response = client.post(reverse("accounts:totp_setup"), {"start": "1"})

    assert response["Location"] == reverse("accounts:security")
    assert list(TOTPDevice.objects.filter(user=user)) == [device]


# --- Log in with a second step -------------------------------------------------------------


@pytest.mark.django_db
def test_login_with_two_factor_asks_for_a_code_first(
    client: Client, user: User, device: TOTPDevice, password: str, log_in: LogIn
) -> None:
    response = log_in("ann@example.org", password)

    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert SESSION_KEY not in client.session
    assert client.get(reverse("accounts:security")).status_code == 302
    page = client.get(VERIFY_URL)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text
    assert "ann@example.org" in page.text


@pytest.mark.django_db
def test_a_wrong_code_is_rejected(
    client: Client,
    user: User,
    device: TOTPDevice,
    password: str,
    log_in: LogIn,
    wrong_code_for: Code,
) -> None:
    log_in("ann@example.org", password)

    response = client.post(VERIFY_URL, {"code": wrong_code_for(device)})

    assert response.status_code == 400
    assert "That code is not right." in response.text
    assert "4 tries left" in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_the_right_code_logs_in_with_a_verified_session(
    client: Client, user: User, device: TOTPDevice, password: str, log_in: LogIn, code_for: Code
) -> None:
    log_in("ann@example.org", password)

    response = client.post(VERIFY_URL, {"code": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    following = client.get(reverse("accounts:security"))
    assert following.status_code == 200
    assert following.wsgi_request.user.is_verified()


@pytest.mark.django_db
def test_a_code_cannot_be_used_twice(
    client: Client,
    user: User,
    device: TOTPDevice,
    password: str,
    log_in: LogIn,
    code_for: Code,
    frozen: time_machine.TimeMachineFixture,
) -> None:
    code = code_for(device)
    log_in("ann@example.org", password)
    client.post(VERIFY_URL, {"code": code})
    client.post(reverse("accounts:logout"))

    log_in("ann@example.org", password)
    response = client.post(VERIFY_URL, {"code": code})

    assert response.status_code == 400
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_next_survives_both_steps(
    client: Client, user: User, device: TOTPDevice, password: str, log_in: LogIn, code_for: Code
) -> None:
    response = log_in("ann@example.org", password, next_url="/accounts/password/")

    assert response["Location"] == f"{VERIFY_URL}?next=%2Faccounts%2Fpassword%2F"
    page = client.get(response["Location"])
    assert 'name="next" value="/accounts/password/"' in page.text

    response = client.post(VERIFY_URL, {"code": code_for(device), "next": "/accounts/password/"})

    assert response["Location"] == "/accounts/password/"


@pytest.mark.django_db
def test_external_next_is_ignored_after_the_code(
    client: Client, user: User, device: TOTPDevice, password: str, log_in: LogIn, code_for: Code
) -> None:
    response = log_in("ann@example.org", password, next_url="https://evil.example")
    assert response["Location"] == VERIFY_URL

    response = client.post(f"{VERIFY_URL}?next=https://evil.example", {"code": code_for(device)})

    assert response["Location"] == reverse("home")
    assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.django_db
def test_rapid_wrong_codes_are_throttled_with_a_precise_message(
    client: Client,
    user: User,
    device: TOTPDevice,
    password: str,
    log_in: LogIn,
    code_for: Code,
    wrong_code_for: Code,
    frozen: time_machine.TimeMachineFixture,
) -> None:
    log_in("ann@example.org", password)
    client.post(VERIFY_URL, {"code": wrong_code_for(device)})

    # django-otp waits 1 s after one failure; even the right code is not checked before then.
    response = client.post(VERIFY_URL, {"code": code_for(device)})
    assert "Too many wrong codes in a row. Wait 1 second" in response.text
    assert SESSION_KEY not in client.session

    frozen.shift(1)
    response = client.post(VERIFY_URL, {"code": code_for(device)})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.django_db
def test_five_wrong_codes_end_the_pending_login(
    client: Client,
    user: User,
    device: TOTPDevice,
    password: str,
    log_in: LogIn,
    code_for: Code,
    wrong_code_for: Code,
    frozen: time_machine.TimeMachineFixture,
) -> None:
    log_in("ann@example.org", password, next_url="/accounts/password/")
    for attempt in range(4):
        response = client.post(VERIFY_URL, {"code": wrong_code_for(device)})
        assert f"{4 - attempt} {'try' if attempt == 3 else 'tries'} left" in response.text
        frozen.shift(2**attempt)  # past django-otp's back-off: 1, 2, 4, 8 s

    response = client.post(
        VERIFY_URL, {"code": wrong_code_for(device), "next": "/accounts/password/"}, follow=True
    )

    assert response.redirect_chain == [
        (f"{reverse('accounts:login')}?next=%2Faccounts%2Fpassword%2F", 302)
    ]
    assert "5 wrong codes in a row" in response.text
    frozen.shift(16)
    assert client.get(VERIFY_URL)["Location"] == reverse("accounts:login")
    # Even the right code no longer helps: the password has to be entered again.
    client.post(VERIFY_URL, {"code": code_for(device)})
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_pending_login_expires_after_five_minutes(
    client: Client,
    user: User,
    device: TOTPDevice,
    password: str,
    log_in: LogIn,
    code_for: Code,
    frozen: time_machine.TimeMachineFixture,
) -> None:
    log_in("ann@example.org", password)
    frozen.shift(5 * 60 + 1)

    response = client.post(VERIFY_URL, {"code": code_for(device)}, follow=True)

    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert "Your log-in timed out" in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_password_change_between_the_steps_voids_the_pending_login(
    client: Client, user: User, device: TOTPDevice, password: str, log_in: LogIn, code_for: Code
) -> None:
    log_in("ann@example.org", password)
    user.set_password("a-brand-new-password-1")
    user.save()

    response = client.post(VERIFY_URL, {"code": code_for(device)})

    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_code_page_without_a_password_step_goes_to_login(client: Client) -> None:
    response = client.get(VERIFY_URL, {"next": "/accounts/security/"})

    assert response["Location"] == f"{reverse('accounts:login')}?next=%2Faccounts%2Fsecurity%2F"


@pytest.mark.django_db
def test_set_up_then_log_in_again_with_the_app(
    client: Client,
    user: User,
    password: str,
    log_in: LogIn,
    code_for: Code,
    frozen: time_machine.TimeMachineFixture,
) -> None:
    log_in("ann@example.org", password)
    device = _start_setup(client)
    client.post(reverse("accounts:totp_setup"), {"code": code_for(device)})
    client.post(reverse("accounts:logout"))

    frozen.shift(30)  # the next code; the set-up code cannot be replayed
    assert log_in("ann@example.org", password)["Location"] == VERIFY_URL
    response = client.post(VERIFY_URL, {"code": code_for(device)})

    assert response["Location"] == reverse("home")
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


# --- Turning it off ------------------------------------------------------------------------


@pytest.mark.django_db
def test_turning_two_factor_off_needs_the_right_password(
    client: Client, user: User, device: TOTPDevice, password: str
) -> None:
    client.force_login(user)

    response = client.post(reverse("accounts:totp_disable"), {"password": "not-the-password"})

    assert response.status_code == 400
    assert "That password is not right." in response.text
    assert user.has_totp()

    response = client.post(reverse("accounts:totp_disable"), {"password": password})

    assert response["Location"] == reverse("accounts:security")
    assert not user.has_totp()
    assert "Only your password protects this account." in client.get(response["Location"]).text


@pytest.mark.django_db
def test_turning_off_is_post_only(client: Client, user: User, device: TOTPDevice) -> None:
    client.force_login(user)

    assert client.get(reverse("accounts:totp_disable")).status_code == 405
    assert user.has_totp()


@pytest.mark.django_db
def test_guessing_the_password_to_turn_off_two_factor_locks_out(
    client: Client, user: User, device: TOTPDevice, password: str
) -> None:
    client.force_login(user)
    for _ in range(5):
        client.post(reverse("accounts:totp_disable"), {"password": "not-the-password"})

    response = client.post(reverse("accounts:totp_disable"), {"password": password})

    assert response.status_code == 429
    assert user.has_totp()
