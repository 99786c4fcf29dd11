"""Readers' pages keep working while Redis, the shared cache of a many-machine install, is away.

Everything in the cache can be worked out again, so an outage costs speed, not pages: reads
miss, writes are skipped, the outage is logged, and caching resumes by itself once Redis is back.
A real Redis of the test's own is stopped and started again.
"""

from __future__ import annotations

import time

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from many_workers_support import private_redis  # noqa: F401 - a fixture, used by name
from pages_fixtures import make_article, make_reader

from broadsheet.config import cache as shared_cache
from broadsheet.config.cache import cache_config
from broadsheet.outages import outage_of


@pytest.fixture
def redis_cache(settings, private_redis, tmp_path, monkeypatch):  # noqa: F811
    """The product's cache settings for a many-machine install, on the test's own Redis."""
    monkeypatch.setattr(shared_cache, "PAUSE", 0.2)
    monkeypatch.setattr(shared_cache, "_paused_until", 0.0)
    settings.CACHES = cache_config(private_redis.url, tmp_path)
    return private_redis


def _cached_pages(server) -> list:
    return redis.Redis(port=server.port).keys("*web:page:*")


def _about_the_outage(record) -> bool:
    """The record of a Redis outage, as logged or as the console's one line a minute made it."""
    if record.exc_info:
        return outage_of(record.exc_info[1]) == "redis"
    return record.getMessage().startswith("Redis is unreachable")


def _section(client) -> str:
    page = client.get(reverse("section", args=["world"]))
    assert page.status_code == 200
    return page.content.decode()


def test_visitors_pages_are_cached_in_redis(client, db, redis_cache):
    make_article(title="Harbour reopens")
    assert "Harbour reopens" in _section(client)
    assert _cached_pages(redis_cache)


def test_a_redis_outage_costs_the_cache_not_the_pages(client, db, redis_cache, caplog):
    make_article(title="Harbour reopens")
    assert "Harbour reopens" in _section(client)
    redis_cache.stop()

    # Saved while Redis is away: the write stands, and visitors and members see it at once.
    make_article(title="Bridge closes")
    assert "Bridge closes" in _section(client)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("search"), {"q": "bridge"}).status_code == 200
    client.force_login(make_reader())
    assert "Bridge closes" in _section(client)
    assert client.get(reverse("home")).status_code == 200
    assert any(_about_the_outage(r) for r in caplog.records), "the outage is logged"
    # Counters hear of the outage at once (no wait on Redis); the API serves uncounted.
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.incr("broadsheet:test")
    caplog.clear()
    assert client.get("/api/v1/articles").status_code == 200
    uncounted = [r for r in caplog.records if r.name == "broadsheet.api.ratelimit"]
    assert uncounted and all(_about_the_outage(r) for r in uncounted), \
        "logged as an outage, which the console shows once a minute"

    # Back: pages cached before the outage are served until their timeout (a minute), and
    # what is rendered now is cached again.
    redis_cache.start()
    time.sleep(shared_cache.PAUSE + 0.1)
    client.logout()
    before = len(_cached_pages(redis_cache))
    assert client.get(reverse("search"), {"q": "bridge"}).status_code == 200
    assert len(_cached_pages(redis_cache)) == before + 1, "caching resumes by itself"


def test_a_mistake_is_not_taken_for_an_outage(db, redis_cache):
    with pytest.raises(Exception, match="pickle"):
        cache.set("broadsheet:test", lambda: None)  # not picklable: a bug, not an outage
