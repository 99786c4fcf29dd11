"""What the parse stage returns: entries, a parsed feed, its errors and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Entry:
    guid: str  # the feed's id/guid, or the link when it has none; "" if neither
    url: str  # absolute link to the article page; "" if the entry has none
    title: str
    author: str = ""
    published_at: datetime | None = None  # aware, UTC
    updated_at: datetime | None = None  # aware, UTC
    summary: str = ""  # HTML or text, as given (unsanitised)
    content_html: str = ""  # full content, as given (unsanitised); "" if none
    has_full_content: bool = False  # content_html is the whole article, not a teaser
    image_url: str = ""
    categories: list[str] = field(default_factory=list)
    language: str = ""
    publisher: str = ""  # news sitemaps: news:publication/news:name


@dataclass
class ParsedFeed:
    kind: str  # "rss", "atom", "jsonfeed", "sitemap"
    title: str = ""
    link: str = ""  # the site's home page
    language: str = ""
    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of a sitemap index
    ttl_seconds: int | None = None  # RSS <ttl>, sy:updatePeriod/Frequency
    version: str = ""  # finer format: "rss20", "rss10", "rss091n", "atom10", "jsonfeed11", ...
    warnings: list[str] = field(default_factory=list)  # problems survived, worth showing editors


class ParseError(ValueError):
    """The body is not a feed Broadsheet can read; the message says why."""


class NotAFeed(ParseError):
    """The body is an HTML page; ``feeds`` holds what autodiscovery found on it."""

    def __init__(self, message: str, feeds: list[str]) -> None:
        super().__init__(message)
        self.feeds = feeds


MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024  # sitemaps.org's own limit for one sitemap file
FULL_CONTENT_MIN_WORDS = 150
FULL_CONTENT_LONG_WORDS = 300
DESCRIPTION_AS_CONTENT_MIN_WORDS = 300
# feedparser spends roughly 50-80 microseconds per XML element; a body built of hundreds of
# thousands of tiny or deeply nested elements would hold a worker for minutes. Real news feeds
# stay far below this (1,000 items of 12 elements is about 24,000 tags).
MAX_FEED_TAGS = 200_000
