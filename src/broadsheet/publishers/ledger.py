"""Recording reads: one ledger row per reader, article and UTC day.

Pages report time on the page while it is visible, and whether the reader reached the end, in
small batches; apps report the same through ``POST /api/v1/reads``. A repeat for the same day
keeps the largest seconds and any ``finished``, so batches may be re-sent safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from broadsheet.articles.models import Article

from .models import Read

MAX_SECONDS = 4 * 3600  # a page left open all afternoon counts as four hours at most


@dataclass(frozen=True)
class Recorded:
    """A read as stored, and what it was before this report (for learning from the change)."""

    read: Read
    before_seconds: int
    before_finished: bool

    @property
    def changed(self) -> bool:
        return (self.read.seconds, self.read.finished) != (self.before_seconds,
                                                           self.before_finished)


def has_paid_access(user, now: datetime) -> bool:
    """A member or a reader in their trial: only their reads are paid for (staff's are not,
    even with a membership: editors read at work, not as the paying public)."""
    if getattr(user, "is_staff", False):
        return False
    membership = getattr(user, "membership", None)
    return membership is not None and membership.has_access(now)


def record_read(user, article: Article, seconds: int, finished: bool,
                now: datetime | None = None) -> Recorded:
    """Store a report of ``user`` reading ``article``; idempotent for repeated reports."""
    now = now or timezone.now()
    seconds = max(0, min(int(seconds), MAX_SECONDS))
    day = now.astimezone(UTC).date()
    member = has_paid_access(user, now)
    for _ in range(2):  # a concurrent first report of the same read wins; then update it
        with transaction.atomic():
            read = (Read.objects.select_for_update()
                    .filter(user=user, article=article, day=day).first())
            if read is None:
                try:
                    with transaction.atomic():
                        read = Read.objects.create(
                            user=user, article=article, publisher_id=article.publisher_id,
                            day=day, seconds=seconds, finished=finished, member=member,
                            first_at=now, last_at=now)
                except IntegrityError:
                    continue
                return Recorded(read, 0, False)
            before = Recorded(read, read.seconds, read.finished)
            read.seconds = max(read.seconds, seconds)
            read.finished = read.finished or finished
            read.member = read.member or member
            read.last_at = now
            read.save(update_fields=["seconds", "finished", "member", "last_at"])
            return Recorded(read, before.before_seconds, before.before_finished)
    # Two inserts in a row lost to a parallel one, yet no row to update: the database is not
    # keeping its unique constraint. Say so rather than lose the report silently.
    raise RuntimeError("the read could not be stored: the ledger's unique row is missing")
