"""Idempotent article upserts: an article is one row, keyed by canonical URL and by (source, guid).

Re-running a fetch, or the whole pipeline after a crash, finds the existing row and either leaves it
alone (same content) or updates it; it never inserts a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from broadsheet import metrics
from broadsheet.articles.teaser import teaser
from broadsheet.ingest.record import ArticleRecord

from .cleaning import clean_fields
from .models import Article, Takedown

# "removed": an editor took the article down; it is never stored again.
Outcome = Literal["new", "updated", "unchanged", "removed"]
TAKEN_DOWN = -1  # the id ``known_articles`` gives an entry an editor took down

# Fields an update may change. The canonical URL, guid, publisher and source are identity.
_UPDATABLE = ("url", "title", "author", "section", "published_at", "language", "summary", "html",
              "text", "image_url", "word_count", "content_hash")



def content_hash(title: str, text: str) -> str:
    """What decides whether an article changed: its headline and its words, whitespace aside."""
    normalised = " ".join(title.split()) + "\n" + " ".join(text.split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def find_existing(source_id: int | None, guid: str, canonical_url: str) -> Article | None:
    candidates = list(Article.objects.filter(_identity(source_id, guid, canonical_url))[:2])
    # Prefer the (source, guid) match: the feed's own identity survives URL changes.
    for article in candidates:
        if guid and article.source_id == source_id and article.guid == guid:
            return article
    return candidates[0] if candidates else None


def _identity(source_id: int | None, guid: str, canonical_url: str) -> Q:
    match = Q(canonical_url=canonical_url)
    if guid and source_id is not None:
        match |= Q(source_id=source_id, guid=guid)
    return match


def taken_down(source_id: int | None, guid: str, canonical_url: str) -> bool:
    """Whether an editor took this article down (by its address, or its feed's guid)."""
    return Takedown.objects.filter(_identity(source_id, guid, canonical_url)).exists()


def upsert_article(data: ArticleRecord) -> tuple[Outcome, int]:
    """Insert or update one article; returns what happened and the row id (and counts it)."""
    outcome, article_id = _upsert(data)
    metrics.article_stored(outcome)
    return outcome, article_id


def _upsert(data: ArticleRecord) -> tuple[Outcome, int]:
    """Headlines, authors and summaries are cleaned first (``articles.cleaning``), so a feed that
    sends the same hidden characters again finds its article unchanged; the body is sanitised
    by the model's save.
    """
    _check(data)
    data = replace(data, **clean_fields({"title": data.title, "author": data.author,
                                         "summary": data.summary}))
    if not data.content_hash:
        data.content_hash = content_hash(data.title, data.text)
    for attempt in range(2):
        try:
            with transaction.atomic():
                existing = find_existing(data.source_id, data.guid, data.canonical_url)
                if existing is None and taken_down(data.source_id, data.guid,
                                                   data.canonical_url):
                    return "removed", TAKEN_DOWN
                if existing is None:
                    article = Article.objects.create(**data.row(), fetched_at=timezone.now(),
                                                     updated_at=timezone.now())
                    return "new", article.pk
                return _update(existing, data), existing.pk
        except IntegrityError:
            # Another worker inserted the same article between our lookup and insert: the next
            # attempt finds its row and updates it instead.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _check(data: ArticleRecord) -> None:
    """A record the poll has not placed lacks its identity: say so, instead of a database error."""
    missing = [name for name, value in (("publisher_id", data.publisher_id),
                                        ("canonical_url", data.canonical_url),
                                        ("published_at", data.published_at)) if not value]
    if missing:
        raise ValueError(f"an article record needs {', '.join(missing)} to be stored")


def _update(article: Article, data: ArticleRecord) -> Outcome:
    now = timezone.now()
    if article.content_hash == data.content_hash and article.title == data.title:
        Article.objects.filter(pk=article.pk).update(fetched_at=now)
        return "unchanged"
    if article.text_trimmed:
        data = _trimmed(data)
    changed = []
    for name in _UPDATABLE:
        value = getattr(data, name)
        if name == "published_at":
            continue  # the first publication time stands; updates do not move an article
        if value != getattr(article, name) and (value or name in {"html", "text"}):
            setattr(article, name, value)
            changed.append(name)
    article.fetched_at = now
    if not changed:
        article.save(update_fields=["fetched_at"])
        return "unchanged"
    article.updated_at = now
    article.save(update_fields=[*changed, "updated_at", "fetched_at"])
    return "updated"


def _trimmed(data: ArticleRecord) -> ArticleRecord:
    """A changed article past its text retention stays trimmed: it keeps the teaser of the new
    text (a corrected lead shows), never the whole body again."""
    html, text = teaser(data)
    return replace(data, html=html, text=text)


def known_articles(source_id: int, guids: list[str], urls: list[str],
                   ) -> dict[str, tuple[int, datetime, str]]:
    """Existing articles among a feed's entries, keyed by ``guid:<g>`` and ``url:<u>``.

    Values are (id, fetched_at, title), so the pipeline can skip pages it already has; an
    article an editor took down has the id ``TAKEN_DOWN`` (its page is never fetched again).
    """
    found: dict[str, tuple[int, datetime, str]] = {}
    guid_set = [g for g in guids if g]
    for chunk_start in range(0, max(len(guid_set), len(urls)), 500):
        guid_chunk = guid_set[chunk_start:chunk_start + 500]
        url_chunk = urls[chunk_start:chunk_start + 500]
        query = Q(canonical_url__in=url_chunk) | Q(url__in=url_chunk)
        if guid_chunk:
            query |= Q(source_id=source_id, guid__in=guid_chunk)
        rows = Article.objects.filter(query).values_list(
            "id", "guid", "source_id", "url", "canonical_url", "fetched_at", "title")
        removed = Takedown.objects.filter(query).values_list(
            "guid", "source_id", "url", "canonical_url", "removed_at", "title")
        both = [*rows, *((TAKEN_DOWN, *row) for row in removed)]  # removed ones win
        for pk, guid, src, url, canonical, fetched, title in both:
            if guid and src == source_id:
                found[f"guid:{guid}"] = (pk, fetched, title)
            found[f"url:{url}"] = found[f"url:{canonical}"] = (pk, fetched, title)
    return found


def source_keys(source_id: int) -> set[str]:
    """Every key (as in ``known_articles``) of the articles this source stored or lost to a
    takedown, read in one pass: a huge feed's items are matched against them all at once."""
    keys: set[str] = set()
    for model in (Article, Takedown):
        rows = model.objects.filter(source_id=source_id).values_list("guid", "url",
                                                                     "canonical_url")
        for guid, url, canonical in rows.iterator(chunk_size=5000):
            keys.update((f"guid:{guid}", f"url:{url}", f"url:{canonical}"))
    return keys
