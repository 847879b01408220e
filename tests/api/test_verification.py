from __future__ import annotations

import pytest

from microcred.api.v1 import api
from microcred.issuance.services import revoke_credential
from tests.conftest import issue, publish_achievement


def test_verify_endpoint_reports_a_valid_credential(client, world):
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "x@example.test")
    response = client.get(f"/api/v1/verify/{credential.display_code}")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "valid"
    assert body["id"] == credential.urn
    assert body["issuer"]["name"] == "Alpha Academy"
    assert body["holder_name"] == "Hana Holder"
    assert body["revocation_reason"] is None
    assert body["verification_url"].endswith(f"/verify/{credential.verification_code}")


def test_verify_endpoint_reports_revocation(client, world):
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "x@example.test")
    revoke_credential(member=world.a.issuer, credential=credential, reason="Issued in error")
    body = client.get(f"/api/v1/verify/{credential.verification_code}").json()
    assert body["state"] == "revoked"
    assert body["revocation_reason"] == "Issued in error"


@pytest.mark.django_db
def test_malformed_and_unknown_codes_are_problem_responses(client):
    malformed = client.get("/api/v1/verify/abc")
    assert malformed.status_code == 400
    assert malformed.json()["type"] == "invalid_code"
    unknown = client.get("/api/v1/verify/0000000000")
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "not_found"


@pytest.mark.django_db
def test_openapi_document_is_generated_and_lists_the_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == api.title
    assert "/api/v1/verify/{code}" in schema["paths"]
