"""Topics on stories, stored: the topic stage's finds resolved to one Topic per entity.

Runs with the cluster stage whenever a story's articles change (``refresh_stories``). Each
story's topics are worked out from its originals' headlines and openings (``topics``), then
matched to the topics already known by their normalised names (``TopicAlias``), so "Trump" in
one story and "Donald Trump" in another are one topic. A topic an editor hid is never given;
one an editor merged leads to its survivor.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models.functions import Substr
from django.utils.text import slugify

from broadsheet.articles.models import Article

from .models import Story, StoryTopic, Topic, TopicAlias
from .topics import TEXT_CHARS, FoundTopic, TopicDoc, story_topics, topic_key

TOPICS_PER_STORY = 8
ARTICLES_READ = 12  # a story's earliest originals say what it is about


def tag_stories(story_ids: Iterable[int]) -> int:
    """Work out and store the topics of these stories; returns how many were tagged.

    A story merged into another, or left without articles, loses its topics.
    """
    story_ids = list(story_ids)
    stories = {s.pk: s for s in Story.objects.filter(pk__in=story_ids,
                                                     merged_into__isnull=True)}
    found = {pk: story_topics(docs, limit=TOPICS_PER_STORY)
             for pk, docs in _documents(list(stories)).items()}
    topics = _resolve([topic for finds in found.values() for topic in finds])
    rows = []
    for pk, finds in found.items():
        seen: set[int] = set()
        for find in finds:
            topic = topics.get(topic_key(find.name))
            if topic is None or topic.pk in seen:
                continue
            seen.add(topic.pk)
            rows.append(StoryTopic(story_id=pk, topic=topic, weight=find.weight,
                                   last_published_at=stories[pk].last_published_at))
    with transaction.atomic():
        StoryTopic.objects.filter(story_id__in=story_ids).delete()
        StoryTopic.objects.bulk_create(rows)
    return len(found)


def _documents(story_ids: list[int]) -> dict[int, list[TopicDoc]]:
    """Each story's earliest originals (not editor-hidden), as the topic stage reads them."""
    docs: dict[int, list[TopicDoc]] = {}
    rows = (Article.objects.filter(story_id__in=story_ids, duplicate_of__isnull=True,
                                   hidden_at__isnull=True)
            .order_by("story_id", "published_at", "id")
            .annotate(opening=Substr("text", 1, TEXT_CHARS))
            .values_list("story_id", "title", "opening", "language"))
    for story_id, title, opening, language in rows:
        chosen = docs.setdefault(story_id, [])
        if len(chosen) < ARTICLES_READ:
            chosen.append(TopicDoc(title=title, text=opening or "", language=language or "en"))
    return docs


def _resolve(finds: list[FoundTopic]) -> dict[str, Topic]:
    """The stored topic for each find's key (made when new); hidden topics are left out."""
    keys = {topic_key(f.name) for f in finds} | {topic_key(a) for f in finds for a in f.aliases}
    keys.discard("")
    known = {alias.key: alias.topic for alias in
             TopicAlias.objects.filter(key__in=keys).select_related("topic")}
    resolved: dict[str, Topic] = {}
    for find in finds:
        key = topic_key(find.name)
        if not key or key in resolved:
            continue
        topic = known.get(key) or next((known[k] for k in map(topic_key, find.aliases)
                                        if k in known), None)
        if topic is None:
            topic = _create(find)
        topic = _survivor(topic)
        _remember(topic, [key, *map(topic_key, find.aliases)], known)
        if not topic.hidden:
            resolved[key] = topic
    return resolved


def _survivor(topic: Topic) -> Topic:
    for _ in range(10):
        if topic.merged_into_id is None:
            break
        topic = Topic.objects.get(pk=topic.merged_into_id)
    return topic


def _create(find: FoundTopic) -> Topic:
    base = (find.slug or slugify(find.name) or "topic")[:190]
    slug, n = base, 1
    while Topic.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    try:
        with transaction.atomic():
            return Topic.objects.create(name=find.name[:200], slug=slug, kind=find.kind)
    except IntegrityError:  # made meanwhile by another worker
        return Topic.objects.get(slug=slug)


def _remember(topic: Topic, keys: list[str], known: dict[str, Topic]) -> None:
    """Register the names this topic was found under (a name already taken stays where it is)."""
    new = [k for k in dict.fromkeys(keys) if k and k not in known]
    if not new:
        return
    TopicAlias.objects.bulk_create([TopicAlias(key=k[:200], topic=topic) for k in new],
                                   ignore_conflicts=True)
    for key in new:
        known[key] = topic
