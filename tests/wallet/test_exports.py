"""The holder's archive of everything and the PDF summary of chosen credentials: what is in them,
that every file in the archive verifies, and that nothing of anyone else's gets in."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

import pytest
from pypdf import PdfReader

from microcred.core.errors import DomainError, NotFound
from microcred.core.models import AuditEntry
from microcred.issuance.services import revoke_credential
from microcred.issuance.verification import verify
from microcred.organizations.models import ProofFormat
from microcred.vc import baking
from microcred.wallet import exports
from tests.conftest import issue, publish_achievement

HOLDER = "learner@example.test"


@pytest.fixture
def held(world):
    """The learner's credentials: Data Integrity from Alpha, VC-JOSE (JWT) from Beta, one
    revoked; and someone else's credential that must never appear."""
    world.b.organization.proof_format = ProofFormat.VC_JOSE
    world.b.organization.save()
    statistics = issue(
        world.a.issuer, publish_achievement(world.a.issuer, title="Applied Statistics"), HOLDER
    )
    jwt = issue(world.b.issuer, publish_achievement(world.b.issuer, title="تحليل البيانات"), HOLDER)
    revoked = issue(
        world.a.issuer, publish_achievement(world.a.issuer, title="Withdrawn Course"), HOLDER
    )
    revoke_credential(member=world.a.issuer, credential=revoked, reason="Issued by mistake")
    revoked.refresh_from_db()
    other = issue(
        world.a.issuer,
        publish_achievement(world.a.issuer, title="Someone Else's Course"),
        "stranger@example.test",
    )
    return {"statistics": statistics, "jwt": jwt, "revoked": revoked, "other": other}


def open_archive(archive: exports.Archive) -> zipfile.ZipFile:
    with archive.file:
        return zipfile.ZipFile(io.BytesIO(archive.file.read()))


def test_the_archive_holds_every_credential_with_files_that_verify(world, held):
    archive = exports.build_archive(holder=world.learner)
    assert archive.filename.startswith("credentials-")
    assert archive.filename.endswith(".zip")
    assert archive.credentials == 3
    zipped = open_archive(archive)
    assert zipped.testzip() is None
    manifest = json.loads(zipped.read("manifest.json"))
    assert manifest["format"] == "microcred-wallet-export"
    assert manifest["holder"]["email"] == HOLDER
    assert manifest["exported_at"]
    assert manifest["imported"] == []
    listed = {entry["verification_code"]: entry for entry in manifest["credentials"]}
    assert set(listed) == {held[k].verification_code for k in ("statistics", "jwt", "revoked")}

    for key, secured in (("statistics", "credential.json"), ("jwt", "credential.jwt")):
        credential = held[key]
        entry = listed[credential.verification_code]
        folder = entry["folder"]
        assert folder.startswith(credential.verification_code + "-")
        names = sorted(f["path"].removeprefix(folder + "/") for f in entry["files"])
        assert names == sorted([secured, "badge.png", "badge.svg", "certificate.pdf"])
        assert entry["title"] == credential.achievement_version.title
        assert entry["issuer"] == credential.organization.name
        assert entry["state"] == "valid"
        assert entry["verification_url"].endswith(f"/verify/{credential.verification_code}")
        signed = zipped.read(f"{folder}/{secured}").decode()
        if secured == "credential.jwt":
            assert signed == credential.document
        else:
            assert json.loads(signed) == credential.document
        report = verify(signed)
        assert report.verdict == "valid", [str(c) for c in report.checks]
        # The baked badges and the certificate carry the same signed credential.
        for name in ("badge.png", "badge.svg", "certificate.pdf"):
            assert baking.extract(zipped.read(f"{folder}/{name}")) == signed, name
    assert listed[held["jwt"].verification_code]["folder"].endswith("-credential")  # Arabic title

    revoked = listed[held["revoked"].verification_code]
    assert revoked["state"] == "revoked"
    assert revoked["revoked_at"] == held["revoked"].revoked_at.isoformat()
    revoked_json = zipped.read(f"{revoked['folder']}/credential.json")
    assert verify(revoked_json.decode()).verdict == "revoked"

    # Checksums match the files, and the manifest lists every file but itself and the README.
    listed_paths = set()
    for entry in manifest["credentials"]:
        for file in entry["files"]:
            content = zipped.read(file["path"])
            assert hashlib.sha256(content).hexdigest() == file["sha256"]
            assert len(content) == file["bytes"]
            listed_paths.add(file["path"])
    assert set(zipped.namelist()) == listed_paths | {"manifest.json", "README.txt"}

    readme = zipped.read("README.txt").decode()
    assert "microcred verify <file>" in readme
    assert "/verify" in readme
    assert "Open Badges 3.0" in readme


def test_another_holders_credentials_are_not_in_the_archive(world, held):
    zipped = open_archive(exports.build_archive(holder=world.learner))
    everything = b"".join(zipped.read(name) for name in zipped.namelist())
    other = held["other"]
    assert other.verification_code.encode() not in everything
    assert b"Someone Else" not in everything

    strangers = open_archive(exports.build_archive(holder=world.stranger))
    manifest = json.loads(strangers.read("manifest.json"))
    assert [e["verification_code"] for e in manifest["credentials"]] == [other.verification_code]


def test_exporting_is_audited(world, held):
    exports.build_archive(holder=world.learner).file.close()
    entry = AuditEntry.objects.get(action="microcred.wallet.exported")
    assert entry.actor == world.learner
    assert entry.organization is None
    assert sorted(entry.data["credentials"]) == sorted(
        held[k].verification_code for k in ("statistics", "jwt", "revoked")
    )


def test_imported_credentials_can_be_added_under_imported(world, held):
    document = json.dumps({"type": ["VerifiableCredential"], "name": "From elsewhere"}).encode()
    extra = exports.imported_entry(1, "Course from Elsewhere!", document, issuer="Elsewhere")
    assert extra.path == "imported/1-course-from-elsewhere.json"
    zipped = open_archive(exports.build_archive(holder=world.learner, extra_entries=[extra]))
    assert zipped.read("imported/1-course-from-elsewhere.json") == document
    manifest = json.loads(zipped.read("manifest.json"))
    assert manifest["imported"] == [
        {
            "issuer": "Elsewhere",
            "path": "imported/1-course-from-elsewhere.json",
            "sha256": hashlib.sha256(document).hexdigest(),
            "bytes": len(document),
        }
    ]
    assert "imported/<n>-<title>.json" in zipped.read("README.txt").decode()


@pytest.mark.parametrize(
    "path", ["../evil.json", "imported/../../evil.json", "/imported/x.json", "manifest.json"]
)
def test_extra_entries_outside_imported_or_with_unsafe_paths_are_refused(world, path):
    with pytest.raises(ValueError, match=r"imported/|unsafe"):
        exports.build_archive(
            holder=world.learner, extra_entries=[exports.ArchiveEntry(path, b"{}")]
        )
    assert not AuditEntry.objects.filter(action="microcred.wallet.exported").exists()


# -- the PDF summary -----------------------------------------------------------------------------


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_summary_lists_the_chosen_credentials_in_their_order_and_no_others(world, held):
    chosen = [held["revoked"], held["statistics"]]
    pdf = exports.summary_pdf(holder=world.learner, credential_uuids=[str(c.uuid) for c in chosen])
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == f"Credentials of {world.learner.display_name}"
    assert reader.metadata.author == world.learner.display_name
    text = text_of(pdf)
    positions = []
    for credential in chosen:
        assert credential.achievement_version.title in text
        assert credential.verification_code in text
        positions.append(text.index(credential.verification_code))
    assert positions == sorted(positions)
    assert "Revoked" in text  # an explicitly chosen revoked credential says so
    for left_out in (held["jwt"], held["other"]):
        assert left_out.verification_code not in text


def test_without_a_choice_the_summary_lists_the_valid_credentials(world, held):
    text = text_of(exports.summary_pdf(holder=world.learner))
    assert held["statistics"].verification_code in text
    assert held["jwt"].verification_code in text
    assert held["revoked"].verification_code not in text
    assert held["other"].verification_code not in text


def test_the_summary_refuses_other_holders_credentials_and_bad_ids(world, held):
    with pytest.raises(NotFound, match="is not one of your credentials"):
        exports.summary_pdf(
            holder=world.learner,
            credential_uuids=[str(held["statistics"].uuid), str(held["other"].uuid)],
        )
    with pytest.raises(NotFound, match="is not one of your credentials"):
        exports.summary_pdf(holder=world.learner, credential_uuids=[str(uuid.uuid4())])
    with pytest.raises(DomainError, match="“nope” is not a credential id"):
        exports.summary_pdf(holder=world.learner, credential_uuids=["nope"])
    with pytest.raises(DomainError, match="no valid credentials"):
        exports.summary_pdf(holder=world.a.owner.user)
