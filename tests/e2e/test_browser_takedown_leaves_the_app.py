"""An article an editor took down leaves the installed app's offline copies on the next sync."""

from __future__ import annotations

import re

from browsing import article_path, sign_in, wait_for_service_worker
from newsroom import make_member
from playwright.sync_api import BrowserContext, Page, expect

from broadsheet.curation import desk
from broadsheet.readers.models import User

CACHED_PATHS = """async (name) => {
  const cache = await caches.open(name);
  return (await cache.keys()).map((request) => new URL(request.url).pathname);
}"""
SAVED_PATHS_ARE = """async (paths) => {
  const keys = await (await caches.open('bs-saved')).keys();
  const kept = keys.map((request) => new URL(request.url).pathname).sort();
  return JSON.stringify(kept) === JSON.stringify([...paths].sort());
}"""
PAGE_KEPT = """async ([path, wanted]) => {
  const keys = await (await caches.open('bs-pages')).keys();
  return keys.some((request) => new URL(request.url).pathname === path) === wanted;
}"""


def cached_paths(page: Page, cache_name: str) -> list[str]:
    return page.evaluate(CACHED_PATHS, cache_name)


def wait_for_saved_copies(page: Page, *paths: str) -> None:
    page.wait_for_function(SAVED_PATHS_ARE, arg=list(paths))


def wait_for_page_copy(page: Page, path: str, kept: bool = True) -> None:
    page.wait_for_function(PAGE_KEPT, arg=[path, kept])


def read(page: Page, article) -> None:
    page.goto(article_path(article))
    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)


def save_on_page(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name=re.compile(r"^Saved"))).to_be_visible()


def test_taken_down_articles_leave_the_offline_copies_on_the_next_sync(
        context: BrowserContext, page: Page, newsroom):
    saved_gone, saved_kept = newsroom.articles[0], newsroom.articles[2]
    read_gone, read_kept = newsroom.articles[1], newsroom.articles[3]
    sign_in(page, make_member().email)
    wait_for_service_worker(page)

    # The member saves two articles and reads two others: all kept for reading offline.
    for article in (saved_gone, saved_kept):
        read(page, article)
        save_on_page(page)
    wait_for_saved_copies(page, article_path(saved_gone), article_path(saved_kept))
    for article in (read_gone, read_kept):
        read(page, article)
        wait_for_page_copy(page, article_path(article))

    # An editor takes down one saved article and one read article (their addresses first,
    # since the rows are deleted).
    gone_paths = [article_path(saved_gone), article_path(read_gone)]
    editor = User.objects.create_user("editor@example.com", "an editor's passphrase 42",
                                      is_staff=True)
    desk.take_down(editor, saved_gone, "Published in error")
    desk.take_down(editor, read_gone, "Legal complaint upheld")

    # Online, the Saved page lists only what is still there; the worker rebuilds the saved
    # copies from it.
    page.goto("/saved/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved articles")
    expect(page.get_by_role("link", name=saved_kept.title)).to_be_visible()
    expect(page.get_by_role("link", name=saved_gone.title)).to_have_count(0)
    wait_for_saved_copies(page, article_path(saved_kept))

    # The removed article's address answers 410 Gone; the worker forgets its copy.
    response = page.goto(gone_paths[1])
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This article has been removed")
    # the sync checks each kept article in turn, in the worker, after the page has loaded
    for path in gone_paths:
        wait_for_page_copy(page, path, kept=False)

    assert cached_paths(page, "bs-saved") == [article_path(saved_kept)]
    recent = cached_paths(page, "bs-pages")
    assert article_path(read_kept) in recent
    for path in gone_paths:
        assert path not in recent, f"{path} was taken down but is still among the pages read"

    # Offline, neither removed article can be read; what was not taken down still can.
    context.set_offline(True)
    for path in gone_paths:
        page.goto(path)
        expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
        for gone in (saved_gone, read_gone):
            expect(page.get_by_role("link", name=gone.title)).to_have_count(0)
    saved_list = page.get_by_role("region", name="Saved articles")
    expect(saved_list.get_by_role("link", name=saved_kept.title)).to_be_visible()
    recent_list = page.get_by_role("region", name="Recently read")
    expect(recent_list.get_by_role("link", name=read_kept.title)).to_be_visible()

    for article in (saved_kept, read_kept):
        read(page, article)
