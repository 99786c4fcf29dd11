"""A publisher's own page: its monthly statements and its articles' qualified reads.

Only accounts linked to the publisher (``PublisherAccount``) and staff see it. Anyone else gets
the same 404 as for a publisher that does not exist, so the page does not tell who is linked to
what. Counts only: the page never names or counts out a reader.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from broadsheet.publishers import reports
from broadsheet.publishers.statements import StatementError, month_bounds, parse_month
from broadsheet.sources.models import Publisher

from ..caching import mark_private
from .common import paginate

ARTICLES_PER_PAGE = 50


@login_required
def publisher_home(request: HttpRequest) -> HttpResponse:
    """The linked publisher's page; a choice when the account sees several."""
    publishers = reports.publishers_of(request.user)
    first_two = list(publishers[:2])
    if not first_two:
        raise Http404("No publisher here")
    if len(first_two) == 1:
        return _page(request, first_two[0])
    response = render(request, "web/publisher_list.html",
                      {"page": paginate(request, publishers, per_page=100)})
    mark_private(response)
    return response


@login_required
def publisher_page(request: HttpRequest, slug: str) -> HttpResponse:
    publisher = reports.publishers_of(request.user).filter(slug=slug).first()
    if publisher is None:
        raise Http404("No publisher here")
    return _page(request, publisher)


def _page(request: HttpRequest, publisher: Publisher) -> HttpResponse:
    this_month = timezone.now().date().replace(day=1)  # UTC: the ledger's days are UTC days
    try:
        month = parse_month(request.GET.get("month", ""))
    except StatementError:
        month = this_month
    month = min(month, this_month)
    reads = reports.month_reads(publisher, month)
    page = paginate(request, reads.by_article, per_page=ARTICLES_PER_PAGE)
    earlier = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    later = month_bounds(month)[1]
    response = render(request, "web/publisher.html", {
        "publisher": publisher, "statements": reports.statement_months(publisher),
        "reads": reads, "month": month, "is_this_month": month == this_month,
        "articles": reports.with_titles(list(page.object_list)), "page": page,
        "earlier": earlier, "later": later if later <= this_month else None,
    })
    mark_private(response)
    return response
