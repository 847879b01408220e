"""Importing credentials issued elsewhere: every format, verification on import, hostile files,
duplicates, audit and tenancy."""

from __future__ import annotations

import binascii
import copy
import datetime
import io
import json
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from microcred.core.errors import DomainError, NotFound
from microcred.core.models import AuditEntry
from microcred.issuance import artifacts
from microcred.issuance.services import revoke_credential
from microcred.vc import baking
from microcred.wallet import exports, files, imports
from microcred.wallet.models import ImportedCredential
from tests.conftest import issue, publish_achievement
from tests.wallet.imports_support import (
    ElsewhereIssuer,
    baked_png,
    baked_svg,
    ob2_host,
    ob2_png,
    ob2_svg,
    pdf_with,
    plain_png,
    zip_of,
)

UTC = datetime.UTC


@pytest.fixture
def elsewhere() -> ElsewhereIssuer:
    return ElsewhereIssuer()


@pytest.fixture
def ob2(tmp_path):
    with ob2_host(tmp_path) as host:
        yield host


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def run(owner, name: str, content: bytes | str, **kwargs) -> imports.ImportResult:
    return imports.import_credentials(owner=owner, upload=upload(name, content), **kwargs)


def only_problem(result: imports.ImportResult) -> str:
    assert result.imported == ()
    assert len(result.problems) == 1, result.problems
    return result.problems[0].message


# --- Open Badges 3.0 ----------------------------------------------------------------------------


def test_a_signed_json_credential_is_verified_and_stored_verbatim(world, elsewhere):
    text = elsewhere.json_text()
    result = run(world.learner, "fieldwork.json", text)
    assert result.problems == ()
    (imported,) = result.imported
    assert imported.owner == world.learner
    assert imported.kind == "ob3"
    assert imported.source_format == "json"
    assert imported.source_name == "fieldwork.json"
    assert imported.content == text  # byte for byte
    assert imported.issuer_id == elsewhere.did
    assert imported.issuer_name == "Elsewhere University"
    assert imported.title == "Marine Biology Fieldwork"
    assert imported.description == "Survey a rocky shore and report on it."
    assert imported.verdict == "valid"
    assert imported.label == "Open Badges 3.0 — verified"
    assert imported.issued_at is not None
    assert imported.valid_until is None
    assert "Hana Holder" in imported.recipient
    assert "emailAddress: sha256$" in imported.recipient
    checks = {c["name"]: c["outcome"] for c in imported.checks}
    assert checks["proof"] == "passed"
    assert checks["issuer"] == "passed"
    assert checks["known_issuer"] == "skipped"


@pytest.mark.parametrize(
    ("name", "build", "source"),
    [
        ("badge.png", lambda text: baked_png(text), "png"),
        ("badge.svg", lambda text: baked_svg(text), "svg"),
        ("certificate.pdf", lambda text: pdf_with(text), "pdf"),
    ],
)
def test_baked_badges_and_pdfs_are_read(world, elsewhere, name, build, source):
    text = json.dumps(elsewhere.credential())
    (imported,) = run(world.learner, name, build(text)).imported
    assert imported.source_format == source
    assert imported.content == text
    assert imported.verdict == "valid"


def test_a_compact_jws_credential_is_verified(world, elsewhere):
    token = elsewhere.jwt("Tide Pool Survey")
    (imported,) = run(world.learner, "survey.jwt", token).imported
    assert imported.source_format == "jwt"
    assert imported.content == token
    assert imported.title == "Tide Pool Survey"
    assert imported.file_extension == "jwt"
    checks = {c["name"]: c for c in imported.checks}
    assert "JWS signature verified" in checks["proof"]["message"]
    # Baked into a PNG, the same token is the same credential.
    again = run(world.learner, "survey.png", baked_png(token))
    assert "Already in your wallet" in only_problem(again)


def test_a_tampered_credential_is_not_imported_and_the_failed_check_is_named(world, elsewhere):
    credential = elsewhere.credential()
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Marine Biology PhD"
    message = only_problem(run(world.learner, "phd.json", json.dumps(tampered)))
    assert message.startswith("Not imported: the credential failed verification — Signature:")
    assert ImportedCredential.objects.count() == 0
    assert not AuditEntry.objects.filter(action="microcred.wallet.credential_imported").exists()


def test_a_credential_signed_by_a_key_of_someone_else_is_not_imported(world, elsewhere):
    impostor = ElsewhereIssuer("Impostor")
    unsigned = elsewhere.unsigned()
    signed = impostor.sign(unsigned)  # claims to be from `elsewhere`, signed by the impostor
    message = only_problem(run(world.learner, "fake.json", json.dumps(signed)))
    assert "Issuer's key: the signing key is controlled by" in message


def test_an_unsigned_credential_is_not_imported(world, elsewhere):
    message = only_problem(run(world.learner, "x.json", json.dumps(elsewhere.unsigned())))
    assert "Signature: the credential has no proof" in message


def test_an_expired_credential_is_imported_and_labelled_expired(world, elsewhere):
    now = datetime.datetime.now(UTC)
    text = elsewhere.json_text(
        valid_from=now - datetime.timedelta(days=400), valid_until=now - datetime.timedelta(days=1)
    )
    (imported,) = run(world.learner, "old.json", text).imported
    assert imported.verdict == "expired"
    assert imported.get_verdict_display() == "Expired"
    assert imported.valid_until is not None


def test_a_revoked_credential_from_an_organization_here_is_imported_labelled_revoked(world):
    credential = issue(world.b.issuer, publish_achievement(world.b.issuer, title="Welding"))
    text = artifacts.credential_text(credential)
    revoke_credential(member=world.b.issuer, credential=credential, reason="Mistake")
    (imported,) = run(world.learner, "welding.json", text).imported
    assert imported.verdict == "revoked"
    assert imported.issuer_name == "Beta College"
    checks = {c["name"]: c for c in imported.checks}
    assert checks["status"]["outcome"] == "failed"
    assert checks["known_issuer"]["outcome"] == "passed"


def test_reverify_picks_up_a_revocation_and_is_audited(world):
    credential = issue(world.b.issuer, publish_achievement(world.b.issuer, title="Welding"))
    (imported,) = run(world.learner, "w.json", artifacts.credential_text(credential)).imported
    assert imported.verdict == "valid"
    revoke_credential(member=world.b.issuer, credential=credential, reason="Mistake")
    again = imports.reverify_imported(owner=world.learner, uuid=imported.uuid)
    assert again.verdict == "revoked"
    assert again.verified_at >= imported.verified_at
    entry = AuditEntry.objects.get(action="microcred.wallet.imported_reverified")
    assert entry.actor == world.learner
    assert entry.organization is None
    assert entry.data == {"from": "valid", "to": "revoked"}
    with pytest.raises(NotFound):
        imports.reverify_imported(owner=world.stranger, uuid=imported.uuid)


def test_import_is_audited_without_an_organization(world, elsewhere):
    (imported,) = run(world.learner, "c.json", elsewhere.json_text()).imported
    entry = AuditEntry.objects.get(action="microcred.wallet.credential_imported")
    assert entry.actor == world.learner
    assert entry.organization is None
    assert entry.object_id == str(imported.pk)
    assert entry.data["issuer"] == elsewhere.did
    assert entry.data["verdict"] == "valid"
    assert entry.data["sha256"] == imported.content_sha256


def test_the_same_credential_twice_is_already_in_the_wallet(world, elsewhere):
    credential = elsewhere.credential()
    run(world.learner, "a.json", json.dumps(credential, indent=2))
    # The same credential, compact and as a baked badge: the same digest.
    message = only_problem(run(world.learner, "b.png", baked_png(json.dumps(credential))))
    assert message.startswith("Already in your wallet: imported on ")
    assert "“Marine Biology Fieldwork”" in message
    assert ImportedCredential.objects.count() == 1
    # Another holder may import it too.
    assert len(run(world.stranger, "a.json", json.dumps(credential)).imported) == 1


def test_tenancy_one_holder_never_sees_another_holders_imports(world, elsewhere):
    (imported,) = run(world.learner, "c.json", elsewhere.json_text()).imported
    assert imports.imported_credential_for(world.learner, imported.uuid) == imported
    with pytest.raises(NotFound):
        imports.imported_credential_for(world.stranger, imported.uuid)
    assert list(imports.imported_credentials_of(world.stranger)) == []
    with pytest.raises(NotFound):
        imports.delete_imported(owner=world.stranger, uuid=imported.uuid)
    assert ImportedCredential.objects.filter(pk=imported.pk).exists()


def test_delete_removes_the_import_and_is_audited(world, elsewhere):
    (imported,) = run(world.learner, "c.json", elsewhere.json_text()).imported
    imports.delete_imported(owner=world.learner, uuid=imported.uuid)
    assert not ImportedCredential.objects.exists()
    entry = AuditEntry.objects.get(action="microcred.wallet.imported_deleted")
    assert entry.actor == world.learner
    assert entry.data["title"] == "Marine Biology Fieldwork"


def test_grouped_by_issuer(world, elsewhere):
    other = ElsewhereIssuer("Anchor Institute")
    run(world.learner, "1.json", elsewhere.json_text("One", number=1))
    run(world.learner, "2.json", elsewhere.json_text("Two", number=2))
    run(world.learner, "3.json", other.json_text("Three", number=3))
    groups = imports.grouped_by_issuer(world.learner)
    assert [name for name, _ in groups] == ["Anchor Institute", "Elsewhere University"]
    assert sorted(c.title for c in groups[1][1]) == ["One", "Two"]


# --- Archives -----------------------------------------------------------------------------------


def test_an_archive_with_the_same_credential_as_json_and_badges_imports_it_once(world, elsewhere):
    first = elsewhere.credential("First", number=1)
    second = elsewhere.credential("Second", number=2)
    archive = zip_of(
        {
            "first/credential.json": json.dumps(first, indent=2).encode(),
            "first/badge.png": baked_png(json.dumps(first)),
            "first/badge.svg": baked_svg(json.dumps(first)),
            "second/badge.svg": baked_svg(json.dumps(second)),
            "README.txt": b"Exported from microcred",
            "__MACOSX/._first": b"junk",
        }
    )
    result = run(world.learner, "wallet.zip", archive)
    by_title = {c.title: c for c in result.imported}
    assert set(by_title) == {"First", "Second"}
    assert by_title["First"].source_format == "json"  # the JSON is preferred over badges
    assert by_title["First"].source_name == "wallet.zip: first/credential.json"
    assert by_title["Second"].source_format == "svg"
    assert result.problems == ()
    assert [(p.source, p.message) for p in result.skipped] == [
        (
            "wallet.zip: README.txt",
            "Ignored: not a credential file (.json, .jwt, .png, .svg or .pdf).",
        )
    ]
    assert AuditEntry.objects.filter(action="microcred.wallet.credential_imported").count() == 2


def test_a_microcred_wallet_export_imports_each_credential_once(world):
    """The archive another microcred makes (folders with credential.json, badge.png,
    badge.svg and certificate.pdf, a manifest and a README) round-trips."""
    email = world.learner.email
    issue(world.a.issuer, publish_achievement(world.a.issuer, title="Welding"), email)
    second = issue(world.b.issuer, publish_achievement(world.b.issuer, title="Rigging"), email)
    archive = exports.build_archive(holder=world.learner)
    with archive.file:
        data = archive.file.read()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sum(name.endswith("/badge.png") for name in names) == 2  # what is being imported
    assert sum(name.endswith("/certificate.pdf") for name in names) == 2
    result = run(world.stranger, "credentials.zip", data)
    assert result.problems == ()
    assert sorted(c.title for c in result.imported) == ["Rigging", "Welding"]
    assert {c.source_format for c in result.imported} == {"json"}
    assert {c.issuer_name for c in result.imported} == {"Alpha Academy", "Beta College"}
    assert sorted(p.message for p in result.skipped) == [
        "Ignored: not a credential file (.json, .jwt, .png, .svg or .pdf).",
        "Ignored: the archive's manifest, not a credential.",
    ]
    texts = {c.title: c.content for c in result.imported}
    second.refresh_from_db()  # as stored (PostgreSQL's jsonb orders keys its own way)
    assert texts["Rigging"] == artifacts.credential_text(second)


def test_an_archive_keeps_good_entries_and_names_the_bad_ones(world, elsewhere):
    tampered = elsewhere.credential("Tampered", number=2)
    tampered["name"] = "Changed"
    archive = zip_of(
        {
            "good.json": elsewhere.json_text("Good", number=1).encode(),
            "bad.json": json.dumps(tampered).encode(),
            "../escape.json": elsewhere.json_text("Escape", number=3).encode(),
            "inner.zip": zip_of({"x.json": b"{}"}),
            "disguised.json": zip_of({"x.json": b"{}"}),
        }
    )
    result = run(world.learner, "mixed.zip", archive)
    assert [c.title for c in result.imported] == ["Good"]
    problems = {p.source: p.message for p in result.problems}
    assert problems["mixed.zip: ../escape.json"] == "Ignored: the entry's path leaves the archive."
    assert problems["mixed.zip: inner.zip"] == "Ignored: archives inside archives are not opened."
    assert problems["mixed.zip: disguised.json"] == (
        "Ignored: archives inside archives are not opened."
    )
    assert problems["mixed.zip: bad.json"].startswith("Not imported: the credential failed")


def test_a_zip_bomb_is_refused_whole(world, elsewhere):
    bomb = zip_of({"good.json": elsewhere.json_text().encode(), "bomb.json": b" " * 3_000_000})
    message = only_problem(run(world.learner, "bomb.zip", bomb))
    assert message == (
        "The archive's entry bomb.json inflates more than 100 times its compressed size "
        "(a ZIP bomb?); nothing was imported."
    )
    assert ImportedCredential.objects.count() == 0


def test_an_entry_declaring_more_than_the_limit_is_refused(world):
    big = zip_of({"big.png": b"\0" * (files.MAX_FILE_BYTES + 1)})
    message = only_problem(run(world.learner, "big.zip", big))
    assert message.startswith("The archive's entry big.png is 8")
    assert "the limit per file is 8 MB" in message


def test_header_sizes_are_not_trusted(world):
    """A local header and central directory claiming a tiny size for a big entry: reading
    streams and stops at the caps (here the entry fails zipfile's own size/CRC check)."""
    archive = bytearray(zip_of({"a.json": b" " * 2_000_000}))
    # Rewrite the uncompressed size in the central directory to 10 bytes.
    central = archive.rfind(b"PK\x01\x02")
    struct.pack_into("<I", archive, central + 24, 10)
    local = archive.find(b"PK\x03\x04")
    struct.pack_into("<I", archive, local + 22, 10)
    message = only_problem(run(world.learner, "liar.zip", bytes(archive)))
    assert message.startswith("The archive's entry a.json cannot be read (")
    assert message.endswith("nothing was imported.")


def test_too_many_entries_and_the_total_cap(world, elsewhere, monkeypatch):
    many = zip_of({f"{n}.json": b"{}" for n in range(files.MAX_ARCHIVE_ENTRIES + 1)})
    assert only_problem(run(world.learner, "many.zip", many)) == (
        "The archive has 2,001 entries; the limit is 2,000."
    )
    monkeypatch.setattr(files, "MAX_ARCHIVE_TOTAL", 20_000)  # a small cap, same code path
    archive = zip_of(
        {f"{n}.json": elsewhere.json_text(number=n).encode() for n in range(1, 20)},
        zipfile.ZIP_STORED,
    )
    message = only_problem(run(world.learner, "total.zip", archive))
    assert message == "The archive inflates to more than 19.5 KB in all; nothing was imported."
    assert ImportedCredential.objects.count() == 0


def test_a_broken_archive_is_refused(world):
    assert only_problem(run(world.learner, "x.zip", b"PK\x03\x04garbage")).startswith(
        "The archive is not a readable ZIP file"
    )


# --- Hostile and malformed single files ---------------------------------------------------------


def test_an_oversized_upload_is_refused(world, monkeypatch):
    message = only_problem(run(world.learner, "big.png", b"\x89PNG" + b"\0" * 9_000_000))
    assert message.startswith("The file is 8.6 MB; the limit for a credential file is 8 MB.")
    monkeypatch.setattr(files, "MAX_ARCHIVE_BYTES", 1024 * 1024)  # a small cap, same code path
    message = only_problem(run(world.learner, "huge.json", b"{" + b" " * files.MAX_ARCHIVE_BYTES))
    assert message == "The file is 1.1 MB; the limit is 1 MB."


def _corrupt_crc(png: bytes) -> bytes:
    at = png.find(b"openbadgecredential")
    damaged = bytearray(png)
    damaged[at + 40] ^= 0x01
    return bytes(damaged)


def test_malformed_pngs_are_refused(world, elsewhere):
    baked = baked_png(elsewhere.json_text())
    message = only_problem(run(world.learner, "crc.png", _corrupt_crc(baked)))
    assert message.startswith("The PNG's iTXt chunk at offset")
    assert message.endswith("bad CRC.")
    message = only_problem(run(world.learner, "cut.png", baked[:-30]))
    assert message.startswith("The PNG is truncated")
    huge_text = b"openbadgecredential\0\0\0\0\0" + b"{" + b" " * baking.MAX_TEXT_BYTES + b"}"
    chunk = (
        struct.pack(">I4s", len(huge_text), b"iTXt")
        + huge_text
        + struct.pack(">I", binascii.crc32(huge_text, binascii.crc32(b"iTXt")))
    )
    image = plain_png()
    message = only_problem(run(world.learner, "huge.png", image[:-12] + chunk + image[-12:]))
    assert "text chunks are limited to 1,048,576 bytes" in message
    message = only_problem(run(world.learner, "plain.png", image))
    assert message == "The PNG holds no Open Badges credential (no openbadgecredential chunk)."


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "The SVG contains a script (a <script> element); remove it.",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>',
            "The SVG contains a script: the event handler onclick= on <rect>; remove it.",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<image xlink:href="https://tracker.example/p.png"/></svg>',
            "The SVG references a resource outside the file (https://tracker.example/p.png) "
            "from <image>; embed images in the file (PNG, JPEG, GIF or WebP as a data: URI) "
            "and upload it again.",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: url(http://x.example/a) }'
            b"</style></svg>",
            "The SVG loads an external resource (http://x.example/a) from CSS in a <style> "
            "element; embed it in the file or remove it.",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
            "The SVG has a DOCTYPE that is not allowed: only the standard SVG DOCTYPE, without "
            "an internal subset (no entity or other declarations), is accepted.",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>',
            "The SVG is not well-formed XML (line 1, column 49).",
        ),
    ],
)
def test_hostile_svgs_are_refused(world, elsewhere, svg, expected):
    assert only_problem(run(world.learner, "evil.svg", svg)) == expected


def test_a_baked_svg_with_a_script_is_refused_even_with_a_valid_credential(world, elsewhere):
    svg = baked_svg(elsewhere.json_text()).replace(b"</svg>", b"<script>alert(1)</script></svg>")
    assert "script" in only_problem(run(world.learner, "evil.svg", svg))
    assert ImportedCredential.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"name": "my shopping list"}',
            "The JSON is not an Open Badges credential: it is neither a Verifiable Credential "
            "(Open Badges 3.0) nor an Open Badges 2.0 assertion.",
        ),
        (
            '{"type": "VerifiableCredential", "type": "x"}',
            "The credential is not acceptable JSON: duplicate member name 'type'.",
        ),
        ("[1, 2]", "The file is not a baked PNG or SVG badge"),
        ("{not json", "The credential is not acceptable JSON: not valid JSON"),
    ],
)
def test_non_credential_json_is_refused(world, content, expected):
    assert only_problem(run(world.learner, "x.json", content)).startswith(expected)


def test_a_file_or_an_address_is_required(world):
    with pytest.raises(DomainError, match="one of the two"):
        imports.import_credentials(owner=world.learner)


# --- Open Badges 2.0 ----------------------------------------------------------------------------


def test_an_ob2_hosted_assertion_json_is_fetched_and_labelled_unverified(world, ob2):
    assertion = ob2.badge()
    text = json.dumps(assertion, indent=2)
    (imported,) = run(world.learner, "assertion.json", text, fetch=ob2.fetch).imported
    assert imported.kind == "ob2_hosted"
    assert imported.label == "Open Badges 2.0 — not cryptographically verified"
    assert imported.content == text
    assert imported.credential_id == assertion["id"]
    assert imported.issuer_id == ob2.url("/issuer")
    assert imported.issuer_name == "Old Guild of Makers"
    assert imported.title == "Woodworking Level 1"
    assert imported.image_url == "https://guild.example.org/badge.png"
    assert imported.issued_at == datetime.datetime(2019, 5, 4, 10, tzinfo=UTC)
    assert imported.recipient.startswith("email: sha256$")
    assert imported.verdict == "valid"
    checks = {c["name"]: c for c in imported.checks}
    assert checks["proof"]["outcome"] == "skipped"
    assert "not cryptographically verified" in checks["proof"]["message"]
    assert ob2.server.requests == ["/assertions/1", "/badges/1", "/issuer"]


def test_ob2_by_address_and_baked_badges(world, ob2):
    first, second, third = ob2.badge(1), ob2.badge(2, embedded=True), ob2.badge(3)
    by_url = imports.import_credentials(owner=world.learner, url=first["id"], fetch=ob2.fetch)
    assert [c.source_format for c in by_url.imported] == ["url"]
    (png,) = run(world.learner, "b.png", ob2_png(second["id"]), fetch=ob2.fetch).imported
    assert png.source_format == "png"
    assert png.title == "Woodworking Level 2"
    (svg,) = run(world.learner, "b.svg", ob2_svg(third["id"]), fetch=ob2.fetch).imported
    assert svg.source_format == "svg"
    assert svg.title == "Woodworking Level 3"
    # A tEXt chunk with the assertion itself (as Open Badges 1.x/2.0 bakers wrote it).
    again = run(world.learner, "old.png", ob2_png(json.dumps(first), b"tEXt"), fetch=ob2.fetch)
    assert only_problem(again).startswith("Already in your wallet")


def test_an_old_or_signed_assertion_in_an_ob2_badge_is_refused(world, ob2):
    old = {"recipient": "someone@example.org", "badge": "https://example.org/badge.json"}
    message = only_problem(run(world.learner, "old.png", ob2_png(json.dumps(old), b"tEXt")))
    assert message.startswith("The badge holds an assertion without the Open Badges 2.0 context")
    message = only_problem(run(world.learner, "signed.png", ob2_png("eyJh.eyJi.c2ln")))
    assert message == (
        "The badge holds a signed Open Badges 2.0 assertion; only hosted Open Badges 2.0 "
        "assertions can be imported."
    )


def test_a_revoked_ob2_assertion_is_kept_labelled_revoked(world, ob2):
    assertion = ob2.badge(revoked=True)
    (imported,) = run(world.learner, "a.json", json.dumps(assertion), fetch=ob2.fetch).imported
    assert imported.verdict == "revoked"
    checks = {c["name"]: c for c in imported.checks}
    assert checks["status"]["message"] == "the issuer has revoked this badge: Awarded by mistake"


def test_ob2_reverify_sees_a_later_revocation_and_a_vanished_assertion(world, ob2):
    assertion = ob2.badge()
    (imported,) = run(world.learner, "a.json", json.dumps(assertion), fetch=ob2.fetch).imported
    ob2.serve("/assertions/1", {**assertion, "revoked": True})
    again = imports.reverify_imported(owner=world.learner, uuid=imported.uuid, fetch=ob2.fetch)
    assert again.verdict == "revoked"
    ob2.serve("/assertions/1", {"error": "gone"}, status=410)
    again = imports.reverify_imported(owner=world.learner, uuid=imported.uuid, fetch=ob2.fetch)
    assert again.verdict == "unknown"
    assert "answered HTTP 410" in again.checks[0]["message"]


def test_an_altered_or_unhosted_ob2_assertion_is_refused(world, ob2):
    assertion = ob2.badge()
    altered = {**assertion, "badge": ob2.url("/badges/99")}
    message = only_problem(run(world.learner, "a.json", json.dumps(altered), fetch=ob2.fetch))
    assert message == (
        f"The assertion differs from the issuer's hosted copy at {assertion['id']} (badge); "
        "it may have been altered."
    )
    gone = {**assertion, "id": ob2.url("/assertions/404")}
    message = only_problem(run(world.learner, "b.json", json.dumps(gone), fetch=ob2.fetch))
    assert message.startswith("The hosted assertion could not be fetched: ")
    assert "answered HTTP 404" in message
    signed = {**assertion, "verification": {"type": "signed"}}
    message = only_problem(run(world.learner, "c.json", json.dumps(signed), fetch=ob2.fetch))
    assert message == "Signed Open Badges 2.0 assertions cannot be imported, only hosted ones."
    assert ImportedCredential.objects.count() == 0


def test_addresses_are_fetched_through_the_ssrf_guard(world, ob2):
    """Without the test's opt-in, the real fetcher refuses loopback and plain http."""
    assertion = ob2.badge()
    result = imports.import_credentials(owner=world.learner, url=assertion["id"])
    assert "resolves to a non-public address (127.0.0.1); refusing to connect" in only_problem(
        result
    )
    result = imports.import_credentials(owner=world.learner, url="http://example.org/a")
    assert only_problem(result) == (
        "Enter the badge's https:// address (at most 2,000 characters)."
    )
    assert ob2.server.requests == []


def test_the_wallet_export_carries_imported_credentials_verbatim_and_they_import_again(
    world, elsewhere, login
):
    from django.urls import reverse

    text, token = elsewhere.json_text("Fieldwork"), elsewhere.jwt("Diving", number=2)
    run(world.learner, "fieldwork.json", text)
    run(world.learner, "diving.jwt", token)
    response = login(world.learner).get(reverse("learner:export"))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.read("imported/1-fieldwork.json").decode() == text
    assert archive.read("imported/2-diving.jwt").decode() == token
    manifest = json.loads(archive.read("manifest.json"))
    assert [
        (entry["path"], entry["issuer"], entry["verdict"]) for entry in manifest["imported"]
    ] == [
        ("imported/1-fieldwork.json", "Elsewhere University", "valid"),
        ("imported/2-diving.jwt", "Elsewhere University", "valid"),
    ]
    # Another account takes the whole export in: both come back, as the same credentials.
    imported_only = {
        name: archive.read(name) for name in archive.namelist() if name.startswith("imported/")
    }
    again = run(world.stranger, "wallet.zip", zip_of(imported_only))
    assert sorted(c.title for c in again.imported) == ["Diving", "Fieldwork"]
    assert {c.content for c in again.imported} == {text, token}
