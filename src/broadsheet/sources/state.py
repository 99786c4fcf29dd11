"""Source scheduling state in the database: which sources are due, and what each check found."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from broadsheet.db import update_rows
from broadsheet.ingest.polite import PAUSE_MARK
from broadsheet.ingest.record import SourceJob
from broadsheet.ingest.turns import LEFT_MARK
from broadsheet.sources.catalog import extraction_options

from . import schedule
from .models import Publisher, Source

log = logging.getLogger("broadsheet.sources")

# The lease of the sources being checked in this thread: the next_check_at their claim set.
_lease: ContextVar[datetime | None] = ContextVar("broadsheet_source_lease", default=None)


def lease_length() -> timedelta:
    """How long a claimed source is not handed out again (``BROADSHEET_SCHEDULE_LEASE``)."""
    from django.conf import settings

    return timedelta(seconds=settings.SCHEDULE_LEASE)


@dataclass
class CheckOutcome:
    source_id: int
    ok: bool
    not_modified: bool = False
    error: str = ""
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    published: list[datetime] = field(default_factory=list)
    feed_title: str = ""
    feed_ttl: int | None = None
    deferred: bool = False  # not checked: its host asked everyone to wait
    notice: str | None = None  # the source's politeness notice; None keeps the one it has
    not_before: datetime | None = None  # the next check is no earlier than this
    more_left: bool = False  # new items were left for the next check: it comes soon

    @classmethod
    def deferred_until(cls, source_id: int, notice: str, until: datetime) -> CheckOutcome:
        return cls(source_id, ok=False, deferred=True, notice=notice, not_before=until)

    @classmethod
    def failed(cls, source_id: int, error: str, retry_after: float | None) -> CheckOutcome:
        return cls(source_id, ok=False, error=error, retry_after=retry_after)

    @classmethod
    def succeeded(cls, source_id: int, result, published: list[datetime], not_modified: bool,
                  feed_title: str = "", feed_ttl: int | None = None) -> CheckOutcome:
        return cls(source_id, ok=True, not_modified=not_modified, headers=result.headers,
                   etag=result.etag, last_modified=result.last_modified, published=published,
                   feed_title=feed_title, feed_ttl=feed_ttl)


def job_for(source: Source) -> SourceJob:
    return SourceJob(
        id=source.pk, url=source.url, kind=source.kind, publisher_id=source.publisher_id,
        publisher_name=source.publisher.name, section=source.section,
        language=source.publisher.language, etag=source.etag, last_modified=source.last_modified,
        interval_seconds=source.interval_seconds, consecutive_errors=source.consecutive_errors,
        feed_only=source.publisher.feed_only,
        extraction=extraction_options(source.publisher.name),
    )


def jobs(sources) -> list[SourceJob]:
    return [job_for(source) for source in sources.select_related("publisher")]


@dataclass
class Claim:
    """Sources leased to one worker until ``until`` (their next_check_at meanwhile)."""

    jobs: list[SourceJob]
    until: datetime


def claim(limit: int, now: datetime | None = None) -> Claim:
    """Take up to ``limit`` due sources and lease them, so concurrent schedulers split the work.

    A worker that dies holding a lease loses nothing: its sources are due again when the lease
    ends, and another worker claims them.
    """
    now = now or timezone.now()
    until = now + lease_length()
    with transaction.atomic():
        due = (Source.objects.select_for_update(skip_locked=True)
               .filter(enabled=True, next_check_at__lte=now)
               .order_by("next_check_at").values_list("id", flat=True)[:limit])
        ids = list(due)
        Source.objects.filter(id__in=ids).update(next_check_at=until)
    return Claim(jobs(Source.objects.filter(id__in=ids).order_by("id")), until)


def claim_due(limit: int, now: datetime | None = None) -> list[SourceJob]:
    """The jobs of :func:`claim` alone."""
    return claim(limit, now).jobs


def renew(source_ids: list[int], until: datetime, now: datetime | None = None) -> Claim:
    """The sources whose lease ``until`` is still theirs (not taken over by another worker),
    leased again for a whole lease from ``now``.

    A batch that waited in the queue for most of its lease starts with all of it, so its checks
    are not dropped for ending after a lease that was running out before it began.
    """
    now = now or timezone.now()
    renewed = now + lease_length()
    with transaction.atomic():
        ids = list(Source.objects.select_for_update()
                   .filter(id__in=source_ids, enabled=True, next_check_at=until)
                   .order_by("id").values_list("id", flat=True))
        Source.objects.filter(id__in=ids).update(next_check_at=renewed)
    return Claim(jobs(Source.objects.filter(id__in=ids).order_by("id")), renewed)


@contextmanager
def lease_held(until: datetime | None) -> Iterator[None]:
    """Checks recorded inside are kept only for sources still under the lease ``until``.

    A worker that outlived its lease (stalled, or its task waited in the queue) must not write
    over the newer check of the worker that took the source over.
    """
    token = _lease.set(until)
    try:
        yield
    finally:
        _lease.reset(token)


def record_checks(outcomes: list[CheckOutcome], now: datetime) -> None:
    """Write every check's result and next check time, in one transaction per 500 sources."""
    bounds = schedule.ScheduleBounds.from_settings()
    for start in range(0, len(outcomes), 500):
        chunk = outcomes[start:start + 500]
        with transaction.atomic():
            sources = _leased(Source.objects.in_bulk([o.source_id for o in chunk]))
            for outcome in chunk:
                source = sources.get(outcome.source_id)
                if source is not None:
                    _apply(source, outcome, now, bounds)
            update_rows(Source, list(sources.values()), _STATE_FIELDS)


def _leased(sources: dict[int, Source]) -> dict[int, Source]:
    """The sources whose check may be recorded: all of them unless a lease is held."""
    until = _lease.get()
    if until is None:
        return sources
    kept = {pk: s for pk, s in sources.items() if s.next_check_at == until}
    if len(kept) < len(sources):
        log.warning("%d checks dropped: their sources' lease was taken over by another worker",
                    len(sources) - len(kept))
    return kept


_STATE_FIELDS = ["status", "next_check_at", "interval_seconds", "etag", "last_modified",
                 "consecutive_errors", "last_error", "last_error_at", "last_checked_at",
                 "last_success_at", "title", "notice"]


def _apply(source: Source, outcome: CheckOutcome, now: datetime,
           bounds: schedule.ScheduleBounds) -> None:
    if outcome.notice is not None:
        source.notice = outcome.notice[:1000]
    elif outcome.ok and PAUSE_MARK in source.notice:
        source.notice = ""  # the host answered again: the wait is over
    elif outcome.ok and not outcome.not_modified and LEFT_MARK in source.notice:
        source.notice = "; ".join(part for part in source.notice.split("; ")
                                  if LEFT_MARK not in part)  # the last of them were taken
    if outcome.deferred:
        # Nothing was asked of the host: the source's state stays; it comes back when it may.
        source.next_check_at = schedule.plan_after_wait(now, outcome.not_before)
        return
    source.last_checked_at = now
    if outcome.ok:
        plan = schedule.plan_after_success(now, source.interval_seconds, outcome.published,
                                           outcome.headers, bounds, outcome.not_modified,
                                           outcome.feed_ttl)
        source.status = Source.Status.OK
        source.consecutive_errors = 0
        source.last_success_at = now
        if not outcome.not_modified:
            source.etag = outcome.etag[:500]
            source.last_modified = outcome.last_modified[:100]
        if outcome.feed_title and not source.title:
            source.title = outcome.feed_title[:500]
    else:
        source.consecutive_errors += 1
        plan = schedule.plan_after_error(now, source.interval_seconds, source.consecutive_errors,
                                         outcome.retry_after, bounds)
        source.status = (Source.Status.FAILING if source.consecutive_errors >= bounds.failing_after
                         else Source.Status.ERROR)
        source.last_error = outcome.error
        source.last_error_at = now
    source.next_check_at = plan.next_check_at
    if outcome.more_left:
        soon = now + timedelta(seconds=bounds.min_interval)
        source.next_check_at = min(source.next_check_at, soon)
    if outcome.not_before is not None and outcome.not_before > source.next_check_at:
        source.next_check_at = schedule.plan_after_wait(now, outcome.not_before)
    source.interval_seconds = plan.interval_seconds


def placeholder_name(url: str) -> str:
    """The name a publisher gets before Broadsheet learns its real one: the site's host."""
    host = (urlsplit(url).hostname or url).lower()
    return host.removeprefix("www.")


def learn_publisher_name(publisher_id: int, source_url: str, name: str) -> None:
    """Replace a placeholder publisher name with the one the publisher's pages declare."""
    name = " ".join(name.split())[:200]
    if not name or Publisher.objects.filter(name=name).exclude(pk=publisher_id).exists():
        return
    Publisher.objects.filter(pk=publisher_id, name=placeholder_name(source_url)).update(name=name)


def due_count(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Source.objects.filter(enabled=True, next_check_at__lte=now).count()


def failing_sources():
    return Source.objects.filter(Q(status=Source.Status.FAILING) | Q(status=Source.Status.ERROR)
                                 ).order_by(F("last_error_at").desc(nulls_last=True))
