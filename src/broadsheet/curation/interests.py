"""What For you learns about a reader, and the reader's control over it.

Each signal (a read, a save, a click from For you) is turned into features of the article read
(its publisher, its section, its story's topics) and added to the reader's interest in each,
at once: the ranker then reads a few dozen rows, never the reader's whole history. Weights
decay with a half-life of ``HALF_LIFE_DAYS``, so last month's obsession fades unless renewed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.stories.queries import topics_of

from .models import Fewer, ForYouReset, Interest, Section

HALF_LIFE_DAYS = 21.0
TOPICS_LEARNED = 5  # a story's most salient topics; the rest are too loose to teach anything
KEPT = 200  # interests kept per reader; the weakest are forgotten past this

# How much each signal teaches, in "articles read to the end" (see ``engagement``).
SAVE_WEIGHT = 1.5
CLICK_WEIGHT = 0.2


@dataclass(frozen=True)
class Feature:
    """Something an article is about that a reader can like: a topic, section or publisher."""

    kind: str
    key: str  # the slug
    label: str
    strength: float = 1.0  # how much of the article it describes (topics: salience)


def decayed(weight: float, since: datetime, now: datetime) -> float:
    """``weight`` as it stands at ``now``, having been set at ``since``."""
    days = max(0.0, (now - since).total_seconds() / 86400)
    return weight * math.pow(0.5, days / HALF_LIFE_DAYS)


def engagement(seconds: int, finished: bool) -> float:
    """How strongly a read says "I like this", from 0 (a glance) to 1 (read to the end)."""
    return min(1.0, 0.6 * min(seconds, 120) / 120 + (0.4 if finished else 0.0))


def section_of(article: Article) -> Section | None:
    """The section an article is filed under (its story's when it has none of its own)."""
    name = article.section or (article.story.section if article.story is not None else "")
    if not name:
        return None
    return Section.objects.filter(name__iexact=name).first()


def features_of(article: Article) -> list[Feature]:
    """The publisher, section and most salient topics of ``article``."""
    found = [Feature(Interest.Kind.PUBLISHER, article.publisher.slug, article.publisher.name)]
    section = section_of(article)
    if section is not None:
        found.append(Feature(Interest.Kind.SECTION, section.slug, section.name))
    if article.story_id:
        topics = topics_of([article.story_id]).get(article.story_id, [])[:TOPICS_LEARNED]
        for rank, topic in enumerate(topics):
            # Salience falls with rank: the story's main subject teaches most.
            found.append(Feature(Interest.Kind.TOPIC, topic.slug, topic.name, 1.0 / (1 + rank)))
    return found


def learn(user, article: Article, amount: float, now: datetime | None = None,
          counted: bool = True) -> None:
    """Add ``amount`` of interest in everything ``article`` is about.

    ``counted``: this is a new article for the reader (so each interest says how many taught it).
    """
    if amount <= 0:
        return
    now = now or timezone.now()
    for feature in features_of(article):
        _add(user, feature, amount * feature.strength, now, counted)
    _forget_weakest(user, now)


def _add(user, feature: Feature, amount: float, now: datetime, counted: bool) -> None:
    for _ in range(2):
        with transaction.atomic():
            row = (Interest.objects.select_for_update()
                   .filter(user=user, kind=feature.kind, key=feature.key).first())
            if row is None:
                try:
                    with transaction.atomic():
                        Interest.objects.create(user=user, kind=feature.kind, key=feature.key,
                                                label=feature.label, weight=amount,
                                                reads=1 if counted else 0, updated_at=now)
                    return
                except IntegrityError:
                    continue  # a parallel signal made it first: add to it
            row.weight = decayed(row.weight, row.updated_at, now) + amount
            row.updated_at = now
            row.label = feature.label
            row.reads += 1 if counted else 0
            row.save(update_fields=["weight", "updated_at", "label", "reads"])
            return


def _forget_weakest(user, now: datetime) -> None:
    rows = list(Interest.objects.filter(user=user).values_list("pk", "weight", "updated_at"))
    if len(rows) <= KEPT:
        return
    rows.sort(key=lambda r: decayed(r[1], r[2], now), reverse=True)
    Interest.objects.filter(pk__in=[pk for pk, _, _ in rows[KEPT:]]).delete()


def learn_from_read(user, article: Article, before: tuple[int, bool], after: tuple[int, bool],
                    now: datetime | None = None) -> None:
    """A read report: learn only what it adds to what this read already taught."""
    gained = engagement(*after) - engagement(*before)
    learn(user, article, gained, now, counted=before == (0, False))


def learn_from_save(user, article: Article) -> None:
    learn(user, article, SAVE_WEIGHT, counted=False)


def learn_from_click(user, article: Article) -> None:
    """The reader opened an article from For you: a small nudge, the read itself says more."""
    learn(user, article, CLICK_WEIGHT, counted=False)


# --- the reader's control ----------------------------------------------------------------------

@dataclass(frozen=True)
class Learned:
    """One interest as the reader's profile shows it."""

    kind: str
    key: str
    label: str
    weight: float  # as it stands now, 0..1 of the strongest
    reads: int

    @property
    def text(self) -> str:
        """In words: "You read about Vladimir Putin a lot", "You read Sport stories often"."""
        how = ("a lot" if self.weight >= 0.6 else "often" if self.weight >= 0.25
               else "now and then")
        if self.kind == Interest.Kind.TOPIC:
            return f"You read about {self.label} {how}"
        if self.kind == Interest.Kind.SECTION:
            return f"You read {self.label} stories {how}"
        return f"You read {self.label} {how}"


def profile(user, now: datetime | None = None) -> list[Learned]:
    """The reader's interests, strongest first, weights relative to the strongest."""
    now = now or timezone.now()
    rows = [(decayed(r.weight, r.updated_at, now), r) for r in Interest.objects.filter(user=user)]
    top = max((w for w, _ in rows), default=0.0) or 1.0
    rows.sort(key=lambda pair: (-pair[0], pair[1].kind, pair[1].key))
    return [Learned(r.kind, r.key, r.label, round(w / top, 4), r.reads) for w, r in rows]


def current_weights(user, now: datetime | None = None) -> dict[tuple[str, str], float]:
    """(kind, key) -> interest now, for the ranker."""
    now = now or timezone.now()
    return {(r.kind, r.key): decayed(r.weight, r.updated_at, now)
            for r in Interest.objects.filter(user=user)}


def forget(user, kind: str, key: str) -> bool:
    """Remove one learned interest; True when there was one."""
    deleted, _ = Interest.objects.filter(user=user, kind=kind, key=key).delete()
    return bool(deleted)


def show_fewer(user, feature: Feature) -> Fewer:
    """For you leaves this out from now on; what was learned of it is forgotten too."""
    forget(user, feature.kind, feature.key)
    fewer, _ = Fewer.objects.update_or_create(user=user, kind=feature.kind, key=feature.key,
                                              defaults={"label": feature.label})
    return fewer


def show_again(user, kind: str, key: str) -> bool:
    deleted, _ = Fewer.objects.filter(user=user, kind=kind, key=key).delete()
    return bool(deleted)


def reset(user, now: datetime | None = None) -> None:
    """Start again: no interests, no "fewer", and nothing read before now counts."""
    with transaction.atomic():
        Interest.objects.filter(user=user).delete()
        Fewer.objects.filter(user=user).delete()
        ForYouReset.objects.update_or_create(user=user, defaults={"at": now or timezone.now()})


def reset_at(user) -> datetime | None:
    row = ForYouReset.objects.filter(user=user).first()
    return row.at if row else None
