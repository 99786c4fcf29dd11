"""For you in a real browser: an article page reports the time it was read and that the reader
reached the end; For you then leads with that kind of story and says why; "Show fewer like
this" takes it out at once."""

from __future__ import annotations

import re

from browsing import send_reading_reports, sign_in
from django.db import OperationalError
from for_you_support import build_newsroom
from newsroom import make_member
from playwright.sync_api import Page, expect

from broadsheet.publishers.models import Read
from broadsheet.web.links import article_path


def wait_for_read(article_id: int, page: Page, seconds: int) -> Read:
    """The ledger row once a report of at least ``seconds`` has arrived (sendBeacon is async).

    The test database on SQLite is in memory with a shared cache, where a read while the
    server's thread writes the same table fails at once ("table is locked") instead of waiting
    as a file database does: such a read is tried again."""
    for _ in range(50):
        try:
            read = Read.objects.filter(article_id=article_id).first()
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            read = None
        if read is not None and read.seconds >= seconds and read.finished:
            return read
        page.wait_for_timeout(100)
    raise AssertionError(f"no finished read of {seconds}s for article {article_id}: "
                         f"{list(Read.objects.values('article_id', 'seconds', 'finished'))}")


def test_reading_is_reported_and_for_you_follows_it(page: Page) -> None:
    room = build_newsroom()
    member = make_member()
    sign_in(page, member.email)
    send_reading_reports(page)  # this test is about them
    sport = room.stories["Sport"]
    page.clock.install()
    for story in sport[:3]:
        lead = room.leads[story.pk]
        page.goto(article_path(lead))
        page.clock.fast_forward(45_000)  # forty-five seconds on the page, visible
        page.locator(".reading-end").scroll_into_view_if_needed()
        page.wait_for_timeout(200)  # the end is seen on the next frame
        page.clock.fast_forward(61_000)  # a long read reports itself every minute
        read = wait_for_read(lead.pk, page, 100)
        assert read.user_id == member.pk and read.member
    page.goto("/")
    box = page.locator("section[aria-labelledby=for-you]")
    first = box.locator("article.card").first
    expect(first.locator(".reason")).to_have_text(re.compile(r"Because you read"))
    expect(first).to_contain_text("Sport")
    first.locator("summary", has_text="Show fewer like this").click()
    first.get_by_role("button", name="Fewer Sport stories").click()
    expect(box.get_by_role("status")).to_contain_text("fewer Sport stories")
    page.goto("/for-you/")
    expect(page.locator("article.card").first).to_be_visible()
    expect(page.locator("article.card .meta", has_text="Sport")).to_have_count(0)
    page.goto("/for-you/learned/")
    expect(page.get_by_text("Sport stories", exact=True)).to_be_visible()
    page.get_by_role("button", name="Reset For you").click()
    expect(page.get_by_text("Nothing yet. As you read")).to_be_visible()
    expect(page.get_by_text("Sport stories", exact=True)).to_have_count(0)
