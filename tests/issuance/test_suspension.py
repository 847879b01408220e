"""Suspension: reversible, per organization opt-in (a second status entry)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from microcred.core.errors import DomainError, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.issuance.services import reinstate_credential, revoke_credential, suspend_credential
from microcred.issuance.verification import verify
from microcred.vc.schema import schema_errors
from tests.conftest import issue, publish_achievement


@pytest.fixture
def suspendable(world):
    world.a.organization.suspension_enabled = True
    world.a.organization.save()
    return issue(world.a.issuer, publish_achievement(world.a.issuer), "s@example.test")


def test_suspendable_credentials_carry_two_status_entries(suspendable):
    entries = suspendable.document["credentialStatus"]
    assert [entry["statusPurpose"] for entry in entries] == ["revocation", "suspension"]
    assert (
        schema_errors(suspendable.document) == []
    )  # with the documented credentialStatus deviation
    assert verify(suspendable.document).verdict == "valid"


def test_suspend_then_reinstate_is_seen_by_verifiers(world, suspendable, client):
    suspend_credential(member=world.a.issuer, credential=suspendable, reason="Under investigation")
    suspendable.refresh_from_db()
    assert verify(suspendable.document).verdict == "suspended"
    page = client.get(
        reverse("public:verify_code", args=[suspendable.verification_code])
    ).content.decode()
    assert "Suspended" in page
    assert "Under investigation" in page
    with pytest.raises(DomainError, match="already suspended"):
        suspend_credential(member=world.a.issuer, credential=suspendable, reason="Again")

    reinstate_credential(member=world.a.issuer, credential=suspendable)
    suspendable.refresh_from_db()
    assert verify(suspendable.document).verdict == "valid"
    actions = list(
        AuditEntry.objects.filter(object_id=str(suspendable.pk)).values_list("action", flat=True)
    )
    assert "microcred.credential.suspended" in actions
    assert "microcred.credential.reinstated" in actions


def test_revocation_wins_over_suspension_and_is_final(world, suspendable):
    suspend_credential(member=world.a.issuer, credential=suspendable, reason="Check")
    revoke_credential(member=world.a.issuer, credential=suspendable, reason="Confirmed")
    suspendable.refresh_from_db()
    assert verify(suspendable.document).verdict == "revoked"
    with pytest.raises(DomainError, match="revocation is final"):
        reinstate_credential(member=world.a.issuer, credential=suspendable)


def test_credentials_without_the_option_cannot_be_suspended(world):
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "plain@example.test")
    assert isinstance(credential.document["credentialStatus"], dict)
    with pytest.raises(DomainError, match="can only be revoked"):
        suspend_credential(member=world.a.issuer, credential=credential, reason="x")


def test_roles_and_tenants(world, suspendable):
    with pytest.raises(PermissionDenied):
        suspend_credential(member=world.a.assessor, credential=suspendable, reason="x")
    from microcred.issuance.models import IssuedCredential

    with pytest.raises(IssuedCredential.DoesNotExist):
        suspend_credential(member=world.b.owner, credential=suspendable, reason="x")
    suspendable.refresh_from_db()
    assert suspendable.suspended_at is None


def test_back_office_suspend_and_reinstate(world, login, suspendable):
    client = login(world.a.issuer.user)
    url = reverse("backoffice:credential_suspend", args=["org-a", suspendable.pk])
    assert client.post(url, {"reason": ""}).status_code == 302
    suspendable.refresh_from_db()
    assert suspendable.suspended_at is None  # no reason, nothing changed
    client.post(url, {"reason": "Pending review"})
    suspendable.refresh_from_db()
    assert suspendable.suspension_reason == "Pending review"
    other = login(world.b.owner.user)
    assert (
        other.post(
            reverse("backoffice:credential_reinstate", args=["org-a", suspendable.pk])
        ).status_code
        == 404
    )
    assert (
        login(world.a.assessor.user)
        .post(reverse("backoffice:credential_reinstate", args=["org-a", suspendable.pk]))
        .status_code
        == 403
    )
    client.post(reverse("backoffice:credential_reinstate", args=["org-a", suspendable.pk]))
    suspendable.refresh_from_db()
    assert suspendable.suspended_at is None
