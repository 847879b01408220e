"""The path a person walks on day one: define, publish, issue, verify, revoke, verify again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from microcred.issuance.models import IssuedCredential
from tests.browser.support import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_defines_publishes_issues_verifies_and_revokes(page, world):
    log_in(page, "owner@org-a.test")
    page.get_by_role("link", name="Back office").click()
    expect(page.get_by_role("heading", name="Alpha Academy")).to_be_visible()

    # Define: a draft may be incomplete, but publishing lists what the EU elements still need.
    page.get_by_role("link", name="New definition").first.click()
    page.get_by_label("Title").fill("Kubernetes Operations")
    page.get_by_label("Short description").fill("Run production clusters safely.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Not ready to publish")).to_be_visible()
    expect(page.get_by_text("Learning outcomes is required")).to_be_visible()

    page.get_by_role("link", name="Edit draft").click()
    page.get_by_label("Awarding body(ies)").fill("Alpha Academy\nCloud Guild")
    page.get_by_label("Learning outcomes").fill("Deploy workloads\nDiagnose failing pods")
    page.get_by_label("Workload (hours)").fill("40")
    page.get_by_label("Type of assessment").fill("Practical lab exam")
    page.get_by_label("Form of participation").select_option("blended")
    page.get_by_label("Type of quality assurance").fill("Internal QA board")
    page.locator("#id_skills-0-name").fill("Container orchestration")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("This draft is complete")).to_be_visible()

    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Published. New credentials")).to_be_visible()

    # Issue by hand.
    page.get_by_role("link", name="Issue", exact=True).click()
    page.get_by_label("Recipient's full name").fill("Zoë Ångström")
    page.get_by_label("Recipient's e-mail address").fill("zoe@example.test")
    page.get_by_role("button", name="Issue credential").click()
    expect(
        page.get_by_text(re.compile(r"Issued to Zoë Ångström\. Verification code"))
    ).to_be_visible()
    credential = IssuedCredential.objects.get(recipient_email="zoe@example.test")

    # Verify by typing the code, as a stranger would.
    page.goto("/verify")
    page.get_by_label("Verification code").fill(credential.display_code.lower())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="✓ Valid credential")).to_be_visible()
    expect(page.get_by_text("Zoë Ångström")).to_be_visible()
    expect(page.get_by_text("Diagnose failing pods")).to_be_visible()

    # Revoke, then the same page says so, with the reason.
    page.goto(f"/manage/org-a/credentials/issued/{credential.pk}")
    page.get_by_role("link", name="Revoke").click()
    page.get_by_label("Reason").fill("Issued to the wrong person")
    page.get_by_role("button", name="Revoke credential").click()
    expect(page.get_by_text(f"Credential {credential.display_code} revoked.")).to_be_visible()
    page.goto(f"/verify/{credential.verification_code}")
    expect(page.get_by_role("heading", name="✗ Revoked")).to_be_visible()
    expect(page.get_by_text("Issued to the wrong person")).to_be_visible()


def test_verification_works_without_javascript(browser, live_server, world):
    from tests.conftest import issue, publish_achievement

    credential = issue(world.a.issuer, publish_achievement(world.a.issuer), "nojs@example.test")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/verify")
    page.get_by_label("Verification code").fill(credential.display_code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="✓ Valid credential")).to_be_visible()
    page.goto("/verify/NOT-A-CODE")
    expect(page.get_by_role("alert")).to_contain_text("A verification code")
    context.close()


def test_back_office_is_usable_on_a_phone(browser, live_server, world):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    log_in(page, "issuer@org-a.test")
    page.goto("/manage/org-a/credentials/issued")
    expect(page.get_by_role("heading", name="Issued credentials")).to_be_visible()
    # Nothing forces horizontal scrolling of the page itself.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()


def test_issued_list_filters_as_you_type(page, world):
    from tests.conftest import issue, publish_achievement

    achievement = publish_achievement(world.a.issuer)
    for email in ("maria@example.test", "mario@example.test", "olga@example.test"):
        issue(world.a.issuer, achievement, email)
    log_in(page, "issuer@org-a.test")
    page.goto("/manage/org-a/credentials/issued")
    expect(page.get_by_role("status").filter(has_text="credential")).to_have_text("3 credentials")
    page.get_by_label("Search").fill("mari")
    # htmx swaps the results in place; the address bar keeps the filter for sharing and back.
    expect(page.get_by_role("status").filter(has_text="credential")).to_have_text("2 credentials")
    expect(page.get_by_text("olga@example.test")).to_have_count(0)
    assert "q=mari" in page.url
