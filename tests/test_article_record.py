"""One article record from the prepare stage to the store: the poll places it (identity from its
source and feed entry, the feed's metadata over the page's), as a copy, without a database."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

from broadsheet.ingest.parse import Entry
from broadsheet.ingest.prepare import prepare_entry, prepare_page
from broadsheet.ingest.record import ArticleRecord, SourceJob, place

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
JOB = SourceJob(id=7, url="https://gazette.example/feed.xml", kind="feed", publisher_id=3,
                publisher_name="gazette.example", language="en")
PAGE = b"""<html lang="en-GB"><head><title>Harbour wall | Gazette</title>
<meta property="og:title" content="Harbour wall to be rebuilt">
<meta name="author" content="Page Author">
<link rel="canonical" href="https://gazette.example/news/wall">
</head><body><article><h1>Harbour wall to be rebuilt</h1>
<p>The council voted on Tuesday to rebuild the harbour wall before the winter storms arrive,
after engineers found cracks along most of its length.</p>
<p>Work starts in January and should take about four months, the council said.</p>
</article></body></html>"""


def entry(**overrides) -> Entry:
    values = {"guid": "wall-1", "url": "https://gazette.example/news/wall?utm_source=rss",
              "title": "", "published_at": NOW - timedelta(hours=2)}
    values.update(overrides)
    return Entry(**values)


def test_the_prepare_stage_builds_the_record_the_store_takes() -> None:
    record = prepare_page(PAGE, "https://gazette.example/news/wall?utm_source=rss", "utf-8")
    assert isinstance(record, ArticleRecord)
    assert record.canonical_url == "https://gazette.example/news/wall"
    assert "rebuild the harbour wall" in record.text and record.word_count > 20
    placed = place(record, JOB, entry(), NOW)
    assert placed is not None and placed is not record
    assert (placed.publisher_id, placed.source_id, placed.guid) == (3, 7, "wall-1")
    assert placed.url == "https://gazette.example/news/wall?utm_source=rss"
    assert placed.title == "Harbour wall to be rebuilt" and placed.author == "Page Author"
    assert placed.published_at == NOW - timedelta(hours=2)
    assert record.source_id is None and record.guid == ""  # the prepared record is untouched


def test_the_feed_wins_over_the_page_and_the_source_fills_the_gaps() -> None:
    record = ArticleRecord(title="Page headline", canonical_url="https://gazette.example/a",
                           author="Page Author", section="Page section")
    placed = place(record, JOB, entry(title="  Feed\nheadline ", author="Feed Author",
                                      categories=["", " Local "]), NOW)
    assert placed is not None
    assert (placed.title, placed.author, placed.language) == ("Feed headline", "Feed Author", "en")
    assert placed.section == "Page section"
    assert place(ArticleRecord(title=""), JOB, entry(categories=[" Local "], title="T"),
                 NOW).section == "Local"


def test_an_entry_without_a_page_is_known_by_its_source_and_guid() -> None:
    item = entry(url="", title="Ferry timetable", content_html="<p>Ferries run hourly.</p>")
    placed = place(prepare_entry(item, JOB.url), JOB, item, NOW)
    assert placed is not None
    assert placed.canonical_url == placed.url == "https://gazette.example/feed.xml#wall-1"
    assert placed.text == "Ferries run hourly."


def test_a_clock_far_ahead_is_brought_back_and_a_missing_date_is_now() -> None:
    ahead = place(ArticleRecord(title="T", canonical_url="https://g.example/t"), JOB,
                  entry(published_at=NOW + timedelta(days=30)), NOW)
    undated = place(ArticleRecord(title="T", canonical_url="https://g.example/t"), JOB,
                    entry(published_at=None), NOW)
    assert ahead is not None and ahead.published_at == NOW
    assert undated is not None and undated.published_at == NOW


def test_no_headline_anywhere_is_no_article() -> None:
    assert place(ArticleRecord(title=" \u200b "), JOB, entry(title=""), NOW) is None


def test_the_record_row_has_every_field_but_the_publisher_name() -> None:
    row = ArticleRecord(title="T", publisher="Gazette").row()
    assert set(row) == {f.name for f in fields(ArticleRecord)} - {"publisher"}
