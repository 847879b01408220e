"""A holder ticks credentials in their cards and gets the PDF summary of just those (the
checkboxes belong to the form in the page head), and downloads everything as a ZIP."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.support import log_in
from tests.conftest import issue, publish_achievement

pytestmark = pytest.mark.django_db(transaction=True)


def test_holder_ticks_credentials_for_the_summary_and_downloads_everything(page, world):
    ticked = issue(
        world.a.issuer,
        publish_achievement(world.a.issuer, title="Ticked Course"),
        "learner@example.test",
    )
    left = issue(
        world.b.issuer,
        publish_achievement(world.b.issuer, title="Unticked Course"),
        "learner@example.test",
    )
    log_in(page, "learner@example.test")
    page.goto("/me/credentials")
    expect(page.get_by_role("heading", name="My credentials")).to_be_visible()

    # Each checkbox's label names its credential (screen readers hear which one it is).
    page.get_by_label("Include “Ticked Course” in the PDF summary").check()
    with page.expect_download() as summary:
        page.get_by_role("button", name="PDF summary of selected credentials").click()
    pdf = Path(summary.value.path()).read_bytes()
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    assert ticked.verification_code in text
    assert left.verification_code not in text

    with page.expect_download() as archive:
        page.get_by_role("link", name="Download everything (ZIP)").click()
    assert archive.value.suggested_filename.endswith(".zip")
    zipped = zipfile.ZipFile(archive.value.path())
    manifest = json.loads(zipped.read("manifest.json"))
    assert {e["verification_code"] for e in manifest["credentials"]} == {
        ticked.verification_code,
        left.verification_code,
    }
