"""News and plain sitemaps and sitemap indexes, read through lxml."""

from __future__ import annotations

from typing import Any

from lxml import etree

from .dates import _parse_date
from .model import Entry, ParsedFeed, ParseError
from .text import _absolute_http, _dedupe, _language, _plain_title


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
