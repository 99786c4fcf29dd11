"""When to check a source next: a pure function of what the last check saw.

The interval follows the source's publishing frequency (bounded), never undercuts what the server
asked for (Cache-Control max-age, Expires, Retry-After), and backs off exponentially on errors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from statistics import median


@dataclass(frozen=True)
class ScheduleBounds:
    min_interval: int = 300
    max_interval: int = 86_400
    failing_after: int = 5

    @classmethod
    def from_settings(cls) -> ScheduleBounds:
        from django.conf import settings

        return cls(**settings.SCHEDULE)


@dataclass(frozen=True)
class Plan:
    next_check_at: datetime
    interval_seconds: int


def publishing_interval(published: list[datetime], bounds: ScheduleBounds) -> int | None:
    """Half the median gap between recent entries: new items are caught about one gap late at most.

    Returns None when there are too few dated entries to tell.
    """
    times = sorted({t for t in published if t is not None}, reverse=True)[:20]
    if len(times) < 2:
        return None
    gaps = [(a - b).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    gaps = [g for g in gaps if g > 0]
    if not gaps:
        return bounds.min_interval
    return _bounded(median(gaps) / 2, bounds)


def server_delay(headers: dict[str, str], now: datetime) -> float:
    """Seconds the server asked us to wait (max-age, Expires), 0 when it asked nothing."""
    delay = 0.0
    cache_control = headers.get("cache-control", "")
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() in {"max-age", "s-maxage"}:
            try:
                delay = max(delay, float(value.strip('"')))
            except ValueError:
                continue
    expires = headers.get("expires")
    if expires and "max-age" not in cache_control.lower():
        try:
            when = parsedate_to_datetime(expires)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            delay = max(delay, (when - now).total_seconds())
    return max(delay, 0.0)


def plan_after_success(now: datetime, previous_interval: int, published: list[datetime],
                       headers: dict[str, str], bounds: ScheduleBounds,
                       not_modified: bool = False, feed_ttl: int | None = None) -> Plan:
    """Next check after a good fetch (200 or 304); ``feed_ttl`` is the feed's own <ttl>."""
    interval = publishing_interval(published, bounds)
    if interval is None:
        # Nothing new to learn from: a quiet source drifts slowly towards the maximum.
        interval = _bounded(previous_interval * (1.25 if not_modified else 1.0), bounds)
    asked = max(server_delay(headers, now), float(feed_ttl or 0))
    delay = max(interval, min(asked, bounds.max_interval))
    return Plan(now + timedelta(seconds=_jitter(delay)), int(interval))


def plan_after_error(now: datetime, previous_interval: int, consecutive_errors: int,
                     retry_after: float | None, bounds: ScheduleBounds) -> Plan:
    """Exponential backoff from the minimum interval, capped at the maximum; honours Retry-After."""
    backoff = bounds.min_interval * (2 ** max(consecutive_errors - 1, 0))
    delay = min(max(backoff, retry_after or 0.0), bounds.max_interval)
    return Plan(now + timedelta(seconds=_jitter(delay)), previous_interval)


def plan_after_wait(now: datetime, until: datetime | None) -> datetime:
    """When a source whose host asked us to wait is checked again: once the wait is over."""
    if until is None or until <= now:
        until = now + timedelta(minutes=1)
    return now + timedelta(seconds=_jitter((until - now).total_seconds()))


def _bounded(seconds: float, bounds: ScheduleBounds) -> int:
    return int(min(max(seconds, bounds.min_interval), bounds.max_interval))


def _jitter(seconds: float) -> float:
    """Up to 5% later, so that sources added together do not stay in lockstep."""
    return seconds * (1 + random.random() * 0.05)
