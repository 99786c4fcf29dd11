"""The paywall policy: the one function that decides who reads full text.

Every surface asks it (pages, the JSON API, feeds out, search snippets, print views, the Google
Reader API) and shows either the whole article or the teaser that ``visible_body`` returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from django.utils import timezone

from broadsheet import markup

TEASER_PARAGRAPHS = 2
TEASER_MAX_WORDS = 80


@dataclass(frozen=True)
class VisibleBody:
    html: str  # safe HTML: the sanitised body or its opening paragraphs
    text: str
    full: bool  # False: a teaser, to be followed by "Sign up to read this article"


def can_read_full(user) -> bool:
    """Members with access (trial, active, past due, cancelled until period end) and staff."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        return True
    membership = getattr(user, "membership", None)
    return membership is not None and membership.has_access(timezone.now())


def visible_body(user, article) -> VisibleBody:
    """What ``user`` may see of ``article``'s body."""
    if can_read_full(user):
        return VisibleBody(article.html, article.text, True)
    html, text = teaser(article)
    return VisibleBody(html, text, False)


_PARAGRAPH = re.compile(r"<p\b[^>]*>.*?</p>", re.S | re.I)


def teaser(article) -> tuple[str, str]:
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

