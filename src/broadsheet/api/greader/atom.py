"""A stream as an Atom feed (``/reader/atom/<stream id>``), as Google Reader served it and
FeedHQ-style clients such as newsboat read each subscription.

The entries are the JSON stream's items: the same page (``n``, ``c``, ``r``, ``ot``, ``nt``,
``xt``, ``it``), the same paywall on the content. The reader's state travels as categories in
Google Reader's scheme: ``…/read`` for an article in their history, ``…/fresh`` for one not
read yet (so a client that had it read learns it is unread again), ``…/starred`` for a saved one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.xmlreader import AttributesImpl

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.xmlutils import SimplerXMLGenerator

from broadsheet.articles.models import Article

from .. import present
from .common import (
    DEFAULT_ITEMS,
    FRESH,
    LABEL_PREFIX,
    MAX_CONTENT_ITEMS,
    READ,
    READING_LIST,
    STARRED,
    long_item_id,
    normalise_stream,
    reader_view,
)
from .items import content_html, publisher_page, requested_stream
from .streams import publisher_from_feed, states, stream_page, stream_title

ATOM_NS = "http://www.w3.org/2005/Atom"
READER_NS = "http://www.google.com/schemas/reader/atom/"
SCHEME = "http://www.google.com/reader/"
FEED_ID_PREFIX = "tag:google.com,2005:reader/"
# Clients read a category's label as the state: a section may not pass for one.
STATE_LABELS = {"reading-list", "read", "fresh", "kept-unread", "starred", "broadcast", "like"}


def _when(moment: datetime) -> str:
    """An RFC 3339 time in UTC, written with ``Z`` as every Atom reader parses it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _category(xml: SimplerXMLGenerator, term: str) -> None:
    label = term.rsplit("/", 1)[-1]
    xml.addQuickElement("category", attrs={"term": term, "scheme": SCHEME, "label": label})


def _entry(xml: SimplerXMLGenerator, user, article: Article, read: bool, saved: bool) -> None:
    link = present.article_url(article)
    updated = max(article.updated_at, article.published_at)
    xml.startElement("entry", AttributesImpl({
        "gr:crawl-timestamp-msec": str(int(article.fetched_at.timestamp() * 1000))}))
    xml.addQuickElement("id", long_item_id(article.pk))
    _category(xml, READING_LIST)
    _category(xml, READ if read else FRESH)
    if saved:
        _category(xml, STARRED)
    if article.section and article.section.casefold() not in STATE_LABELS:
        _category(xml, LABEL_PREFIX + article.section)
    xml.addQuickElement("title", article.title, {"type": "text"})
    xml.addQuickElement("published", _when(article.published_at))
    xml.addQuickElement("updated", _when(updated))
    xml.addQuickElement("link", attrs={"rel": "alternate", "href": link, "type": "text/html"})
    xml.addQuickElement("content", content_html(user, article), {"type": "html"})
    if article.author:
        xml.startElement("author", AttributesImpl({}))
        xml.addQuickElement("name", article.author)
        xml.endElement("author")
    _source(xml, article)
    xml.endElement("entry")


def _source(xml: SimplerXMLGenerator, article: Article) -> None:
    stream = f"feed/{article.publisher_id}"
    xml.startElement("source", AttributesImpl({"gr:stream-id": stream}))
    xml.addQuickElement("id", FEED_ID_PREFIX + stream)
    xml.addQuickElement("title", article.publisher.name, {"type": "text"})
    xml.addQuickElement("link", attrs={"rel": "alternate", "type": "text/html",
                                       "href": publisher_page(article.publisher)})
    xml.endElement("source")


def _home(stream: str) -> str:
    """The page a stream stands for: the publication's page for a feed, else the site."""
    stream = normalise_stream(stream)
    publisher = publisher_from_feed(stream[len("feed/"):]) if stream.startswith("feed/") \
        else None
    return publisher_page(publisher) if publisher else present.site_url("/")


@reader_view(("GET", "HEAD"))
def atom_stream(request: HttpRequest, user, stream_id: str | None = None) -> HttpResponse:
    stream = requested_stream(request, stream_id)
    page = stream_page(request, user, stream, DEFAULT_ITEMS, MAX_CONTENT_ITEMS)
    read, saved = states(user, page.articles)
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    xml = SimplerXMLGenerator(response, "utf-8")
    xml.startDocument()
    xml.startElement("feed", AttributesImpl({"xmlns": ATOM_NS, "xmlns:gr": READER_NS}))
    xml.addQuickElement("generator", "Broadsheet")
    xml.addQuickElement("id", FEED_ID_PREFIX + stream)
    xml.addQuickElement("title", stream_title(stream) or stream, {"type": "text"})
    if page.continuation:
        xml.addQuickElement("gr:continuation", page.continuation)
    xml.addQuickElement("link", attrs={"rel": "alternate", "type": "text/html",
                                       "href": _home(stream)})
    xml.addQuickElement("link", attrs={"rel": "self", "href": request.build_absolute_uri()})
    xml.addQuickElement("updated", _when(timezone.now()))
    for article in page.articles:
        _entry(xml, user, article, article.pk in read, article.pk in saved)
    xml.endElement("feed")
    xml.endDocument()
    return response
