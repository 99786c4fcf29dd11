"""Parse stage: feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed 1.0/1.1) and news sitemaps into entries.

Contract:
- ``parse_feed(body: bytes, url: str, content_type: str = "", charset: str = "") -> ParsedFeed``
  raises ``ParseError`` (clear message) for anything that is not a usable feed; ``NotAFeed`` (a
  subclass) when the body is an HTML page, carrying the feed URLs found by autodiscovery.
  A sitemap handed to ``parse_feed`` is parsed as a sitemap (and a feed handed to
  ``parse_sitemap`` as a feed): the kind is read from the body, not from what the caller expected.
- ``parse_sitemap(body, url) -> ParsedFeed`` for ``<urlset>`` news sitemaps (and sitemap indexes:
  ``ParsedFeed.sitemaps`` lists the child sitemaps).
- ``discover_feeds(html: bytes | str, base_url: str) -> list[str]`` from ``<link rel=alternate>``.
- ``sniff_kind(body, content_type) -> "feed" | "sitemap" | "html" | "json" | "unknown"``.

Decisions worth knowing:
- Character encodings are resolved here, not by feedparser: a byte-order mark wins; then bytes
  that are valid UTF-8 are UTF-8 whatever the labels say (Latin-1 text almost never validates
  as UTF-8); then a declared non-Latin encoding (header first, then the XML declaration); and
  otherwise UTF-8 with any invalid byte read as Windows-1252. That last rule reads Latin-1 and
  Windows-1252 documents (smart quotes, euro sign) correctly even when they claim to be UTF-8,
  and repairs the common "UTF-8 feed with one pasted Windows-1252 paragraph". feedparser then
  receives clean UTF-8.
- XML entity declarations are refused before any parser runs (billion laughs, quadratic
  blow-up, external entities). Only the prolog before the root element is examined, so an
  article that merely talks about ``<!ENTITY`` is not refused. One harmless form is allowed:
  an entity whose value is one double-quoted character reference (``<!ENTITY nbsp "&#160;">``),
  which old publishing systems emit and which cannot amplify anything. A DOCTYPE without an
  internal subset (RSS 0.91's Netscape DOCTYPE) is fine: external DTDs are never loaded.
- ``Entry.has_full_content`` is True when the content holds at least 150 words of text (CJK
  characters count as half a word each), does not end like a teaser ("…", "...", "Read more",
  "Continue reading", "Read the full story", "Keep reading"; WordPress's trailing "The post X
  appeared first on Y" is ignored), and is either at least 1.5 times as long as the summary or
  at least 300 words long. An RSS item with no content element whose description alone passes
  the same test at 300 words or more is treated as carrying its full text in the description:
  ``content_html`` is then that description.
- RSS ``dc:date`` is a publication date: for RSS and RDF feeds, ``published_at`` falls back to it
  (feedparser files it as "updated"). Atom's ``updated`` is left in ``updated_at`` only.
- Dates are never invented; an unparseable or absent date is ``None``.
- An RSS ``<guid>`` that is a bare token ("12345") stays the guid and is not turned into a link
  (feedparser would resolve it against the feed URL into a page that does not exist).
- Malformed XML: when feedparser's tolerant parser still recovers entries, they are returned
  and ``ParsedFeed.warnings`` says what was wrong; with no entries it is a ``ParseError``
  ("Malformed XML at line N: ..."). A well-formed feed with no entries is not an error.
- Cost: feedparser takes some 50-80 microseconds per XML element, so bodies with more than
  ``MAX_FEED_TAGS`` tags outside CDATA are refused; everything this module scans itself (prolog,
  tags, comments, scripts) is scanned in linear time, whatever the input.
- ``summary`` and ``content_html`` are returned unsanitised (feedparser's sanitiser is off);
  relative links inside them are resolved here only where an ``xml:base`` applies, otherwise
  by the sanitize stage against the article URL.

Layout: one module per format (``rss_atom``: RSS and Atom, both read through feedparser;
``jsonfeed``; ``sitemap``; ``discovery``), what they share (``decode``: bytes to text; ``prolog``:
document kind and entity refusal; ``text`` and ``dates``: helpers), the data they return
(``model``) and the entry points (``reader``). Everything public is importable from here.
"""

from __future__ import annotations

from .decode import decode_body
from .discovery import discover_feeds
from .model import (
    DESCRIPTION_AS_CONTENT_MIN_WORDS,
    FULL_CONTENT_LONG_WORDS,
    FULL_CONTENT_MIN_WORDS,
    MAX_DECOMPRESSED_BYTES,
    MAX_FEED_TAGS,
    Entry,
    NotAFeed,
    ParsedFeed,
    ParseError,
)
from .prolog import sniff_kind
from .reader import parse_feed, parse_sitemap
from .text import html_to_text, looks_like_full_content

__all__ = [
    "DESCRIPTION_AS_CONTENT_MIN_WORDS",
    "FULL_CONTENT_LONG_WORDS",
    "FULL_CONTENT_MIN_WORDS",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_FEED_TAGS",
    "Entry",
    "NotAFeed",
    "ParseError",
    "ParsedFeed",
    "decode_body",
    "discover_feeds",
    "html_to_text",
    "looks_like_full_content",
    "parse_feed",
    "parse_sitemap",
    "sniff_kind",
]
