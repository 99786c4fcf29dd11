"""Keyboard readers: the first Tab reaches the skip link, then the search box, focus visible."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(), text: (el.textContent || "").trim(), id: el.id,
    type: el.getAttribute("type"), visible: el.getBoundingClientRect().width > 1
      && el.getBoundingClientRect().height > 1,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    ring: style.boxShadow !== "none",
  };
}"""


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def test_tab_reaches_skip_link_then_search_with_visible_focus(page: Page, newsroom):
    page.goto("/")
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a" and first["text"] == "Skip to content", first
    assert first["visible"], "the skip link must appear when focused"
    assert first["outline"] or first["ring"], "the skip link shows no focus indicator"

    for _ in range(10):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["outline"] or now["ring"], f"no visible focus on {now}"
        if now["type"] == "search":
            break
    else:
        raise AssertionError("ten presses of Tab never reached the search box")

    page.keyboard.type("turbines")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=turbines"))


def test_skip_link_moves_focus_to_the_content(page: Page, newsroom):
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
