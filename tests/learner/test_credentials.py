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


def test_each_valid_credential_offers_linkedin_and_cv_exports_list_only_valid_ones(world, login):
    import html
    import json
    from urllib.parse import parse_qsl, urlsplit

    organization = world.a.organization
    organization.linkedin_organization_id = "1337"
    organization.save()
    kept = issue(
        world.a.issuer, publish_achievement(world.a.issuer, title="Kept"), "learner@example.test"
    )
    gone = issue(
        world.a.issuer, publish_achievement(world.a.issuer, title="Gone"), "learner@example.test"
    )
    revoke_credential(member=world.a.issuer, credential=gone, reason="Mistake")
    holder = login(world.learner)

    page = holder.get(URL).content.decode()
    links = [
        html.unescape(part.split('"')[0])
        for part in page.split('class="button button-secondary linkedin-add" href="')[1:]
    ]
    assert len(links) == 1  # the revoked one gets no LinkedIn button
    query = dict(parse_qsl(urlsplit(links[0]).query))
    assert (query["name"], query["organizationId"], query["certId"]) == (
        "Kept",
        "1337",
        kept.verification_code,
    )
    assert query["certUrl"].endswith(f"/verify/{kept.verification_code}")
    assert "Credential ID" in page

    lines = holder.get(reverse("learner:cv_export", args=["txt"])).content.decode()
    assert lines.startswith(f"Kept — {organization.name} — ")
    assert "Gone" not in lines
    assert "[verify](" in holder.get(reverse("learner:cv_export", args=["md"])).content.decode()
    resume = json.loads(holder.get(reverse("learner:cv_export", args=["json"])).content)
    assert [entry["name"] for entry in resume["certificates"]] == ["Kept"]
    assert holder.get(reverse("learner:cv_export", args=["docx"])).status_code == 404
    # Another person's export holds none of these.
    assert login(world.stranger).get(reverse("learner:cv_export", args=["txt"])).content == b""


def test_the_wallet_groups_credentials_by_institution(world, login):
    issue(
        world.b.issuer,
        publish_achievement(world.b.issuer, title="From Beta"),
        "learner@example.test",
    )
    issue(
        world.a.issuer,
        publish_achievement(world.a.issuer, title="From Alpha"),
        "learner@example.test",
    )
    page = login(world.learner).get(URL).content.decode()
    alpha, beta = world.a.organization.name, world.b.organization.name
    order = [
        page.index(f">{alpha}</h2>"),
        page.index("From Alpha"),
        page.index(f">{beta}</h2>"),
        page.index("From Beta"),
    ]
    assert order == sorted(order)


def _qr_images(html: str) -> list[str]:
    """The SVG of each QR image on a page (data URIs)."""
    import base64
    import re

    return [
        base64.b64decode(data).decode()
        for data in re.findall(r'class="qr" src="data:image/svg\+xml;base64,([^"]+)"', html)
    ]


def test_the_wallet_and_the_public_page_show_the_verification_qr_code(world, login, client):
    from microcred.issuance.artifacts import verification_url
    from microcred.rendering.data import qr_svg

    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), world.learner.email)
    url = verification_url(credential)
    assert url.endswith(f"/verify/{credential.verification_code}")
    wallet = login(world.learner).get(URL).content.decode()
    assert _qr_images(wallet) == [qr_svg(url)]
    public = client.get(reverse("public:verify_code", args=[credential.verification_code]))
    assert _qr_images(public.content.decode()) == [qr_svg(url)]


def test_the_wallet_flags_credentials_expiring_within_sixty_days(world, login):
    from datetime import timedelta

    from django.utils import timezone

    from microcred.issuance.models import IssuedCredential

    soon, later, ended = (
        issue(world.a.issuer, publish_achievement(world.a.issuer, title=t), world.learner.email)
        for t in ("Soon", "Later", "Ended")
    )
    now = timezone.now()
    for credential, days in ((soon, 30), (later, 90), (ended, -1)):
        IssuedCredential.objects.filter(pk=credential.pk).update(
            valid_from=now - timedelta(days=10), valid_until=now + timedelta(days=days)
        )
        credential.refresh_from_db()
    assert soon.expires_soon(now)
    assert not later.expires_soon(now)
    assert not ended.expires_soon(now)  # already expired: shown as expired, not as expiring
    html = login(world.learner).get(URL).content.decode()
    assert html.count("Expiring soon") == 1
    card = html[html.index(f'id="credential-{soon.pk}"') :]
    assert card.index("Expiring soon: 4") < card.index("</article>")  # "4 weeks, 1 day left"
    assert "Expired" in html
