"""Readers, news and a mail server for the daily briefing tests.

The news: five ranked Top stories in five sections, one story an editor picked for the home
page, and a Sport story from "Harbour Sport Weekly" that only a reader following that outlet
gets in For you. Every article is recent (For you shows the last three days) and hides a marker
sentence deep in its body (``api_support.marker``), past the teaser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from api_support import make_article, make_publisher, make_reader
from django.utils import timezone
from story_support import make_story

from broadsheet.articles.models import Article
from broadsheet.curation import briefing, picks
from broadsheet.readers.models import Follow, User
from broadsheet.stories.models import Story

SITE = "https://news.example.org"
TOP_SECTIONS = ("World", "Politics", "Business", "Technology", "Science")


@dataclass
class News:
    top: list[Story]
    top_articles: list[Article]
    picked: Story
    picked_article: Article
    sport_outlet: object
    sport: Story
    sport_article: Article

    @property
    def articles(self) -> list[Article]:
        return [*self.top_articles, self.picked_article, self.sport_article]


def make_news() -> News:
    now = timezone.now()
    top, top_articles = [], []
    for n, section in enumerate(TOP_SECTIONS, start=1):
        outlet = make_publisher(f"{section} Herald")
        article = make_article(outlet, n, section=section,
                               published_at=now - timedelta(hours=n),
                               title=f"{section} story number {n} leads the day")
        top.append(make_story([article], score=100.0 - n))
        top_articles.append(article)
    culture = make_publisher("Culture Review")
    picked_article = make_article(culture, 20, section="Culture",
                                  published_at=now - timedelta(hours=2),
                                  title="The editors picked this long read about lighthouses")
    picked = make_story([picked_article], score=1.0)
    editor = User.objects.create_user("editor@example.org", "correct horse battery staple",
                                      is_staff=True)
    picks.create(editor, story=picked)
    sport_outlet = make_publisher("Harbour Sport Weekly", section="Sport")
    sport_article = make_article(sport_outlet, 30, section="Sport",
                                 published_at=now - timedelta(hours=1),
                                 title="Harbour rowing club wins the regatta")
    sport = make_story([sport_article])
    return News(top, top_articles, picked, picked_article, sport_outlet, sport, sport_article)


@pytest.fixture
def news(db) -> News:
    return make_news()


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    return SITE


def opt_in(user: User, hour: int, zone: str) -> None:
    briefing.update(user, enabled=True, hour=hour, time_zone=zone)


def reader(email: str, state: str = "trial") -> User:
    return make_reader(state, email=email)


def follow_sport(user: User, news: News) -> None:
    Follow.objects.create(user=user, kind=Follow.Kind.PUBLISHER, publisher=news.sport_outlet)
