"""`broadsheet sources …` and `broadsheet fetch`: the commands editors and operators type."""

from __future__ import annotations

import pytest
from publisher_network import STORIES, PublisherNetwork

from broadsheet.cli import main
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_fetching(settings):
    settings.FETCH = {**settings.FETCH, "allow_private": True, "host_delay": 0.0,
                      "total_timeout": 5.0}
    settings.EXTRACT_WORKERS = 1


@pytest.fixture
def network(http_server):
    return PublisherNetwork(http_server)


def test_add_a_feed_names_its_publisher_from_the_feed(network, capsys):
    assert main(["sources", "add", network.urls["gazette"], "--section", "World"]) == 0
    source = Source.objects.get()
    assert (source.publisher.name, source.section, source.kind) == (
        "The Harbour Gazette", "World", "feed")
    assert "Added source" in capsys.readouterr().out
    assert main(["sources", "add", network.urls["gazette"]]) == 0
    assert Source.objects.count() == 1
    assert "Already have" in capsys.readouterr().out


def test_add_a_page_finds_its_feed(http_server, capsys):
    http_server.route("/feed.xml", body=b"<?xml version='1.0'?><rss version='2.0'><channel>"
                      b"<title>Ledger</title></channel></rss>",
                      headers={"Content-Type": "application/rss+xml"})
    http_server.route("/", headers={"Content-Type": "text/html"}, body=(
        b"<html><head><meta property='og:site_name' content='The Northern Ledger'>"
        b"<link rel='alternate' type='application/rss+xml' href='/feed.xml'></head></html>"
    ))
    assert main(["sources", "add", http_server.url("/")]) == 0
    source = Source.objects.get()
    assert source.url == http_server.url("/feed.xml")
    assert source.publisher.name == "The Northern Ledger"


def test_pages_linking_to_pages_are_not_chased(http_server, capsys):
    for here, there in [("/a", "/b"), ("/b", "/a")]:
        http_server.route(here, headers={"Content-Type": "text/html"}, body=(
            f"<html><head><link rel='alternate' type='application/rss+xml' href='{there}'>"
            "</head></html>").encode())
    assert main(["sources", "add", http_server.url("/a")]) == 1
    assert "is a web page" in capsys.readouterr().err
    assert http_server.hits("/a") + http_server.hits("/b") == 2


def test_add_refuses_what_is_not_a_feed(http_server, capsys):
    http_server.route("/plain", headers={"Content-Type": "text/html"}, body=b"<p>hello</p>")
    assert main(["sources", "add", http_server.url("/plain")]) == 1
    assert "links to no RSS, Atom or JSON feed" in capsys.readouterr().err
    assert main(["sources", "add", "not a url"]) == 1
    assert not Source.objects.exists()


def test_list_shows_state_and_errors(network, capsys):
    main(["sources", "add", network.urls["gazette"]])
    broken = Source.objects.create(publisher=Publisher.objects.create(name="Broken Times"),
                                   url=network.urls["broken"])
    assert main(["fetch"]) == 0
    capsys.readouterr()
    assert main(["sources", "list", "--failing"]) == 0
    out = capsys.readouterr().out
    assert "Broken Times" in out and "HTTP 500" in out and "Harbour" not in out
    assert str(broken.pk) in out


def test_fetch_summarises_new_unchanged_and_failed(network, capsys):
    main(["sources", "add", network.urls["gazette"]])
    Source.objects.create(publisher=Publisher.objects.create(name="Gone"),
                          url=network.urls["missing"])
    capsys.readouterr()
    assert main(["fetch"]) == 0
    out = capsys.readouterr().out
    assert f"{len(STORIES)} new" in out and "1 sources failed" in out and "HTTP 404" in out
    assert main(["fetch", "--source", str(Source.objects.get(url=network.urls["gazette"]).pk)]) == 0
    assert "0 new" in capsys.readouterr().out


def test_fetch_of_an_unknown_source_id_fails_clearly(capsys):
    assert main(["fetch", "--source", "999"]) == 1
    assert "no source with id 999" in capsys.readouterr().err


def test_opml_round_trip_adds_nothing_twice(tmp_path, capsys):
    opml = tmp_path / "in.opml"
    opml.write_text("""<?xml version="1.0"?><opml version="2.0"><head/><body>
      <outline text="Science"><outline type="rss" text="Lab Notes - Science"
        xmlUrl="https://lab.example/feed/" htmlUrl="https://lab.example/"/></outline>
      <outline type="sitemap" text="Daily Meridian" xmlUrl="https://meridian.example/news.xml"/>
      <outline type="rss" text="No link here"/>
    </body></opml>""")
    assert main(["sources", "import-opml", str(opml)]) == 0
    assert "Added 2 sources" in capsys.readouterr().out
    lab = Source.objects.get(url="https://lab.example/feed/")
    assert (lab.section, lab.publisher.name, lab.publisher.homepage_url) == (
        "Science", "Lab Notes", "https://lab.example/")
    assert Source.objects.get(url="https://meridian.example/news.xml").kind == "sitemap"

    assert main(["sources", "export-opml"]) == 0
    exported = tmp_path / "out.opml"
    exported.write_text(capsys.readouterr().out)
    assert main(["sources", "import-opml", str(exported)]) == 0
    assert "Added 0 sources (2 were already there)" in capsys.readouterr().out
    assert Source.objects.get(url="https://meridian.example/news.xml").section == ""


def test_import_of_a_broken_or_hostile_file_fails_clearly(tmp_path, capsys):
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    assert main(["sources", "import-opml", str(bad)]) == 1
    assert "not well-formed" in capsys.readouterr().err
    bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml/>')
    assert main(["sources", "import-opml", str(bad)]) == 1
    assert "entities" in capsys.readouterr().err
    assert main(["sources", "import-opml", str(tmp_path / "missing.opml")]) == 1
