"""The story page ("Full coverage"): every outlet's article on one story, side by side.

Bodies come through the paywall like everywhere else: members read each article in full,
visitors get each one's teaser and, once on the page, the way to start a free trial.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from broadsheet.articles.models import Article
from broadsheet.readers.paywall import VisibleBody, visible_body
from broadsheet.stories import queries as stories

from .. import alternates
from ..caching import visitor_cache
from .common import signin_url, signup_url


@dataclass
class ShownEntry:
    article: Article
    body: VisibleBody
    copies: list[Article]


@visitor_cache
def story(request, pk: int):
    current, merged = stories.resolve_story(pk)
    if current is None:
        raise Http404("No such story")
    path = reverse("story", args=[current.pk])
    if merged:
        return redirect(path, permanent=True)
    coverage = stories.coverage(current)
    if coverage.first is None:
        raise Http404("This story has no articles")
    groups = [(group.publisher, [ShownEntry(e.article, visible_body(request.user, e.article),
                                            e.copies) for e in group.entries])
              for group in coverage.groups]
    teasers = any(not entry.body.full for _, entries in groups for entry in entries)
    headline = current.title or coverage.first.title
    return render(request, "web/story.html", {
        "story": current, "coverage": coverage, "groups": groups, "headline": headline,
        "topics": stories.topics_of([current.pk]).get(current.pk, []),
        "teasers": teasers, "path": path, "canonical": f"{settings.SITE_URL}{path}",
        "description": f"Full coverage: {headline}, from {len(coverage.outlets)} "
                       f"outlet{'s' if len(coverage.outlets) != 1 else ''}.",
        "signup_next": signup_url(path), "signin_next": signin_url(path),
        "trial_days": settings.TRIAL_DAYS,
        "paywall_heading": "Sign up to read every outlet's coverage in full",
        "paywall_lead": "Read each of these articles in full",
        "alternates": alternates.story(current, headline),
    })
