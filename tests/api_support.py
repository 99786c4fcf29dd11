"""Readers and articles for the machine-surface tests (JSON API, feeds out, Google Reader API).

Every article hides a unique marker sentence deep in its body, well past the teaser, so a test
can tell whether a surface gave away more than the paywall allows.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.readers.models import Membership, User
from broadsheet.sources.models import Publisher, Source

PASSWORD = "correct horse battery staple"


def marker(n: int) -> str:
    return f"The harbour master kept ledger number {7000 + n} locked in the lighthouse."


def make_publisher(name: str = "The Harbour Gazette", section: str = "World") -> Publisher:
    publisher = Publisher.objects.create(name=name, homepage_url="https://gazette.example/",
                                         country="GB", language="en")
    Source.objects.create(publisher=publisher, url=f"https://{publisher.slug}.example/feed.xml",
                          section=section)
    return publisher


def make_article(publisher: Publisher, n: int, *, section: str = "World",
                 published_at: datetime | None = None, title: str | None = None) -> Article:
    paragraphs = [
        f"Opening paragraph {n}: the tide rose higher than anyone in town remembered.",
        "Fishermen moved their boats inland before dawn, and the ferry stayed in port.",
        "Officials said the sea wall held, though water reached the market square.",
        "Engineers will inspect the wall this week and report to the council.",
        "Residents gathered sandbags; the school opened as a shelter for the night.",
        marker(n),
        "The forecast promises calmer water by the weekend.",
    ]
    published_at = published_at or datetime(2026, 11, 20, 8, 0, tzinfo=UTC) + timedelta(hours=n)
    return Article.objects.create(
        publisher=publisher, url=f"https://gazette.example/news/{n}",
        canonical_url=f"https://gazette.example/news/{n}",
        title=title or f"Record tide number {n} floods the harbour", author="Ana Reyes",
        section=section, published_at=published_at, language="en",
        summary="", html="".join(f"<p>{p}</p>" for p in paragraphs),
        text="\n\n".join(paragraphs), word_count=sum(len(p.split()) for p in paragraphs))


def make_reader(state: str, email: str | None = None) -> User:
    """A reader whose membership is in ``state``: trial, active, expired, lapsed_trial or none."""
    email = email or f"{state}-{secrets.token_hex(3)}@example.com"
    user = User.objects.create_user(email, PASSWORD)
    now = timezone.now()
    if state == "trial":
        Membership.objects.create(user=user, state=Membership.State.TRIALING,
                                  trial_ends_at=now + timedelta(days=10))
    elif state == "active":
        Membership.objects.create(user=user, state=Membership.State.ACTIVE,
                                  current_period_end=now + timedelta(days=20))
    elif state == "expired":
        Membership.objects.create(user=user, state=Membership.State.EXPIRED,
                                  current_period_end=now - timedelta(days=3))
    elif state == "lapsed_trial":
        # Still says "trialing", but the trial ended yesterday: access is computed from time.
        Membership.objects.create(user=user, state=Membership.State.TRIALING,
                                  trial_ends_at=now - timedelta(days=1))
    return user


def expire(user: User) -> None:
    Membership.objects.filter(user=user).update(state=Membership.State.EXPIRED,
                                                current_period_end=timezone.now()
                                                - timedelta(minutes=1))
