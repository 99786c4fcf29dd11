"""Text helpers shared by the formats: plain titles, snippets, word counts, full content."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from broadsheet.markup import paragraph

from ..plaintext import html_to_line
from .model import FULL_CONTENT_LONG_WORDS, FULL_CONTENT_MIN_WORDS

_TAG_LIKE = re.compile(r"</?[A-Za-z][^<>]*>")

_ENTITY_LIKE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


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
    return "".join(paragraph(p, line_breaks=True) for p in paragraphs)


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


def looks_like_full_content(
    content_html: str, summary: str = "", min_words: int = FULL_CONTENT_MIN_WORDS
) -> bool:
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


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
