"""The teaser: an article's opening paragraph or two, what a visitor reads before signing up.

The paywall (``readers.paywall``) decides who sees only this; the store keeps it for articles
whose body is let go (``retention``) and the daily briefing quotes it. It depends on the
article's stored text and HTML alone, so it lives with the article.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Protocol

from broadsheet import markup


class Body(Protocol):
    """What a teaser is made from: a stored article, or the record the store is about to write."""

    @property
    def text(self) -> str: ...

    @property
    def html(self) -> str: ...

TEASER_PARAGRAPHS = 2
TEASER_MAX_WORDS = 80

_PARAGRAPH = re.compile(r"<p\b[^>]*>.*?</p>", re.S | re.I)


def teaser(article: Body) -> tuple[str, str]:
    """The opening paragraph or two (at most about TEASER_MAX_WORDS words)."""
    paragraphs = [p for p in article.text.split("\n\n") if p.strip()]
    kept_text: list[str] = []
    words = 0
    for paragraph in paragraphs[:TEASER_PARAGRAPHS]:
        if kept_text and words + len(paragraph.split()) > TEASER_MAX_WORDS:
            break
        kept_text.append(paragraph)
        words += len(paragraph.split())
    if len(kept_text) == 1 and words > TEASER_MAX_WORDS:
        kept_text = [" ".join(kept_text[0].split()[:TEASER_MAX_WORDS]) + "…"]
    html_paragraphs = _PARAGRAPH.findall(article.html)[:len(kept_text)]
    # The formatted paragraphs are used only when they are exactly the kept text: a lead in a
    # <div> would otherwise shift them, and a later paragraph would show through.
    if [_plain(p) for p in html_paragraphs] == [" ".join(p.split()) for p in kept_text]:
        html = "".join(html_paragraphs)
    else:
        html = markup.paragraphs(kept_text)
    return html, "\n\n".join(kept_text)


_TAG = re.compile(r"<[^>]+>")


def _plain(html_paragraph: str) -> str:
    return " ".join(unescape(_TAG.sub("", html_paragraph)).split())

