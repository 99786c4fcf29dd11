"""What readers see of stories: full coverage, Top stories, related stories, copies shown once.

A syndicated copy (``Article.duplicate_of`` set) is the same piece of reporting as its original,
so lists show the original only and name the outlets that carried it ("Also in: …"). Each helper
here costs a fixed number of queries however many articles it handles, so pages that use them
stay free of one-query-per-card patterns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from broadsheet.articles.models import Article, not_hidden
from broadsheet.sources.models import Publisher

from .models import Story, StoryTopic, Topic, TopicAlias
from .ranking import top_stories as ranked_stories
from .topics import topic_key

# Card fields only: the body is never needed to list an article.
BODY_FIELDS = ("html", "text", "content_hash", "guid")
MAX_MERGE_HOPS = 20
MAX_COVERAGE_ARTICLES = 300
RELATED_WINDOW = timedelta(days=7)


def originals_only() -> Q:
    """The condition for what lists show: originals (a syndicated copy is listed as its
    original) that no editor hid."""
    return Q(duplicate_of__isnull=True) & not_hidden()


def shown_in_story() -> Q:
    """A story's articles that readers see: not hidden by an editor, nor copies of one."""
    hidden = Article.objects.filter(hidden_at__isnull=False).values("pk")
    return ~Q(pk__in=hidden) & ~Q(duplicate_of_id__in=hidden)


def filed_under(section_name: str) -> Q:
    """Articles in a section, and originals one of whose copies is filed there, as a condition.

    For lists filtered in other ways as well; a section's own list is ``latest_in_section``,
    which reads only the rows it returns.
    """
    copied_here = (Article.objects.filter(same_section(section_name), duplicate_of__isnull=False)
                   .values("duplicate_of_id"))
    return same_section(section_name) | Q(pk__in=copied_here)


def same_section(section_name: str) -> Q:
    """Articles filed under ``section_name``, whatever its case, as the section indexes read it."""
    return Q(Exact(Lower("section"), Lower(Value(section_name))))


def latest_in_section(section_name: str, limit: int, offset: int = 0,
                      before: tuple[datetime, int] | None = None) -> list[int]:
    """Ids of the originals listed in a section, newest first: ``limit`` of them after ``offset``.

    An original is listed where it is filed and wherever one of its copies is filed (a wire
    story that only its copy's outlet filed under Sport is still Sport news). Both halves are
    read from their own index, newest first, and only as far as the page needs: every
    original on the page is at least as new as the page's last original filed here, and a copy
    is never older than its original, so copies older than that cannot add to the page.
    ``before``: (published_at, id) of the last article of a previous page (keyset paging).
    """
    wanted = offset + limit
    originals = Article.objects.filter(originals_only(), same_section(section_name))
    copies = Article.objects.filter(duplicate_of__isnull=False).filter(same_section(section_name))
    if before is not None:
        originals = originals.filter(_older_than(before))
    own = list(originals.order_by("-published_at", "-id").values_list("published_at", "id")
               [:wanted])
    if len(own) == wanted:
        copies = copies.filter(published_at__gte=own[-1][0])
    carried = Article.objects.filter(originals_only(), pk__in=copies.values("duplicate_of_id"))
    if own and len(own) == wanted:
        carried = carried.filter(published_at__gte=own[-1][0])
    if before is not None:
        carried = carried.filter(_older_than(before))
    rows = set(own) | set(carried.values_list("published_at", "id"))
    return [pk for _, pk in sorted(rows, reverse=True)[offset:wanted]]


def _older_than(before: tuple[datetime, int]) -> Q:
    moment, pk = before
    return Q(published_at__lt=moment) | Q(published_at=moment, pk__lt=pk)


def _card_fields(queryset: QuerySet[Article]) -> QuerySet[Article]:
    deferred = [name for name in BODY_FIELDS if name in {f.name for f in Article._meta.fields}]
    return queryset.select_related("publisher").defer(*deferred)


# --- copies ---------------------------------------------------------------------------------------

def attach_carriers(articles: Iterable[Article]) -> None:
    """Set ``article.also_in`` on each article: its syndicated copies, earliest first.

    One query for all the articles; each copy keeps its publisher, so a card can link both the
    outlet and the copy.
    """
    articles = [a for a in articles if a is not None]
    by_id = {a.pk: a for a in articles}
    for article in articles:
        article.also_in = []
    if not by_id:
        return
    copies = (Article.objects.filter(duplicate_of_id__in=list(by_id))
              .select_related("publisher")
              .only("id", "title", "published_at", "duplicate_of_id",
                    "publisher__name", "publisher__slug")
              .order_by("published_at", "id"))
    for copy in copies:
        by_id[copy.duplicate_of_id].also_in.append(copy)


def attach_originals(articles: Iterable[Article]) -> None:
    """Set ``article.original`` on each copy in ``articles`` (None for originals); one query."""
    articles = list(articles)
    wanted = {a.duplicate_of_id for a in articles if a.duplicate_of_id}
    found = {}
    if wanted:
        found = (Article.objects.select_related("publisher")
                 .only("id", "title", "published_at", "publisher__name", "publisher__slug")
                 .in_bulk(list(wanted)))
    for article in articles:
        article.original = found.get(article.duplicate_of_id) if article.duplicate_of_id else None


# --- stories --------------------------------------------------------------------------------------

def resolve_story(pk: int) -> tuple[Story | None, bool]:
    """The story with ``pk``, following merges to the survivor; (story, whether it was merged)."""
    story = Story.objects.select_related("first_publisher").filter(pk=pk).first()
    merged = False
    seen: set[int] = set()
    while story is not None and story.merged_into_id and story.pk not in seen:
        if len(seen) >= MAX_MERGE_HOPS:
            break
        seen.add(story.pk)
        survivor = (Story.objects.select_related("first_publisher")
                    .filter(pk=story.merged_into_id).first())
        if survivor is None:
            break  # the survivor is gone: this story keeps its own address
        story, merged = survivor, True
    return story, merged


def representative(articles: list[Article], story: Story | None = None) -> Article | None:
    """The article that stands for a story: the editor's lead when it has one, else an original
    from the most-weighted outlet, earliest."""
    if story is not None and story.lead_article_id:
        for article in articles:
            if article.pk == story.lead_article_id:
                return article
    originals = [a for a in articles if not a.duplicate_of_id] or articles
    if not originals:
        return None
    return min(originals, key=lambda a: (-(a.publisher.weight or 0.0), a.published_at, a.pk))


@dataclass
class Entry:
    """One piece of reporting in a story: an original and the copies folded under it."""

    article: Article
    copies: list[Article] = field(default_factory=list)


@dataclass
class OutletGroup:
    """One outlet's coverage of a story, in time order."""

    publisher: Publisher
    entries: list[Entry]

    @property
    def first_at(self) -> datetime:
        return self.entries[0].article.published_at


@dataclass
class Coverage:
    """A story's full coverage as the story page shows it."""

    story: Story
    groups: list[OutletGroup]
    first: Article | None  # the earliest article: "first reported by"
    outlets: list[Publisher]  # every outlet, originals and carriers, in order of first article
    sections: list[str]
    article_count: int
    truncated: bool  # more articles than one page shows


def coverage(story: Story, limit: int = MAX_COVERAGE_ARTICLES) -> Coverage:
    """Every outlet's article in ``story``, grouped by outlet, copies folded under originals.

    Outlets are ordered by when they first reported it; articles within an outlet by time.
    One query (the articles with their publishers); bodies are loaded because the page shows
    them, through the paywall.
    """
    rows = list(story.articles.filter(shown_in_story()).select_related("publisher")
                .order_by("published_at", "id")[:limit + 1])
    truncated = len(rows) > limit
    rows = rows[:limit]
    by_id = {a.pk: a for a in rows}
    entries: dict[int, Entry] = {}
    for article in rows:  # originals (and copies whose original is not here) first
        if article.duplicate_of_id not in by_id:
            entries[article.pk] = Entry(article)
    for article in rows:
        if article.duplicate_of_id in by_id:
            if article.duplicate_of_id in entries:
                entries[article.duplicate_of_id].copies.append(article)
            else:  # a copy of a copy: it stands on its own rather than vanish
                entries[article.pk] = Entry(article)
    entries = dict(sorted(entries.items(),
                          key=lambda item: (item[1].article.published_at, item[0])))
    groups: dict[int, OutletGroup] = {}
    for entry in entries.values():  # in time order of the originals
        publisher = entry.article.publisher
        group = groups.setdefault(publisher.pk, OutletGroup(publisher, []))
        group.entries.append(entry)
    outlets: dict[int, Publisher] = {}
    for article in rows:
        outlets.setdefault(article.publisher_id, article.publisher)
    sections: dict[str, str] = {}
    for article in rows:
        if article.section:
            sections.setdefault(article.section.lower(), article.section)
    return Coverage(story=story, groups=sorted(groups.values(), key=lambda g: g.first_at),
                    first=rows[0] if rows else None, outlets=list(outlets.values()),
                    sections=list(sections.values()), article_count=len(rows),
                    truncated=truncated)


def top_entries(limit: int = 6, per_section: int = 3) -> list[Article]:
    """Top stories as cards: each ranked story's representative article, best first.

    Each returned article carries ``article.coverage`` (its Story) for the "N outlets" link.
    Empty when no story has a score yet (the caller shows its stand-in). Two queries.
    """
    stories = ranked_stories(limit=limit, per_section=per_section)
    if not stories:
        return []
    by_story: dict[int | None, list[Article]] = {}
    articles = _card_fields(Article.objects.filter(story__in=[s.pk for s in stories])
                            .filter(originals_only()))
    for article in articles:
        by_story.setdefault(article.story_id, []).append(article)
    chosen = []
    for story in stories:
        lead = representative(by_story.get(story.pk, []), story)
        if lead is not None:
            lead.coverage = story
            chosen.append(lead)
    return chosen


def same_story(article: Article, limit: int = 5) -> list[Article]:
    """The same story from other outlets: originals only, none from this article's outlet."""
    if not article.story_id:
        return []
    others = (_card_fields(Article.objects.filter(story_id=article.story_id))
              .filter(originals_only()).exclude(publisher_id=article.publisher_id)
              .order_by("published_at", "id"))
    if article.duplicate_of_id:
        others = others.exclude(pk=article.duplicate_of_id)  # named above the body already
    chosen: list[Article] = []
    outlets: set[int] = set()
    pool = list(others[:limit * 4])
    for candidate in pool:  # one from every outlet first, then more from the same outlets
        if candidate.publisher_id not in outlets:
            chosen.append(candidate)
            outlets.add(candidate.publisher_id)
    chosen += [a for a in pool if a not in chosen]
    return chosen[:limit]


def related_stories(article: Article, limit: int = 5) -> list[Article]:
    """Other recent stories in the same section: one article per story, latest first.

    Articles not yet in a story count as their own story, so a site whose stories are still
    being assigned shows the section's latest instead.
    """
    nearby = _card_fields(Article.objects.filter(originals_only())).exclude(pk=article.pk)
    if article.section:
        nearby = nearby.filter(same_section(article.section))
    else:
        nearby = nearby.filter(publisher_id=article.publisher_id)
    if article.story_id:
        nearby = nearby.exclude(story_id=article.story_id)
    since = article.published_at - RELATED_WINDOW
    chosen = _one_per_story(nearby.filter(published_at__gte=since)
                            .order_by("-published_at", "-id")[:limit * 4], limit, set())
    if len(chosen) < limit:  # a quiet section: older stories rather than an empty box
        older = nearby.exclude(pk__in=[a.pk for a in chosen]).order_by("-published_at", "-id")
        chosen += _one_per_story(older[:limit * 4], limit - len(chosen),
                                 {a.story_id for a in chosen if a.story_id})
    return chosen


def _one_per_story(candidates: Iterable[Article], limit: int, stories: set[int]) -> list[Article]:
    chosen = []
    for candidate in candidates:
        if candidate.story_id and candidate.story_id in stories:
            continue
        if candidate.story_id:
            stories.add(candidate.story_id)
        chosen.append(candidate)
        if len(chosen) == limit:
            break
    return chosen


def take_distinct(queryset: QuerySet[Article] | list[Article], limit: int, stories: set[int],
                  pool: int = 4) -> list[Article]:
    """Up to ``limit`` articles from ``queryset`` (or a list), none from a story in ``stories``.

    ``stories`` grows with the stories taken, so that boxes filled one after another never show
    one story twice. One query at most (``limit * pool`` rows).
    """
    return _one_per_story(queryset[:limit * pool], limit, stories)


# --- topics ----------------------------------------------------------------------------------

def topic_by_slug(slug: str) -> tuple[Topic | None, bool]:
    """The topic at ``slug`` and whether it was merged into it; (None, False) when there is
    none or an editor hid it."""
    topic = Topic.objects.filter(slug=slug).first()
    merged = False
    for _ in range(MAX_MERGE_HOPS):
        if topic is None or topic.merged_into_id is None:
            break
        topic, merged = Topic.objects.filter(pk=topic.merged_into_id).first(), True
    if topic is None or topic.hidden:
        return None, False
    return topic, merged


def topic_named(text: str) -> Topic | None:
    """The topic a reader means by a word or phrase ("Trump", "the UK"), if one is known."""
    key = topic_key(text)
    alias = TopicAlias.objects.filter(key=key).select_related("topic").first() if key else None
    return topic_by_slug(alias.topic.slug)[0] if alias else None


def topics_of(story_ids: Iterable[int]) -> dict[int, list[Topic]]:
    """Each story's shown topics, most salient first (one query)."""
    found: dict[int, list[Topic]] = {}
    rows = (StoryTopic.objects.filter(story_id__in=list(story_ids), topic__hidden=False)
            .select_related("topic").order_by("story_id", "-weight", "topic_id"))
    for row in rows:
        found.setdefault(row.story_id, []).append(row.topic)
    return found


def attach_topics(articles: Iterable[Article], per_card: int = 3) -> None:
    """Give each article ``topics``: its story's first ``per_card`` topics, for its card."""
    articles = list(articles)
    found = topics_of({a.story_id for a in articles if a.story_id})
    for article in articles:
        article.topics = (found.get(article.story_id, [])[:per_card]
                          if article.story_id is not None else [])


def _topic_story_ids(topic: Topic, limit: int, offset: int = 0) -> list[int]:
    """The topic's newest shown stories, newest first."""
    return list(StoryTopic.objects.filter(topic=topic, story__hidden_at__isnull=True,
                                          story__merged_into__isnull=True)
                .order_by("-last_published_at", "-story_id")
                .values_list("story_id", flat=True)[offset:offset + limit])


def topic_latest(topic: Topic, limit: int, offset: int = 0) -> list[Article]:
    """The lead article of each of the topic's newest stories (not hidden), newest first."""
    story_ids = _topic_story_ids(topic, limit, offset)
    stories = Story.objects.in_bulk(story_ids)
    by_story: dict[int | None, list[Article]] = {}
    for article in _card_fields(Article.objects.filter(originals_only(),
                                                       story_id__in=story_ids)):
        by_story.setdefault(article.story_id, []).append(article)
    chosen = []
    for pk in story_ids:
        lead = representative(by_story.get(pk, []), stories.get(pk))
        if lead is not None:
            lead.coverage = stories[pk]
            chosen.append(lead)
    return chosen


def topic_lead_ids(topic: Topic, limit: int) -> list[int]:
    """Ids of ``topic_latest``'s articles, read as bare rows: for lists that merge many
    sources and load only the cards they keep."""
    story_ids = _topic_story_ids(topic, limit)
    editors_leads = dict(Story.objects.filter(pk__in=story_ids)
                         .values_list("pk", "lead_article_id"))
    best: dict[int, tuple] = {}  # story -> (editor's lead first, representative's order, id)
    for story_id, pk, weight, published_at in (
            Article.objects.filter(originals_only(), story_id__in=story_ids)
            .values_list("story_id", "id", "publisher__weight", "published_at")):
        order = (pk != editors_leads.get(story_id), -(weight or 0.0), published_at, pk)
        if story_id not in best or order < best[story_id]:
            best[story_id] = order
    return [best[pk][-1] for pk in story_ids if pk in best]
