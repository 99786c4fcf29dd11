"""Shared helpers for the reader page tests: publishers, articles and members made directly."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from itertools import count

from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.readers.models import Membership, User
from broadsheet.sources.models import Publisher

_serial = count(1)


def make_publisher(name: str = "The Daily Example", **extra) -> Publisher:
    publisher, _ = Publisher.objects.get_or_create(
        name=name, defaults={"homepage_url": "https://example.com/", **extra})
    return publisher


def make_article(publisher: Publisher | None = None, *, title: str | None = None,
                 paragraphs: list[str] | None = None, section: str = "World",
                 age: timedelta = timedelta(hours=1), summary: str = "", **extra) -> Article:
    """An article whose body is ``paragraphs`` (HTML and text kept in step, as ingest does)."""
    n = next(_serial)
    publisher = publisher or make_publisher()
    paragraphs = paragraphs or [
        f"Opening paragraph {n} sets the scene for readers.",
        "The second paragraph adds some detail to the report.",
        "The third paragraph is only for members to read in full.",
    ]
    html = "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
    text = "\n\n".join(paragraphs)
    return Article.objects.create(
        publisher=publisher, url=f"https://example.com/news/{n}",
        canonical_url=f"https://example.com/news/{n}", title=title or f"Headline number {n}",
        author=extra.pop("author", "Sam Writer"), section=section,
        published_at=timezone.now() - age, summary=summary or f"Summary of story {n}.",
        html=html, text=text, word_count=extra.pop("word_count", len(text.split())), **extra)


def make_reader(email: str = "reader@example.com", *, member: bool = True,
                password: str = "correct horse battery") -> User:
    """A signed-up reader; ``member`` gives them a running free trial."""
    user = User.objects.create_user(email, password)
    if member:
        Membership.objects.create(user=user, state=Membership.State.TRIALING,
                                  trial_ends_at=timezone.now() + timedelta(days=14))
    return user
