"""The public entry points: a body to entries, whatever its format."""

from __future__ import annotations

from .decode import _clean_text, _gunzip, decode_body
from .discovery import discover_feeds
from .jsonfeed import _parse_json_feed
from .model import NotAFeed, ParsedFeed, ParseError
from .prolog import _kind_of_text, _refuse_entities
from .rss_atom import _parse_xml_feed
from .sitemap import _parse_sitemap_text


def _prepare(body: bytes, charset: str, content_type: str) -> tuple[str, int]:
    if not isinstance(body, bytes | bytearray | memoryview):
        raise ParseError("Body must be bytes")
    body = bytes(body)
    if not body.strip():
        raise ParseError("Empty response: the body has no content")
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body)
    text, cut_lines = _clean_text(decode_body(body, charset, content_type))
    if not text:
        raise ParseError("Empty response: the body has no content")
    return text, cut_lines


def _not_a_feed(text: str, url: str) -> NotAFeed:
    feeds = discover_feeds(text, url)
    if feeds:
        return NotAFeed(
            f"The address serves a web page, not a feed; the page links to {len(feeds)} "
            f"feed(s), first {feeds[0]}",
            feeds,
        )
    return NotAFeed(
        "The address serves a web page, not a feed, and the page links to no feed", feeds
    )


def parse_feed(body: bytes, url: str, content_type: str = "", charset: str = "") -> ParsedFeed:
    """Parse an RSS, Atom or JSON Feed body into entries; the format is read from the body."""
    text, cut_lines = _prepare(body, charset, content_type)
    kind, root, doctypes = _kind_of_text(text, content_type)
    if kind == "json":
        return _parse_json_feed(text, url)
    if kind == "html":
        raise _not_a_feed(text, url)
    if kind == "unknown" and not root:
        raise ParseError("Not a feed: the body is neither XML nor JSON")
    _refuse_entities(doctypes)
    if kind == "sitemap":
        return _parse_sitemap_text(text, url, cut_lines)
    return _parse_xml_feed(text, url, root, cut_lines)


def parse_sitemap(body: bytes, url: str) -> ParsedFeed:
    """Parse a sitemap (news or plain ``<urlset>``, or a ``<sitemapindex>``); gzip allowed."""
    text, cut_lines = _prepare(body, "", "")
    kind, root, doctypes = _kind_of_text(text)
    if kind == "html":
        raise _not_a_feed(text, url)
    if kind == "json":
        return _parse_json_feed(text, url)
    _refuse_entities(doctypes)
    if kind == "feed":
        return _parse_xml_feed(text, url, root, cut_lines)
    if not root:
        raise ParseError("Not a sitemap: the body is not XML")
    return _parse_sitemap_text(text, url, cut_lines)
