"""The article page and its print view: every word of the body comes through the paywall."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from broadsheet.articles.models import Article, Takedown
from broadsheet.curation import interests
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
from broadsheet.readers.paywall import visible_body
from broadsheet.stories import queries as stories

from .. import alternates
from ..caching import mark_private, visitor_cache
from ..links import article_path, article_slug
from .common import signin_url, signup_url

RELATED_COUNT = 5
TOPICS_SHOWN = 8


def gone_when_taken_down(view):
    """An article an editor took down answers 410 Gone, not 404: it existed and is removed."""

    @wraps(view)
    def wrapper(request, *args, pk: int, **kwargs):
        try:
            return view(request, *args, pk=pk, **kwargs)
        except Http404:
            if not Takedown.objects.filter(article_id=pk).exists():
                raise
            response = render(request, "web/gone.html", status=410)
            mark_private(response)  # never kept: an offline app must not replay it
            return response

    return wrapper


def _article(pk: int) -> Article:
    return get_object_or_404(Article.objects.select_related("publisher", "story"), pk=pk)


def _related(article: Article) -> tuple[list[Article], list[Article]]:
    """The same story from other outlets, then other recent stories in the section (their
    cards are decorated when they are rendered, see ``broadsheet.web.cards``)."""
    return (stories.same_story(article, RELATED_COUNT),
            stories.related_stories(article, RELATED_COUNT))


def _coverage_context(article: Article) -> dict:
    """Where else this reporting appears: its original, its copies, the story's full coverage."""
    stories.attach_originals([article])
    stories.attach_carriers([article])
    stories.attach_topics([article], per_card=TOPICS_SHOWN)
    story = article.story
    return {
        "original": article.original,
        "carriers": article.also_in,
        "story": story if story is not None and story.publisher_count > 1 else None,
    }


def _record_reading(user, article: Article, full: bool) -> None:
    """One history row per article; ``full`` stays true once the reader has seen it whole."""
    now = timezone.now()
    updated = ReadingHistory.objects.filter(user=user, article=article)
    changed = updated.update(read_at=now, **({"full": True} if full else {}))
    if not changed:
        ReadingHistory.objects.get_or_create(user=user, article=article,
                                             defaults={"read_at": now, "full": full})


def _is_reading(request) -> bool:
    """A reader opening the page, not the service worker keeping an offline copy (it sends
    ``X-Broadsheet-Offline-Copy: 1``) nor a HEAD request: only readings go into the history."""
    return (request.method != "HEAD"
            and request.headers.get("X-Broadsheet-Offline-Copy", "") != "1")


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
        # A member may read it whole, but only the teaser is kept (BROADSHEET_KEEP_TEXT_DAYS).
        "trimmed": body.full and article.text_trimmed,
        "keep_text_days": settings.KEEP_TEXT_DAYS,
    }


@gone_when_taken_down
@visitor_cache
def article(request, pk: int, slug: str):
    current = _article(pk)
    if slug != article_slug(current):
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(article_path(current) + query, permanent=True)
    context = _context(request, current)
    context["same_story"], context["related"] = _related(current)
    context.update(_coverage_context(current))
    context["alternates"] = alternates.article(current)
    user = request.user
    if user.is_authenticated:
        if _is_reading(request):
            # Only the opening of a trimmed article is read here; the rest is at the publisher.
            _record_reading(user, current, context["body"].full and not context["trimmed"])
            if request.GET.get("via") == "for-you":
                interests.learn_from_click(user, current)
        context["saved"] = SavedArticle.objects.filter(user=user, article=current).exists()
        context["following"] = Follow.objects.filter(
            user=user, kind=Follow.Kind.PUBLISHER, publisher_id=current.publisher_id).exists()
    return render(request, "web/article.html", context)


@gone_when_taken_down
@visitor_cache
def article_print(request, pk: int):
    current = _article(pk)
    return render(request, "web/article_print.html", _context(request, current))
