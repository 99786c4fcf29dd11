"""Browser tests: Debian's Chromium, driven by Playwright, against the app on a live server.

`make test-deps` (scripts/test-deps.sh) installs Chromium and axe-core. Every test here gets a
fresh browser context (its own cookies, caches and service workers) on a server that sees the
rows the test creates (transactional database; the sections made by migrations come back
after each test).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browsing import close_quietly, without_reading_reports
from django.core.cache import cache
from newsroom import Newsroom, make_newsroom
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / ".cache/npm/node_modules/axe-core/axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser test (Chromium via Playwright)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test runs against a live server on a transactional database."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(autouse=True)
def main_sections(transactional_db) -> None:
    """The sections migrations make, whatever ran before: a test's flush removes them, and
    the serialized rollback does not bring them back when the session began with tests that
    roll back instead."""
    from django.utils.text import slugify

    from broadsheet.curation.models import MAIN_SECTIONS, Section

    for position, name in enumerate(MAIN_SECTIONS):
        Section.objects.get_or_create(name=name, defaults={"slug": slugify(name),
                                                           "position": position})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test file: Playwright's event loop ends with it, so the tests that
    run after the browser tests may start event loops of their own."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make test-deps` (scripts/test-deps.sh)")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary synchronous calls, so Django may allow them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server) -> str:
    """The app's address, with the page cache emptied (rows from earlier tests are gone)."""
    cache.clear()
    return live_server.url


@pytest.fixture
def context(browser: Browser, site: str) -> Iterator[BrowserContext]:
    ctx = without_reading_reports(browser.new_context(
        base_url=site, viewport={"width": 1280, "height": 900}, locale="en-GB",
        timezone_id="Europe/London"))
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    close_quietly(ctx)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def newsroom(site: str) -> Newsroom:
    return make_newsroom()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `make test-deps` (scripts/test-deps.sh)")
    return AXE_SCRIPT

