"""An app does what the reader's pages do: save and unsave, read and tidy the reading history,
follow and unfollow publishers, sections and topics, each list paged by cursor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_support import make_article, make_publisher, make_reader
from django.urls import reverse
from django.utils import timezone

from broadsheet.api.auth import issue_token
from broadsheet.curation.models import Interest
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
from broadsheet.stories.models import Topic, TopicAlias
from broadsheet.stories.topics import topic_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return make_reader("trial")


@pytest.fixture
def app(client, reader):
    """The test client, sending the reader's personal token."""
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(reader).secret}"
    return client


def walk(app, path: str, **params) -> list[list[int]]:
    """Every page of a cursor-paged list: the ids on each page."""
    pages, cursor = [], None
    while True:
        answer = app.get(path, {**params, **({"cursor": cursor} if cursor else {})}).json()
        pages.append([item["id"] for item in answer["items"]])
        cursor = answer["next_cursor"]
        if cursor is None:
            assert answer["next"] is None
            return pages
        assert answer["next"].endswith(f"cursor={cursor}")


def test_save_list_and_unsave(app, reader):
    publisher = make_publisher()
    articles = [make_article(publisher, n) for n in range(5)]
    first = app.put(f"/api/v1/saved/{articles[0].pk}")
    assert first.status_code == 201 and first.json()["saved_at"]
    assert first.json()["full"] is True and first.json()["publisher"]["slug"] == publisher.slug
    assert app.put(f"/api/v1/saved/{articles[0].pk}").status_code == 200  # idempotent
    assert SavedArticle.objects.filter(user=reader).count() == 1
    assert Interest.objects.filter(user=reader).exists()  # saving teaches For you
    for article in articles[1:]:
        app.put(f"/api/v1/saved/{article.pk}")
    pages = walk(app, "/api/v1/saved", limit=2)
    assert pages == [[articles[4].pk, articles[3].pk], [articles[2].pk, articles[1].pk],
                     [articles[0].pk]]
    assert app.delete(f"/api/v1/saved/{articles[2].pk}").status_code == 204
    assert app.delete(f"/api/v1/saved/{articles[2].pk}").status_code == 404
    assert articles[2].pk not in sum(walk(app, "/api/v1/saved"), [])
    assert app.put("/api/v1/saved/999999").json() == {"detail": "No article with id 999999."}


def test_pages_do_not_shift_when_saving_meanwhile(app):
    publisher = make_publisher()
    articles = [make_article(publisher, n) for n in range(4)]
    for article in articles[:3]:
        app.put(f"/api/v1/saved/{article.pk}")
    first = app.get("/api/v1/saved", {"limit": 2}).json()
    app.put(f"/api/v1/saved/{articles[3].pk}")  # a new save goes to the front, not page 2
    second = app.get("/api/v1/saved", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in second["items"]] == [articles[0].pk]


def test_the_lists_are_the_readers_own(app, reader):
    other = make_reader("active")
    article = make_article(make_publisher(), 1)
    SavedArticle.objects.create(user=other, article=article)
    ReadingHistory.objects.create(user=other, article=article, read_at=timezone.now())
    assert app.get("/api/v1/saved").json()["items"] == []
    assert app.get("/api/v1/history").json()["items"] == []
    assert app.delete(f"/api/v1/saved/{article.pk}").status_code == 404
    assert app.delete(f"/api/v1/history/{article.pk}").status_code == 404
    assert SavedArticle.objects.filter(user=other).exists()


def test_history_lists_remove_and_clear(app, reader, client):
    publisher = make_publisher()
    articles = [make_article(publisher, n) for n in range(3)]
    now = timezone.now()
    for n, article in enumerate(articles):
        ReadingHistory.objects.create(user=reader, article=article, full=n != 1,
                                      read_at=now - timedelta(minutes=10 - n))
    items = app.get("/api/v1/history").json()["items"]
    assert [(i["id"], i["read_in_full"]) for i in items] == [
        (articles[2].pk, True), (articles[1].pk, False), (articles[0].pk, True)]
    assert walk(app, "/api/v1/history", limit=1) == [[a.pk] for a in reversed(articles)]
    assert app.delete(f"/api/v1/history/{articles[1].pk}").status_code == 204
    assert [i["id"] for i in app.get("/api/v1/history").json()["items"]] == [
        articles[2].pk, articles[0].pk]
    assert app.delete("/api/v1/history").status_code == 204
    assert not ReadingHistory.objects.filter(user=reader).exists()


def test_lists_need_a_reader_and_a_good_cursor(app):
    from django.test import Client

    for path in ("/api/v1/saved", "/api/v1/history", "/api/v1/follows"):
        assert app.get(path, {"cursor": "nonsense!"}).status_code == 400
        assert app.get(path, {"limit": 101}).status_code == 422
        assert Client().get(path).status_code == 401
        assert Client(HTTP_AUTHORIZATION="Bearer bs_revoked").get(path).status_code == 401


def test_follow_publishers_sections_and_topics(app, reader):
    publisher = make_publisher()
    topic = Topic.objects.create(slug="angela-merkel", name="Angela Merkel", kind="person")
    TopicAlias.objects.create(key=topic_key("Merkel"), topic=topic)
    made = app.post("/api/v1/follows", {"publisher": publisher.slug},
                    content_type="application/json")
    assert made.status_code == 201
    assert made.json()["name"] == publisher.name
    assert made.json()["url"].endswith(reverse("publication", args=[publisher.slug]))
    assert app.post("/api/v1/follows", {"publisher": publisher.slug},
                    content_type="application/json").status_code == 200
    section = app.post("/api/v1/follows", {"section": "sport"},
                       content_type="application/json").json()
    assert (section["kind"], section["slug"], section["name"]) == ("section", "sport", "Sport")
    known = app.post("/api/v1/follows", {"topic": "  Merkel "},
                     content_type="application/json").json()
    assert (known["slug"], known["name"]) == ("angela-merkel", "Angela Merkel")
    assert known["feed_url"].endswith("/feeds/topic/angela-merkel.xml")
    words = app.post("/api/v1/follows", {"topic": "sea   walls"},
                     content_type="application/json").json()
    assert (words["slug"], words["feed_url"]) == ("sea walls", None)
    assert words["url"].endswith("/search?q=sea+walls")
    assert Follow.objects.filter(user=reader).count() == 4
    assert walk(app, "/api/v1/follows", limit=3) == [[words["id"], known["id"], section["id"]],
                                                      [made.json()["id"]]]
    topics = app.get("/api/v1/follows", {"kind": "topic"}).json()["items"]
    assert [t["slug"] for t in topics] == ["sea walls", "angela-merkel"]
    # The same follows the For you profile shows.
    profile = app.get("/api/v1/for-you/profile").json()["follows"]
    assert {"kind": "section", "slug": "sport", "name": "Sport"} in profile
    assert app.delete(f"/api/v1/follows/{section['id']}").status_code == 204
    assert app.delete(f"/api/v1/follows/{section['id']}").status_code == 404
    assert not Follow.objects.filter(user=reader, kind="section").exists()


@pytest.mark.parametrize("body, field", [
    ({}, "publisher"), ({"publisher": "nobody"}, "publisher"), ({"section": "nowhere"}, "section"),
    ({"topic": "   "}, "topic"), ({"section": "sport", "topic": "x"}, "publisher")])
def test_following_something_unknown_says_which_field(app, body, field):
    answer = app.post("/api/v1/follows", body, content_type="application/json")
    assert answer.status_code == 422
    assert f"payload.{field}" in answer.json()["detail"]
    assert not Follow.objects.exists()


def test_latest_from_what_is_followed(app, reader):
    followed, other = make_publisher("Followed Times"), make_publisher("Other Post")
    now = timezone.now()
    mine = [make_article(followed, n, published_at=now - timedelta(hours=n)) for n in range(3)]
    make_article(other, 10, published_at=now)
    app.post("/api/v1/follows", {"publisher": followed.slug}, content_type="application/json")
    items = app.get("/api/v1/follows/latest", {"limit": 2}).json()["items"]
    assert [i["id"] for i in items] == [mine[0].pk, mine[1].pk]
    assert all(i["full"] for i in items)


def test_a_session_changes_lists_with_the_csrf_header(reader):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    article = make_article(make_publisher(), 1)
    refused = browser.put(f"/api/v1/saved/{article.pk}")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    browser.get("/account/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    assert browser.put(f"/api/v1/saved/{article.pk}",
                       headers={"X-CSRFToken": token}).status_code == 201
