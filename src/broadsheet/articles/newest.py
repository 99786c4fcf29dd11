"""The newest rows of a long list, read from windows of time rather than from all of it.

A list of several publishers' articles, newest first, has no single index in time order: the
database gathers every article of those publishers and sorts them to return twenty (5,400 rows
for three publishers at 100,000 articles, ten times more at a million). Read within a recent
window, the same list is a short range of the (publisher, published_at) index, and the newest
``limit`` rows are the same whichever window holds that many.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import Article

# Widening windows, then all of history; shared with search, which reads its matches the same way.
RECENT_WINDOWS = (timedelta(days=2), timedelta(days=8), timedelta(days=32))


def newest(articles: QuerySet[Article], limit: int, before: datetime | None = None,
           ) -> list[Article]:
    """The first ``limit`` of ``articles`` (ordered newest first), from the first window of
    time, ending at ``before`` (default now), that holds that many.

    ``articles`` must already leave out anything newer than ``before`` it should not return;
    the windows only bound how far back the database reads.
    """
    end = before or timezone.now()
    for span in RECENT_WINDOWS:
        rows = list(articles.filter(published_at__gte=end - span)[:limit])
        if len(rows) == limit:
            return rows
    return list(articles[:limit])
