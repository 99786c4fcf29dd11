"""On a phone the article page fits the screen: no sideways scrolling at 320 or 375 px."""

from __future__ import annotations

import pytest
from browsing import article_path, close_quietly, page_widths, sign_in, without_reading_reports
from newsroom import make_member
from playwright.sync_api import Browser, expect


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "member"])
def test_article_has_no_horizontal_scroll_on_phones(browser: Browser, site: str, newsroom,
                                                    signed_in: bool):
    article = newsroom.lead
    email = make_member().email if signed_in else ""
    for width in (320, 375):
        ctx = without_reading_reports(browser.new_context(
            base_url=site, viewport={"width": width, "height": 740}, is_mobile=True,
            has_touch=True, device_scale_factor=2))
        try:
            page = ctx.new_page()
            if signed_in:
                sign_in(page, email)
            page.goto(article_path(article))
            expect(page.get_by_role("heading", level=1)).to_have_text(article.title)
            scroll_width, inner_width = page_widths(page)
            # A phone shrinks a page that is too wide to fit, widening innerWidth with it: so
            # both are held to the screen's own width.
            assert scroll_width <= inner_width <= width, (
                f"{width}px screen: the page is {scroll_width}px wide (window {inner_width}px); "
                f"sticking out: {widest(page, width)}")
        finally:
            close_quietly(ctx)


def widest(page, limit: int) -> list[str]:
    """The elements that stick out past the window, to name in a failure."""
    return page.evaluate("""(limit) => [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
        .filter((el) => { // not when a scrolling strip (the section links) holds it
          for (let up = el.parentElement; up; up = up.parentElement) {
            if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) return false;
          }
          return true;
        })
        .slice(0, 5)
        .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
             + ' ' + Math.round(el.getBoundingClientRect().right) + 'px')""", limit)
