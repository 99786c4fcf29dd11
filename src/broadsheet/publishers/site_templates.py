"""Site templates kept per host in the database, for the ingest orchestrator.

The pure part (fingerprints, which blocks are template, removing them) is ``ingest.templates``;
this module stores what each host's pages teach and answers with the host's template. The
orchestrator calls, for every article it stores:

- ``clean(publisher_id, article)`` before storing it: the article without the blocks its
  publisher has printed on enough of its other pages on the same host;
- ``learn(publisher_id, url, html)`` once the store says the article is new: its blocks are
  counted for its publisher and host. An article is new once, however often it is fetched
  again, so re-running a poll never counts a page twice.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from broadsheet.ingest import templates
from broadsheet.ingest.prepare import PreparedArticle

from .models import SiteBlock, SiteTemplate


def host_of(url: str) -> str:
    """The host whose template a page shares: its host name, without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def template_of(publisher_id: int, host: str, fingerprints: set[str]) -> set[str]:
    """Which of ``fingerprints`` are the template of ``publisher_id`` on ``host`` now (one or
    two small queries)."""
    site = SiteTemplate.objects.filter(publisher_id=publisher_id, host=host).first()
    if site is None or not fingerprints:
        return set()
    counts = dict(SiteBlock.objects.filter(template=site, fingerprint__in=fingerprints)
                  .values_list("fingerprint", "pages"))
    return templates.repeated_blocks(counts, site.pages)


def clean(publisher_id: int, article: PreparedArticle) -> PreparedArticle:
    """``article`` without its site's template blocks (unchanged for a site learnt too little)."""
    host = host_of(article.canonical_url)
    if not host or not article.html:
        return article
    template = template_of(publisher_id, host, templates.page_fingerprints(article.html))
    return templates.without_template(article, template)


def learn(publisher_id: int, url: str, html: str) -> None:
    """Count one new page of ``publisher_id`` on ``url``'s host, and each distinct block of its
    body ``html``."""
    host = host_of(url)
    if not host:
        return
    fingerprints = templates.page_fingerprints(html)
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
