"""An article is one row however often it is seen; updates update that row."""

from datetime import UTC, datetime

import pytest

from broadsheet.articles.models import Article
from broadsheet.articles.store import upsert_article
from broadsheet.ingest.record import ArticleRecord
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    publisher = Publisher.objects.create(name="The Harbour Gazette")
    return Source.objects.create(publisher=publisher, url="https://gazette.example/feed.xml")


def data(source, **overrides) -> ArticleRecord:
    fields = dict(
        publisher_id=source.publisher_id, source_id=source.pk,
        url="https://gazette.example/news/tide?utm_source=rss",
        canonical_url="https://gazette.example/news/tide", guid="tide-1",
        title="Record tide floods the harbour", text="The harbour flooded at dawn.",
        published_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
    )
    fields.update(overrides)
    return ArticleRecord(**fields)


def test_first_sighting_inserts(source):
    outcome, pk = upsert_article(data(source))
    assert outcome == "new"
    assert Article.objects.get(pk=pk).content_hash


def test_same_article_again_is_unchanged(source):
    upsert_article(data(source))
    assert upsert_article(data(source))[0] == "unchanged"
    assert Article.objects.count() == 1


def test_same_guid_with_new_url_is_the_same_article(source):
    upsert_article(data(source))
    outcome, _ = upsert_article(data(source, canonical_url="https://gazette.example/news/tide-2"))
    assert outcome == "unchanged"
    assert Article.objects.count() == 1


def test_same_canonical_url_from_another_source_is_the_same_article(source):
    other = Source.objects.create(publisher=source.publisher, url="https://gazette.example/top.xml")
    upsert_article(data(source))
    outcome, _ = upsert_article(data(other, guid="other-guid"))
    assert outcome == "unchanged"
    assert Article.objects.count() == 1


def test_changed_text_updates_the_row_and_keeps_first_publication_time(source):
    _, pk = upsert_article(data(source))
    outcome, pk2 = upsert_article(data(
        source, text="The harbour flooded at dawn. Updated: the water has gone down.",
        published_at=datetime(2026, 11, 26, 12, 0, tzinfo=UTC)))
    assert (outcome, pk2) == ("updated", pk)
    article = Article.objects.get(pk=pk)
    assert "gone down" in article.text
    assert article.published_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_a_record_without_its_identity_is_refused_clearly_and_stores_nothing(source):
    prepared = ArticleRecord(title="Record tide floods the harbour", text="Body.")
    with pytest.raises(ValueError, match="needs publisher_id, canonical_url, published_at"):
        upsert_article(prepared)
    assert not Article.objects.exists()


def test_the_page_declared_publisher_name_is_not_a_column(source):
    _, pk = upsert_article(data(source, publisher="The Harbour Gazette Ltd"))
    assert Article.objects.get(pk=pk).title == "Record tide floods the harbour"
