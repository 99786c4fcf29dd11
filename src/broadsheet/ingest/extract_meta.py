"""Article metadata from a parsed page: JSON-LD first, then OpenGraph and plain meta tags.

Publishers describe their articles in three overlapping vocabularies. JSON-LD is the most precise
(typed, with structured authors and publisher), OpenGraph the most common, and ``<meta name=...>``
the oldest. ``read_metadata`` merges them in that order of trust.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "NewsArticle",
        "Article",
        "ReportageNewsArticle",
        "BlogPosting",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "BackgroundNewsArticle",
        "LiveBlogPosting",
        "TechArticle",
        "Report",
    }
)

_SPACES = re.compile(r"\s+")


@dataclass
class PageMeta:
    """What the page says about its article, before the body is looked at."""

    title: str = ""
    author: str = ""
    publisher: str = ""
    section: str = ""
    published_at: datetime | None = None
    modified_at: datetime | None = None
    image_url: str = ""
    language: str = ""
    canonical_url: str = ""
    description: str = ""
    article_body: str = ""  # JSON-LD articleBody, when the page ships one
    url: str = ""  # the address the page was fetched from
    site_name: str = ""  # og:site_name, kept apart to recognise "Headline | Site" titles


def clean(value: Any) -> str:
    """One line of text with collapsed whitespace; non-strings become empty."""
    if not isinstance(value, str):
        return ""
    return _SPACES.sub(" ", value).strip()


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime; naive times are taken as UTC."""
    text = clean(value)
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # "+0100" offsets (no colon) are common in the wild; fromisoformat wants "+01:00"
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        match = re.match(r"\d{4}-\d\d-\d\d", text)
        if not match:
            return None
        try:
            parsed = datetime.fromisoformat(match.group(0))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 with a positive offset, and the like
        return None


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of an article type, through lists, @graph and mainEntity."""
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        if _types(node) & ARTICLE_TYPES:
            yield node
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in node:
                yield from _walk(node[key], depth + 1)


def _load_json(text: str) -> Any:
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:]
    if text.endswith("-->"):
        text = text[:-3]
    text = text.strip().rstrip(";")
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def _names(value: Any) -> list[str]:
    """Names from a string, a Person/Organization object, or a list of either."""
    if isinstance(value, str):
        return [clean(value)] if clean(value) else []
    if isinstance(value, dict):
        name = clean(value.get("name"))
        if not name:
            name = " ".join(
                part for part in (clean(value.get("givenName")), clean(value.get("familyName")))
                if part
            )
        return [name] if name else []
    if isinstance(value, list):
        names: list[str] = []
        for item in value:
            names.extend(n for n in _names(item) if n not in names)
        return names
    return []


def _first_text(value: Any) -> str:
    """A string field that some publishers ship as a list of strings."""
    if isinstance(value, list):
        for item in value:
            if clean(item):
                return clean(item)
        return ""
    return clean(value)


def _image(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return clean(value.get("url") or value.get("contentUrl") or value.get("@id"))
    if isinstance(value, list):
        for item in value:
            found = _image(item)
            if found:
                return found
    return ""


def _json_ld_article(tree: HtmlElement) -> dict[str, Any]:
    """The page's main article object: the one with the most fields filled in wins."""
    best: dict[str, Any] = {}
    for script in tree.iterfind(".//script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        data = _load_json(script.text or "")
        if data is None:
            continue
        for node in _walk(data):
            score = sum(1 for key in ("headline", "articleBody", "datePublished") if key in node)
            if not best or score > sum(
                1 for key in ("headline", "articleBody", "datePublished") if key in best
            ):
                best = node
    return best


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    """``<meta property|name|itemprop=... content=...>`` as a dict; the first value wins."""
    found: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        content = meta.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            key = (meta.get(attr) or "").strip().lower()
            if key and key not in found and content.strip():
                found[key] = content.strip()
    return found


def read_metadata(tree: HtmlElement, url: str) -> PageMeta:
    """Merge JSON-LD, OpenGraph and meta tags into one ``PageMeta``."""
    ld = _json_ld_article(tree)
    meta = _meta_tags(tree)
    out = PageMeta(url=url)

    title_tag = tree.find(".//title")
    out.title = (
        _first_text(ld.get("headline"))
        or clean(meta.get("og:title"))
        or clean(meta.get("twitter:title"))
        or (clean(title_tag.text_content()) if title_tag is not None else "")
    )

    authors = _names(ld.get("author"))
    if not authors:
        for key in ("article:author", "author", "parsely-author", "sailthru.author", "dc.creator"):
            value = clean(meta.get(key))
            if value and not value.startswith(("http://", "https://")):
                authors = [value]
                break
    out.author = ", ".join(authors)

    out.site_name = clean(meta.get("og:site_name"))
    publisher = _names(ld.get("publisher"))
    out.publisher = publisher[0] if publisher else out.site_name

    out.section = (
        _first_text(ld.get("articleSection"))
        or clean(meta.get("article:section"))
        or clean(meta.get("section"))
    )
    out.published_at = (
        parse_datetime(ld.get("datePublished"))
        or parse_datetime(meta.get("article:published_time"))
        or parse_datetime(meta.get("datepublished"))
        or parse_datetime(meta.get("date"))
        or parse_datetime(meta.get("pubdate"))
        or parse_datetime(meta.get("dc.date"))
    )
    out.modified_at = (
        parse_datetime(ld.get("dateModified"))
        or parse_datetime(meta.get("article:modified_time"))
        or parse_datetime(meta.get("og:updated_time"))
        or parse_datetime(meta.get("datemodified"))
    )

    image = _image(ld.get("image")) or clean(meta.get("og:image")) or clean(
        meta.get("twitter:image")
    )
    out.image_url = urljoin(url, image) if image else ""

    html_lang = clean(tree.get("lang")) or clean(
        tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    )
    out.language = (
        _first_text(ld.get("inLanguage")) or html_lang or clean(meta.get("og:locale"))
    ).replace("_", "-")

    canonical = ""
    for link in tree.iterfind(".//link"):
        rels = (link.get("rel") or "").lower().split()
        if "canonical" in rels and clean(link.get("href")):
            canonical = clean(link.get("href"))
            break
    canonical = canonical or clean(meta.get("og:url"))
    out.canonical_url = urljoin(url, canonical) if canonical else ""

    out.description = (
        clean(meta.get("description"))
        or clean(meta.get("og:description"))
        or _first_text(ld.get("description"))
    )
    body = ld.get("articleBody")
    out.article_body = body.strip() if isinstance(body, str) else ""
    return out
