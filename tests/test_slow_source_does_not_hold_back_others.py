"""One slow source does not hold back a batch: the others are stored while it is still answering.

Real servers on 127.0.0.1: four fast sources (feeds with their articles in them, and one whose
articles are on pages), one that answers after a few seconds, and one slower than the fetch
limit. The slow server looks in the database from its own connection just before it answers.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connections
from netfixture import Reply
from publisher_network import STORIES, article_page

from broadsheet.articles.models import Article
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.poll.pipeline import run_sources
from broadsheet.sources import state
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = 2.5  # seconds the slow source takes to answer (60 s and more on the product)
LIMIT = 5.0  # the whole-fetch limit (BROADSHEET_FETCH_TOTAL_TIMEOUT, 60 s by default)
POLICY = FetchPolicy(allow_private=True, host_delay=0.0, per_host=4, total_timeout=LIMIT)


def feed(name: str, count: int = 2) -> bytes:
    items = [{"id": f"{name}-{n}", "title": f"{name} dispatch {n}",
              "content_text": f"The {name} desk filed dispatch {n} this morning.",
              "date_published": f"2026-03-01T0{n}:00:00Z"} for n in range(count)]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": name,
                       "items": items}).encode()


def add(server, name: str) -> Source:
    publisher = Publisher.objects.create(name=name)
    return Source.objects.create(publisher=publisher, url=server.url(f"/{name}/feed.json"))


def seen_from_another_connection(fast_ids: list[int]) -> tuple[int, int, datetime]:
    """Fast sources' articles and recorded checks, as a second connection sees them now."""
    try:
        stored = Article.objects.filter(source_id__in=fast_ids).count()
        checked = Source.objects.filter(id__in=fast_ids, last_checked_at__isnull=False).count()
        return stored, checked, datetime.now(UTC)
    finally:
        connections.close_all()  # this thread's own connections


def test_fast_sources_are_stored_while_a_slow_one_is_still_answering(http_server):
    json_type = {"Content-Type": "application/feed+json"}
    fast = [add(http_server, name) for name in ("north", "south", "east")]
    for source in fast:
        name = source.publisher.name
        http_server.route(f"/{name}/feed.json", body=feed(name), headers=json_type)
    story = STORIES[0]
    paged = add(http_server, "paged")
    http_server.route("/paged/story", headers={"Content-Type": "text/html"},
                      body=article_page(story, http_server.url("/paged/story")))
    http_server.route("/paged/feed.json", headers=json_type, body=json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Paged",
        "items": [{"id": "story", "url": http_server.url("/paged/story"), "title": story.title}],
    }).encode())
    fast.append(paged)
    fast_ids = [source.pk for source in fast]

    slow = add(http_server, "slow")
    seen: list[tuple[int, int, datetime]] = []

    def answer_slowly(request) -> Reply:
        time.sleep(SLOW)
        seen.append(seen_from_another_connection(fast_ids))
        return Reply(body=feed("slow", 3), headers=json_type)

    http_server.route("/slow/feed.json", handler=answer_slowly)
    too_slow = add(http_server, "stuck")
    http_server.route("/stuck/feed.json", body=feed("stuck"), headers=json_type,
                      delay=LIMIT + 3)

    started = time.monotonic()
    summary = run_sources(state.jobs(Source.objects.all()), policy=POLICY, workers=1)
    assert time.monotonic() - started < LIMIT + 2.5  # the stuck source was given up on

    # Just before the slow source answered, everything of the fast ones was already stored.
    assert seen and seen[0][:2] == (2 * 3 + 1, len(fast))
    answered_at = seen[0][2]
    fast_articles = Article.objects.filter(source_id__in=fast_ids)
    assert all(article.fetched_at < answered_at for article in fast_articles)

    # The slow one was stored when it answered; the stuck one keeps a clear error; nothing lost.
    slow_articles = Article.objects.filter(source=slow)
    assert slow_articles.count() == 3
    assert all(article.fetched_at > answered_at for article in slow_articles)
    assert Article.objects.count() == 2 * 3 + 1 + 3
    too_slow.refresh_from_db()
    assert too_slow.status == Source.Status.ERROR
    assert f"took longer than the {LIMIT:g} s limit" in too_slow.last_error
    assert {r.source_id: r.status for r in summary.reports}[too_slow.pk] == "error"
    assert all(Source.objects.get(pk=pk).status == Source.Status.OK for pk in [*fast_ids, slow.pk])


def test_a_batch_waits_for_no_source_in_its_worker_thread(http_server):
    """The same through the background task's entry point, run in a thread as a worker does."""
    json_type = {"Content-Type": "application/feed+json"}
    fast = add(http_server, "quick")
    http_server.route("/quick/feed.json", body=feed("quick"), headers=json_type)
    slow = add(http_server, "late")
    stored_before: list[int] = []

    def answer_slowly(request) -> Reply:
        time.sleep(SLOW)
        try:
            stored_before.append(Article.objects.filter(source=fast).count())
        finally:
            connections.close_all()
        return Reply(body=feed("late"), headers=json_type)

    http_server.route("/late/feed.json", handler=answer_slowly)
    done: list[int] = []

    def work() -> None:
        try:
            summary = run_sources(state.jobs(Source.objects.all()), policy=POLICY, workers=1)
            done.append(summary.total("new"))
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(LIMIT * 3)
    assert done == [4] and stored_before == [2]
    assert Article.objects.filter(source=slow).count() == 2
