"""Steps the browser tests share: signing in, finding an article's address, measuring a page."""

from __future__ import annotations

from newsroom import PASSWORD
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from broadsheet.web.links import article_path

__all__ = ["READING_REPORTS", "article_path", "close_quietly", "page_widths", "sign_in",
           "wait_for_service_worker", "without_reading_reports"]


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a reader would."""
    page.goto("/account/signin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()


def page_widths(page: Page) -> tuple[int, int]:
    """The document's scroll width and the window's width: equal when nothing sticks out."""
    return tuple(page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]"))


def wait_for_service_worker(page: Page, timeout_ms: int = 10_000) -> None:
    """Wait until the page is controlled by the worker it registered (the shell is stored)."""
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                               timeout=timeout_ms)
    except PlaywrightTimeoutError:
        registered = page.evaluate(
            "async () => (await navigator.serviceWorker.getRegistrations()).length")
        raise AssertionError(
            "no service worker controls the page" + (
                "" if registered else ": none was registered (base.html loads web/pwa.js)")
        ) from None


READING_REPORTS = "**/reads/"


def without_reading_reports(ctx: BrowserContext) -> BrowserContext:
    """Drop the reading reports article pages send as the reader leaves them.

    A report sent as a test's last page is left can reach the live server after the test,
    while its database is being emptied for the next one. Browsers start this way; a test about
    reading reports lets them through with ``ctx.unroute(READING_REPORTS)``.
    """
    ctx.route(READING_REPORTS, lambda route: route.abort())
    return ctx


def close_quietly(ctx: BrowserContext) -> None:
    """Close a browser without the reading report its open article pages send as they go."""
    without_reading_reports(ctx)
    ctx.close()
