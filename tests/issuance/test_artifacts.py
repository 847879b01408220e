"""Downloads of the signed credential and baked badges, and verification of uploaded files."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from microcred.issuance.services import revoke_credential
from microcred.vc import baking
from tests.conftest import issue, publish_achievement


@pytest.fixture
def credential(world):
    return issue(world.a.issuer, publish_achievement(world.a.issuer), "learner@example.test")


@pytest.mark.parametrize("kind", ["json", "png", "svg", "pdf"])
def test_holder_downloads_each_artifact_and_it_verifies(world, login, credential, kind, client):
    url = reverse("learner:download", args=[credential.uuid, kind])
    response = login(world.learner).get(url)
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="credential-{credential.verification_code}.{kind}"'
    )
    body = response.content
    text = baking.extract(body)
    assert json.loads(text) == credential.document
    upload = SimpleUploadedFile(f"c.{kind}", body)
    page = client.post(reverse("public:verify_file"), {"file": upload})
    assert page.status_code == 200
    assert "✓ Valid credential" in page.content.decode()


def test_nobody_else_downloads_the_holders_credential(world, login, credential):
    url = reverse("learner:download", args=[credential.uuid, "json"])
    assert login(world.stranger).get(url).status_code == 404
    assert (
        login(world.learner)
        .get(reverse("learner:download", args=[credential.uuid, "exe"]))
        .status_code
        == 404
    )


def test_issuer_staff_download_from_the_back_office_and_other_orgs_cannot(world, login, credential):
    url = reverse("backoffice:credential_download", args=["org-a", credential.pk, "png"])
    response = login(world.a.assessor.user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert login(world.b.owner.user).get(url).status_code == 404
    through_b = reverse("backoffice:credential_download", args=["org-b", credential.pk, "png"])
    assert login(world.b.owner.user).get(through_b).status_code == 404


def test_verification_page_lists_the_checks_and_follows_revocation(world, credential, client):
    page = client.get(
        reverse("public:verify_code", args=[credential.verification_code])
    ).content.decode()
    assert "Signature and status" in page
    assert "1 proof(s) verified (eddsa-rdfc-2022)" in page
    revoke_credential(member=world.a.issuer, credential=credential, reason="Mistake")
    page = client.get(
        reverse("public:verify_code", args=[credential.verification_code])
    ).content.decode()
    assert "the issuer has revoked this credential" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\nnot really", "PNG"),
        (b"hello", "not"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "credential"),
    ],
)
def test_uploads_without_a_credential_get_a_clear_message(client, content, message):
    response = client.post(
        reverse("public:verify_file"), {"file": SimpleUploadedFile("x.bin", content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_tampered_upload_is_reported_invalid(client, credential):
    forged = dict(credential.document, name="Something else")
    upload = SimpleUploadedFile("c.json", json.dumps(forged).encode())
    page = client.post(reverse("public:verify_file"), {"file": upload}).content.decode()
    assert "✗ Not valid" in page
    assert "signature does not match" in page
