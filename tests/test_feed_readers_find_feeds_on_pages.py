"""A feed reader pointed at any page finds the feeds of what the page shows.

Each page kind is fetched as served, its <link rel="alternate"> read with an HTML parser and
with the product's own feed discovery, and every advertised feed is fetched and parsed. The
last test does what a feed reader does over the network: give it the home page's address and
it follows the advertised link to a feed.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import feedparser
import pytest
from api_support import make_article, make_publisher
from for_you_support import topic
from story_support import make_story

from broadsheet.curation import picks
from broadsheet.ingest import parse
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.sources.subscribe import discover
from broadsheet.stories.models import StoryTopic
from broadsheet.web.links import article_path

FEED_TYPES = {"application/rss+xml", "application/feed+json"}


class Alternates(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self.in_head = False

    def handle_starttag(self, tag: str, attrs) -> None:
        values = dict(attrs)
        if tag == "head":
            self.in_head = True
        if tag == "link" and "alternate" in (values.get("rel") or "").split():
            self.found.append({**values, "in_head": self.in_head})

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False


def advertised(client, path: str) -> list[dict]:
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    reader = Alternates()
    reader.feed(response.content.decode())
    links = [link for link in reader.found if link.get("type") in FEED_TYPES]
    assert all(link["in_head"] and link.get("title") for link in links), path
    assert parse.discover_feeds(response.content, "http://testserver" + path) == [
        "http://testserver" + link["href"] for link in links]
    return links


def assert_feeds_work(client, links: list[dict]) -> list[str]:
    """Every advertised feed answers and parses; returns the feeds' titles (RSS ones)."""
    titles = []
    for link in links:
        response = client.get(link["href"])
        assert response.status_code == 200, link["href"]
        if link["type"] == "application/rss+xml":
            feed = feedparser.parse(response.content)
            assert feed.version == "rss20" and not feed.bozo, link["href"]
            titles.append(feed.feed.title)
        else:
            assert json.loads(response.content)["version"] == "https://jsonfeed.org/version/1.1"
    return titles


@pytest.fixture
def site(db):
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    articles = [make_article(gazette, 1), make_article(courier, 2, section="Sport")]
    story = make_story(articles)
    StoryTopic.objects.create(story=story, topic=topic("Sea walls"), weight=1.0,
                              last_published_at=story.last_published_at)
    return {"articles": articles, "story": story}


def test_home_advertises_latest_and_our_picks(client, site):
    assert [link["href"] for link in advertised(client, "/")] == ["/feeds/latest.xml",
                                                                  "/feeds/latest.json"]
    picks.create(None, story=site["story"], note="The storm, from every side")
    links = advertised(client, "/")
    assert [(link["type"], link["href"]) for link in links] == [
        ("application/rss+xml", "/feeds/latest.xml"),
        ("application/feed+json", "/feeds/latest.json"),
        ("application/rss+xml", "/feeds/picks.xml"),
        ("application/feed+json", "/feeds/picks.json")]
    assert assert_feeds_work(client, links) == ["Broadsheet: latest", "Our Picks on Broadsheet"]


def test_each_listing_page_advertises_its_own_feed(client, site):
    story = site["story"]
    expected = {
        "/section/sport/": ("/feeds/section/sport", "Broadsheet: Sport"),
        "/publication/valley-courier/": ("/feeds/publication/valley-courier",
                                         "Valley Courier on Broadsheet"),
        "/topic/sea-walls/": ("/feeds/topic/sea-walls", "Sea walls on Broadsheet"),
        f"/story/{story.pk}/": (f"/feeds/story/{story.pk}", None),
    }
    for page, (stem, title) in expected.items():
        links = advertised(client, page)
        assert [link["href"] for link in links] == [stem + ".xml", stem + ".json"], page
        (feed_title,) = assert_feeds_work(client, links)
        assert feed_title == title if title else feed_title.startswith("Full coverage: ")


def test_article_page_advertises_its_publication_and_section(client, site):
    links = advertised(client, article_path(site["articles"][1]))
    assert [link["href"] for link in links] == [
        "/feeds/publication/valley-courier.xml", "/feeds/publication/valley-courier.json",
        "/feeds/section/sport.xml", "/feeds/section/sport.json"]
    assert_feeds_work(client, links)


def test_search_advertises_a_feed_of_its_results(client, site):
    links = advertised(client, "/search?q=record+tide")
    assert [link["href"] for link in links] == ["/feeds/search.xml?q=record+tide",
                                                "/feeds/search.json?q=record+tide"]
    assert len(feedparser.parse(client.get(links[0]["href"]).content).entries) == 2
    assert advertised(client, "/search") == []


def test_cached_pages_carry_the_links(client, site):
    first = client.get("/")
    again = client.get("/")
    assert "public" in again["Cache-Control"]
    assert again.content == first.content
    assert b'<link rel="alternate" type="application/rss+xml"' in again.content


def test_a_feed_reader_given_the_home_page_finds_the_latest_feed(client, site, http_server):
    home = client.get("/")
    feed = client.get("/feeds/latest.xml")
    http_server.route("/", body=home.content, headers={"Content-Type": "text/html"})
    http_server.route("/feeds/latest.xml", body=feed.content,
                      headers={"Content-Type": feed["Content-Type"]})
    found = discover(http_server.url("/"), FetchPolicy(allow_private=True, host_delay=0.0))
    assert found.kind == "feed"
    assert found.url == http_server.url("/feeds/latest.xml")
    assert found.title == "Broadsheet: latest"
