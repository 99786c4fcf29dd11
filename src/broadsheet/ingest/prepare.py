"""Preparing an article for the store: extract, sanitise and canonicalise.

These run in worker processes and are pure functions of their input: a fetched page, or a feed
entry that carries the article itself (a full-content feed, or a feed whose pages are not fetched
because robots.txt disallows them or the publisher is feed only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from broadsheet import markup

from . import extract as extract_stage
from . import parse as parse_stage
from . import plaintext, words
from . import sanitize as sanitize_stage
from . import urls as url_stage
from .extract_body import DEFAULT_OPTIONS, Options

SUMMARY_CHARS = 300


@dataclass
class PreparedArticle:
    """An article ready to store: sanitised HTML, plain text and metadata."""

    title: str
    html: str
    text: str
    canonical_url: str
    author: str = ""
    publisher: str = ""
    section: str = ""
    published_at: datetime | None = None
    image_url: str = ""
    language: str = ""
    summary: str = ""
    word_count: int = 0




def prepare_page(body: bytes, url: str, charset: str = "",
                 options: Options = DEFAULT_OPTIONS) -> PreparedArticle:
    """Extract, sanitise and canonicalise one article page (``options``: the benchmark's
    variants of extraction; the pipeline uses the defaults)."""
    html: bytes | str = body
    if charset:
        try:
            html = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            html = body
    extracted = extract_stage.extract(html, url, options)
    return _prepared(
        title=extracted.title, body_html=extracted.html, fallback_text=extracted.text, url=url,
        declared_canonical=extracted.canonical_url, author=extracted.author,
        publisher=extracted.publisher, section=extracted.section,
        published_at=extracted.published_at, image_url=extracted.image_url,
        language=extracted.language, summary=extracted.description,
    )


def prepare_entry(entry: parse_stage.Entry, base_url: str) -> PreparedArticle:
    """Prepare an entry whose feed carries the whole article (no page fetch needed)."""
    return _prepared(
        title=entry.title, body_html=entry.content_html, fallback_text="",
        url=entry.url or base_url,
        declared_canonical="", author=entry.author, publisher="", section="",
        published_at=entry.published_at, image_url=entry.image_url, language=entry.language,
        summary=entry.summary,
    )


def prepare_from_feed(entry: parse_stage.Entry, base_url: str) -> PreparedArticle:
    """An article whose page is not fetched: the feed's content, else its summary, is the body."""
    return _prepared(
        title=entry.title, body_html=entry.content_html or entry.summary, fallback_text="",
        url=entry.url or base_url,
        declared_canonical="", author=entry.author, publisher="", section="",
        published_at=entry.published_at, image_url=entry.image_url, language=entry.language,
        summary=entry.summary,
    )


def _prepared(*, title: str, body_html: str, fallback_text: str, url: str,
              declared_canonical: str, author: str, publisher: str, section: str,
              published_at: datetime | None, image_url: str, language: str,
              summary: str) -> PreparedArticle:
    safe_html = sanitize_stage.sanitize_html(body_html, url) if body_html else ""
    text = plaintext.html_to_text(safe_html) if safe_html else fallback_text.strip()
    if not safe_html and text:
        safe_html = markup.paragraphs(p for p in text.split("\n\n") if p.strip())
    summary_text = plaintext.html_to_text(summary) if summary else ""
    return PreparedArticle(
        title=plaintext.one_line(title),
        html=safe_html,
        text=text,
        canonical_url=url_stage.canonical_url(url, declared_canonical),
        author=plaintext.plain_text(author),
        publisher=publisher.strip(),
        section=section.strip()[:100],
        published_at=published_at,
        image_url=image_url if image_url.startswith(("https://", "http://")) else "",
        language=language.strip()[:16],
        summary=_shorten(_first_paragraph(summary_text) or _first_paragraph(text), SUMMARY_CHARS),
        word_count=words.word_count(text),
    )


def summary_of(text: str) -> str:
    """The summary made from an article's text: its first paragraph, shortened."""
    return _shorten(_first_paragraph(text), SUMMARY_CHARS)


def _first_paragraph(text: str) -> str:
    """Summaries never run past the first paragraph, so they reveal no more than a teaser."""
    for paragraph in text.split("\n\n"):
        if paragraph.strip():
            return paragraph
    return ""



def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
