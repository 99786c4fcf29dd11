"""The stories part of the JSON API, mounted at /api/v1/stories: Top stories and one story.

Articles appear as summaries whose standfirst passes the paywall like every other API answer;
whole bodies are read one article at a time from /api/v1/articles/{id}.
"""

from __future__ import annotations

from collections import Counter

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse
from ninja import Query, Router
from ninja.errors import HttpError

from broadsheet.articles.models import Article
from broadsheet.stories import queries
from broadsheet.stories.models import Story, Topic
from broadsheet.stories.ranking import top_stories

from . import present, schemas
from .auth import ReaderAuth, reader_or_visitor_of
from .openapi import open_to_visitors

router = Router(tags=["stories"])
reader_or_visitor = ReaderAuth(optional=True)
MAX_TOP = 50


def topic_ref(topic: Topic) -> dict:
    return {"slug": topic.slug, "name": topic.name, "kind": topic.kind}


def story_out(user, story: Story, articles: list[Article],
              topics: list[Topic] | None = None) -> dict:
    outlets: dict[int, dict] = {}
    for article in sorted(articles, key=lambda a: (a.published_at, a.pk)):
        outlets.setdefault(article.publisher_id, present.publisher_ref(article.publisher))
    lead = queries.representative(articles, story)
    sections = Counter(a.section for a in articles if a.section)
    return {
        "id": story.pk, "headline": story.title or (lead.title if lead else ""),
        "section": story.section, "language": story.language,
        "url": present.site_url(reverse("story", args=[story.pk])),
        "first_published_at": story.first_published_at,
        "last_published_at": story.last_published_at,
        "first_publisher": (present.publisher_ref(story.first_publisher)
                            if story.first_publisher else None),
        "article_count": story.article_count, "publisher_count": story.publisher_count,
        "score": story.score, "outlets": list(outlets.values()),
        "sections": [name for name, _ in sections.most_common()],
        "lead": present.article_summary(user, lead)[0] if lead else None,
        "topics": [topic_ref(t) for t in (topics if topics is not None else
                                          queries.topics_of([story.pk]).get(story.pk, []))],
    }


def articles_of(story_ids: list[int]) -> dict[int, list[Article]]:
    """Every article of these stories (no bodies beyond what a summary needs), one query."""
    found: dict[int, list[Article]] = {}
    rows = (Article.objects.filter(queries.shown_in_story(), story_id__in=story_ids)
            .select_related("publisher")
            .order_by("published_at", "id"))
    for article in rows:
        found.setdefault(article.story_id, []).append(article)
    return found


@router.get("/top", response=list[schemas.StoryOut],
            auth=reader_or_visitor, openapi_extra=open_to_visitors(),
            summary="Top stories now: ranked by coverage, freshness and growth")
def top(request: HttpRequest,
        limit: int = Query(10, ge=1, le=MAX_TOP, description="How many stories"),
        per_section: int = Query(3, ge=1, le=MAX_TOP,
                                 description="At most this many from one section")) -> list[dict]:
    stories = top_stories(limit=limit, per_section=per_section)
    articles = articles_of([s.pk for s in stories])
    topics = queries.topics_of([s.pk for s in stories])
    reader = reader_or_visitor_of(request)
    return [story_out(reader, story, articles.get(story.pk, []), topics.get(story.pk, []))
            for story in stories]


@router.get("/{int:story_id}", response={200: schemas.StoryDetail, 301: None,
                                         404: schemas.Error},
            auth=reader_or_visitor, openapi_extra=open_to_visitors(),
            summary="One story: every outlet's article, copies folded")
def get_story(request: HttpRequest, story_id: int):
    story, merged = queries.resolve_story(story_id)
    if story is None:
        raise HttpError(404, f"No story with id {story_id}.")
    if merged:  # merged into another story: its survivor answers from now on
        return HttpResponsePermanentRedirect(
            reverse("api:get_story", kwargs={"story_id": story.pk}))
    limit = queries.MAX_COVERAGE_ARTICLES  # as the story page: the earliest this many
    articles = list(story.articles.filter(queries.shown_in_story()).select_related("publisher")
                    .order_by("published_at", "id")[:limit + 1])
    truncated = len(articles) > limit
    articles = articles[:limit]
    reader = reader_or_visitor_of(request)
    data = story_out(reader, story, articles)
    data["truncated"] = truncated
    by_id = {a.pk: a for a in articles}
    entries: dict[int, dict] = {}
    for article in articles:  # originals first (oldest first), then copies under them
        if article.duplicate_of_id not in by_id:
            entries[article.pk] = {**present.article_summary(reader, article)[0],
                                   "copies": []}
    for article in articles:
        if article.duplicate_of_id in by_id:
            summary = present.article_summary(reader, article)[0]
            if article.duplicate_of_id in entries:
                entries[article.duplicate_of_id]["copies"].append(summary)
            else:  # a copy of a copy: listed on its own rather than lost
                entries[article.pk] = {**summary, "copies": []}
    data["articles"] = list(entries.values())
    return data


MAX_TOPIC_STORIES = 50
topics_router = Router(tags=["topics"])


@topics_router.get("/{slug}", response={200: schemas.TopicOut, 301: None, 404: schemas.Error},
                   auth=reader_or_visitor, openapi_extra=open_to_visitors(),
                   summary="A topic and its most recent stories")
def get_topic(request: HttpRequest, slug: str,
              limit: int = Query(20, ge=1, le=MAX_TOPIC_STORIES,
                                 description="How many stories"),
              ) -> dict | HttpResponsePermanentRedirect:
    topic, merged = queries.topic_by_slug(slug)
    if topic is None:
        raise HttpError(404, f"No topic '{slug}'.")
    if merged:
        return HttpResponsePermanentRedirect(reverse("api:get_topic",
                                                     kwargs={"slug": topic.slug}))
    leads = queries.topic_latest(topic, limit)
    stories = [lead.coverage for lead in leads]
    articles = articles_of([s.pk for s in stories])
    topics = queries.topics_of([s.pk for s in stories])
    reader = reader_or_visitor_of(request)
    return {**topic_ref(topic),
            "url": present.site_url(reverse("topic", args=[topic.slug])),
            "feed_url": present.site_url(reverse("feed_topic", args=[topic.slug])),
            "stories": [story_out(reader, s, articles.get(s.pk, []), topics.get(s.pk, []))
                        for s in stories]}
