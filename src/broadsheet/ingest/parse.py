"""Parse stage: feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed 1.0/1.1) and news sitemaps into entries.

Contract:
- ``parse_feed(body: bytes, url: str, content_type: str = "", charset: str = "") -> ParsedFeed``
  raises ``ParseError`` (clear message) for anything that is not a usable feed; ``NotAFeed`` (a
  subclass) when the body is an HTML page, carrying the feed URLs found by autodiscovery.
- ``parse_sitemap(body, url) -> ParsedFeed`` for ``<urlset>`` news sitemaps (and sitemap indexes:
  ``ParsedFeed.sitemaps`` lists the child sitemaps).
- ``discover_feeds(html: bytes | str, base_url: str) -> list[str]`` from ``<link rel=alternate>``.
"""

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


@dataclass
class ParsedFeed:
    kind: str  # "rss", "atom", "jsonfeed", "sitemap"
    title: str = ""
    link: str = ""  # the site's home page
    language: str = ""
    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of a sitemap index
    ttl_seconds: int | None = None  # RSS <ttl>, sy:updatePeriod/Frequency


class ParseError(ValueError):
    """The body is not a feed Broadsheet can read; the message says why."""


class NotAFeed(ParseError):
    """The body is an HTML page; ``feeds`` holds what autodiscovery found on it."""

    def __init__(self, message: str, feeds: list[str]) -> None:
        super().__init__(message)
        self.feeds = feeds
