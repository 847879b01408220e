"""Steps the browser tests share (and ``bin/screenshots.py`` with them)."""

from __future__ import annotations

import os
from contextlib import contextmanager

from playwright.sync_api import expect

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("MICROCRED_CHROMIUM", "/usr/bin/chromium")
# Without these, Chromium on a machine with no outside network stalls on background fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def log_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("link", name="My credentials")).to_be_visible()


@contextmanager
def visitor(browser, live_server, *, expected_errors: tuple[str, ...] = ()):
    """A browser session, signed out at first (the ``page`` fixture, or a stranger following a
    link, or another account). A Content-Security-Policy violation or a script error is a bug,
    not noise: console errors fail the test, except the ones containing one of
    ``expected_errors`` (Chromium logs every 4xx answer as an error, and some tests want one)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    unexpected = [text for text in errors if not any(part in text for part in expected_errors)]
    assert unexpected == [], unexpected
