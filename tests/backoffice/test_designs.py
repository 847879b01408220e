"""The design editor: settings and signatories saved through the form, precise errors that
change nothing, live previews from unsaved values, and only the organization's members."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from microcred.achievements import designs
from tests.backoffice.helpers import png_bytes, text, url
from tests.conftest import World, publish_achievement

SETTINGS = {
    "certificate_layout": "modern",
    "badge_layout": "ribbon",
    "paper": "us-letter",
    "font": "Noto Serif",
    "primary_color": "#aa3300",
    "accent_color": "",
}


@pytest.fixture
def achievement(world: World):
    return publish_achievement(world.a.issuer)


def test_an_editor_saves_the_design_and_its_signatories(world, login, achievement) -> None:
    client = login(world.a.issuer.user)
    page = client.get(url("achievement_design", world.a.slug, achievement.pk))
    assert page.status_code == 200
    assert "Certificate and badge design" in text(
        client.get(url("achievement", world.a.slug, achievement.pk))
    )
    response = client.post(
        url("achievement_design", world.a.slug, achievement.pk),
        {
            **SETTINGS,
            "signatory_1_name": "Grace Hopper",
            "signatory_1_title": "Dean",
            "signatory_1_signature": SimpleUploadedFile("sig.png", png_bytes((60, 20))),
            "signatory_2_name": "",
        },
    )
    assert response.status_code == 302
    design = designs.design_of(achievement)
    assert (design.version, design.certificate_layout, design.paper, design.font) == (
        2,
        "modern",
        "us-letter",
        "Noto Serif",
    )
    person = design.signatories.get()
    assert (person.name, person.title, bool(person.signature)) == ("Grace Hopper", "Dean", True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"primary_color": "red"}, "Enter a colour as #RRGGBB"),
        ({"paper": "a3"}, "Select a valid choice"),
        (
            {
                "signatory_1_name": "Eve",
                "signatory_1_signature": SimpleUploadedFile("s.png", b"nope"),
            },
            "Signatory 1:",
        ),
    ],
)
def test_a_bad_design_gets_a_precise_error_and_changes_nothing(
    world, login, achievement, changes, message
) -> None:
    client = login(world.a.issuer.user)
    response = client.post(
        url("achievement_design", world.a.slug, achievement.pk), {**SETTINGS, **changes}
    )
    assert response.status_code == 400
    assert message in text(response)
    design = designs.design_of(achievement)
    assert (design.version, design.certificate_layout, design.signatories.count()) == (
        1,
        "classic",
        0,
    )


def test_previews_render_unsaved_values_and_sample_holders(world, login, achievement) -> None:
    client = login(world.a.issuer.user)
    preview = url("achievement_design_preview", world.a.slug, achievement.pk, "certificate")
    pictures = {}
    for query in ("", "?paper=us-letter&primary_color=%23aa3300", "?sample=arabic", "?paper=bogus"):
        response = client.get(preview + query)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        pictures[query] = response.content
    with (
        Image.open(io.BytesIO(pictures[""])) as a4,
        Image.open(io.BytesIO(pictures["?paper=us-letter&primary_color=%23aa3300"])) as letter,
    ):
        assert a4.size == (842, 595)
        assert letter.size == (792, 612)
    assert pictures["?sample=arabic"] != pictures[""]
    assert pictures["?paper=bogus"] == pictures[""]  # an invalid override is ignored
    badge = client.get(url("achievement_design_preview", world.a.slug, achievement.pk, "badge"))
    with Image.open(io.BytesIO(badge.content)) as image:
        assert image.size == (512, 512)
    assert (
        client.get(
            url("achievement_design_preview", world.a.slug, achievement.pk, "poster")
        ).status_code
        == 404
    )
    assert designs.design_of(achievement).version == 1  # previews never save


def test_other_organizations_and_roles_without_editing_rights(world, login, achievement) -> None:
    stranger = login(world.b.owner.user)
    for name, args in [
        ("achievement_design", ()),
        ("achievement_design_preview", ("certificate",)),
    ]:
        assert stranger.get(url(name, world.a.slug, achievement.pk, *args)).status_code == 404
        assert stranger.get(url(name, world.b.slug, achievement.pk, *args)).status_code == 404
    assessor: Any = login(world.a.assessor.user)
    assert assessor.get(url("achievement_design", world.a.slug, achievement.pk)).status_code == 200
    response = assessor.post(url("achievement_design", world.a.slug, achievement.pk), SETTINGS)
    assert response.status_code == 403
    assert designs.design_of(achievement).version == 1
