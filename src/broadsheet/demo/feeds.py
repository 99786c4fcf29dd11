"""The demo publishers' feeds in the formats real publishers use.

RSS 2.0 (teasers only, with dc:creator and media:content), Atom 1.0 (local-time offsets), JSON
Feed 1.1 and a Google News sitemap: each one written the way its publisher's CMS would, so the
ingest pipeline meets the variety it will meet in the wild.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from broadsheet.markup import escape_attr

from .images import IMAGE_HEIGHT, IMAGE_WIDTH

if TYPE_CHECKING:
    from .site import DemoArticle, DemoFeed, DemoPublisher

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "image": "http://www.google.com/schemas/sitemap-image/1.1",
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
}
for _prefix, _uri in NS.items():
    if _prefix != "sm":
        ET.register_namespace(_prefix, _uri)

Items = list[tuple["DemoArticle", str]]  # (article, link as the feed gives it)


def render(fmt: str, feed: DemoFeed, publisher: DemoPublisher, items: Items,
           now: datetime) -> tuple[bytes, str]:
    """The feed document and its Content-Type."""
    match fmt:
        case "rss":
            return rss(feed, publisher, items, now), "application/rss+xml; charset=utf-8"
        case "atom":
            return atom(feed, publisher, items, now), "application/atom+xml; charset=utf-8"
        case "jsonfeed":
            return json_feed(feed, publisher, items), "application/feed+json; charset=utf-8"
        case "sitemap":
            return news_sitemap(publisher, items), "application/xml; charset=utf-8"
    raise ValueError(f"unknown feed format {fmt!r}")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def _xml(root: ET.Element, default_namespace: str | None = None) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True,
                       default_namespace=default_namespace) + b"\n"


def rss(feed: DemoFeed, publisher: DemoPublisher, items: Items, now: datetime) -> bytes:
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", publisher.homepage)
    _sub(channel, "description", publisher.style.tagline)
    _sub(channel, "language", publisher.style.language.lower())
    _sub(channel, "lastBuildDate", format_datetime(now.astimezone(UTC)))
    _sub(channel, "ttl", "15")
    _sub(channel, _q("atom", "link"), href=feed.url, rel="self", type="application/rss+xml")
    image = _sub(channel, "image")
    _sub(image, "url", f"{publisher.homepage}logo.svg")
    _sub(image, "title", feed.title)
    _sub(image, "link", publisher.homepage)
    permalink_guids = publisher.slug != "harbour-gazette"
    for article, link in items:
        item = _sub(channel, "item")
        _sub(item, "title", article.headline)
        _sub(item, "link", link)
        if permalink_guids:
            _sub(item, "guid", article.url, isPermaLink="true")
        else:
            _sub(item, "guid", f"gazette-{article.path.rsplit('-', 1)[-1]}",
                 isPermaLink="false")
        _sub(item, "pubDate", format_datetime(article.published_at.astimezone(UTC)))
        _sub(item, "description", article.summary)
        _sub(item, _q("dc", "creator"), article.author)
        _sub(item, "category", article.section)
        if article.kicker != article.section:
            _sub(item, "category", article.kicker)
        _sub(item, _q("media", "content"), url=article.image_url, type="image/png",
             medium="image", width=str(IMAGE_WIDTH), height=str(IMAGE_HEIGHT))
    return _xml(root)


def atom(feed: DemoFeed, publisher: DemoPublisher, items: Items, now: datetime) -> bytes:
    a = NS["atom"]
    root = ET.Element(f"{{{a}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "en-GB"})

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        return _sub(parent, f"{{{a}}}{tag}", text, **attrs)

    sub(root, "title", feed.title)
    sub(root, "subtitle", publisher.style.tagline)
    sub(root, "id", f"urn:{publisher.slug}:feed:all")
    newest = max((art.modified_at for art, _ in items), default=now)
    sub(root, "updated", newest.isoformat())
    sub(root, "link", rel="self", type="application/atom+xml", href=feed.url)
    sub(root, "link", rel="alternate", type="text/html", href=publisher.homepage)
    sub(root, "logo", f"{publisher.homepage}logo.svg")
    sub(root, "rights", f"Copyright {now.year} {publisher.name}")
    for article, link in items:
        entry = sub(root, "entry")
        sub(entry, "title", article.headline)
        sub(entry, "link", rel="alternate", type="text/html", href=link)
        sub(entry, "id", f"urn:{publisher.slug}:article:{article.id}")
        sub(entry, "published", article.published_at.isoformat())
        sub(entry, "updated", article.modified_at.isoformat())
        author = sub(entry, "author")
        sub(author, "name", article.author)
        sub(entry, "category", term=article.section, label=article.section)
        sub(entry, "summary", article.summary, type="text")
        sub(entry, "link", rel="enclosure", type="image/png", href=article.image_url)
    return _xml(root)


def json_feed(feed: DemoFeed, publisher: DemoPublisher, items: Items) -> bytes:
    def rfc3339(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": publisher.name,
        "home_page_url": publisher.homepage,
        "feed_url": feed.url,
        "description": publisher.style.tagline,
        "icon": f"{publisher.homepage}logo.svg",
        "language": publisher.style.language,
        "authors": [{"name": publisher.name, "url": publisher.homepage}],
        "items": [
            {
                "id": article.id,
                "url": link,
                "title": article.headline,
                "summary": article.summary,
                "content_html": (f"<p>{escape_attr(article.paragraphs[0])}</p>"
                                 f'<p><a href="{escape_attr(link)}">Continue reading…</a></p>'),
                "image": article.image_url,
                "date_published": rfc3339(article.published_at),
                "date_modified": rfc3339(article.modified_at),
                "authors": [{"name": article.author}],
                "tags": sorted({article.section, article.kicker}),
                "language": publisher.style.language,
            }
            for article, link in items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"


def news_sitemap(publisher: DemoPublisher, items: Items) -> bytes:
    root = ET.Element(_q("sm", "urlset"))
    for article, link in items:
        url = _sub(root, _q("sm", "url"))
        _sub(url, _q("sm", "loc"), link)
        _sub(url, _q("sm", "lastmod"), article.modified_at.isoformat())
        news = _sub(url, _q("news", "news"))
        publication = _sub(news, _q("news", "publication"))
        _sub(publication, _q("news", "name"), publisher.name)
        _sub(publication, _q("news", "language"), publisher.language)
        _sub(news, _q("news", "publication_date"), article.published_at.isoformat())
        _sub(news, _q("news", "title"), article.headline)
        image = _sub(url, _q("image", "image"))
        _sub(image, _q("image", "loc"), article.image_url)
    return _xml(root, default_namespace=NS["sm"])

