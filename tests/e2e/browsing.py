"""Steps the browser tests share: signing in, finding an article's address, measuring a page."""

from __future__ import annotations

import contextlib

from newsroom import PASSWORD
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from broadsheet.web.links import article_path

__all__ = ["article_path", "close_quietly", "page_widths", "send_reading_reports", "sign_in",
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


# Browsers' beacons go around Playwright's routing, so reading reports are held back in the
# page itself: reading.js's sendBeacon answers "sent" for them and sends nothing, unless the
# tab's session storage lets them through.
_HOLD_READING_REPORTS = """(() => {
  if (!navigator.sendBeacon) { return; }
  const send = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = (url, data) =>
    String(url).includes("/reads/") && !sessionStorage.getItem("send-reading-reports")
      ? true : send(url, data);
})();"""


def without_reading_reports(ctx: BrowserContext) -> BrowserContext:
    """Hold back the reading reports article pages send as the reader leaves them.

    A report sent as a test's last page is left can reach the live server after the test,
    while its database is being emptied for the next one. Browsers start this way; a test about
    reading reports lets them through with ``send_reading_reports(page)``.
    """
    ctx.add_init_script(_HOLD_READING_REPORTS)
    return ctx


def send_reading_reports(page: Page, send: bool = True) -> None:
    """Let this tab's reading reports through (it must be on the site), or hold them again."""
    page.evaluate("send => send ? sessionStorage.setItem('send-reading-reports', '1')"
                  " : sessionStorage.removeItem('send-reading-reports')", send)


def close_quietly(ctx: BrowserContext) -> None:
    """Close a browser without the reading report its open article pages send as they go."""
    for page in ctx.pages:
        # A page not on the site (about:blank) has no reports to hold.
        with contextlib.suppress(PlaywrightError):
            send_reading_reports(page, False)
    ctx.close()
