"""Site templates kept per host in the database, for the ingest orchestrator.

The pure part (fingerprints, which blocks are template, removing them) is ``ingest.templates``;
this module stores what each host's pages teach and answers with the host's template. The
orchestrator calls, for every article it stores:

- ``clean(publisher_id, article)`` before storing it: the article without the blocks its
  publisher has printed on enough of its other pages on the same host;
- ``learn(publisher_id, url, html)`` once the store says the article is new: its blocks are
  counted for its publisher and host. An article is new once, however often it is fetched
  again, so re-running a poll never counts a page twice.

Blocks seen on few pages and not for a month are forgotten once a day (``forget_rare``, run by
the worker's ``forget_rare_blocks`` task), so the table holds templates, not every paragraph.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from broadsheet.ingest import templates
from broadsheet.ingest.record import ArticleRecord

from .models import SiteBlock, SiteTemplate

log = logging.getLogger(__name__)


def template_of(publisher_id: int, host: str, fingerprints: set[str]) -> set[str]:
    """Which of ``fingerprints`` are the template of ``publisher_id`` on ``host`` now (one or
    two small queries)."""
    site = SiteTemplate.objects.filter(publisher_id=publisher_id, host=host).first()
    if site is None or not fingerprints:
        return set()
    counts = dict(SiteBlock.objects.filter(template=site, fingerprint__in=fingerprints)
                  .values_list("fingerprint", "pages"))
    return templates.repeated_blocks(counts, site.pages)


def clean(publisher_id: int, article: ArticleRecord) -> ArticleRecord:
    """``article`` without its site's template blocks (unchanged for a site learnt too little).

    The template only improves an article: when it cannot be read (a database error), the
    article is stored as extracted and the error logged, never lost.
    """
    host = templates.host_of(article.canonical_url)
    if not host or not article.html:
        return article
    try:
        template = template_of(publisher_id, host, templates.page_fingerprints(article.html))
    except DatabaseError:
        log.exception("site template of %s could not be read", host)
        return article
    return templates.without_template(article, template)


def learn(publisher_id: int, url: str, html: str) -> None:
    """Count one new page of ``publisher_id`` on ``url``'s host, and each distinct block of its
    body ``html``."""
    host = templates.host_of(url)
    if not host:
        return
    try:
        _count(publisher_id, host, templates.page_fingerprints(html))
    except DatabaseError:  # the article is stored; only one page's lesson is lost
        log.exception("site template of %s could not be updated", host)


def _count(publisher_id: int, host: str, fingerprints: set[str]) -> None:
    """One more page, and one more for each of ``fingerprints``, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        site, _ = SiteTemplate.objects.get_or_create(publisher_id=publisher_id, host=host)
        SiteTemplate.objects.filter(pk=site.pk).update(pages=F("pages") + 1)
        if not fingerprints:
            return
        known = set(SiteBlock.objects.filter(template=site, fingerprint__in=fingerprints)
                    .values_list("fingerprint", flat=True))
        SiteBlock.objects.filter(template=site, fingerprint__in=known).update(
            pages=F("pages") + 1, last_seen=now)
        SiteBlock.objects.bulk_create(
            [SiteBlock(template=site, fingerprint=key, pages=1, last_seen=now)
             for key in sorted(fingerprints - known)],
            ignore_conflicts=True)


FORGET_AFTER = timedelta(days=30)


def forget_rare(now: datetime | None = None) -> int:
    """Delete the fingerprints of blocks seen on fewer than ``MIN_PAGES`` pages and not seen
    for ``FORGET_AFTER``: most are paragraphs of one article, and they would otherwise grow
    with the store. A template block is seen again with every page, so it stays. Returns how
    many were deleted."""
    cutoff = (now or timezone.now()) - FORGET_AFTER
    deleted, _ = SiteBlock.objects.filter(pages__lt=templates.MIN_PAGES,
                                          last_seen__lt=cutoff).delete()
    return deleted
