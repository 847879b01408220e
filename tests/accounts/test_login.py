from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from microcred.accounts.models import User

LogIn = Callable[..., Any]


@pytest.mark.django_db
def test_login_page_is_public_and_asks_for_an_email(client: Client) -> None:
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    assert "E-mail address" in response.text
    assert 'autocomplete="email"' in response.text
    assert 'autocomplete="current-password"' in response.text


@pytest.mark.django_db
def test_right_password_logs_in_and_redirects_home(
    client: Client, user: User, password: str, log_in: LogIn
) -> None:
    response = log_in("ann@example.org", password)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.get(reverse("accounts:security")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(
    client: Client, user: User, log_in: LogIn
) -> None:
    response = log_in("ann@example.org", "not-the-password")

    assert response.status_code == 200
    assert "That e-mail address and password do not match an account." in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_unknown_email_gets_the_same_message(client: Client, user: User, log_in: LogIn) -> None:
    response = log_in("nobody@example.org", "whatever-password")

    assert "That e-mail address and password do not match an account." in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_email_is_case_insensitive_at_login(
    client: Client, user: User, password: str, log_in: LogIn
) -> None:
    response = log_in("  Ann@Example.ORG ", password)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2(user: User) -> None:
    user.refresh_from_db()
    assert user.password.startswith("argon2")


@pytest.mark.django_db
def test_lockout_after_five_failures_even_with_the_right_password(
    client: Client, user: User, password: str, log_in: LogIn
) -> None:
    for _ in range(5):
        log_in("ann@example.org", "not-the-password")

    response = log_in("ann@example.org", password)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert "15 minutes" in response.text
    assert reverse("accounts:password_reset") in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_lockout_counts_differently_capitalized_addresses_as_one(
    client: Client, user: User, password: str, log_in: LogIn
) -> None:
    for email in ["ann@example.org", "ANN@example.org", "Ann@Example.org", "ann@EXAMPLE.ORG"]:
        log_in(email, "not-the-password")
    assert log_in("aNN@example.org", "not-the-password").status_code == 429

    assert log_in("ann@example.org", password).status_code == 429


@pytest.mark.django_db
def test_four_failures_do_not_lock_out(
    client: Client, user: User, password: str, log_in: LogIn
) -> None:
    for _ in range(4):
        log_in("ann@example.org", "not-the-password")

    assert log_in("ann@example.org", password).status_code == 302


@pytest.mark.django_db
def test_next_is_followed_after_login(
    client: Client, user: User, password: str, log_in: LogIn
) -> None:
    response = log_in("ann@example.org", password, next_url="/accounts/security/")

    assert response["Location"] == "/accounts/security/"


@pytest.mark.django_db
def test_external_next_is_ignored(client: Client, user: User, password: str, log_in: LogIn) -> None:
    response = log_in("ann@example.org", password, next_url="https://evil.example/steal")

    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_private_pages_send_anonymous_visitors_to_login(client: Client) -> None:
    response = client.get(reverse("accounts:security"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/accounts/security/"


@pytest.mark.django_db
def test_login_page_keeps_next_in_the_form(client: Client) -> None:
    response = client.get(reverse("accounts:login"), {"next": "/accounts/security/"})

    assert 'name="next" value="/accounts/security/"' in response.text


@pytest.mark.django_db
def test_logout_needs_a_post(client: Client, user: User) -> None:
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert SESSION_KEY in client.session

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_logout_works_when_the_session_already_ended(client: Client) -> None:
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
