"""For you's candidates: recent stories with what a reader may like about them.

The shared pool (the best-scored and newest stories of the last days, Top stories and Our
Picks) is the same for every reader: a periodic task works it out once a minute and keeps it in
the cache; each process holds the newest build in memory. A reader's own extras (new stories on
topics they like or publishers they follow that the pool lacks) are a couple of small queries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from broadsheet.articles.models import Article, not_hidden
from broadsheet.articles.search import search
from broadsheet.stories import queries as stories
from broadsheet.stories.models import Story, StoryTopic

from . import picks
from .models import Section

POOL_DAYS = 3  # For you shows news: stories with an article in the last three days
POOL_BY_SCORE = 400
POOL_NEWEST = 300
TOP_COUNT = 10  # the Top stories as the home page ranks them
TOPICS_KEPT = 5
POOL_SECONDS = 300  # kept this long; the periodic task builds them afresh every minute
POOL_KEY = "curation:for-you-pool"
POOL_STAMP_KEY = "curation:for-you-pool-stamp"
_memo: dict = {}  # this process's copy of the pool, and the stamp of the build it is
EXTRAS = 120  # a reader's own candidates beyond the pool, at most
WORDS_MATCHED = 20  # stories matched per followed word or phrase


@dataclass
class Candidate:
    """One story (or a picked article that has none) as For you weighs it."""

    story_id: int | None
    article_id: int  # the card: the story's representative article
    published_at: datetime  # the story's latest article
    score: float  # the Top stories score
    publisher: tuple[str, str]  # the card's outlet: (slug, name)
    outlets: list[str]  # slugs of every outlet with an original in the story
    section: tuple[str, str] | None  # (slug, name)
    topics: list[tuple[str, str]] = field(default_factory=list)  # (slug, name), salient first
    top_rank: int | None = None  # place in Top stories, 0 first
    pick_note: str | None = None  # an editor picked it (the note may be empty)

    @property
    def key(self) -> str:
        return f"s{self.story_id}" if self.story_id else f"a{self.article_id}"


@dataclass
class Pool:
    candidates: dict[str, Candidate]
    top: list[str]  # keys, in Top stories order
    picked: list[str]  # keys, in Our Picks order
    max_score: float
    stamp: str = ""  # which build this is: rankings made from it are kept under it


def pool(now: datetime | None = None) -> Pool:
    """The shared candidates: this process's copy while it is the newest built, else the
    cache's, else built here (only when no worker keeps them warm)."""
    stamp = cache.get(POOL_STAMP_KEY)
    if stamp is not None and _memo.get("stamp") == stamp:
        return _memo["pool"]
    found = cache.get(POOL_KEY) if stamp is not None else None
    if found is None:
        return refresh_pool(now)
    _memo.update(stamp=stamp, pool=found)
    return found


def refresh_pool(now: datetime | None = None) -> Pool:
    """Work the shared candidates out again and keep them (the periodic task's job, once a
    minute). They are not tied to the content generation, which every stored article moves:
    a request never waits for them after an ingest, and new stories join within a minute."""
    found = build_pool(now)
    stamp = found.stamp = f"{time.time():.6f}"
    cache.set_many({POOL_KEY: found, POOL_STAMP_KEY: stamp}, POOL_SECONDS)
    _memo.update(stamp=stamp, pool=found)
    return found


def build_pool(now: datetime | None = None) -> Pool:
    now = now or timezone.now()
    since = now - timedelta(days=POOL_DAYS)
    recent = Story.objects.filter(hidden_at__isnull=True, merged_into__isnull=True,
                                  last_published_at__gte=since)
    ids = set(recent.order_by("-score", "-last_published_at")
              .values_list("pk", flat=True)[:POOL_BY_SCORE])
    ids |= set(recent.order_by("-last_published_at").values_list("pk", flat=True)[:POOL_NEWEST])
    top_cards = stories.top_entries(limit=TOP_COUNT)
    ids |= {a.story_id for a in top_cards if a.story_id}
    live_picks = list(picks.live(None, now))
    ids |= {p.story_id for p in live_picks if p.story_id}
    found = {c.key: c for c in describe(ids)}
    top = [f"s{a.story_id}" for a in top_cards if f"s{a.story_id}" in found]
    for rank, key in enumerate(top):
        found[key].top_rank = rank
    picked = []
    for pick in live_picks:
        if pick.story_id:
            key = f"s{pick.story_id}"
        else:
            candidate = _picked_article(pick.article)
            if candidate is None:
                continue
            key = candidate.key
            found.setdefault(key, candidate)
        if key in found:
            found[key].pick_note = pick.note
            picked.append(key)
    return Pool(found, top, picked, max((c.score for c in found.values()), default=0.0))


def describe(story_ids: set[int]) -> list[Candidate]:
    """Candidates for these stories (hidden ones, and those with nothing to show, left out)."""
    if not story_ids:
        return []
    rows = Story.objects.filter(pk__in=story_ids, hidden_at__isnull=True,
                                merged_into__isnull=True).select_related(None)
    by_story: dict[int, list[Article]] = {}
    for article in (Article.objects.filter(story_id__in=story_ids)
                    .filter(stories.originals_only())
                    .select_related("publisher")
                    .only("pk", "story_id", "published_at", "section", "duplicate_of_id",
                          "publisher__slug", "publisher__name", "publisher__weight")):
        by_story.setdefault(article.story_id, []).append(article)
    topics = stories.topics_of(story_ids)
    sections = _sections()
    found = []
    for story in rows:
        articles = by_story.get(story.pk, [])
        lead = stories.representative(articles, story)
        if lead is None:
            continue
        section = sections.get((story.section or lead.section).lower())
        found.append(Candidate(
            story.pk, lead.pk, story.last_published_at, story.score,
            (lead.publisher.slug, lead.publisher.name),
            sorted({a.publisher.slug for a in articles}), section,
            [(t.slug, t.name) for t in topics.get(story.pk, [])[:TOPICS_KEPT]]))
    return found


def _picked_article(article: Article | None) -> Candidate | None:
    """A picked article outside any story stands as its own candidate."""
    if article is None or article.hidden_at is not None:
        return None
    if article.story_id:
        found = describe({article.story_id})
        return found[0] if found else None
    section = _sections().get(article.section.lower())
    slug = article.publisher.slug
    return Candidate(None, article.pk, article.published_at, 0.0,
                     (slug, article.publisher.name), [slug], section)


def _sections() -> dict[str, tuple[str, str]]:
    rows = Section.objects.values_list("name", "slug")
    return {name.lower(): (slug, name) for name, slug in rows}


def extras(topic_slugs: list[str], publisher_slugs: list[str], section_names: list[str],
           known: set[str], now: datetime | None = None) -> list[Candidate]:
    """Recent stories on these topics, from these publishers or in these sections that the
    shared pool does not hold: a reader's niche interests reach For you too."""
    now = now or timezone.now()
    since = now - timedelta(days=POOL_DAYS)
    ids: set[int] = set()
    if topic_slugs:
        ids |= set(StoryTopic.objects.filter(topic__slug__in=topic_slugs,
                                             last_published_at__gte=since)
                   .order_by("-last_published_at").values_list("story_id", flat=True)[:EXTRAS])
    condition = Q()
    if publisher_slugs:
        condition |= Q(publisher__slug__in=publisher_slugs)
    for name in section_names:
        condition |= stories.same_section(name)
    if condition:
        ids |= set(Article.objects.filter(condition, not_hidden(), published_at__gte=since,
                                          story__isnull=False)
                   .order_by("-published_at").values_list("story_id", flat=True)[:EXTRAS])
    ids -= {int(key[1:]) for key in known if key.startswith("s")}
    return describe(set(list(ids)[:EXTRAS]))


def matching_words(words: list[str], now: datetime | None = None) -> dict[int, str]:
    """Recent stories whose articles match a reader's followed words (a topic followed as
    free text, not one the tagger knows): story id -> the words."""
    since = (now or timezone.now()) - timedelta(days=POOL_DAYS)
    found: dict[int, str] = {}
    for text in words:
        for result in search(text, order="newest", per_page=WORDS_MATCHED, since=since,
                             snippets=False, fold_copies=True).results:
            if result.article.story_id:
                found.setdefault(result.article.story_id, text)
    return found
