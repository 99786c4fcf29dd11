"""Host state every worker shares, in the database: robots.txt, pauses, Crawl-delay windows.

The pipeline's politeness stage (``broadsheet.ingest.polite``) reads and writes through
``DatabaseHosts``. The database is the one store every worker process on every machine shares,
whatever the cache, so a robots.txt fetched by one worker serves all of them for a day, a host that
answered 429 waits for all of them, and Crawl-delay windows are handed out one after another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from broadsheet.ingest.hosts import HostState
from broadsheet.ingest.robots import RobotsFile

from .models import Host


class DatabaseHosts:
    """The ``SharedHosts`` store of :mod:`broadsheet.ingest.polite`, on the ``Host`` table."""

    def load(self, origins: Iterable[str]) -> tuple[list[RobotsFile], list[HostState]]:
        rows = list(Host.objects.filter(origin__in=list(origins)))
        files = [_robots_file(row) for row in rows if row.robots_fetched_at is not None]
        states = [HostState(row.origin, row.paused_until, row.pause_reason, row.throttles,
                            row.crawl_delay) for row in rows]
        return files, states

    def save_robots(self, files: list[RobotsFile]) -> None:
        _ensure(file.origin for file in files)
        for file in files:
            Host.objects.filter(origin=file.origin).update(
                robots_status=file.status, robots_txt=file.body, robots_error=file.error[:1000],
                robots_fetched_at=file.fetched_at, robots_good_at=file.last_good_at,
                robots_expires_at=file.expires_at, crawl_delay=file.crawl_delay)

    def save_states(self, states: list[HostState]) -> None:
        """Pauses and Crawl-delay windows only ever lengthen here, so two workers writing at
        once lose nothing."""
        _ensure(state.origin for state in states)
        for state in states:
            rows = Host.objects.filter(origin=state.origin)
            rows.update(throttles=state.throttles)
            if state.last_request is not None and state.crawl_delay > 0:
                free = state.last_request + timedelta(seconds=state.crawl_delay)
                rows.filter(Q(next_request_at__isnull=True) | Q(next_request_at__lt=free)
                            ).update(next_request_at=free)
            if state.paused_until is not None:
                rows.filter(Q(paused_until__isnull=True) | Q(paused_until__lt=state.paused_until)
                            ).update(paused_until=state.paused_until,
                                     pause_reason=state.pause_reason[:200])

    def reserve(self, origin: str, delay: float, wanted: int, now: datetime,
                horizon: float) -> tuple[datetime, int]:
        """Take up to ``wanted`` request starts ``delay`` apart, within ``horizon`` seconds.

        Returns the first start and how many were granted (0 when the windows already handed to
        other workers reach past the horizon). The row is locked while it is read and moved on.
        """
        _ensure([origin])
        with transaction.atomic():
            row = Host.objects.select_for_update().get(origin=origin)
            start = max(now, row.next_request_at or now)
            room = (now + timedelta(seconds=horizon) - start).total_seconds()
            granted = 0 if room < 0 else min(wanted, 1 + math.floor(room / delay))
            if granted:
                row.next_request_at = start + timedelta(seconds=granted * delay)
                row.save(update_fields=["next_request_at"])
        return start, granted


def _ensure(origins: Iterable[str]) -> None:
    """A row for each origin; another worker creating the same one at once is no error."""
    Host.objects.bulk_create([Host(origin=origin[:300]) for origin in set(origins)],
                             ignore_conflicts=True)


def _robots_file(row: Host) -> RobotsFile:
    assert row.robots_fetched_at is not None
    return RobotsFile(
        origin=row.origin, status=row.robots_status or 0, body=row.robots_txt,
        fetched_at=row.robots_fetched_at,
        expires_at=row.robots_expires_at or row.robots_fetched_at,
        error=row.robots_error, last_good_at=row.robots_good_at)

