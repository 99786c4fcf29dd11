"""JSON Feed 1.0 and 1.1."""

from __future__ import annotations

import json
import re

from ..plaintext import plain_text
from .dates import _parse_date
from .model import Entry, ParsedFeed, ParseError
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
