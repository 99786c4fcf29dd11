"""Following in the JSON API, mounted at /api/v1/follows (token or session).

What the Follow buttons and the Following page do: follow a publisher, a section or a topic (a
known topic by its slug or name, else any words, followed as a search), list the follows, stop
following, and read the latest from them all. Following feeds For you as on the site.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from pydantic import Field

from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow
from broadsheet.sources.models import Publisher
from broadsheet.stories import queries as stories
from broadsheet.stories.queries import attach_carriers
from broadsheet.web.queries import followed_latest
from broadsheet.web.views.reader import TOPIC_MAX_CHARS, clean_topic

from . import cursor, present, schemas
from .auth import ReaderAuth, reader_of

router = Router(tags=["follows"])
signed_in = ReaderAuth()
KINDS = ("publisher", "section", "topic")
MAX_LATEST = 50


class FollowIn(schemas.Body):
    publisher: str | None = Field(None, description="A publisher's slug, or…")
    section: str | None = Field(None, description="…a section's slug, or…")
    topic: str | None = Field(None, max_length=200, description=(
        f"…a topic: its slug or name, or any words (at most {TOPIC_MAX_CHARS} characters kept)"))


class FollowOut(Schema):
    id: int
    kind: Literal["publisher", "section", "topic"]
    slug: str = Field(description="The publisher's, section's or topic's slug; for words that "
                                  "are not a known topic, the words")
    name: str
    url: str = Field(description="Its page on this site (a search, for words)")
    feed_url: str | None = Field(description="This site's RSS feed of it (none for words)")
    followed_at: datetime


class FollowPage(schemas.CursorPage):
    items: list[FollowOut]


class FollowParams(cursor.PageParams):
    kind: Literal["publisher", "section", "topic"] | None = Field(
        None, description="Only follows of this kind")


class LatestPage(Schema):
    items: list[schemas.ArticleSummary]


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ["body", "payload", field], "msg": message,
                             "type": "value_error"}])


def follow_out(follow: Follow) -> dict:
    out = {"id": follow.pk, "kind": follow.kind, "followed_at": follow.created_at}
    feed: str | None
    if follow.kind == Follow.Kind.PUBLISHER:
        assert follow.publisher is not None  # a publisher follow names its publisher
        slug, name = follow.publisher.slug, follow.publisher.name
        url, feed = reverse("publication", args=[slug]), reverse("feed_publication", args=[slug])
    elif follow.kind == Follow.Kind.SECTION:
        assert follow.section is not None  # a section follow names its section
        slug, name = follow.section.slug, follow.section.name
        url, feed = reverse("section", args=[slug]), reverse("feed_section", args=[slug])
    else:
        topic = stories.topic_by_slug(follow.topic)[0]
        slug, name = follow.topic, topic.name if topic else follow.topic
        url = (reverse("topic", args=[topic.slug]) if topic
               else reverse("search") + "?" + urlencode({"q": follow.topic}))
        feed = reverse("feed_topic", args=[topic.slug]) if topic else None
    return {**out, "slug": slug, "name": name, "url": present.site_url(url),
            "feed_url": present.site_url(feed) if feed else None}


def _target(payload: FollowIn) -> tuple[str, dict]:
    """The kind and the Follow fields ``payload`` names; 422 naming the field otherwise."""
    given = [(kind, getattr(payload, kind)) for kind in KINDS
             if getattr(payload, kind) is not None]
    if len(given) != 1:
        raise _invalid("publisher", "give exactly one of publisher, section or topic")
    kind, value = given[0]
    if kind == "publisher":
        publisher = Publisher.objects.filter(slug=value).first()
        if publisher is None:
            raise _invalid(kind, f"no publisher {value!r}")
        return kind, {"publisher": publisher}
    if kind == "section":
        section = Section.objects.filter(slug=value).first()
        if section is None:
            raise _invalid(kind, f"no section {value!r}")
        return kind, {"section": section}
    text = clean_topic(value)
    if not text:
        raise _invalid(kind, "a topic needs a word or phrase")
    known = stories.topic_by_slug(text)[0] or stories.topic_named(text)
    return kind, {"topic": known.slug if known else text}


@router.get("", response={200: FollowPage, 400: schemas.Error, 401: schemas.Error},
            auth=signed_in, summary="What the reader follows, the latest followed first")
def list_follows(request: HttpRequest, params: Query[FollowParams]) -> dict:
    rows = Follow.objects.filter(user=reader_of(request)).select_related("publisher", "section")
    if params.kind:
        rows = rows.filter(kind=params.kind)
    return cursor.page(request, rows, params, "created_at",
                       lambda found: [follow_out(f) for f in found])


@router.post("", response={200: FollowOut, 201: FollowOut, 401: schemas.Error,
                           422: schemas.Error},
             auth=signed_in, summary="Follow a publisher, a section or a topic")
def follow(request: HttpRequest, payload: FollowIn) -> Status:
    reader = reader_of(request)
    kind, target = _target(payload)
    try:
        with transaction.atomic():
            row, created = Follow.objects.get_or_create(user=reader, kind=kind, **target)
    except IntegrityError:  # followed twice at once: followed either way
        row, created = Follow.objects.get(user=reader, kind=kind, **target), False
    return Status(201 if created else 200, follow_out(row))


@router.delete("/{int:follow_id}", response={204: None, 401: schemas.Error, 404: schemas.Error},
               auth=signed_in, summary="Stop following")
def unfollow(request: HttpRequest, follow_id: int) -> Status:
    deleted, _ = Follow.objects.filter(user=reader_of(request), pk=follow_id).delete()
    if not deleted:
        raise HttpError(404, f"No follow with id {follow_id}.")
    return Status(204, None)


@router.get("/latest", response={200: LatestPage, 401: schemas.Error}, auth=signed_in,
            summary="The latest from everything the reader follows, newest first")
def latest(request: HttpRequest,
           limit: int = Query(20, ge=1, le=MAX_LATEST, description="How many")) -> dict:
    reader = reader_of(request)
    articles = followed_latest(reader, limit)
    attach_carriers(articles)
    return {"items": [present.article_summary(reader, a)[0] for a in articles]}
