"""Feed autodiscovery: the feeds an HTML page links to."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlsplit

from .decode import decode_body
from .text import _absolute_http

_SKIPPED_OPENER = re.compile(r"<!--|<script\b|<style\b", re.I)
_SCRIPT_CLOSER = re.compile(r"</script[^<>]*>", re.I)
_STYLE_CLOSER = re.compile(r"</style[^<>]*>", re.I)


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
