"""Organization profile and branding: edit, logo upload (sanitised), validation."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from microcred.core.models import AuditEntry
from microcred.organizations.models import Organization
from tests.conftest import World

from .helpers import SVG_WITH_SCRIPT, audit_actions, messages_of, png_bytes, text, url


def profile(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Alpha Academy of Data",
        "legal_name": "Alpha Academy gGmbH",
        "country": "AT",
        "region": "Vienna",
        "website": "alpha.example",
        "contact_email": "hello@alpha.example",
        "description": "Short courses in data.",
        "primary_color": "#112233",
        "secondary_color": "#445566",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_edit_the_profile(world: World, login: Any, role: str) -> None:
    client = login(world.a.member(role).user)
    path = url("organization", world.a.slug)

    page = client.get(path)
    assert page.status_code == 200
    assert 'value="Alpha Academy"' in text(page)

    response = client.post(path, profile())

    assert response.status_code == 302
    assert response["Location"] == path
    assert messages_of(response) == ["Organization profile saved."]
    organization = Organization.objects.get(pk=world.a.organization.pk)
    assert organization.name == "Alpha Academy of Data"
    assert organization.country.code == "AT"
    assert organization.website == "https://alpha.example"
    assert organization.primary_color == "#112233"
    assert organization.slug == "org-a"
    entry = AuditEntry.objects.get(
        organization=organization, action="microcred.organization.updated"
    )
    assert entry.actor == world.a.member(role).user
    assert "name" in entry.data["changed"]
    assert "primary_color" in entry.data["changed"]
    # Org B is untouched, and B's staff cannot reach A's profile.
    assert Organization.objects.get(pk=world.b.organization.pk).name == "Beta College"
    assert login(world.b.owner.user).post(path, profile(name="Taken over")).status_code == 404
    assert Organization.objects.get(pk=world.a.organization.pk).name == "Alpha Academy of Data"


def test_png_logo_is_stored_re_encoded_under_a_fresh_name(world: World, login: Any) -> None:
    upload = SimpleUploadedFile("my logo.png", png_bytes((40, 30)), content_type="image/png")

    response = login(world.a.owner.user).post(
        url("organization", world.a.slug), {**profile(), "logo": upload}
    )

    assert response.status_code == 302
    organization = Organization.objects.get(pk=world.a.organization.pk)
    assert re.fullmatch(r"logos/[0-9a-f]{32}\.png", organization.logo.name)
    with organization.logo.open("rb") as stored, Image.open(io.BytesIO(stored.read())) as image:
        assert image.format == "PNG"
        assert image.size == (40, 30)
    entry = AuditEntry.objects.get(action="microcred.organization.updated")
    assert "logo" in entry.data["changed"]
    # The logo shows in the back office header.
    assert organization.logo.url in text(
        login(world.a.owner.user).get(url("dashboard", world.a.slug))
    )
    assert not Organization.objects.get(pk=world.b.organization.pk).logo


def test_svg_logo_with_a_script_is_refused_and_the_old_logo_kept(world: World, login: Any) -> None:
    client = login(world.a.admin.user)
    path = url("organization", world.a.slug)
    client.post(path, {**profile(), "logo": SimpleUploadedFile("old.png", png_bytes())})
    kept = Organization.objects.get(pk=world.a.organization.pk).logo.name
    upload = SimpleUploadedFile("logo.svg", SVG_WITH_SCRIPT, content_type="image/svg+xml")

    response = client.post(path, {**profile(), "logo": upload})

    assert response.status_code == 400
    assert response.context["form"].errors["logo"] == [
        "The SVG contains a script: the event handler onload= on <svg>; remove it."
    ]
    assert Organization.objects.get(pk=world.a.organization.pk).logo.name == kept


def test_svg_logo_comes_out_sanitised(world: World, login: Any) -> None:
    editor_svg = SVG_WITH_SCRIPT.replace(b' onload="alert(1)"', b"").replace(
        b"<script>alert('owned')</script>", b"<metadata>Inkscape</metadata>"
    )
    upload = SimpleUploadedFile("logo.svg", editor_svg, content_type="image/svg+xml")

    response = login(world.a.admin.user).post(
        url("organization", world.a.slug), {**profile(), "logo": upload}
    )

    assert response.status_code == 302
    organization = Organization.objects.get(pk=world.a.organization.pk)
    assert organization.logo.name.endswith(".svg")
    with organization.logo.open("rb") as stored:
        content = stored.read()
    assert b"<svg" in content
    assert b"<rect" in content
    assert b"metadata" not in content.lower()


def test_remove_logo(world: World, login: Any) -> None:
    client = login(world.a.owner.user)
    path = url("organization", world.a.slug)
    upload = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    client.post(path, {**profile(), "logo": upload})
    assert Organization.objects.get(pk=world.a.organization.pk).logo

    response = client.post(path, {**profile(), "remove_logo": "on"})

    assert response.status_code == 302
    assert not Organization.objects.get(pk=world.a.organization.pk).logo


def test_invalid_colour_is_refused_precisely_and_nothing_is_saved(world: World, login: Any) -> None:
    before = AuditEntry.objects.count()
    upload = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")

    response = login(world.a.owner.user).post(
        url("organization", world.a.slug),
        {**profile(name="Renamed", primary_color="#12345g"), "logo": upload},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "primary_color": ["Enter a colour as #RRGGBB, e.g. #1d4ed8."]
    }
    assert "Enter a colour as #RRGGBB, e.g. #1d4ed8." in text(response)
    organization = Organization.objects.get(pk=world.a.organization.pk)
    assert organization.name == "Alpha Academy"
    assert organization.primary_color == "#1d4ed8"
    assert not organization.logo
    assert AuditEntry.objects.count() == before
    # The page header still shows the saved name, not the rejected one.
    assert "<title>Organization profile" in text(response)
    assert '<span class="org-name">Alpha Academy</span>' in text(response)


def test_a_file_that_is_not_an_image_is_refused(world: World, login: Any) -> None:
    upload = SimpleUploadedFile("logo.png", b"MZ\x90\x00 not an image", content_type="image/png")

    response = login(world.a.owner.user).post(
        url("organization", world.a.slug), {**profile(), "logo": upload}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["logo"] == [
        "Upload a PNG, JPEG, WebP, GIF or SVG image; this file is not one of those."
    ]
    assert not Organization.objects.get(pk=world.a.organization.pk).logo
    assert audit_actions(world.a.organization) == []


@pytest.mark.parametrize("role", ["issuer", "assessor"])
def test_issuer_and_assessor_cannot_edit_the_profile(world: World, login: Any, role: str) -> None:
    client = login(world.a.member(role).user)

    assert client.get(url("organization", world.a.slug)).status_code == 403
    assert client.post(url("organization", world.a.slug), profile()).status_code == 403
    assert Organization.objects.get(pk=world.a.organization.pk).name == "Alpha Academy"


def test_the_linkedin_page_id_is_a_number(world: World, login: Any) -> None:
    client = login(world.a.owner.user)
    path = url("organization", world.a.slug)
    response = client.post(path, profile(linkedin_organization_id="acme-corp"))
    assert response.status_code == 400
    assert "Enter the numeric id of the LinkedIn Page." in text(response)
    assert Organization.objects.get(pk=world.a.organization.pk).linkedin_organization_id == ""
    assert client.post(path, profile(linkedin_organization_id="1337")).status_code == 302
    assert Organization.objects.get(pk=world.a.organization.pk).linkedin_organization_id == "1337"
