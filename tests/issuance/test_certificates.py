"""Certificates and badges of issued credentials: rendered from the definition's design, cached
per design version, re-rendered after a design change without touching the signed credential,
and verifiable from the PDF alone (upload, CLI)."""

from __future__ import annotations

import io
import json
from typing import Any

import pikepdf
import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from pypdf import PdfReader

from microcred.achievements import designs
from microcred.core.errors import DomainError, NotFound, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.issuance import artifacts
from microcred.issuance.models import RenderedArtifact
from microcred.vc import baking
from tests.conftest import issue, publish_achievement

SIGNATURE_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def achievement(world):
    return publish_achievement(world.a.issuer)


@pytest.fixture
def credential(world, achievement):
    return issue(world.a.issuer, achievement, "learner@example.test")


def read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_shows_the_holder_and_carries_the_signed_credential(credential, tmp_path, capsys):
    artifact = artifacts.artifact_for(credential, "pdf")
    content = read(artifact.file)
    text = pdf_text(content)
    assert credential.recipient_name in text
    assert credential.verification_code in text
    assert json.loads(baking.extract(content)) == credential.document
    with pikepdf.open(io.BytesIO(content)) as document:
        meta = document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        assert meta.pdfa_status == "3B"
        assert credential.recipient_name in meta["dc:title"]
        assert meta["dc:creator"] == [credential.organization.name]
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    call_command("verify", str(path))
    assert "Verdict: VALID" in capsys.readouterr().out


def test_renderings_are_cached_per_design_version_and_redone_after_a_change(
    world, achievement, credential
):
    first = {kind: artifacts.artifact_for(credential, kind) for kind in ("pdf", "png", "svg")}
    assert {kind: artifacts.artifact_for(credential, kind).pk for kind in first} == {
        kind: artifact.pk for kind, artifact in first.items()
    }
    signed = credential.document
    design = designs.design_of(achievement)
    designs.update_design(
        member=world.a.issuer,
        design=design,
        fields={"certificate_layout": "modern", "primary_color": "#AA3300"},
        signatories=[
            designs.SignatoryData(
                "Grace Hopper", "Dean", SimpleUploadedFile("s.png", SIGNATURE_PNG)
            )
        ],
    )
    design.refresh_from_db()
    assert (design.version, design.certificate_layout, design.primary_color) == (
        2,
        "modern",
        "#aa3300",
    )
    again = artifacts.artifact_for(credential, "pdf")
    assert again.design_version == 2
    assert again.sha256 != first["pdf"].sha256
    assert "Grace Hopper" in pdf_text(read(again.file))
    assert not RenderedArtifact.objects.filter(pk=first["pdf"].pk).exists()  # superseded
    assert not storages["default"].exists(first["pdf"].file.name)
    credential.refresh_from_db()
    assert credential.document == signed  # only the presentation changed
    assert AuditEntry.objects.filter(action="microcred.design.updated").count() == 1


def test_the_badge_base_is_rendered_once_per_design_and_finished_per_credential(world, achievement):
    holders = [issue(world.a.issuer, achievement, f"h{n}@example.test") for n in range(3)]
    baked = [artifacts.render(c, "png") for c in holders]
    design = designs.design_of(achievement)
    _, bases = storages["default"].listdir(f"designs/{design.pk}/v{design.version}")
    assert [name for name in bases if name.endswith(".png")] == [
        f"badge-{holders[0].achievement_version_id}.png"
    ]
    assert len(set(baked)) == 3
    for holder, image in zip(holders, baked, strict=True):
        assert json.loads(baking.extract(image)) == holder.document


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"primary_color": "blue"}, "primary_color", "Enter a colour as #RRGGBB"),
        ({"certificate_layout": "fancy"}, "certificate_layout", "Choose one of"),
        ({"paper": "a3"}, "paper", "Choose one of"),
        ({"certificate_layout": "custom"}, "custom_certificate", "Upload the SVG template first"),
        ({"shadow": "yes"}, None, "Unknown design setting"),
    ],
)
def test_bad_design_settings_are_refused_and_change_nothing(
    world, achievement, fields, field, message
):
    design = designs.design_of(achievement)
    with pytest.raises(DomainError, match=message) as refused:
        designs.update_design(member=world.a.issuer, design=design, fields=fields)
    assert refused.value.field == field
    design.refresh_from_db()
    assert (design.version, design.certificate_layout, design.primary_color) == (1, "classic", "")


def test_a_hostile_signature_image_is_refused_and_nothing_is_stored(world, achievement):
    design = designs.design_of(achievement)
    script = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for upload, message in [
        (SimpleUploadedFile("s.png", b"MZ\x90\x00 not an image"), "Signatory 1:"),
        (SimpleUploadedFile("s.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "Signatory 1:"),
        (SimpleUploadedFile("s.svg", script), "Signatory 1: The SVG contains a script"),
    ]:
        with pytest.raises(DomainError, match=message):
            designs.update_design(
                member=world.a.issuer,
                design=design,
                fields={},
                signatories=[designs.SignatoryData("Eve", signature=upload)],
            )
    assert design.signatories.count() == 0
    # An SVG signature from an editor is kept, without the editor's metadata.
    drawn = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><metadata>pen</metadata><path d="M0 0"/></svg>'
    )
    designs.update_design(
        member=world.a.issuer,
        design=design,
        fields={},
        signatories=[designs.SignatoryData("Eve", signature=SimpleUploadedFile("s.svg", drawn))],
    )
    stored = read(design.signatories.get().signature)
    assert b"<path" in stored
    assert b"metadata" not in stored


def test_only_this_organizations_editors_change_its_designs(world, achievement):
    with pytest.raises(NotFound):
        designs.get_design_for(world.b.owner, achievement.pk)
    design = designs.get_design_for(world.a.assessor, achievement.pk)
    with pytest.raises(PermissionDenied):
        designs.update_design(member=world.a.assessor, design=design, fields={"paper": "us-letter"})
    with pytest.raises(NotFound):
        designs.update_design(member=world.b.owner, design=design, fields={"paper": "us-letter"})
    design.refresh_from_db()
    assert (design.paper, design.version) == ("a4", 1)


def test_issuing_in_process_renders_nothing_ahead_and_downloads_render_on_demand(
    world, credential, login: Any
):
    assert not RenderedArtifact.objects.filter(credential=credential).exists()
    from django.urls import reverse

    response = login(world.learner).get(reverse("learner:download", args=[credential.uuid, "pdf"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert RenderedArtifact.objects.filter(credential=credential, kind="pdf").count() == 1


def test_a_custom_svg_template_is_cleaned_on_upload_and_used_for_the_certificate(
    world, achievement, credential
):
    template = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="842" height="595">'
        b'<metadata>editor</metadata><rect width="842" height="595" fill="#fff"/>'
        b'<text x="40" y="100">Awarded to {{recipient_name}} ({{verification_code}})</text>'
        b'<rect id="qr_code" x="700" y="450" width="100" height="100"/></svg>'
    )
    design = designs.design_of(achievement)
    designs.update_design(
        member=world.a.issuer,
        design=design,
        fields={"certificate_layout": "custom"},
        custom_certificate=SimpleUploadedFile("mine.svg", template),
    )
    design.refresh_from_db()
    stored = read(design.custom_certificate)
    assert b"metadata" not in stored
    text = pdf_text(read(artifacts.artifact_for(credential, "pdf").file))
    assert f"Awarded to {credential.recipient_name} ({credential.verification_code})" in text
    with pytest.raises(DomainError, match="not") as refused:
        designs.update_design(
            member=world.a.issuer,
            design=design,
            fields={},
            custom_badge=SimpleUploadedFile("x.svg", b"<html>not svg</html>"),
        )
    assert refused.value.field == "custom_badge"


def test_every_layout_a_design_offers_exists_in_the_renderer():
    from microcred.achievements.models import BadgeLayout, CertificateLayout
    from microcred.rendering import engine
    from microcred.rendering.data import BADGE_LAYOUTS, CERTIFICATE_LAYOUTS

    offered = {
        "certificate": ({*CertificateLayout.values} - {"custom"}, CERTIFICATE_LAYOUTS),
        "badge": ({*BadgeLayout.values} - {"custom"}, BADGE_LAYOUTS),
    }
    for kind, (values, known) in offered.items():
        assert values == set(known)
        files = {f"{kind}-{name}.typ" for name in values} | {f"custom-{kind}.typ"}
        for file in files:
            assert (engine.LAYOUTS / file).is_file(), file
