"""`broadsheet articles export` and `broadsheet extract --jsonl`."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from publisher_network import STORIES, article_page

from broadsheet.articles.models import Article
from broadsheet.cli import main
from broadsheet.ingest.offline import extract_lines
from broadsheet.sources.models import Publisher

EXPORT_FIELDS = {"id", "url", "title", "author", "publisher", "section", "published_at",
                 "language", "text", "story_id", "duplicate_of"}


@pytest.mark.django_db
def test_export_writes_one_json_object_per_article(capsys):
    publisher = Publisher.objects.create(name="The Harbour Gazette")
    for n in range(3):
        Article.objects.create(publisher=publisher, url=f"https://g.example/{n}",
                               canonical_url=f"https://g.example/{n}", title=f"Story {n}",
                               text=f"Body {n}", section="World", language="en",
                               published_at=datetime(2026, 11, 25, n, tzinfo=UTC))
    assert main(["articles", "export", "--format", "jsonl"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["title"] for r in records] == ["Story 0", "Story 1", "Story 2"]
    assert set(records[0]) == EXPORT_FIELDS
    assert records[1]["publisher"] == "The Harbour Gazette"
    assert records[2]["published_at"] == "2026-11-25T02:00:00+00:00"
    assert records[0]["story_id"] is None and records[0]["duplicate_of"] is None


def test_extract_jsonl_reads_pages_and_reports_bad_lines_in_place():
    story = STORIES[0]
    page = article_page(story, "https://gazette.example/harbour").decode()
    lines = [
        json.dumps({"id": "a", "url": "https://gazette.example/harbour", "html": page}),
        "this is not json",
        json.dumps({"id": "b", "url": "https://gazette.example/login",
                    "html": "<html><body><form><input name=user></form></body></html>"}),
        json.dumps({"id": "c", "html": page}),
        "",
        json.dumps({"id": "d", "url": "https://gazette.example/again", "html": page}),
    ]
    out = io.StringIO()
    errors = extract_lines(lines, out, workers=1)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in records] == ["a", None, "b", "c", "d"]
    assert errors == 3
    first = records[0]
    assert set(first) == {"id", "title", "author", "publisher", "section", "published_at", "text"}
    assert first["title"] == story.title and first["author"] == story.author
    assert first["publisher"] == "The Harbour Gazette" and first["section"] == story.section
    assert first["published_at"].startswith("2026-11-25T09:30")
    assert story.paragraphs[3] in first["text"]
    assert "unreadable input line" in records[1]["error"]
    assert "no article found" in records[2]["error"]
    assert "url" in records[3]["error"]
    assert records[4]["text"] == first["text"]
