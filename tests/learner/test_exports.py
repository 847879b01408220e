"""The wallet's downloads of everything: the ZIP archive and the PDF summary of chosen
credentials, for the signed-in holder only."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from microcred.issuance.services import revoke_credential
from microcred.wallet import exports
from tests.conftest import issue, publish_achievement

EXPORT = reverse("learner:export")
SUMMARY = reverse("learner:summary_pdf")


@pytest.fixture
def held(world):
    mine = issue(
        world.a.issuer, publish_achievement(world.a.issuer, title="Kept"), "learner@example.test"
    )
    gone = issue(
        world.a.issuer, publish_achievement(world.a.issuer, title="Gone"), "learner@example.test"
    )
    revoke_credential(member=world.a.issuer, credential=gone, reason="Mistake")
    other = issue(
        world.b.issuer, publish_achievement(world.b.issuer, title="Theirs"), "stranger@example.test"
    )
    return {"mine": mine, "gone": gone, "other": other}


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("url", [EXPORT, SUMMARY])
def test_exports_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_archive_downloads_as_a_private_attachment(world, login, held):
    response = login(world.learner).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith('attachment; filename="credentials-')
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("manifest.json"))
    codes = {entry["verification_code"]: entry["state"] for entry in manifest["credentials"]}
    assert codes == {
        held["mine"].verification_code: "valid",
        held["gone"].verification_code: "revoked",
    }
    assert login(world.learner).post(EXPORT).status_code == 405

    theirs = login(world.stranger).get(EXPORT)
    body = b"".join(theirs.streaming_content)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("manifest.json"))
    assert [e["verification_code"] for e in manifest["credentials"]] == [
        held["other"].verification_code
    ]


def test_the_summary_lists_the_ticked_credentials(world, login, held):
    holder = login(world.learner)
    response = holder.get(SUMMARY, {"c": [str(held["gone"].uuid)]})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'attachment; filename="credentials-summary.pdf"'
    text = text_of(response.content)
    assert held["gone"].verification_code in text
    assert held["mine"].verification_code not in text

    # Nothing ticked: every valid credential.
    text = text_of(holder.get(SUMMARY).content)
    assert held["mine"].verification_code in text
    assert held["gone"].verification_code not in text


def test_the_summary_never_shows_another_holders_credential(world, login, held):
    holder = login(world.learner)
    response = holder.get(SUMMARY, {"c": [str(held["mine"].uuid), str(held["other"].uuid)]})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "is not one of your credentials" in page
    assert "Theirs" not in page
    assert held["other"].verification_code not in page


def test_a_malformed_id_is_a_clear_400(world, login, held):
    response = login(world.learner).get(SUMMARY, {"c": ["not-a-uuid"]})
    assert response.status_code == 400
    assert "“not-a-uuid” is not a credential id" in response.content.decode()


def test_a_summary_with_no_valid_credentials_says_so(world, login):
    response = login(world.stranger).get(SUMMARY)
    assert response.status_code == 400
    assert "You have no valid credentials to list" in response.content.decode()


def test_the_wallet_page_offers_both_exports_and_a_checkbox_per_credential(world, login, held):
    page = login(world.learner).get(reverse("learner:credentials")).content.decode()
    assert f'href="{EXPORT}"' in page
    assert "Download everything (ZIP)" in page
    assert f'<form id="summary-form" method="get" action="{SUMMARY}"' in page
    assert "PDF summary of selected credentials" in page
    for credential in (held["mine"], held["gone"]):
        assert f'name="c" value="{credential.uuid}" form="summary-form"' in page
    assert str(held["other"].uuid) not in page


def test_a_large_archive_spills_to_disk_and_still_downloads_whole(world, login, held, monkeypatch):
    # A threshold below one credential's files makes the spooled file roll over to disk.
    monkeypatch.setattr(exports, "SPOOL_BYTES", 4096)
    response = login(world.learner).get(EXPORT)
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    zipped = zipfile.ZipFile(io.BytesIO(body))
    assert zipped.testzip() is None
    assert len(json.loads(zipped.read("manifest.json"))["credentials"]) == 2
