"""Each organization chooses how its credentials are secured; all formats verify here."""

from __future__ import annotations

import pytest
from django.urls import reverse

from microcred.issuance.services import revoke_credential
from microcred.issuance.verification import verify
from microcred.organizations.models import ProofFormat
from microcred.vc import baking, jose
from tests.conftest import issue, publish_achievement


@pytest.mark.parametrize("proof_format", ProofFormat.values)
def test_every_proof_format_issues_verifiable_revocable_credentials(world, proof_format):
    world.a.organization.proof_format = proof_format
    world.a.organization.save()
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "fmt@example.test")
    if proof_format == ProofFormat.VC_JOSE:
        assert isinstance(credential.document, str)
        assert jose.is_compact_jws(credential.document)
        assert credential.secured_kind == "jwt"
    else:
        assert credential.document["proof"][0]["cryptosuite"] == proof_format
        assert credential.secured_kind == "json"
    report = verify(credential.document)
    assert report.verdict == "valid", [str(c) for c in report.checks]
    revoke_credential(member=world.a.issuer, credential=credential, reason="Test")
    assert verify(credential.document).verdict == "revoked"


def test_jwt_credentials_download_as_jwt_and_bake(world, login):
    world.a.organization.proof_format = ProofFormat.VC_JOSE
    world.a.organization.save()
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "learner@example.test")
    client = login(world.learner)
    token = client.get(reverse("learner:download", args=[credential.uuid, "jwt"]))
    assert token.status_code == 200
    assert token["Content-Type"].startswith("text/plain")
    assert token.content.decode() == credential.document
    assert (
        client.get(reverse("learner:download", args=[credential.uuid, "json"])).status_code == 404
    )
    png = client.get(reverse("learner:download", args=[credential.uuid, "png"])).content
    assert baking.extract(png) == credential.document


def test_owner_chooses_the_format_in_the_back_office(world, login):
    client = login(world.a.owner.user)
    url = reverse("backoffice:organization", args=["org-a"])
    organization = world.a.organization
    data = {
        "name": organization.name,
        "country": "DE",
        "contact_email": organization.contact_email,
        "primary_color": "#1d4ed8",
        "secondary_color": "#0f172a",
        "proof_format": "eddsa-jcs-2022",
    }
    assert client.post(url, data).status_code == 302
    organization.refresh_from_db()
    assert organization.proof_format == "eddsa-jcs-2022"
    assert client.post(url, {**data, "proof_format": "rsa"}).status_code == 400
    organization.refresh_from_db()
    assert organization.proof_format == "eddsa-jcs-2022"
