"""The holder's sharing choices: the public page (and public badge image) on or off, their name
on it or not; files still verify; only the holder decides."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from microcred.core.models import AuditEntry
from microcred.vc import baking
from tests.conftest import issue, publish_achievement


@pytest.fixture
def credential(world):
    return issue(world.a.issuer, publish_achievement(world.a.issuer), "learner@example.test")


def share(client, credential, **choices):
    data = {name: "on" for name, on in choices.items() if on}
    return client.post(reverse("learner:sharing", args=[credential.uuid]), data)


def test_a_public_page_shows_link_previews_and_a_badge_image(world, client, credential, settings):
    page = client.get(reverse("public:verify_code", args=[credential.verification_code]))
    html = page.content.decode()
    assert f'<meta property="og:title" content="{credential.achievement_version.title} — ' in html
    assert credential.recipient_name in html
    badge_url = f"/verify/{credential.verification_code}/badge.png"
    assert (
        f'<meta property="og:image" content="http://testserver{badge_url}">' in html
        or badge_url in html
    )
    badge = client.get(badge_url)
    assert badge.status_code == 200
    assert badge["Content-Type"] == "image/png"
    assert json.loads(baking.extract(badge.content)) == credential.document


def test_turning_the_public_page_off_hides_everything_but_files_still_verify(
    world, login, client, credential
):
    holder = login(world.learner)
    assert share(holder, credential, public_page=False, show_name=True).status_code == 302
    code = credential.verification_code
    page = client.get(reverse("public:verify_code", args=[code]))
    assert page.status_code == 404
    text = page.content.decode()
    assert "This credential is private" in text
    assert credential.recipient_name not in text
    assert credential.achievement_version.title not in text
    assert client.get(f"/verify/{code}/badge.png").status_code == 404
    assert client.get(f"/api/v1/verify/{code}").status_code == 404
    pdf = holder.get(reverse("learner:download", args=[credential.uuid, "pdf"])).content
    checked = client.post(reverse("public:verify_file"), {"file": SimpleUploadedFile("c.pdf", pdf)})
    assert "✓ Valid credential" in checked.content.decode()
    assert "linkedin-add" not in holder.get(reverse("learner:credentials")).content.decode()
    entry = AuditEntry.objects.get(action="microcred.credential.sharing_changed")
    assert entry.data == {
        "from": {"public_page": True, "show_name": True},
        "to": {"public_page": False, "show_name": True},
    }


def test_hiding_the_name_keeps_the_page_without_it(world, login, client, credential):
    share(login(world.learner), credential, public_page=True, show_name=False)
    code = credential.verification_code
    text = client.get(reverse("public:verify_code", args=[code])).content.decode()
    assert "Valid credential" in text
    assert credential.recipient_name not in text  # not in the page, not in its link preview
    assert "Not shown, at the holder" in text
    assert client.get(f"/api/v1/verify/{code}").json()["holder_name"] is None
    # The issuer's own records are unchanged.
    credential.refresh_from_db()
    assert credential.recipient_name == "Hana Holder"


def test_only_the_holder_changes_the_sharing(world, login, credential):
    response = share(login(world.stranger), credential, public_page=False, show_name=False)
    assert response.status_code == 404
    response = share(login(world.a.owner.user), credential, public_page=False, show_name=False)
    assert response.status_code == 404  # the issuer's staff neither
    credential.refresh_from_db()
    assert (credential.public_page, credential.show_name) == (True, True)
    assert not AuditEntry.objects.filter(action="microcred.credential.sharing_changed").exists()
    assert (
        login(world.learner).get(reverse("learner:sharing", args=[credential.uuid])).status_code
        == 405
    )
