"""The shared cache: files under ``BROADSHEET_HOME`` on one machine, Redis on many.

Everything Broadsheet keeps in Django's cache can be worked out again (rendered pages, the front
page's blocks, a list's cards, For you's candidates, the content generation), so while Redis is
away the cache is no cache rather than an error: a read is a miss and a write is skipped, and
readers get every page rendered afresh, slower but whole. After a failure the cache is left
alone for ``PAUSE`` seconds, so a page does not wait on Redis once per cached block, and a Redis
that hangs instead of refusing costs one ``TIMEOUT`` per pause, not one per request. The outage
is logged as one line a minute (:mod:`broadsheet.outages`).

Counters (``incr``, ``decr``) still raise, at once while the cache is left alone: their callers
decide what an outage means for them. The API's rate limit lets requests through uncounted
(``api/ratelimit.py``), a generation bump is skipped without failing the write that called it
(``freshness.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError

from broadsheet.outages import outage_of

log = logging.getLogger("broadsheet.cache")

PAUSE = 5.0  # seconds the cache is left alone after Redis failed to answer
TIMEOUT = 2.0  # seconds to connect to Redis, and for one answer

T = TypeVar("T")
Version = int | None
_paused_until = 0.0  # shared by the process's threads: one outage pauses them all


def cache_config(redis_url: str, home: Path) -> dict[str, dict[str, Any]]:
    """Django's ``CACHES``: Redis when ``REDIS_URL`` is set, else files under the home folder."""
    if redis_url:
        return {"default": {
            "BACKEND": "broadsheet.config.cache.OutageTolerantRedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}}}
    # Every process on the machine (web workers, the Huey worker) sees the same cached pages
    # and the same page generation.
    return {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                        "LOCATION": str(home / "cache"), "OPTIONS": {"MAX_ENTRIES": 3000}}}


class OutageTolerantRedisCache(RedisCache):
    """Django's Redis cache, whose reads miss and writes are skipped while Redis is away."""

    def get(self, key: Any, default: Any = None, version: Version = None) -> Any:
        return _tolerant(default, super().get, key, default, version)

    def get_many(self, keys: Any, version: Version = None) -> dict[Any, Any]:
        return _tolerant({}, super().get_many, keys, version)

    def has_key(self, key: Any, version: Version = None) -> bool:
        return _tolerant(False, super().has_key, key, version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: Version = None) -> None:
        _tolerant(None, super().set, key, value, timeout, version)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: Version = None) -> bool:
        return _tolerant(False, super().add, key, value, timeout, version)

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT,
                 version: Version = None) -> list[Any]:
        return _tolerant(list(data), super().set_many, data, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Version = None) -> bool:
        return _tolerant(False, super().touch, key, timeout, version)

    def delete(self, key: Any, version: Version = None) -> bool:
        return _tolerant(False, super().delete, key, version)

    def delete_many(self, keys: Any, version: Version = None) -> None:
        _tolerant(None, super().delete_many, keys, version)

    def clear(self) -> None:
        _tolerant(None, super().clear)

    def incr(self, key: Any, delta: int = 1, version: Version = None) -> int:
        return _fail_fast(super().incr, key, delta, version)

    def decr(self, key: Any, delta: int = 1, version: Version = None) -> int:
        return _fail_fast(super().decr, key, delta, version)


def _tolerant(fallback: T, call: Callable[..., T], *args: Any) -> T:
    """``call``'s answer, or ``fallback`` while Redis is away (or left alone after failing)."""
    if _left_alone():
        return fallback
    try:
        return _fail_fast(call, *args)
    except Exception as error:
        if outage_of(error) != "redis":
            raise
        log.warning("the cache is unavailable; pages are worked out afresh", exc_info=True)
        return fallback


def _fail_fast(call: Callable[..., T], *args: Any) -> T:
    """``call``'s answer; while the cache is left alone, Redis's own error without trying."""
    global _paused_until
    if _left_alone():
        raise RedisConnectionError("Redis failed moments ago; the cache is left alone for now")
    try:
        return call(*args)
    except Exception as error:
        if outage_of(error) == "redis":
            _paused_until = time.monotonic() + PAUSE
        raise


def _left_alone() -> bool:
    return time.monotonic() < _paused_until
