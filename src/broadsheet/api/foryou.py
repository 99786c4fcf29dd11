"""For you in the JSON API, mounted at /api/v1/for-you (token or session).

The same ranking as the home page's box and the For you page, each item an article summary as
in the other lists plus its story and the reason it is there. The reader steers it: "show
fewer" of a section, publisher or topic, see what has been learned, remove any of it, reset.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from pydantic import Field

from broadsheet.curation import interests
from broadsheet.curation.foryou import ForYouItem, for_you
from broadsheet.curation.models import Fewer, Interest
from broadsheet.curation.targets import feature_for
from broadsheet.readers.models import Follow
from broadsheet.stories.queries import attach_carriers

from . import present, schemas
from .auth import ReaderAuth, reader_of
from .stories import articles_of, story_out

router = Router(tags=["for you"])
signed_in = ReaderAuth()
MAX_ITEMS = 50
KINDS = ("section", "publisher", "topic")


class Reason(Schema):
    kind: str = Field(description="read | follow | topic | section | publisher | top | pick")
    text: str = Field(description='Shown on the card, e.g. "Because you read about Sport"')


class ForYouOut(schemas.ArticleSummary):
    reason: Reason
    story: schemas.StoryOut | None = Field(description="The story the article stands for")


class ForYouPage(Schema):
    items: list[ForYouOut]


class FewerIn(schemas.Body):
    section: str | None = None
    publisher: str | None = None
    topic: str | None = None


class Target(Schema):
    kind: str
    slug: str
    name: str


class LearnedOut(Target):
    weight: float = Field(description="Relative to the strongest interest (1)")
    reads: int = Field(description="Articles read that taught it")
    text: str = Field(description='In words, e.g. "You read about Sport a lot"')


class Profile(Schema):
    interests: list[LearnedOut]
    follows: list[Target]
    fewer: list[Target]


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ["body", "payload", field], "msg": message,
                             "type": "value_error"}])


def item_out(user, item: ForYouItem, story_articles: dict) -> dict:
    summary = present.article_summary(user, item.article)[0]
    story = (story_out(user, item.story, story_articles.get(item.story.pk, []))
             if item.story is not None else None)
    return {**summary, "reason": item.reason.as_dict(), "story": story}


@router.get("", response={200: ForYouPage, 401: schemas.Error}, auth=signed_in,
            summary="The reader's For you, best first, each with its reason")
def get_for_you(request: HttpRequest,
                limit: int = Query(10, ge=1, le=MAX_ITEMS, description="How many")) -> dict:
    reader = reader_of(request)
    items = for_you(reader, limit)
    attach_carriers([i.article for i in items])
    story_articles = articles_of([i.story.pk for i in items if i.story is not None])
    return {"items": [item_out(reader, i, story_articles) for i in items]}


@router.post("/fewer", response={200: Target, 401: schemas.Error, 422: schemas.Error},
             auth=signed_in, summary="Show fewer like this: a section, publisher or topic")
def post_fewer(request: HttpRequest, payload: FewerIn) -> dict:
    given = [(kind, getattr(payload, kind)) for kind in KINDS if getattr(payload, kind)]
    if len(given) != 1:
        raise _invalid("section", "give exactly one of section, publisher or topic")
    kind, slug = given[0]
    feature = feature_for(kind, slug)
    if feature is None:
        raise _invalid(kind, f"no {kind} {slug!r}")
    fewer = interests.show_fewer(reader_of(request), feature)
    return {"kind": fewer.kind, "slug": fewer.key, "name": fewer.label}


@router.get("/profile", response={200: Profile, 401: schemas.Error}, auth=signed_in,
            summary="What Broadsheet has learned about the reader")
def get_profile(request: HttpRequest) -> dict:
    return profile_out(reader_of(request))


def profile_out(user) -> dict:
    follows = []
    for follow in Follow.objects.filter(user=user).select_related("publisher", "section"):
        if follow.publisher is not None:
            follows.append(("publisher", follow.publisher.slug, follow.publisher.name))
        elif follow.section is not None:
            follows.append(("section", follow.section.slug, follow.section.name))
        elif follow.topic:
            follows.append(("topic", follow.topic, follow.topic))
    return {
        "interests": [{"kind": i.kind, "slug": i.key, "name": i.label, "weight": i.weight,
                       "reads": i.reads, "text": i.text} for i in interests.profile(user)],
        "follows": [{"kind": k, "slug": s, "name": n} for k, s, n in follows],
        "fewer": [{"kind": f.kind, "slug": f.key, "name": f.label}
                  for f in Fewer.objects.filter(user=user)],
    }


@router.delete("/profile", response={204: None, 401: schemas.Error}, auth=signed_in,
               summary="Reset: forget every interest and every \"show fewer\"")
def delete_profile(request: HttpRequest) -> Status:
    interests.reset(reader_of(request))
    return Status(204, None)


@router.delete("/profile/{kind}/{slug}", response={204: None, 401: schemas.Error,
                                                   404: schemas.Error},
               auth=signed_in, summary="Forget one interest, or one \"show fewer\"")
def delete_interest(request: HttpRequest, kind: str, slug: str) -> Status:
    if kind not in Interest.Kind.values:
        raise HttpError(404, f"No {kind} interests: kinds are {', '.join(KINDS)}.")
    reader = reader_of(request)
    forgot = interests.forget(reader, kind, slug)
    shown_again = interests.show_again(reader, kind, slug)
    if not (forgot or shown_again):
        raise HttpError(404, f"Nothing learned about {kind} {slug!r}.")
    return Status(204, None)
