"""A list's cards are rendered once for every reader; each reader's time is put in per request.

The shared part lasts until the content generation moves (any save of an article, publisher or
section) or a minute passes; the time ("3 h ago"), in the reader's own zone, is always current.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from pages_fixtures import make_article, make_reader

from broadsheet.articles.models import Article


def _section(client) -> str:
    return client.get(reverse("section", args=["world"])).content.decode()


def test_a_card_is_shared_but_its_time_is_each_requests_own(client, db):
    article = make_article(title="Harbour reopens", section="World", age=timedelta(minutes=5))
    first, second = make_reader("one@example.com"), make_reader("two@example.com")
    client.force_login(first)
    assert "Harbour reopens" in _section(client) and "5 min ago" in _section(client)
    # Changed behind the pages' back (no save, so no new generation): the shared card stays,
    # and its time is worked out afresh for the next reader.
    Article.objects.filter(pk=article.pk).update(
        title="Harbour closes", published_at=timezone.now() - timedelta(hours=3))
    client.force_login(second)
    page = _section(client)
    assert "Harbour reopens" in page and "Harbour closes" not in page
    assert "3 h ago" in page and "5 min ago" not in page


def test_a_saved_change_shows_at_once(client, db):
    article = make_article(title="Harbour reopens", section="World")
    client.force_login(make_reader())
    assert "Harbour reopens" in _section(client)
    article.title = "Harbour closes"
    article.save()
    page = _section(client)
    assert "Harbour closes" in page and "Harbour reopens" not in page


def test_each_reader_sees_the_time_in_their_zone(client, db):
    published = make_article(title="Harbour reopens", section="World",
                             age=timedelta(days=3)).published_at
    tokyo, london = make_reader("tokyo@example.com"), make_reader("london@example.com")
    tokyo.time_zone, london.time_zone = "Asia/Tokyo", "Europe/London"
    tokyo.save()
    london.save()
    for reader, zone in ((tokyo, "Asia/Tokyo"), (london, "Europe/London")):
        client.force_login(reader)
        local = timezone.localtime(published, timezone=ZoneInfo(zone))
        assert f'datetime="{local.isoformat()}"' in _section(client)
