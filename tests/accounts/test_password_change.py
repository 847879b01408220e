from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from microcred.accounts.models import User
from microcred.core.models import AuditEntry

NEW_PASSWORD = "amber-lantern-4412"


@pytest.mark.django_db
def test_security_page_links_to_password_change(client: Client, user: User) -> None:
    client.force_login(user)

    response = client.get(reverse("accounts:security"))

    assert reverse("accounts:password_change") in response.text


@pytest.mark.django_db
def test_password_change_keeps_this_session(client: Client, user: User, password: str) -> None:
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("accounts:password_change_done")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert "Your password is changed" in client.get(response["Location"]).text
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="microcred.user.password_changed")
    assert (entry.actor, entry.object_id) == (user, str(user.pk))


@pytest.mark.django_db
def test_password_change_needs_the_current_password(
    client: Client, user: User, password: str
) -> None:
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "wrong-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Your current password is not right." in response.text
    user.refresh_from_db()
    assert user.check_password(password)


@pytest.mark.django_db
def test_password_change_requires_login(client: Client) -> None:
    response = client.get(reverse("accounts:password_change"))

    assert response["Location"] == f"{reverse('accounts:login')}?next=/accounts/password/"
