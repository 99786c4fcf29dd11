"""The offline demo publisher network: a real server whose feeds, pages and images all work."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from lxml import etree, html

from broadsheet.demo import DemoNetwork
from broadsheet.demo.content import SECTIONS, parse_articles

NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SM_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def network():
    with DemoNetwork() as running:
        yield running


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        yield http


def feed_items(network: DemoNetwork, client: httpx.Client) -> list[tuple[str, str, datetime]]:
    """(feed format, item link, item date) for every item of every feed, parsed independently."""
    items = []
    for feed in network.feeds():
        response = client.get(feed.url)
        assert response.status_code == 200, feed.url
        if feed.format == "jsonfeed":
            assert response.headers["content-type"].startswith("application/feed+json")
            document = json.loads(response.content)
            assert document["version"] == "https://jsonfeed.org/version/1.1"
            found = [(i["url"], datetime.fromisoformat(i["date_published"]))
                     for i in document["items"]]
        elif feed.format == "sitemap":
            root = etree.fromstring(response.content)
            assert root.tag == f"{SM_NS}urlset"
            found = [(u.findtext(f"{SM_NS}loc"),
                      datetime.fromisoformat(u.findtext(f".//{NEWS_NS}publication_date")))
                     for u in root.iter(f"{SM_NS}url")]
        else:
            parsed = feedparser.parse(response.content)
            assert not parsed.bozo, (feed.url, parsed.get("bozo_exception"))
            assert parsed.version.startswith(feed.format), parsed.version
            found = [(e.link, parsedate_to_datetime(e.published) if feed.format == "rss"
                      else datetime.fromisoformat(e.published)) for e in parsed.entries]
        assert found, f"{feed.url} lists no items"
        items.extend((feed.format, link, date) for link, date in found)
    return items


def json_ld_article(doc) -> dict:
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        data = json.loads(script.text)
        for node in data.get("@graph", [data]):
            if node.get("@type") == "NewsArticle":
                return node
    raise AssertionError("no NewsArticle JSON-LD")


def test_server_listens_on_loopback_and_answers_404(network, client) -> None:
    assert urlsplit(network.base_url).hostname == "127.0.0.1"
    assert client.get(network.base_url + "/").status_code == 200
    missing = client.get(network.base_url + "/harbour-gazette/no-such-story")
    assert missing.status_code == 404
    assert "not found" in missing.text.lower()
    assert client.get(network.base_url + "/images/nothing.png").status_code == 404


def test_feeds_cover_every_format(network) -> None:
    formats = {feed.format for feed in network.feeds()}
    assert formats == {"rss", "atom", "jsonfeed", "sitemap"}
    assert [f.kind for f in network.feeds() if f.format == "sitemap"] == ["sitemap"]
    assert len({feed.publisher for feed in network.feeds()}) >= 4


def test_every_feed_item_is_an_article_page_with_consistent_metadata(network, client) -> None:
    items = feed_items(network, client)
    by_url = {a.url: a for a in network.articles()}
    seen: set[str] = set()
    tracked = 0
    for fmt, link, date in items:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.headers["content-type"].startswith("text/html")
        doc = html.fromstring(response.content)
        canonical = doc.xpath('//link[@rel="canonical"]/@href')[0]
        assert canonical in by_url
        assert canonical == link.split("?")[0]
        tracked += "utm_source=" in link
        node = json_ld_article(doc)
        assert node["headline"] == doc.xpath("//h1")[0].text_content()
        published = datetime.fromisoformat(node["datePublished"])
        assert published == date, (fmt, link)
        assert doc.xpath('//meta[@property="og:image"]/@content')[0] == node["image"]["url"]
        seen.add(canonical)
    assert seen == set(by_url), "every article page is listed by some feed"
    assert tracked >= 10, "some feeds carry utm_ tracking parameters"


def test_pages_look_like_real_news_sites(network, client) -> None:
    for article in network.articles():
        page = client.get(article.url).text
        doc = html.fromstring(page)
        assert doc.xpath("//nav//a"), article.id
        assert doc.xpath('//*[contains(@class, "cookie-notice")]'), article.id
        assert "Sign up" in page and "Related" in page and "<footer" in page
        assert doc.xpath('//meta[@property="og:title"]/@content') == [article.headline]
        body = " ".join(p.text_content() for p in doc.xpath('//div[@class="article-body"]/p'))
        assert body == " ".join(article.paragraphs)
        related = doc.xpath('//section[@class="related"]//a/@href')
        assert related and article.url not in related
        assert 250 <= article.word_count <= 600, (article.id, article.word_count)
    image = client.get(network.articles()[0].image_url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    logo = client.get(network.base_url + "/pitchside/logo.svg")
    assert logo.status_code == 200 and b"<svg" in logo.content


def test_content_is_broad_fresh_and_clusterable(network) -> None:
    articles = network.articles()
    assert 36 <= len(articles) <= 48
    assert {a.section for a in articles} == set(SECTIONS)
    assert len({a.publisher for a in articles}) == 5
    now = network.now
    for article in articles:
        assert now - timedelta(days=3) <= article.published_at <= now, article.id
        assert article.modified_at >= article.published_at
    multi = {story: group for story, group in network.stories().items()
             if len({a.publisher for a in group}) >= 2}
    assert len(multi) >= 3
    for group in multi.values():
        assert len({a.headline for a in group}) == len(group)


def test_wire_copies_share_body_under_different_headlines(network) -> None:
    copies: dict[tuple[str, ...], list] = defaultdict(list)
    for article in network.articles():
        copies[article.paragraphs].append(article)
    syndicated = [group for group in copies.values() if len(group) > 1]
    assert syndicated
    group = max(syndicated, key=len)
    assert len(group) >= 2 and len({a.publisher for a in group}) == len(group)
    assert len({a.headline for a in group}) == len(group)
    assert len({a.url for a in group}) == len(group)


def test_conditional_requests_get_304(network, client) -> None:
    url = network.feeds()[0].url
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    since = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    assert client.head(url).headers["content-length"] == str(len(first.content))


def test_dates_follow_the_clock_given() -> None:
    fixed = datetime(2030, 1, 2, 12, 0, tzinfo=UTC)
    with DemoNetwork(now=fixed) as demo:
        newest = max(a.published_at for a in demo.articles())
        assert fixed - timedelta(hours=3) < newest <= fixed
        assert demo.now == fixed
        url = demo.base_url
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/", timeout=2)


def test_bad_article_blocks_are_named() -> None:
    with pytest.raises(ValueError, match="'x'.*section"):
        parse_articles("=== x\npublisher: pitchside\nstory: s\nsection: Gossip\nhours: 1\n"
                       "headline: H\nsummary: S\n---\nBody.\n")
    with pytest.raises(ValueError, match="'y'.*not defined"):
        parse_articles("=== y\npublisher: pitchside\nstory: s\nsection: Sport\nhours: 1\n"
                       "headline: H\nsummary: S\nbody: nowhere\n---\n")


@pytest.mark.django_db
def test_install_creates_publishers_and_sources_once(network) -> None:
    from broadsheet.sources.models import Source

    first = network.install()
    assert (first.publishers_created, first.sources_created) == (5, len(network.feeds()))
    assert Source.objects.get(url__endswith="sitemap-news.xml").kind == "sitemap"
    assert network.install().created == 0
