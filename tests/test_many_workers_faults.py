"""Faults while many workers run: a worker killed with SIGKILL mid-batch, PostgreSQL and Redis
restarted mid-run. Afterwards nothing is lost or duplicated, the system recovers by itself, and
while a server is away each worker says so in one clear line a minute, not a traceback per try."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from many_workers_support import (
    Installation,
    PrivatePostgres,
    PrivateRedis,
    copy_database,
    database_from,
    migrated_template,  # noqa: F401 - a fixture, used by name
    news_site,
    private_redis,  # noqa: F401 - a fixture, used by name
    story_problems,
    wait_for,
)

pytestmark = pytest.mark.slow  # several worker processes, private PostgreSQL and Redis

# Seconds: short, so that a dead worker's sources come back within the test, yet longer than a
# batch of the nine slow feeds takes on a busy machine (11.6 s seen): a lease that ends while
# its batch still runs lets the next poll hand a source to a second fetch at once.
LEASE = 20
# Longer than the outage below (about 8 s): a worker blocked by it keeps its sources meanwhile
# (a lease shorter than an outage lets another worker fetch them while the first still holds them).
OUTAGE_LEASE = 20


def settle_by_polling(installation: Installation, expected: int, seconds: float,
                      lease: int = LEASE) -> dict:
    """Poll (as the schedulers would, every minute) until every source is checked and every
    article placed: sources leased to a dead worker come back when their lease ends."""
    def polled():
        installation.poll()
        return wait_for_quietly(lambda: installation.settled(expected), lease + 2)
    return wait_for(polled, seconds, "the installation to recover", every=0)


def wait_for_quietly(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    return None


def assert_whole(state: dict, site) -> None:
    urls = [article["url"] for article in state["articles"]]
    assert len(urls) == site.expected_articles(), "articles were lost"
    assert len(set(urls)) == len(urls), "an article was stored twice"
    assert story_problems(state) == []
    assert not site.overlapping_fetches(), "a source was fetched twice at once"


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path, private_redis,  # noqa: F811
                                                 migrated_template):  # noqa: F811
    with database_from(migrated_template, f"bs_faults_kill_{os.getpid()}") as url, \
            news_site(delay=2.0) as site:
        installation = Installation(tmp_path / "home", url, private_redis.url,
                                    BROADSHEET_SCHEDULE_LEASE=str(LEASE))
        installation.add_sources(site.feed_urls())
        try:
            doomed = installation.start_worker()
            installation.poll()
            wait_for(lambda: site.started, 60, "the worker to start fetching")
            doomed.send_signal(signal.SIGKILL)  # mid-batch: its feeds are still answering
            doomed.wait()
            killed_at = time.time()
            installation.start_worker()
            state = settle_by_polling(installation, site.expected_articles(), 120)
        finally:
            installation.stop_workers()
    assert_whole(state, site)
    refetched = [start for _, start, _ in site.visits if start > killed_at]
    assert len(refetched) >= site.sources, "the dead worker's sources were not checked again"


@pytest.fixture
def source_leased_a_minute(settings, db):
    """One enabled source, and leases of a minute."""
    from broadsheet.sources.models import Publisher, Source

    settings.SCHEDULE_LEASE = 60
    publisher = Publisher.objects.create(name="Lease Ledger", slug="lease-ledger")
    return Source.objects.create(publisher=publisher, url="http://127.0.0.1:9/feed.xml")


def test_a_check_recorded_after_its_lease_was_taken_over_is_dropped(source_leased_a_minute):
    from django.utils import timezone

    from broadsheet.sources import state

    source = source_leased_a_minute
    now = timezone.now()
    stalled = state.claim(10, now)
    assert state.claim(10, now + timedelta(seconds=59)).jobs == []  # still leased
    taken_over = state.claim(10, now + timedelta(seconds=61))
    assert [job.id for job in taken_over.jobs] == [source.pk]
    assert state.renew([source.pk], stalled.until).jobs == []

    with state.lease_held(stalled.until):
        state.record_checks([state.CheckOutcome.failed(source.pk, "late answer", None)], now)
    source.refresh_from_db()
    assert (source.last_error, source.next_check_at) == ("", taken_over.until)

    with state.lease_held(taken_over.until):
        state.record_checks([state.CheckOutcome.failed(source.pk, "timely answer", None)], now)
    source.refresh_from_db()
    assert source.last_error == "timely answer"


def test_a_batch_that_waited_in_the_queue_starts_with_a_whole_lease(source_leased_a_minute):
    from django.utils import timezone

    from broadsheet.sources import state

    source = source_leased_a_minute
    now = timezone.now()
    claimed = state.claim(10, now)
    started = now + timedelta(seconds=50)  # the batch's task waited 50 s of its 60
    renewed = state.renew([source.pk], claimed.until, started)
    assert [job.id for job in renewed.jobs] == [source.pk]
    assert renewed.until == started + timedelta(seconds=60)
    assert state.claim(10, now + timedelta(seconds=61)).jobs == []  # not handed out again

    with state.lease_held(renewed.until):  # recorded 40 s after the first lease ended: kept
        state.record_checks([state.CheckOutcome.failed(source.pk, "slow host", None)],
                            now + timedelta(seconds=100))
    source.refresh_from_db()
    assert source.last_error == "slow host"


def outage_lines(installation: Installation) -> list[dict]:
    """The outage lines each worker wrote, with the worker's number."""
    return [{**line, "worker": number} for number, log in enumerate(installation.logs)
            for line in Installation.read_log(log) if "unreachable" in line.get("message", "")]


def first_checks(installation: Installation) -> dict | None:
    """The state once some source's check is recorded; None before."""
    state = installation.state()
    return state if any(source["last_checked_at"] for source in state["sources"]) else None


def checked_without_articles(state: dict, items: int) -> list[int]:
    """Sources whose check is recorded while their articles are not all stored (a source's
    articles are stored before its check is recorded)."""
    stored = Counter(article["source_id"] for article in state["articles"])
    return [source["id"] for source in state["sources"]
            if source["last_checked_at"] and stored[source["id"]] < items]


def test_postgresql_and_redis_restarted_mid_run(tmp_path, migrated_template):  # noqa: F811
    postgres = PrivatePostgres()
    redis_server = PrivateRedis(tmp_path / "redis")
    postgres.start()
    redis_server.start()
    try:
        postgres.create_database()
        copy_database(migrated_template, postgres.url)
        with news_site(delay=1.5) as site:
            installation = Installation(tmp_path / "home", postgres.url, redis_server.url,
                                        BROADSHEET_SCHEDULE_LEASE=str(OUTAGE_LEASE))
            installation.add_sources(site.feed_urls())
            try:
                installation.start_worker()
                installation.start_worker()
                installation.poll()
                wait_for(lambda: site.started, 60, "the workers to start fetching")
                redis_server.stop()
                time.sleep(3)
                redis_server.start()
                # Feeds that answered while Redis was away are stored all the same.
                early = wait_for(lambda: first_checks(installation), 30, "a first check")
                assert checked_without_articles(early, site.items) == [], \
                    "a source's check was recorded but its articles were not stored"
                postgres.stop("immediate")  # every connection is cut, as in a crash
                time.sleep(3)
                postgres.start()
                state = settle_by_polling(installation, site.expected_articles(), 90,
                                          OUTAGE_LEASE)
            finally:
                installation.stop_workers()
    finally:
        redis_server.stop()
        postgres.remove()
    assert_whole(state, site)
    lines = outage_lines(installation)
    assert lines, "no worker said that a server was away"
    # One line a minute per worker and kind of outage: the run takes under two minutes.
    said = Counter((line["worker"], line["message"].split(" is ")[0]) for line in lines)
    assert max(said.values()) <= 2, lines
    tracebacks = [line for line in installation.log_lines() if "ConnectionError" in
                  line.get("exception", "") or "OperationalError" in line.get("exception", "")]
    assert not tracebacks, tracebacks[:2]
