"""An operator marks a publisher "feed only": its article pages are never fetched, and its
articles are kept as its feeds carry them. Set from the command line, the catalogue or the admin.
Real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest
from polite_support import RSS, page_hits, publish, teaser

from broadsheet.articles.models import Article
from broadsheet.cli import main
from broadsheet.ingest.polite import FEED_ONLY_NOTICE
from broadsheet.readers.commands import editors_group
from broadsheet.readers.models import User
from broadsheet.sources.catalog import CatalogError, install_catalog, parse_catalog
from broadsheet.sources.models import Host, Publisher, Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_fetching(settings):
    settings.FETCH = {**settings.FETCH, "allow_private": True, "host_delay": 0.0,
                      "total_timeout": 5.0}
    settings.EXTRACT_WORKERS = 1


def full_content_feed(server, slug: str) -> bytes:
    body = "".join(f"<p>Paragraph {i} of the {slug} story as the feed carries it.</p>"
                   for i in range(3))
    return (f"<?xml version='1.0'?><rss version='2.0' "
            f"xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
            f"<title>Gazette</title><item><title>Story {slug}</title>"
            f"<link>{server.url('/news/' + slug)}</link><guid>{slug}</guid>"
            f"<description>{teaser(slug)}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
            f"</channel></rss>").encode()


def test_a_feed_only_publisher_added_from_the_command_line_has_no_page_fetched(
        http_server, capsys):
    url = publish(http_server, ["harbour-wall", "tram-line"])
    assert main(["sources", "add", url, "--publisher", "Gazette", "--feed-only"]) == 0
    assert "feed only" in capsys.readouterr().out
    assert Publisher.objects.get(name="Gazette").feed_only

    assert main(["fetch"]) == 0
    assert page_hits(http_server, ["harbour-wall", "tram-line"]) == 0
    assert http_server.hits("/robots.txt") == 0  # nothing to ask it about
    assert "2 articles kept from their feeds" in capsys.readouterr().out
    article = Article.objects.get(title="Story tram-line")
    assert article.text == teaser("tram-line")
    source = Source.objects.get()
    assert source.notice == FEED_ONLY_NOTICE

    assert main(["sources", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Gazette (feed only)" in listing and FEED_ONLY_NOTICE in listing


def test_a_feed_only_publisher_keeps_the_full_text_its_feed_carries(http_server):
    http_server.route("/feed.xml", body=full_content_feed(http_server, "ferry"), headers=RSS)
    assert main(["sources", "add", http_server.url("/feed.xml"), "--feed-only"]) == 0
    assert main(["fetch"]) == 0
    assert http_server.hits("/news/ferry") == 0
    assert "Paragraph 2 of the ferry story" in Article.objects.get().text


def test_feed_only_is_switched_off_and_on_by_name(http_server, capsys):
    url = publish(http_server, ["harbour-wall"])
    assert main(["sources", "add", url, "--publisher", "The Gazette"]) == 0
    slug = Publisher.objects.get().slug
    assert main(["sources", "feed-only", slug]) == 0
    assert "is feed only" in capsys.readouterr().out
    main(["fetch"])
    assert http_server.hits("/news/harbour-wall") == 0

    assert main(["sources", "feed-only", "The Gazette", "--off"]) == 0
    assert not Publisher.objects.get().feed_only
    publish(http_server, ["harbour-wall", "tram-line"])
    main(["fetch"])
    assert http_server.hits("/news/tram-line") == 1
    assert Source.objects.get().notice == ""

    assert main(["sources", "feed-only", "Nobody"]) == 1
    assert "no publisher named 'Nobody'" in capsys.readouterr().err


def test_an_existing_source_added_again_with_feed_only_marks_its_publisher(http_server):
    url = publish(http_server, ["harbour-wall"])
    assert main(["sources", "add", url]) == 0
    assert main(["sources", "add", url, "--feed-only"]) == 0
    assert Source.objects.count() == 1 and Source.objects.get().publisher.feed_only


CATALOGUE = [{"name": "Wire Only", "homepage": "https://wire.example/", "country": "GB",
              "language": "en", "feed_only": True,
              "feeds": [{"url": "https://wire.example/feed.xml", "section": "World"}]}]


def test_the_catalogue_marks_publishers_feed_only():
    install_catalog(parse_catalog(CATALOGUE))
    assert Publisher.objects.get(name="Wire Only").feed_only
    with pytest.raises(CatalogError, match="'feed_only' 'yes' must be true or false"):
        parse_catalog([{**CATALOGUE[0], "feed_only": "yes"}])


def test_editors_see_feed_only_publishers_and_hosts_in_the_admin(client):
    editor = User.objects.create_user("editor@example.com", "a long editor passphrase",
                                      is_staff=True)
    editor.groups.add(editors_group())
    client.force_login(editor)
    publisher = Publisher.objects.create(name="Wire Only", feed_only=True)
    Source.objects.create(publisher=publisher, url="https://wire.example/feed.xml",
                          notice=FEED_ONLY_NOTICE)
    Host.objects.create(origin="https://wire.example:443", robots_status=200, crawl_delay=5,
                        pause_reason="HTTP 429 Too Many Requests")

    listing = client.get("/admin/sources/publisher/?feed_only__exact=1").content.decode()
    assert "Wire Only" in listing and 'name="form-0-feed_only"' in listing
    assert FEED_ONLY_NOTICE in client.get("/admin/sources/source/").content.decode()
    hosts = client.get("/admin/sources/host/").content.decode()
    assert "https://wire.example:443" in hosts and "HTTP 429 Too Many Requests" in hosts
    response = client.post("/admin/sources/host/", {
        "action": "lift_pause", "_selected_action": [Host.objects.get().pk]})
    assert response.status_code == 302
    assert Host.objects.get().pause_reason == ""
