"""The search page: /search?q=…&publication=…&section=…&from=…&to=…&page=…"""

from __future__ import annotations

from datetime import date

from django.shortcuts import render

from broadsheet.articles.search import MAX_QUERY_CHARS, search
from broadsheet.curation.models import Section
from broadsheet.stories.queries import attach_carriers

from .. import alternates
from ..caching import visitor_cache

MAX_PAGE = 500


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10]) if raw else None
    except ValueError:
        return None


def _page_number(raw: str | None) -> int:
    try:
        return min(max(1, int(raw or 1)), MAX_PAGE)
    except ValueError:
        return 1


@visitor_cache
def search_page(request):
    """Visitors' results are the same for everyone (snippets from teasers): cached a minute."""
    params = request.GET
    query = params.get("q", "")[:MAX_QUERY_CHARS]
    publication = params.get("publication", "")[:200]
    section_slug = params.get("section", "")[:100]
    since, until = _date(params.get("from")), _date(params.get("to"))
    section = Section.objects.filter(slug=section_slug).first() if section_slug else None
    results = None
    if query.strip():
        # A syndicated copy is shown once, as its original, which names who carried it;
        # a search of one publication lists its own copies, as its page does.
        results = search(query, publisher=publication or None,
                         section=section or (section_slug or None),
                         since=since, until=until, page=_page_number(params.get("page")),
                         user=request.user, fold_copies=not publication)
        attach_carriers([r.article for r in results.results])  # results show no topics
    return render(request, "web/search.html", {
        "query": query, "results": results,
        "publication": publication, "section_slug": section_slug,
        "since": since, "until": until,
        "sections": Section.objects.all(),
        "alternates": alternates.search(query),
    })
