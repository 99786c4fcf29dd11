"""A FeedHQ-style app (newsboat) reads each subscription as Atom from ``reader/atom/<stream>``:
Google Reader's item ids, the reader's read / unread / starred state as categories, the author,
a link to the article's page here, and content through the paywall."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from api_support import PASSWORD, expire, make_article, make_publisher, make_reader, marker
from django.utils import timezone

from broadsheet.api.greader import READ, READING_LIST, STARRED, long_item_id
from broadsheet.readers.models import ReadingHistory, SavedArticle

NS = {"atom": "http://www.w3.org/2005/Atom", "gr": "http://www.google.com/schemas/reader/atom/"}
SCHEME = "http://www.google.com/reader/"
EMAIL = "newsboat@example.com"


@pytest.fixture
def world(db):
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    articles = [make_article(gazette, n) for n in range(1, 4)]
    articles.append(make_article(courier, 4, section="Sport"))
    reader = make_reader("trial", EMAIL)
    return {"gazette": gazette, "courier": courier, "articles": articles, "reader": reader}


@pytest.fixture
def auth(client, world) -> dict:
    response = client.post("/api/greader/accounts/ClientLogin",
                           {"Email": EMAIL, "Passwd": PASSWORD})
    token = dict(line.split("=", 1) for line in response.content.decode().split())["Auth"]
    return {"HTTP_AUTHORIZATION": f"GoogleLogin auth={token}"}


def atom(client, auth, stream: str, **params) -> ET.Element:
    response = client.get(f"/api/greader/reader/atom/{stream}", params, **auth)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    return ET.fromstring(response.content)


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall("atom:entry", NS)


def states(entry: ET.Element) -> dict[str, str]:
    """The entry's Google Reader categories: term → label."""
    return {c.get("term"): c.get("label") for c in entry.findall("atom:category", NS)
            if c.get("scheme") == SCHEME}


def test_a_feed_stream_as_atom(client, world, auth):
    gazette = world["gazette"]
    feed = atom(client, auth, f"feed/{gazette.pk}", n=20)
    assert feed.findtext("atom:title", namespaces=NS) == "The Harbour Gazette"
    assert feed.find("atom:link[@rel='alternate']", NS).get("href").endswith(
        "/publication/the-harbour-gazette/")
    newest = world["articles"][2]
    [first, *_] = found = entries(feed)
    assert len(found) == 3
    assert first.findtext("atom:id", namespaces=NS) == long_item_id(newest.pk)
    assert first.findtext("atom:id", namespaces=NS).startswith(
        "tag:google.com,2005:reader/item/")
    assert first.findtext("atom:title", namespaces=NS) == newest.title
    assert first.findtext("atom:author/atom:name", namespaces=NS) == "Ana Reyes"
    link = first.find("atom:link[@rel='alternate']", NS).get("href")
    assert link.endswith(f"/article/{newest.pk}/record-tide-number-3-floods-the-harbour/")
    assert first.findtext("atom:published", namespaces=NS) == "2026-11-20T11:00:00Z"
    assert first.find("atom:content", NS).get("type") == "html"
    assert marker(3) in first.findtext("atom:content", namespaces=NS)  # a trial reads in full
    assert states(first) == {READING_LIST: "reading-list",
                             "user/-/state/com.google/fresh": "fresh",
                             "user/-/label/World": "World"}
    source = first.find("atom:source", NS)
    assert source.get(f"{{{NS['gr']}}}stream-id") == f"feed/{gazette.pk}"
    assert first.find("atom:source/atom:title", NS).text == "The Harbour Gazette"


def test_read_and_starred_travel_as_categories(client, world, auth):
    reader, [first, second, *_] = world["reader"], world["articles"]
    ReadingHistory.objects.create(user=reader, article=first, read_at=timezone.now())
    SavedArticle.objects.create(user=reader, article=second)
    found = {e.findtext("atom:id", namespaces=NS): states(e)
             for e in entries(atom(client, auth, READING_LIST))}
    assert found[long_item_id(first.pk)][READ] == "read"
    assert "user/-/state/com.google/fresh" not in found[long_item_id(first.pk)]
    assert found[long_item_id(second.pk)][STARRED] == "starred"
    assert found[long_item_id(second.pk)]["user/-/state/com.google/fresh"] == "fresh"
    unread = entries(atom(client, auth, READING_LIST, xt=READ))
    assert long_item_id(first.pk) not in {e.findtext("atom:id", namespaces=NS) for e in unread}
    starred = entries(atom(client, auth, STARRED))
    assert [e.findtext("atom:id", namespaces=NS) for e in starred] == [long_item_id(second.pk)]


def test_n_and_continuation_page_through_a_stream(client, world, auth):
    articles = world["articles"]
    first = atom(client, auth, READING_LIST, n=3)
    assert len(entries(first)) == 3
    continuation = first.findtext("gr:continuation", namespaces=NS)
    assert continuation
    rest = atom(client, auth, READING_LIST, n=3, c=continuation)
    assert [e.findtext("atom:id", namespaces=NS) for e in entries(rest)] == [
        long_item_id(articles[0].pk)]
    assert rest.find("gr:continuation", NS) is None
    oldest = atom(client, auth, READING_LIST, n=1, r="o")
    assert entries(oldest)[0].findtext("atom:id", namespaces=NS) == long_item_id(articles[0].pk)


def test_a_stream_id_sent_escaped_as_newsboat_does(client, world, auth):
    courier = world["courier"]
    response = client.get(f"/api/greader/reader/atom/feed%2F{courier.pk}?n=20", **auth)
    assert response.status_code == 200
    feed = ET.fromstring(response.content)
    assert [e.findtext("atom:title", namespaces=NS) for e in entries(feed)] == [
        world["articles"][3].title]
    assert states(entries(feed)[0])["user/-/label/Sport"] == "Sport"


def test_the_reading_list_is_the_default_stream(client, world, auth):
    assert len(entries(atom(client, auth, ""))) == 4


def test_expired_member_gets_teasers_in_atom(client, world, auth):
    expire(world["reader"])
    feed = atom(client, auth, READING_LIST)
    content = " ".join(e.findtext("atom:content", namespaces=NS) for e in entries(feed))
    assert all(marker(n) not in content for n in range(1, 5))
    assert "Sign up to read this article" in content
    assert "Opening paragraph 4" in content  # the teaser is there


def test_atom_needs_the_auth_header_and_a_known_stream(client, world, auth):
    assert client.get(f"/reader/atom/{READING_LIST}").status_code == 401
    bad = client.get("/reader/atom/user/-/state/com.google/nope", **auth)
    assert bad.status_code == 400
    assert "Unknown stream" in bad.content.decode()
    assert client.get("/reader/atom/feed/1", {"n": "many"}, **auth).status_code == 400
    assert client.get("/reader/atom/feed/1", {"c": "nope"}, **auth).status_code == 400
    assert client.get("/reader/atom/feed/1", {"ot": "99999999999999999999"},
                      **auth).status_code == 400
    assert client.post(f"/reader/atom/{READING_LIST}", **auth).status_code == 405
