"""Home, section and publication pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow
from broadsheet.sources.models import Publisher
from broadsheet.stories.queries import attach_carriers

from .. import queries
from ..caching import visitor_cache
from .common import paginate


@visitor_cache
def home(request):
    """Top stories first; no story shows twice on the page, and copies never show at all."""
    top = queries.home_top_stories()
    shown = {a.pk for a in top}
    top_ids = {a.story_id for a in top if a.story_id}
    stories = set(top_ids)  # grows as each box takes its stories
    picks = queries.our_picks(shown, shown_stories=stories)
    shown |= {a.pk for a in picks}
    for_you, personal = queries.for_you(request.user, shown, shown_stories=stories,
                                        top_stories_ids=top_ids)
    shown |= {a.pk for a in for_you}
    blocks = queries.section_blocks(shown, shown_stories=stories, top_stories_ids=top_ids)
    attach_carriers([*top, *picks, *for_you, *(a for b in blocks for a in b.articles)])
    return render(request, "web/home.html", {
        "top_stories": top, "our_picks": picks, "for_you": for_you,
        "for_you_personal": personal, "section_blocks": blocks,
    })


def _following(request, **target) -> bool:
    return (request.user.is_authenticated
            and Follow.objects.filter(user=request.user, **target).exists())


@visitor_cache
def section(request, slug: str):
    current = get_object_or_404(Section, slug=slug)
    page = paginate(request, queries.in_section(current))
    attach_carriers(page.object_list)
    return render(request, "web/listing.html", {
        "heading": current.name, "page": page, "kind": "section", "target": current.slug,
        "following": _following(request, kind=Follow.Kind.SECTION, section=current),
        "description": f"The latest {current.name} news from every publication.",
    })


@visitor_cache
def publication(request, slug: str):
    publisher = get_object_or_404(Publisher, slug=slug)
    # The publication's own page lists its syndicated copies too, marked with their original.
    page = paginate(request, queries.of_publisher(publisher))
    attach_carriers(page.object_list)
    for article in page.object_list:
        article.syndicated_from = article.duplicate_of if article.duplicate_of_id else None
    return render(request, "web/listing.html", {
        "heading": publisher.name, "page": page, "kind": "publisher", "target": publisher.slug,
        "publisher": publisher,
        "following": _following(request, kind=Follow.Kind.PUBLISHER, publisher=publisher),
        "description": f"The latest articles from {publisher.name}.",
    })
