"""The bundled publisher catalogue: broad, well-formed, and installable any number of times."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from broadsheet.sources.catalog import (
    SECTIONS,
    CatalogError,
    install_catalog,
    load_catalog,
    parse_catalog,
)


def test_catalog_is_broad() -> None:
    entries = load_catalog()
    assert len(entries) >= 100
    sections = {feed.section for entry in entries for feed in entry.feeds}
    assert set(SECTIONS) <= sections
    assert len({entry.country for entry in entries}) >= 8
    assert len({entry.language.split("-")[0] for entry in entries}) >= 5
    for section in SECTIONS:  # every section has several publishers to choose from
        publishers = {e.name for e in entries for f in e.feeds if f.section == section}
        assert len(publishers) >= 8, section


def test_catalog_urls_are_well_formed_and_unique() -> None:
    entries = load_catalog()
    urls = [feed.url for entry in entries for feed in entry.feeds]
    assert len(urls) == len(set(urls))
    assert len({url.rstrip("/").lower() for url in urls}) == len(urls)
    for url in urls + [entry.homepage for entry in entries]:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https"), url
        assert "." in parts.hostname, url
        assert url == url.strip() and " " not in url, url
    names = [entry.name.casefold() for entry in entries]
    assert len(names) == len(set(names))


def _one(**overrides: object) -> list[dict]:
    entry = {"name": "Example Times", "homepage": "https://example.com", "country": "GB",
             "language": "en", "feeds": [{"url": "https://example.com/rss", "section": "World"}]}
    entry.update(overrides)
    return [entry]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"country": "Britain"}, "'country'"),
        ({"language": "English"}, "'language'"),
        ({"homepage": "example.com"}, "'homepage'"),
        ({"feeds": []}, "'feeds'"),
        ({"feeds": [{"url": "ftp://example.com/rss", "section": "World"}]}, "'url'"),
        ({"feeds": [{"url": "https://example.com/rss", "section": "Gossip"}]}, "'section'"),
        ({"feeds": [{"url": "https://example.com/rss", "section": "World", "kind": "x"}]},
         "'kind'"),
        ({"colour": "blue"}, "unknown field"),
    ],
)
def test_bad_entries_are_named(overrides: dict, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(_one(**overrides))
    assert "Example Times" in str(caught.value)
    assert message in str(caught.value)


def test_duplicate_feed_url_is_rejected(tmp_path) -> None:
    data = _one() + _one(name="Other Times")
    path = tmp_path / "publishers.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CatalogError, match="Other Times.*already listed under 'Example Times'"):
        load_catalog(path)


def test_unreadable_file_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "publishers.json"
    path.write_text("[{")
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(path)


@pytest.mark.django_db
def test_install_is_idempotent_and_keeps_schedule_state() -> None:
    from broadsheet.sources.models import Publisher, Source

    entries = load_catalog()
    feeds = sum(len(entry.feeds) for entry in entries)
    first = install_catalog()
    assert first.publishers_created == len(entries)
    assert first.sources_created == feeds
    assert Publisher.objects.count() == len(entries)
    assert Source.objects.count() == feeds

    bbc = Source.objects.get(url="https://feeds.bbci.co.uk/news/world/rss.xml")
    assert bbc.publisher.name == "BBC News" and bbc.section == "World"
    assert bbc.publisher.country == "GB" and bbc.publisher.language == "en"
    bbc.status, bbc.consecutive_errors, bbc.etag, bbc.enabled = "error", 3, '"abc"', False
    bbc.save()

    second = install_catalog()
    assert second.created == 0
    assert second.publishers_existing == len(entries)
    assert second.sources_existing == feeds
    assert Source.objects.count() == feeds
    bbc.refresh_from_db()
    kept = (bbc.status, bbc.consecutive_errors, bbc.etag, bbc.enabled)
    assert kept == ("error", 3, '"abc"', False)


@pytest.mark.django_db
def test_install_adds_only_what_is_missing() -> None:
    from broadsheet.sources.models import Publisher, Source

    install_catalog(parse_catalog(_one()))
    grown = _one(feeds=[{"url": "https://example.com/rss", "section": "World"},
                        {"url": "https://example.com/sitemap.xml", "section": "World",
                         "kind": "sitemap"}])
    result = install_catalog(parse_catalog(grown))
    assert (result.publishers_created, result.sources_created, result.sources_existing) == (0, 1, 1)
    assert Publisher.objects.count() == 1
    assert Source.objects.get(url="https://example.com/sitemap.xml").kind == "sitemap"
