"""Topics on stories, stored: the topic stage's finds resolved to one Topic per entity.

Runs with the cluster stage whenever a story's articles change (``refresh_stories``). Each
story's topics are worked out from its originals' headlines and openings (``topics``), then
matched to the topics already known by their normalised names (``TopicAlias``), so "Trump" in
one story and "Donald Trump" in another are one topic. A topic an editor hid is never given;
one an editor merged leads to its survivor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber, Substr
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
    live = list(Story.objects.filter(pk__in=story_ids, merged_into__isnull=True)
                .values_list("pk", flat=True))
    found = {pk: story_topics(docs, limit=TOPICS_PER_STORY)
             for pk, docs in _documents(live).items()}
    store_topics(story_ids, found)
    return len(found)


def store_topics(story_ids: Iterable[int], found: Mapping[int, list[FoundTopic]]) -> None:
    """Replace these stories' topics by ``found`` (a story's finds, most salient first),
    resolved to stored topics; a story missing from ``found``, or merged, is left without."""
    story_ids = list(story_ids)
    published = dict(Story.objects.filter(pk__in=list(found), merged_into__isnull=True)
                     .values_list("pk", "last_published_at"))
    topics = _resolve([topic for pk, finds in found.items() if pk in published
                       for topic in finds])
    rows = []
    for pk, finds in found.items():
        seen: set[int] = set()
        for find in finds if pk in published else ():
            topic = topics.get(topic_key(find.name))
            if topic is None or topic.pk in seen:
                continue
            seen.add(topic.pk)
            rows.append(StoryTopic(story_id=pk, topic=topic, weight=find.weight,
                                   last_published_at=published[pk]))
    with transaction.atomic():
        StoryTopic.objects.filter(story_id__in=story_ids).delete()
        StoryTopic.objects.bulk_create(rows, batch_size=2000)


def _documents(story_ids: list[int]) -> dict[int, list[TopicDoc]]:
    """Each story's earliest originals (not editor-hidden), as the topic stage reads them."""
    docs: dict[int, list[TopicDoc]] = {}
    # Only the first ARTICLES_READ of each story leave the database: a story of hundreds of
    # articles costs no more than a small one, every time it changes.
    rows = (Article.objects.filter(story_id__in=story_ids, duplicate_of__isnull=True,
                                   hidden_at__isnull=True)
            .annotate(rank=Window(RowNumber(), partition_by=[F("story_id")],
                                  order_by=[F("published_at").asc(), F("id").asc()]))
            .filter(rank__lte=ARTICLES_READ)
            .annotate(opening=Substr("text", 1, TEXT_CHARS))
            .order_by("story_id", "rank")
            .values_list("story_id", "title", "opening", "language"))
    for story_id, title, opening, language in rows:
        docs.setdefault(story_id, []).append(
            TopicDoc(title=title, text=opening or "", language=language or "en"))
    return docs


def _resolve(finds: list[FoundTopic]) -> dict[str, Topic]:
    """The stored topic for each find's key (made when new); hidden topics are left out.

    A handful of queries for any number of finds: known names are read at once, new topics and
    the names they were found under are written in bulk.
    """
    names = {}  # each find's key -> every key it goes by, its own first
    first: dict[str, FoundTopic] = {}
    for find in finds:
        key = topic_key(find.name)
        if key and key not in first:
            first[key] = find
            names[key] = [k for k in dict.fromkeys([key, *map(topic_key, find.aliases)]) if k]
    wanted = {k for keys in names.values() for k in keys}
    known = {alias.key: alias.topic for alias in
             TopicAlias.objects.filter(key__in=wanted).select_related("topic")}
    topic_of: dict[str, Topic] = {}
    new: dict[str, FoundTopic] = {}
    claimed: dict[str, str] = {}  # a name -> the new find (by key) that claimed it first
    for key, keys in names.items():
        topic = next((known[k] for k in keys if k in known), None)
        if topic is not None:
            topic_of[key] = topic
        elif any(k in claimed for k in keys):  # the same entity, new in this batch
            claimed.setdefault(key, claimed[next(k for k in keys if k in claimed)])
        else:
            new[key] = first[key]
            claimed.update({k: key for k in keys})
    topic_of.update(_create(new))
    for key in names:
        if key not in topic_of:
            topic_of[key] = topic_of[claimed[key]]
    TopicAlias.objects.bulk_create(
        [TopicAlias(key=k[:200], topic=topic_of[key]) for key, keys in names.items()
         for k in keys if k not in known], ignore_conflicts=True)
    resolved = {key: _survivor(topic) for key, topic in topic_of.items()}
    return {key: topic for key, topic in resolved.items() if not topic.hidden}


def _survivor(topic: Topic) -> Topic:
    for _ in range(10):
        if topic.merged_into_id is None:
            break
        topic = Topic.objects.get(pk=topic.merged_into_id)
    return topic


def _create(new: dict[str, FoundTopic]) -> dict[str, Topic]:
    """Make the new topics (two queries), each under a slug of its own."""
    if not new:
        return {}
    bases = {key: (find.slug or slugify(find.name) or "topic")[:190]
             for key, find in new.items()}
    taken = set(Topic.objects.filter(slug__in=set(bases.values())).values_list("slug",
                                                                               flat=True))
    slugs: dict[str, str] = {}
    for key, base in bases.items():
        slug, n = base, 1
        while slug in taken or (slug != base and Topic.objects.filter(slug=slug).exists()):
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[key] = slug
    # Another worker may make one of them meanwhile: then its row is the topic.
    Topic.objects.bulk_create([Topic(name=new[key].name[:200], slug=slug, kind=new[key].kind)
                               for key, slug in slugs.items()], ignore_conflicts=True)
    made = Topic.objects.in_bulk(list(slugs.values()), field_name="slug")
    return {key: made[slug] for key, slug in slugs.items()}
