"""A real Chromium (Debian's package) driven by Playwright, against pytest-django's live server."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, visitor


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = (
            f"no Chromium at {CHROMIUM}: install Debian's chromium (./test does so where it can)"
        )
        if os.environ.get("MICROCRED_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}; MICROCRED_REQUIRE_BROWSER=1 says the browser tests must run")
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # plain synchronous code, so Django's async-safety guard does not apply to them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    with visitor(browser, live_server) as page:
        yield page
