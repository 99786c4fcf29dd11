"""Cached pages follow content through explicit calls where it is written, not signals: the
store's upserts, a model's save and delete, the admin's bulk delete and every editorial action
make cached pages stale."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from pages_fixtures import make_article, make_publisher

from broadsheet.articles.models import Article
from broadsheet.articles.store import upsert_article
from broadsheet.audit.log import record
from broadsheet.audit.models import EditorialAction
from broadsheet.curation.models import Section
from broadsheet.freshness import generation
from broadsheet.ingest.record import ArticleRecord
from broadsheet.readers.models import User
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db


def test_no_signal_carries_the_bump() -> None:
    for model in (Article, Publisher, Section, EditorialAction):
        assert not post_save.has_listeners(model), model
        assert not post_delete.has_listeners(model), model


def test_storing_an_article_makes_pages_stale() -> None:
    publisher = make_publisher("The Harbour Gazette")
    source = Source.objects.create(publisher=publisher, url="https://gazette.example/feed.xml")
    data = ArticleRecord(publisher_id=publisher.pk, source_id=source.pk,
                       url="https://gazette.example/news/tide",
                       canonical_url="https://gazette.example/news/tide", guid="tide-1",
                       title="Record tide", text="The harbour flooded at dawn.",
                       published_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    before = generation()
    assert upsert_article(data)[0] == "new"
    assert generation() > before
    before = generation()
    data.title = "Record tide floods the harbour"
    assert upsert_article(data)[0] == "updated"
    assert generation() > before


def test_saving_and_deleting_what_pages_show_makes_them_stale() -> None:
    for make in (lambda: make_article(make_publisher("The Daily Example")),
                 lambda: make_publisher("Another Paper"),
                 lambda: Section.objects.create(name="Weather", slug="weather")):
        before = generation()
        row = make()
        assert generation() > before
        before = generation()
        row.delete()
        assert generation() > before


def test_admin_bulk_delete_makes_pages_stale(client) -> None:
    editor = User.objects.create_superuser("chief@example.org", "correct horse battery")
    client.force_login(editor)
    articles = [make_article(make_publisher("The Daily Example")) for _ in range(2)]
    before = generation()
    response = client.post(reverse("admin:articles_article_changelist"), {
        "action": "delete_selected", "_selected_action": [a.pk for a in articles],
        "post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk__in=[a.pk for a in articles]).exists()
    assert generation() > before


def test_an_editorial_action_makes_pages_stale_now_and_after_commit(
        django_capture_on_commit_callbacks) -> None:
    before = generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record(None, "pick.create", "story:1", "Picked a story")
        during = generation()
    assert during > before
    assert len(callbacks) == 1 and generation() > during


def test_an_article_stored_while_the_cache_is_away_is_kept(settings, caplog) -> None:
    """Redis restarting must not undo a store: the bump runs inside the article's transaction."""
    with socket.socket() as probe:  # a port nothing listens on: the cache's server is away
        probe.bind(("127.0.0.1", 0))
        away = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    publisher = make_publisher("The Harbour Gazette")
    source = Source.objects.create(publisher=publisher, url="https://gazette.example/feed.xml")
    data = ArticleRecord(publisher_id=publisher.pk, source_id=source.pk,
                         url="https://gazette.example/news/storm",
                         canonical_url="https://gazette.example/news/storm", guid="storm-1",
                         title="Storm closes the port", text="No ferries sailed today.",
                         published_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": away}}
    assert upsert_article(data)[0] == "new"
    assert Article.objects.filter(guid="storm-1", source=source).exists()
    assert [r.levelname for r in caplog.records if r.name == "broadsheet.freshness"] == ["WARNING"]
