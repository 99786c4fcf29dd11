"""Takedowns: an editor removes an article, with a reason, from every surface for good; its
address answers 410 Gone, the fetcher never brings it back, and the log says who and why."""

from __future__ import annotations

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from story_support import Wire

from broadsheet.api.auth import issue_token
from broadsheet.articles.models import Article, Takedown
from broadsheet.articles.store import upsert_article
from broadsheet.audit.models import EditorialAction, ImmutableError
from broadsheet.curation import desk, picks
from broadsheet.curation.models import Pick
from broadsheet.demo.network import DemoNetwork
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.ingest.record import ArticleRecord
from broadsheet.poll.pipeline import run_sources
from broadsheet.readers.models import SavedArticle, User
from broadsheet.sources import state
from broadsheet.sources.models import Source

pytestmark = pytest.mark.django_db
REASON = "Legal request from the publisher (case 2026-114)."


@pytest.fixture
def editor() -> User:
    return User.objects.create_user("editor@example.org", PASSWORD, is_staff=True)


def surfaces(client, member) -> dict[str, str]:
    """What each reader surface lists, as text."""
    cache.clear()
    token = issue_token(member).secret
    greader = client.post("/accounts/ClientLogin", {"Email": member.email, "Passwd": PASSWORD})
    auth = dict(line.split("=", 1) for line in greader.content.decode().splitlines())["Auth"]
    return {
        "home": client.get("/").content.decode(),
        "section": client.get("/section/world/").content.decode(),
        "search": client.get("/search", {"q": "harbour"}).content.decode(),
        "api": client.get("/api/v1/articles?limit=50").content.decode(),
        "api search": client.get("/api/v1/search?q=harbour").content.decode(),
        "feed": client.get("/feeds/latest.xml").content.decode(),
        "section feed": client.get("/feeds/section/world.xml").content.decode(),
        "reader": client.get("/reader/api/0/stream/contents/user/-/state/com.google/reading-list",
                             {"n": 100}, HTTP_AUTHORIZATION=f"GoogleLogin auth={auth}"
                             ).content.decode(),
        "saved": client.get("/api/v1/articles?limit=50",
                            HTTP_AUTHORIZATION=f"Bearer {token}").content.decode(),
    }


def test_a_taken_down_article_leaves_every_surface(client, editor):
    wire = Wire()
    gone = wire.ledger_piece
    member = make_reader("active")
    SavedArticle.objects.create(user=member, article=gone)
    picks.create(editor, article=gone, note="Soon gone.")
    number = gone.pk

    def mentions(text: str) -> bool:
        return gone.title in text or f"/article/{number}/" in text

    before = surfaces(client, member)
    assert [name for name, text in before.items() if not mentions(text)] == []

    desk.take_down(editor, gone, REASON)

    after = surfaces(client, member)
    assert [name for name, text in after.items() if mentions(text)] == []
    assert wire.first.title in after["home"]  # the rest of the story stays
    assert not Pick.objects.exists()  # a pick of it goes with it
    page = client.get(f"/article/{number}/anything/")
    assert page.status_code == 410 and "This article has been removed" in page.content.decode()
    assert client.get(f"/api/v1/articles/{number}").status_code == 410
    assert client.get(f"/api/v1/stories/{wire.story.pk}").json()["article_count"] == 4


def test_the_log_records_who_what_and_why(editor):
    wire = Wire()
    number = wire.meridian_piece.pk
    desk.take_down(editor, wire.meridian_piece, REASON)
    entry = EditorialAction.objects.get(action="article.takedown")
    assert entry.editor == editor.email and entry.reason == REASON
    assert entry.target == f"article:{number}"
    assert entry.before["url"] == wire.meridian_piece.canonical_url
    assert entry.after == {"removed": True}
    takedown = Takedown.objects.get()
    assert takedown.article_id == number and takedown.removed_by == editor


def test_a_reason_is_required(editor):
    wire = Wire()
    with pytest.raises(desk.DeskError):
        desk.take_down(editor, wire.first, "   ")
    assert Article.objects.filter(pk=wire.first.pk).exists()


def test_removing_an_original_keeps_its_copies_as_the_original(editor):
    wire = Wire()
    desk.take_down(editor, wire.first, REASON)
    copy = Article.objects.get(pk=wire.copy.pk)
    assert copy.duplicate_of_id is None and copy.story_id == wire.story.pk


def test_the_store_refuses_it_by_address_or_guid(editor):
    publisher = make_publisher("Refused Times")
    source = Source.objects.get(publisher=publisher)
    article = make_article(publisher, 1)
    Article.objects.filter(pk=article.pk).update(source=source, guid="guid-1")
    desk.take_down(editor, Article.objects.get(pk=article.pk), REASON)
    for url, guid in ((article.canonical_url, ""), ("https://gazette.example/moved", "guid-1")):
        data = ArticleRecord(publisher_id=publisher.pk, source_id=source.pk, url=url,
                           canonical_url=url, guid=guid, title="Back again",
                           published_at=article.published_at, text="Body.")
        assert upsert_article(data)[0] == "removed"
    assert not Article.objects.filter(publisher=publisher).exists()


def test_the_fetcher_never_brings_it_back(editor):
    policy = FetchPolicy(allow_private=True, host_delay=0.0, per_host=8)
    with DemoNetwork() as network:
        network.install()
        run_sources(state.jobs(Source.objects.order_by("id")), policy=policy, workers=1)
        victim = Article.objects.order_by("pk").first()
        desk.take_down(editor, victim, REASON)
        count = Article.objects.count()
        Source.objects.update(etag="", last_modified="")  # every feed is read in full again
        summary = run_sources(state.jobs(Source.objects.order_by("id")), policy=policy,
                              workers=1)
    assert Article.objects.count() == count
    assert not Article.objects.filter(canonical_url=victim.canonical_url).exists()
    assert summary.total("removed") >= 1


def test_the_audit_log_cannot_be_changed(editor):
    wire = Wire()
    desk.retitle(editor, wire.story, "A title")
    entry = EditorialAction.objects.get()
    with pytest.raises(ImmutableError):
        entry.save()
    with pytest.raises(ImmutableError):
        entry.delete()
    with pytest.raises(ImmutableError):
        EditorialAction.objects.update(summary="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_editorialaction SET summary = 'rewritten'")
    assert EditorialAction.objects.get().summary == entry.summary


def test_editors_read_the_log_and_readers_cannot(client, editor):
    wire = Wire()
    desk.take_down(editor, wire.meridian_piece, REASON)
    client.force_login(make_reader("active"))
    assert client.get("/desk/log/").status_code == 403
    client.force_login(editor)
    page = client.get("/desk/log/").content.decode()
    assert REASON in page and "article.takedown" in page and editor.email in page
