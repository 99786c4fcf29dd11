"""What the pages list: the home page's boxes, section and publisher listings, a reader's follows.

Top stories come from the story ranking; until a story has a score, the box is filled from the
latest articles so that it is never empty. Syndicated copies are shown once: lists take
``listed()`` (originals only) and name the outlets that carried a copy on the original's card.
Only a publication's own page lists its copies, marked "Syndicated from …". On the home page no
story appears twice, whichever box it would fall in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from broadsheet.articles.models import Article, not_hidden
from broadsheet.articles.search import search
from broadsheet.curation import picks
from broadsheet.curation.models import Pick, Section
from broadsheet.freshness import generation
from broadsheet.readers.models import Follow
from broadsheet.sources.models import Publisher
from broadsheet.stories import queries as stories
from broadsheet.stories.models import Story, Topic

# Cards never show the body; leaving it in the database keeps listings light.
CARD_DEFERRED = tuple(name for name in ("html", "text", "extraction_error", "content_hash", "guid")
                      if name in {f.name for f in Article._meta.get_fields()})
TOPIC_LIMIT = 10


def decorate(articles: Iterable[Article]) -> None:
    """What a card shows besides the article: the outlets that carried it, its topics."""
    articles = list(articles)
    stories.attach_carriers(articles)
    stories.attach_topics(articles)


def cards() -> QuerySet[Article]:
    return (Article.objects.select_related("publisher").defer(*CARD_DEFERRED)
            .order_by("-published_at", "-id"))


def listed() -> QuerySet[Article]:
    """Cards for lists: originals only; a copy's original stands for it."""
    return cards().filter(stories.originals_only())


def in_order(ids: list[int]) -> list[Article]:
    """Cards for ``ids``, in that order (one query)."""
    found = cards().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def in_section(section: Section | str, limit: int, offset: int = 0) -> list[Article]:
    """A section's latest originals (with those a copy filed here stands for), newest first."""
    name = section.name if isinstance(section, Section) else section
    return in_order(stories.latest_in_section(name, limit, offset))


def of_publisher(publisher) -> QuerySet[Article]:
    """A publication's own articles, its syndicated copies included (with their original)."""
    deferred = [f"duplicate_of__{name}" for name in CARD_DEFERRED]
    return (cards().filter(not_hidden(), publisher=publisher)
            .select_related("duplicate_of", "duplicate_of__publisher").defer(*deferred))


def section_slugs() -> dict[str, str]:
    """Section name (lower case) -> slug, for linking an article's section."""
    key = f"web:section-slugs:{generation()}"
    slugs = cache.get(key)
    if slugs is None:
        slugs = {name.lower(): slug for name, slug in Section.objects.values_list("name", "slug")}
        cache.set(key, slugs, 300)
    return slugs


def publisher_names() -> list[tuple[str, str]]:
    """(slug, name) of every publisher, by name, for filters."""
    key = f"web:publisher-names:{generation()}"
    names = cache.get(key)
    if names is None:
        names = list(Publisher.objects.order_by("name").values_list("slug", "name"))
        cache.set(key, names, 300)
    return names


def home_top_stories(limit: int = 6) -> list[Article]:
    """Ranked Top stories (one card per story), or the latest articles when none is ranked."""
    return stories.top_entries(limit=limit) or top_stories(limit=limit)


def top_stories(limit: int = 6, pool: int = 80) -> list[Article]:
    """The latest articles, one per publisher first so that no single outlet fills the box."""
    latest = list(listed()[:pool])
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


@dataclass
class ShownPick:
    """An editor's pick as a card: the picked article, or the picked story's lead article."""

    pick: Pick
    article: Article
    story: Story | None

    @property
    def title(self) -> str:
        return self.story.title if self.story else self.article.title

    @property
    def scheduled(self) -> bool:
        """Not live yet: its start is still ahead."""
        return self.pick.starts_at is not None and self.pick.starts_at > timezone.now()


def shown_picks(section: Section | None = None, *, every: bool = False) -> list[ShownPick]:
    """Our Picks of a place (the home page when ``section`` is None), in the editors' order:
    the live ones, or with ``every`` the scheduled ones too (what editors see)."""
    return as_cards(picks.upcoming(section) if every else picks.live(section))


def section_picks(section: Section) -> list[ShownPick]:
    """A section's live picks as every reader sees them: worked out once a minute (the same
    for everyone; an editor's change moves the generation and shows at once)."""
    key = f"web:section-picks:{generation()}:{section.pk}"
    shown = cache.get(key)
    if shown is None:
        shown = shown_picks(section)
        cache.set(key, shown, FRONT_PAGE_SECONDS)
    return shown


def as_cards(chosen: Iterable[Pick]) -> list[ShownPick]:
    """Picks as cards, in the order given; a pick with nothing left to show is left out."""
    chosen = list(chosen)
    story_ids = [p.story_id for p in chosen if p.story_id]
    by_story: dict[int | None, list[Article]] = {}
    for article in listed().filter(story_id__in=story_ids) if story_ids else ():
        by_story.setdefault(article.story_id, []).append(article)
    shown = []
    for pick in chosen:
        if pick.story is not None:
            lead = stories.representative(by_story.get(pick.story.pk, []), pick.story)
            if lead is not None:
                lead.coverage = pick.story
                shown.append(ShownPick(pick, lead, pick.story))
        elif pick.article is not None and pick.article.hidden_at is None:
            shown.append(ShownPick(pick, pick.article, None))
    return shown


def followed_latest(user, limit: int, follows: list[Follow] | None = None) -> list[Article]:
    """The latest from what ``user`` follows (publishers, sections, topics), newest first.

    Each follow's own latest are read from its index (a publisher's articles, a section's
    list, a topic's search), then merged; a copy whose original is listed too is left out.
    ``follows``: the reader's follows, when the caller has read them already.
    """
    if follows is None:
        follows = list(Follow.objects.filter(user=user).select_related("section"))
    # A publisher's newest may be copies that fold into originals listed here, so read more
    # than a page of them; sections and topics list originals only, a page's worth each.
    pool = limit * 4
    rows: set[tuple] = set()  # (published_at, id, duplicate_of_id)
    for follow in follows:
        if follow.kind == Follow.Kind.PUBLISHER and follow.publisher_id:
            rows |= set(Article.objects.filter(not_hidden(), publisher_id=follow.publisher_id)
                        .order_by("-published_at", "-id")
                        .values_list("published_at", "id", "duplicate_of_id")[:pool])
    ids: set[int] = set()
    for follow in follows:
        if follow.kind == Follow.Kind.SECTION and follow.section:
            ids |= set(stories.latest_in_section(follow.section.name, limit))
        elif follow.kind == Follow.Kind.TOPIC and follow.topic:
            topic, _ = stories.topic_by_slug(follow.topic)
            if topic is not None:
                ids |= set(stories.topic_lead_ids(topic, limit))
                continue
            ids |= {result.article.pk for result in search(
                follow.topic, order="newest", per_page=TOPIC_LIMIT, user=user, snippets=False,
                fold_copies=True).results}
    ids -= {pk for _, pk, _ in rows}
    rows |= set(Article.objects.filter(pk__in=ids)
                .values_list("published_at", "id", "duplicate_of_id"))
    listed_ids = {pk for _, pk, _ in rows}
    newest = [pk for _, pk, original in sorted(rows, reverse=True)
              if original not in listed_ids][:limit]
    return in_order(newest)


def latest_for_visitors(exclude: set[int], limit: int = 6,
                        shown_stories: set[int] | None = None,
                        top_stories_ids: set[int] | None = None) -> list[Article]:
    """The home page's For you box for a visitor: the latest the boxes above do not show.

    ``shown_stories``: stories already on the page; none of their articles is chosen, and the
    chosen articles' stories are added to it. When everything is shown above already, the box
    repeats articles rather than stay empty, but never one of ``top_stories_ids``' stories.
    """
    shown_stories = set() if shown_stories is None else shown_stories
    # On a small site everything may be shown above already; repeating beats an empty box.
    return (stories.take_distinct(listed().exclude(pk__in=exclude), limit, shown_stories)
            or list(listed().exclude(story_id__in=top_stories_ids or set())[:limit]))


@dataclass
class SectionBlock:
    section: Section
    articles: list[Article]


def section_blocks(exclude: set[int], per_section: int = 5,
                   shown_stories: set[int] | None = None,
                   top_stories_ids: set[int] | None = None) -> list[SectionBlock]:
    """Each navigation section's latest articles; sections with none are left out.

    ``shown_stories`` and ``top_stories_ids`` as in ``latest_for_visitors``.
    """
    shown_stories = set() if shown_stories is None else shown_stories
    blocks = []
    for section in Section.objects.filter(in_navigation=True):
        latest = in_section(section, per_section * 4 + len(exclude))
        articles = stories.take_distinct([a for a in latest if a.pk not in exclude],
                                         per_section, shown_stories)
        if not articles:
            articles = [a for a in latest
                        if a.story_id not in (top_stories_ids or set())][:per_section]
        if articles:
            blocks.append(SectionBlock(section, articles))
    return blocks


FRONT_PAGE_SECONDS = 60  # the shared blocks of the home page are worked out once a minute


@dataclass
class FrontPage:
    """The home page's blocks that are the same for every reader: worked out once, cached."""

    top_stories: list[Article]
    our_picks: list[ShownPick]
    section_blocks: list[SectionBlock]
    key: str  # names this version in the rendered fragments' cache keys

    @property
    def articles(self) -> list[Article]:
        blocks = [a for block in self.section_blocks for a in block.articles]
        return [*self.top_stories, *(p.article for p in self.our_picks), *blocks]

    @property
    def top_story_ids(self) -> set[int]:
        return {a.story_id for a in self.top_stories if a.story_id}


def front_page() -> FrontPage:
    """Top stories, Our Picks and the section boxes; no story in two of them.

    Cached for FRONT_PAGE_SECONDS under the pages' generation, so an edit shows at once.
    """
    key = f"web:front-page:{generation()}"
    front = cache.get(key)
    if front is None:
        front = _front_page(f"{generation()}-{timezone.now().timestamp():.0f}")
        cache.set(key, front, FRONT_PAGE_SECONDS)
    return front


def _front_page(key: str) -> FrontPage:
    """The editors' picks stand: a picked story is not repeated in Top stories."""
    chosen = shown_picks()
    picked = {p.article.pk for p in chosen}
    picked_stories = {p.article.story_id for p in chosen if p.article.story_id}
    top = [a for a in home_top_stories()
           if a.pk not in picked and a.story_id not in picked_stories]
    shown = {a.pk for a in top} | picked
    top_ids = {a.story_id for a in top if a.story_id}
    shown_stories = top_ids | picked_stories  # grows as each box takes its stories
    blocks = section_blocks(shown, shown_stories=shown_stories, top_stories_ids=top_ids)
    front = FrontPage(top, chosen, blocks, key)
    decorate(front.articles)
    return front


@dataclass
class FollowedTopic:
    """A followed topic as the Following page lists it."""

    label: str
    value: str  # what the follow stores: a topic's slug, or the reader's own words
    topic: Topic | None  # the known topic, when it is one
    articles: list[Article]


def followed_topic(value: str, user, limit: int = 5) -> FollowedTopic:
    """A followed topic's latest: a known topic's stories, else a search for the words."""
    topic, _ = stories.topic_by_slug(value)
    if topic is not None:
        return FollowedTopic(topic.name, value, topic, stories.topic_latest(topic, limit))
    return FollowedTopic(value, value, None, topic_articles(value, user, limit))


def topic_articles(topic: str, user, limit: int = 5) -> list[Article]:
    """The latest articles with these words, each syndicated copy shown as its original."""
    found = search(topic, order="newest", per_page=limit, user=user, snippets=False,
                   fold_copies=True)
    return [r.article for r in found.results]
