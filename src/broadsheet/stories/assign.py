"""The cluster stage: every stored article joins a story, and syndicated copies find their original.

The clustering engine (``cluster.StoryClusterer``) and the near-duplicate index
(``dedupe.NearDuplicateIndex``) live in memory, one pair per language partition, in the process that
assigns stories. They are built from the database on first use (the active window's articles with
their stories, oldest first) and caught up on every run with what other processes assigned since.
A lock per partition, taken for each chunk's transaction (a PostgreSQL advisory lock; SQLite's
write lock), lets one process assign a partition at a time, and each catches up with what the
others assigned before it assigns, so concurrent workers never split a story. The lock ends with
its transaction, so a worker killed mid-chunk leaves neither a lock nor half a chunk behind.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from broadsheet import metrics
from broadsheet.articles.models import Article
from broadsheet.audit.models import EditorialAction
from broadsheet.db import update_rows

from . import tagging
from .cluster import ClusterConfig, StoryClusterer, StoryDoc, timestamp
from .dedupe import NearDuplicateIndex
from .headline import representative_headline
from .models import Story

log = logging.getLogger("broadsheet.stories")

CHUNK = 500
LOCK_SPACE = 0x42534153  # the advisory-lock namespace of story assignment ("BSAS")
DUPLICATE_WINDOW = timedelta(days=3)  # copies appear within hours of their original
SYNC_MARGIN = timedelta(minutes=5)  # tolerance for clocks that differ between machines
# Editors' changes to what belongs to which story; an engine built before one rebuilds.
DESK_ACTIONS = ("story.merge", "article.move", "article.takedown")


def partition_of(language: str) -> str:
    """Articles are assigned per primary language: "en-GB" and "EN" share a partition."""
    return (language or "").split("-")[0].split("_")[0].lower()[:8]


def _in_partition(partition: str) -> Q:
    if not partition:
        return Q(language="")
    return Q(language__iexact=partition) | Q(language__istartswith=f"{partition}-") | \
        Q(language__istartswith=f"{partition}_")


def _doc(article: Article) -> StoryDoc:
    return StoryDoc(id=str(article.pk), outlet=article.publisher.name,
                    published_at=article.published_at, title=article.title, text=article.text,
                    url=article.canonical_url)


@dataclass
class Partition:
    """One language's engine, index and how far they have caught up with the database."""

    name: str
    clusterer: StoryClusterer
    copies: NearDuplicateIndex
    synced_to: datetime | None = None
    desk_version: int = 0  # the newest desk change the engine was built with
    created: list[int] = field(default_factory=list)  # stories created by the running chunk
    # Originals found to be reprints of an earlier article in the running chunk: old -> new.
    repointed: dict[int, int] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, config: ClusterConfig | None = None) -> Partition:
        partition: Partition
        clusterer = StoryClusterer(config, new_story_id=lambda: partition._new_story())
        copies = NearDuplicateIndex(window_days=DUPLICATE_WINDOW.total_seconds() / 86400)
        partition = cls(name, clusterer, copies, desk_version=desk_version())
        partition._load_window()
        for story in Story.objects.filter(kept_by_desk=True, merged_into__isnull=True,
                                          language=name).values_list("pk", flat=True):
            clusterer.keep(str(story))
        return partition

    def _new_story(self) -> str:
        now = timezone.now()
        story = Story.objects.create(language=self.name, first_published_at=now,
                                     last_published_at=now)
        self.created.append(story.pk)
        return str(story.pk)

    def _load_window(self) -> int:
        """Load the assigned articles of the engine's window (up to the newest one)."""
        newest = (Article.objects.filter(_in_partition(self.name), story__isnull=False)
                  .order_by("-published_at").values_list("published_at", flat=True).first())
        if newest is None:
            return 0
        window = timedelta(days=self.clusterer.config.window_days)
        return self._load(Article.objects.filter(
            _in_partition(self.name), story__isnull=False, published_at__gte=newest - window))

    def _load(self, queryset) -> int:
        """Insert already-assigned articles into the engine (originals into the index too)."""
        loaded = 0
        for article in (queryset.select_related("publisher")
                        .order_by("published_at", "id").iterator(2000)):
            if self.clusterer.story_of(str(article.pk)) is not None:
                continue
            self.clusterer.add(_doc(article), str(article.story_id))
            if article.story_pinned_at is not None:
                self.clusterer.pin(str(article.pk))
            if article.duplicate_of_id is None:
                self.copies.add(str(article.pk), article.text, article.published_at)
            if article.story_assigned_at and (self.synced_to is None
                                              or article.story_assigned_at > self.synced_to):
                self.synced_to = article.story_assigned_at
            loaded += 1
        return loaded

    def catch_up(self) -> int:
        """Learn what other processes assigned in this partition since we last looked."""
        if self.synced_to is None:
            return self._load_window()
        return self._load(Article.objects.filter(
            _in_partition(self.name), story__isnull=False,
            story_assigned_at__gte=self.synced_to - SYNC_MARGIN))

    def assign(self, articles: list[Article]) -> list[tuple[int, int, int | None]]:
        """(article id, story id, original id or None) for each article, in order.

        A copy joins its original's story. An article published before the original it copies
        (a backfill, a slow feed) joins it too, but as the original: ``repointed`` records the
        change for the database.
        """
        results = []
        for article in articles:
            doc = _doc(article)
            body = self.copies.signature(article.text)
            original = self.copies.find_original(article.text, body) if body else None
            story = self.clusterer.story_of(original) if original else None
            if story is None or not original:  # a story is only found for an original
                original = None
                story = self.clusterer.assign(doc)
                if body:
                    self.copies.add(doc.id, article.text, article.published_at, body)
            else:
                self.clusterer.add(doc, story)  # a copy belongs to its original's story
                ts = timestamp(article.published_at)
                if ts is not None and ts < self.copies.published(original):
                    self.repointed[int(original)] = article.pk
                    self.copies.add(doc.id, article.text, article.published_at, body)
                    original = None
            results.append((article.pk, int(story), int(original) if original else None))
        return results


class StaleEngine(Exception):
    """The in-memory engine refers to stories the database no longer has."""


_partitions: dict[str, Partition] = {}


def assign_pending(languages: Iterable[str] | None = None) -> int:
    """Assign every article without a story; returns how many were assigned here.

    Processes that assign the same partition take turns, one chunk transaction at a time
    (:func:`serialise`), and each catches up with the others' assignments first.
    """
    if languages is None:
        languages = (Article.objects.filter(story__isnull=True)
                     .values_list("language", flat=True).distinct())
    assigned = 0
    for name in sorted({partition_of(language) for language in languages}):
        assigned += _assign_partition(name)
    return assigned


def serialise(name: str) -> None:
    """Hold partition ``name``'s assignment lock until the running transaction ends.

    On PostgreSQL a transaction-level advisory lock: released at commit, rollback, or when a
    killed worker's connection closes, so it never outlives its holder. SQLite's write
    transactions start IMMEDIATE and so already run one at a time.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                       [LOCK_SPACE, zlib.crc32(name.encode()) - 2**31])


def desk_version() -> int:
    """The newest editor's change to story membership (merge, move, takedown)."""
    return (EditorialAction.objects.filter(action__in=DESK_ACTIONS)
            .aggregate(newest=Max("id"))["newest"] or 0)


def current_partition(name: str) -> Partition:
    """The partition's engine, rebuilt when an editor changed stories since it was built."""
    partition = _partitions.get(name)
    if partition is None or partition.desk_version != desk_version():
        partition = _partitions[name] = Partition.build(name)
        return partition
    partition.catch_up()
    return partition


def _assign_partition(name: str) -> int:
    assigned = 0
    while True:
        try:
            with transaction.atomic():
                serialise(name)
                partition = current_partition(name)
                count = _assign_chunk(partition)
            metrics.stories_assigned(count, len(partition.created))
        except StaleEngine:
            # Stories the engine knew were removed or merged meanwhile: start again from the
            # database.
            log.warning("rebuilding the story engine for %r", name or "undetermined")
            _partitions.pop(name, None)
            continue
        except Exception:
            # The engine has moved on without the database: rebuild it from the database next time.
            _partitions.pop(name, None)
            raise
        if not count:
            return assigned
        assigned += count


def _assign_chunk(partition: Partition) -> int:
    """Assign the partition's next chunk of articles without a story, inside the caller's
    transaction and lock; returns how many."""
    pending = list(Article.objects.filter(_in_partition(partition.name), story__isnull=True)
                   .select_related("publisher").order_by("published_at", "id")[:CHUNK])
    partition.created = []
    if not pending:
        return 0
    partition.repointed = {}
    results = partition.assign(pending)
    stories = {story for _, story, _ in results}
    live = Story.objects.filter(pk__in=stories, merged_into__isnull=True).count()
    if live != len(stories):
        raise StaleEngine(f"stories of partition {partition.name!r} were removed meanwhile")
    now = timezone.now()
    _save_assignments(results, now)
    _repoint_copies(partition.repointed)
    refresh_stories(stories)
    partition.synced_to = now
    return len(results)


def _save_assignments(results: list[tuple[int, int, int | None]], now: datetime) -> None:
    rows = [Article(pk=article, story_id=story, duplicate_of_id=original, story_assigned_at=now)
            for article, story, original in results]
    update_rows(Article, rows, ["story", "duplicate_of", "story_assigned_at"])


def _repoint_copies(repointed: dict[int, int]) -> None:
    """Make each former original, and its copies, copies of the earlier article (in order)."""
    for old, new in repointed.items():
        (Article.objects.filter(Q(pk=old) | Q(duplicate_of_id=old)).exclude(pk=new)
         .update(duplicate_of_id=new))


def refresh_stories(story_ids: Iterable[int]) -> None:
    """Recompute each story's headline, times, counts, outlets, section and topics from its
    articles.

    A few queries and bulk writes, however many stories changed.
    """
    tagging.tag_stories(summarise_stories(story_ids))


def summarise_stories(story_ids: Iterable[int]) -> list[int]:
    """Recompute each story's headline, times, counts, outlets and section, leaving its topics
    as they are; returns the stories' ids (a merged or emptied one's too, so that its topics
    can go)."""
    stories = list(Story.objects.filter(pk__in=list(story_ids)))
    members: dict[int, list[Article]] = {}
    for article in (Article.objects.filter(story__in=stories).order_by("published_at", "id")
                    .only("story_id", "title", "summary", "section", "published_at",
                          "publisher_id", "duplicate_of_id")):
        members.setdefault(article.story_id, []).append(article)
    changed = []
    for story in stories:
        articles = members.get(story.pk)
        if not articles:
            continue  # merged away, or its articles were deleted; kept for its address
        originals = [a for a in articles if a.duplicate_of_id is None] or articles
        story.headline = representative_headline(originals)[:1000]
        story.first_published_at = articles[0].published_at
        story.last_published_at = articles[-1].published_at
        story.first_publisher_id = articles[0].publisher_id
        story.article_count = len(articles)
        story.publisher_count = len({a.publisher_id for a in articles})
        sections = Counter(a.section for a in articles if a.section)
        story.section = sections.most_common(1)[0][0] if sections else ""
        changed.append(story)
    update_rows(Story, changed, ["headline", "first_published_at", "last_published_at",
                                 "first_publisher", "article_count", "publisher_count", "section"])
    return [story.pk for story in stories]


def forget_engines() -> None:
    """Drop the in-memory engines (tests, and after merging stories in the database)."""
    _partitions.clear()


def loaded_partitions() -> list[str]:
    """The partitions whose engine this process holds (the ones its refinement may work on)."""
    return list(_partitions)


def holds_engine(name: str) -> bool:
    """Whether this process still holds ``name``'s engine (another may have dropped it)."""
    return name in _partitions


def forget_engine(name: str) -> None:
    """Drop one partition's engine, so that it is rebuilt from the database on next use."""
    _partitions.pop(name, None)
