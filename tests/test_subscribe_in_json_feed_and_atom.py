"""Feed readers subscribe to any public feed as RSS, Atom or JSON Feed 1.1; each carries teasers.

The JSON Feed answers are checked against the 1.1 specification (required fields, the version
URL, string ids, HTML content, RFC 3339 dates, underscore-prefixed extensions).
"""

from __future__ import annotations

import json
import re

import feedparser
import pytest
from api_support import make_article, make_publisher, marker
from django.conf import settings
from for_you_support import topic
from story_support import make_story

from broadsheet.curation import picks
from broadsheet.stories.models import StoryTopic

VERSION = "https://jsonfeed.org/version/1.1"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TOP_KEYS = {"version", "title", "home_page_url", "feed_url", "description", "user_comment",
            "next_url", "icon", "favicon", "authors", "language", "expired", "hubs", "items"}
ITEM_KEYS = {"id", "url", "external_url", "title", "content_html", "content_text", "summary",
             "image", "banner_image", "date_published", "date_modified", "authors", "tags",
             "language", "attachments"}


def assert_json_feed(document: dict) -> None:
    """The JSON Feed 1.1 rules a reader relies on."""
    assert document["version"] == VERSION
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    for key in document:
        assert key in TOP_KEYS or key.startswith("_"), key
    for url_key in ("home_page_url", "feed_url"):
        assert document[url_key].startswith(("http://", "https://"))
    ids = [item["id"] for item in document["items"]]
    assert len(ids) == len(set(ids))
    for item in document["items"]:
        for key in item:
            assert key in ITEM_KEYS or key.startswith("_"), key
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str) and item["content_html"]
        assert RFC3339.match(item["date_published"]), item["date_published"]
        assert RFC3339.match(item["date_modified"]), item["date_modified"]
        assert item["url"].startswith(settings.SITE_URL + "/")
        assert all(isinstance(a["name"], str) for a in item.get("authors", []))
        assert all(isinstance(t, str) for t in item.get("tags", []))


@pytest.fixture
def newsroom(db):
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    made = [make_article(gazette, n) for n in range(1, 3)]
    made.append(make_article(courier, 3, section="Sport"))
    story = make_story(made[:2])
    StoryTopic.objects.create(story=story, topic=topic("Sea walls"), weight=1.0,
                              last_published_at=story.last_published_at)
    picks.create(None, story=story, note="The storm, from every side")
    return {"articles": made, "story": story}


def public_feeds(newsroom) -> dict[str, int]:
    """Each public feed's address without its extension, and how many items it holds."""
    story = newsroom["story"]
    return {"/feeds/latest": 3, "/feeds/section/sport": 1, "/feeds/section/world": 2,
            "/feeds/publication/the-harbour-gazette": 2, "/feeds/topic/sea-walls": 1,
            "/feeds/picks": 1, f"/feeds/story/{story.pk}": 2,
            "/feeds/search?q=tide": 3}


def test_every_public_feed_is_valid_json_feed_with_teasers_only(client, newsroom):
    for stem, count in public_feeds(newsroom).items():
        path = stem.replace("?", ".json?") if "?" in stem else stem + ".json"
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "application/feed+json; charset=utf-8"
        document = json.loads(response.content)
        assert_json_feed(document)
        assert len(document["items"]) == count, path
        body = response.content.decode()
        assert all(marker(n) not in body for n in (1, 2, 3)), path
        assert all("Sign up to read this article" in item["content_html"]
                   for item in document["items"]), path


def test_every_public_feed_has_rss_and_atom_too(client, newsroom):
    for stem, count in public_feeds(newsroom).items():
        for extension, version in ((".xml", "rss20"), (".atom", "atom10")):
            path = stem.replace("?", extension + "?") if "?" in stem else stem + extension
            response = client.get(path)
            assert response.status_code == 200, path
            feed = feedparser.parse(response.content)
            assert feed.version == version, path
            assert len(feed.entries) == count, path
            assert marker(1) not in response.content.decode()


def test_json_items_match_the_rss_items(client, newsroom):
    document = json.loads(client.get("/feeds/latest.json").content)
    rss = feedparser.parse(client.get("/feeds/latest.xml").content)
    assert [i["id"] for i in document["items"]] == [e.id for e in rss.entries]
    assert [i["title"] for i in document["items"]] == [e.title for e in rss.entries]
    first = document["items"][-1]
    assert first["external_url"] == "https://gazette.example/news/1"
    assert first["authors"] == [{"name": "Ana Reyes"}]
    assert first["date_published"] == "2026-11-20T09:00:00+00:00"
    assert document["feed_url"] == settings.SITE_URL + "/feeds/latest.json"


def test_story_feed_follows_its_coverage(client, newsroom):
    story = newsroom["story"]
    document = json.loads(client.get(f"/feeds/story/{story.pk}.json").content)
    assert document["title"].startswith("Full coverage: ")
    assert document["home_page_url"] == settings.SITE_URL + f"/story/{story.pk}/"
    assert client.get("/feeds/story/999999.json").status_code == 404


def test_search_feed_needs_words(client, newsroom):
    for path in ("/feeds/search.json", "/feeds/search.xml?q=%20%20"):
        response = client.get(path)
        assert response.status_code == 400
        assert b"Give the words to search for" in response.content


def test_unknown_feeds_are_404_in_every_format(client, newsroom):
    for path in ("/feeds/section/nowhere.json", "/feeds/publication/nobody.atom",
                 "/feeds/topic/no-such-topic.json"):
        assert client.get(path).status_code == 404, path
