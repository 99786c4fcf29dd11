"""Shapes of the JSON API's answers (also the OpenAPI document at /api/v1/openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import BaseModel, Field, field_validator


class Body(BaseModel):
    """A request body: a JSON object whose fields are checked.

    A pydantic model, not ninja's ``Schema``: ``Schema`` reads fields as attributes of whatever
    it is given (so that it can take ORM objects), which would let a list, a string or a number
    through as an object with every field left out."""


class Error(Schema):
    detail: str = Field(description="What went wrong, in words")


class PublisherRef(Schema):
    id: int
    slug: str
    name: str


class Publisher(PublisherRef):
    homepage_url: str
    country: str
    language: str
    url: str = Field(description="The publication's page on this site")
    feed_url: str = Field(description="This site's RSS feed of the publication (teasers)")


class PublisherDetail(Publisher):
    article_count: int
    latest_article_at: datetime | None


class Section(Schema):
    id: int
    slug: str
    name: str
    in_navigation: bool
    url: str
    feed_url: str


class Carrier(Schema):
    article_id: int = Field(description="The copy's id")
    url: str = Field(description="The copy's page on this site")
    publisher: PublisherRef


class ArticleSummary(Schema):
    id: int
    title: str
    url: str = Field(description="The article's page on this site")
    source_url: str = Field(description="The article at its publisher")
    author: str
    publisher: PublisherRef
    section: str
    published_at: datetime
    language: str
    image_url: str
    reading_minutes: int
    summary: str = Field(description="A short standfirst; never more than the teaser "
                                     "for readers without full access")
    full: bool = Field(description="Whether this reader may read the whole article")
    story_id: int | None = Field(None, description="The story this article belongs to "
                                                   "(/api/v1/stories/{story_id})")
    duplicate_of: int | None = Field(None, description="For a syndicated copy: the id of the "
                                                       "original it repeats")
    also_in: list[Carrier] = Field(default_factory=list, description=(
        "Outlets that carried a syndicated copy of this article (lists show the original once)"))


class ArticleDetail(ArticleSummary):
    word_count: int
    html: str = Field(description="Safe HTML: the whole body for members, else the teaser")
    text: str = Field(description="Plain text of the same")
    signup_url: str | None = Field(description="For teasers: where to start the free trial")
    text_trimmed: bool = Field(False, description=(
        "This reader may read the article whole, but Broadsheet keeps only the opening of "
        "articles older than its text retention: html and text are that opening, and the "
        "whole article is at source_url"))


class CursorPage(Schema):
    """What every cursor-paged list answers beside its items."""

    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")
    next: str | None = Field(description="The next page's address")


class ArticlePage(CursorPage):
    items: list[ArticleSummary]


class SearchHit(ArticleSummary):
    snippet: str = Field(description="Matching words in context, from what this reader may "
                                     "see; matches are wrapped in <mark>")


class SearchPage(Schema):
    query: str
    page: int
    per_page: int
    total: int = Field(description="Matches; a lower bound when total_is_lower_bound is true")
    total_is_lower_bound: bool = Field(
        False, description="More articles match than are counted: the newest are ranked")
    has_next: bool
    items: list[SearchHit]


class MembershipOut(Schema):
    state: str = Field(description="trialing, active, past_due, cancelled, expired or none")
    description: str = Field(description='In words, e.g. "Free trial: 12 days left"')
    full_access: bool = Field(description="Whether this reader reads articles in full now")
    awaiting_confirmation: bool = Field(
        False, description="A repeat trial from one address: it starts (full_access becomes "
                           "true) when the reader opens the emailed confirmation link")
    trial_ends_at: datetime | None
    current_period_end: datetime | None


class BriefingOut(Schema):
    enabled: bool = Field(description="Whether the daily briefing email is sent")
    hour: int = Field(description="Local hour, 0-23, from which it is sent")
    time_zone: str = Field(description="IANA time zone of that hour, e.g. Europe/London")


class BriefingIn(Body):
    enabled: bool | None = None
    hour: int | None = Field(None, ge=0, le=23, description="Local hour, 0-23")
    time_zone: str | None = Field(None, max_length=64,
                                  description="IANA time zone, e.g. Europe/London")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        from broadsheet.curation.briefing import zone_named

        if value is not None and zone_named(value) is None:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as "
                             "Europe/London")
        return value


class Me(Schema):
    id: int
    email: str
    name: str
    time_zone: str
    is_staff: bool
    membership: MembershipOut
    briefing: BriefingOut = Field(description="The daily briefing email's settings")
    feeds: dict[str, str] = Field(description="Public feeds of this site")


class MeUpdate(Body):
    briefing: BriefingIn | None = Field(None, description="Any of its fields; others stay")


class TokenIn(Body):
    name: str = Field("", max_length=100, description="What the token is for")
    kind: Literal["api", "feed", "fever"] = Field(
        "api", description="api: a Bearer token for this API; feed: a private feed address; "
                           "fever: an app password for Fever apps")
    expires_in_days: int | None = Field(None, ge=1, le=3650,
                                        description="Empty: valid until revoked")


class Token(Schema):
    id: int
    name: str
    kind: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class NewToken(Token):
    token: str = Field(description="The secret (for fever, the app password): shown only now, "
                                   "never again")
    feed_url: str | None = Field(None, description="For feed tokens: the private feed address")
    for_you_feed_url: str | None = Field(None, description="For feed tokens: the reader's own "
                                                           "For you at the same secret")


class ArticleFilters(Schema):
    publisher: str | None = Field(None, description="Publisher slug or id")
    section: str | None = Field(None, description="Section slug or name")
    since: datetime | None = Field(None, description="Published at or after (ISO 8601)")
    q: str | None = Field(None, max_length=200,
                          description="Words in the headline or standfirst")
    cursor: str | None = Field(None, description="next_cursor of the previous page")
    limit: int = Field(20, ge=1, le=100)


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=200, description="Words to find")
    publisher: str | None = Field(None, description="Publisher slug or id")
    section: str | None = Field(None, description="Section slug or name")
    since: datetime | None = Field(None, description="Published at or after (ISO 8601)")
    until: datetime | None = Field(None, description="Published before (ISO 8601)")
    page: int = Field(1, ge=1, le=1000)
    per_page: int = Field(20, ge=1, le=100)


class StoryArticle(ArticleSummary):
    copies: list[ArticleSummary] = Field(default_factory=list, description=(
        "Syndicated copies of this article, folded under it"))


class TopicRef(Schema):
    slug: str
    name: str
    kind: Literal["person", "organisation", "place", "subject"]


class StoryOut(Schema):
    id: int
    headline: str = Field(description="The representative headline")
    section: str
    language: str
    url: str = Field(description="The story's full-coverage page on this site")
    first_published_at: datetime = Field(description="When it was first reported")
    last_published_at: datetime = Field(description="Its latest article")
    first_publisher: PublisherRef | None = Field(description="Who reported it first")
    article_count: int
    publisher_count: int
    score: float = Field(description="Top-stories rank: coverage × freshness × growth")
    outlets: list[PublisherRef] = Field(description="Every outlet, in order of first article")
    sections: list[str] = Field(description="Every section its articles are in, most first")
    lead: ArticleSummary | None = Field(description="The article that stands for the story")
    topics: list[TopicRef] = Field(default_factory=list, description=(
        "The people, organisations, places and subjects it is about, most salient first"))


class StoryDetail(StoryOut):
    articles: list[StoryArticle] = Field(description=(
        "Every original article, oldest first, each with its syndicated copies"))
    truncated: bool = Field(description=(
        "True when the story has more articles than one answer lists (the earliest are listed)"))


class PickOut(Schema):
    id: int
    position: int = Field(description="1 is first, among the picks of the same place")
    note: str = Field(description="The editor's note shown with the pick (may be empty)")
    section: str | None = Field(description="Section slug; null for the home page")
    starts_at: datetime | None
    ends_at: datetime | None
    story: StoryOut | None = Field(description="The picked story (or null for an article)")
    article: ArticleSummary | None = Field(description="The picked article (or null)")


class PickIn(Body):
    story_id: int | None = Field(None, description="Pick a story, or…")
    article_id: int | None = Field(None, description="…an article")
    note: str = Field("", max_length=300)
    section: str | None = Field(None, description="Section slug; omit for the home page")
    position: int | None = Field(None, ge=1, description="1 is first; omit to go last")
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class PickPatch(Body):
    note: str | None = Field(None, max_length=300)
    section: str | None = Field(None, description='Section slug; "" moves it to the home page')
    position: int | None = Field(None, ge=1)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class TopicOut(TopicRef):
    url: str = Field(description="The topic's page on this site")
    feed_url: str = Field(description="This site's RSS feed of the topic (teasers)")
    stories: list[StoryOut] = Field(description="Its most recent stories, newest first")
