"""Search from the header finds an article; following a publisher lists it on /following/."""

from __future__ import annotations

import re

from browsing import article_path, sign_in
from newsroom import make_member
from playwright.sync_api import Page, expect


def test_search_from_the_header_finds_an_article(page: Page, newsroom):
    wanted = newsroom.articles[2]
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search articles")
    box.fill("laptops")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=laptops"))
    results = page.get_by_role("region", name=re.compile("result"))
    expect(results).to_contain_text("1 result")
    results.get_by_role("link", name=wanted.title).click()
    expect(page).to_have_url(re.compile(re.escape(article_path(wanted)) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(wanted.title)


def test_follow_a_publisher_and_see_it_on_following(page: Page, newsroom):
    article = newsroom.articles[3]
    name = article.publisher.name
    sign_in(page, make_member().email)
    page.goto(article_path(article))
    page.get_by_role("button", name=f"Follow {name}").click()
    expect(page.get_by_role("button", name=re.compile(f"^Following {name}"))).to_have_attribute(
        "aria-pressed", "true")

    page.get_by_role("navigation", name="Account").get_by_role("link", name="Following").click()
    publications = page.get_by_role("region", name="Publications")
    expect(publications.get_by_role("link", name=name)).to_be_visible()
    latest = page.get_by_role("region", name="Latest from what you follow")
    expect(latest.get_by_role("link", name=article.title)).to_be_visible()
