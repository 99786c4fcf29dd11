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


def _child_text(element: Any, name: str) -> str:
    """The text of the last child called ``name`` (sitemaps repeat little; the last one wins)."""
    found = ""
    for part in element:
        if _local(part) == name:
            found = _text_of(part)
    return found


def _news_fields(news: Any, fields: dict[str, str]) -> None:
    """Add a <news:news> block's title, date, keywords and publication to ``fields``."""
    for item in news:
        name = _local(item)
        if name in ("title", "publication_date", "keywords"):
            fields[name] = _text_of(item)
        elif name == "publication":
            for part in item:
                if _local(part) in ("name", "language"):
                    fields["publication_" + _local(part)] = _text_of(part)


def _url_fields(url_element: Any) -> dict[str, str]:
    """One <url>'s fields by name: loc, lastmod, the news block's and the first image's."""
    fields: dict[str, str] = {}
    for child in url_element:
        name = _local(child)
        if name in ("loc", "lastmod"):
            fields[name] = _text_of(child)
        elif name == "news":
            _news_fields(child, fields)
        elif name == "image" and not fields.get("image"):
            fields["image"] = _child_text(child, "loc")
    return fields


def _sitemap_entry(url_element: Any, base: str) -> Entry | None:
    """One <url> as an entry; None when it has no usable http(s) address."""
    fields = _url_fields(url_element)
    url = _absolute_http(fields.get("loc", ""), base)
    if not url:
        return None
    keywords = fields.get("keywords", "")
    return Entry(
        guid=url,
        url=url,
        title=_plain_title(fields.get("title", "")),
        published_at=_parse_date(fields.get("publication_date", "")),
        updated_at=_parse_date(fields.get("lastmod", "")),
        image_url=_absolute_http(fields.get("image", ""), url),
        categories=_dedupe([k.strip() for k in keywords.split(",") if k.strip()]),
        language=_language(fields.get("publication_language", "")),
        publisher=" ".join(fields.get("publication_name", "").split()),
    )


def _parse_sitemap_text(text: str, url: str, cut_lines: int) -> ParsedFeed:
    """A sitemap document as a feed: an index lists child sitemaps, a urlset lists entries."""
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
        return _sitemap_index(root, url)
    if name != "urlset":
        raise ParseError(f"Not a sitemap: root element <{name or root.tag}>")
    return _urlset(root, url)


def _sitemap_index(root: Any, url: str) -> ParsedFeed:
    """A sitemap index: the child sitemaps' absolute addresses, each once."""
    children = []
    for sitemap in root:
        if _local(sitemap) != "sitemap":
            continue
        locs = (_text_of(part) for part in sitemap if _local(part) == "loc")
        children += [u for u in (_absolute_http(loc, url) for loc in locs) if u]
    return ParsedFeed(kind="sitemap", version="sitemapindex", sitemaps=_dedupe(children))


def _urlset(root: Any, url: str) -> ParsedFeed:
    """A urlset: its entries, each address once, with the publication's name and language."""
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
