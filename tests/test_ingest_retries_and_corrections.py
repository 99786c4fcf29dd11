"""Articles that failed are retried, and corrected articles update their row."""

from __future__ import annotations

import pytest
from netfixture import Reply
from publisher_network import STORIES, article_page

from broadsheet.articles.models import Article
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.poll.pipeline import run_sources
from broadsheet.sources import state
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db

POLICY = FetchPolicy(allow_private=True, total_timeout=5, host_delay=0.0, per_host=4)


def feed(server, title: str) -> bytes:
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Gazette</title>"
            f"<item><title>{title}</title><link>{server.url('/story')}</link>"
            f"<guid>story-1</guid></item></channel></rss>").encode()


def check(source: Source):
    return run_sources(state.jobs(Source.objects.filter(pk=source.pk)), policy=POLICY, workers=1)


@pytest.fixture
def source(http_server):
    publisher = Publisher.objects.create(name="Gazette")
    return Source.objects.create(publisher=publisher, url=http_server.url("/feed.xml"))



def test_article_whose_page_failed_is_retried_although_the_feed_is_unchanged(http_server, source):
    story = STORIES[0]
    pages = iter([Reply(status=500), Reply(body=article_page(story, http_server.url("/story")),
                                           headers={"Content-Type": "text/html"})])
    http_server.route("/story", handler=lambda request: next(pages))

    def not_modified_when_asked(request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(status=304, headers={"ETag": '"v1"'})
        return Reply(body=feed(http_server, story.title),
                     headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'})

    http_server.route("/feed.xml", handler=not_modified_when_asked)
    first = check(source)
    assert first.total("new") == 0 and first.failed_articles
    assert Source.objects.get(pk=source.pk).etag == ""  # not stored: it would hide the failure
    second = check(source)
    assert second.total("new") == 1
    assert Article.objects.get().title == story.title


def test_retitled_rss_item_updates_its_article(http_server, source):
    story = STORIES[1]
    http_server.route("/story", body=article_page(story, http_server.url("/story")),
                      headers={"Content-Type": "text/html"})
    http_server.route("/feed.xml", body=feed(http_server, story.title),
                      headers={"Content-Type": "application/rss+xml"})
    assert check(source).total("new") == 1

    corrected = story.title + " (corrected)"
    http_server.route("/feed.xml", body=feed(http_server, corrected),
                      headers={"Content-Type": "application/rss+xml"})
    summary = check(source)
    assert summary.total("updated") == 1
    assert Article.objects.get().title == corrected
    assert Article.objects.count() == 1


def test_unchanged_item_is_not_fetched_again(http_server, source):
    story = STORIES[2]
    http_server.route("/story", body=article_page(story, http_server.url("/story")),
                      headers={"Content-Type": "text/html"})
    http_server.route("/feed.xml", body=feed(http_server, story.title),
                      headers={"Content-Type": "application/rss+xml"})
    check(source)
    check(source)
    assert http_server.hits("/story") == 1


def test_source_is_marked_failing_after_repeated_errors_and_kept(http_server, source, settings):
    settings.SCHEDULE = {**settings.SCHEDULE, "failing_after": 3}
    http_server.route("/feed.xml", status=500, body=b"down")
    for attempt in range(1, 4):
        Source.objects.filter(pk=source.pk).update(next_check_at=source.created_at)
        check(source)
        source.refresh_from_db()
        assert source.consecutive_errors == attempt
    assert source.status == Source.Status.FAILING
    assert "HTTP 500" in source.last_error and source.enabled
    http_server.route("/feed.xml", body=feed(http_server, "Back again"),
                      headers={"Content-Type": "application/rss+xml"})
    http_server.route("/story", body=article_page(STORIES[0], http_server.url("/story")),
                      headers={"Content-Type": "text/html"})
    check(source)
    source.refresh_from_db()
    assert (source.status, source.consecutive_errors) == (Source.Status.OK, 0)
