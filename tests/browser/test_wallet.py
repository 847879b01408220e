"""The holder's wallet in a real browser: claiming from the e-mail's link, downloading every
artifact (and reading the rendered ones as images), the privacy switches as a stranger sees
them, and the LinkedIn link's parameters."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from microcred.accounts.models import User
from microcred.core.models import AuditEntry
from microcred.issuance import services as issuance_services
from microcred.issuance.models import IssuedCredential
from microcred.issuance.verification import verify
from microcred.vc import baking
from tests.browser import ocr
from tests.browser.support import log_in, visitor
from tests.conftest import PASSWORD, publish_achievement

pytestmark = pytest.mark.django_db(transaction=True)


def issue_to(member, achievement, email: str, name: str, **options) -> IssuedCredential:
    return issuance_services.issue_credential(
        member=member,
        achievement=achievement,
        recipient_name=name,
        recipient_email=email,
        **options,
    )


def claim_path(email: str) -> str:
    """The claim link of the last e-mail sent to ``email``, as a path on the live server (the
    link itself starts with the configured public URL)."""
    sent = [message for message in mail.outbox if message.to == [email]]
    assert sent, f"no e-mail to {email}"
    found = re.search(r"https?://\S+?(/claim/\S+)", sent[-1].body)
    assert found, sent[-1].body
    return found.group(1)


def card(page, title: str):
    """The wallet's card of the credential titled ``title``."""
    return page.locator("article.card").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


# -- claiming ------------------------------------------------------------------------------------


def test_a_recipient_without_an_account_claims_from_the_email_link(
    page, world, browser, live_server
):
    achievement = publish_achievement(world.a.issuer, title="Incident Response")
    credential = issue_to(world.a.issuer, achievement, "nora@example.test", "Nora Quist")
    assert credential.recipient is None  # no account for that address yet

    page.goto(claim_path("nora@example.test"))
    expect(page.get_by_role("heading", name="Incident Response")).to_be_visible()
    expect(page.get_by_text("Issued to Nora Quist (nora@example.test)")).to_be_visible()
    page.get_by_label("Your name").fill("Nora Quist")
    page.get_by_label("Choose a password").fill("a long passphrase 42")
    page.get_by_role("button", name="Create my account and add the credential").click()

    expect(page.get_by_role("heading", name="My credentials")).to_be_visible()
    expect(page.get_by_text("“Incident Response” is in your wallet.")).to_be_visible()
    expect(card(page, "Incident Response").get_by_text(credential.display_code)).to_be_visible()
    user = User.objects.get(email="nora@example.test")
    credential.refresh_from_db()
    assert credential.recipient == user
    assert AuditEntry.objects.filter(
        action="microcred.credential.claimed", data={"email": "nora@example.test"}
    ).exists()

    # The link is spent on that account: signed in elsewhere, it cannot take the credential
    # (the refusal is a 400 answer, which Chromium logs).
    with visitor(browser, live_server, expected_errors=("status of 400",)) as other:
        log_in(other, world.stranger.email)
        other.goto(claim_path("nora@example.test"))
        other.get_by_role("button", name="Add to my wallet").click()
        expect(other.get_by_text("already been added to another account")).to_be_visible()
    credential.refresh_from_db()
    assert credential.recipient == user


def test_a_recipient_with_an_account_logs_in_from_the_link_and_claims(page, world):
    # Issued to a second address of the learner's, which their account does not know.
    achievement = publish_achievement(world.a.issuer, title="Threat Modelling")
    credential = issue_to(world.a.issuer, achievement, "lea.work@example.test", "Lea Learner")
    page.goto(claim_path("lea.work@example.test"))
    page.get_by_role("link", name="I have an account: log in").click()
    page.fill("#id_username", world.learner.email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    # Back on the claim page, now signed in.
    expect(page.get_by_text(f"Add it to the wallet of {world.learner.email}?")).to_be_visible()
    page.get_by_role("button", name="Add to my wallet").click()
    expect(page.get_by_text("“Threat Modelling” is in your wallet.")).to_be_visible()
    expect(card(page, "Threat Modelling").get_by_text(credential.display_code)).to_be_visible()
    credential.refresh_from_db()
    assert credential.recipient == world.learner


# -- downloads -----------------------------------------------------------------------------------


def download(page, holder_card, name: str) -> tuple[str, bytes]:
    with page.expect_download() as started:
        holder_card.get_by_role("link", name=name).click()
    got = started.value
    assert got.failure() is None
    return got.suggested_filename, got.path().read_bytes()


def test_the_holder_downloads_every_artifact_and_each_carries_the_credential(page, world):
    ocr.require("pdftoppm", "tesseract")
    achievement = publish_achievement(world.a.issuer, title="Applied Cryptography")
    # Plain Latin letters: OCR reads them reliably.
    credential = issue_to(world.a.issuer, achievement, world.learner.email, "Oliver Bennett")
    other = issue_to(world.a.issuer, achievement, "someone@example.test", "Mara Stone")
    log_in(page, world.learner.email)
    page.goto("/me/credentials")
    holder_card = card(page, "Applied Cryptography")
    code = credential.verification_code

    name, signed = download(page, holder_card, "Signed credential (JSON)")
    assert name == f"credential-{code}.json"
    assert json.loads(signed) == credential.document
    report = verify(signed)
    assert report.verdict == "valid", report.as_dict()

    name, png = download(page, holder_card, "Badge (PNG)")
    assert (name, png[:8]) == (f"credential-{code}.png", b"\x89PNG\r\n\x1a\n")
    assert json.loads(baking.extract_png(png)) == credential.document
    name, svg = download(page, holder_card, "Badge (SVG)")
    assert name == f"credential-{code}.svg"
    assert json.loads(baking.extract_svg(svg)) == credential.document
    name, pdf = download(page, holder_card, "Certificate (PDF)")
    assert (name, pdf[:5]) == (f"credential-{code}.pdf", b"%PDF-")
    assert json.loads(baking.extract_pdf(pdf)) == credential.document
    for artifact in (png, svg, pdf):
        assert verify(baking.extract(artifact)).verdict == "valid"

    # Read as a person would: the holder's name and the code on the certificate, the code on
    # the badge's plate beside its QR code.
    certificate_text = ocr.image_text(ocr.pdf_page_png(pdf, dpi=150))
    assert "oliver bennett" in ocr.words(certificate_text), certificate_text
    ocr.assert_code_on(certificate_text, code, "certificate")
    badge_text = ocr.image_text(png)
    ocr.assert_code_on(badge_text, code, "badge")
    # The tolerance of the comparison does not let another credential's code pass.
    assert ocr.edits_to_code(certificate_text, other.verification_code) > ocr.CODE_TOLERANCE
    assert ocr.edits_to_code(badge_text, other.verification_code) > ocr.CODE_TOLERANCE

    # Another holder's downloads are not there for this one.
    response = page.request.get(f"/me/credentials/{other.uuid}/download/pdf")
    assert response.status == 404


# -- privacy -------------------------------------------------------------------------------------


def fetched(page, path: str) -> list:
    """The status and type of ``path`` as the page's own script would get them (opening an
    image as a page instead would make Chromium's image viewer trip over our CSP)."""
    return page.evaluate(
        "path => fetch(path).then((r) => [r.status, r.headers.get('content-type')])", path
    )


def test_the_holder_turns_the_public_page_off_and_hides_the_name(page, world, browser, live_server):
    achievement = publish_achievement(world.a.issuer, title="Secure Operations")
    credential = issue_to(world.a.issuer, achievement, world.learner.email, "Lea Learner")
    code = credential.verification_code
    with visitor(browser, live_server) as stranger:
        stranger.goto(f"/verify/{code}")
        expect(stranger.get_by_text("Lea Learner").first).to_be_visible()

    log_in(page, world.learner.email)
    page.goto("/me/credentials")
    holder_card = card(page, "Secure Operations")
    expect(holder_card.get_by_role("link", name="Add to LinkedIn profile")).to_be_visible()
    holder_card.get_by_label("Public verification page").uncheck()
    holder_card.get_by_role("button", name="Save sharing").click()
    expect(page.get_by_text("“Secure Operations”: the public page is off.")).to_be_visible()
    holder_card = card(page, "Secure Operations")
    expect(holder_card.get_by_label("Public verification page")).not_to_be_checked()
    # Nothing to share on LinkedIn while the page it would link to is off.
    expect(holder_card.get_by_role("link", name="Add to LinkedIn profile")).to_have_count(0)

    with visitor(browser, live_server, expected_errors=("404",)) as stranger:
        response = stranger.goto(f"/verify/{code}")
        assert response.status == 404
        expect(stranger.get_by_text("This credential is private")).to_be_visible()
        content = stranger.content()
        assert "Lea Learner" not in content
        assert "Secure Operations" not in content
        assert fetched(stranger, f"/verify/{code}/badge.png")[0] == 404
        assert fetched(stranger, f"/api/v1/verify/{code}")[0] == 404

    holder_card.get_by_label("Public verification page").check()
    holder_card.get_by_label("Show my name on it").uncheck()
    holder_card.get_by_role("button", name="Save sharing").click()
    expect(
        page.get_by_text("“Secure Operations”: the public page is on, without your name.")
    ).to_be_visible()

    with visitor(browser, live_server) as stranger:
        response = stranger.goto(f"/verify/{code}")
        assert response.status == 200
        expect(stranger.get_by_role("heading", name="✓ Valid credential")).to_be_visible()
        expect(stranger.get_by_text("Secure Operations").first).to_be_visible()
        expect(stranger.get_by_text("Not shown, at the holder")).to_be_visible()
        assert "Lea Learner" not in stranger.content()
        assert fetched(stranger, f"/verify/{code}/badge.png") == [200, "image/png"]

    changes = AuditEntry.objects.filter(action="microcred.credential.sharing_changed")
    assert [entry.data["to"] for entry in changes.order_by("pk")] == [
        {"public_page": False, "show_name": True},
        {"public_page": True, "show_name": False},
    ]
    credential.refresh_from_db()
    assert credential.recipient_name == "Lea Learner"  # the issuer's record is unchanged


# -- LinkedIn ------------------------------------------------------------------------------------


def linkedin_parameters(page, title: str) -> dict[str, str]:
    href = (
        card(page, title).get_by_role("link", name="Add to LinkedIn profile").get_attribute("href")
    )
    assert href is not None
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names)), names  # each parameter once
    assert all(value for _, value in pairs), pairs  # no empty parameter
    return dict(pairs)


def test_the_linkedin_button_carries_exactly_the_credentials_facts(page, world):
    # One credential that expires, from an organization with a LinkedIn Page id; one that
    # does not, from one without. Issued in December: a 0-based month would read 11.
    with_page = world.a.organization
    with_page.linkedin_organization_id = "5011"
    with_page.save()
    expiring = issue_to(
        world.a.issuer,
        publish_achievement(world.a.issuer, title="Data & Privacy: Level 2", validity_months=24),
        world.learner.email,
        "Lea Learner",
        issued_at=dt.datetime(2025, 12, 3, 9, 30, tzinfo=dt.UTC),
    )
    lasting = issue_to(
        world.b.issuer,
        publish_achievement(world.b.issuer, title="Statistics / R"),
        world.learner.email,
        "Lea Learner",
        issued_at=dt.datetime(2026, 1, 20, 14, 0, tzinfo=dt.UTC),
    )
    log_in(page, world.learner.email)
    page.goto("/me/credentials")

    assert linkedin_parameters(page, "Data & Privacy: Level 2") == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Data & Privacy: Level 2",
        "organizationId": "5011",
        "issueYear": "2025",
        "issueMonth": "12",
        "expirationYear": "2027",
        "expirationMonth": "12",
        "certUrl": f"{settings.PUBLIC_URL}/verify/{expiring.verification_code}",
        "certId": expiring.verification_code,
    }
    assert linkedin_parameters(page, "Statistics / R") == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Statistics / R",
        "organizationName": "Beta College",
        "issueYear": "2026",
        "issueMonth": "1",
        "certUrl": f"{settings.PUBLIC_URL}/verify/{lasting.verification_code}",
        "certId": lasting.verification_code,
    }
    # certUrl is the card's own public verification page.
    for credential, title in ((expiring, "Data & Privacy: Level 2"), (lasting, "Statistics / R")):
        public = card(page, title).get_by_role("link", name="Public verification page")
        assert public.get_attribute("href") == f"/verify/{credential.verification_code}"
