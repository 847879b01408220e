"""The holder's pages for credentials from other issuers, through the Django test client."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from microcred.core.models import AuditEntry
from microcred.wallet.models import ImportedCredential
from tests.wallet.imports_support import ElsewhereIssuer, baked_png, ob2_host

ADD = reverse("learner:import")
CREDENTIALS = reverse("learner:credentials")


@pytest.fixture
def elsewhere() -> ElsewhereIssuer:
    return ElsewhereIssuer()


def post_file(client, name: str, content: bytes | str):
    data = content.encode() if isinstance(content, str) else content
    return client.post(ADD, {"file": SimpleUploadedFile(name, data), "url": ""})


def test_the_pages_need_login(client, world, elsewhere):
    response = client.get(ADD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_upload_one_credential_lands_on_its_page_labelled_by_issuer(world, login, elsewhere):
    holder = login(world.learner)
    page = holder.get(ADD).content.decode()
    assert "Add a credential from elsewhere" in page
    assert 'type="file"' in page
    assert 'name="url"' in page

    response = post_file(holder, "fieldwork.png", baked_png(elsewhere.json_text()))
    imported = ImportedCredential.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("learner:imported", args=[imported.uuid])
    page = holder.get(response["Location"]).content.decode()
    assert "Added “Marine Biology Fieldwork” from Elsewhere University to your wallet." in page
    assert (
        f"Issued by Elsewhere University ({elsewhere.did}) — imported, not issued by this platform"
        in page
    )
    assert "Open Badges 3.0 — verified" in page
    assert "Signature" in page
    assert "1 proof(s) verified (eddsa-rdfc-2022)" in page
    assert "Re-verify" in page
    assert "Remove from my wallet" in page

    listing = holder.get(CREDENTIALS).content.decode()
    section = listing[listing.index("Imported from other issuers") :]
    assert "Elsewhere University" in section
    assert "Marine Biology Fieldwork" in section
    assert "Open Badges 3.0 — verified" in section
    assert ">Valid<" in section
    assert reverse("learner:import") in section


def test_another_holder_gets_404_everywhere(world, login, elsewhere):
    post_file(login(world.learner), "c.json", elsewhere.json_text())
    imported = ImportedCredential.objects.get()
    stranger = login(world.stranger)
    for name in ("learner:imported", "learner:imported_original"):
        assert stranger.get(reverse(name, args=[imported.uuid])).status_code == 404
    for name in ("learner:imported_reverify", "learner:imported_delete"):
        assert stranger.post(reverse(name, args=[imported.uuid])).status_code == 404
    assert ImportedCredential.objects.filter(pk=imported.pk).exists()
    listing = stranger.get(CREDENTIALS).content.decode()
    assert "Marine Biology Fieldwork" not in listing
    assert "You have not imported any credentials yet." in listing


def test_download_returns_the_file_as_received(world, login, elsewhere):
    text = elsewhere.json_text("Knots & Splices")
    holder = login(world.learner)
    post_file(holder, "knots.json", text)
    imported = ImportedCredential.objects.get()
    response = holder.get(reverse("learner:imported_original", args=[imported.uuid]))
    assert response.status_code == 200
    assert response.content == text.encode()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="knots-splices.json"'


def test_reverify_and_delete(world, login, elsewhere):
    holder = login(world.learner)
    post_file(holder, "c.json", elsewhere.json_text())
    imported = ImportedCredential.objects.get()
    response = holder.post(reverse("learner:imported_reverify", args=[imported.uuid]), follow=True)
    assert "Verified again: valid (Open Badges 3.0 — verified)." in response.content.decode()
    assert AuditEntry.objects.filter(action="microcred.wallet.imported_reverified").count() == 1
    assert holder.get(reverse("learner:imported_reverify", args=[imported.uuid])).status_code == 405
    response = holder.post(reverse("learner:imported_delete", args=[imported.uuid]))
    assert response.status_code == 302
    assert response["Location"] == CREDENTIALS + "#imported"
    assert not ImportedCredential.objects.exists()
    assert AuditEntry.objects.filter(action="microcred.wallet.imported_deleted").count() == 1


def test_a_tampered_file_shows_the_failed_check_and_stores_nothing(world, login, elsewhere):
    credential = elsewhere.credential()
    credential["validFrom"] = "2001-01-01T00:00:00Z"
    response = post_file(login(world.learner), "bad.json", json.dumps(credential))
    assert response.status_code == 200  # the request was fine; the file was not
    page = response.content.decode()
    assert "Nothing was added:" in page
    assert (
        "<strong>bad.json</strong>: Not imported: the credential failed verification — Signature:"
        in page
    )
    assert not ImportedCredential.objects.exists()


def test_hostile_svg_and_duplicate_messages(world, login, elsewhere):
    holder = login(world.learner)
    evil = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    page = post_file(holder, "evil.svg", evil).content.decode()
    assert "The SVG contains a script (a &lt;script&gt; element); remove it." in page
    text = elsewhere.json_text()
    post_file(holder, "a.json", text)
    response = post_file(holder, "a.json", text)
    assert "Already in your wallet: imported on" in response.content.decode()
    assert ImportedCredential.objects.count() == 1


def test_the_form_asks_for_one_of_file_or_address(world, login):
    holder = login(world.learner)
    response = holder.post(ADD, {"url": ""})
    assert response.status_code == 400
    assert "Choose a credential file or enter the address of a badge, one of the two." in (
        response.content.decode()
    )


def test_an_address_on_the_local_network_is_refused_by_the_guard(world, login, tmp_path):
    with ob2_host(tmp_path) as host:
        assertion = host.badge()
        response = login(world.learner).post(ADD, {"url": assertion["id"]})
        assert host.server.requests == []
    page = response.content.decode()
    assert "The address could not be read:" in page
    assert "resolves to a non-public address (127.0.0.1); refusing to connect" in page


def test_a_credential_of_an_organization_here_says_so(world, login):
    from microcred.issuance import artifacts
    from tests.conftest import issue, publish_achievement

    credential = issue(world.b.issuer, publish_achievement(world.b.issuer, title="Rigging"))
    holder = login(world.learner)
    response = post_file(holder, "rigging.json", artifacts.credential_text(credential))
    page = holder.get(response["Location"]).content.decode()
    assert "— imported; the issuer is an organization of this platform" in page
    assert "not issued by this platform" not in page
