"""RSS (0.9x, 1.0, 2.0) and Atom, both read through feedparser into entries."""

from __future__ import annotations

import io
import re
import xml.sax
from typing import Any
from urllib.parse import urljoin

import feedparser

from ..plaintext import plain_text
from .dates import _struct_to_datetime
from .model import DESCRIPTION_AS_CONTENT_MIN_WORDS, MAX_FEED_TAGS, Entry, ParsedFeed, ParseError
from .text import (
    _absolute_http,
    _dedupe,
    _language,
    _plain_title,
    _snippet,
    _str,
    _text_to_html,
    html_to_text,
    looks_like_full_content,
)

_SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}
_get = dict.get  # feedparser's dict subclass remaps keys on every .get(); its raw items suffice
_RECOVERABLE_XML_ERRORS = (xml.sax.SAXException, feedparser.exceptions.UndeclaredNamespace)


def _ttl_seconds(feed: dict) -> int | None:
    ttl = _str(_get(feed, "ttl")).strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60
    period = _SY_PERIODS.get(_str(_get(feed, "sy_updateperiod")).strip().lower())
    if period:
        frequency = _str(_get(feed, "sy_updatefrequency")).strip()
        divisor = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        return max(1, period // divisor)
    return None


def _fp_link(entry: dict, base: str) -> str:
    links = [link for link in _get(entry, "links") or [] if isinstance(link, dict)]
    alternates = [link for link in links if _get(link, "rel", "alternate") == "alternate"]
    alternates.sort(key=lambda link: 0 if "html" in (_get(link, "type") or "text/html") else 1)
    for link in alternates:
        url = _absolute_http(_get(link, "href"), base)
        if url:
            return url
    return _absolute_http(_get(entry, "link"), base)


def _fp_image(entry: dict, base: str) -> str:
    best, best_width = "", -1
    for media in _get(entry, "media_content") or []:
        if not isinstance(media, dict):
            continue
        medium = (_get(media, "medium") or "").lower()
        mime = (_get(media, "type") or "").lower()
        if medium == "image" or mime.startswith("image/") or (not medium and not mime):
            url = _absolute_http(_get(media, "url"), base)
            width = int(media["width"]) if str(_get(media, "width", "")).isdigit() else 0
            if url and width > best_width:
                best, best_width = url, width
    if best:
        return best
    for thumb in _get(entry, "media_thumbnail") or []:
        url = _absolute_http(_get(thumb, "url"), base) if isinstance(thumb, dict) else ""
        if url:
            return url
    for link in _get(entry, "links") or []:
        if (
            isinstance(link, dict)
            and _get(link, "rel") == "enclosure"
            and (_get(link, "type") or "").lower().startswith("image/")
        ):
            url = _absolute_http(_get(link, "href"), base)
            if url:
                return url
    return ""


def _fp_author(entry: dict) -> str:
    authors = _get(entry, "authors") or []
    names = [_str(_get(a, "name")).strip() for a in authors if isinstance(a, dict)]
    names = _dedupe([n for n in names if n])
    if names:
        return ", ".join(names)
    detail = _get(entry, "author_detail")
    if isinstance(detail, dict) and _str(_get(detail, "name")).strip():
        return detail["name"].strip()
    return _str(_get(entry, "author")).strip()


_URL_ATTRIBUTE = re.compile(r"""(\s(?:href|src|poster)\s*=\s*)(["'])([^"'<>]*)\2""", re.I)
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _resolve_with_base(markup: str, base: Any, feed_url: str) -> str:
    """Resolve relative links in HTML against an ``xml:base`` in effect for it.

    Without an ``xml:base`` (base is the feed URL) links stay as given: the sanitize stage
    resolves them against the article's own URL, which is what relative links in RSS mean.
    """
    if not isinstance(base, str) or not base or base == feed_url or "=" not in markup:
        return markup

    def resolve(match: re.Match) -> str:
        value = match.group(3).strip()
        if not value or value.startswith(("#", "//")) or _HAS_SCHEME.match(value):
            return match.group(0)
        try:
            value = urljoin(base, value)
        except ValueError:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{value}{match.group(2)}"

    return _URL_ATTRIBUTE.sub(resolve, markup)


def _fp_content(entry: dict, feed_url: str) -> str:
    html_parts, text_parts = [], []
    for content in _get(entry, "content") or []:
        value = _str(_get(content, "value")) if isinstance(content, dict) else ""
        if not value.strip():
            continue
        if "html" in (_get(content, "type") or "text/html"):
            html_parts.append(_resolve_with_base(value, _get(content, "base"), feed_url))
        else:
            text_parts.append(value)
    if html_parts:
        return max(html_parts, key=len)
    if text_parts:
        return _text_to_html(max(text_parts, key=len))
    return ""


_RAW_GUID = re.compile(
    r"<guid\b[^<>]*>\s*(?:<!\[CDATA\[)?\s*([^<>\]\s]{1,200})\s*(?:\]\]>)?\s*</guid>"
)


def _bare_guid_tokens(text: str) -> set[str]:
    """RSS ``<guid>`` values that are bare tokens ("12345"), neither URLs nor paths.

    feedparser takes a guid without ``isPermaLink="false"`` for a link and resolves it against
    the feed URL, turning "12345" into a made-up article URL; these are the values to undo.
    """
    if "<guid" not in text:
        return set()
    return {v for v in _RAW_GUID.findall(text) if "/" not in v and ":" not in v}


def _fp_entry(
    entry: dict,
    feed_url: str,
    feed_language: str,
    is_rss: bool,
    bare_guids: set[str] | frozenset[str] = frozenset(),
) -> Entry:
    url = _fp_link(entry, feed_url)
    guid = _str(_get(entry, "id")).strip()
    if bare_guids and guid and guid.rsplit("/", 1)[-1] in bare_guids:
        if url == guid and not _get(entry, "links"):
            url = ""  # the "link" was only the guid, resolved into a URL that does not exist
        guid = guid.rsplit("/", 1)[-1]
    guid = guid or url
    summary = _str(_get(entry, "summary"))
    summary_detail = _get(entry, "summary_detail")
    if summary and isinstance(summary_detail, dict):
        summary = _resolve_with_base(summary, _get(summary_detail, "base"), feed_url)
    content_html = _fp_content(entry, feed_url)
    if content_html:
        full = looks_like_full_content(content_html, summary)
    elif is_rss and looks_like_full_content(summary, "", DESCRIPTION_AS_CONTENT_MIN_WORDS):
        content_html, full = summary, True  # full text published in <description>
    else:
        full = False
    title = _plain_title(_str(_get(entry, "title")))
    if not title:
        title = _snippet(html_to_text(summary or content_html))
    published = _struct_to_datetime(dict.get(entry, "published_parsed"))
    updated = _struct_to_datetime(dict.get(entry, "updated_parsed"))
    if published is None and is_rss:
        published = updated
    categories = []
    for tag in _get(entry, "tags") or []:
        if isinstance(tag, dict):
            label = _str(_get(tag, "label")).strip() or _str(_get(tag, "term")).strip()
            categories.append(label)
    detail = _get(entry, "title_detail") or _get(entry, "summary_detail") or {}
    language = _language(_get(entry, "language")) or _language(_get(detail, "language"))
    return Entry(
        guid=guid,
        url=url,
        title=title,
        author=plain_text(_fp_author(entry)),
        published_at=published,
        updated_at=updated,
        summary=summary,
        content_html=content_html,
        has_full_content=full,
        image_url=_fp_image(entry, url or feed_url),
        categories=_dedupe(categories),
        language=language or feed_language,
    )


def _count_tags(text: str, limit: int) -> int:
    """Count ``<`` outside CDATA sections (start and end tags), stopping past ``limit``."""
    count = 0
    pos = 0
    while count <= limit:
        cdata = text.find("<![CDATA[", pos)
        count += text.count("<", pos, cdata if cdata >= 0 else len(text))
        if cdata < 0:
            break
        end = text.find("]]>", cdata + 9)
        if end < 0:
            break
        pos = end + 3
    return count


def _parse_xml_feed(text: str, url: str, root: str, cut_lines: int) -> ParsedFeed:
    if _count_tags(text, MAX_FEED_TAGS) > MAX_FEED_TAGS:
        raise ParseError(f"Feed has more than {MAX_FEED_TAGS:,} XML tags; refused as too costly")
    if not text.startswith("<?xml"):
        # feedparser adds a declaration on a line of its own; one of ours keeps line numbers.
        text = '<?xml version="1.0" encoding="utf-8"?>' + text
    data = text.encode("utf-8", "replace")
    try:
        result = feedparser.parse(
            io.BytesIO(data),
            response_headers={
                "content-type": "application/xml; charset=utf-8",
                "content-location": url,
            },
            sanitize_html=False,  # the sanitize stage owns safety; keep content as given
            resolve_relative_uris=False,  # links are resolved here, content HTML by sanitize
        )
    except Exception as exc:  # noqa: BLE001 - a third-party parser on hostile input
        raise ParseError(f"Feed could not be parsed: {type(exc).__name__}: {exc}") from None
    version = _str(result.get("version"))
    raw_entries = result.get("entries") or []
    warnings = []
    problem = result.get("bozo_exception") if result.get("bozo") else None
    if isinstance(problem, _RECOVERABLE_XML_ERRORS):
        if isinstance(problem, xml.sax.SAXParseException):
            message = (
                f"Malformed XML at line {(problem.getLineNumber() or 0) + cut_lines}: "
                f"{problem.getMessage()}"
            )
        else:
            message = f"Malformed XML: {problem}"
        if not raw_entries:
            raise ParseError(message)
        warnings.append(f"{message}; {len(raw_entries)} entries recovered")
    if not version and not raw_entries:
        shown = f"<{root}>" if root else "no root element"
        raise ParseError(f"Not a feed: {shown} is not RSS, Atom or RDF")
    feed = _get(result, "feed") or {}
    kind = "atom" if version.startswith("atom") else "rss"
    feed_language = _language(feed.get("language"))
    bare_guids = _bare_guid_tokens(text) if kind == "rss" else set()
    entries: list[Entry] = []
    seen: set[str] = set()
    for raw in raw_entries:
        entry = _fp_entry(raw, url, feed_language, kind == "rss", bare_guids)
        if entry.guid:
            if entry.guid in seen:
                continue
            seen.add(entry.guid)
        entries.append(entry)
    return ParsedFeed(
        kind=kind,
        title=_plain_title(_str(feed.get("title"))),
        link=_fp_link(feed, url),
        language=feed_language,
        entries=entries,
        ttl_seconds=_ttl_seconds(feed),
        version=version,
        warnings=warnings,
    )
