from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from microcred.core.errors import DomainError, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.core.secretbox import SecretBoxError
from microcred.organizations import keys
from microcred.organizations.models import SigningKey, SigningKeyStatus
from microcred.organizations.services import create_organization
from microcred.vc import multikey
from tests.conftest import make_user


@pytest.fixture
def https(settings):
    settings.PUBLIC_URL = "https://creds.example.org:8443"


def test_new_organization_gets_an_active_key_sealed_at_rest(db):
    organization = create_organization(
        owner=make_user("o@example.test"),
        slug="keyed",
        name="Keyed",
        country="NL",
        contact_email="k@example.test",
    )
    key = SigningKey.objects.get(organization=organization)
    assert key.status == SigningKeyStatus.ACTIVE
    private = keys.private_key(key)
    seed = multikey.private_key_seed(private)
    # Neither the raw seed nor its usual encodings appear in the stored column.
    assert seed.hex() not in key.private_key_sealed
    assert multikey.encode_secret_key(private) not in key.private_key_sealed
    assert key.private_key_sealed.startswith("v1.")
    assert key.private_key_sealed not in repr(key)
    # The stored public key is the private key's.
    assert multikey.encode_public_key(private.public_key()) == key.public_key_multibase
    signature = private.sign(b"message")
    multikey.decode_public_key(key.public_key_multibase).verify(signature, b"message")


def test_sealed_key_is_bound_to_its_row_and_to_the_master_key(world, settings):
    key_a = keys.active_key(world.a.organization)
    key_b = keys.active_key(world.b.organization)
    stolen = SigningKey(
        organization=key_b.organization,
        key_id=key_b.key_id,
        private_key_sealed=key_a.private_key_sealed,
    )
    with pytest.raises(SecretBoxError):
        keys.private_key(stolen)
    settings.MASTER_KEY = "A" * 43  # a different valid 32-byte key
    with pytest.raises(SecretBoxError):
        keys.private_key(key_a)


def test_rotation_keeps_old_keys_resolvable(world, https, client):
    old = keys.active_key(world.a.organization)
    new = keys.rotate_signing_key(member=world.a.admin)
    old.refresh_from_db()
    assert (old.status, new.status) == (SigningKeyStatus.RETIRED, SigningKeyStatus.ACTIVE)
    assert old.retired_at is not None
    assert keys.active_key(world.a.organization) == new
    document = client.get(reverse("public:organization_did", args=["org-a"])).json()
    listed = [method["publicKeyMultibase"] for method in document["verificationMethod"]]
    assert listed == [old.public_key_multibase, new.public_key_multibase]
    assert AuditEntry.objects.filter(
        action="microcred.signing_key.rotated", organization=world.a.organization
    ).exists()


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_only_owners_and_admins_rotate(world, role):
    with pytest.raises(PermissionDenied):
        keys.rotate_signing_key(member=world.a.member(role))


def test_compromise_is_dated_and_replaces_an_active_key(world):
    key = keys.active_key(world.a.organization)
    since = timezone.now() - dt.timedelta(days=2)
    keys.mark_key_compromised(member=world.a.owner, key=key, since=since)
    key.refresh_from_db()
    assert key.status == SigningKeyStatus.COMPROMISED
    assert key.compromised_at == since
    assert keys.active_key(world.a.organization).pk != key.pk
    with pytest.raises(DomainError, match="already"):
        keys.mark_key_compromised(member=world.a.owner, key=key, since=since)
    other = keys.active_key(world.a.organization)
    with pytest.raises(DomainError, match="future"):
        keys.mark_key_compromised(
            member=world.a.owner, key=other, since=timezone.now() + dt.timedelta(days=1)
        )


def test_other_organizations_keys_are_out_of_reach(world):
    key_b = keys.active_key(world.b.organization)
    with pytest.raises(SigningKey.DoesNotExist):
        keys.mark_key_compromised(member=world.a.owner, key=key_b, since=timezone.now())
    key_b.refresh_from_db()
    assert key_b.status == SigningKeyStatus.ACTIVE


def test_one_active_key_per_organization_is_a_database_rule(world):
    keys.active_key(world.a.organization)
    with pytest.raises(IntegrityError):
        SigningKey.objects.create(
            organization=world.a.organization,
            key_id="x",
            public_key_multibase="zX",
            private_key_sealed="v1.x",
        )


def test_did_web_document_is_served_per_organization(world, https, client):
    key = keys.active_key(world.a.organization)
    response = client.get("/orgs/org-a/did.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+ld+json"
    document = response.json()
    did = "did:web:creds.example.org%3A8443:orgs:org-a"
    assert document["id"] == did
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert document["verificationMethod"] == [
        {
            "id": f"{did}#{key.key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        }
    ]
    assert document["assertionMethod"] == [f"{did}#{key.key_id}"]
    assert keys.organization_did(world.a.organization) == did
    assert keys.verification_method(key) == f"{did}#{key.key_id}"
    assert client.get("/orgs/no-such-org/did.json").status_code == 404


def test_without_an_https_name_the_issuer_is_the_active_did_key(world, settings):
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    key = keys.active_key(world.a.organization)
    did = keys.organization_did(world.a.organization)
    assert did == "did:key:" + key.public_key_multibase
    assert keys.verification_method(key) == f"{did}#{key.public_key_multibase}"


def test_a_did_document_is_only_made_for_a_did_that_names_the_organization(world, https):
    with pytest.raises(DomainError):
        keys.did_document(world.a.organization, "did:web:creds.example.org%3A8443:orgs:org-b")
    with pytest.raises(DomainError):
        keys.did_document(world.a.organization, "did:web:creds.example.org%3A8443")
