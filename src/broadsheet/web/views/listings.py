"""Home, section and publication pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow
from broadsheet.sources.models import Publisher

from .. import queries
from ..caching import visitor_cache
from .common import paginate


@visitor_cache
def home(request):
    top = queries.top_stories()
    shown = {a.pk for a in top}
    picks = queries.our_picks(shown)
    shown |= {a.pk for a in picks}
    for_you, personal = queries.for_you(request.user, shown)
    shown |= {a.pk for a in for_you}
    return render(request, "web/home.html", {
        "top_stories": top, "our_picks": picks, "for_you": for_you,
        "for_you_personal": personal, "section_blocks": queries.section_blocks(shown),
    })


def _following(request, **target) -> bool:
    return (request.user.is_authenticated
            and Follow.objects.filter(user=request.user, **target).exists())


@visitor_cache
def section(request, slug: str):
    current = get_object_or_404(Section, slug=slug)
    page = paginate(request, queries.in_section(current))
    return render(request, "web/listing.html", {
        "heading": current.name, "page": page, "kind": "section", "target": current.slug,
        "following": _following(request, kind=Follow.Kind.SECTION, section=current),
        "description": f"The latest {current.name} news from every publication.",
    })


@visitor_cache
def publication(request, slug: str):
    publisher = get_object_or_404(Publisher, slug=slug)
    page = paginate(request, queries.cards().filter(publisher=publisher))
    return render(request, "web/listing.html", {
        "heading": publisher.name, "page": page, "kind": "publisher", "target": publisher.slug,
        "publisher": publisher,
        "following": _following(request, kind=Follow.Kind.PUBLISHER, publisher=publisher),
        "description": f"The latest articles from {publisher.name}.",
    })
