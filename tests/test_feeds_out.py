"""Feeds out: public RSS and Atom carry teasers; a member's private feed carries full text."""

from __future__ import annotations

from urllib.parse import urlsplit

import feedparser
import pytest
from api_support import expire, make_article, make_publisher, make_reader, marker
from django.conf import settings

from broadsheet.api.auth import private_feed_url


@pytest.fixture
def articles(db):
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    made = [make_article(gazette, n) for n in range(1, 3)]
    made.append(make_article(courier, 3, section="Sport"))
    return made


def parsed(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response, feedparser.parse(response.content)


def test_latest_rss_lists_articles_with_teasers_and_links_here(client, articles):
    response, feed = parsed(client, "/feeds/latest.xml")
    assert response["Content-Type"].startswith("application/rss+xml")
    assert feed.feed.title == "Broadsheet: latest"
    assert [e.title for e in feed.entries] == [a.title for a in reversed(articles)]
    entry = feed.entries[-1]
    assert entry.link.startswith(settings.SITE_URL + f"/article/{articles[0].pk}/")
    assert "Opening paragraph 1" in entry.summary
    assert "Sign up to read this article" in entry.summary
    assert marker(1) not in response.content.decode()


def test_latest_atom(client, articles):
    response, feed = parsed(client, "/feeds/latest.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    assert feed.version == "atom10"
    assert len(feed.entries) == 3
    assert all(m not in response.content.decode() for m in map(marker, (1, 2, 3)))


def test_section_and_publication_feeds(client, articles):
    _, sport = parsed(client, "/feeds/section/sport.xml")
    assert [e.title for e in sport.entries] == [articles[2].title]
    _, gazette = parsed(client, "/feeds/publication/the-harbour-gazette.xml")
    assert {e.title for e in gazette.entries} == {articles[0].title, articles[1].title}
    assert gazette.feed.title == "The Harbour Gazette on Broadsheet"


def test_unknown_section_or_publication_is_404(client, articles):
    assert client.get("/feeds/section/nowhere.xml").status_code == 404
    assert client.get("/feeds/publication/nobody.xml").status_code == 404


def test_public_feed_stays_teasers_for_a_signed_in_member(client, articles):
    client.force_login(make_reader("trial"))
    response, _ = parsed(client, "/feeds/latest.xml")
    assert marker(1) not in response.content.decode()


def test_private_feed_is_full_text_for_a_member(client, articles):
    reader = make_reader("trial")
    url = private_feed_url(reader)
    assert url.startswith(settings.SITE_URL + "/feeds/private/")
    response, feed = parsed(client, urlsplit(url).path)
    assert marker(1) in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert len(feed.entries) == 3


def test_private_feed_drops_to_teasers_when_the_membership_expires(client, articles):
    reader = make_reader("trial")
    path = urlsplit(private_feed_url(reader)).path
    assert marker(2) in client.get(path).content.decode()
    expire(reader)
    after = client.get(path)
    assert after.status_code == 200
    assert marker(2) not in after.content.decode()
    assert "Sign up to read this article" in feedparser.parse(after.content).entries[0].summary


def test_private_atom_variant(client, articles):
    reader = make_reader("active")
    path = urlsplit(private_feed_url(reader)).path.replace("latest.xml", "latest.atom")
    response, feed = parsed(client, path)
    assert feed.version == "atom10" and marker(3) in response.content.decode()


def test_unknown_private_feed_token_is_404(client, articles):
    assert client.get("/feeds/private/bs_not-a-token/latest.xml").status_code == 404


def test_an_api_token_does_not_open_a_private_feed(client, articles):
    from broadsheet.api.auth import issue_token

    secret = issue_token(make_reader("trial")).secret
    assert client.get(f"/feeds/private/{secret}/latest.xml").status_code == 404
