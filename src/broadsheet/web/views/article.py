"""The article page and its print view: every word of the body comes through the paywall."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
from broadsheet.readers.paywall import visible_body

from .. import queries
from ..caching import visitor_cache
from ..links import article_path, article_slug
from .common import signin_url, signup_url

RELATED_COUNT = 5


def _article(pk: int) -> Article:
    return get_object_or_404(Article.objects.select_related("publisher"), pk=pk)


def _related(article: Article) -> list[Article]:
    """Latest from the same section (the story's other coverage takes this place later)."""
    nearby = queries.in_section(article.section) if article.section else queries.cards().filter(
        publisher_id=article.publisher_id)
    return list(nearby.exclude(pk=article.pk)[:RELATED_COUNT])


def _record_reading(user, article: Article, full: bool) -> None:
    """One history row per article; ``full`` stays true once the reader has seen it whole."""
    now = timezone.now()
    updated = ReadingHistory.objects.filter(user=user, article=article)
    changed = updated.update(read_at=now, **({"full": True} if full else {}))
    if not changed:
        ReadingHistory.objects.get_or_create(user=user, article=article,
                                             defaults={"read_at": now, "full": full})


def _context(request, article: Article) -> dict:
    path = article_path(article)
    body = visible_body(request.user, article)
    description = (article.summary or body.text)[:300]
    return {
        "article": article, "body": body, "path": path,
        "canonical": f"{settings.SITE_URL}{path}",
        "description": description,
        "signup_next": signup_url(path), "signin_next": signin_url(path),
        "trial_days": settings.TRIAL_DAYS,
    }


@visitor_cache
def article(request, pk: int, slug: str):
    current = _article(pk)
    if slug != article_slug(current):
        return redirect(article_path(current), permanent=True)
    context = _context(request, current)
    context["related"] = _related(current)
    user = request.user
    if user.is_authenticated:
        _record_reading(user, current, context["body"].full)
        context["saved"] = SavedArticle.objects.filter(user=user, article=current).exists()
        context["following"] = Follow.objects.filter(
            user=user, kind=Follow.Kind.PUBLISHER, publisher_id=current.publisher_id).exists()
    return render(request, "web/article.html", context)


@visitor_cache
def article_print(request, pk: int):
    current = _article(pk)
    return render(request, "web/article_print.html", _context(request, current))
