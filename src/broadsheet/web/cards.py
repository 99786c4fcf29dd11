"""Article cards rendered once and shared by every reader.

A list's card is the same for everyone but for its time ("5 min ago", in the reader's zone), so
its shared part is rendered once per article, content generation and time zone and kept for
CARD_SECONDS; the time is put in on every request. Rendering a card through the template costs
more than everything else a list page does, and a page of twenty cards is read from the cache in
one call. What a card shows besides the article (the outlets that carried it, its topics) is
read only for the cards that are not cached, together. A worker's change that moves no
generation (a story's new topics or outlet count) shows within CARD_SECONDS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from broadsheet.articles.models import Article
from broadsheet.freshness import generation
from broadsheet.markup import escape_attr

from . import queries

CARD_SECONDS = 60
CARD_FORMAT = 2  # moved whenever the card's markup changes, so no older card is reused
TIME_MARK = mark_safe("<!--card-time-->")  # where each request puts the card's time
# Where a reader's own parts of a card go (For you's reason, link mark and "fewer" forms).
LEAD_MARK = mark_safe("<!--card-lead-->")
VIA_MARK = mark_safe("<!--card-via-->")
TAIL_MARK = mark_safe("<!--card-tail-->")
MARKS = {"time_mark": TIME_MARK, "lead_mark": LEAD_MARK, "via_mark": VIA_MARK,
         "tail_mark": TAIL_MARK}


@dataclass(frozen=True)
class Personal:
    """A reader's own parts of one card: HTML before and after its content, and what its
    headline's link adds to the article's address."""

    lead: SafeString = mark_safe("")
    via: str = ""
    tail: SafeString = mark_safe("")


NOTHING_PERSONAL = Personal()


def card_key(article: Article, zone: str, version: int) -> str:
    """The card's cache key: its article, and the page-made parts of it (a story's coverage
    line, a copy's original) that the same article can be shown with or without."""
    coverage = getattr(article, "coverage", None)
    original = getattr(article, "syndicated_from", None)
    return (f"web:card{CARD_FORMAT}:{version}:{zone}:{article.pk}:"
            f"{coverage.pk if coverage is not None else 0}:"
            f"{original.pk if original is not None else 0}")


def render_cards(articles: Sequence[Article], stamp: Callable[[Article], str],
                 personal: Callable[[Article], Personal] | None = None) -> SafeString:
    """The cards of ``articles`` in order, each with ``stamp(article)`` as its time and
    ``personal(article)``'s parts, if given."""
    articles = [a for a in articles if a is not None]
    if not articles:
        return mark_safe("")
    zone, version = timezone.get_current_timezone_name(), generation()
    keys = [card_key(a, zone, version) for a in articles]
    found = cache.get_many(keys)
    missing = [(a, k) for a, k in zip(articles, keys, strict=True) if k not in found]
    if missing:
        undecorated = [a for a, _ in missing if not hasattr(a, "topics")]
        if undecorated:
            queries.decorate(undecorated)
        fresh = {key: render_to_string("web/_card.html", {"article": a, **MARKS})
                 for a, key in missing}
        cache.set_many(fresh, CARD_SECONDS)
        found.update(fresh)
    return mark_safe("".join(  # noqa: S308 - rendered by the autoescaping template, stamp() and
        _filled(found[key], stamp(a), personal(a) if personal else NOTHING_PERSONAL)  # Personal
        for a, key in zip(articles, keys, strict=True)))


def _filled(card: str, time: str, parts: Personal) -> str:
    return (card.replace(TIME_MARK, time).replace(LEAD_MARK, parts.lead)
            .replace(VIA_MARK, escape_attr(parts.via)).replace(TAIL_MARK, parts.tail))
