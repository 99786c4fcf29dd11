"""Text retention: articles older than ``BROADSHEET_KEEP_TEXT_DAYS`` keep only their teaser.

The body is what makes the store grow without end; the headline, summary, links, image, story,
copies and readings are small and stay. The kept body is the paywall's own ``teaser``, so a
visitor sees exactly what they saw before, and a member sees the same opening paragraphs with a
link to the publisher. The search index follows by itself: the database's triggers re-index a
row whose body changes, so words found only in the rest of the body stop matching.

``word_count`` and ``content_hash`` keep describing the whole article at the publisher: the
reading time stays true, and a feed that sends the same text again finds the article unchanged
(the store keeps a trimmed article trimmed when its text does change).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from broadsheet.articles.teaser import teaser

from .models import Article

log = logging.getLogger("broadsheet.articles")

# Rows per write transaction: short enough that the web process, which shares SQLite with the
# worker, never waits long for its own writes (each row is also re-indexed by the triggers).
BATCH = 100


def trim_old_text(now: datetime | None = None, days: int | None = None,
                  batch: int = BATCH) -> int:
    """Cut the body of articles published more than ``days`` ago to its teaser.

    ``days`` defaults to the setting; 0 keeps every body whole. Returns how many articles were
    trimmed; running it again trims nothing more until more articles come of age.
    """
    days = settings.KEEP_TEXT_DAYS if days is None else days
    if days <= 0:
        return 0
    now = now or timezone.now()
    batch = max(1, batch)
    cutoff = now - timedelta(days=days)
    trimmed = 0
    while True:
        rows = _whole_articles(cutoff, batch)
        trimmed += _trim(rows, now)
        if len(rows) < batch:
            break
    if trimmed:
        log.info("trimmed the text of %d articles published before %s", trimmed,
                 cutoff.isoformat())
    return trimmed


def _whole_articles(cutoff: datetime, batch: int) -> list[tuple[int, str, str, str]]:
    """(id, content hash, teaser html, teaser text) of the oldest whole articles.

    Read outside the write transaction, so the web process can write in between batches.
    """
    rows = (Article.objects.filter(published_at__lt=cutoff, text_trimmed_at__isnull=True)
            .order_by("published_at").only("id", "content_hash", "html", "text")[:batch])
    return [(row.pk, row.content_hash, *teaser(row)) for row in rows]


_UPDATE = ("UPDATE articles_article SET html = %s, text = %s, text_trimmed_at = %s"
           " WHERE id = %s AND text_trimmed_at IS NULL AND content_hash = %s")


def _trim(rows: list[tuple[int, str, str, str]], now: datetime) -> int:
    """Write the teasers; a row trimmed or re-fetched meanwhile is left for the next run."""
    if not rows:
        return 0
    moment = Article._meta.get_field("text_trimmed_at").get_db_prep_save(now, connection)
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for pk, content_hash, html, text in rows:
            cursor.execute(_UPDATE, (html, text, moment, pk, content_hash))
            changed += cursor.rowcount
    return changed
