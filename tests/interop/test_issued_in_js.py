"""A credential issued through the product verifies in the JS reference, and revocation shows there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from microcred.issuance.services import revoke_credential
from tests.conftest import issue, publish_achievement
from tests.interop.test_js_reference import NOW, run_js
from tests.interop.test_js_reference import pytestmark as js_marks

pytestmark = js_marks


@pytest.fixture
def https(settings):
    settings.PUBLIC_URL = "https://creds.example.org"


def _documents(client, credential):
    did_document = client.get(reverse("public:organization_did", args=["org-a"])).json()
    status_url = credential.document["credentialStatus"]["statusListCredential"]
    status_path = status_url.removeprefix("https://creds.example.org")
    return {
        "credential": credential.document,
        "didDocuments": {did_document["id"]: did_document},
        "documents": {status_url: client.get(status_path).json()},
    }


def test_issued_credential_verifies_in_the_js_reference_until_revoked(world, https, client):
    achievement = publish_achievement(world.a.issuer, eqf_level=6, workload_hours=25)
    credential = issue(world.a.issuer, achievement, "interop@example.test")
    before = _documents(client, credential)
    revoke_credential(member=world.a.issuer, credential=credential, reason="Interop check")
    credential.refresh_from_db()
    after = _documents(client, credential)

    outputs, _ = run_js("verify.mjs", {"now": NOW, "batch": [before, after]})
    active, revoked = outputs
    assert active["verified"], active.get("error")
    assert active["statusSet"] is False
    assert active["verifierCore"]["verified"], active["verifierCore"]
    assert active["refused"] == []
    assert revoked["statusSet"] is True
    core_status = {s["id"]: s for s in revoked["verifierCore"]["log"]}["revocation_status"]
    assert core_status["valid"] is False
