"""The API tokens page: owners and admins list, create (secret shown once) and revoke tokens."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.test import Client

from microcred.core.models import AuditEntry
from microcred.organizations import tokens
from microcred.organizations.models import ApiToken
from tests.conftest import World

from .helpers import audit_actions, messages_of, query_count, text, url

SECRET = re.compile(r"mc_[0-9a-f]{16}_[A-Za-z0-9_-]{40,}")


def _snapshot() -> tuple[Any, ...]:
    return (
        AuditEntry.objects.count(),
        list(ApiToken.objects.order_by("pk").values_list("pk", "name", "revoked_at")),
    )


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_create_a_token_and_see_the_secret_once(
    world: World, login: Any, role: str
) -> None:
    client = login(world.a.member(role).user)
    response = client.post(
        url("tokens", world.a.slug),
        {"name": "LMS integration", "scopes": ["issue"], "expires_in_days": "90"},
    )

    assert response.status_code == 200
    secrets_shown = SECRET.findall(text(response))
    assert len(secrets_shown) == 1
    token = ApiToken.objects.get()
    assert token.organization == world.a.organization
    assert token.scopes == ["issue"]
    assert token.expires_at is not None
    assert token.secret_hash == hashlib.sha256(secrets_shown[0].encode()).hexdigest()
    assert "no-store" in response["Cache-Control"]
    assert audit_actions(world.a.organization) == ["microcred.api_token.created"]
    # The secret authenticates, and is never shown again.
    assert tokens.authenticate(secrets_shown[0]) == token
    listing = client.get(url("tokens", world.a.slug))
    assert listing.status_code == 200
    assert "LMS integration" in text(listing)
    assert f"mc_{token.key_id}_…" in text(listing)
    assert not SECRET.search(text(listing))


def test_invalid_form_is_shown_again_with_errors(world: World, login: Any) -> None:
    client = login(world.a.owner.user)
    response = client.post(
        url("tokens", world.a.slug), {"name": "", "scopes": ["admin"], "expires_in_days": "0"}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    assert "This field is required." in text(response)
    assert "Select a valid choice." in text(response)
    assert not SECRET.search(text(response))


def test_revoke(world: World, login: Any) -> None:
    created = tokens.create_token(member=world.a.owner, name="LMS", scopes=["issue"])
    client = login(world.a.admin.user)

    response = client.post(url("token_revoke", world.a.slug, created.token.pk))

    assert response.status_code == 302
    assert response["Location"] == url("tokens", world.a.slug)
    assert messages_of(response) == ["The token “LMS” is revoked."]
    token = ApiToken.objects.get()
    assert token.revoked_at is not None
    assert token.revoked_by == world.a.admin.user
    assert "Revoked" in text(client.get(url("tokens", world.a.slug)))
    again = client.post(url("token_revoke", world.a.slug, created.token.pk))
    assert messages_of(again) == ["This token is already revoked."]
    assert audit_actions(world.a.organization)[-1] == "microcred.api_token.revoked"
    assert audit_actions(world.a.organization).count("microcred.api_token.revoked") == 1


def test_revoke_refuses_get(world: World, login: Any) -> None:
    created = tokens.create_token(member=world.a.owner, name="LMS", scopes=["issue"])
    response = login(world.a.owner.user).get(url("token_revoke", world.a.slug, created.token.pk))
    assert response.status_code == 405
    assert ApiToken.objects.get().revoked_at is None


def test_list_page_query_count_does_not_grow_with_tokens(world: World, login: Any) -> None:
    client = login(world.a.owner.user)
    path = url("tokens", world.a.slug)
    tokens.create_token(member=world.a.owner, name="one", scopes=["issue"])
    few = query_count(client, path)
    for number in range(5):
        created = tokens.create_token(member=world.a.admin, name=f"t{number}", scopes=["read"])
        tokens.revoke_token(member=world.a.owner, token=created.token)
    assert query_count(client, path) == few


def test_nav_link_only_for_owners_and_admins(world: World, login: Any) -> None:
    for role, shown in [("owner", True), ("admin", True), ("issuer", False), ("assessor", False)]:
        page = login(world.a.member(role).user).get(url("dashboard", world.a.slug))
        assert (url("tokens", world.a.slug) in text(page)) is shown, role


# -- denials ---------------------------------------------------------------------------------------


def _requests(world: World, token: ApiToken) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("get", url("tokens", world.a.slug), {}),
        ("post", url("tokens", world.a.slug), {"name": "Intruder", "scopes": ["issue"]}),
        ("post", url("token_revoke", world.a.slug, token.pk), {}),
    ]


def _send(client: Client, method: str, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data) if method == "post" else client.get(path)


@pytest.mark.parametrize("index", [0, 1, 2], ids=["GET list", "POST create", "POST revoke"])
@pytest.mark.parametrize("role", ["owner", "issuer"])
def test_member_of_the_other_organization_gets_404(
    world: World, login: Any, index: int, role: str
) -> None:
    token = tokens.create_token(member=world.a.owner, name="A's", scopes=["issue"]).token
    method, path, data = _requests(world, token)[index]
    before = _snapshot()

    response = _send(login(world.b.member(role).user), method, path, data)

    assert response.status_code == 404
    assert _snapshot() == before


def test_token_of_the_other_organization_through_own_address_gets_404(
    world: World, login: Any
) -> None:
    a_token = tokens.create_token(member=world.a.owner, name="Alpha key", scopes=["issue"]).token
    b_token = tokens.create_token(member=world.b.owner, name="Beta key", scopes=["issue"]).token
    b_owner = login(world.b.owner.user)
    before = _snapshot()

    response = b_owner.post(url("token_revoke", world.b.slug, a_token.pk))

    assert response.status_code == 404
    assert _snapshot() == before
    listing = b_owner.get(url("tokens", world.b.slug))
    assert "Beta key" in text(listing)
    assert "Alpha key" not in text(listing)
    assert b_owner.post(url("token_revoke", world.b.slug, b_token.pk)).status_code == 302


@pytest.mark.parametrize("index", [0, 1, 2], ids=["GET list", "POST create", "POST revoke"])
@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_role_without_manage_organization_gets_403(
    world: World, login: Any, index: int, role: str
) -> None:
    token = tokens.create_token(member=world.a.owner, name="A's", scopes=["issue"]).token
    method, path, data = _requests(world, token)[index]
    before = _snapshot()

    response = _send(login(world.a.member(role).user), method, path, data)

    assert response.status_code == 403
    assert f"Your role ({role.capitalize()}) does not allow this." in text(response)
    assert _snapshot() == before


@pytest.mark.parametrize("index", [0, 1, 2], ids=["GET list", "POST create", "POST revoke"])
def test_stranger_gets_404_and_anonymous_is_sent_to_log_in(
    world: World, login: Any, index: int
) -> None:
    token = tokens.create_token(member=world.a.owner, name="A's", scopes=["issue"]).token
    method, path, data = _requests(world, token)[index]
    before = _snapshot()

    assert _send(login(world.stranger), method, path, data).status_code == 404
    anonymous = _send(Client(), method, path, data)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/accounts/login/?next={path}"
    assert _snapshot() == before
