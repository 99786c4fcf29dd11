"""Stories built directly from rows for the story tests: no reliance on the clustering's quality.

Articles come from ``api_support`` (each hides a unique marker sentence deep in its body), so a
test can tell whether a page or answer gave away more than the paywall allows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_support import make_article, make_publisher, marker
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.stories.assign import refresh_stories
from broadsheet.stories.models import Story

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def make_story(articles: list[Article], *, copies: dict[Article, Article] | None = None,
               score: float = 0.0) -> Story:
    """A story of ``articles``; ``copies`` maps each syndicated copy to its original."""
    now = timezone.now()
    story = Story.objects.create(first_published_at=now, last_published_at=now, language="en")
    for article in articles:
        article.story = story
        original = (copies or {}).get(article)
        article.duplicate_of = original
        article.save(update_fields=["story", "duplicate_of"])
    refresh_stories([story.pk])
    story.refresh_from_db()
    if score:
        story.score = score
        story.save(update_fields=["score"])
    return story


class Wire:
    """One story carried by four outlets: three pieces of reporting and one syndicated copy.

    Gazette reported first; Ledger wrote its own piece (and a follow-up later); Meridian wrote
    its own; Courier republished Gazette's report word for word under its own headline.
    """

    def __init__(self, n: int = 100, section: str = "World", score: float = 0.0) -> None:
        self.gazette = make_publisher(f"Gazette {n}")
        self.ledger = make_publisher(f"Ledger {n}")
        self.meridian = make_publisher(f"Meridian {n}")
        self.courier = make_publisher(f"Courier {n}")
        at = T0 + timedelta(days=n % 7)
        self.first = make_article(self.gazette, n, section=section, published_at=at,
                                  title=f"Harbour wall {n} breached in record storm")
        self.ledger_piece = make_article(self.ledger, n + 1, section=section,
                                         published_at=at + timedelta(hours=1),
                                         title=f"Council blames cuts for harbour wall {n} failure")
        self.meridian_piece = make_article(self.meridian, n + 2, section=section,
                                           published_at=at + timedelta(hours=2),
                                           title=f"What the harbour {n} flood means for you")
        self.copy = make_article(self.courier, n + 3, section=section,
                                 published_at=at + timedelta(hours=3),
                                 title=f"Storm breaks harbour wall {n} (wire)")
        self.follow_up = make_article(self.ledger, n + 4, section=section,
                                      published_at=at + timedelta(hours=5),
                                      title=f"Harbour wall {n}: repairs to take a year")
        self.articles = [self.first, self.ledger_piece, self.meridian_piece, self.copy,
                         self.follow_up]
        self.story = make_story(self.articles, copies={self.copy: self.first}, score=score)

    @property
    def originals(self) -> list[Article]:
        return [a for a in self.articles if a is not self.copy]

    def markers(self) -> list[str]:
        return [marker(n) for n in self.numbers()]

    def numbers(self) -> list[int]:
        return [int(a.canonical_url.rsplit("/", 1)[1]) for a in self.articles]
