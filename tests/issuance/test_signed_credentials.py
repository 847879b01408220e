"""Issued credentials are signed OB3 documents that verify here, and revocation shows."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from microcred.issuance.models import IssuedCredential, StatusList
from microcred.issuance.services import revoke_credential
from microcred.issuance.verification import verify
from microcred.organizations import keys
from microcred.vc import baking, status_list
from microcred.vc.schema import schema_errors
from tests.conftest import issue, publish_achievement


@pytest.fixture
def https(settings):
    settings.PUBLIC_URL = "https://creds.example.org"


@pytest.fixture
def credential(world, https) -> IssuedCredential:
    achievement = publish_achievement(
        world.a.issuer, validity_months=12, eqf_level=5, workload_hours=40
    )
    return issue(world.a.issuer, achievement, "holder@example.test")


def test_issued_credential_is_a_signed_ob3_document(credential):
    document = credential.document
    assert document["id"] == credential.urn
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"]["id"] == "did:web:creds.example.org:orgs:org-a"
    assert document["issuer"]["name"] == "Alpha Academy"
    assert document["credentialSubject"]["achievement"]["achievementType"] == "MicroCredential"
    assert document["credentialSubject"]["achievement"]["name"] == "Applied Statistics"
    assert document["validUntil"] > document["validFrom"]
    assert "holder@example.test" not in json.dumps(document)
    proof = document["proof"]
    assert isinstance(proof, list)
    assert proof[0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof[0]["verificationMethod"].startswith("did:web:creds.example.org:orgs:org-a#z6Mk")
    entry = document["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"] == str(credential.status_index)
    assert schema_errors(document) == []


def test_issued_credential_verifies_and_names_its_organization(credential):
    report = verify(credential.document)
    assert report.verdict == "valid", [str(check) for check in report.checks]
    assert report.known_issuer == "Alpha Academy"
    assert {check.name: check.outcome for check in report.checks}["status"] == "passed"


def test_revocation_flips_the_bit_and_verification_says_revoked(world, credential, client):
    revoke_credential(member=world.a.issuer, credential=credential, reason="Misconduct")
    credential.refresh_from_db()
    listed = client.get(
        reverse("public:status_list", args=["org-a", "revocation", credential.status_list.number])
    )
    assert listed.status_code == 200
    assert "max-age=300" in listed["Cache-Control"]
    bits = status_list.Bitstring.from_bytes(
        status_list.decode(listed.json()["credentialSubject"]["encodedList"])
    )
    assert bits.get(credential.status_index) == 1
    assert verify(credential.document).verdict == "revoked"


def test_tampering_is_detected(credential):
    forged = copy.deepcopy(credential.document)
    forged["credentialSubject"]["achievement"]["name"] = "Brain Surgery"
    report = verify(forged)
    assert report.verdict == "invalid"
    assert report.check("proof").outcome == "failed"


def test_expiry_is_reported(credential):
    with time_machine.travel(credential.valid_until + dt.timedelta(days=1)):
        assert verify(credential.document).verdict == "expired"


def test_rotation_keeps_old_credentials_valid_and_compromise_after_the_fact_does_too(
    world, credential
):
    keys.rotate_signing_key(member=world.a.owner)
    assert verify(credential.document).verdict == "valid"
    old_key = credential.organization.signing_keys.order_by("created_at").first()
    keys.mark_key_compromised(member=world.a.owner, key=old_key, since=timezone.now())
    assert verify(credential.document).verdict == "valid"  # signed before the compromise date


def test_signatures_dated_after_a_compromise_fail(world, https):
    achievement = publish_achievement(world.a.issuer)
    key = keys.active_key(world.a.organization)
    credential = issue(world.a.issuer, achievement, "late@example.test")
    keys.mark_key_compromised(
        member=world.a.owner, key=key, since=timezone.now() - dt.timedelta(hours=1)
    )
    report = verify(credential.document)
    assert report.verdict == "invalid"
    assert "compromised" in report.check("issuer").message


def test_cli_verifies_json_png_and_stdin(credential, tmp_path, capsys, monkeypatch):
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential.document))
    call_command("verify", str(path))
    assert "Verdict: VALID" in capsys.readouterr().out

    from PIL import Image

    png = tmp_path / "badge.png"
    Image.new("RGB", (8, 8), "navy").save(png)
    png.write_bytes(baking.bake_png(png.read_bytes(), json.dumps(credential.document)))
    call_command("verify", str(png), "--json")
    assert json.loads(capsys.readouterr().out)["verdict"] == "valid"

    forged = copy.deepcopy(credential.document)
    forged["validFrom"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(forged))
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify", str(path))
    assert exit_info.value.code == 1

    path.write_text("not json")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify", str(path))
    assert exit_info.value.code == 2


def test_api_verifies_a_json_body_and_an_upload(client, credential):
    response = client.post(
        "/api/v1/verify", data=json.dumps(credential.document), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["verdict"] == "valid"
    svg = baking.bake_svg(
        b'<svg xmlns="http://www.w3.org/2000/svg"/>', json.dumps(credential.document)
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("badge.svg", svg, content_type="image/svg+xml")
    response = client.post("/api/v1/verify", {"file": upload})
    assert response.json()["verdict"] == "valid"
    bad = client.post("/api/v1/verify", data=b"\x00\x01", content_type="application/octet-stream")
    assert bad.status_code == 400
    assert bad.json()["type"] == "invalid_input"


def test_status_lists_are_per_organization(world, https):
    issue(world.a.issuer, publish_achievement(world.a.issuer), "a@example.test")
    issue(world.b.issuer, publish_achievement(world.b.issuer), "b@example.test")
    lists = StatusList.objects.order_by("organization__slug")
    assert [s.organization.slug for s in lists] == ["org-a", "org-b"]
    assert all(len(bytes(s.bits)) == 131_072 // 8 for s in lists)


# -- the installation's own did:web ------------------------------------------------------------


def test_the_installation_issuer_signs_as_the_installation_did_and_old_credentials_still_verify(
    world, credential, settings, client
):
    before = credential.document  # issued as did:web:creds.example.org:orgs:org-a
    settings.INSTALLATION_ISSUER = "org-a"
    achievement = publish_achievement(world.a.issuer)
    after = issue(world.a.issuer, achievement, "second@example.test").document
    assert after["issuer"]["id"] == "did:web:creds.example.org"
    assert after["proof"][0]["verificationMethod"].startswith("did:web:creds.example.org#z6Mk")
    for document in (before, after):
        report = verify(document)
        assert report.verdict == "valid", "\n".join(
            f"{c.name} {c.outcome} {c.message}" for c in report.checks
        )
        assert report.known_issuer == "Alpha Academy"
    # Both DID documents are served, each under its own id, with the same keys.
    installation = client.get("/.well-known/did.json")
    assert installation.status_code == 200
    assert installation["Content-Type"] == "application/did+ld+json"
    own = client.get("/orgs/org-a/did.json").json()
    assert installation.json()["id"] == "did:web:creds.example.org"
    assert own["id"] == "did:web:creds.example.org:orgs:org-a"
    assert [m["publicKeyMultibase"] for m in installation.json()["verificationMethod"]] == [
        m["publicKeyMultibase"] for m in own["verificationMethod"]
    ]
    # Another organization is untouched, and cannot claim the installation's DID.
    other = issue(world.b.issuer, publish_achievement(world.b.issuer), "b@example.test").document
    assert other["issuer"]["id"] == "did:web:creds.example.org:orgs:org-b"
    forged = copy.deepcopy(other)
    forged["issuer"]["id"] = "did:web:creds.example.org"
    assert verify(forged).verdict == "invalid"


def test_without_an_installation_issuer_there_is_no_installation_did(world, https, client):
    assert client.get("/.well-known/did.json").status_code == 404
    report = verify(
        {**issue(world.a.issuer, publish_achievement(world.a.issuer), "x@example.test").document}
    )
    assert report.verdict == "valid"


def test_the_installation_did_follows_the_did_web_path_rules(world, settings, client):
    settings.INSTALLATION_ISSUER = "org-a"
    settings.PUBLIC_URL = "https://example.edu/credentials"
    assert keys.organization_did(world.a.organization) == "did:web:example.edu:credentials"
    assert keys.organization_dids(world.b.organization) == [
        "did:web:example.edu:credentials:orgs:org-b"
    ]
    # With a path, did:web puts the document at <path>/did.json (the app sees /did.json).
    assert client.get("/.well-known/did.json").status_code == 404
    served = client.get("/did.json")
    assert served.status_code == 200
    assert served.json()["id"] == "did:web:example.edu:credentials"
    settings.PUBLIC_URL = "https://example.edu"
    assert client.get("/did.json").status_code == 404
    assert client.get("/.well-known/did.json").json()["id"] == "did:web:example.edu"
    settings.INSTALLATION_ISSUER = "no-such-org"
    assert client.get("/.well-known/did.json").status_code == 404


def test_without_an_https_name_rotation_keeps_old_credentials_revocable(world, settings):
    """With did:key issuers a rotation changes the issuer DID: new credentials go to a new list
    issued as the new DID, and the old list stays issued (and re-signed) as the old one, so the
    old credential's status still reads — revoked after revocation, never "unknown"."""
    settings.PUBLIC_URL = "http://127.0.0.1:8000"
    achievement = publish_achievement(world.a.issuer)
    old = issue(world.a.issuer, achievement, "old@example.test")
    keys.rotate_signing_key(member=world.a.owner)
    new = issue(world.a.issuer, achievement, "new@example.test")
    assert old.document["issuer"]["id"] != new.document["issuer"]["id"]
    assert old.status_list_id != new.status_list_id
    revoke_credential(member=world.a.issuer, credential=old, reason="Error")
    old.status_list.refresh_from_db()
    assert old.status_list.document["issuer"] == old.document["issuer"]["id"]
    assert verify(old.document).verdict == "revoked"
    assert verify(new.document).verdict == "valid"
