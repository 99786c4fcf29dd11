"""A reader whose app speaks only Fever makes an app password, types it with their email, and
the app syncs over real HTTP: groups, feeds, items, unread and saved ids, marking items read and
saved, and catching up on a feed or a group up to a time."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from api_support import PASSWORD, expire, make_article, make_publisher, make_reader, marker
from django.test import Client
from django.utils import timezone

from broadsheet.api.models import ApiToken
from broadsheet.curation.models import Section
from broadsheet.readers.models import ReadingHistory, SavedArticle
from broadsheet.sources.models import Source

EMAIL = "unread@example.com"


@pytest.fixture
def world(transactional_db, live_server):
    for position, name in enumerate(["World", "Sport"]):
        Section.objects.get_or_create(name=name, defaults={"slug": name.lower(),
                                                           "position": position})
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    articles = [make_article(gazette, n) for n in range(1, 4)]
    articles.append(make_article(courier, 4, section="Sport"))
    checked = timezone.now().replace(microsecond=0)  # the sources' last check, as ingest records
    Source.objects.filter(publisher=gazette).update(last_success_at=checked - timedelta(hours=1))
    Source.objects.filter(publisher=courier).update(last_success_at=checked)
    reader = make_reader("trial", EMAIL)
    return {"gazette": gazette, "courier": courier, "articles": articles, "reader": reader,
            "url": live_server.url + "/api/fever.php", "checked": checked}


def app_password(reader) -> dict:
    """Made from the signed-in account, as the account's owner does."""
    browser = Client()
    browser.force_login(reader)
    made = browser.post("/api/v1/tokens", {"name": "Unread", "kind": "fever"},
                        content_type="application/json")
    assert made.status_code == 201, made.content
    return made.json()


def api_key(password: str, email: str = EMAIL) -> str:
    return hashlib.md5(f"{email}:{password}".encode()).hexdigest()


def fever(world, key: str, query: str = "", **form) -> tuple[int, dict]:
    """One Fever request over HTTP: ``?api&<query>``, ``api_key`` and ``form`` in the body."""
    body = urlencode({"api_key": key, **form}).encode()
    request = urllib.request.Request(f"{world['url']}?api{'&' + query if query else ''}",
                                     data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def key(world) -> str:
    return api_key(app_password(world["reader"])["token"])


def test_the_app_signs_in_with_the_app_password_only(world, key):
    status, answer = fever(world, key)
    assert (status, answer["api_version"], answer["auth"]) == (200, 3, 1)
    # The most recently refreshed of the reader's feeds (Fever: "refreshed, not updated").
    assert answer["last_refreshed_on_time"] == int(world["checked"].timestamp())
    status, answer = fever(world, api_key(PASSWORD))  # the account's own password: no
    assert (status, answer["auth"]) == (401, 0)
    assert "app password" in answer["error"]
    assert fever(world, "0" * 32)[0] == 401


def test_the_key_in_a_query_string_is_refused(world, key):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(world["url"] + "?api&api_key=" + key, timeout=30)
    assert refused.value.code == 401


def test_revoking_the_app_password_signs_the_app_out(world):
    made = app_password(world["reader"])
    key = api_key(made["token"])
    assert fever(world, key)[1]["auth"] == 1
    stored = ApiToken.objects.get(pk=made["id"])
    assert stored.kind == "fever" and key not in stored.key_hash  # only a digest is kept
    browser = Client()
    browser.force_login(world["reader"])
    assert browser.delete(f"/api/v1/tokens/{made['id']}").status_code == 204
    assert fever(world, key)[0] == 401


def test_groups_and_feeds(world, key):
    gazette, courier = world["gazette"], world["courier"]
    world_id, sport_id = (Section.objects.get(name=n).pk for n in ("World", "Sport"))
    _, answer = fever(world, key, "groups&feeds")
    assert {"id": world_id, "title": "World"} in answer["groups"]
    assert {"group_id": sport_id, "feed_ids": str(courier.pk)} in answer["feeds_groups"]
    feeds = {f["id"]: f for f in answer["feeds"]}
    assert feeds[gazette.pk]["title"] == "The Harbour Gazette"
    assert feeds[gazette.pk]["url"].endswith("/feeds/publication/the-harbour-gazette.xml")
    assert feeds[gazette.pk]["is_spark"] == 0
    newest = max(a.published_at for a in world["articles"] if a.publisher_id == gazette.pk)
    assert feeds[gazette.pk]["last_updated_on_time"] == int(newest.timestamp())


def test_items_since_max_and_with_ids(world, key):
    ids = [a.pk for a in world["articles"]]
    _, newest = fever(world, key, "items")
    assert newest["total_items"] == 4
    assert [i["id"] for i in newest["items"]] == sorted(ids, reverse=True)
    first = newest["items"][-1]
    assert first["feed_id"] == world["gazette"].pk and first["author"] == "Ana Reyes"
    assert first["url"].endswith(f"/article/{ids[0]}/record-tide-number-1-floods-the-harbour/")
    assert marker(1) in first["html"]  # a trial member reads in full
    assert (first["is_read"], first["is_saved"]) == (0, 0)
    assert first["created_on_time"] == int(world["articles"][0].published_at.timestamp())
    _, since = fever(world, key, f"items&since_id={ids[1]}")
    assert [i["id"] for i in since["items"]] == ids[2:]
    _, before = fever(world, key, f"items&max_id={ids[2]}")
    assert [i["id"] for i in before["items"]] == [ids[1], ids[0]]
    _, chosen = fever(world, key, f"items&with_ids={ids[3]},{ids[0]}")
    assert [i["id"] for i in chosen["items"]] == [ids[0], ids[3]]


def test_expired_member_gets_teasers(world, key):
    expire(world["reader"])
    _, answer = fever(world, key, "items")
    html = " ".join(i["html"] for i in answer["items"])
    assert all(marker(n) not in html for n in range(1, 5))
    assert "Sign up to read this article" in html


def test_mark_items_read_unread_saved_unsaved(world, key):
    reader, ids = world["reader"], [a.pk for a in world["articles"]]
    _, answer = fever(world, key, "unread_item_ids&saved_item_ids")
    assert set(answer["unread_item_ids"].split(",")) == {str(pk) for pk in ids}
    assert answer["saved_item_ids"] == ""
    fever(world, key, mark="item", **{"as": "read"}, id=ids[0])
    assert ReadingHistory.objects.get(user=reader).full is True
    fever(world, key, mark="item", **{"as": "saved"}, id=ids[1])
    assert SavedArticle.objects.filter(user=reader, article_id=ids[1]).exists()
    _, answer = fever(world, key, "unread_item_ids&saved_item_ids&items")
    assert str(ids[0]) not in answer["unread_item_ids"].split(",")
    assert answer["saved_item_ids"] == str(ids[1])
    states = {i["id"]: (i["is_read"], i["is_saved"]) for i in answer["items"]}
    assert states[ids[0]] == (1, 0) and states[ids[1]] == (0, 1)
    fever(world, key, mark="item", **{"as": "unread"}, id=ids[0])
    fever(world, key, mark="item", **{"as": "unsaved"}, id=ids[1])
    assert not ReadingHistory.objects.filter(user=reader).exists()
    assert not SavedArticle.objects.filter(user=reader).exists()


def test_mark_a_feed_and_a_group_read_before_a_time(world, key):
    reader, articles = world["reader"], world["articles"]
    before = int(articles[1].published_at.timestamp())
    status, _ = fever(world, key, mark="feed", **{"as": "read"}, id=world["gazette"].pk,
                      before=before)
    assert status == 200
    marked = ReadingHistory.objects.filter(user=reader)
    assert {h.article_id for h in marked} == {articles[0].pk, articles[1].pk}
    assert not any(h.full for h in marked)  # catching up is not reading
    sport = Section.objects.get(name="Sport").pk
    fever(world, key, mark="group", **{"as": "read"}, id=sport,
          before=int(articles[3].published_at.timestamp()))
    assert ReadingHistory.objects.filter(user=reader, article=articles[3]).exists()
    fever(world, key, mark="group", **{"as": "read"}, id=0, before=2_000_000_000)
    assert ReadingHistory.objects.filter(user=reader).count() == 4


@pytest.mark.parametrize(("query", "form", "message"), [
    ("", {"mark": "item", "as": "starred", "id": "1"}, "as must be"),
    ("", {"mark": "item", "as": "read", "id": "abc"}, "id must be"),
    ("", {"mark": "item", "as": "read", "id": "999999"}, "No item"),
    ("", {"mark": "feed", "as": "read", "id": "999999"}, "No feed"),
    ("", {"mark": "group", "as": "read", "id": "999999"}, "No group"),
    ("", {"mark": "feed", "as": "read", "id": "1", "before": "9" * 30}, "before must be"),
    ("", {"mark": "story", "as": "read", "id": "1"}, "mark must be"),
    ("items&since_id=x", {}, "since_id must be"),
    ("items&with_ids=1,two", {}, "with_ids must be"),
    ("items&with_ids=1," + "9" * 23, {}, "with_ids must be"),
    ("items&max_id=" + "9" * 23, {}, "max_id must be"),
])
def test_bad_requests_are_clear_errors(world, key, query, form, message):
    status, answer = fever(world, key, query, **form)
    assert status == 400
    assert message in answer["error"]
    assert not ReadingHistory.objects.exists()


def test_xml_is_not_served(world, key):
    request = urllib.request.Request(world["url"] + "?api=xml",
                                     data=urlencode({"api_key": key}).encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400


def test_an_app_password_cannot_expire(world):
    browser = Client()
    browser.force_login(world["reader"])
    refused = browser.post("/api/v1/tokens", {"kind": "fever", "expires_in_days": 30},
                           content_type="application/json")
    assert refused.status_code == 422
    assert "revoked" in refused.json()["detail"]
