"""For you: recent stories ranked for one reader, each with the reason it is there.

Score = what the reader likes about the story (learned interests, decayed, and what they
follow) + its coverage breadth (the Top stories score) + freshness. Stories the reader has
read, and anything they asked to see fewer of, are left out. The first ten are kept varied:
no more than three from one section, topic or publisher, and at least one Top story. A reader
with no signal yet gets Top stories with Our Picks among them.

The home page's box, the For you page, the API and the daily briefing all call ``for_you``.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.publishers.models import Read
from broadsheet.readers.models import Follow, ReadingHistory
from broadsheet.stories.models import Story
from broadsheet.stories.queries import topic_by_slug, topics_of

from . import interests
from .candidates import Candidate, Pool, describe, extras, matching_words, pool
from .models import Fewer, ForYouReset, Interest

FIRST = 10  # the part of the list kept varied
PER_KIND_IN_FIRST = 3  # at most this many of the first ten share a section, topic or publisher
FOLLOW_BOOST = 1.0
COVERAGE_WEIGHT = 0.5
FRESHNESS_WEIGHT = 0.3
FRESH_HOURS = 12.0  # freshness halves every twelve hours
PICK_BOOST = 0.25
WEAK = 0.15  # an interest match below this does not make a reason
READ_MEMORY_DAYS = 30  # a story read within this is left out, however long it runs on
LATELY = timedelta(days=2)
LATELY_READS = 10
KEPT = 60  # a reader's ranking is kept this long (its first entries) between requests
KEPT_SECONDS = 300
KEPT_BUCKET_SECONDS = 300  # a kept ranking is never older than this, even on an old pool


@dataclass(frozen=True)
class Reason:
    kind: str  # read | follow | topic | section | publisher | top | pick
    text: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text}


@dataclass
class ForYouItem:
    article: Article
    story: Story | None
    reason: Reason
    section: tuple[str, str] | None  # (slug, name), for "Show fewer like this"
    topic: tuple[str, str] | None  # the story's main topic
    publisher: tuple[str, str]


@dataclass
class Signals:
    """What one reader has told us, read in a few small queries."""

    weights: dict[tuple[str, str], float]  # learned interests, normalised: strongest is 1
    follows: dict[tuple[str, str], str]  # (kind, slug) -> label
    fewer: set[tuple[str, str]]
    read_stories: set[int]
    read_articles: set[int]
    lately_read: dict[str, str]  # topic slug -> headline of the latest read about it (two days)
    words: dict[int, str]  # story id -> the followed words (free-text topics) it matches


    @property
    def empty(self) -> bool:
        return not self.weights and not self.follows and not self.words


def signals(user, now: datetime) -> Signals:
    since = now - timedelta(days=READ_MEMORY_DAYS)
    reset_at = interests.reset_at(user)
    if reset_at is not None and reset_at > since:
        since = reset_at
    raw = interests.current_weights(user, now)
    top = max(raw.values(), default=0.0)
    weights = {k: w / top for k, w in raw.items() if top and w / top > 0.01}
    follows: dict[tuple[str, str], str] = {}
    words: list[str] = []
    for follow in Follow.objects.filter(user=user).select_related("publisher", "section"):
        if follow.publisher is not None:
            follows[(Interest.Kind.PUBLISHER, follow.publisher.slug)] = follow.publisher.name
        elif follow.section is not None:
            follows[(Interest.Kind.SECTION, follow.section.slug)] = follow.section.name
        elif follow.topic:
            topic, _ = topic_by_slug(follow.topic)
            if topic is not None:
                follows[(Interest.Kind.TOPIC, topic.slug)] = topic.name
            else:
                words.append(follow.topic)
    fewer = set(Fewer.objects.filter(user=user).values_list("kind", "key"))
    read = set(Read.objects.filter(user=user, last_at__gte=since)
               .values_list("article_id", flat=True))
    read |= set(ReadingHistory.objects.filter(user=user, read_at__gte=since)
                .values_list("article_id", flat=True))
    read_stories = set(Article.objects.filter(pk__in=read, story__isnull=False)
                       .values_list("story_id", flat=True))
    return Signals(weights, follows, fewer, read_stories, read,
                   _lately_read(user, max(since, now - LATELY)), matching_words(words, now))


def _lately_read(user, since: datetime) -> dict[str, str]:
    """The main topics of the reader's last few reads: a story on one of them is "because you
    read" that article, the most specific reason there is."""
    recent = list(Read.objects.filter(user=user, last_at__gte=since)
                  .order_by("-last_at").values_list("article_id", flat=True)[:LATELY_READS])
    articles = Article.objects.filter(pk__in=recent, story__isnull=False).only("title",
                                                                               "story_id")
    by_id = {a.pk: a for a in articles}
    topics = topics_of({a.story_id for a in by_id.values()})
    found: dict[str, str] = {}
    for article_id in recent:  # newest first: the latest read about a topic names it
        article = by_id.get(article_id)
        if article is not None and topics.get(article.story_id):
            found.setdefault(topics[article.story_id][0].slug, article.title)
    return found


def signals_version(user) -> str:
    """A digest of everything the reader has told us, in one query: it changes with every
    read, save, click, follow, "show fewer", forgotten interest and reset, so a kept ranking
    is never used after the reader has done something that should change it."""
    tables = [(Interest, "updated_at"), (Fewer, "created_at"), (Follow, "id"),
              (Read, "last_at"), (ReadingHistory, "read_at"), (ForYouReset, "at")]
    parts = []
    for model, column in tables:
        where = f"FROM {model._meta.db_table} WHERE user_id = %s"
        parts += [f"(SELECT COUNT(*) {where})", f"(SELECT MAX({column}) {where})"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), [user.pk] * len(parts))
        row = cursor.fetchone()
    return hashlib.blake2b(repr(row).encode(), digest_size=12).hexdigest()


def for_you(user, limit: int = 10, now: datetime | None = None) -> list[ForYouItem]:
    """The reader's For you, best first; Top stories and Our Picks for a visitor.

    A reader's ranking is kept in the cache while the shared pool, the reader's signals and
    the five minutes it was made in are the same: most pages then cost one small query and
    the cards' own. Takedowns still count at once (``_materialise`` checks every card)."""
    now = now or timezone.now()
    shared = pool(now)
    if not getattr(user, "is_authenticated", False):
        return _materialise(_starter(shared, None), shared, limit)
    bucket = int(now.timestamp() // KEPT_BUCKET_SECONDS)
    key = f"curation:for-you:{user.pk}:{shared.stamp}:{bucket}:{signals_version(user)}"
    ranked = cache.get(key) if limit <= KEPT else None
    if ranked is None:
        ranked = _rank(user, shared, now)
        cache.set(key, ranked[:max(KEPT, limit)], KEPT_SECONDS)
    return _materialise(ranked, shared, limit)


def _rank(user, shared: Pool, now: datetime) -> list[tuple[Candidate, Reason]]:
    """The reader's whole ranking, worked out afresh."""
    mine = signals(user, now)
    candidates = dict(shared.candidates)
    if not mine.empty:
        liked = sorted(mine.weights, key=lambda interest: mine.weights[interest],
                       reverse=True)[:30]
        wanted = [*liked, *mine.follows]
        for candidate in extras([k for kind, k in wanted if kind == Interest.Kind.TOPIC],
                                [k for kind, k in wanted if kind == Interest.Kind.PUBLISHER],
                                _section_names(shared, wanted), set(candidates), now):
            candidates[candidate.key] = candidate
        for candidate in describe({pk for pk in mine.words if f"s{pk}" not in candidates}):
            candidates[candidate.key] = candidate
    allowed = [c for c in candidates.values() if _allowed(c, mine)]
    if mine.empty:
        return _starter(shared, allowed)
    ranked = sorted((_weigh(c, mine, shared, now) for c in allowed),
                    key=lambda pair: (-pair[0], -pair[1].published_at.timestamp(),
                                      pair[1].key))
    return _varied(ranked, shared)


def _section_names(shared: Pool, wanted: list[tuple[str, str]]) -> list[str]:
    names = {c.section[0]: c.section[1] for c in shared.candidates.values() if c.section}
    return [names[key] for kind, key in wanted if kind == Interest.Kind.SECTION and key in names]


def _allowed(candidate: Candidate, mine: Signals) -> bool:
    if candidate.story_id in mine.read_stories or candidate.article_id in mine.read_articles:
        return False
    return not any(feature in mine.fewer for feature in _features(candidate))


def _features(candidate: Candidate) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = [(Interest.Kind.PUBLISHER, candidate.publisher[0])]
    if candidate.section:
        found.append((Interest.Kind.SECTION, candidate.section[0]))
    found += [(Interest.Kind.TOPIC, slug) for slug, _ in candidate.topics[:3]]
    return found


def _weigh(c: Candidate, mine: Signals, shared: Pool,
           now: datetime) -> tuple[float, Candidate, Reason]:
    """The candidate's score for this reader and the reason it is there."""
    parts: list[tuple[float, Reason]] = []
    if c.story_id in mine.words:
        words = mine.words[c.story_id]
        parts.append((FOLLOW_BOOST, Reason("follow", f"Because you follow {words}")))
    parts += _topic_parts(c, mine)
    parts += _section_parts(c, mine)
    parts += _publisher_parts(c, mine)
    liking = sum(w for w, _ in parts)
    coverage = c.score / shared.max_score if shared.max_score else 0.0
    hours = max(0.0, (now - c.published_at).total_seconds() / 3600)
    freshness = math.pow(0.5, hours / FRESH_HOURS)
    score = liking + COVERAGE_WEIGHT * coverage + FRESHNESS_WEIGHT * freshness
    if c.pick_note is not None:
        score += PICK_BOOST
    best = max(parts, key=lambda p: p[0], default=None)
    if best is not None and best[0] >= WEAK:
        return score, c, best[1]
    return score, c, _editorial_reason(c)


def _topic_parts(c: Candidate, mine: Signals) -> list[tuple[float, Reason]]:
    """Followed and often-read topics, each weighed by how central it is to the story."""
    parts: list[tuple[float, Reason]] = []
    for rank, (slug, name) in enumerate(c.topics):
        salience = 1.0 / (1 + rank)
        if (Interest.Kind.TOPIC, slug) in mine.follows:
            parts.append((FOLLOW_BOOST * salience, Reason("follow", f"Because you follow {name}")))
        weight = mine.weights.get((Interest.Kind.TOPIC, slug), 0.0) * salience
        if weight and slug in mine.lately_read and rank == 0:
            title = mine.lately_read[slug]
            parts.append((weight, Reason("read", f"Because you read “{title}”")))
        elif weight:
            parts.append((weight, Reason("topic", f"Because you read about {name}")))
    return parts


def _section_parts(c: Candidate, mine: Signals) -> list[tuple[float, Reason]]:
    """The story's section, when the reader follows it or reads it often."""
    if not c.section:
        return []
    parts: list[tuple[float, Reason]] = []
    slug, name = c.section
    if (Interest.Kind.SECTION, slug) in mine.follows:
        parts.append((FOLLOW_BOOST, Reason("follow", f"Because you follow {name}")))
    weight = mine.weights.get((Interest.Kind.SECTION, slug), 0.0)
    if weight:
        parts.append((weight, Reason("section", f"Because you read {name}")))
    return parts


def _publisher_parts(c: Candidate, mine: Signals) -> list[tuple[float, Reason]]:
    """Any followed outlet covering the story, and the lead publisher when read often."""
    parts: list[tuple[float, Reason]] = []
    slug, name = c.publisher
    if any((Interest.Kind.PUBLISHER, outlet) in mine.follows for outlet in c.outlets):
        followed = mine.follows.get((Interest.Kind.PUBLISHER, slug)) or next(
            mine.follows[(Interest.Kind.PUBLISHER, o)] for o in c.outlets
            if (Interest.Kind.PUBLISHER, o) in mine.follows)
        parts.append((FOLLOW_BOOST, Reason("follow", f"Because you follow {followed}")))
    weight = mine.weights.get((Interest.Kind.PUBLISHER, slug), 0.0)
    if weight:
        parts.append((weight, Reason("publisher", f"Because you often read {name}")))
    return parts


def _editorial_reason(c: Candidate) -> Reason:
    if c.pick_note is not None:
        return Reason("pick", f"Our Picks: {c.pick_note}" if c.pick_note else "Our Picks")
    if c.top_rank is not None:
        return Reason("top", "Top story now")
    outlets = len(c.outlets)
    return Reason("top", f"Covered by {outlets} outlets now" if outlets > 1 else "New in the news")


def _starter(shared: Pool, allowed: list[Candidate] | None) -> list[tuple[Candidate, Reason]]:
    """Top stories with Our Picks among them (every third place), then the best of the rest."""
    keep = None if allowed is None else {c.key for c in allowed}
    top = [shared.candidates[k] for k in shared.top if keep is None or k in keep]
    picked = [shared.candidates[k] for k in shared.picked
              if (keep is None or k in keep) and shared.candidates[k] not in top]
    chosen: list[tuple[Candidate, Reason]] = []
    while top or picked:
        if picked and (len(chosen) % 3 == 1 or not top):
            chosen.append((pick := picked.pop(0), _editorial_reason(pick)))
        else:
            chosen.append((top.pop(0), Reason("top", "Top story now")))
    seen = {c.key for c, _ in chosen}
    rest = [c for c in (allowed if allowed is not None else shared.candidates.values())
            if c.key not in seen]
    rest.sort(key=lambda c: (-c.score, -c.published_at.timestamp(), c.key))
    return chosen + [(c, _editorial_reason(c)) for c in rest]


def _varied(ranked: list[tuple[float, Candidate, Reason]],
            shared: Pool) -> list[tuple[Candidate, Reason]]:
    """The ranking with its first ten kept varied and holding at least one Top story."""
    first: list[tuple[Candidate, Reason]] = []
    later: list[tuple[Candidate, Reason]] = []
    counts: Counter = Counter()
    for _, candidate, reason in ranked:
        features = _features(candidate)
        if len(first) < FIRST and all(counts[f] < PER_KIND_IN_FIRST for f in features):
            first.append((candidate, reason))
            counts.update(features)
        else:
            later.append((candidate, reason))
    if len(first) < FIRST:  # too few kinds of news to keep it varied: fill in order
        first, later = first + later[:FIRST - len(first)], later[FIRST - len(first):]
    if shared.top and not any(c.top_rank is not None for c, _ in first):
        best = next((pair for pair in later if pair[0].top_rank is not None), None)
        if best is not None:
            later.remove(best)
            if len(first) >= FIRST:
                later.insert(0, first.pop())
            first.append((best[0], Reason("top", "Top story now")))
    return first + later


def _materialise(chosen: list[tuple[Candidate, Reason]], shared: Pool,
                 limit: int) -> list[ForYouItem]:
    """Cards for the first ``limit`` candidates: their articles and stories, in two queries."""
    chosen = chosen[:limit]
    articles = Article.objects.select_related("publisher", "story").in_bulk(
        [c.article_id for c, _ in chosen])
    items = []
    for candidate, reason in chosen:
        article = articles.get(candidate.article_id)
        # The shared pool may be a minute old: an editor's hiding counts at once.
        if (article is None or article.hidden_at is not None
                or (article.story is not None and article.story.hidden_at is not None)):
            continue
        if article.story is not None:
            article.coverage = article.story
        items.append(ForYouItem(article, article.story, reason, candidate.section,
                                candidate.topics[0] if candidate.topics else None,
                                candidate.publisher))
    return items

