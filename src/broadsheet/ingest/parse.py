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
"""

from __future__ import annotations

import codecs
import html as htmllib
import io
import json
import re
import xml.sax
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from .plaintext import html_to_line, plain_text


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

# --------------------------------------------------------------------------------------------
# Bytes to text
# --------------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LATIN_FAMILY = {"ascii", "latin-1", "iso8859-1", "cp1252"}
_CP1252_TABLE = []
for _byte in range(256):
    try:
        _CP1252_TABLE.append(bytes([_byte]).decode("cp1252"))
    except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
        _CP1252_TABLE.append(chr(_byte))


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read undecodable bytes as Windows-1252 instead of failing."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    return "".join(_CP1252_TABLE[b] for b in chunk), exc.end


codecs.register_error("broadsheet.cp1252", _cp1252_fallback)

_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:+-]+)", re.I)
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:+-]+)")


def _codec_name(label: str) -> str:
    """Python's canonical codec name for an encoding label; "" when unknown."""
    label = (label or "").strip().strip("\"'")
    if not label:
        return ""
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


def _sniff_wide_encoding(head: bytes) -> str:
    """UTF-16/32 without a byte-order mark, recognised by where the zero bytes fall."""
    if len(head) < 4:
        return ""
    b0, b1, b2, b3 = head[0], head[1], head[2], head[3]
    if b0 and not b1 and not b2 and not b3:
        return "utf-32-le"
    if not b0 and not b1 and not b2 and b3:
        return "utf-32-be"
    if b0 and not b1 and b2 and not b3:
        return "utf-16-le"
    if not b0 and b1 and not b2 and b3:
        return "utf-16-be"
    if head == b"\x4c\x6f\xa7\x94":  # "<?xm" in EBCDIC
        return "cp037"
    return ""


def decode_body(body: bytes, charset: str = "", content_type: str = "") -> str:
    """Decode a response body to text, recovering from wrong or missing encoding labels."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    wide = _sniff_wide_encoding(body[:4])
    if wide:
        return body.decode(wide, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    header_label = charset
    if not header_label:
        match = _CHARSET_PARAM.search(content_type or "")
        header_label = match.group(1) if match else ""
    match = _XML_DECL_ENCODING.match(body[:300])
    declared = [_codec_name(header_label), _codec_name(match.group(1).decode() if match else "")]
    for encoding in declared:
        if not encoding or encoding in _LATIN_FAMILY or encoding.startswith(("utf-", "utf_")):
            continue
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "broadsheet.cp1252")


# Characters XML 1.0 forbids; real feeds contain them and they make expat give up.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LIKELY_START = re.compile(r"<\?xml|<rss|<feed|<rdf:RDF|<urlset|<sitemapindex")


def _clean_text(text: str) -> tuple[str, int]:
    """Drop a stray BOM, leading blank lines and junk before the markup; forbidden characters.

    Returns the text and how many lines were cut from the top (to keep error line numbers
    true to the original document).
    """
    length = len(text)
    start = length - len(text.lstrip(" \t\r\n\ufeff"))
    if start < length and text[start] not in "<{[":
        # Junk such as a PHP warning printed before the XML: skip to a plausible start.
        match = _LIKELY_START.search(text, start, start + 4096)
        if match:
            start = match.start()
    cut_lines = text.count("\n", 0, start)
    text = text[start:]
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("", text)
    return text, cut_lines


def _gunzip(body: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress a gzip body (all members) without ever holding more than ``limit`` bytes."""
    out = bytearray()
    data = body
    try:
        while data:
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += decompressor.decompress(data, limit + 1 - len(out))
            if len(out) > limit or decompressor.unconsumed_tail:
                raise ParseError(
                    f"Compressed body is larger than {limit // (1024 * 1024)} MB when decompressed"
                )
            if not decompressor.eof:
                raise ParseError("Compressed body is corrupt or truncated")
            data = decompressor.unused_data
            if data[:2] != b"\x1f\x8b":
                break
    except zlib.error as exc:
        raise ParseError(f"Compressed body is corrupt: {exc}") from None
    return bytes(out)


# --------------------------------------------------------------------------------------------
# The prolog: root element, DOCTYPE, and entity refusal
# --------------------------------------------------------------------------------------------

_DOCTYPE_MARKS = re.compile(r"[\"'\[\]>]|<!--")
_SAFE_ENTITY = re.compile(
    r'<!ENTITY\s+[A-Za-z_][\w.:-]*\s+"&#(?:[0-9]{1,7}|x[0-9A-Fa-f]{1,6});"\s*>'
)
_ROOT_NAME = re.compile(r"<([A-Za-z_][\w.:-]*)")
_DOCTYPE_NAME = re.compile(r"<!DOCTYPE\s+([A-Za-z_][\w.:-]*)", re.I)


def _doctype_end(text: str, start: int) -> int:
    """Index just past the DOCTYPE starting at ``start``, honouring quotes, comments and the
    internal subset. Linear: every closer is found with one ``str.find``."""
    depth = 0
    pos = start + 9
    length = len(text)
    while pos < length:
        mark = _DOCTYPE_MARKS.search(text, pos)
        if mark is None:
            return length
        value = mark.group()
        if value in ("\"", "'"):
            close = text.find(value, mark.end())
        elif value == "<!--":
            close = text.find("-->", mark.end())
            close = close + 2 if close >= 0 else -1
        else:
            if value == "[":
                depth += 1
            elif value == "]":
                depth = max(0, depth - 1)
            elif depth == 0:
                return mark.end()
            close = mark.start()
        if close < 0:
            return length
        pos = close + 1
    return length


def _scan_prolog(text: str) -> tuple[int, list[str]]:
    """Find the root element's ``<`` (or -1) and every DOCTYPE declared before it."""
    doctypes: list[str] = []
    pos = 0
    while True:
        pos = text.find("<", pos)
        if pos < 0:
            return -1, doctypes
        if text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            if end < 0:
                return -1, doctypes
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end < 0:
                return -1, doctypes
            pos = end + 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            end = _doctype_end(text, pos)
            doctypes.append(text[pos:end])
            pos = end
        elif text.startswith("<!", pos) and not text.startswith("<![CDATA[", pos):
            end = text.find(">", pos)
            if end < 0:
                return -1, doctypes
            pos = end + 1
        else:
            return pos, doctypes


def _refuse_entities(doctypes: list[str]) -> None:
    """Raise ParseError when a DOCTYPE declares entities that could amplify or leak."""
    for doctype in doctypes:
        bracket = doctype.find("[")
        if bracket < 0:
            continue  # only an external DTD reference, which is never fetched
        subset = doctype[bracket:]
        declared = subset.upper().count("<!ENTITY")
        if declared and declared != len(_SAFE_ENTITY.findall(subset)):
            raise ParseError("Feed declares XML entities; refused for safety")


_FEED_ROOTS = {"rss", "rdf", "feed", "channel"}
_SITEMAP_ROOTS = {"urlset", "sitemapindex"}
_HTML_ROOTS = {"html", "head", "body", "meta", "div", "p", "script", "link", "title", "style"}


def _kind_of_text(text: str, content_type: str = "") -> tuple[str, str, list[str]]:
    """(kind, root local name, doctypes) for cleaned text."""
    if text[:1] in ("{", "["):
        return "json", "", []
    root_at, doctypes = _scan_prolog(text)
    root = ""
    if root_at >= 0:
        match = _ROOT_NAME.match(text, root_at)
        root = match.group(1).rsplit(":", 1)[-1].lower() if match else ""
    if root in _FEED_ROOTS:
        return "feed", root, doctypes
    if root in _SITEMAP_ROOTS:
        return "sitemap", root, doctypes
    doctype_name = ""
    if doctypes:
        match = _DOCTYPE_NAME.match(doctypes[0])
        doctype_name = match.group(1).lower() if match else ""
    if root in _HTML_ROOTS or doctype_name == "html":
        return "html", root, doctypes
    media = content_type.split(";", 1)[0].strip().lower()
    if not root and "html" in media:
        return "html", root, doctypes
    return "unknown", root, doctypes


def sniff_kind(body: bytes, content_type: str = "") -> str:
    """Guess what a response is from its first bytes: "feed", "sitemap", "html", "json" or
    "unknown". Cheap: only the first 64 KB are looked at."""
    head = body[:65536]
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
        except zlib.error:
            return "unknown"
    text, _ = _clean_text(decode_body(head, content_type=content_type))
    kind = _kind_of_text(text, content_type)[0]
    if kind == "unknown" and not text:
        media = content_type.split(";", 1)[0].strip().lower()
        if "json" in media:
            return "json"
    return kind


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_TAG_LIKE = re.compile(r"</?[A-Za-z][^<>]*>")
_BLOCK_TAG = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|figure|"
    r"figcaption|hr|img|pre)\b[^<>]*>",
    re.I,
)
_ENTITY_LIKE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_SKIPPED_OPENER = re.compile(r"<!--|<script\b|<style\b", re.I)
_SCRIPT_CLOSER = re.compile(r"</script[^<>]*>", re.I)
_STYLE_CLOSER = re.compile(r"</style[^<>]*>", re.I)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _drop_blocks(markup: str) -> str:
    """Remove comments, scripts and styles in linear time (unclosed ones run to the end)."""
    parts = []
    pos = 0
    while True:
        opener = _SKIPPED_OPENER.search(markup, pos)
        if opener is None:
            parts.append(markup[pos:])
            break
        parts.append(markup[pos : opener.start()])
        parts.append(" ")
        kind = opener.group().lower()
        if kind == "<!--":
            end = markup.find("-->", opener.end())
            pos = end + 3 if end >= 0 else len(markup)
        else:
            closer = (_SCRIPT_CLOSER if kind == "<script" else _STYLE_CLOSER).search(
                markup, opener.end()
            )
            pos = closer.end() if closer else len(markup)
    return "".join(parts)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment on one line, for titles and word counts: the product's
    one HTML-to-text function, ``plaintext.html_to_line``."""
    return html_to_line(markup)


def _plain_title(value: str) -> str:
    """A title as plain text: tags stripped, entities decoded (twice, for double-escaped feeds)."""
    text = html_to_text(value)
    if "&" in text and _ENTITY_LIKE.search(text):
        text = " ".join(htmllib.unescape(text).split())
    if "<" in text and _TAG_LIKE.search(text):  # escaped markup: "&lt;b&gt;" in a plain title
        text = " ".join(_TAG_LIKE.sub("", text).split())
    return text


def _snippet(text: str, limit: int = 100) -> str:
    """A title-length prefix of ``text``, cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return (cut or text[:limit]) + "…"


def _text_to_html(text: str) -> str:
    """Plain text content as simple HTML paragraphs."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(
        "<p>" + htmllib.escape(p, quote=False).replace("\n", "<br>") + "</p>" for p in paragraphs
    )


def _word_count(text: str) -> int:
    """Words in ``text``; CJK characters count half a word each (they carry no spaces)."""
    count = len(text.split())
    if text and not text.isascii():
        count += len(_CJK.findall(text)) // 2
    return count


_WP_FOOTER = re.compile(r"\s*The post .{1,400}? appeared first on .{1,200}?$", re.S)
_TEASER_END = re.compile(
    r"(?:…|\.\.\.|\bread more|\bcontinue reading|\bkeep reading|\bread the (?:full|rest|whole)"
    r"(?: of the)?(?: \w+)?|\bread full (?:story|article|post)|\bfull (?:story|article)"
    r"|\bmore\s*»)[\s\W]*$",
    re.I,
)


def looks_like_full_content(content_html: str, summary: str = "",
                            min_words: int = FULL_CONTENT_MIN_WORDS) -> bool:
    """Whether ``content_html`` is a whole article rather than a teaser (rule in module doc)."""
    if not content_html:
        return False
    text = html_to_text(content_html)
    tail = max(0, len(text) - 700)
    if "appeared first on" in text[tail:]:
        text = text[:tail] + _WP_FOOTER.sub("", text[tail:])
    words = _word_count(text)
    if words < min_words or _TEASER_END.search(text[-80:]):
        return False
    summary_words = _word_count(html_to_text(summary)) if summary else 0
    return words >= 1.5 * summary_words or words >= FULL_CONTENT_LONG_WORDS


def _absolute_http(href: Any, base: str) -> str:
    """``href`` made absolute against ``base``; "" unless the result is an http(s) URL."""
    if not isinstance(href, str):
        return ""
    href = href.strip()
    if not href:
        return ""
    try:
        if base and not href[:8].lower().startswith(("http://", "https://")):
            absolute = urljoin(base, href)
        else:
            absolute = href
        parts = urlsplit(absolute)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return absolute


def _language(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return value.strip().replace("_", "-").lower()[:35]


def _dedupe(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _parse_date(value: Any) -> datetime | None:
    """RFC 3339 / W3C datetime (date-only allowed) or RFC 822, as aware UTC; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}", value):  # W3C "YYYY-MM"
            try:
                parsed = datetime.fromisoformat(value + "-01")
            except ValueError:
                parsed = None
        else:
            try:
                parsed = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _struct_to_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --------------------------------------------------------------------------------------------
# RSS / Atom through feedparser
# --------------------------------------------------------------------------------------------

_SY_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000,
               "yearly": 31536000}
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
        if (isinstance(link, dict) and _get(link, "rel") == "enclosure"
                and (_get(link, "type") or "").lower().startswith("image/")):
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


def _fp_entry(entry: dict, feed_url: str, feed_language: str, is_rss: bool,
              bare_guids: set[str] | frozenset[str] = frozenset()) -> Entry:
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
            response_headers={"content-type": "application/xml; charset=utf-8",
                              "content-location": url},
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
            message = (f"Malformed XML at line {problem.getLineNumber() + cut_lines}: "
                       f"{problem.getMessage()}")
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


# --------------------------------------------------------------------------------------------
# JSON Feed
# --------------------------------------------------------------------------------------------

_JSONFEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/(1(?:\.\d+)?)/?$")


def _json_author(obj: dict) -> str:
    authors = obj.get("authors")
    names = []
    if isinstance(authors, list):
        names = [_str(a.get("name")).strip() for a in authors if isinstance(a, dict)]
    if not any(names) and isinstance(obj.get("author"), dict):
        names = [_str(obj["author"].get("name")).strip()]
    return ", ".join(_dedupe([n for n in names if n]))


def _json_item(item: dict, feed_url: str, feed_author: str, feed_language: str) -> Entry:
    url = _absolute_http(item.get("url"), feed_url) or _absolute_http(
        item.get("external_url"), feed_url
    )
    raw_id = item.get("id")
    guid = raw_id.strip() if isinstance(raw_id, str) else ""
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        guid = str(raw_id)
    guid = guid or url
    summary = _str(item.get("summary"))
    content_html = _str(item.get("content_html"))
    if not content_html.strip() and _str(item.get("content_text")).strip():
        content_html = _text_to_html(item["content_text"])
    title = _plain_title(_str(item.get("title")))
    if not title:
        title = _snippet(html_to_text(summary or content_html))
    image = _absolute_http(item.get("image"), url or feed_url) or _absolute_http(
        item.get("banner_image"), url or feed_url
    )
    if not image and isinstance(item.get("attachments"), list):
        for attachment in item["attachments"]:
            if isinstance(attachment, dict) and _str(attachment.get("mime_type")).startswith(
                "image/"
            ):
                image = _absolute_http(attachment.get("url"), url or feed_url)
                if image:
                    break
    tags = item.get("tags")
    categories = [t.strip() for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    return Entry(
        guid=guid,
        url=url,
        title=title,
        author=plain_text(_json_author(item) or feed_author),
        published_at=_parse_date(item.get("date_published")),
        updated_at=_parse_date(item.get("date_modified")),
        summary=summary,
        content_html=content_html,
        has_full_content=looks_like_full_content(content_html, summary),
        image_url=image,
        categories=_dedupe(categories),
        language=_language(item.get("language")) or feed_language,
    )


def _parse_json_feed(text: str, url: str) -> ParsedFeed:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"Malformed JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise ParseError("Malformed JSON: nested too deeply") from None
    version = _str(document.get("version")) if isinstance(document, dict) else ""
    match = _JSONFEED_VERSION.match(version.strip())
    if not match:
        raise ParseError(
            "JSON document is not a JSON Feed (no https://jsonfeed.org/version/1 version)"
        )
    feed_language = _language(document.get("language"))
    feed_author = _json_author(document)
    items = document.get("items")
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        entry = _json_item(item, url, feed_author, feed_language)
        if entry.guid:
            if entry.guid in seen:
                continue
            seen.add(entry.guid)
        entries.append(entry)
    return ParsedFeed(
        kind="jsonfeed",
        title=_plain_title(_str(document.get("title"))),
        link=_absolute_http(document.get("home_page_url"), url),
        language=feed_language,
        entries=entries,
        version="jsonfeed" + (match.group(1) + ".0")[:3].replace(".", ""),
    )


# --------------------------------------------------------------------------------------------
# Sitemaps through lxml
# --------------------------------------------------------------------------------------------


def _local(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _text_of(element: Any) -> str:
    return "".join(element.itertext()).strip()


def _sitemap_entry(url_element: Any, base: str) -> Entry | None:
    loc = lastmod = title = published = publisher = language = keywords = image = ""
    for child in url_element:
        name = _local(child)
        if name == "loc":
            loc = _text_of(child)
        elif name == "lastmod":
            lastmod = _text_of(child)
        elif name == "news":
            for item in child:
                news_name = _local(item)
                if news_name == "title":
                    title = _text_of(item)
                elif news_name == "publication_date":
                    published = _text_of(item)
                elif news_name == "keywords":
                    keywords = _text_of(item)
                elif news_name == "publication":
                    for part in item:
                        if _local(part) == "name":
                            publisher = _text_of(part)
                        elif _local(part) == "language":
                            language = _text_of(part)
        elif name == "image" and not image:
            for part in child:
                if _local(part) == "loc":
                    image = _text_of(part)
    url = _absolute_http(loc, base)
    if not url:
        return None
    return Entry(
        guid=url,
        url=url,
        title=_plain_title(title),
        published_at=_parse_date(published),
        updated_at=_parse_date(lastmod),
        image_url=_absolute_http(image, url),
        categories=_dedupe([k.strip() for k in keywords.split(",") if k.strip()]),
        language=_language(language),
        publisher=" ".join(publisher.split()),
    )


def _parse_sitemap_text(text: str, url: str, cut_lines: int) -> ParsedFeed:
    parser = etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(text.encode("utf-8", "replace"), parser)
    except etree.XMLSyntaxError as exc:
        line = (exc.lineno or 0) + cut_lines
        raise ParseError(f"Malformed XML at line {line}: {exc.msg}") from None
    if root is None:
        raise ParseError("Malformed XML: the document is empty")
    name = _local(root)
    if name == "sitemapindex":
        children = []
        for sitemap in root:
            if _local(sitemap) != "sitemap":
                continue
            for part in sitemap:
                if _local(part) == "loc":
                    child_url = _absolute_http(_text_of(part), url)
                    if child_url:
                        children.append(child_url)
        return ParsedFeed(kind="sitemap", version="sitemapindex", sitemaps=_dedupe(children))
    if name != "urlset":
        raise ParseError(f"Not a sitemap: root element <{name or root.tag}>")
    entries: list[Entry] = []
    seen: set[str] = set()
    for element in root:
        if _local(element) != "url":
            continue
        entry = _sitemap_entry(element, url)
        if entry is None or entry.guid in seen:
            continue
        seen.add(entry.guid)
        entries.append(entry)
    languages = {e.language for e in entries if e.language}
    publishers = [e.publisher for e in entries if e.publisher]
    return ParsedFeed(
        kind="sitemap",
        title=publishers[0] if publishers else "",
        language=languages.pop() if len(languages) == 1 else "",
        entries=entries,
        version="urlset",
    )


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


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
    return NotAFeed("The address serves a web page, not a feed, and the page links to no feed",
                    feeds)


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


_FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "application/x-rss+xml",
}
_COMMENTS_TITLE = re.compile(
    r"\bcomments?\b|commentaires|kommentare|comentarios|commenti|reacties|reactions", re.I
)
_COMMENTS_URL = re.compile(r"/comments?(?:/|\.|$|\?)", re.I)


_HEAD_END = re.compile(r"</head\b", re.I)
_LINK_OR_BASE = re.compile(r"<(link|base)\b([^<>]*)>", re.I)
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def _attributes(markup: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(markup):
        name = match.group(1).lower()
        if name not in values:
            raw = match.group(2) or match.group(3) or match.group(4) or ""
            values[name] = htmllib.unescape(raw) if "&" in raw else raw
    return values


def discover_feeds(html: bytes | str, base_url: str) -> list[str]:
    """Feed URLs a page advertises, absolute, de-duplicated, in page order; comment feeds are
    dropped when the page also offers a main feed."""
    text = decode_body(html) if isinstance(html, bytes | bytearray) else str(html)
    head_end = _HEAD_END.search(text)
    if head_end:
        text = text[: head_end.start()]
    # Tags are found with regular expressions rather than a full HTML parse: pages can be
    # megabytes long and only <link> and <base> matter; comments and scripts are cut first.
    text = _drop_blocks(text) if "<" in text else text
    base = ""
    links: list[tuple[str, str]] = []  # (href, title)
    for match in _LINK_OR_BASE.finditer(text):
        values = _attributes(match.group(2))
        href = values.get("href", "").strip()
        if match.group(1).lower() == "base":
            if href and not base:  # the first <base href> applies to the whole document
                base = _absolute_http(href, base_url)
            continue
        rels = values.get("rel", "").lower().split()
        media = values.get("type", "").split(";", 1)[0].strip().lower()
        if "alternate" in rels and media in _FEED_TYPES and href:
            links.append((href, values.get("title", "")))
    found: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for href, title in links:
        url = _absolute_http(href, base or base_url)
        if not url or url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        is_comments = bool(_COMMENTS_TITLE.search(title) or _COMMENTS_URL.search(path))
        found.append((url, is_comments))
    main = [url for url, is_comments in found if not is_comments]
    return main if main else [url for url, _ in found]
