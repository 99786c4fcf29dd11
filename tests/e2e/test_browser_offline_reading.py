"""A reader saves an article and reads it, and the last pages read, with no network."""

from __future__ import annotations

import re

from browsing import article_path, sign_in, wait_for_service_worker
from newsroom import STORIES, make_member
from playwright.sync_api import BrowserContext, Page, expect

CACHED_PATHS = """async (name) => {
  const cache = await caches.open(name);
  return (await cache.keys()).map((request) => new URL(request.url).pathname);
}"""


def cached_paths(page: Page, cache_name: str) -> list[str]:
    return page.evaluate(CACHED_PATHS, cache_name)


def save_on_page(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name=re.compile(r"^Saved"))).to_be_visible()


def test_saved_article_and_last_pages_read_offline(context: BrowserContext, page: Page,
                                                   newsroom):
    saved, recent, unvisited = newsroom.articles[0], newsroom.articles[1], newsroom.articles[3]
    sign_in(page, make_member().email)
    wait_for_service_worker(page)

    page.goto(article_path(saved))
    save_on_page(page)
    page.wait_for_function(
        "async (path) => (await caches.open('bs-saved')).match(path).then(Boolean)",
        arg=article_path(saved))
    page.goto(article_path(recent))
    expect(page.get_by_role("heading", level=1)).to_have_text(recent.title)

    context.set_offline(True)
    # One of the last pages read comes from the recent pages.
    page.goto(article_path(recent))
    expect(page.get_by_role("heading", level=1)).to_have_text(recent.title)

    # The saved article stays readable in full even once the recent pages are gone.
    page.evaluate("() => caches.delete('bs-pages')")
    page.goto(article_path(saved))
    expect(page.get_by_role("heading", level=1)).to_have_text(saved.title)
    expect(page.get_by_text(STORIES[0]["paragraphs"][-1])).to_be_visible()

    # A page never opened shows the offline page, which lists what can be read.
    page.goto(article_path(unvisited))
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    saved_list = page.get_by_role("region", name="Saved articles")
    expect(saved_list.get_by_role("link", name=saved.title)).to_be_visible()
    saved_list.get_by_role("link", name=saved.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(saved.title)


def test_unsaving_and_signing_out_forget_the_offline_copies(page: Page, newsroom):
    first, second = newsroom.articles[0], newsroom.articles[2]
    sign_in(page, make_member().email)
    wait_for_service_worker(page)
    for article in (first, second):
        page.goto(article_path(article))
        save_on_page(page)
    page.wait_for_function("async () => (await (await caches.open('bs-saved')).keys()).length == 2")

    page.goto(article_path(first))
    page.get_by_role("button", name=re.compile(r"^Saved")).click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    page.wait_for_function("async () => (await (await caches.open('bs-saved')).keys()).length == 1")
    assert cached_paths(page, "bs-saved") == [article_path(second)]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert cached_paths(page, "bs-saved") == []
    assert article_path(first) not in cached_paths(page, "bs-pages")
