"""A holder imports a credential from another issuer: a baked badge signed by another
installation's did:key, uploaded on the import page, then listed under that issuer, verified."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.support import log_in
from tests.wallet.imports_support import ElsewhereIssuer, baked_png

pytestmark = pytest.mark.django_db(transaction=True)


def test_importing_a_credential_from_another_issuer(page, world, tmp_path):
    elsewhere = ElsewhereIssuer("Harbour Polytechnic")
    badge = tmp_path / "sailing.png"
    badge.write_bytes(baked_png(json.dumps(elsewhere.credential("Coastal Sailing"))))
    tampered = elsewhere.credential("Ocean Racing", number=2)
    tampered["credentialSubject"]["achievement"]["name"] = "Ocean Racing (Master)"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(tampered))

    log_in(page, world.learner.email)
    page.get_by_role("link", name="My credentials").click()
    expect(page.get_by_role("heading", name="Imported from other issuers")).to_be_visible()
    page.get_by_role("link", name="Add a credential from elsewhere").click()
    expect(page.get_by_role("heading", name="Add a credential from elsewhere")).to_be_visible()

    # A forged credential is refused, naming the check that failed.
    page.get_by_label("Credential file").set_input_files(str(forged))
    page.get_by_role("button", name="Add to my wallet").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "forged.json: Not imported: the credential failed verification — Signature:"
    )

    page.get_by_label("Credential file").set_input_files(str(badge))
    page.get_by_role("button", name="Add to my wallet").click()
    expect(page.get_by_role("heading", name="Coastal Sailing")).to_be_visible()
    expect(
        page.get_by_text(
            f"Issued by Harbour Polytechnic ({elsewhere.did}) — imported, not issued by this "
            "platform"
        )
    ).to_be_visible()
    expect(page.locator(".verdict")).to_contain_text("Open Badges 3.0 — verified")
    expect(page.locator(".checks")).to_contain_text("1 proof(s) verified")

    page.get_by_role("button", name="Re-verify").click()
    expect(page.get_by_text("Verified again: valid (Open Badges 3.0 — verified).")).to_be_visible()

    page.get_by_role("link", name="Back to my credentials").click()
    section = page.locator("section#imported")
    expect(section.get_by_role("heading", name="Harbour Polytechnic")).to_be_visible()
    card = section.locator("article", has_text="Coastal Sailing")
    expect(card).to_contain_text("Open Badges 3.0 — verified")
    expect(card.locator(".status")).to_have_text("Valid")
    expect(section).not_to_contain_text("Ocean Racing")
