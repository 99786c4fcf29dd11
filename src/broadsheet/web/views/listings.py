"""Home, section and publication pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from broadsheet.curation import foryou
from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow
from broadsheet.readers.roles import is_editor
from broadsheet.sources.models import Publisher
from broadsheet.stories import queries as stories

from .. import alternates, queries
from ..caching import visitor_cache
from .common import page_of, paginate

HOME_FOR_YOU = 6


@visitor_cache
def home(request):
    """Top stories first, then Our Picks, For you and the sections; copies never show.

    The boxes every reader sees are worked out once (``front_page``). A signed-in reader's For
    you is their own ranking (the same as on the For you page and in the API); a visitor's box
    holds the latest that the boxes above do not show.
    """
    front = queries.front_page()
    items, latest = [], []
    if request.user.is_authenticated:
        items = foryou.for_you(request.user, HOME_FOR_YOU)
        queries.decorate([item.article for item in items])
    else:
        latest = queries.latest_for_visitors(
            {a.pk for a in front.articles},
            shown_stories={a.story_id for a in front.articles if a.story_id},
            top_stories_ids=front.top_story_ids)
    return render(request, "web/home.html", {
        "front": front, "top_stories": front.top_stories, "our_picks": front.our_picks,
        "section_blocks": front.section_blocks, "for_you_items": items, "latest": latest,
        "alternates": alternates.home(bool(front.our_picks)), **_desk(request, None),
    })


def _desk(request, place: Section | None) -> dict:
    """The editors' view of a place's picks (nothing for readers)."""
    if not is_editor(request.user):
        return {}
    return {"desk_picks": queries.shown_picks(place, every=True)}


def _following(request, **target) -> bool:
    return (request.user.is_authenticated
            and Follow.objects.filter(user=request.user, **target).exists())


@visitor_cache
def section(request, slug: str):
    current = get_object_or_404(Section, slug=slug)
    page = page_of(request, lambda limit, offset: queries.in_section(current, limit, offset))
    return render(request, "web/listing.html", {
        "picks": queries.section_picks(current) if page.number == 1 else [],
        "place": current, **_desk(request, current),
        "heading": current.name, "page": page, "kind": "section", "target": current.slug,
        "following": _following(request, kind=Follow.Kind.SECTION, section=current),
        "description": f"The latest {current.name} news from every publication.",
        "alternates": alternates.section(current),
    })


@visitor_cache
def publication(request, slug: str):
    publisher = get_object_or_404(Publisher, slug=slug)
    # The publication's own page lists its syndicated copies too, marked with their original.
    page = paginate(request, queries.of_publisher(publisher))
    for article in page.object_list:
        article.syndicated_from = article.duplicate_of if article.duplicate_of_id else None
    return render(request, "web/listing.html", {
        "heading": publisher.name, "page": page, "kind": "publisher", "target": publisher.slug,
        "publisher": publisher,
        "following": _following(request, kind=Follow.Kind.PUBLISHER, publisher=publisher),
        "description": f"The latest articles from {publisher.name}.",
        "alternates": alternates.publication(publisher),
    })


@visitor_cache
def topic(request, slug: str):
    """A topic's stories, newest first, each as its lead article."""
    current, merged = stories.topic_by_slug(slug)
    if current is None:
        raise Http404("No such topic")
    if merged or current.slug != slug:
        return redirect("topic", slug=current.slug, permanent=True)
    page = page_of(request, lambda limit, offset: stories.topic_latest(current, limit, offset))
    return render(request, "web/listing.html", {
        "heading": current.name, "page": page, "kind": "topic", "target": current.slug,
        "topic": current,
        "following": _following(request, kind=Follow.Kind.TOPIC, topic=current.slug),
        "description": f"The latest on {current.name} from every publication.",
        "alternates": alternates.topic(current),
    })
