"""What every stored article holds, whoever writes it: safe HTML and clean short fields.

Ingest sanitises as its last stage, but the admin, the command line, imports and the store's own
updates write articles too. The ``Article`` model calls ``clean_article`` on every save and its
queryset cleans the fields of ``update``, ``bulk_create`` and ``bulk_update``, so no path stores
a body the sanitiser has not passed (``broadsheet.ingest.sanitize``) or a headline that hides a
right-to-left override (``broadsheet.ingest.plaintext``). Sanitising is a fixed point, so
cleaning what ingest already cleaned changes nothing.

The plain-text body follows the HTML: when an editor changes the body, its text (what search,
teasers and the reading time read) is worked out again from the sanitised HTML.
"""

from __future__ import annotations

from typing import Any

from broadsheet.ingest.plaintext import AUTHOR_CHARS, html_to_text, one_line, plain_text
from broadsheet.ingest.sanitize import sanitize_html
from broadsheet.ingest.words import word_count

TITLE_CHARS = 1000


def safe_html(html: str, base_url: str = "") -> str:
    """``html`` through the product's sanitiser; relative links resolve against ``base_url``."""
    return sanitize_html(html, base_url) if html else ""


def clean_fields(values: dict[str, Any], base_url: str = "") -> dict[str, Any]:
    """The article fields in ``values`` cleaned; fields not given are left out."""
    cleaned = dict(values)
    if isinstance(cleaned.get("html"), str):
        cleaned["html"] = safe_html(cleaned["html"], base_url)
        if "text" not in cleaned and cleaned["html"]:
            cleaned["text"] = html_to_text(cleaned["html"])
    if isinstance(cleaned.get("title"), str):
        cleaned["title"] = one_line(cleaned["title"], TITLE_CHARS)
    if isinstance(cleaned.get("author"), str):
        cleaned["author"] = plain_text(cleaned["author"], AUTHOR_CHARS)
    if isinstance(cleaned.get("summary"), str):
        cleaned["summary"] = one_line(cleaned["summary"])
    return cleaned


def clean_article(article, fields: set[str] | None = None) -> set[str]:
    """Clean ``article`` (a model instance or ``ArticleData``) in place.

    Only ``fields`` are cleaned when given (a save with ``update_fields``). Returns the names of
    the fields whose values changed beyond those, so that a save can write them too (the text
    and word count that follow a new body).
    """
    names = {"html", "title", "author", "summary"}
    if fields is not None:
        names &= fields
    values = {name: getattr(article, name) for name in names}
    cleaned = clean_fields({**values, "text": article.text}, getattr(article, "url", "") or "")
    for name in names:
        setattr(article, name, cleaned[name])
    if "html" not in names or not article.html:
        return set()
    text = html_to_text(article.html)
    if " ".join(text.split()) == " ".join((article.text or "").split()):
        return set()
    article.text = text
    also = {"text"}
    if not getattr(article, "text_trimmed_at", None):
        article.word_count = word_count(text)  # a trimmed article keeps its whole length
        also.add("word_count")
    return also
