"""A visitor meets the teaser on an article, signs up from it and reads it whole in the trial."""

from __future__ import annotations

import re

from browsing import article_path
from newsroom import PASSWORD, STORIES
from playwright.sync_api import Page, expect


def test_visitor_signs_up_from_the_article_and_reads_it_whole(page: Page, newsroom):
    article = newsroom.lead
    opening, ending = STORIES[0]["paragraphs"][0], STORIES[0]["paragraphs"][-1]
    page.goto(article_path(article))

    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)
    expect(page.get_by_role("link", name=article.publisher.name).first).to_be_visible()
    expect(page.get_by_text(opening)).to_be_visible()
    expect(page.get_by_text(ending)).to_have_count(0)
    paywall = page.get_by_role("complementary", name="Sign up to read this article")
    expect(paywall).to_be_visible()
    expect(paywall).to_contain_text("Already a member?")
    expect(paywall.get_by_role("link", name="Sign in")).to_be_visible()

    paywall.get_by_role("link", name=re.compile("free trial", re.I)).click()
    page.get_by_label("Email").fill("new.reader@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Start free trial").click()

    expect(page).to_have_url(re.compile(re.escape(article_path(article)) + "$"))
    expect(page.get_by_role("status")).to_contain_text("free trial")
    expect(page.get_by_text(opening)).to_be_visible()
    expect(page.get_by_text(ending)).to_be_visible()
    expect(page.get_by_role("complementary", name="Sign up to read this article")).to_have_count(0)
    expect(page.get_by_role("link", name="Account")).to_be_visible()
