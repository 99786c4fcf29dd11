"""The paywall policy: the one function that decides who reads full text.

Every surface asks it (pages, the JSON API, feeds out, search snippets, print views, the Google
Reader API) and shows either the whole article or the teaser that ``visible_body`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from broadsheet.articles.teaser import TEASER_MAX_WORDS, TEASER_PARAGRAPHS, teaser

__all__ = ["TEASER_MAX_WORDS", "TEASER_PARAGRAPHS", "VisibleBody", "can_read_full", "teaser",
           "visible_body"]


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
