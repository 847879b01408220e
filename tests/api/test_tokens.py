"""API tokens: creation (secret shown once, only a hash stored), revocation, expiry, bearer auth."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from microcred.core.errors import DomainError, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.organizations import keys, tokens
from microcred.organizations.models import ApiToken
from tests.conftest import World

ISSUE = "/credentials/issue"


def _call(client, secret: str, world: World):
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": keys.organization_did(world.a.organization),
        "credentialSubject": {"id": "did:example:subject"},
    }
    return client.post(
        ISSUE,
        json.dumps({"credential": credential}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_secret_is_returned_once_and_only_its_hash_is_stored(world: World) -> None:
    created = tokens.create_token(
        member=world.a.owner, name="  LMS  ", scopes=["issue", "read", "issue"]
    )

    secret = created.secret
    prefix, key_id, rest = secret.split("_", 2)
    assert prefix == "mc"
    assert key_id == created.token.key_id
    assert len(rest) >= 40  # 32 random bytes, base64url
    token = ApiToken.objects.get(pk=created.token.pk)
    assert token.name == "LMS"
    assert token.scopes == ["issue", "read"]
    assert token.organization == world.a.organization
    assert token.created_by == world.a.owner.user
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = {field.name: getattr(token, field.attname) for field in ApiToken._meta.fields}
    assert not any(rest in str(value) for value in stored.values())
    assert rest not in repr(token)
    assert token.secret_hash not in repr(token)
    # Another token gets another secret.
    assert tokens.create_token(member=world.a.owner, name="x", scopes=["read"]).secret != secret


def test_creation_and_revocation_are_audited(world: World) -> None:
    created = tokens.create_token(member=world.a.admin, name="LMS", scopes=["issue"])
    tokens.revoke_token(member=world.a.owner, token=created.token)

    entries = list(
        AuditEntry.objects.filter(organization=world.a.organization, action__contains="api_token")
        .order_by("id")
        .values_list("action", "actor_label", "data")
    )
    assert [(action, actor) for action, actor, _ in entries] == [
        ("microcred.api_token.created", "admin@org-a.test"),
        ("microcred.api_token.revoked", "owner@org-a.test"),
    ]
    assert entries[0][2]["scopes"] == ["issue"]
    assert created.secret not in json.dumps([data for _, _, data in entries])


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_only_owners_and_admins_manage_tokens(world: World, role: str) -> None:
    member = world.a.member(role)
    with pytest.raises(PermissionDenied):
        tokens.create_token(member=member, name="x", scopes=["issue"])
    token = tokens.create_token(member=world.a.owner, name="x", scopes=["issue"]).token
    with pytest.raises(PermissionDenied):
        tokens.revoke_token(member=member, token=token)
    with pytest.raises(PermissionDenied):
        tokens.tokens_of(member)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_tokens_of_another_organization_are_not_found(world: World) -> None:
    token = tokens.create_token(member=world.a.owner, name="x", scopes=["issue"]).token
    with pytest.raises(DomainError):
        tokens.get_token_for(world.b.owner, token.pk)
    with pytest.raises(DomainError):
        tokens.revoke_token(member=world.b.owner, token=token)
    assert list(tokens.tokens_of(world.b.owner)) == []
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


@pytest.mark.parametrize(
    ("name", "scopes", "days", "field"),
    [
        ("", ["issue"], None, "name"),
        ("x" * 101, ["issue"], None, "name"),
        ("ok", [], None, "scopes"),
        ("ok", ["admin"], None, "scopes"),
        ("ok", ["issue"], 0, "expires_in_days"),
        ("ok", ["issue"], 4000, "expires_in_days"),
    ],
)
def test_invalid_token_requests_are_refused(
    world: World, name: str, scopes: list[str], days: int | None, field: str
) -> None:
    with pytest.raises(DomainError) as raised:
        tokens.create_token(member=world.a.owner, name=name, scopes=scopes, expires_in_days=days)
    assert raised.value.field == field
    assert not ApiToken.objects.exists()


def test_revoking_twice_is_refused(world: World) -> None:
    token = tokens.create_token(member=world.a.owner, name="x", scopes=["issue"]).token
    tokens.revoke_token(member=world.a.owner, token=token)
    with pytest.raises(DomainError, match="already revoked"):
        tokens.revoke_token(member=world.a.owner, token=token)


def test_authentication_records_last_use(client, world: World) -> None:
    created = tokens.create_token(member=world.a.owner, name="x", scopes=["issue"])
    assert created.token.last_used_at is None
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False):
        assert _call(client, created.secret, world).status_code == 201
    assert ApiToken.objects.get(pk=created.token.pk).last_used_at == datetime(
        2026, 5, 1, 12, 0, tzinfo=UTC
    )
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC), tick=False):
        tokens.authenticate(created.secret)  # within a minute: not written again
    with time_machine.travel(datetime(2026, 5, 2, 8, 0, tzinfo=UTC), tick=False):
        tokens.authenticate(created.secret)
    assert ApiToken.objects.get(pk=created.token.pk).last_used_at == datetime(
        2026, 5, 2, 8, 0, tzinfo=UTC
    )


def test_revoked_token_is_rejected_with_401(client, world: World) -> None:
    created = tokens.create_token(member=world.a.owner, name="x", scopes=["issue"])
    assert _call(client, created.secret, world).status_code == 201
    tokens.revoke_token(member=world.a.owner, token=created.token)

    response = _call(client, created.secret, world)

    assert response.status_code == 401
    assert response.json() == {
        "type": "invalid_token",
        "title": "Not authenticated",
        "detail": "The bearer token has been revoked.",
        "status": 401,
        "field": None,
    }


def test_expired_token_is_rejected_with_401(client, world: World) -> None:
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        created = tokens.create_token(
            member=world.a.owner, name="x", scopes=["issue"], expires_in_days=30
        )
    assert created.token.expires_at == start + timedelta(days=30)
    with time_machine.travel(start + timedelta(days=30) - timedelta(seconds=1), tick=False):
        assert _call(client, created.secret, world).status_code == 201
    with time_machine.travel(start + timedelta(days=30), tick=False):
        response = _call(client, created.secret, world)
    assert response.status_code == 401
    assert response.json()["detail"] == "The bearer token has expired."


@pytest.mark.parametrize(
    "presented",
    ["", "mc_", "mc__x", "xx_abc_def", "mc_unknownid_secret"],
)
def test_malformed_or_unknown_secrets_are_rejected(world: World, presented: str) -> None:
    tokens.create_token(member=world.a.owner, name="x", scopes=["issue"])
    with pytest.raises(tokens.TokenRejectedError):
        tokens.authenticate(presented)


def test_right_key_id_with_wrong_secret_is_rejected(world: World) -> None:
    created = tokens.create_token(member=world.a.owner, name="x", scopes=["issue"])
    with pytest.raises(tokens.TokenRejectedError, match="not valid"):
        tokens.authenticate(created.secret[:-1] + ("A" if created.secret[-1] != "A" else "B"))
