"""Rate limits on the JSON API: requests a minute per token, per signed-in reader, per address.

A request with a valid personal token counts against that token (``BROADSHEET_RATE_LIMIT_TOKEN``,
600 a minute); a signed-in browser session against its reader, with the same limit; anything
else (no credentials, or a token that is not valid) against its client address
(``BROADSHEET_RATE_LIMIT_ANONYMOUS``, 120 a minute). 0 turns a limit off. Past the limit the
answer is 429 with ``Retry-After`` and a JSON error; every other answer says the limit and what
is left of it (``RateLimit-Limit``, ``RateLimit-Remaining``).

Counts live in the cache the settings configure: Redis when ``REDIS_URL`` is set (one budget for
every process on every machine, counted with Redis's atomic increment), else the files under
``$BROADSHEET_HOME/cache`` that the processes of one machine share. The window slides: the
previous minute's count weighs in by the share of it still within the last 60 seconds, so a
burst across a minute's turn gets no second allowance.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.exceptions import RedisError

from broadsheet.readers.throttle import client_address

from .auth import bearer_user

logger = logging.getLogger(__name__)
PREFIX = "/api/v1/"
WINDOW = 60  # seconds


@dataclass(frozen=True)
class Caller:
    """Whose budget a request spends: ``key`` names it, ``limit`` is a minute's allowance."""

    kind: str  # token | reader | address
    key: str
    limit: int

    @property
    def described(self) -> str:
        return {"token": "for one token", "reader": "for one signed-in reader",
                "address": "from one address without a token"}[self.kind]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    remaining: int
    retry_after: int = 0  # seconds until a request would be allowed again


def caller(request: HttpRequest) -> Caller:
    """Who is asking, for counting: a valid token, else the session's reader, else the address."""
    user, digest = bearer_user(request)
    if user is not None and digest is not None:  # a valid token always has its digest
        return Caller("token", f"token:{digest[:32]}", settings.RATE_LIMIT_TOKEN)
    if digest is None:
        session_user = getattr(request, "user", None)
        if session_user is not None and session_user.is_authenticated:
            return Caller("reader", f"reader:{session_user.pk}", settings.RATE_LIMIT_TOKEN)
    address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    return Caller("address", f"address:{address}", settings.RATE_LIMIT_ANONYMOUS)


def hit(key: str, limit: int, now: float | None = None, window: int = WINDOW) -> Verdict:
    """Count one request under ``key`` and say whether it is within ``limit`` a window.

    The request is counted first (an atomic increment), then judged, so parallel requests from
    many processes are never all let through on the same stale count.
    """
    now = time.time() if now is None else now
    index, elapsed = divmod(now, window)
    current, previous = f"ratelimit:{key}:{int(index)}", f"ratelimit:{key}:{int(index) - 1}"
    cache.add(current, 0, timeout=2 * window + 5)
    try:
        count = cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, timeout=2 * window + 5)
        count = 1
    before = cache.get(previous, 0)
    used = before * (1 - elapsed / window) + count
    if used <= limit:
        return Verdict(True, int(limit - used))
    return Verdict(False, 0, _wait(before, count, elapsed, window, limit))


def _wait(before: int, count: int, elapsed: float, window: int, limit: int) -> int:
    """Whole seconds until one more request would be within the limit, if none came meanwhile."""
    if count + 1 <= limit and before > 0:  # the previous minute's share has to fade
        wait = window * (1 - (limit - count - 1) / before) - elapsed
        if elapsed + wait < window:
            return max(1, math.ceil(wait))
    # In the next window this one's count weighs in as the previous one's.
    fade = window * (1 - (limit - 1) / count) if count > limit - 1 else 0.0
    return max(1, math.ceil(window - elapsed + max(0.0, fade)))


def too_many(who: Caller, verdict: Verdict) -> HttpResponse:
    seconds = verdict.retry_after
    response = JsonResponse({
        "detail": (f"Too many requests: at most {who.limit} a minute {who.described}. "
                   f"Try again in {seconds} second{'' if seconds == 1 else 's'}."),
        "retry_after": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "private, no-store"
    return response


class RateLimitMiddleware:
    """Counts every request to the JSON API against its caller's budget (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        who = caller(request)
        if who.limit <= 0:
            return self.get_response(request)
        try:
            verdict = hit(who.key, who.limit)
        except (RedisError, OSError):  # the cache is down: serve rather than fail
            # With the error attached, the console's outage filter makes an outage's many
            # requests one line a minute (broadsheet.outages).
            logger.warning("API rate limit not counted, the cache is unavailable",
                           exc_info=True)
            return self.get_response(request)
        if not verdict.allowed:
            return too_many(who, verdict)
        response = self.get_response(request)
        response["RateLimit-Limit"] = str(who.limit)
        response["RateLimit-Remaining"] = str(verdict.remaining)
        return response
