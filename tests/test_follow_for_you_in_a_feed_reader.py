"""A member reads their own For you in a feed reader, at their private, revocable address.

Each item says why it is there; bodies are whole while the membership gives access and teasers
after; revoking the feed token closes the address.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import feedparser
import pytest
from api_support import expire, make_reader
from for_you_support import build_newsroom

from broadsheet.api.auth import private_feed_url
from broadsheet.api.models import ApiToken
from broadsheet.curation import foryou
from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    build_newsroom()
    member = make_reader("trial")
    Follow.objects.create(user=member, kind=Follow.Kind.SECTION,
                          section=Section.objects.get(slug="sport"))
    return member


def for_you_path(member, extension: str = "json") -> str:
    latest = urlsplit(private_feed_url(member)).path
    return latest.replace("/latest.xml", f"/for-you.{extension}")


def test_for_you_feed_ranks_as_the_page_does_and_says_why(client, reader):
    response = client.get(for_you_path(reader))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    document = json.loads(response.content)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "Broadsheet: For you"
    ranked = foryou.for_you(reader, 50)
    assert [i["title"] for i in document["items"]] == [r.article.title for r in ranked]
    assert [i["_broadsheet"]["reason"] for i in document["items"]] == [
        r.reason.as_dict() for r in ranked]
    assert any(i["_broadsheet"]["reason"]["kind"] == "follow" for i in document["items"])
    first = document["items"][0]
    assert ranked[0].reason.text in first["content_html"]
    assert "Read on Broadsheet" in first["content_html"]
    assert "Sign up to read this article" not in first["content_html"]


def test_rss_and_atom_carry_the_reason_in_the_body(client, reader):
    for extension, version in (("xml", "rss20"), ("atom", "atom10")):
        feed = feedparser.parse(client.get(for_you_path(reader, extension)).content)
        assert feed.version == version
        assert "Because you follow Sport" in " ".join(e.summary for e in feed.entries)


def test_for_you_feed_drops_to_teasers_when_the_membership_ends(client, reader):
    path = for_you_path(reader)
    expire(reader)
    document = json.loads(client.get(path).content)
    assert document["items"]
    assert all("Sign up to read this article" in i["content_html"] for i in document["items"])


def test_revoking_the_feed_token_closes_the_address(client, reader):
    path = for_you_path(reader)
    assert client.get(path).status_code == 200
    ApiToken.objects.filter(user=reader, kind=ApiToken.Kind.FEED).delete()
    assert client.get(path).status_code == 404
    assert client.get("/feeds/private/bs_unknown/for-you.xml").status_code == 404


def test_the_account_page_shows_the_for_you_address_with_a_new_private_feed(client, reader):
    client.force_login(reader)
    client.post("/account/apps/feed/")
    page = client.get("/account/").content.decode()
    latest = re.search(r'id="new-feed-url" type="text" readonly value="([^"]+)"', page).group(1)
    for_you = re.search(r'id="new-for-you-url" type="text" readonly value="([^"]+)"',
                        page).group(1)
    assert for_you == latest.replace("/latest.xml", "/for-you.xml")
    client.logout()
    feed = feedparser.parse(client.get(urlsplit(for_you).path).content)
    assert feed.feed.title == "Broadsheet: For you" and feed.entries


def test_a_feed_token_made_through_the_api_names_both_private_feeds(client, reader):
    client.force_login(reader)
    made = client.post("/api/v1/tokens", json.dumps({"kind": "feed", "name": "reader app"}),
                       content_type="application/json")
    assert made.status_code == 201, made.content
    answer = made.json()
    assert answer["feed_url"].endswith(f"/feeds/private/{answer['token']}/latest.xml")
    for_you = urlsplit(answer["for_you_feed_url"]).path
    assert for_you == f"/feeds/private/{answer['token']}/for-you.xml"
    parsed = feedparser.parse(client.get(for_you).content)
    assert [e.title for e in parsed.entries] == [
        r.article.title for r in foryou.for_you(reader, 50)]
    assert client.get("/api/v1/me").json()["feeds"]["latest_json"].endswith("/feeds/latest.json")
