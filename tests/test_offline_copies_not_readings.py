"""Offline copies the app keeps (and HEAD requests) are not readings: history counts real visits."""

from __future__ import annotations

from pages_fixtures import make_article, make_reader

from broadsheet.readers.models import ReadingHistory
from broadsheet.web.links import article_path


def test_offline_copy_fetch_leaves_no_history(client, db):
    reader = make_reader()
    article = make_article(title="Kept for the train")
    client.force_login(reader)
    response = client.get(article_path(article), headers={"X-Broadsheet-Offline-Copy": "1"})
    assert response.status_code == 200
    assert "The third paragraph is only for members" in response.content.decode()
    assert not ReadingHistory.objects.filter(user=reader).exists()


def test_head_request_leaves_no_history(client, db):
    reader = make_reader()
    article = make_article()
    client.force_login(reader)
    assert client.head(article_path(article)).status_code == 200
    assert not ReadingHistory.objects.filter(user=reader).exists()


def test_offline_copy_does_not_refresh_an_earlier_reading(client, db):
    reader = make_reader()
    article = make_article()
    client.force_login(reader)
    client.get(article_path(article))
    first = ReadingHistory.objects.get(user=reader, article=article).read_at
    client.get(article_path(article), headers={"X-Broadsheet-Offline-Copy": "1"})
    assert ReadingHistory.objects.get(user=reader, article=article).read_at == first


def test_opening_the_page_is_a_reading(client, db):
    reader = make_reader()
    article = make_article()
    client.force_login(reader)
    client.get(article_path(article))
    row = ReadingHistory.objects.get(user=reader, article=article)
    assert row.full
