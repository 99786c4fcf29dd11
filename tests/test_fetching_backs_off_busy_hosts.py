"""A host that answers 429 or 503 is left alone, by every worker, for as long as it asked (its
Retry-After) or, when it did not say, for a backoff that doubles up to a cap; its sources say so.
Real HTTP on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from netfixture import http_date
from polite_support import (
    POLICY,
    RSS,
    as_another_worker,
    check,
    feed,
    host_row,
    publish,
    subscribe,
)

from broadsheet.articles.models import Article
from broadsheet.ingest.hosts import BACKOFF_BASE, BACKOFF_CAP, pause_seconds
from broadsheet.sources.models import Host, Source

pytestmark = pytest.mark.django_db

ONE_AT_A_TIME = dataclasses.replace(POLICY, per_host=1)


def later(seconds: float = 1.0) -> None:
    """Time passes: every pause ends."""
    Host.objects.update(paused_until=datetime.now(UTC) - timedelta(seconds=seconds))


def seconds_until(moment: datetime) -> float:
    return (moment - datetime.now(UTC)).total_seconds()


def test_backoff_doubles_up_to_a_cap_and_retry_after_wins():
    assert [pause_seconds(None, n) for n in (1, 2, 3)] == [BACKOFF_BASE, 2 * BACKOFF_BASE,
                                                            4 * BACKOFF_BASE]
    assert pause_seconds(None, 30) == BACKOFF_CAP
    assert pause_seconds(7.0, 5) == 7.0
    assert pause_seconds(10 ** 9, 1) == 86_400.0


def test_429_with_retry_after_pauses_the_host_for_every_source_and_worker(http_server):
    http_server.route("/one.xml", status=429, body=b"slow down", headers={"Retry-After": "120"})
    other_feed = publish(http_server, ["harbour-wall"], feed_path="/two.xml")
    busy = subscribe(http_server.url("/one.xml"))
    other = subscribe(other_feed, name="Ledger")
    summary = check(busy, other, policy=ONE_AT_A_TIME)

    # The second feed of the host was not asked for at all.
    assert http_server.hits("/two.xml") == 0
    assert [r.status for r in summary.reports] == ["error", "deferred"]
    row = host_row(http_server)
    assert 110 < seconds_until(row.paused_until) <= 121
    assert row.pause_reason == "HTTP 429 Too Many Requests"
    host = f"127.0.0.1:{http_server.port}"
    notice = (f"{host} asked Broadsheet to wait (HTTP 429 Too Many Requests): nothing is "
              f"fetched from it until ")
    busy.refresh_from_db()
    other.refresh_from_db()
    assert busy.notice.startswith(notice) and "HTTP 429" in busy.last_error
    assert other.notice.startswith(notice)
    assert (other.status, other.consecutive_errors, other.last_checked_at) == (
        Source.Status.NEW, 0, None)  # it was never checked: nothing counts against it
    assert busy.next_check_at >= row.paused_until and other.next_check_at >= row.paused_until

    # Another worker, later in the pause, does not ask either.
    as_another_worker()
    assert check(other).reports[0].status == "deferred"
    assert http_server.hits("/two.xml") == 0

    # Once the pause is over the host is asked again, and the notice goes.
    later()
    http_server.route("/one.xml", body=feed(http_server, []), headers=RSS)
    assert check(busy, other, policy=ONE_AT_A_TIME).total("new") == 1
    assert http_server.hits("/two.xml") == 1 and http_server.hits("/news/harbour-wall") == 1
    other.refresh_from_db()
    assert other.notice == "" and other.status == Source.Status.OK
    assert host_row(http_server).throttles == 0


def test_429_on_an_article_page_makes_the_rest_wait_and_they_are_fetched_later(http_server):
    slugs = ["p1", "p2", "p3"]
    source = subscribe(publish(http_server, slugs))
    http_server.route("/news/p1", status=429, headers={"Retry-After": http_date(90)})
    summary = check(source, policy=ONE_AT_A_TIME)

    assert summary.total("new") == 0 and not summary.failed_articles
    assert len(summary.deferred_articles) == 3
    assert sum(http_server.hits(f"/news/{slug}") for slug in slugs) == 1  # p2, p3 not asked
    source.refresh_from_db()
    row = host_row(http_server)
    assert 80 < seconds_until(row.paused_until) <= 91
    assert source.status == Source.Status.OK and source.etag == ""
    assert source.next_check_at >= row.paused_until
    assert "asked Broadsheet to wait (HTTP 429" in source.notice

    later()
    publish(http_server, slugs)
    assert check(source).total("new") == 3
    assert Article.objects.count() == 3


def test_503_without_retry_after_backs_off_longer_each_time(http_server):
    source = subscribe(http_server.route("/feed.xml", status=503, body=b"busy"))
    pauses = []
    for _ in range(3):
        as_another_worker()
        check(source)
        pauses.append(seconds_until(host_row(http_server).paused_until))
        later()
    assert [round(p / BACKOFF_BASE) for p in pauses] == [1, 2, 4], pauses
    assert host_row(http_server).throttles == 3
    source.refresh_from_db()
    assert "HTTP 503 Service Unavailable" in source.notice

    http_server.route("/feed.xml", status=304)
    check(source)
    assert host_row(http_server).throttles == 0  # the next 503 starts from the base again
    source.refresh_from_db()
    assert source.notice == ""  # the host answered: the wait is over, even with nothing new
