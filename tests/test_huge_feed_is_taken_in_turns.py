"""A huge feed is taken in turns: each fetch stores at most the cap of new items, newest first.

Feeds of 100,000 items (JSON Feed and RSS) are served from 127.0.0.1 and checked once with the
default cap; smaller feeds of every format, with a cap of a few items, show the turns: what is
stored first, that stored items do not count, that the old ETag is kept while items wait, and
what the source's notice says.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from publisher_network import Story, article_page

from broadsheet.articles.models import Article
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.poll.pipeline import run_sources
from broadsheet.sources import state
from broadsheet.sources.models import Publisher, Source
from broadsheet.sources.subscribe import add_source

pytestmark = pytest.mark.django_db

HUGE = 100_000
CAP = 300  # the default of BROADSHEET_FETCH_MAX_ITEMS
# 100,000 RSS items of a line each come to about 12 MB, over the default 10 MB body limit.
POLICY = FetchPolicy(allow_private=True, host_delay=0.0, per_host=4, max_bytes=32 << 20)
BASE = datetime(2026, 3, 1, tzinfo=UTC)


def at(n: int) -> datetime:
    return BASE + timedelta(minutes=n)


def rfc822(n: int) -> str:
    return at(n).strftime("%a, %d %b %Y %H:%M:%S GMT")


def check(source: Source, max_items: int = CAP):
    policy = FetchPolicy(**{**POLICY.__dict__, "max_items": max_items})
    return run_sources(state.jobs(Source.objects.filter(pk=source.pk)), policy=policy, workers=1)


def make_source(url: str, kind: str = "feed") -> Source:
    publisher = Publisher.objects.create(name="Firehose")
    return Source.objects.create(publisher=publisher, url=url, kind=kind)


def stored_numbers() -> set[int]:
    return {int(guid.rsplit("-", 1)[-1]) for guid in Article.objects.values_list("guid", flat=True)}


def json_feed(numbers, dated: bool = True) -> bytes:
    items = [{"id": f"item-{n}", "content_text": f"Dispatch number {n}.",
              **({"date_published": at(n).isoformat()} if dated else {})} for n in numbers]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Firehose",
                       "items": items}).encode()


def rss_feed(numbers) -> bytes:
    items = "".join(f"<item><guid isPermaLink='false'>item-{n}</guid><description>Dispatch "
                    f"number {n}.</description><pubDate>{rfc822(n)}</pubDate></item>"
                    for n in numbers)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Firehose</title>{items}"
            f"</channel></rss>").encode()


@pytest.mark.parametrize("kind", ["json", "rss"])
def test_feed_of_100000_items_stores_the_newest_300_in_seconds(http_server, kind):
    # Oldest first, as some feeds are: the newest items are at the end of the body.
    body = json_feed(range(HUGE)) if kind == "json" else rss_feed(range(HUGE))
    http_server.route("/firehose", body=body, headers={"ETag": '"v1"', "Content-Type":
                      "application/feed+json" if kind == "json" else "application/rss+xml"})
    source = make_source(http_server.url("/firehose"))

    started = time.monotonic()
    summary = check(source)
    took = time.monotonic() - started

    assert summary.total("new") == CAP == Article.objects.count()
    assert stored_numbers() == set(range(HUGE - CAP, HUGE))
    assert took < 60, f"one fetch of a {HUGE}-item feed took {took:.1f} s"
    source.refresh_from_db()
    assert source.status == Source.Status.OK
    assert source.notice == f"{HUGE - CAP} more items left for the next fetch"
    assert source.etag == ""  # a 304 next time would hide the items left
    assert source.next_check_at <= datetime.now(UTC) + timedelta(seconds=300 * 1.05 + 5)

    check(source)  # the next fetch takes the next newest
    assert stored_numbers() == set(range(HUGE - 2 * CAP, HUGE))
    assert "if-none-match" not in http_server.last_request("/firehose").headers
    source.refresh_from_db()
    assert source.notice == f"{HUGE - 2 * CAP} more items left for the next fetch"


def test_stored_items_do_not_count_and_the_last_turn_keeps_the_etag(http_server):
    numbers = list(range(7))
    http_server.route("/feed.json", handler=lambda request: (
        (304, {"ETag": '"v1"'}, b"") if request.headers.get("if-none-match") == '"v1"' else
        (200, {"ETag": '"v1"', "Content-Type": "application/feed+json"}, json_feed(numbers))))
    source = make_source(http_server.url("/feed.json"))
    turns = []
    for _ in range(4):
        summary = check(source, max_items=3)
        source.refresh_from_db()
        turns.append((summary.total("new"), stored_numbers(), source.notice, source.etag))
    assert turns == [
        (3, {4, 5, 6}, "4 more items left for the next fetch", ""),
        (3, {1, 2, 3, 4, 5, 6}, "1 more item left for the next fetch", ""),
        (1, set(numbers), "", '"v1"'),  # all taken: now the ETag is kept
        (0, set(numbers), "", '"v1"'),  # and the next fetch is a 304
    ]
    assert summary.reports[0].status == "not_modified"


def test_items_without_dates_are_taken_in_feed_order(http_server):
    http_server.route("/feed.json", body=json_feed([9, 3, 7, 1, 5], dated=False),
                      headers={"Content-Type": "application/feed+json"})
    source = make_source(http_server.url("/feed.json"))
    check(source, max_items=2)
    assert stored_numbers() == {9, 3}
    check(source, max_items=2)
    assert stored_numbers() == {9, 3, 7, 1}


def test_atom_feed_is_taken_newest_first(http_server):
    entries = "".join(f"<entry><id>urn:item-{n}</id><title>Dispatch number {n}</title>"
                      f"<updated>{at(n).isoformat()}</updated><content type='text'>Dispatch "
                      f"number {n}.</content></entry>" for n in (2, 6, 0, 4, 5))
    http_server.route("/atom.xml", headers={"Content-Type": "application/atom+xml"},
                      body=(f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>"
                            f"<title>Firehose</title>{entries}</feed>").encode())
    source = make_source(http_server.url("/atom.xml"))
    check(source, max_items=2)
    assert stored_numbers() == {6, 5}
    assert Source.objects.get(pk=source.pk).notice == "3 more items left for the next fetch"


def page_story(n: int) -> Story:
    return Story(f"item-{n}", f"Harbour dispatch number {n} is filed", "World", "Ada Brennan",
                 tuple(f"Dispatch {n}, part {p}: the harbour master said the new berth for "
                       f"ferries on route {n} would open in the spring, a month early."
                       for p in range(5)))


def serve_pages(http_server, numbers) -> None:
    for n in numbers:
        http_server.route(f"/news/item-{n}", headers={"Content-Type": "text/html"},
                          body=article_page(page_story(n), http_server.url(f"/news/item-{n}")))


def test_news_sitemap_is_taken_in_turns(http_server):
    numbers = range(6)
    serve_pages(http_server, numbers)
    urls = "".join(
        f"<url><loc>{http_server.url(f'/news/item-{n}')}</loc><news:news><news:publication>"
        f"<news:name>Firehose</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{at(n).isoformat()}</news:publication_date><news:title>Harbour"
        f" dispatch number {n} is filed</news:title></news:news></url>" for n in numbers)
    http_server.route("/sitemap.xml", headers={"Content-Type": "application/xml"}, body=(
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        "xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>" + urls + "</urlset>"
    ).encode())
    source = make_source(http_server.url("/sitemap.xml"), kind="sitemap")
    check(source, max_items=4)
    assert stored_numbers() == {2, 3, 4, 5}
    assert not any(r.path == "/news/item-0" for r in http_server.requests)  # never fetched
    check(source, max_items=4)
    assert stored_numbers() == set(numbers)
    assert Source.objects.get(pk=source.pk).notice == ""


def test_huge_rss_feed_found_on_a_page_is_subscribed_and_taken_in_turns(http_server):
    http_server.route("/", headers={"Content-Type": "text/html"}, body=(
        b"<html><head><title>Firehose</title><link rel='alternate' type='application/rss+xml' "
        b"href='/firehose.rss'></head><body>News</body></html>"))
    http_server.route("/firehose.rss", body=rss_feed(range(5000)),
                      headers={"Content-Type": "application/rss+xml"})
    source, created = add_source(http_server.url("/"), policy=POLICY)
    assert created and source.url == http_server.url("/firehose.rss")
    assert source.title == "Firehose"
    check(source, max_items=50)
    assert stored_numbers() == set(range(4950, 5000))
    assert Source.objects.get(pk=source.pk).notice == "4950 more items left for the next fetch"
