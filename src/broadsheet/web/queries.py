"""What the pages list: the home page's boxes, section and publisher listings, a reader's follows.

Until the stories and curation work ranks Top stories, Our Picks and For you, each box is filled
from the latest articles so that no box is ever empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.articles.search import search
from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow

from .caching import generation

# Cards never show the body; leaving it in the database keeps listings light.
CARD_DEFERRED = tuple(name for name in ("html", "text", "extraction_error", "content_hash", "guid")
                      if name in {f.name for f in Article._meta.get_fields()})
LONG_READ_WORDS = 800
TOPIC_LIMIT = 10


def cards() -> QuerySet[Article]:
    return (Article.objects.select_related("publisher").defer(*CARD_DEFERRED)
            .order_by("-published_at", "-id"))


def in_section(section: Section | str) -> QuerySet[Article]:
    return cards().filter(section__iexact=getattr(section, "name", section))


def section_slugs() -> dict[str, str]:
    """Section name (lower case) -> slug, for linking an article's section."""
    key = f"web:section-slugs:{generation()}"
    slugs = cache.get(key)
    if slugs is None:
        slugs = {name.lower(): slug for name, slug in Section.objects.values_list("name", "slug")}
        cache.set(key, slugs, 300)
    return slugs


def top_stories(limit: int = 6, pool: int = 80) -> list[Article]:
    """The latest articles, one per publisher first so that no single outlet fills the box."""
    latest = list(cards()[:pool])
    chosen: list[Article] = []
    publishers: set[int] = set()
    for article in latest:
        if article.publisher_id not in publishers:
            chosen.append(article)
            publishers.add(article.publisher_id)
        if len(chosen) == limit:
            return chosen
    for article in latest:
        if article not in chosen:
            chosen.append(article)
        if len(chosen) == limit:
            break
    return chosen


def our_picks(exclude: set[int], limit: int = 4) -> list[Article]:
    """Recent long reads (the editors' picks take this place once curation lands)."""
    recent = timezone.now() - timedelta(days=14)
    picks = list(cards().filter(word_count__gte=LONG_READ_WORDS, published_at__gte=recent)
                 .exclude(pk__in=exclude)[:limit])
    if len(picks) < limit:
        longest = (cards().exclude(pk__in=exclude | {a.pk for a in picks})
                   .order_by("-word_count", "-published_at")[:limit - len(picks)])
        picks.extend(longest)
    return picks


def follows_filter(user) -> Q | None:
    """Articles from what ``user`` follows: publishers, sections and topics (via search)."""
    follows = list(Follow.objects.filter(user=user).select_related("section"))
    if not follows:
        return None
    condition = Q(pk__in=[])
    for follow in follows:
        if follow.kind == Follow.Kind.PUBLISHER and follow.publisher_id:
            condition |= Q(publisher_id=follow.publisher_id)
        elif follow.kind == Follow.Kind.SECTION and follow.section:
            condition |= Q(section__iexact=follow.section.name)
    topic_ids = [result.article.pk
                 for follow in follows if follow.kind == Follow.Kind.TOPIC and follow.topic
                 for result in search(follow.topic, order="newest", per_page=TOPIC_LIMIT,
                                      user=user, snippets=False).results]
    if topic_ids:
        condition |= Q(pk__in=topic_ids)
    return condition


def for_you(user, exclude: set[int], limit: int = 6) -> tuple[list[Article], bool]:
    """The latest from what the reader follows, else the latest; says which it was."""
    if getattr(user, "is_authenticated", False):
        condition = follows_filter(user)
        if condition is not None:
            followed = (list(cards().filter(condition).exclude(pk__in=exclude)[:limit])
                        or list(cards().filter(condition)[:limit]))
            if followed:
                return followed, True
    # On a small site everything may be shown above already; repeating beats an empty box.
    return (list(cards().exclude(pk__in=exclude)[:limit]) or list(cards()[:limit])), False


@dataclass
class SectionBlock:
    section: Section
    articles: list[Article]


def section_blocks(exclude: set[int], per_section: int = 5) -> list[SectionBlock]:
    """Each navigation section's latest articles; sections with none are left out."""
    blocks = []
    for section in Section.objects.filter(in_navigation=True):
        articles = list(in_section(section).exclude(pk__in=exclude)[:per_section])
        if not articles:
            articles = list(in_section(section)[:per_section])
        if articles:
            blocks.append(SectionBlock(section, articles))
    return blocks


def topic_articles(topic: str, user, limit: int = 5) -> list[Article]:
    return [r.article for r in search(topic, order="newest", per_page=limit, user=user,
                                        snippets=False).results]
