"""Links to articles: one canonical path per article, with a readable slug."""

from __future__ import annotations

from django.urls import reverse
from django.utils.text import slugify

SLUG_CHARS = 80


def article_slug(article) -> str:
    """The headline as a URL slug; "-" when the headline has no Latin letters or digits."""
    return slugify(article.title)[:SLUG_CHARS].strip("-") or "-"


def article_path(article) -> str:
    return reverse("article", args=[article.pk, article_slug(article)])
