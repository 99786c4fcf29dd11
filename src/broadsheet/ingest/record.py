"""The plain records the poll hands from stage to stage.

``SourceJob`` is a source as the stages see it (``sources.state`` builds it from the database).

``ArticleRecord`` is one article from the prepare stage to the store: the prepare stage builds it
(sanitised HTML, plain text, canonical address, the page's metadata), :func:`place` gives it its
identity from the feed entry and the source, and ``articles.store`` stores it as it is. Everything
in a record is already safe to store; a feed's raw entry (``parse.Entry``) is kept apart because
nothing in it has been sanitised yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from . import plaintext
from .extract_body import DEFAULT_OPTIONS, Options
from .parse.model import Entry


@dataclass
class SourceJob:
    id: int
    url: str
    kind: str  # "feed" or "sitemap"
    publisher_id: int
    publisher_name: str
    section: str = ""
    language: str = ""
    etag: str = ""
    last_modified: str = ""
    interval_seconds: int = 3600
    consecutive_errors: int = 0
    feed_only: bool = False  # the publisher's article pages are never fetched
    extraction: Options = DEFAULT_OPTIONS  # with the publisher's catalogue hints, if any


@dataclass(kw_only=True)
class ArticleRecord:
    """One article: what the store keeps, plus the publisher's name its page declared."""

    title: str
    html: str = ""
    text: str = ""
    canonical_url: str = ""
    url: str = ""
    guid: str = ""
    author: str = ""
    section: str = ""
    published_at: datetime | None = None
    image_url: str = ""
    language: str = ""
    summary: str = ""
    word_count: int = 0
    publisher_id: int = 0
    source_id: int | None = None
    content_hash: str = ""  # the store computes it when empty
    publisher: str = ""  # the publisher's name as its page declares it; not a column

    def row(self) -> dict[str, object]:
        """The article row's columns, so that a field the row lacks never reaches the store."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_STORED}


_NOT_STORED = frozenset({"publisher"})


def place(record: ArticleRecord, job: SourceJob, entry: Entry,
          now: datetime) -> ArticleRecord | None:
    """The prepared record with its identity and the feed's metadata, which wins over the page's
    (values longer than their columns are cut, never refused); None when neither gives a
    headline. A copy, because one prepared page can serve two feeds in a batch."""
    title = plaintext.one_line(entry.title or record.title)
    if not title:
        return None
    canonical = record.canonical_url
    if not entry.url:
        # No page of its own: the article is identified by its source and guid.
        canonical = f"{job.url}#{entry.guid or record.canonical_url}"
    published = entry.published_at or record.published_at or entry.updated_at or now
    if published > now + timedelta(days=1):
        published = now  # a clock far in the future would pin the article to the top
    return replace(
        record,
        publisher_id=job.publisher_id,
        source_id=job.id,
        url=entry.url or canonical,
        canonical_url=canonical,
        guid=entry.guid,
        title=title[:1000],
        author=(entry.author or record.author)[:plaintext.AUTHOR_CHARS],
        section=(job.section or record.section or _first(entry.categories))[:100],
        published_at=published,
        language=(entry.language or record.language or job.language)[:16],
        image_url=(entry.image_url or record.image_url)[:2000],
    )


def _first(values: Iterable[str]) -> str:
    for value in values:
        if value.strip():
            return value.strip()
    return ""
