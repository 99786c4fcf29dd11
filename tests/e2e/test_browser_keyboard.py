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


def test_shortcuts_move_between_articles_search_and_save(page: Page, newsroom):
    """j and k walk the page's articles, Enter opens one, s saves it, / goes to search,
    ? lists the shortcuts; letters typed into the search box stay in it."""
    from browsing import sign_in
    from newsroom import make_member

    from broadsheet.readers.models import SavedArticle

    member = make_member()
    sign_in(page, member.email)
    page.goto("/")
    titles = page.locator("main .card-title a")
    expect(titles.first).to_be_visible()
    page.keyboard.press("j")
    first = titles.nth(0).inner_text()
    assert focused(page)["text"] == first
    page.keyboard.press("j")
    assert focused(page)["text"] == titles.nth(1).inner_text()
    page.keyboard.press("k")
    assert focused(page)["text"] == first

    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(first)
    page.keyboard.press("s")
    expect(page.get_by_role("button", name=re.compile("^Saved"))).to_have_attribute(
        "aria-pressed", "true")
    assert SavedArticle.objects.filter(user=member, article__title=first).exists()

    page.keyboard.press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()

    page.keyboard.press("/")
    assert focused(page)["type"] == "search"
    page.keyboard.type("jks")
    expect(page.get_by_role("searchbox", name="Search articles")).to_have_value("jks")
    assert SavedArticle.objects.filter(user=member).count() == 1, "s in the box saved nothing"
