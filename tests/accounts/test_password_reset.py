from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from microcred.accounts import services
from microcred.accounts.models import User
from microcred.core.models import AuditEntry

LogIn = Callable[..., Any]
NEW_PASSWORD = "amber-lantern-4412"


def _link_in_last_mail() -> str:
    match = re.search(r"https?://\S+/accounts/reset/\S+/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def _set_password_through(client: Client, link: str, password: str) -> Any:
    """Open an e-mailed link and choose a password, as a person would."""
    response = client.get(urlsplit(link).path)
    assert response.status_code == 302  # the token moves into the session, out of the URL
    set_password_url = response["Location"]
    assert set_password_url.endswith("/set-password/")
    return client.post(set_password_url, {"new_password1": password, "new_password2": password})


@pytest.mark.django_db
def test_password_reset_end_to_end(
    client: Client, user: User, password: str, log_in: LogIn
) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "Ann@Example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.org"]
    assert message.subject == "Reset your microcred password"
    link = _link_in_last_mail()
    assert link.startswith(settings.PUBLIC_URL + "/accounts/reset/")

    response = _set_password_through(client, link, NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert "Your password is saved" in client.get(response["Location"]).text
    assert SESSION_KEY not in client.session  # a reset never logs in by itself
    assert (
        AuditEntry.objects.filter(action="microcred.user.password_reset", actor=user).count() == 1
    )
    assert log_in("ann@example.org", password).status_code == 200
    assert log_in("ann@example.org", NEW_PASSWORD).status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.django_db
def test_a_reset_link_works_only_once(client: Client, user: User) -> None:
    client.post(reverse("accounts:password_reset"), {"email": "ann@example.org"})
    link = _link_in_last_mail()
    _set_password_through(client, link, NEW_PASSWORD)

    response = client.get(urlsplit(link).path)

    assert response.status_code == 200
    assert "This link no longer works" in response.text
    assert reverse("accounts:password_reset") in response.text


@pytest.mark.django_db
def test_unknown_email_gets_the_same_page_and_no_mail(client: Client, user: User) -> None:
    response = client.post(
        reverse("accounts:password_reset"), {"email": "nobody@example.org"}, follow=True
    )

    assert response.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert "Check your e-mail" in response.text
    assert mail.outbox == []


@pytest.mark.django_db
def test_weak_new_password_is_refused(client: Client, user: User, password: str) -> None:
    client.post(reverse("accounts:password_reset"), {"email": "ann@example.org"})

    response = _set_password_through(client, _link_in_last_mail(), "password1")

    assert response.status_code == 200
    assert "This password is too short" in response.text
    user.refresh_from_db()
    assert user.check_password(password)


@pytest.mark.django_db
def test_invitation_link_sets_a_first_password(client: Client, log_in: LogIn) -> None:
    invited = User.objects.create_user(email="new@example.org")
    assert not invited.has_usable_password()

    response = client.get(urlsplit(services.password_set_url(invited)).path, follow=True)

    assert "Choose your password" in response.text
    assert "Set my password" in response.text
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert log_in("new@example.org", NEW_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_invited_account_that_lost_its_link_can_ask_for_a_new_one(client: Client) -> None:
    User.objects.create_user(email="new@example.org")

    client.post(reverse("accounts:password_reset"), {"email": "new@example.org"})

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Set your microcred password"
    assert "set a password" in mail.outbox[0].body


@pytest.mark.django_db
def test_deactivated_account_gets_no_reset_mail(client: Client, user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])

    client.post(reverse("accounts:password_reset"), {"email": "ann@example.org"})

    assert mail.outbox == []


@pytest.mark.django_db
def test_resetting_the_password_lifts_a_lockout(client: Client, user: User, log_in: LogIn) -> None:
    for _ in range(5):
        log_in("ann@example.org", "not-the-password")
    assert log_in("ann@example.org", NEW_PASSWORD).status_code == 429

    client.post(reverse("accounts:password_reset"), {"email": "ann@example.org"})
    _set_password_through(client, _link_in_last_mail(), NEW_PASSWORD)

    assert log_in("ann@example.org", NEW_PASSWORD).status_code == 302


def test_invitation_email_names_the_organization_and_the_link() -> None:
    body = render_to_string(
        "accounts/email/invitation.txt",
        {
            "user": SimpleNamespace(full_name="Ann Lee", email="ann@example.org"),
            "organization": SimpleNamespace(name="Acme & Sons"),
            "url": "https://microcred.example/accounts/reset/MQ/abc-123/",
        },
    )

    assert "Acme & Sons added you" in body
    assert "set your password: https://microcred.example/accounts/reset/MQ/abc-123/" in body
