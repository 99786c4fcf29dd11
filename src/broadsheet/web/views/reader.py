"""A signed-in reader's own pages (saved, history, following) and the save and follow buttons.

The buttons are ordinary forms that work without JavaScript (post, then back to the page); with
HTMX they swap in place. Visitors who press one are sent to sign in and brought back.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from broadsheet.articles.models import Article
from broadsheet.curation import interests
from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
from broadsheet.readers.nextpath import safe_next
from broadsheet.sources.models import Publisher
from broadsheet.stories import queries as stories

from .. import queries
from ..caching import mark_private
from ..links import article_path
from .common import paginate, signin_url

TOPIC_MAX_CHARS = 100


def _send_to_signin(request, back_to: str) -> HttpResponse:
    url = signin_url(back_to)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _wanted(request, on: str, off: str, current: bool) -> bool:
    """The state the form asks for; a bare press toggles."""
    action = request.POST.get("action", "")
    if action == on:
        return True
    if action == off:
        return False
    return not current


@require_POST
def save_toggle(request, pk: int):
    article = get_object_or_404(Article.objects.select_related("publisher", "story"), pk=pk)
    back = safe_next(request, article_path(article))
    if not request.user.is_authenticated:
        return _send_to_signin(request, back)
    saved_rows = SavedArticle.objects.filter(user=request.user, article=article)
    want = _wanted(request, "save", "remove", saved_rows.exists())
    if want:
        try:
            with transaction.atomic():
                _, created = SavedArticle.objects.get_or_create(user=request.user,
                                                                article=article)
            if created:
                interests.learn_from_save(request.user, article)
        except IntegrityError:
            pass  # saved twice at once: it is saved either way
    else:
        saved_rows.delete()
    if request.htmx:
        response = render(request, "web/_save_button.html",
                          {"article": article, "saved": want, "next": back})
        mark_private(response)
        return response
    return redirect(back)


def clean_topic(raw: str) -> str:
    """A topic as followed: one line, single spaces, at most TOPIC_MAX_CHARS characters."""
    return re.sub(r"\s+", " ", raw or "").strip()[:TOPIC_MAX_CHARS].strip()


@require_POST
def follow_toggle(request):
    kind = request.POST.get("kind", "")
    value = request.POST.get("value", "")
    target: dict
    label: str
    if kind == Follow.Kind.PUBLISHER:
        publisher = get_object_or_404(Publisher, slug=value)
        target, label = {"publisher": publisher}, publisher.name
        fallback = reverse("publication", args=[publisher.slug])
    elif kind == Follow.Kind.SECTION:
        section = get_object_or_404(Section, slug=value)
        target, label = {"section": section}, section.name
        fallback = reverse("section", args=[section.slug])
    elif kind == Follow.Kind.TOPIC:
        text = clean_topic(value)
        if not text:
            return HttpResponseBadRequest("A topic needs a word or phrase.")
        # A known topic is followed by its slug (its stories); other words by search.
        known = stories.topic_by_slug(text)[0] or stories.topic_named(text)
        if known is not None:
            target, label, value = {"topic": known.slug}, known.name, known.slug
            fallback = reverse("topic", args=[known.slug])
        else:
            target, label, value = {"topic": text}, text, text
            fallback = reverse("following")
    else:
        return HttpResponseBadRequest("Unknown kind of follow.")
    back = safe_next(request, fallback)
    if not request.user.is_authenticated:
        return _send_to_signin(request, back)
    rows = Follow.objects.filter(user=request.user, kind=kind, **target)
    want = _wanted(request, "follow", "unfollow", rows.exists())
    if want:
        try:
            with transaction.atomic():
                Follow.objects.get_or_create(user=request.user, kind=kind, **target)
        except IntegrityError:
            pass  # followed twice at once: followed either way
    else:
        rows.delete()
    if request.htmx:
        response = render(request, "web/_follow_button.html", {
            "kind": kind, "value": value, "label": label, "following": want, "next": back})
        mark_private(response)
        return response
    return redirect(back)


def _private(response: HttpResponse) -> HttpResponse:
    mark_private(response)
    return response


@login_required
def saved(request):
    rows = SavedArticle.objects.filter(user=request.user).select_related(
        "article", "article__publisher").defer(
        *(f"article__{name}" for name in queries.CARD_DEFERRED))
    return _private(render(request, "web/saved.html", {"page": paginate(request, rows)}))


@login_required
def history(request):
    rows = ReadingHistory.objects.filter(user=request.user).select_related(
        "article", "article__publisher").defer(
        *(f"article__{name}" for name in queries.CARD_DEFERRED))
    return _private(render(request, "web/history.html", {"page": paginate(request, rows)}))


@login_required
def following(request):
    follows = list(Follow.objects.filter(user=request.user).select_related("publisher",
                                                                          "section"))
    publishers = [f.publisher for f in follows if f.kind == Follow.Kind.PUBLISHER and f.publisher]
    sections = [f.section for f in follows if f.kind == Follow.Kind.SECTION and f.section]
    topics = [queries.followed_topic(f.topic, request.user)
              for f in follows if f.kind == Follow.Kind.TOPIC and f.topic]
    latest = queries.followed_latest(request.user, 20, follows)
    return _private(render(request, "web/following.html", {
        "publishers": publishers, "sections": sections, "topics": topics, "latest": latest,
        "topic_max": TOPIC_MAX_CHARS,
    }))
