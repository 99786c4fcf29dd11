"""Helpers shared by the page views."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import cached_property

PER_PAGE = 20
MAX_COUNTED_PAGES = 50  # a longer list shows "Page 1 of 51+" rather than count every row


class CappedPaginator(Paginator):
    """Counts at most MAX_COUNTED_PAGES pages of rows: a long list need not be counted whole."""

    @cached_property
    def count(self) -> int:
        cap = self.per_page * MAX_COUNTED_PAGES
        head = self.object_list[:cap + 1]
        counted = head.count() if isinstance(head, QuerySet) else len(head)
        self.capped = counted > cap
        return counted

    capped = False


def paginate(request, items, per_page: int = PER_PAGE) -> Page:
    """The requested ?page= of ``items``; a missing or bad number gives the nearest real page."""
    return CappedPaginator(items, per_page).get_page(request.GET.get("page"))


@dataclass
class ListPage:
    """One page of a list read newest first without counting it (see ``page_of``)."""

    object_list: list
    number: int
    has_next: bool
    paginator = None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def page_of(request, read: Callable[[int, int], list], per_page: int = PER_PAGE) -> ListPage:
    """The requested ?page= of a list that ``read(limit, offset)`` returns newest first.

    One row more than the page tells whether an older page exists; pages past
    MAX_COUNTED_PAGES are not offered (a reader goes that far back by searching), and a page
    past the end gives the last one.
    """
    try:
        number = min(max(1, int(request.GET.get("page", 1))), MAX_COUNTED_PAGES)
    except ValueError:
        number = 1
    rows = read(per_page + 1, (number - 1) * per_page)
    if not rows and number > 1:  # past the end: the last page instead
        everything = read(per_page * MAX_COUNTED_PAGES, 0)
        number = max(1, math.ceil(len(everything) / per_page))
        rows = everything[(number - 1) * per_page:]
    return ListPage(rows[:per_page], number,
                    len(rows) > per_page and number < MAX_COUNTED_PAGES)


def signin_url(next_path: str) -> str:
    return f"{reverse('signin')}?{urlencode({'next': next_path})}"


def signup_url(next_path: str) -> str:
    return f"{reverse('signup')}?{urlencode({'next': next_path})}"
