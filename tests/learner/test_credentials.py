from __future__ import annotations

from django.urls import reverse

from microcred.issuance.services import revoke_credential
from tests.conftest import issue, publish_achievement

URL = reverse("learner:credentials")


def test_holder_sees_their_own_credentials_and_nobody_else_does(world, login):
    achievement = publish_achievement(world.a.issuer, title="Secure Coding")
    mine = issue(world.a.issuer, achievement, "Learner@Example.test")
    other = issue(
        world.a.issuer,
        publish_achievement(world.a.issuer, title="Other Thing"),
        "someone@example.test",
    )

    page = login(world.learner).get(URL).content.decode()
    assert "Secure Coding" in page
    assert mine.display_code in page
    assert "Other Thing" not in page
    assert other.display_code not in page

    stranger_page = login(world.stranger).get(URL).content.decode()
    assert "Secure Coding" not in stranger_page
    assert "No credentials have been issued to stranger@example.test yet." in stranger_page


def test_holder_sees_revocation(world, login):
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "learner@example.test")
    revoke_credential(member=world.a.issuer, credential=credential, reason="Mistake")
    page = login(world.learner).get(URL).content.decode()
    assert "Revoked" in page


def test_wallet_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
