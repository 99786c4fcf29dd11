"""Parsing news sitemaps, plain sitemaps and sitemap indexes (gzipped or not), safely."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadsheet.ingest.parse import (
    MAX_DECOMPRESSED_BYTES,
    NotAFeed,
    ParseError,
    parse_feed,
    parse_sitemap,
)

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_news_sitemap_entries():
    parsed = parse_sitemap(fixture("sitemap_news.xml"), "https://eastgate-herald.example/news.xml")
    assert parsed.kind == "sitemap"
    assert parsed.title == "The Eastgate Herald"
    assert parsed.language == "en"
    assert parsed.sitemaps == []
    budget, regatta, about = parsed.entries  # the repeated regatta URL is dropped
    assert budget.url == budget.guid == (
        "https://eastgate-herald.example/politics/2024/05/16/budget-vote"
    )
    assert budget.title == "Budget vote delayed as councillors seek & receive more time"
    assert budget.published_at == datetime(2024, 5, 16, 8, 30, tzinfo=UTC)
    assert budget.updated_at == datetime(2024, 5, 16, 9, 5, tzinfo=UTC)
    assert budget.publisher == "The Eastgate Herald"
    assert budget.language == "en"
    assert budget.categories == ["budget", "council", "elections"]
    assert budget.image_url == "https://eastgate-herald.example/img/budget.jpg"
    assert budget.has_full_content is False
    assert regatta.published_at == datetime(2024, 5, 15, tzinfo=UTC)  # date only: midnight UTC
    assert regatta.updated_at is None
    # A plain <url>: no title (the pipeline fetches the page), lastmod as updated_at.
    assert about.title == ""
    assert about.published_at is None
    assert about.updated_at == datetime(2023, 11, 2, tzinfo=UTC)


def test_sitemap_index_lists_children():
    parsed = parse_sitemap(fixture("sitemap_index.xml"), "https://eastgate-herald.example/robots")
    assert parsed.kind == "sitemap"
    assert parsed.entries == []
    assert parsed.sitemaps == [
        "https://eastgate-herald.example/sitemaps/news.xml",
        "https://eastgate-herald.example/sitemaps/2024-05.xml.gz",
        "https://eastgate-herald.example/sitemaps/2024-04.xml.gz",
    ]


def test_gzipped_sitemap():
    parsed = parse_sitemap(fixture("sitemap_plain.xml.gz"), "https://westmoor-daily.example/s.gz")
    assert len(parsed.entries) == 200
    first = parsed.entries[0]
    assert first.url == "https://westmoor-daily.example/archive/2024/04/story-1"
    assert first.title == ""
    assert first.updated_at == datetime(2024, 4, 2, tzinfo=UTC)


def test_gzip_bomb_is_capped():
    bomb = gzip.compress(b"\0" * (MAX_DECOMPRESSED_BYTES + 1024), compresslevel=9)
    assert len(bomb) < 200_000
    with pytest.raises(ParseError, match="larger than 50 MB"):
        parse_sitemap(bomb, "https://bomb.example/sitemap.xml.gz")


def test_corrupt_gzip_is_an_error():
    with pytest.raises(ParseError, match="corrupt"):
        parse_sitemap(fixture("sitemap_plain.xml.gz")[:-40] + b"garbage" * 10, "https://x.ex/s")


def test_malformed_sitemap_is_an_error_with_a_line_number():
    body = fixture("sitemap_news.xml").replace(b"</news:title>", b"", 1)
    with pytest.raises(ParseError, match=r"^Malformed XML at line \d+: "):
        parse_sitemap(body, "https://eastgate-herald.example/news.xml")


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_entity_attacks_are_refused(name):
    body = fixture(name).replace(b"<rss", b"<urlset").replace(b"</rss>", b"</urlset>")
    with pytest.raises(ParseError, match="refused for safety"):
        parse_sitemap(body, "https://evil.example/sitemap.xml")


def test_external_entity_in_gzipped_utf16_sitemap_is_refused():
    text = (
        '<?xml version="1.0" encoding="utf-16"?>\n'
        '<!DOCTYPE urlset [<!ENTITY leak SYSTEM "file:///etc/passwd">]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://x.example/&leak;</loc></url></urlset>"
    )
    with pytest.raises(ParseError, match="refused for safety"):
        parse_sitemap(gzip.compress(text.encode("utf-16")), "https://evil.example/s.xml.gz")


def test_other_xml_is_not_a_sitemap():
    with pytest.raises(ParseError, match="Not a sitemap: root element <catalog>"):
        parse_sitemap(b"<?xml version='1.0'?><catalog><book/></catalog>", "https://x.ex/s")
    with pytest.raises(ParseError, match="Empty"):
        parse_sitemap(b"", "https://x.ex/s")


def test_html_given_as_sitemap_is_not_a_feed():
    with pytest.raises(NotAFeed):
        parse_sitemap(fixture("html_page.html"), "https://harbourledger.example/")


def test_the_body_decides_between_feed_and_sitemap():
    assert parse_feed(fixture("sitemap_news.xml"), "https://e.example/n.xml").kind == "sitemap"
    assert parse_sitemap(fixture("rss2_teaser.xml"), "https://n.example/rss").kind == "rss"


def test_urls_without_http_locations_are_skipped():
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>javascript:alert(1)</loc></url><url><lastmod>2024-01-01</lastmod></url>
    <url><loc>/relative/page</loc><lastmod>2024-02</lastmod></url></urlset>"""
    parsed = parse_sitemap(body, "https://site.example/sitemap.xml")
    assert [e.url for e in parsed.entries] == ["https://site.example/relative/page"]
    assert parsed.entries[0].updated_at == datetime(2024, 2, 1, tzinfo=UTC)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_raise_only_parse_errors(body):
    try:
        parsed = parse_sitemap(body, "https://fuzz.example/sitemap.xml")
    except ParseError:
        return
    assert all(e.url == "" or e.url.startswith(("http://", "https://")) for e in parsed.entries)
